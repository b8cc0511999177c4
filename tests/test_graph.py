"""The runbook graph: stages, critical path, ETA, scenario pruning and cycles.

The hand-checked cases were worked out on paper; the property tests compare riskkit's
answers with independent computations (brute-force path enumeration, networkx's own
topological generations, transitive reachability) on random small DAGs.
"""

from __future__ import annotations

import dataclasses
import itertools

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskkit.runbook.graph import Node, cycles, plan, prune


def nodes(*specs) -> list[Node]:
    """``("b", ["a"], 5)`` or ``("b", ["a"], 5, ["x"])`` -> Nodes, in the order given."""
    out = []
    for spec in specs:
        ident, needs, minutes, *rest = spec
        out.append(Node(ident, tuple(needs), minutes, tuple(rest[0]) if rest else ()))
    return out


# --- hand-checked plans ------------------------------------------------------------------

def test_diamond_with_heavier_right_branch():
    # a(5) -> b(3), c(10) -> d(2): the two routes are 5+3+2=10 and 5+10+2=17.
    shape = plan(nodes(("a", [], 5), ("b", ["a"], 3), ("c", ["a"], 10), ("d", ["b", "c"], 2)))
    assert shape.stages == [["a"], ["b", "c"], ["d"]]
    assert shape.critical_path == ["a", "c", "d"]
    assert shape.eta_minutes == 17
    assert shape.entry == ["a"]
    assert shape.exit == ["d"]


def test_diamond_with_heavier_left_branch():
    # a(5) -> b(10), c(3) -> d(2): routes 5+10+2=17 and 5+3+2=10.
    shape = plan(nodes(("a", [], 5), ("b", ["a"], 10), ("c", ["a"], 3), ("d", ["b", "c"], 2)))
    assert shape.stages == [["a"], ["b", "c"], ["d"]]
    assert shape.critical_path == ["a", "b", "d"]
    assert shape.eta_minutes == 17


def test_parallel_branches_of_unequal_length():
    # start(1) then two independent branches: x1(4) -> x2(4) -> x3(4) = 12 and y1(20) = 20;
    # both feed end(1). Longest: start, y1, end = 22 although the x-branch has more steps.
    shape = plan(nodes(("start", [], 1),
                       ("x1", ["start"], 4), ("x2", ["x1"], 4), ("x3", ["x2"], 4),
                       ("y1", ["start"], 20),
                       ("end", ["x3", "y1"], 1)))
    assert shape.stages == [["start"], ["x1", "y1"], ["x2"], ["x3"], ["end"]]
    assert shape.critical_path == ["start", "y1", "end"]
    assert shape.eta_minutes == 22


def test_long_branch_wins_when_it_is_longer_in_minutes():
    shape = plan(nodes(("start", [], 1),
                       ("x1", ["start"], 8), ("x2", ["x1"], 8), ("x3", ["x2"], 8),
                       ("y1", ["start"], 20),
                       ("end", ["x3", "y1"], 1)))
    assert shape.critical_path == ["start", "x1", "x2", "x3", "end"]
    assert shape.eta_minutes == 26


def test_disconnected_branches_critical_path_is_the_longest_one():
    shape = plan(nodes(("a", [], 3), ("b", ["a"], 3), ("c", [], 4), ("d", ["c"], 4)))
    assert shape.stages == [["a", "c"], ["b", "d"]]
    assert shape.critical_path == ["c", "d"]
    assert shape.eta_minutes == 8
    assert shape.entry == ["a", "c"]
    assert shape.exit == ["b", "d"]


def test_step_without_minutes_counts_zero():
    shape = plan(nodes(("a", [], 5), ("b", ["a"], None), ("c", ["b"], 2)))
    assert shape.stages == [["a"], ["b"], ["c"]]
    assert shape.critical_path == ["a", "b", "c"]
    assert shape.eta_minutes == 7


def test_no_minutes_anywhere_gives_eta_zero():
    shape = plan(nodes(("a", [], None), ("b", ["a"], None)))
    assert shape.eta_minutes == 0
    assert shape.stages == [["a"], ["b"]]


def test_critical_path_runs_on_to_an_exit_step_through_unestimated_steps():
    # A last step without an estimate still has to be done: the critical path is a chain
    # from an entry step to an exit step, not cut short where the minutes stop growing.
    shape = plan(nodes(("a", [], 5), ("b", ["a"], 3), ("close", ["b"], None)))
    assert shape.eta_minutes == 8
    assert shape.critical_path == ["a", "b", "close"]
    unestimated = plan(nodes(("a", [], None), ("b", ["a"], None)))
    assert unestimated.critical_path == ["a", "b"]


def test_fractional_minutes_are_kept():
    shape = plan(nodes(("a", [], 0.5), ("b", ["a"], 0.25)))
    assert shape.eta_minutes == 0.75


def test_integral_eta_is_an_int():
    shape = plan(nodes(("a", [], 2.5), ("b", ["a"], 2.5)))
    assert shape.eta_minutes == 5
    assert isinstance(shape.eta_minutes, int)


def test_single_step():
    shape = plan(nodes(("only", [], 9)))
    assert shape.stages == [["only"]]
    assert shape.critical_path == ["only"]
    assert shape.eta_minutes == 9
    assert shape.entry == shape.exit == ["only"]


def test_empty_graph():
    shape = plan([])
    assert shape.stages == []
    assert shape.critical_path == []
    assert shape.eta_minutes == 0


def test_needs_may_point_forward_in_the_file():
    # File order is not dependency order: "late" is written first but needs "early".
    shape = plan(nodes(("late", ["early"], 1), ("early", [], 2)))
    assert shape.stages == [["early"], ["late"]]
    assert shape.critical_path == ["early", "late"]
    assert shape.eta_minutes == 3


def test_stage_members_keep_file_order():
    shape = plan(nodes(("root", [], 1), ("z", ["root"], 1), ("m", ["root"], 1),
                       ("a", ["root"], 1)))
    assert shape.stages == [["root"], ["z", "m", "a"]]


def test_entry_and_exit_steps():
    #   a     b
    #   |  \  |
    #   c    d     e (alone)
    shape = plan(nodes(("a", [], 1), ("b", [], 1), ("c", ["a"], 1), ("d", ["a", "b"], 1),
                       ("e", [], 1)))
    assert shape.entry == ["a", "b", "e"]
    assert shape.exit == ["c", "d", "e"]


def test_critical_path_ties_go_to_the_first_step_in_file_order():
    # Two equal ends: the first in file order ends the critical path.
    shape = plan(nodes(("a", [], 5), ("b", [], 5)))
    assert shape.critical_path == ["a"]
    assert shape.eta_minutes == 5


def test_critical_path_tie_between_needs_follows_file_order_not_needs_order():
    # b and c both finish at minute 10; the module promises ties broken by file order, so
    # the critical path runs through b (written before c) whatever order d lists its needs.
    listed_bc = plan(nodes(("a", [], 5), ("b", ["a"], 5), ("c", ["a"], 5),
                           ("d", ["b", "c"], 1)))
    listed_cb = plan(nodes(("a", [], 5), ("b", ["a"], 5), ("c", ["a"], 5),
                           ("d", ["c", "b"], 1)))
    assert listed_bc.critical_path == ["a", "b", "d"]
    assert listed_cb.critical_path == ["a", "b", "d"]


def test_plan_refuses_a_cycle():
    with pytest.raises(ValueError):
        plan(nodes(("a", ["b"], 1), ("b", ["a"], 1)))


# --- pruning for a scenario --------------------------------------------------------------

def test_prune_removes_a_middle_step_and_its_dependent_inherits():
    graph = nodes(("a", [], 1), ("b", ["a"], 5, ["x"]), ("c", ["b"], 2))
    pruned = prune(graph, "y")
    assert [n.id for n in pruned] == ["a", "c"]
    assert pruned[1].needs == ("a",)
    shape = plan(pruned)
    assert shape.stages == [["a"], ["c"]]
    assert shape.eta_minutes == 3


def test_prune_keeps_the_step_for_its_own_scenario():
    graph = nodes(("a", [], 1), ("b", ["a"], 5, ["x"]), ("c", ["b"], 2))
    assert prune(graph, "x") == graph
    assert plan(prune(graph, "x")).eta_minutes == 8


def test_prune_through_a_chain_of_dropped_steps():
    # a -> b(x) -> c(x) -> d(x) -> e: for scenario y, e comes straight after a.
    graph = nodes(("a", [], 1), ("b", ["a"], 1, ["x"]), ("c", ["b"], 1, ["x"]),
                  ("d", ["c"], 1, ["x"]), ("e", ["d"], 1))
    pruned = prune(graph, "y")
    assert [(n.id, n.needs) for n in pruned] == [("a", ()), ("e", ("a",))]


def test_prune_dropped_step_with_several_needs_passes_all_of_them_on():
    # a, b -> m(x) -> z, and z also needs a directly: no duplicate need after pruning.
    graph = nodes(("a", [], 1), ("b", [], 1), ("m", ["a", "b"], 1, ["x"]),
                  ("z", ["a", "m"], 1))
    pruned = prune(graph, "y")
    assert [(n.id, n.needs) for n in pruned] == [("a", ()), ("b", ()), ("z", ("a", "b"))]


def test_prune_dropped_entry_step_leaves_its_dependents_as_entries():
    graph = nodes(("a", [], 1, ["x"]), ("b", ["a"], 1), ("c", ["b"], 1))
    pruned = prune(graph, "y")
    assert [(n.id, n.needs) for n in pruned] == [("b", ()), ("c", ("b",))]
    assert plan(pruned).entry == ["b"]


def test_prune_step_listing_several_scenarios():
    graph = nodes(("a", [], 1), ("b", ["a"], 1, ["x", "y"]), ("c", ["a"], 1, ["z"]))
    assert [n.id for n in prune(graph, "y")] == ["a", "b"]
    assert [n.id for n in prune(graph, "z")] == ["a", "c"]


def test_prune_keeps_steps_without_when_for_every_scenario():
    graph = nodes(("a", [], 1), ("b", ["a"], 1))
    assert prune(graph, "anything") == graph


# --- cycles ------------------------------------------------------------------------------

def test_cycle_named_in_dependency_order_from_the_first_step_in_file():
    # a needs c, b needs a, c needs b: a -> b -> c -> a.
    graph = nodes(("a", ["c"], 1), ("b", ["a"], 1), ("c", ["b"], 1))
    assert cycles(graph) == [["a", "b", "c"]]


def test_cycle_starts_at_its_first_step_in_file_order_whatever_the_writing():
    # The same cycle, written starting with c: it is named from c, the first in the file.
    graph = nodes(("c", ["b"], 1), ("a", ["c"], 1), ("b", ["a"], 1))
    assert cycles(graph) == [["c", "a", "b"]]


def test_cycle_ignores_steps_outside_it():
    graph = nodes(("start", [], 1), ("p", ["start", "r"], 1), ("q", ["p"], 1),
                  ("r", ["q"], 1), ("after", ["r"], 1))
    assert cycles(graph) == [["p", "q", "r"]]


def test_self_loop_is_a_cycle_of_one():
    graph = nodes(("a", [], 1), ("b", ["b"], 1))
    assert cycles(graph) == [["b"]]


def test_two_separate_cycles_in_file_order():
    graph = nodes(("x", ["y"], 1), ("a", ["b"], 1), ("b", ["a"], 1), ("y", ["x"], 1))
    assert cycles(graph) == [["x", "y"], ["a", "b"]]


def test_acyclic_graph_has_no_cycles():
    graph = nodes(("a", [], 5), ("b", ["a"], 3), ("c", ["a"], 10), ("d", ["b", "c"], 2))
    assert cycles(graph) == []


def test_unknown_needs_are_ignored_by_the_graph():
    # Unknown needs are reported by the loader; the graph functions must not trip on them.
    graph = nodes(("a", ["ghost"], 2), ("b", ["a"], 3))
    assert cycles(graph) == []
    shape = plan(graph)
    assert shape.entry == ["a"]
    assert shape.eta_minutes == 5


# --- properties on random small DAGs -----------------------------------------------------

MINUTES = st.one_of(st.none(), st.integers(0, 60), st.sampled_from([0.5, 2.5, 7.25]))


@st.composite
def dags(draw, scenarios: bool = False):
    """A random DAG of <= 8 steps. Edges only go forward in a hidden topological order,
    and the file order is an independent shuffle of it, so needs may point forward."""
    n = draw(st.integers(0, 8))
    topo = draw(st.permutations(range(n)))
    file_order = draw(st.permutations(range(n)))
    needs = {i: [] for i in range(n)}
    for a, b in itertools.combinations(range(n), 2):
        if draw(st.booleans()):
            needs[topo[b]].append(topo[a])
    out = []
    for i in file_order:
        minutes = draw(MINUTES)
        when = tuple(draw(st.lists(st.sampled_from(["x", "y", "z"]), unique=True,
                                   max_size=2))) if scenarios else ()
        need_ids = draw(st.permutations([f"s{j}" for j in needs[i]]))
        out.append(Node(f"s{i}", tuple(need_ids), minutes, when))
    return out


def to_nx(graph: list[Node]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in graph)
    g.add_edges_from((need, n.id) for n in graph for need in n.needs)
    return g


def brute_force_longest(graph: list[Node]) -> float:
    """Enumerate every path (every start, every extension) and sum its minutes."""
    weight = {n.id: n.minutes or 0 for n in graph}
    dependents = {n.id: [] for n in graph}
    for n in graph:
        for need in n.needs:
            dependents[need].append(n.id)
    best = 0

    def walk(step, total):
        nonlocal best
        total += weight[step]
        best = max(best, total)
        for nxt in dependents[step]:
            walk(nxt, total)

    for n in graph:
        walk(n.id, 0)
    return best


PROPS = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(dags())
def test_eta_is_the_brute_force_longest_path(graph):
    assert plan(graph).eta_minutes == brute_force_longest(graph)


@PROPS
@given(dags())
def test_critical_path_is_a_real_path_of_eta_length(graph):
    shape = plan(graph)
    if not graph:
        assert shape.critical_path == []
        return
    needs = {n.id: set(n.needs) for n in graph}
    minutes = {n.id: n.minutes or 0 for n in graph}
    path = shape.critical_path
    assert not needs[path[0]], "the critical path starts at an entry step"
    for before, after in zip(path, path[1:]):
        assert before in needs[after]
    assert sum(minutes[s] for s in path) == shape.eta_minutes


@PROPS
@given(dags())
def test_critical_path_ends_at_an_exit_step(graph):
    shape = plan(graph)
    if graph:
        assert shape.critical_path[-1] in shape.exit


@PROPS
@given(dags())
def test_stages_are_networkx_topological_generations(graph):
    shape = plan(graph)
    expected = [set(gen) for gen in nx.topological_generations(to_nx(graph))]
    assert [set(stage) for stage in shape.stages] == expected


@PROPS
@given(dags())
def test_every_need_is_in_an_earlier_stage_and_stages_keep_file_order(graph):
    shape = plan(graph)
    stage_of = {sid: i for i, stage in enumerate(shape.stages) for sid in stage}
    assert sorted(stage_of) == sorted(n.id for n in graph)
    assert sum(map(len, shape.stages)) == len(graph)
    for n in graph:
        for need in n.needs:
            assert stage_of[need] < stage_of[n.id]
    order = {n.id: i for i, n in enumerate(graph)}
    for stage in shape.stages:
        assert stage == sorted(stage, key=order.__getitem__)


@PROPS
@given(dags())
def test_entry_and_exit_match_the_graph(graph):
    shape = plan(graph)
    g = to_nx(graph)
    assert shape.entry == [n.id for n in graph if g.in_degree(n.id) == 0]
    assert shape.exit == [n.id for n in graph if g.out_degree(n.id) == 0]


@PROPS
@given(dags())
def test_random_dags_have_no_cycles(graph):
    assert cycles(graph) == []


@pytest.mark.slow  # over a second of examples
@PROPS
@given(dags(scenarios=True), st.sampled_from(["x", "y", "z"]))
def test_prune_keeps_exactly_the_order_among_kept_steps(graph, scenario):
    pruned = prune(graph, scenario)
    kept = [n.id for n in graph if not n.when or scenario in n.when]
    assert [n.id for n in pruned] == kept
    before = nx.transitive_closure_dag(to_nx(graph))
    after = nx.transitive_closure_dag(to_nx(pruned))
    for u, v in itertools.permutations(kept, 2):
        # kept order survives, and pruning invents no new order
        assert before.has_edge(u, v) == after.has_edge(u, v), (u, v)
    assert cycles(pruned) == []


@pytest.mark.slow  # over a second of examples
@PROPS
@given(dags(scenarios=True), st.sampled_from(["x", "y", "z"]))
def test_pruned_eta_never_exceeds_the_original(graph, scenario):
    pruned = prune(graph, scenario)
    assert plan(pruned).eta_minutes <= plan(graph).eta_minutes
    assert plan(pruned).eta_minutes == brute_force_longest(pruned)


@pytest.mark.slow  # over a second of examples
@PROPS
@given(dags(scenarios=True), st.sampled_from(["x", "y", "z"]))
def test_pruned_steps_keep_their_minutes_and_when(graph, scenario):
    original = {n.id: n for n in graph}
    for n in prune(graph, scenario):
        assert n.minutes == original[n.id].minutes
        assert n.when == original[n.id].when
        assert len(set(n.needs)) == len(n.needs)


# --- the mitigation point: time to mitigate is not time to close ---------------------------

def marked(graph: list[Node], *ids: str) -> list[Node]:
    return [dataclasses.replace(n, mitigates=n.id in ids) for n in graph]


DIAMOND = nodes(("a", [], 5), ("b", ["a"], 3), ("c", ["a"], 10), ("d", ["b", "c"], 2),
                ("e", ["d"], 20))


def test_without_a_mark_the_whole_runbook_is_the_time_to_mitigate():
    shape = plan(DIAMOND)
    assert shape.mitigated_by is None
    assert shape.eta_minutes == shape.finish_minutes == 37
    assert shape.critical_path == shape.finish_path == ["a", "c", "d", "e"]


def test_the_time_to_mitigate_runs_to_the_marked_step_by_its_longest_path():
    # d is done at 5+10+2 = 17 (through c, not b); e is follow-up.
    shape = plan(marked(DIAMOND, "d"))
    assert (shape.mitigated_by, shape.eta_minutes, shape.critical_path) == \
        ("d", 17, ["a", "c", "d"])
    assert (shape.finish_minutes, shape.finish_path) == (37, ["a", "c", "d", "e"])
    # follow-up steps keep their stages
    assert shape.stages == [["a"], ["b", "c"], ["d"], ["e"]]


def test_with_several_marks_the_first_to_finish_ends_the_impact():
    shape = plan(marked(DIAMOND, "c", "b", "e"))
    assert (shape.mitigated_by, shape.eta_minutes, shape.critical_path) == ("b", 8, ["a", "b"])
    # a tie goes to the step first in the file
    tie = nodes(("a", [], 1), ("x", ["a"], 4), ("y", ["a"], 4))
    assert plan(marked(tie, "y", "x")).mitigated_by == "x"


def test_a_scenario_counts_only_its_own_marked_steps():
    graph = marked(nodes(("a", [], 5), ("fast", ["a"], 2, ["x"]), ("slow", ["a"], 30, ["y"]),
                         ("join", ["fast", "slow"], 3), ("tidy", ["join"], 10)),
                   "fast", "slow")
    assert plan(prune(graph, "y")).mitigated_by == "slow"
    assert plan(prune(graph, "y")).eta_minutes == 35
    assert plan(prune(graph, "x")).eta_minutes == 7
    assert plan(prune(graph, "x")).finish_minutes == 20
    # marked on the step where the branches join, every scenario is held to its own path
    joined = marked(graph, "join")
    assert [plan(prune(joined, s)).eta_minutes for s in "xy"] == [10, 38]
    assert plan(joined).eta_minutes == 38  # without a scenario: the slowest branch


def test_a_scenario_without_marked_steps_counts_its_whole_plan():
    graph = marked(nodes(("a", [], 5), ("b", ["a"], 3, ["x"]), ("c", ["a"], 4)), "b")
    shape = plan(prune(graph, "y"))
    assert shape.mitigated_by is None and shape.eta_minutes == shape.finish_minutes == 9


def test_timed_puts_measured_minutes_in_place_of_estimates():
    from riskkit.runbook.graph import timed

    drilled = plan(timed(marked(DIAMOND, "d"), {"b": 30, "e": 1}))
    assert (drilled.eta_minutes, drilled.critical_path) == (37, ["a", "b", "d"])
    assert drilled.finish_minutes == 38


def brute_force_to(graph: list[Node], end: str) -> float:
    """The longest path ending at ``end``: its minutes plus the longest path to a need."""
    by_id = {n.id: n for n in graph}

    def longest(step: str) -> float:
        node = by_id[step]
        return (node.minutes or 0) + max((longest(n) for n in node.needs), default=0)

    return longest(end)


@PROPS
@given(dags(), st.data())
def test_time_to_mitigate_is_the_earliest_marked_finish(graph, data):
    ids = [n.id for n in graph]
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
    graph = marked(graph, *chosen)
    shape = plan(graph)
    assert shape.finish_minutes == brute_force_longest(graph)
    if not chosen:
        assert shape.eta_minutes == shape.finish_minutes and shape.mitigated_by is None
        return
    assert shape.eta_minutes == min(brute_force_to(graph, s) for s in chosen)
    assert shape.mitigated_by in chosen and shape.critical_path[-1] == shape.mitigated_by
    minutes = {n.id: n.minutes or 0 for n in graph}
    assert sum(minutes[s] for s in shape.critical_path) == shape.eta_minutes
    assert shape.eta_minutes <= shape.finish_minutes
