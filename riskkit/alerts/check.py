"""Alert rules held against the runbook library.

- A001: an alert of a paging severity that no runbook answers (none names it in
  ``alerts:`` and it has no ``runbook_url``);
- A002, A003: a ``runbook_url`` that is no runbook page of the site, or names an unknown
  runbook;
- A004 (a warning): a runbook naming an alert that no rule file defines.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from riskkit.alerts.rules import AlertRule, RuleFiles
from riskkit.alerts.url import target
from riskkit.problems import Problem, did_you_mean
from riskkit.runbook.model import Runbook


def check(rules: RuleFiles, runbooks: Iterable[Runbook], listed: Mapping[str, Collection[str]],
          known: Collection[str], paging: Collection[str],
          base_url: str | None = None) -> list[Problem]:
    """Every problem of ``rules`` against the runbooks.

    ``listed`` maps an alert name to the runbooks that name it (their files read as far as
    they go, so a runbook with an error elsewhere still answers its alerts); ``known`` is
    every runbook id, those of files with errors included; ``paging`` the severity label
    values that page someone.
    """
    runbooks = list(runbooks)
    out: list[Problem] = []
    for rule in rules.rules:
        url = rule.runbook_url
        if url:
            out += _url_problems(rule, url, known, base_url)
        elif rule.severity in paging and not listed.get(rule.name):
            out.append(_unanswered(rule, runbooks))
    if rules.files:  # without rule files, every named alert would look undefined
        defined = rules.names
        for runbook in runbooks:
            for i, name in enumerate(runbook.alerts):
                if name not in defined:
                    line, col = runbook.at("alerts", i)
                    out.append(Problem(runbook.file, line, col, "A004",
                                       f"{runbook.id}: alert '{name}' is defined in no rule "
                                       f"file ({len(rules.files)} read)"
                                       f"{did_you_mean(name, defined)}"))
    return out


def _url_problems(rule: AlertRule, url: str, known: Collection[str],
                  base_url: str | None) -> list[Problem]:
    line, col = rule.at("annotations", "runbook_url")
    found = target(url, base_url)
    if found.runbook is None:
        return [Problem(rule.file, line, col, "A002",
                        f"alert '{rule.name}': runbook_url {url} {found.why}")]
    if found.runbook not in known:
        return [Problem(rule.file, line, col, "A003",
                        f"alert '{rule.name}': runbook_url names unknown runbook "
                        f"'{found.runbook}'{did_you_mean(found.runbook, known)}")]
    return []


def _unanswered(rule: AlertRule, runbooks: list[Runbook]) -> Problem:
    line, col = rule.at("alert")
    hint = ""
    mention = re.compile(rf"(?<![\w]){re.escape(rule.name)}(?![\w])")
    near = [r.id for r in runbooks if any(mention.search(t) for t in r.triggers)]
    if near:
        hint = (f"; the triggers of {', '.join(near)} mention it: add it to "
                f"{'its' if len(near) == 1 else 'their'} alerts:")
    return Problem(rule.file, line, col, "A001",
                   f"alert '{rule.name}' (severity {rule.severity}) pages someone but no "
                   f"runbook answers it: name it in a runbook's alerts: or give it a "
                   f"runbook_url{hint}")
