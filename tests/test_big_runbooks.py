"""Big runbooks stay linear: ``show`` and ``render`` of thousands of steps do per step only
what a step needs. Counted, never timed (``bench/run.py`` times the same shapes).

- a plan for people (``show`` as text, ``render``) never works out the steps' lines: that
  parses the file a second time, and only the JSON of ``show`` prints them;
- a printed plan reads the fields of its steps without Jinja's sandbox checks on each
  (they would pass them, at some 16 reads a step), and the checks still refuse the rest;
- 30,000 steps load (under the values limit) and print, in a chain, within Python's
  default recursion limit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from riskkit.files.yamlload import load_text
from riskkit.runbook import model

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import shapes  # noqa: E402

SETTINGS = "name: T\nmatrix: 5x5\nroles:\n  sre: {title: SRE on-call}\n"
AS_OF = ("--as-of", "2026-11-26")
FIRST_STEP_LINE = 5  # shapes write id, title, triggers and steps: before the first step


def workspace(make_ws, text: str) -> Path:
    return make_ws({"runbooks/big.yaml": text}, settings=SETTINGS)


def test_show_and_render_for_people_never_look_up_a_steps_line(run, make_ws, monkeypatch):
    root = workspace(make_ws, shapes.dag(300))
    looked: list[int] = []
    line = model.Step.line

    def counted(step: model.Step) -> int:
        looked.append(step.index)
        return line.fget(step)  # type: ignore[attr-defined]

    monkeypatch.setattr(model.Step, "line", property(counted))
    for args in (("show", "big"), ("render", "big"), ("render", "big", "--format", "html"),
                 ("show", "big", "--format", "json")):
        looked.clear()
        result = run("-C", root, "runbook", *args, *AS_OF)
        assert result.exit_code == 0, result.stderr
        if "json" in args:
            plan = json.loads(result.stdout)
            assert len(looked) == 300
            # each generated step is one line: its line is its place in the file
            assert sorted(s["line"] for s in plan["steps"]) == \
                list(range(FIRST_STEP_LINE, FIRST_STEP_LINE + 300))
            assert plan["steps"][0]["line"] == FIRST_STEP_LINE
        else:
            assert looked == [], args


def checks_made(run, root: Path, monkeypatch, *args: str) -> int:
    calls = []
    safe = ImmutableSandboxedEnvironment.is_safe_attribute

    def counted(self, obj, attr, value):  # noqa: ANN001, ANN202
        calls.append(attr)
        return safe(self, obj, attr, value)

    monkeypatch.setattr(ImmutableSandboxedEnvironment, "is_safe_attribute", counted)
    result = run("-C", root, "runbook", "render", "big", *args, *AS_OF)
    assert result.exit_code == 0, result.stderr
    monkeypatch.undo()
    return len(calls)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_sandbox_checks_of_a_printed_plan_do_not_grow_with_its_steps(
        run, make_ws, tmp_path, monkeypatch, fmt):
    # two stages (what a stage reads, e.g. ``loop.first``, is checked once a stage)
    small = make_ws({"runbooks/big.yaml": shapes.fanout(50)}, settings=SETTINGS,
                    root=tmp_path / "small")
    big = make_ws({"runbooks/big.yaml": shapes.fanout(500)}, settings=SETTINGS,
                  root=tmp_path / "big")
    assert checks_made(run, big, monkeypatch, "--format", fmt) \
        == checks_made(run, small, monkeypatch, "--format", fmt)


def test_an_override_still_cannot_reach_past_a_steps_fields(run, make_ws):
    root = make_ws({"runbooks/big.yaml": shapes.chain(3),
                    "templates/plan.md.j2": "{{ stages[0].steps[0].__class__ }}\n"},
                   settings=SETTINGS)
    result = run("-C", root, "runbook", "render", "big", *AS_OF)
    assert result.exit_code != 0
    assert "__class__" in result.stdout + result.stderr
    fine = make_ws({"runbooks/big.yaml": shapes.chain(3),
                    "templates/plan.md.j2": "{% for s in plan.stage_steps(2) %}{{ s.id }} "
                                            "{{ s.line }} {{ s.title.upper() }}{% endfor %}\n"},
                   settings=SETTINGS, root=root.parent / "fine")
    result = run("-C", fine, "runbook", "render", "big", *AS_OF)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"s1 {FIRST_STEP_LINE + 1} STEP 1")


def test_a_runbook_of_30000_steps_is_within_the_values_limit():
    doc, problems = load_text(shapes.chain(30_000), "runbooks/big.yaml")
    assert problems == [] and doc is not None and len(doc.data["steps"]) == 30_000


@pytest.mark.slow
def test_a_chain_of_30000_steps_shows_and_renders_within_the_default_recursion_limit(
        run, make_ws):
    assert sys.getrecursionlimit() <= 1_000  # Python's default: no deep recursion
    n = 30_000
    root = workspace(make_ws, shapes.chain(n))
    shown = run("-C", root, "runbook", "show", "big", *AS_OF)
    assert shown.exit_code == 0, shown.stderr
    assert f"Stage {n}\n" in shown.stdout
    rendered = run("-C", root, "runbook", "render", "big", *AS_OF)
    assert rendered.exit_code == 0, rendered.stderr
    assert f"### Stage {n}\n" in rendered.stdout and f"**s{n - 1}**" in rendered.stdout


def test_the_collector_rests_while_a_runbook_loads_and_is_back_after(run, make_ws,
                                                                     monkeypatch):
    import gc

    from riskkit import fastload

    root = workspace(make_ws, shapes.chain(20))
    seen: list[bool] = []
    load_file = fastload.load_file

    def watched(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.append(gc.isenabled())
        return load_file(*args, **kwargs)

    monkeypatch.setattr(fastload, "load_file", watched)
    assert gc.isenabled()
    result = run("-C", root, "runbook", "show", "big", *AS_OF)
    assert result.exit_code == 0, result.stderr
    assert seen and not seen[0]  # the runbook's own file, parsed first
    assert gc.isenabled()
