"""Sizes that once grew quadratically or recursed: the answers on generated inputs.

Runbooks of 10,000 steps in a chain, in one wide stage, alternating between two
scenarios (a chain of dropped steps), with a typo in every step; a step dropped between
thousands of others; a matrix of 20,000 levels; input defaults that all use each other.
These tests check what riskkit answers, never how long it takes: ``bench/run.py`` times
the same shapes, as ratios. Where riskkit sets a limit instead, validate reports it at
its line and every command gives the same answer.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit.problems import Names, did_you_mean
from riskkit.runbook import graph
from riskkit.runbook.view import StepView, stage_kind

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import shapes  # noqa: E402

SETTINGS = "name: T\nmatrix: 5x5\nroles:\n  sre: {title: SRE on-call}\n"
AS_OF = ("--as-of", "2026-11-26")


def workspace(make_ws, text: str) -> Path:
    return make_ws({"runbooks/big.yaml": text}, settings=SETTINGS)


def show(run, root: Path, *args: str) -> dict:
    result = run("-C", root, "runbook", "show", "big", "--format", "json", *args, *AS_OF)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def minutes(i: int) -> int:
    return 1 + i % 9  # as bench/shapes.py writes them


SIZES = [2_500, pytest.param(10_000, marks=pytest.mark.slow)]


@pytest.mark.parametrize("n", SIZES)
def test_a_chain_of_steps(run, make_ws, n):
    root = workspace(make_ws, shapes.chain(n))
    assert run("-C", root, "validate", *AS_OF).exit_code == 0
    plan = show(run, root)
    assert len(plan["stages"]) == n and plan["critical_path"] == [f"s{i}" for i in range(n)]
    assert plan["eta_minutes"] == sum(minutes(i) for i in range(n))
    assert [s["stage"] for s in plan["steps"][:3]] == [1, 2, 3]
    rendered = run("-C", root, "runbook", "render", "big", *AS_OF)
    assert rendered.exit_code == 0 and rendered.stdout.count("- [ ]") >= n


@pytest.mark.parametrize("n", SIZES)
def test_one_stage_of_steps_in_parallel(run, make_ws, n):
    root = workspace(make_ws, shapes.wide(n))
    plan = show(run, root)
    assert [len(stage) for stage in plan["stages"]] == [1, n - 2, 1]
    text = run("-C", root, "runbook", "show", "big", *AS_OF).stdout
    assert "Stage 2 (in parallel)" in text
    assert plan["steps"][-1]["needs"] == [f"s{i}" for i in range(1, n - 1)]


@pytest.mark.parametrize("n", SIZES)
def test_a_scenario_that_drops_every_other_step(run, make_ws, n):
    """Each kept step inherits the need of the dropped step before it: over a thousand
    dropped steps in a chain (once too deep for recursion), worked out without it."""
    root = workspace(make_ws, shapes.scenarios(n))
    assert run("-C", root, "validate", *AS_OF).exit_code == 0
    plan = show(run, root, "--scenario", "a")
    kept = [f"s{i}" for i in range(1, n, 2)]
    assert plan["critical_path"] == kept
    assert [s["needs"] for s in plan["steps"][:3]] == [[], ["s1"], ["s3"]]
    assert plan["eta_minutes"] == sum(minutes(i) for i in range(1, n, 2))
    rendered = run("-C", root, "runbook", "render", "big", "--scenario", "b", *AS_OF)
    assert rendered.exit_code == 0


@pytest.mark.parametrize("n", SIZES)
def test_a_typo_in_each_step_gets_its_did_you_mean(run, make_ws, n):
    root = workspace(make_ws, shapes.typos(n))
    result = run("-C", root, "validate", *AS_OF)
    lines = [ln for ln in result.stdout.splitlines() if " B002 " in ln]
    assert len(lines) == n - 1
    assert all(ln.endswith(f"needs unknown step 's{i}x' (did you mean 's{i}'?)")
               for i, ln in enumerate(lines))


@pytest.mark.parametrize("n", [2_501, pytest.param(10_001, marks=pytest.mark.slow)])
def test_a_step_dropped_between_thousands_is_a_limit_validate_reports(run, make_ws, n):
    """Dropping it would give each of the steps after it every step before it: millions
    of needs. validate refuses the scenario at its line (B017); the plan of that scenario
    is refused with the same words; every other plan is given."""
    root = workspace(make_ws, shapes.fan(n))
    result = run("-C", root, "validate", *AS_OF)
    assert result.exit_code == 1
    assert result.stdout.startswith("runbooks/big.yaml:4:16: B017 big: scenario 'a': ")
    for command in ("show", "render"):
        refused = run("-C", root, "runbook", command, "big", "--scenario", "a", *AS_OF)
        assert refused.exit_code == 1 and "more than 200,000 needs" in refused.stderr
    plan = show(run, root, "--scenario", "b")
    assert plan["steps"] == [] or len(plan["steps"]) == 1
    assert len(show(run, root)["stages"]) == 3  # no scenario: nothing is dropped


@pytest.mark.slow  # parsing and explaining 80,000 values takes seconds
def test_a_matrix_of_20000_levels_is_refused_by_its_size(run, make_ws):
    root = make_ws({"m.yaml": shapes.matrix(20_000, scale_size=5)},
                   settings="name: T\nmatrix: m.yaml\n")
    for args in (["validate"], ["risks"]):
        result = run("-C", root, *args, *AS_OF)
        assert result.exit_code == 2, args
        assert "m.yaml:15:3: S103 levels: has 20000 item(s); riskkit takes at most 100" \
            in result.output, result.output


def test_a_matrix_of_100_by_100_is_read_and_drawn(run, make_ws):
    root = make_ws({"m.yaml": shapes.matrix(100),
                    "risks/r.yaml": "id: RSK-1\ntitle: t\nowner: o\nstatus: open\n"
                                    "likelihood: 100\nimpact: v99\n"},
                   settings="name: T\nmatrix: m.yaml\n")
    assert run("-C", root, "validate", *AS_OF).exit_code == 0
    risks = json.loads(run("-C", root, "risks", "--format", "json", *AS_OF).stdout)
    assert risks[0]["score"] == 10_000 if isinstance(risks, list) else True
    assert run("-C", root, "matrix", *AS_OF).exit_code == 0


def test_input_defaults_that_all_use_each_other_are_one_circle(run, make_ws):
    """30 inputs whose defaults each use every other: the circles among them were once
    searched path by path (more paths than there are atoms); one is reported."""
    names = [f"i{k:02d}" for k in range(30)]
    inputs = "".join(
        f"  {name}: {{default: \"{' '.join('{{ ' + o + ' }}' for o in names if o != name)}\"}}\n"
        for name in names)
    root = workspace(make_ws, "id: big\ntitle: T\ntriggers: [t]\ninputs:\n" + inputs
                     + "steps:\n  - {id: a, title: A, role: sre, minutes: 1}\n")
    result = run("-C", root, "validate", *AS_OF)
    lines = [ln for ln in result.stdout.splitlines() if " B015 " in ln]
    assert lines == ["runbooks/big.yaml:5:16: B015 big: input defaults depend on each other "
                     "in a circle: i00 -> i01 -> i00"] or \
        (len(lines) == 1 and "i00 -> " in lines[0]), result.stdout


# --- the algorithms against their plain definitions ----------------------------------------

def prune_by_definition(nodes: list[graph.Node], scenario: str) -> list[graph.Node]:
    """The recursive definition pruning had before it became iterative."""
    by_id = {node.id: node for node in nodes}
    dropped = {n.id for n in nodes if n.when and scenario not in n.when}
    memo: dict[str, list[str]] = {}

    def resolve(step_id: str) -> list[str]:
        if step_id not in dropped:
            return [step_id]
        if step_id not in memo:
            memo[step_id] = []
            out: list[str] = []
            for need in by_id[step_id].needs:
                if need in by_id:
                    out.extend(resolve(need))
            memo[step_id] = out
        return memo[step_id]

    kept = []
    for node in nodes:
        if node.id in dropped:
            continue
        needs: list[str] = []
        for need in node.needs:
            for found in (resolve(need) if need in by_id else [need]):
                if found not in needs:
                    needs.append(found)
        kept.append(replace(node, needs=tuple(needs)))
    return kept


@st.composite
def graphs(draw: st.DrawFn) -> list[graph.Node]:
    n = draw(st.integers(1, 12))
    ids = [f"s{i}" for i in range(n)]
    nodes = []
    for i in range(n):
        needs = draw(st.lists(st.sampled_from(ids + ["ghost"]), max_size=4))
        when = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True))
        nodes.append(graph.Node(ids[i], tuple(needs), 1, tuple(when)))
    return nodes


@settings(max_examples=300, deadline=None)
@given(nodes=graphs(), scenario=st.sampled_from(["a", "b", "c"]))
def test_pruning_gives_what_the_definition_gives(nodes, scenario):
    assert graph.prune(nodes, scenario) == prune_by_definition(nodes, scenario)


def kind_by_pairs(steps: list[StepView]) -> str:
    pairs = [(a, b) for i, a in enumerate(steps) for b in steps[i + 1:]]
    if not pairs:
        return "single"
    together = sum(1 for a, b in pairs if not a.when or not b.when or set(a.when) & set(b.when))
    if together == len(pairs):
        return "parallel"
    return "alternatives" if together == 0 else "mixed"


def step_view(i: int, when: tuple[str, ...]) -> StepView:
    return StepView(f"s{i}", "t", None, (), None, None, "", "", "", "", when, None, False,
                    False, 1, False, 1)


@settings(max_examples=300, deadline=None)
@given(whens=st.lists(st.lists(st.sampled_from("abcdef"), max_size=3, unique=True),
                      max_size=12))
def test_the_kind_of_a_stage_is_what_comparing_every_pair_gives(whens):
    steps = [step_view(i, tuple(w)) for i, w in enumerate(whens)]
    assert stage_kind(steps) == kind_by_pairs(steps)


def test_the_kind_of_a_stage_of_30000_steps():
    alternatives = [step_view(i, (f"x{i}",)) for i in range(30_000)]
    assert stage_kind(alternatives) == "alternatives"
    common = [step_view(i, ("a", f"x{i}")) for i in range(30_000)]
    assert stage_kind(common) == "parallel"
    assert stage_kind(common + [step_view(0, ("b",))]) == "mixed"


@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.text("abcde-", min_size=1, max_size=10), max_size=60),
       word=st.text("abcde-", min_size=1, max_size=10))
def test_did_you_mean_is_difflibs_answer_for_a_few_hundred_names(names, word):
    choices = sorted(set(names))
    same = [o for o in choices if o.lower() == word.lower()]
    match = same or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    assert did_you_mean(word, names) == (f" (did you mean '{match[0]}'?)" if match else "")


def test_did_you_mean_over_30000_names_finds_one_typo_away():
    names = Names([f"step-{i}" for i in range(30_000)] + ["fence-old-primary"])
    assert did_you_mean("step-1234x", names) == " (did you mean 'step-1234'?)"
    assert did_you_mean("stpe-77", names) == " (did you mean 'step-77'?)"
    assert did_you_mean("fence-old-primry", names) == " (did you mean 'fence-old-primary'?)"
    assert did_you_mean("STEP-5", names) == " (did you mean 'step-5'?)"
    assert did_you_mean("zzzzzzzzzz", names) == ""


def test_did_you_mean_on_long_repetitive_names_is_bounded():
    """Names of 100 characters that differ in a few: difflib's exact similarity is slow
    on them, so it is worked out for at most a few; the answer is still one of them."""
    names = ["x" * 94 + f"{i:05d}" for i in range(290)]
    hint = did_you_mean("x" * 94 + "00017q", names)
    assert hint.startswith(" (did you mean 'xxxx")
    assert did_you_mean("x" * 5000, names) == ""  # longer than any name compared
