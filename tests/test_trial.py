"""A plan that validated always renders; no file can hang riskkit; inputs are data.

Trial rendering (riskkit.runbook.trial), template budgets (riskkit.runbook.budget), input
patterns that cannot backtrack (riskkit.runbook.pattern) and inputs as one line of data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import SETTINGS

AS_OF = ("--as-of", "2030-01-01")


def runbook_ws(make_ws, body: str, extra: dict | None = None) -> Path:
    return make_ws({"runbooks/rb.yaml": body, **(extra or {})})


HEADER = """\
id: rb
title: A runbook
triggers: [Alert]
"""


# 1. Trial rendering


def test_validate_refuses_what_only_one_choice_breaks(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  shards: {description: Shards, choices: ["4", "0"], default: "4"}
steps:
  - id: a
    title: Split
    role: sre
    minutes: 1
    run: echo {{ 64 // (shards | int) }}
""")
    result = run("-C", ws, "validate", "--format", "text")
    assert result.exit_code == 1
    assert "runbooks/rb.yaml:11:10: T001 rb: steps[0].run: " in result.stdout
    assert "ZeroDivisionError" in result.stdout and "shards=0" in result.stdout
    # ... which is exactly what render would have refused
    render = run("-C", ws, "runbook", "render", "rb", "--var", "shards=0", *AS_OF)
    assert render.exit_code == 1 and "ZeroDivisionError" in render.output


def test_a_free_input_is_tried_with_its_example(run, make_ws):
    body = HEADER + """\
inputs:
  ticket: {description: Ticket, required: true, example: "INC-12"}
steps:
  - id: a
    title: Ticket number {{ ticket.split('-')[1] }}
    role: sre
    minutes: 1
"""
    ws = runbook_ws(make_ws, body)
    assert run("-C", ws, "validate").exit_code == 0
    (ws / "runbooks/rb.yaml").write_text(body.replace('"INC-12"', '"INC12"'))
    result = run("-C", ws, "validate", "--format", "text")
    assert result.exit_code == 1
    assert "T001" in result.stdout and "ticket=INC12" in result.stdout


def test_a_free_input_with_a_pattern_is_tried_with_a_value_that_matches(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  ticket: {description: Ticket, required: true, pattern: "^INC-[0-9]{4}$"}
steps:
  - id: a
    title: Ticket {{ ticket[4:] | int + 1 }} {{ ticket.split('-')[5] }}
    role: sre
    minutes: 1
""")
    result = run("-C", ws, "validate", "--format", "text")
    assert result.exit_code == 1
    assert "no element 5" in result.stdout and "ticket=INC-0000" in result.stdout


def test_an_example_that_breaks_the_inputs_rules_is_a_t005(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  region: {description: Region, required: true, pattern: "^[a-z]+-[0-9]$", example: EU}
steps:
  - id: a
    title: In {{ region }}
    role: sre
    minutes: 1
""")
    result = run("-C", ws, "validate", "--format", "text")
    assert result.exit_code == 1
    assert ("runbooks/rb.yaml:5:3: T005 rb: input 'region': 'EU' does not match"
            in result.stdout), result.stdout


SNIPPETS = [
    "plain words", "{{ a }}", "{{ a | upper }}", "{{ a[0] }}", "{{ a.split('-')[1] }}",
    "{{ n | int * 2 }}", "{{ 100 // (n | int) }}", "{{ (n | int) * 'ab' }}", "{{ a ~ b }}",
    "{% for c in a %}{{ c }}{% endfor %}", "{{ namespace }}", "{{ 9 ** 9 }}",
    "{% if a == 'x' %}X{% else %}{{ 1 / 0 }}{% endif %}", "{{ b[3] }}", "{{ [1, 2][n | int] }}",
    "{% if n | int > 1 %}{{ a }}{% endif %}", "{{ 'x' * (n | int) }}", "{{ b | length }}",
]


@st.composite
def runbooks(draw):
    a_choices = draw(st.lists(st.sampled_from(["x", "y-z", "ab", "a-b-c"]), min_size=1,
                              max_size=3, unique=True))
    n_choices = draw(st.lists(st.sampled_from(["0", "1", "2", "5"]), min_size=1, max_size=3,
                              unique=True))
    b_spec = draw(st.sampled_from([
        '{description: B, required: true, example: "bee-1"}',
        '{description: B, required: true, pattern: "^[a-z]{2}-[0-9]+$"}',
        '{description: B, default: "b"}']))
    steps = []
    count = draw(st.integers(1, 4))
    for i in range(count):
        fields = draw(st.lists(st.sampled_from(["title", "do", "run", "verify"]), min_size=1,
                               max_size=3, unique=True))
        step = {"title": f"Step {i}"}
        for name in fields:
            step[name] = draw(st.sampled_from(SNIPPETS))
        when = draw(st.sampled_from(["", "[lost]", "[full]"]))
        lines = [f"  - id: s{i}", "    role: sre", "    minutes: 1"]
        for key, value in step.items():
            lines.append(f"    {key}: \"{value}\"")
        if when:
            lines.append(f"    when: {when}")
        if i:
            lines.append(f"    needs: [s{i - 1}]")
        steps.append("\n".join(lines))
    return (HEADER + "scenarios: {lost: Host lost, full: Disk full}\ninputs:\n"
            f"  a: {{description: A, choices: {a_choices}, default: {a_choices[0]!r}}}\n"
            f"  n: {{description: N, choices: {n_choices}, default: {n_choices[0]!r}}}\n"
            f"  b: {b_spec}\n"
            "  namespace: {description: Namespace, default: ns}\n"
            "steps:\n" + "\n".join(steps) + "\n"), a_choices, n_choices


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(runbooks())
def test_whatever_validate_accepts_renders_for_every_scenario_and_choice(case):
    """The principle: a render that fails after a clean validate is a bug."""
    from riskkit.load import load
    from riskkit.present import documents
    from riskkit.problems import InputError
    from riskkit.workspace import open_workspace

    text, a_choices, n_choices = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "riskkit.yaml").write_text(SETTINGS)
        (root / "runbooks").mkdir()
        (root / "runbooks" / "rb.yaml").write_text(text)
        ws = open_workspace(root)
        as_of = dt.date(2030, 1, 1)
        loaded = load(ws, as_of)
        if any(p.is_error for p in loaded.problems):
            return  # refused: nothing to prove
        rb = loaded.runbook("rb")
        b = "bee-1" if "example" in text else ("ab-1" if "pattern" in text else None)
        for scenario in (None, "lost", "full"):
            for a, n in itertools.product(a_choices, n_choices):
                given = {"a": a, "n": n, **({"b": b} if b else {})}
                try:
                    context = documents.plan_context(ws, loaded, rb, given, scenario, as_of)
                except InputError:
                    assert scenario is not None  # a scenario with no step (W008)
                    continue
                for fmt in (documents.plan_md, documents.plan_html, documents.plan_txt):
                    assert fmt(context, root)
                checklist = documents.checklist_context(ws, loaded, rb, {}, scenario, as_of,
                                                        "tabletop")
                pack = documents.checklist_pack(ws, [checklist])
                assert documents.checklists_md(pack, root)
                assert documents.checklists_html(pack, root)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(runbooks(), st.booleans())
def test_a_trial_render_finds_what_a_real_render_finds(case, placeholders):
    """validate renders without building a plan (``check_texts``): the same texts go
    through the same renderer, so it must refuse exactly what a real render of the whole
    plan refuses (in the order the trial reports them), and nothing when that renders."""
    from riskkit.files.yamlload import load_text
    from riskkit.problems import ProblemsFound
    from riskkit.runbook.model import load_runbook
    from riskkit.runbook.render import check_texts, render_steps
    from riskkit.runbook.view import view

    text, a_choices, n_choices = case
    doc, _ = load_text(text, "runbooks/rb.yaml")
    rb, problems = load_runbook(doc, {"sre": {}})
    if rb is None:
        return
    plan = view(rb, {}, (), None)
    for a, n in itertools.product(a_choices, n_choices):
        values = {"a": a, "n": n, "b": "bee-1", "namespace": "ns"}
        try:
            render_steps(rb, plan, values, placeholders)
            real = []
        except ProblemsFound as exc:
            real = sorted(exc.problems)
        try:
            check_texts(rb, rb.steps, values, placeholders)
            trial = []
        except ProblemsFound as exc:
            trial = sorted(exc.problems)
        assert trial == real


# 2. Budgets


HOSTILE = {
    "power": "{{ 9**(9**9) }}",
    "repeat": "{{ 'x' * 10**9 }}",
    "length": "{{ hosts | length * 10**9 * 'x' }}",
    "nested loops": "{% for a in hosts * 50000 %}{% for b in hosts * 50000 %}.{% endfor %}"
                    "{% endfor %}",
    "width": "{{ '{:>999999999}'.format(hosts) }}",
    "macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
             "{{ f(40) }}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_runaway_template_is_a_located_problem_in_validate_and_render(run, make_ws, name):
    text = HOSTILE[name]
    inputs = "  hosts: {description: Hosts, default: 'web-1,web-2'}\n"
    ws = runbook_ws(make_ws, HEADER + "inputs:\n" + inputs + f"""\
steps:
  - id: a
    title: Step
    role: sre
    minutes: 1
    verify: "{text}"
""")
    result = run("-C", ws, "validate", "--format", "text")
    assert result.exit_code == 1, result.output
    assert re.search(r"^runbooks/rb\.yaml:\d+:13: T004 rb: steps\[0\]\.verify: over a "
                     r"template limit: ", result.stdout, re.M), result.stdout
    render = run("-C", ws, "runbook", "render", "rb", *AS_OF)
    assert render.exit_code == 1 and "T004" in render.output


def test_the_budgets_hold_in_the_sandbox_itself():
    from riskkit.runbook.budget import BudgetExceeded
    from riskkit.runbook.text import sandbox

    env = sandbox()
    for text in ("{{ range(10**9) | list }}", "{{ lipsum(10**5) }}", "{{ 'x' | center(10**9) }}",
                 "{{ '%999999999d' % 1 }}", "{{ ('x' * 100000) | replace('x', 'x' * 1000) }}",
                 "{{ (range(100000) | list) * 100 }}",
                 "{% set ns = namespace(s='ab') %}{% for i in range(60) %}"
                 "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"):
        with pytest.raises(BudgetExceeded):
            env.from_string(text).render()
    assert env.from_string("{{ 2 ** 10 }} {{ 'ab' * 3 }} {{ '%05d' | format(42) }}").render() \
        == "1024 ababab 00042"


def test_a_runaway_template_override_is_a_located_problem_at_render(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + "steps:\n  - {id: a, title: Step, role: sre, "
                    "minutes: 1}\n", {"templates/plan.md.j2": textwrap.dedent("""\
        # {{ plan.title }}
        {% for a in plan.title * 20000 %}{% for b in plan.title * 20000 %}.{% endfor %}{% endfor %}
        """)})
    result = run("-C", ws, "runbook", "render", "rb", "--format", "md", *AS_OF)
    assert result.exit_code == 1
    assert "templates/plan.md.j2:2:1: T004 template over a limit: " in result.output


def test_a_dangerous_pattern_is_refused_at_render_in_milliseconds(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  service: {description: Service, required: true, pattern: "^([a-z0-9]+-?)+$"}
steps:
  - {id: a, title: "Restart {{ service }}", role: sre, minutes: 1}
""")
    # refused by what the pattern is, before any value is matched against it
    result = run("-C", ws, "runbook", "render", "rb", "--var",
                 "service=" + "a" * 30 + "!", *AS_OF)
    assert result.exit_code == 1 and "B016" in result.output


@pytest.mark.parametrize("pattern,dangerous", [
    (r"^([a-z0-9]+-?)+$", True), (r"(a|ab)+", True), (r"^(\w+\s?)+$", True),
    (r"(a{1,3}){2}", True), (r"^[a-z0-9]+(-[a-z0-9]+)*$", False), (r"^\d+(\.\d+)+$", False),
    (r"^(eu|us)-(west|east)-[0-9]$", False), (r"^INC-[0-9]{4,6}$", False),
    (r"^(?:[a-z]{2}-)+x$", False), (r"^([a-z]|-)+$", False),
])
def test_patterns_that_could_backtrack_are_told_apart(pattern, dangerous):
    from riskkit.runbook.pattern import danger

    assert bool(danger(pattern)) is dangerous


# 3. Inputs are data


@pytest.mark.parametrize("value,why", [
    ("web\n## 9. Extra step", "holds a line break"), ("web\r- [ ] extra", "holds a line break"),
    ("[x] done", "holds a tick box"), ("```", "holds a code fence"),
    ("# Heading", "starts like a Markdown heading"), ("- item", "starts like a Markdown"),
    ("1. first", "starts like a Markdown"),
])
@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_a_var_cannot_add_structure_to_a_plan(run, make_ws, value, why, fmt):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  host: {description: Host, required: true}
steps:
  - id: a
    title: Restart {{ host }}
    role: sre
    minutes: 1
    do: |
      Log in to:
      {{ host }}
""")
    result = run("-C", ws, "runbook", "render", "rb", "--var", f"host={value}",
                 "--format", fmt, *AS_OF)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"input 'host': {value!r} {why}" in result.stderr
    assert "an input is data" in result.stderr


def test_a_value_that_only_looks_like_markdown_mid_line_is_fine(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  channel: {description: Channel, required: true}
steps:
  - {id: a, title: "Post in {{ channel }}", role: sre, minutes: 1}
""")
    result = run("-C", ws, "runbook", "render", "rb", "--var", "channel=#inc-web", *AS_OF)
    assert result.exit_code == 0, result.output
    assert "Post in #inc-web" in result.stdout


def test_inputs_may_be_named_like_template_built_ins(run, make_ws):
    names = ["namespace", "range", "loop", "cycler", "lipsum", "dict", "joiner"]
    inputs = "".join(f"  {n}: {{description: {n}, default: {n}-value}}\n" for n in names)
    title = " ".join(f"{{{{ {n} }}}}" for n in names)
    ws = runbook_ws(make_ws, HEADER + "inputs:\n" + inputs + f"""\
steps:
  - {{id: a, title: "{title}", role: sre, minutes: 1}}
""")
    assert run("-C", ws, "validate").exit_code == 0
    result = run("-C", ws, "runbook", "render", "rb", "--var", "range=10.0.0.0/8", *AS_OF)
    assert result.exit_code == 0, result.output
    assert ("namespace-value 10.0.0.0/8 loop-value cycler-value lipsum-value dict-value "
            "joiner-value") in result.stdout


def test_a_built_in_that_is_not_an_input_is_still_refused(run, make_ws):
    ws = runbook_ws(make_ws, HEADER + """\
inputs:
  host: {description: Host, default: db}
steps:
  - {id: a, title: "{{ cycler(host).next() }}", role: sre, minutes: 1}
""")
    result = run("-C", ws, "validate", "--format", "text")
    assert result.exit_code == 1 and "T003" in result.stdout and "'cycler'" in result.stdout


def test_output_to_a_device_writes_to_it_and_leaves_it_a_device(run, make_ws, tmp_path):
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    ws = runbook_ws(make_ws, HEADER + "steps:\n  - {id: a, title: Step, role: sre, minutes: 1}\n")
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = run("-C", ws, "runbook", "render", "rb", "-o", fifo, *AS_OF)
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert b"Step" in os.read(reader, 1 << 16)
    finally:
        os.close(reader)


def test_budgets_grow_only_where_a_document_is_scaled():
    from riskkit.runbook.budget import MAX_STEPS, BudgetExceeded, scaled
    from riskkit.runbook.text import sandbox

    long = sandbox().from_string("{% for r in rows %}{% for c in cells %}x{% endfor %}"
                                 "{% endfor %}")
    rows = {"rows": range(MAX_STEPS // 1000 * 2), "cells": range(1000)}  # twice the steps
    with pytest.raises(BudgetExceeded, match=f"{MAX_STEPS:,} steps"):
        long.render(rows)
    with scaled(3):
        assert len(long.render(rows)) == MAX_STEPS * 2
        with pytest.raises(BudgetExceeded, match=f"{MAX_STEPS * 3:,} steps"):
            long.render({"rows": range(MAX_STEPS // 1000 * 4), "cells": range(1000)})
    with pytest.raises(BudgetExceeded):  # back to the base budget after
        long.render(rows)


def test_a_report_of_a_big_register_renders_within_a_budget_grown_by_its_risks(
        run, make_ws, monkeypatch, tmp_path):
    """The report of 50,000 risks is some 20 MB of HTML: more than one plan may print, and
    no reason to refuse it. Here the base budget is cut to half of this register's report,
    so only a budget grown by the number of risks lets it through."""
    import riskkit.present.jinja as jinja_mod
    import riskkit.runbook.budget as budget_mod

    risks = {f"risks/r{i:03d}.yaml": f"id: RSK-{i:03d}\ntitle: Risk number {i}\n"
             f"owner: team\nstatus: open\nlikelihood: {1 + i % 5}\nimpact: {1 + i % 3}\n"
             for i in range(60)}
    ws = make_ws(risks)
    out = tmp_path / "report.html"
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    assert run("-C", ws, "report", "-o", out, *AS_OF).exit_code == 0
    size = len(out.read_text())
    monkeypatch.setattr(budget_mod, "MAX_OUTPUT", size // 2)
    monkeypatch.setattr(jinja_mod, "RISKS_PER_BUDGET", 1_000)  # 60 risks: the base budget
    refused = run("-C", ws, "report", "-o", out, *AS_OF)
    assert refused.exit_code == 1 and "T004" in refused.output
    monkeypatch.setattr(jinja_mod, "RISKS_PER_BUDGET", 20)  # 60 risks: four budgets
    done = run("-C", ws, "report", "-o", out, *AS_OF)
    assert done.exit_code == 0, done.output
    assert len(out.read_text()) == size
