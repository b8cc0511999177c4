"""The status board: a self-contained HTML page for the incident room's screen.

It refreshes itself while the incident is open (regenerate the file in a loop), and
draws the incident's steps as a graph, one column per stage, each step coloured by where
it stands, with the critical path of what remains in red. No script, no fetch: it works
from a file on a laptop plugged into the room's screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from riskkit import __version__
from riskkit.incident.state import IN_PROGRESS, IncidentState, StepState
from riskkit.incident.times import minutes, number, shown
from riskkit.present.incident import NowView, _version, _what
from riskkit.present.jinja import render_template

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 190, 58, 46, 14, 12
REFRESH_SECONDS = 30
RECENT = 12  # events shown, newest first

# The colour of each state (fill, stroke): the legend and the boxes read the same table.
COLORS = {
    "done": ("#c8e6c9", "#2e7d32"),
    "in-progress": ("#bbdefb", "#1565c0"),
    "ready": ("#fff59d", "#f9a825"),
    "awaiting-approval": ("#e1bee7", "#6a1b9a"),
    "blocked": ("#eeeeee", "#9e9e9e"),
    "skipped": ("#fafafa", "#bdbdbd"),
}
LABELS = {"done": "done", "in-progress": "in progress", "ready": "unblocked",
          "awaiting-approval": "awaits approval", "blocked": "blocked", "skipped": "skipped"}
CRITICAL = "#c62828"


def board_state(step: StepState) -> str:
    """The board's name for where a step stands (one colour each)."""
    if step.status == "done":
        return "done"
    if step.status == "skipped":
        return "skipped"
    if step.status == IN_PROGRESS:
        return "in-progress"
    if not step.unblocked:
        return "blocked"
    return "awaiting-approval" if step.awaits_approval else "ready"


@dataclass(frozen=True)
class Box:
    """One step drawn on the graph."""

    id: str
    title: str
    detail: str
    state: str
    label: str
    fill: str
    stroke: str
    critical: bool
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    """An arrow of the board: its SVG path, and whether it lies on the critical path."""

    path: str  # SVG path data
    critical: bool


@dataclass(frozen=True)
class Line:
    """A row of one of the board's lists."""

    id: str
    title: str
    detail: str
    warn: bool = False


@dataclass(frozen=True)
class Board:
    """Everything the board template shows."""

    state: IncidentState
    org: str
    now: str
    given: bool
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int
    by_role: tuple[tuple[str, str, tuple[Line, ...]], ...]  # role, holder, steps
    running: tuple[Line, ...]
    approvals: tuple[Line, ...]
    events: tuple[tuple[str, str, str, str], ...]  # at, by, kind, what
    figures: tuple[tuple[str, str, str, bool], ...]  # label, value, note, alarm
    legend: tuple[tuple[str, str, str], ...]  # label, fill, stroke
    refresh: int | None
    pinned: str
    riskkit_version: str


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def layout(state: IncidentState) -> tuple[list[Box], list[Edge], int, int]:
    """Boxes in columns by stage, rows in plan order; edges from each need to its step."""
    columns: dict[int, list[StepState]] = {}
    for step in state.steps:
        columns.setdefault(step.stage, []).append(step)
    place: dict[str, tuple[int, int]] = {}
    boxes = []
    for stage, steps in sorted(columns.items()):
        for row, step in enumerate(steps):
            x = PAD + (stage - 1) * (BOX_W + GAP_X)
            y = PAD + row * (BOX_H + GAP_Y)
            place[step.id] = (x, y)
            kind = board_state(step)
            fill, stroke = COLORS[kind]
            bits = [step.role or "no role"]
            if step.minutes is not None:
                bits.append(f"{step.minutes:g} min")
            if step.irreversible:
                bits.append("irreversible")
            boxes.append(Box(step.id, _short(step.title, 30), " · ".join(bits), kind,
                             LABELS[kind], fill, stroke, step.critical, x, y))
    path = set(state.remaining_path or state.finish_path)
    edges = []
    for step in state.steps:
        x2, y2 = place[step.id]
        for need in step.needs:
            if need not in place:
                continue
            x1, y1 = place[need]
            sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H // 2, x2, y2 + BOX_H // 2
            mid = (sx + ex) // 2
            edges.append(Edge(f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}",
                              need in path and step.id in path))
    width = PAD * 2 + max(len(columns), 1) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(c) for c in columns.values()), default=1) * (BOX_H + GAP_Y) \
        - GAP_Y
    return boxes, edges, width, height


def _figures(state: IncidentState) -> list[tuple[str, str, str, bool]]:
    day = state.started_at.date()
    out = [("elapsed", f"{number(state.elapsed_minutes)} min",
            f"since {shown(state.started_at, day)}", False)]
    if state.mitigated_at is not None:
        out.append(("mitigated", shown(state.mitigated_at, day),
                    f"{number(minutes(state.started_at, state.mitigated_at))} min after the "
                    "start", False))
    else:
        out.append(("to mitigate", f"{number(state.eta_remaining_minutes)} min",
                    f"projected {shown(state.projected_finish, day)}", False))
    if state.rto_minutes is not None and state.rto_deadline is not None:
        gap = number(abs(minutes(state.rto_deadline, state.projected_finish)))
        out.append((f"RTO {state.rto_minutes} min", shown(state.rto_deadline, day),
                    f"within, {gap} min to spare" if state.within_rto
                    else f"ABOVE by {gap} min", not state.within_rto))
    if state.status_update_due is not None:
        due = minutes(state.now, state.status_update_due)
        out.append(("next status update", shown(state.status_update_due, day),
                    f"OVERDUE by {number(-due)} min" if state.status_update_overdue
                    else f"in {number(due)} min", state.status_update_overdue))
    return out


def board(view: NowView) -> Board:
    state = view.state
    day = state.started_at.date()
    boxes, edges, width, height = layout(state)
    by_role = []
    for role, ids in state.by_role.items():
        lines = []
        for sid in ids:
            step = state.step(sid)
            assert step is not None
            note = f"{step.minutes:g} min" if step.minutes is not None else ""
            if step.awaits_approval:
                note += f" · awaits approval by {step.approval}"
            lines.append(Line(sid, step.title, note.strip(" ·"), step.awaits_approval))
        by_role.append((role, state.assignees.get(role, ""), tuple(lines)))
    running = []
    for step in state.steps:
        if step.status == IN_PROGRESS:
            left = ("over its estimate" if step.over_estimate
                    else f"{number(step.remaining_minutes)} min left")
            since = shown(step.began_at, day) if step.began_at else "?"
            running.append(Line(step.id, step.title, f"{step.role or 'no role'} · "
                                f"{step.began_by} since {since} · {left}", step.over_estimate))
    approvals = []
    for pending in state.pending_approvals:
        step = state.step(pending.step)
        assert step is not None
        approvals.append(Line(pending.step, step.title, f"by {pending.role}"
                              + (" · ready now" if pending.unblocked else " · blocked"),
                              pending.unblocked))
    titles = {s.id: s.title for s in state.steps}
    events = [(shown(e.at, day), e.by, e.kind, _what(e, titles))
              for e in reversed(state.events[-RECENT:])]
    pin = state.pinned
    return Board(
        state=state, org=view.org, now=shown(state.now, day), given=view.given,
        boxes=tuple(boxes), edges=tuple(edges), width=width, height=height,
        by_role=tuple(by_role), running=tuple(running), approvals=tuple(approvals),
        events=tuple(events), figures=tuple(_figures(state)),
        legend=tuple((LABELS[k], fill, stroke) for k, (fill, stroke) in COLORS.items()),
        refresh=REFRESH_SECONDS if state.is_open else None,
        pinned=f"{pin.file} {_version(pin.commit, pin.uncommitted)} · sha256 {pin.sha256[:12]}",
        riskkit_version=__version__)


def board_context(view: NowView) -> dict[str, Any]:
    """The board template's namespace."""
    return {"board": board(view), "critical": CRITICAL, "box_w": BOX_W, "box_h": BOX_H}


def board_html(view: NowView) -> str:
    """The status board of ``incident now --format html``."""
    return render_template(view.root, "board.html.j2", board_context(view))
