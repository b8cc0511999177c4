"""The runbook graph: steps and their ``needs`` as a networkx DAG.

Functions here take and return plain data (step ids, minutes); networkx stays inside.
Ties are broken by the steps' order in the file, so every answer is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from riskkit.problems import InputError

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Node:
    """What the graph needs to know of a step."""

    id: str
    needs: tuple[str, ...]
    minutes: float | None = None
    when: tuple[str, ...] = ()
    mitigates: bool = False  # the impact is over when this step is done


@dataclass(frozen=True)
class Plan:
    """The derived shape of a runbook graph.

    ``critical_path`` and ``eta_minutes`` run to the point where the impact is over: the
    marked (``mitigates``) step that can finish first, or, with no step marked, the end of
    the whole runbook. ``finish_path`` and ``finish_minutes`` run to the end of every step,
    follow-up included; they equal the former when nothing is marked.
    """

    stages: list[list[str]]
    critical_path: list[str]
    eta_minutes: float
    entry: list[str]
    exit: list[str]
    finish_path: list[str] = field(default_factory=list)
    finish_minutes: float = 0
    mitigated_by: str | None = None  # the marked step that ends the impact, if any


def digraph(nodes: list[Node]) -> nx.DiGraph[str]:
    import networkx as nx

    graph: nx.DiGraph[str] = nx.DiGraph()
    for node in nodes:
        graph.add_node(node.id)
    for node in nodes:
        for need in node.needs:
            if need in graph:
                graph.add_edge(need, node.id)
    return graph


def cycles(nodes: list[Node]) -> list[list[str]]:
    """One cycle per tangled group of steps, each as step ids in dependency order."""
    order = {node.id: i for i, node in enumerate(nodes)}
    by_id = {node.id for node in nodes}
    needs = {node.id: [n for n in node.needs if n in by_id] for node in nodes}
    try:  # the common case, an acyclic runbook, needs no graph library
        _topological(nodes, needs, order)
        return []
    except ValueError:
        pass
    import networkx as nx

    graph = digraph(nodes)
    found = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            (only,) = component
            if not graph.has_edge(only, only):
                continue
        start = min(component, key=order.__getitem__)
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        cycle = [u for u, _ in edges]
        first = cycle.index(min(cycle, key=order.__getitem__))
        found.append(cycle[first:] + cycle[:first])
    return sorted(found, key=lambda c: order[c[0]])


def plan(nodes: list[Node]) -> Plan:
    """Stages, critical path and its length for an acyclic list of steps."""
    order = {node.id: i for i, node in enumerate(nodes)}
    by_id = {node.id: node for node in nodes}
    needs = {node.id: [n for n in node.needs if n in by_id] for node in nodes}
    stage_of: dict[str, int] = {}
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for step_id in _topological(nodes, needs, order):
        preds = needs[step_id]
        stage_of[step_id] = 1 + max((stage_of[p] for p in preds), default=-1)
        best = None
        for pred in preds:  # the latest-finishing need; the first in the file on ties
            if best is None or finish[pred] > finish[best] or (
                    finish[pred] == finish[best] and order[pred] < order[best]):
                best = pred
        via[step_id] = best
        finish[step_id] = (finish[best] if best else 0.0) + (by_id[step_id].minutes or 0)
    stages: list[list[str]] = [[] for _ in range(max(stage_of.values(), default=-1) + 1)]
    for step_id in sorted(stage_of, key=order.__getitem__):
        stages[stage_of[step_id]].append(step_id)
    has_dependents = {p for preds in needs.values() for p in preds}
    exits = [n.id for n in nodes if n.id not in has_dependents]

    def path_to(end: str | None) -> list[str]:
        path: list[str] = []
        while end is not None:
            path.append(end)
            end = via[end]
        return path[::-1]

    # The whole path ends at an exit step, so unestimated closing steps stay on it.
    whole = path_to(max(exits, key=lambda s: (finish[s], -order[s]))) if finish else []
    marked = [n.id for n in nodes if n.mitigates]
    # The impact is over as soon as any marked step is done: the earliest one to finish
    # (the first in the file on ties), reached by the longest dependency path to it.
    mitigated_by = min(marked, key=lambda s: (finish[s], order[s])) if marked else None
    path = path_to(mitigated_by) if mitigated_by else whole
    return Plan(
        stages=stages,
        critical_path=path,
        eta_minutes=_clean(finish[path[-1]]) if path else 0,
        entry=[n.id for n in nodes if not needs[n.id]],
        exit=exits,
        finish_path=whole,
        finish_minutes=_clean(finish[whole[-1]]) if whole else 0,
        mitigated_by=mitigated_by,
    )


def timed(nodes: list[Node], measured: Mapping[str, float]) -> list[Node]:
    """The nodes with each step's measured minutes in place of its estimate, where one
    was measured: the graph "as drilled"."""
    return [replace(n, minutes=measured[n.id]) if n.id in measured else n for n in nodes]


def _clean(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _topological(nodes: list[Node], needs: Mapping[str, list[str]],
                 order: Mapping[str, int]) -> list[str]:
    """Kahn's algorithm, taking ready steps in file order."""
    import heapq

    remaining = {node.id: len(needs[node.id]) for node in nodes}
    dependents: dict[str, list[str]] = {node.id: [] for node in nodes}
    for step_id, preds in needs.items():
        for pred in preds:
            dependents[pred].append(step_id)
    ready = [(order[s], s) for s, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, step_id = heapq.heappop(ready)
        out.append(step_id)
        for nxt in dependents[step_id]:
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                heapq.heappush(ready, (order[nxt], nxt))
    if len(out) != len(nodes):
        raise ValueError("graph has a cycle")
    return out


MAX_NEEDS = 200_000  # needs in a scenario's plan beyond those the file itself writes


class PlanTooLarge(InputError):
    """Dropping a scenario's steps would give the steps left too many needs to show."""


def prune(nodes: list[Node], scenario: str) -> list[Node]:
    """Drop the steps whose ``when`` excludes ``scenario``; keep the order they imposed.

    A kept step that needed a dropped step inherits that step's own needs (through any
    number of dropped steps: worked out without recursion, each dropped step once). A
    dropped step between many steps before it and many after it would give each step
    after it every step before it: past :data:`MAX_NEEDS` needs more than the runbook
    writes, :class:`PlanTooLarge` is raised (validate reports it, see trial.py).
    """
    by_id = {node.id: node for node in nodes}
    dropped = {n.id for n in nodes if n.when and scenario not in n.when}
    resolved: dict[str, tuple[str, ...]] = {}  # a dropped step -> the kept steps it needs

    def resolve(start: str) -> tuple[str, ...]:
        """The kept steps a dropped step needs, through other dropped steps, in order."""
        if start in resolved:
            return resolved[start]
        resolved[start] = ()  # in progress: a cycle among dropped steps adds nothing
        found: dict[str, dict[str, None]] = {start: {}}  # ordered sets, per step
        stack = [(start, iter(by_id[start].needs))]
        while stack:
            step_id, needs = stack[-1]
            for need in needs:
                if need not in by_id:
                    continue
                if need not in dropped:
                    found[step_id][need] = None
                elif need in resolved:  # done, or in progress (a cycle)
                    found[step_id].update(dict.fromkeys(resolved[need]))
                else:
                    resolved[need] = ()
                    found[need] = {}
                    stack.append((need, iter(by_id[need].needs)))
                    break
            else:
                stack.pop()
                resolved[step_id] = tuple(found.pop(step_id))
                if stack:
                    found[stack[-1][0]].update(dict.fromkeys(resolved[step_id]))
        return resolved[start]

    written = sum(len(n.needs) for n in nodes)
    total = 0
    kept = []
    for node in nodes:
        if node.id in dropped:
            continue
        needs: dict[str, None] = {}
        for need in node.needs:
            if need in dropped:
                needs.update(dict.fromkeys(resolve(need)))
            else:
                needs[need] = None
        total += len(needs)
        if total > written + MAX_NEEDS:
            raise PlanTooLarge(f"scenario '{scenario}': dropping the steps that do not apply "
                               f"gives the steps left more than {MAX_NEEDS:,} needs beyond "
                               "those written (a dropped step between many steps before it "
                               "and many after it); add the needs in the file instead")
        left = tuple(needs)
        kept.append(node if left == node.needs else replace(node, needs=left))
    return kept
