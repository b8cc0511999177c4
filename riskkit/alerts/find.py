"""``riskkit runbook find``: from an alert's name, or a few words, to the runbook.

On-call starts from an alert, not from a runbook id. A runbook is found by the alerts it
names (or that point at it with their ``runbook_url``), then by its id, title, triggers
and the risks it answers; the best match comes first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from riskkit.alerts.rules import RuleFiles
from riskkit.alerts.url import target
from riskkit.register.risk import Risk
from riskkit.runbook.model import Runbook

# How much a word found in each part of a runbook counts (the best part per word).
WEIGHTS = {"alert": 30, "id": 20, "title": 10, "trigger": 6, "risk": 4}
EXACT_ALERT = 100  # the whole query is the name of an alert the runbook names
POINTED = 95  # an alert whose runbook_url is this runbook's page
EXACT_ID = 60


@dataclass(frozen=True)
class Match:
    """A runbook that matches, how well, and why (what matched, in words)."""

    runbook: Runbook
    score: int
    words: int  # how many words of the query it matches
    why: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        rb = self.runbook
        return {"id": rb.id, "title": rb.title, "severity": rb.severity,
                "eta_minutes": rb.eta_minutes, "score": self.score, "why": list(self.why),
                "alerts": list(rb.alerts)}


def words(text: str) -> list[str]:
    """The words of a query, lower case; an alert name stays one word."""
    return [w for w in re.split(r"[^\w:.-]+", text.lower()) if len(w) > 1]


def find(runbooks: Iterable[Runbook], risks_of: Callable[[str], Sequence[Risk]],
         query: str | None = None, alert: str | None = None,
         rules: RuleFiles | None = None, base_url: str | None = None) -> list[Match]:
    """The runbooks matching ``query`` (words) or ``alert`` (a name), best first."""
    pointed: dict[str, list[str]] = {}  # runbook id -> alerts whose runbook_url names it
    for rule in rules.rules if rules else ():
        if rule.runbook_url:
            found = target(rule.runbook_url, base_url).runbook
            if found:
                pointed.setdefault(found, []).append(rule.name)
    out = []
    for runbook in runbooks:
        if alert is not None:
            match = _by_alert(runbook, alert, pointed.get(runbook.id, []))
        else:
            match = _by_words(runbook, query or "", risks_of(runbook.id),
                              pointed.get(runbook.id, []))
        if match is not None:
            out.append(match)
    return sorted(out, key=lambda m: (-m.words, -m.score, m.runbook.id))


def _by_alert(runbook: Runbook, alert: str, pointed: list[str]) -> Match | None:
    named = {a.lower(): a for a in runbook.alerts}
    if alert in runbook.alerts:
        return Match(runbook, EXACT_ALERT, 1, (f"names alert {alert}",))
    if alert in pointed:
        return Match(runbook, POINTED, 1, (f"alert {alert}'s runbook_url",))
    if alert.lower() in named:
        return Match(runbook, EXACT_ALERT - 10, 1, (f"names alert {named[alert.lower()]}",))
    mention = re.compile(rf"(?<![\w]){re.escape(alert)}(?![\w])", re.IGNORECASE)
    said = [t for t in runbook.triggers if mention.search(t)]
    if said:
        return Match(runbook, WEIGHTS["trigger"] * 5, 1, (f"trigger: {said[0]}",))
    return None


def _by_words(runbook: Runbook, query: str, risks: Sequence[Risk],
              pointed: list[str]) -> Match | None:
    wanted = words(query)
    if not wanted:
        return None
    parts: list[tuple[str, str, str]] = []  # (kind, text lower case, shown)
    parts += [("alert", a.lower(), f"alert {a}")
              for a in dict.fromkeys((*runbook.alerts, *pointed))]
    parts.append(("id", runbook.id.lower(), "id"))
    parts.append(("title", runbook.title.lower(), "title"))
    parts += [("trigger", t.lower(), f"trigger: {t}") for t in runbook.triggers]
    parts += [("risk", f"{r.id} {r.title}".lower(), f"risk {r.id}") for r in risks]
    whole = query.strip().lower()
    score, matched, why = 0, 0, []
    for kind, text, shown in parts:
        if kind == "alert" and text == whole:
            score += EXACT_ALERT
            why.append(shown)
        elif kind == "id" and text == whole:
            score += EXACT_ID
            why.append(shown)
    for word in wanted:
        best, said = 0, ""
        for kind, text, shown in parts:
            if word in text and WEIGHTS[kind] > best:
                best, said = WEIGHTS[kind], shown
        if best:
            matched += 1
            score += best
            if said not in why:
                why.append(said)
    if not matched:
        return None
    return Match(runbook, score, matched, tuple(why))


@dataclass(frozen=True)
class Found:
    """The answer of ``runbook find``: the matches, best first, and how to render the top
    one (the inputs it needs, and its page on the site when the site's URL is known)."""

    query: str
    matches: tuple[Match, ...]
    command: str
    needs: tuple[tuple[str, str], ...]  # (input, what to give: its description, choices)
    page: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "matches": [m.to_dict() for m in self.matches],
                "command": self.command,
                "needs": [{"input": name, "about": about} for name, about in self.needs],
                "page": self.page}


def found(query: str, matches: list[Match], base_url: str | None = None) -> Found:
    """``matches`` with the command that renders the best one: every required input
    without a default is a ``--var`` to give."""
    from riskkit.alerts.url import page_url

    if not matches:
        return Found(query, (), "", ())
    top = matches[0].runbook
    needed = [i for i in top.inputs if i.required and i.default is None]
    command = f"riskkit runbook render {top.id}" + "".join(
        f" --var {i.name}={i.name.upper()}" for i in needed)
    needs = tuple((i.name, i.description + (f" (one of {', '.join(map(str, i.choices))})"
                                            if i.choices else "")) for i in needed)
    return Found(query, tuple(matches), command, needs,
                 page_url(base_url, top.id) if base_url else None)
