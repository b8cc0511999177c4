"""``riskkit runbook list / show / graph`` through the real command line.

Graph outputs are checked by meaning (which edges are highlighted, which steps remain) and
DOT is fed to the real Graphviz ``dot``.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import REPO

DIAMOND = """\
id: diamond
title: Restore the checkout path
severity: SEV-2
owner: team-web
triggers: [CheckoutErrors alert]
scenarios:
  slow: The database is slow
  down: The database is down
steps:
  - id: a
    title: Declare the incident
    role: ic
    minutes: 5
  - id: b
    title: Drain traffic
    role: sre
    needs: [a]
    minutes: 3
    run: drain --all
    verify: No traffic on the old pool
  - id: c
    title: Fail over the "primary" database
    role: dba
    needs: [a]
    when: [down]
    minutes: 10
    approval: ic
    irreversible: true
    run: failover --force
    verify: The new primary takes writes
    rollback: There is none
  - id: d
    title: Resume traffic
    role: sre
    needs: [b, c]
    minutes: 2
    do: Undrain the pool.
    run: undrain --all
    verify: Checkout succeeds
"""

SINGLE = """\
id: single
title: Page the team
triggers: [Anything]
steps:
  - id: page
    title: Page the team
    role: ic
    minutes: 1
"""

RISK = """\
id: RSK-001
title: Checkout stops taking payments
owner: team-web
status: open
likelihood: 3
impact: 5
rto_minutes: 60
runbooks: [diamond]
"""


@pytest.fixture
def ws(make_ws):
    return make_ws({"runbooks/diamond.yaml": DIAMOND, "runbooks/single.yaml": SINGLE,
                    "risks/RSK-001.yaml": RISK})


def show_json(run, ws, *args) -> dict:
    result = run("-C", ws, "runbook", "show", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- list --------------------------------------------------------------------------------

def test_list_json(run, ws):
    result = run("-C", ws, "runbook", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    wanted = [{"id": "diamond", "title": "Restore the checkout path", "severity": "SEV-2",
               "steps": 4, "eta_minutes": 17, "risks": ["RSK-001"]},
              {"id": "single", "title": "Page the team", "severity": None, "steps": 1,
               "eta_minutes": 1, "risks": []}]
    assert [{k: item[k] for k in wanted[0]} for item in items] == wanted


def test_list_table(run, ws):
    result = run("-C", ws, "runbook", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "severity", "steps", "eta_min", "done_min", "rto_min",
                                "risks", "title"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["diamond", "SEV-2", "4", "17", "17", "60", "RSK-001",
                                "Restore", "the", "checkout", "path"]
    assert lines[3].split() == ["single", "-", "1", "1", "1", "-", "-", "Page", "the", "team"]
    assert len(lines) == 4


# --- show --------------------------------------------------------------------------------

def test_show_json_shape(run, ws):
    data = show_json(run, ws, "diamond")
    assert data["id"] == "diamond"
    assert data["title"] == "Restore the checkout path"
    assert data["stages"] == [["a"], ["b", "c"], ["d"]]
    assert data["critical_path"] == ["a", "c", "d"]
    assert data["eta_minutes"] == 17
    assert [s["id"] for s in data["steps"]] == ["a", "b", "c", "d"]
    assert [r["id"] for r in data["risks"]] == ["RSK-001"]
    assert data["rto_minutes"] == 60


def test_show_json_step_fields(run, ws):
    steps = {s["id"]: s for s in show_json(run, ws, "diamond")["steps"]}
    c = steps["c"]
    assert {k: c[k] for k in ("id", "title", "role", "needs", "minutes", "run", "verify",
                              "rollback", "when", "approval", "irreversible", "stage",
                              "critical")} == {
        "id": "c", "title": 'Fail over the "primary" database', "role": "dba", "needs": ["a"],
        "minutes": 10, "run": "failover --force", "verify": "The new primary takes writes",
        "rollback": "There is none", "when": ["down"], "approval": "ic", "irreversible": True,
        "stage": 2, "critical": True}
    assert steps["d"]["needs"] == ["b", "c"]
    assert steps["d"]["do"] == "Undrain the pool."
    assert steps["b"]["critical"] is False
    assert steps["a"]["irreversible"] is False and steps["a"]["approval"] is None


def test_show_json_roles_load(run, ws):
    roles = {r["id"]: r for r in show_json(run, ws, "diamond")["roles"]}
    assert (roles["sre"]["steps"], roles["sre"]["minutes"]) == (2, 5)
    assert (roles["dba"]["steps"], roles["dba"]["minutes"]) == (1, 10)
    assert (roles["ic"]["steps"], roles["ic"]["approves"]) == (1, 1)


def test_show_text(run, ws):
    result = run("-C", ws, "runbook", "show", "diamond")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("diamond: Restore the checkout path\n")
    assert "expected time to mitigate: 17 min (within the RTO of 60 min)\n" in out
    assert "critical path: a -> c -> d\n" in out
    assert "\nStage 1\n" in out and "\nStage 2 (in parallel)\n" in out and "\nStage 3\n" in out
    marked = {m[2]: m[1] == "*" for m in re.finditer(r"^ ([* ]) ([a-d]) ", out, re.M)}
    assert marked == {"a": True, "b": False, "c": True, "d": True}
    assert "[approval: ic] [irreversible]" in out


def test_show_scenario_prunes(run, ws):
    data = show_json(run, ws, "diamond", "--scenario", "slow")
    assert data["scenario"] == "slow"
    # c applies only to "down": d inherits c's need on a.
    assert data["stages"] == [["a"], ["b"], ["d"]]
    assert data["critical_path"] == ["a", "b", "d"]
    assert data["eta_minutes"] == 10
    assert {s["id"]: s["needs"] for s in data["steps"]} == {"a": [], "b": ["a"],
                                                           "d": ["b", "a"]}
    text = run("-C", ws, "runbook", "show", "diamond", "-s", "slow").stdout
    assert "scenario: slow (The database is slow)" in text
    assert "critical path: a -> b -> d\n" in text
    assert " c " not in text


def test_show_scenario_that_keeps_everything(run, ws):
    assert show_json(run, ws, "diamond", "--scenario", "down")["eta_minutes"] == 17


def test_show_unknown_scenario(run, ws):
    result = run("-C", ws, "runbook", "show", "diamond", "--scenario", "dwon")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "unknown scenario 'dwon'" in result.stderr
    assert "did you mean 'down'?" in result.stderr
    assert "Traceback" not in result.output


def test_show_unknown_runbook(run, ws):
    result = run("-C", ws, "runbook", "show", "diamnd")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "unknown runbook 'diamnd' (did you mean 'diamond'?)" in result.stderr


def test_unknown_runbook_hint_names_runbook_ids_not_file_names(run, make_ws):
    # The file name is not the id: the hint must offer the id, which is what `show` takes.
    ws = make_ws({"runbooks/checkout.yaml": DIAMOND})
    assert run("-C", ws, "runbook", "show", "diamond").exit_code == 0
    result = run("-C", ws, "runbook", "show", "diamnd")
    assert result.exit_code == 1
    assert "did you mean 'diamond'?" in result.stderr
    assert "checkout" not in result.stderr


def test_graph_unknown_runbook(run, ws):
    result = run("-C", ws, "runbook", "graph", "diamnd")
    assert result.exit_code == 1
    assert "did you mean 'diamond'?" in result.stderr


# --- graph -------------------------------------------------------------------------------

EDGE = re.compile(r'^  "(?P<u>[^"]+)" -> "(?P<v>[^"]+)"(?P<attrs> \[[^\]]*\])?;$')


def dot_edges(text: str) -> dict[tuple[str, str], str]:
    return {(m["u"], m["v"]): m["attrs"] or "" for m in map(EDGE.match, text.splitlines()) if m}


def critical_edges(path: list[str]) -> set[tuple[str, str]]:
    return set(zip(path, path[1:]))


def test_graph_dot_highlights_exactly_the_critical_edges(run, ws):
    result = run("-C", ws, "runbook", "graph", "diamond", "--format", "dot")
    assert result.exit_code == 0, result.output
    edges = dot_edges(result.stdout)
    assert set(edges) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}
    assert {e for e, attrs in edges.items() if "color=" in attrs} == {("a", "c"), ("c", "d")}


def test_graph_dot_scenario_is_pruned(run, ws):
    result = run("-C", ws, "runbook", "graph", "diamond", "--scenario", "slow")
    edges = dot_edges(result.stdout)
    assert set(edges) == {("a", "b"), ("b", "d"), ("a", "d")}
    assert {e for e, attrs in edges.items() if "color=" in attrs} == {("a", "b"), ("b", "d")}
    assert '"c"' not in result.stdout


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def render_svg(dot_text: str) -> str:
    done = subprocess.run(["dot", "-Tsvg"], input=dot_text, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    assert "<svg" in done.stdout
    return done.stdout


@needs_dot
def test_graph_dot_renders_with_graphviz(run, ws):
    result = run("-C", ws, "runbook", "graph", "diamond", "--format", "dot")
    svg = render_svg(result.stdout)
    # every step is a node of the drawing, the quoted title survived escaping
    assert svg.count('class="node"') == 4
    assert svg.count('class="edge"') == 4
    assert "Fail over the &quot;primary&quot; database" in svg


@needs_dot
def test_graph_dot_renders_awkward_titles(run, make_ws):
    ws = make_ws({"runbooks/odd.yaml": """\
        id: odd
        title: 'Back\\slash "quotes" {braces} <angle> & amp'
        triggers: [t]
        steps:
          - id: one
            title: 'C:\\temp\\ and "x" -> y; z [w]'
            role: sre
            minutes: 1
        """})
    result = run("-C", ws, "runbook", "graph", "odd")
    assert result.exit_code == 0, result.output
    render_svg(result.stdout)


def test_graph_output_file(run, ws, tmp_path):
    out = tmp_path / "g.dot"
    result = run("-C", ws, "runbook", "graph", "diamond", "-o", out)
    assert result.exit_code == 0
    assert out.read_text() == run("-C", ws, "runbook", "graph", "diamond").stdout


def mermaid_parts(text: str):
    names = {m[1]: m[2] for m in re.finditer(r'^  (s\d+)\["([^<"]+)', text, re.M)}
    edges = [(names[m[1]], names[m[2]]) for m in re.finditer(r"^  (s\d+) --> (s\d+)$", text,
                                                            re.M)]
    styles = re.findall(r"^  linkStyle ([\d,]+) stroke:", text, re.M)
    return names, edges, styles


def test_graph_mermaid(run, ws):
    result = run("-C", ws, "runbook", "graph", "diamond", "--format", "mermaid")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("flowchart")
    names, edges, styles = mermaid_parts(text)
    assert sorted(names.values()) == ["a", "b", "c", "d"]
    assert sorted(edges) == [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    assert len(styles) == 1
    highlighted = {edges[int(i)] for i in styles[0].split(",")}
    assert highlighted == {("a", "c"), ("c", "d")}
    assert "#quot;primary#quot;" in text


def test_graph_mermaid_single_step_has_no_link_style(run, ws):
    text = run("-C", ws, "runbook", "graph", "single", "--format", "mermaid").stdout
    assert text.startswith("flowchart")
    assert "linkStyle" not in text


# --- the repository's own demo workspace -------------------------------------------------

def demo_list(run) -> list[dict]:
    result = run("-C", REPO, "runbook", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_has_at_least_eight_runbooks_each_linked_to_a_risk(run):
    items = demo_list(run)
    assert len(items) >= 8, [i["id"] for i in items]
    assert [i["id"] for i in items if not i["risks"]] == []


def test_demo_show_works_on_every_listed_runbook(run):
    for item in demo_list(run):
        data = show_json(run, REPO, item["id"])
        assert data["eta_minutes"] == item["eta_minutes"]
        assert len(data["steps"]) == item["steps"]
        assert [r["id"] for r in data["risks"]] == item["risks"], item["id"]
        for scenario in data["scenarios"]:
            pruned = show_json(run, REPO, item["id"], "--scenario", scenario)
            assert pruned["eta_minutes"] <= data["eta_minutes"]


DEMO_FILES = sorted((REPO / "runbooks").glob("*.yaml"))


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_demo_runbook_file_shows_and_draws(run, path):
    # Independent of the register as a whole: every runbook file in the demo can be shown
    # and drawn, even while an unrelated file elsewhere is being edited.
    runbook_id = yaml.safe_load(path.read_text())["id"]
    data = show_json(run, REPO, runbook_id)
    assert data["critical_path"] and data["eta_minutes"] > 0
    result = run("-C", REPO, "runbook", "show", runbook_id)
    assert result.exit_code == 0, result.output
    assert f"critical path: {' -> '.join(data['critical_path'])}\n" in result.stdout
    result = run("-C", REPO, "runbook", "graph", runbook_id, "--format", "mermaid")
    assert result.exit_code == 0 and result.stdout.startswith("flowchart")
    if shutil.which("dot"):
        render_svg(run("-C", REPO, "runbook", "graph", runbook_id).stdout)


def test_demo_has_runbook_files():
    assert len(DEMO_FILES) >= 1


# --- a big generated runbook -------------------------------------------------------------

def generate_runbook(n: int, seed: int = 7) -> tuple[str, list[tuple[str, list[str], object]]]:
    """A runbook of ``n`` steps in YAML, and its (id, needs, minutes) as plain data.

    Steps need up to three of the 40 steps before them, so the graph is deep and wide;
    about one step in ten has no estimate.
    """
    rng = random.Random(seed)
    steps = []
    lines = ["id: big", "title: A very large runbook", "triggers: [Generated]", "steps:"]
    for i in range(n):
        ident = f"s{i:04d}"
        pool = [f"s{j:04d}" for j in range(max(0, i - 40), i)]
        needs = rng.sample(pool, k=min(len(pool), rng.randint(0 if i < 5 else 1, 3)))
        minutes = None if rng.random() < 0.1 else rng.randint(0, 20)
        steps.append((ident, needs, minutes))
        lines += [f"  - id: {ident}", f"    title: Step number {i}", "    role: sre"]
        if needs:
            lines.append(f"    needs: [{', '.join(needs)}]")
        if minutes is not None:
            lines.append(f"    minutes: {minutes}")
    return "\n".join(lines) + "\n", steps


def expected_shape(steps) -> tuple[int, float]:
    """Stage count and ETA by dynamic programming over the (already ordered) steps."""
    depth, finish = {}, {}
    for ident, needs, minutes in steps:
        depth[ident] = 1 + max((depth[n] for n in needs), default=0)
        finish[ident] = max((finish[n] for n in needs), default=0) + (minutes or 0)
    return max(depth.values()), max(finish.values())


def test_generator_is_what_it_says():
    text, steps = generate_runbook(50)
    data = yaml.safe_load(text)
    assert [s["id"] for s in data["steps"]] == [s[0] for s in steps]
    assert [s.get("needs", []) for s in data["steps"]] == [s[1] for s in steps]
    assert expected_shape([("a", [], 5), ("b", ["a"], 3), ("c", ["a"], 10),
                           ("d", ["b", "c"], 2)]) == (3, 17)


@pytest.mark.slow  # a 2000-step graph through every view
def test_two_thousand_step_runbook(run, make_ws):
    text, steps = generate_runbook(2000)
    ws = make_ws({"runbooks/big.yaml": text})
    data = show_json(run, ws, "big")
    stages, eta = expected_shape(steps)
    assert len(data["steps"]) == 2000
    assert len(data["stages"]) == stages
    assert data["eta_minutes"] == eta
    minutes = {ident: m or 0 for ident, _, m in steps}
    assert sum(minutes[s] for s in data["critical_path"]) == eta
    needs = {ident: set(n) for ident, n, _ in steps}
    for before, after in zip(data["critical_path"], data["critical_path"][1:]):
        assert before in needs[after]
    listed = json.loads(run("-C", ws, "runbook", "list", "--format", "json").stdout)
    assert [(i["steps"], i["eta_minutes"]) for i in listed] == [(2000, eta)]
    result = run("-C", ws, "runbook", "graph", "big", "--format", "dot")
    assert result.exit_code == 0
    assert len(dot_edges(result.stdout)) == sum(len(n) for n in needs.values())


# --- time to mitigate is not time to close --------------------------------------------------

# The diamond with follow-up: d (traffic back) ends the impact, e and f are clean-up. With an
# RTO of 15 minutes, the whole runbook (37 minutes) is above it; the time to mitigate is not.
MITIGATED = DIAMOND.replace("""    do: Undrain the pool.
""", """    do: Undrain the pool.
    mitigates: true
""") + """\
  - id: e
    title: Rebuild the old primary
    role: dba
    needs: [d]
    minutes: 20
  - id: f
    title: Write the timeline
    role: ic
    needs: [d]
    minutes: 5
"""
FAST_RISK = RISK.replace("rto_minutes: 60", "rto_minutes: 17")


@pytest.fixture
def mitigated(make_ws):
    return make_ws({"runbooks/diamond.yaml": MITIGATED, "risks/RSK-001.yaml": FAST_RISK})


def test_show_json_gives_the_time_to_mitigate_and_the_time_to_finish(run, mitigated):
    data = show_json(run, mitigated, "diamond")
    assert (data["eta_minutes"], data["critical_path"], data["mitigated_by"]) == \
        (17, ["a", "c", "d"], "d")
    assert (data["finish_minutes"], data["finish_path"]) == (37, ["a", "c", "d", "e"])
    assert data["within_rto"] is True  # 17 minutes to mitigate against 17, not 37
    # follow-up steps stay in the plan and its stages, off the critical path
    steps = {s["id"]: s for s in data["steps"]}
    assert (steps["e"]["stage"], steps["e"]["critical"], steps["e"]["mitigates"]) == \
        (4, False, False)
    assert steps["d"]["mitigates"] is True and data["stages"][-1] == ["e", "f"]
    slow = show_json(run, mitigated, "diamond", "--scenario", "slow")
    assert (slow["eta_minutes"], slow["finish_minutes"]) == (10, 30)


def test_show_text_gives_both_figures(run, mitigated):
    result = run("-C", mitigated, "runbook", "show", "diamond")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "expected time to mitigate: 17 min (within the RTO of 17 min), when 'd' is done" \
        in lines
    assert "critical path: a -> c -> d" in lines
    assert "to finish every step: 37 min via a -> c -> d -> e" in lines
    assert any(line.startswith(" * d ") and "[mitigates]" in line for line in lines)


def test_show_text_without_a_mark_says_the_whole_runbook_counts(run, ws):
    out = run("-C", ws, "runbook", "show", "diamond").stdout
    assert "to finish every step: 17 min (no step is marked 'mitigates'" in out


def test_list_gives_both_figures_and_the_rto(run, mitigated):
    [item] = json.loads(run("-C", mitigated, "runbook", "list", "--format", "json").stdout)
    assert (item["eta_minutes"], item["finish_minutes"], item["rto_minutes"],
            item["within_rto"]) == (17, 37, 17, True)
    slower = mitigated / "risks" / "RSK-001.yaml"
    slower.write_text(FAST_RISK.replace("rto_minutes: 17", "rto_minutes: 16"))
    text = run("-C", mitigated, "runbook", "list").stdout
    assert text.splitlines()[2].split()[3:6] == ["17!", "37", "16"]
    assert "! = the expected time to mitigate is above the RTO" in text


def test_validate_and_review_hold_the_time_to_mitigate_against_the_rto(run, mitigated):
    args = ("--as-of", "2026-11-26")
    result = run("-C", mitigated, "validate", "--strict", *args)
    assert result.exit_code == 0, result.output  # no W006: 17 min to mitigate, RTO 17
    assert "eta-above-rto" not in run("-C", mitigated, "review", *args).stdout
    (mitigated / "risks" / "RSK-001.yaml").write_text(
        FAST_RISK.replace("rto_minutes: 17", "rto_minutes: 16"))
    result = run("-C", mitigated, "validate", *args)
    assert "W006" in result.output and "time to mitigate 17 min" in result.output
    assert "time to mitigate 17 min" in run("-C", mitigated, "review", *args).stdout


def test_validate_refuses_a_mitigates_that_is_not_a_boolean(run, make_ws):
    ws = make_ws({"runbooks/diamond.yaml": MITIGATED.replace("mitigates: true",
                                                             "mitigates: soon")})
    result = run("-C", ws, "validate")
    assert result.exit_code == 1
    line = MITIGATED.splitlines().index("    mitigates: true") + 1
    assert f"runbooks/diamond.yaml:{line}:" in result.output


@pytest.mark.parametrize("fmt, said", [
    ("md", "The impact is over when `d` is done; every step done: 37 min."),
    ("txt", "The impact is over when 'd' is done; every step done: 37 min"),
    ("html", "The impact is over when <code>d</code> is done; every step done: 37 min."),
])
def test_the_plan_header_gives_both_figures(run, mitigated, fmt, said):
    result = run("-C", mitigated, "runbook", "render", "diamond", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "time to mitigate: 17 min" in result.stdout.replace("**", "")
    assert said in result.stdout
