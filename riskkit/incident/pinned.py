"""What an incident pinned when it started: the runbook's source, hash and commit, the
scenario, the resolved inputs, the linked risks' RTOs and the roles.

A running incident is always worked out from this copy, never from the runbook file as it
is now: editing, renaming or deleting the runbook changes no incident already started.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from riskkit.files.digests import sha256
from riskkit.incident.journal import Event
from riskkit.problems import Problem
from riskkit.runbook import graph
from riskkit.runbook.model import Runbook, load_runbook, roles_used
from riskkit.workspace import Role


@dataclass(frozen=True)
class PinnedRisk:
    """A risk the runbook answered when the incident started."""

    id: str
    title: str
    rto_minutes: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "rto_minutes": self.rto_minutes}


@dataclass(frozen=True)
class Pinned:
    """The start event's record of what was started."""

    runbook: str
    file: str
    sha256: str
    commit: str | None
    uncommitted: bool
    scenario: str | None
    inputs: Mapping[str, Any]
    risks: tuple[PinnedRisk, ...]
    roles: Mapping[str, Role]
    source: str
    title: str = ""  # an incident without a runbook: what it is about
    severity: str = ""  # an incident without a runbook: its severity, as given

    @property
    def has_runbook(self) -> bool:
        """False for an incident started with ``--risk`` and no runbook: it has no steps,
        only notes, status updates, roles, action items and its close."""
        return bool(self.runbook)

    @property
    def rto_minutes(self) -> int | None:
        """The tightest RTO of the linked risks (closed risks were left out at start)."""
        rtos = [r.rto_minutes for r in self.risks if r.rto_minutes is not None]
        return min(rtos) if rtos else None

    def start_data(self) -> dict[str, Any]:
        """The start event's data (its own fields aside)."""
        if not self.has_runbook:
            return {"runbook": None, "title": self.title, "severity": self.severity or None,
                    "risks": [r.to_dict() for r in self.risks],
                    "roles": {k: v.to_dict() for k, v in self.roles.items()}}
        return {"runbook": self.runbook, "file": self.file, "sha256": self.sha256,
                "commit": self.commit, "uncommitted": self.uncommitted,
                "scenario": self.scenario, "inputs": dict(self.inputs),
                "risks": [r.to_dict() for r in self.risks],
                "roles": {k: v.to_dict() for k, v in self.roles.items()},
                "source": self.source}


def digest(source: str) -> str:
    return sha256(source.encode("utf-8")).hexdigest()


def pinned(start: Event) -> tuple[Pinned | None, str]:
    """The pinned record of a start event, or None and why it cannot be read."""
    data = start.data
    if data.get("runbook") is None and "source" not in data:
        return _without_runbook(data)
    for key in ("runbook", "file", "sha256", "source"):
        if not isinstance(data.get(key), str) or not data[key]:
            return None, f"the start event has no '{key}'"
    inputs = data.get("inputs", {})
    risks = data.get("risks", [])
    roles = data.get("roles", {})
    scenario = data.get("scenario")
    commit = data.get("commit")
    if not isinstance(inputs, dict) or not isinstance(risks, list) \
            or not isinstance(roles, dict) or not (scenario is None or isinstance(scenario, str)) \
            or not (commit is None or isinstance(commit, str)):
        return None, "the start event's inputs, risks, roles, scenario or commit are malformed"
    people = _risks_and_roles(risks, roles)
    if isinstance(people, str):
        return None, people
    pinned_risks, pinned_roles = people
    if digest(data["source"]) != data["sha256"]:
        return None, ("the pinned runbook source does not match its sha256: the start "
                      "event was edited")
    return Pinned(data["runbook"], data["file"], data["sha256"], commit,
                  bool(data.get("uncommitted", False)), scenario, dict(inputs), pinned_risks,
                  pinned_roles, data["source"]), ""


def _without_runbook(data: Mapping[str, Any]) -> tuple[Pinned | None, str]:
    """The record of an incident started without a runbook (``incident start --risk``)."""
    title, severity = data.get("title"), data.get("severity")
    risks, roles = data.get("risks"), data.get("roles", {})
    if not isinstance(title, str) or not title.strip():
        return None, "the start event names no runbook and has no 'title'"
    if not isinstance(risks, list) or not risks or not isinstance(roles, dict) \
            or not (severity is None or isinstance(severity, str)):
        return None, ("an incident without a runbook names the risks it is about: the start "
                      "event's risks, roles or severity are missing or malformed")
    people = _risks_and_roles(risks, roles)
    if isinstance(people, str):
        return None, people
    pinned_risks, pinned_roles = people
    return Pinned("", "", "", None, False, None, {}, pinned_risks, pinned_roles, "",
                  title.strip(), severity or ""), ""


def pinned_runbook(pin: Pinned, current: Mapping[str, Runbook] | None = None
                   ) -> tuple[Runbook | None, list[Problem]]:
    """The runbook as it was when the incident started (its errors, if it no longer
    loads: riskkit itself may have grown stricter since).

    ``current`` (the runbooks the workspace loaded, by file) saves a parse: a copy that
    is, word for word, the text a runbook was loaded from, and pinned every role its
    steps name, loads as that runbook did (the roles are the only other input, and a
    runbook holds none of the workspace's), without errors."""
    if not pin.has_runbook:  # no steps: notes, status updates, roles, actions, the close
        return Runbook(id="", title=pin.title, steps=(), severity=pin.severity,
                       comms={}), []
    now = current.get(pin.file) if current else None
    if now is not None and now.doc is not None and now.doc.source == pin.source \
            and roles_used(now) <= pin.roles.keys() | now.roles.keys():
        return now, []
    runbook, problems = _parsed(pin.source, pin.file, tuple(pin.roles.items()))
    return runbook, list(problems)


@functools.lru_cache(maxsize=16)
def _parsed(source: str, file: str, roles: tuple[tuple[str, Role], ...]
            ) -> tuple[Runbook | None, tuple[Problem, ...]]:
    """One pinned copy, parsed once per run: the incidents of a runbook mostly pinned the
    same text, and ``validate`` checks every journal ever kept."""
    from riskkit.files.yamlload import load_text

    doc, problems = load_text(source, file)
    if doc is None:
        return None, tuple(problems)
    runbook, more = load_runbook(doc, dict(roles))
    return runbook, tuple(p for p in problems + more if p.is_error)


def rendered_titles(runbook: Runbook, pin: Pinned) -> tuple[str, dict[str, str]]:
    """The runbook's title and each step's, with the incident's inputs filled in (as the
    plan printed them); as written when they cannot be rendered."""
    from riskkit.problems import RiskkitError
    from riskkit.runbook.render import render_steps
    from riskkit.runbook.view import view

    titles = {s.id: s.title for s in runbook.steps}
    if not pin.has_runbook:
        return pin.title, titles
    try:
        plan = render_steps(runbook, view(runbook, pin.roles, (), pin.scenario),
                            dict(pin.inputs))
    except RiskkitError:
        return runbook.title, titles
    titles.update({s.id: s.title for s in plan.steps})
    return plan.title, titles


def _risks_and_roles(risks: list[Any], roles: Mapping[str, Any]
                     ) -> tuple[tuple[PinnedRisk, ...], dict[str, Role]] | str:
    """The start event's pinned risks and roles, or why they cannot be read."""
    try:
        pinned_risks = tuple(PinnedRisk(str(r["id"]), str(r.get("title", "")),
                                        r.get("rto_minutes")) for r in risks)
        pinned_roles = {str(k): Role(str(k), str(v.get("title", k)), str(v.get("contact", "")),
                                     str(v.get("pager", "")), str(v.get("phone", "")))
                        for k, v in roles.items()}
    except (KeyError, TypeError, AttributeError):
        return "the start event's risks or roles are malformed"
    if any(r.rto_minutes is not None and not isinstance(r.rto_minutes, int)
           for r in pinned_risks):
        return "a pinned risk's rto_minutes is not a whole number"
    return pinned_risks, pinned_roles


def plan_nodes(runbook: Runbook, scenario: str | None) -> list[graph.Node]:
    """The incident's steps as graph nodes: the scenario's, needs inherited past the
    steps the scenario drops (as ``runbook show --scenario`` orders them)."""
    nodes = runbook.nodes()
    return graph.prune(nodes, scenario) if scenario else nodes
