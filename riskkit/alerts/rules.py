"""Prometheus rule files, read with the line of every value.

The format is Prometheus's own (``promtool check rules`` reads the same files)::

    groups:
      - name: ledger
        rules:
          - alert: PostgresPrimaryDown
            expr: pg_up{job="ledger"} == 0
            for: 2m
            labels: {severity: critical}
            annotations:
              runbook_url: https://runbooks.example.com/runbooks/db-failover/

A ``PrometheusRule`` resource of the Prometheus Operator holds the same groups under
``spec``. Only what riskkit needs is checked closely (the shape, the alert names, labels
and annotations); the rest is Prometheus's business, and promtool's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskkit.files.yamlload import Doc, load_file
from riskkit.problems import Problem, did_you_mean

# The fields Prometheus knows (rulefmt), so that a misspelt one ('anotations', which
# would silently drop the runbook_url) is refused as promtool refuses it.
GROUP_KEYS = ("name", "interval", "query_offset", "limit", "labels", "rules")
RULE_KEYS = ("alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations")


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule: its name, where it is written, its labels and annotations."""

    name: str
    group: str
    file: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    doc: Doc | None = field(default=None, compare=False, repr=False)
    base: tuple[Any, ...] = ()  # the rule's path in its document

    @property
    def severity(self) -> str | None:
        return self.labels.get("severity")

    @property
    def runbook_url(self) -> str | None:
        return self.annotations.get("runbook_url")

    def at(self, *path: Any) -> tuple[int, int]:
        """The line and column of ``path`` under the rule (``"alert"``, say)."""
        return self.doc.at(self.base + path) if self.doc else (1, 1)

    def to_dict(self) -> dict[str, Any]:
        line, _ = self.at("alert")
        return {"alert": self.name, "group": self.group, "file": self.file, "line": line,
                "labels": dict(self.labels), "annotations": dict(self.annotations)}


@dataclass
class RuleFiles:
    """The alerting rules of some rule files, and what is wrong with the files."""

    rules: list[AlertRule] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return {r.name for r in self.rules}


def read_rule_files(paths: Iterable[str | os.PathLike[str]], display: Any = os.fspath
                    ) -> RuleFiles:
    """Read every rule file of ``paths``; ``display(path)`` is the name shown for it."""
    out = RuleFiles()
    for path in paths:
        shown = display(Path(path))
        out.files.append(shown)
        doc, problems = load_file(path, shown)
        out.problems += problems
        if doc is not None:
            rules, problems = rules_of(doc)
            out.rules += rules
            out.problems += problems
    return out


def rules_of(doc: Doc) -> tuple[list[AlertRule], list[Problem]]:
    """The alerting rules of one parsed rule file, and the problems of its shape (A005)."""
    problems: list[Problem] = []

    def bad(path: tuple[Any, ...], message: str, key: bool = False) -> None:
        problems.append(doc.problem(path, "A005", message, key=key))

    data = doc.data
    base: tuple[Any, ...] = ()
    if isinstance(data, dict) and data.get("kind") == "PrometheusRule":
        base = ("spec",)
        data = data.get("spec")
    if not isinstance(data, dict) or "groups" not in data:
        bad(base, "not a Prometheus rule file: expected 'groups:' with a list of rule groups")
        return [], problems
    if not base:
        for key in data:
            if key != "groups":
                bad((key,), f"unknown field '{key}' (a rule file holds only 'groups')",
                    key=True)
    groups = data["groups"]
    if not isinstance(groups, list):
        bad(base + ("groups",), "'groups' must be a list of rule groups")
        return [], problems
    out: list[AlertRule] = []
    seen: dict[str, int] = {}
    for g, group in enumerate(groups):
        where = base + ("groups", g)
        if not isinstance(group, dict):
            bad(where, "a rule group must be a mapping with 'name' and 'rules'")
            continue
        for key in group:
            if key not in GROUP_KEYS:
                bad(where + (key,), f"unknown field '{key}' in a rule group"
                    f"{did_you_mean(str(key), GROUP_KEYS)}", key=True)
        name = group.get("name")
        if not isinstance(name, str) or not name:
            bad(where, "a rule group needs a 'name'")
            name = f"#{g + 1}"
        elif name in seen:
            first = doc.at(base + ("groups", seen[name], "name"))[0]
            bad(where + ("name",), f"group name '{name}' is repeated in the same file "
                f"(first at line {first})")
        else:
            seen[name] = g
        rules = group.get("rules", [])
        if not isinstance(rules, list):
            bad(where + ("rules",), f"group '{name}': 'rules' must be a list")
            continue
        for r, rule in enumerate(rules):
            found = _rule(doc, where + ("rules", r), rule, name, bad)
            if found is not None:
                out.append(found)
    return out, problems


def _rule(doc: Doc, where: tuple[Any, ...], rule: object, group: str,
          bad: Any) -> AlertRule | None:
    if not isinstance(rule, dict):
        bad(where, f"group '{group}': a rule must be a mapping with 'alert' or 'record'")
        return None
    for key in rule:
        if key not in RULE_KEYS:
            bad(where + (key,), f"unknown field '{key}' in a rule"
                f"{did_you_mean(str(key), RULE_KEYS)}", key=True)
    if ("alert" in rule) == ("record" in rule):
        bad(where, f"group '{group}': a rule has exactly one of 'alert' and 'record'")
        return None
    if "expr" not in rule:
        bad(where, f"group '{group}': a rule needs an 'expr'")
    if "record" in rule:
        return None
    name = rule["alert"]
    if not isinstance(name, str) or not name.strip():
        bad(where + ("alert",), f"group '{group}': an alert name must be a non-empty text")
        return None
    labels = _texts(doc, where, rule, "labels", bad)
    annotations = _texts(doc, where, rule, "annotations", bad)
    return AlertRule(name, group, doc.path, labels, annotations, doc, where)


def _texts(doc: Doc, where: tuple[Any, ...], rule: dict[str, Any], key: str,
           bad: Any) -> dict[str, str]:
    """A rule's labels or annotations, each value as written (``severity: 1`` is '1')."""
    value = rule.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        bad(where + (key,), f"'{key}' must be a mapping of names to texts")
        return {}
    out = {}
    for name, item in value.items():
        if isinstance(item, (dict, list)):
            bad(where + (key, name), f"{key}.{name} must be a text, not a "
                f"{'mapping' if isinstance(item, dict) else 'list'}")
            continue
        text = doc.text(where + (key, name))
        out[str(name)] = text if text is not None else ""
    return out
