"""Odd but plausible input that once crashed riskkit or gave a wrong answer."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from riskkit.files import cache

RUNBOOK = """\
id: rb
title: Fix {{ host }}
summary: Restore {{ host }}
triggers: ["{{ host }} is down"]
inputs:
  host: {description: The host, required: true}
  count: {description: How many, default: "3"}
exit_criteria: ["{{ host }} answers"]
steps:
  - {id: a, title: "Go to {{ host }}", role: sre, minutes: 5}
"""


def test_an_unknown_filter_is_a_validate_problem(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK.replace("Go to {{ host }}",
                                                        "Go to {{ host | nosuchfilter }}")})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("runbooks/rb.yaml:10:")
    assert "B011" in result.stdout and "nosuchfilter" in result.stdout


def test_arithmetic_on_text_is_a_render_problem_not_a_crash(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK.replace("Go to {{ host }}",
                                                        "Go to {{ count - 2 }}")})
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=db1")
    assert result.exit_code == 1
    assert result.stderr.startswith("runbooks/rb.yaml:10:")
    assert " T001 " in result.stderr and result.stdout == ""


def test_an_empty_required_input_is_refused(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK})
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=")
    assert result.exit_code == 1
    assert "input 'host' is required and was given empty" in result.stderr
    assert result.stdout == ""


def test_every_text_of_the_plan_is_rendered(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK})
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=db1")
    assert result.exit_code == 0, result.output
    assert "{{" not in result.stdout
    for text in ("Restore db1", "db1 is down", "db1 answers"):
        assert text in result.stdout


def test_an_unrelated_broken_file_does_not_stop_a_plan(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK, "risks/ok.yaml": "id: R1\n"})
    (root / "risks" / "folder.yaml").mkdir()
    (root / "drills").mkdir()
    os.symlink("gone.yaml", root / "drills" / "broken.yaml")
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=db1")
    assert result.exit_code == 0, result.output


def test_a_broken_runbook_file_is_located_not_unknown(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": "id: rb\ntitle: [unclosed\n"})
    result = run("-C", root, "runbook", "show", "rb")
    assert result.exit_code == 1
    assert result.stderr.startswith("runbooks/rb.yaml:3:1: Y001 ")


def test_a_duplicate_key_in_the_runbook_stops_the_plan(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK + "title: Again\n"})
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=db1")
    assert result.exit_code == 1
    assert "Y002 duplicate key 'title'" in result.stderr


def test_a_matrix_file_without_a_yaml_suffix_is_part_of_the_cache_key(run, make_ws,
                                                                   monkeypatch):
    matrix = ("likelihood: [{id: a, name: A}, {id: b, name: B}, {id: c, name: C}]\n"
              "impact: [{id: a, name: A}, {id: b, name: B}, {id: c, name: C}]\n"
              "levels: [{id: low, name: Low, color: '#00aa00'}]\nthresholds: {low: 1}\n")
    settings = "matrix: m/ours\n"
    root = make_ws({"m/ours": matrix, "risks/r.yaml": (
        "id: R1\ntitle: t\nowner: o\nstatus: open\nlikelihood: 3\nimpact: 1\n")},
        settings=settings)
    assert run("-C", root, "validate").exit_code == 0
    for path in Path(os.environ["RISKKIT_CACHE_DIR"]).rglob("*"):  # written long after
        if path.is_file():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * cache.RACY_NS))
    (root / "m" / "ours").write_text(matrix.replace(", {id: c, name: C}]\nimpact", "]\nimpact"))
    result = run("-C", root, "validate")
    assert result.exit_code == 1 and "R002" in result.stdout


def test_init_quotes_the_name(run, tmp_path):
    target = tmp_path / "i5: x"
    result = run("init", target, "--name", "#ops: Acme")
    assert result.exit_code == 0, result.output
    assert run("-C", target, "validate").exit_code == 0
    assert "#ops: Acme" in run("-C", target, "report", "-o", tmp_path / "r.html").stderr + \
        (tmp_path / "r.html").read_text()


def test_init_refuses_a_file_where_a_folder_goes(run, tmp_path):
    (tmp_path / "drills").write_text("not a folder")
    result = run("init", tmp_path)
    assert result.exit_code == 2
    assert "drills (not a folder)" in result.stderr
    assert not (tmp_path / "riskkit.yaml").exists()


def test_written_files_get_the_usual_mode(run, make_ws, tmp_path):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK})
    out = tmp_path / "plan.md"
    umask = os.umask(0o022)
    try:
        run("-C", root, "runbook", "render", "rb", "--var", "host=a", "-o", out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        out.chmod(0o640)
        run("-C", root, "runbook", "render", "rb", "--var", "host=b", "-o", out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_a_quarter_out_of_range_is_a_clear_error(run, make_ws):
    root = make_ws()
    result = run("-C", root, "drill", "plan", "--quarter", "0000Q1")
    assert result.exit_code == 1 and "out of range" in result.stderr
    assert run("-C", root, "drill", "plan", "--quarter", "9999Q4").exit_code == 0
    for as_of in ("0001-01-01", "9999-10-01"):  # the next quarter of the first and last
        assert run("-C", root, "report", "--as-of", as_of, "-o", root / "r.html").exit_code == 0


def test_diff_in_a_repository_without_commits(run, make_ws):
    root = make_ws()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = run("-C", root, "diff")
    assert result.exit_code == 2
    assert "no commits yet" in result.stderr


def test_heat_map_colours_need_no_terminal_library(run, make_ws):
    from riskkit.present.heatmap import heatmap_text

    data = {"matrix": "m", "rating": "current", "likelihood": ["a"], "impact": ["b"],
            "levels": [{"id": "low", "name": "Low", "color": "#102030"}],
            "cells": [{"likelihood": 1, "impact": 1, "level": "low", "color": "#102030",
                       "count": 2, "risks": ["R1", "R2"]}], "total": 2}
    assert "\x1b[48;2;16;32;48m" in heatmap_text(data, color=True)
    assert "\x1b" not in heatmap_text(data, color=False)
    json.dumps(data)


def test_a_scenario_without_steps_is_flagged(run, make_ws):
    text = RUNBOOK.replace("inputs:", "scenarios: {empty: Nothing applies}\ninputs:").replace(
        "role: sre, minutes: 5}", "role: sre, minutes: 5, when: []}")
    root = make_ws({"runbooks/rb.yaml": text.replace(
        "  - {id: a, title: \"Go to {{ host }}\", role: sre, minutes: 5, when: []}",
        "  - {id: a, title: \"Go to {{ host }}\", role: sre, minutes: 5, when: [other]}\n"
        ).replace("{empty: Nothing applies}", "{empty: Nothing applies, other: Other}")})
    result = run("-C", root, "validate", "--strict")
    assert result.exit_code == 1
    assert "W008 rb: scenario 'empty' has no steps" in result.stdout
    assert "scenario 'other'" not in result.stdout


def test_an_optional_input_without_default_cannot_be_printed(run, make_ws):
    text = RUNBOOK.replace("host: {description: The host, required: true}",
                           "host: {description: The host}")
    root = make_ws({"runbooks/rb.yaml": text})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert "B014 rb: uses optional input 'host', which has no default" in result.stdout


def test_defaults_that_wait_on_each_other_are_refused(run, make_ws):
    text = RUNBOOK.replace('count: {description: How many, default: "3"}',
                           'count: {default: "{{ other }}"}\n  other: {default: "{{ count }}"}')
    root = make_ws({"runbooks/rb.yaml": text})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert "B015 rb: input defaults depend on each other in a circle: count -> other -> count" \
        in result.stdout


def test_a_problem_inside_a_block_scalar_points_at_its_own_line(run, make_ws):
    text = RUNBOOK.replace('  - {id: a, title: "Go to {{ host }}", role: sre, minutes: 5}',
                           '  - id: a\n    title: Go\n    role: sre\n    minutes: 5\n'
                           '    do: |\n      first line\n      second line\n'
                           '      {% if %} third line\n')
    root = make_ws({"runbooks/rb.yaml": text})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    line = text.splitlines().index("      {% if %} third line") + 1
    assert result.stdout.startswith(f"runbooks/rb.yaml:{line}:1: B011 ")


def test_validate_checks_template_overrides(run, make_ws):
    root = make_ws({"templates/plan.md.j2": "# {{ plan.title }}\n{% for %}\n"})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("templates/plan.md.j2:2:1: T002 template syntax error")


def test_a_plan_says_when_a_linked_risk_is_left_out(run, make_ws):
    risk = ("id: RSK-1\ntitle: t\nowner: o\nstatus: open\nlikelihood: 2\nimpact: 2\n"
            "rto_minutes: 30\nrunbooks: [rb]\n")
    root = make_ws({"runbooks/rb.yaml": RUNBOOK, "risks/r.yaml": risk + "title: [broken\n"})
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=db1")
    assert result.exit_code == 0
    assert "riskkit: note: risks/r.yaml:" in result.stderr
    assert "left out of the plan" in result.stderr


def test_a_broken_file_does_not_make_its_links_unknown(run, make_ws):
    risk = ("id: RSK-1\ntitle: t\nowner: o\nstatus: open\nlikelihood: 2\nimpact: 2\n"
            "runbooks: [rb]\n")
    drill = "runbook: rb\ndate: 2026-01-02\nkind: tabletop\noutcome: pass\n"
    root = make_ws({"runbooks/rb.yaml": "id: rb\ntitle: [broken\n", "risks/RSK-1.yaml": risk,
                    "drills/d.yaml": drill})
    result = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert result.exit_code == 1
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()] == ["Y001"]


def test_markdown_tables_escape_pipes(run, make_ws):
    from conftest import SETTINGS

    settings = SETTINGS.replace("SRE on-call", "SRE | on-call")
    root = make_ws({"runbooks/rb.yaml": RUNBOOK}, settings=settings)
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=db1")
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("| sre |"))
    assert "SRE \\| on-call" in row
    assert len(row.replace("\\|", "").split("|")) == len(
        next(line for line in result.stdout.splitlines()
             if line.startswith("| role |")).split("|"))


def test_a_scenario_without_steps_prints_no_plan(run, make_ws):
    text = RUNBOOK.replace("inputs:", "scenarios: {a: A, b: B}\ninputs:").replace(
        "role: sre, minutes: 5}", "role: sre, minutes: 5, when: [a]}")
    root = make_ws({"runbooks/rb.yaml": text})
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=x", "--scenario", "b")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no step applies to scenario 'b'" in result.stderr


def test_a_runbook_outside_the_workspace_is_checked_as_a_runbook(run, make_ws, tmp_path):
    root = make_ws()
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(RUNBOOK)
    result = run("-C", root, "validate", outside)
    assert result.exit_code == 0, result.stdout
    assert "0 risks, 1 runbooks" in result.stderr  # read, and as a runbook
    outside.write_text(RUNBOOK.replace("minutes: 5}", "minutes: 5, needs: [z]}"))
    result = run("-C", root, "validate", outside)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{outside}:10:") and " B002 " in result.stdout


def test_dash_C_applies_to_output_files_too(run, make_ws, tmp_path, monkeypatch):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK})
    monkeypatch.chdir(tmp_path)
    result = run("-C", root, "runbook", "render", "rb", "--var", "host=x", "-o", "plan.md")
    assert result.exit_code == 0
    assert (root / "plan.md").is_file() and not (tmp_path / "plan.md").exists()
    assert os.getcwd() == str(tmp_path)  # and the process is back where it started


def test_diff_in_the_pull_request_that_adds_the_register(run, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, env=env,
                                    capture_output=True)
    git("init", "-q")
    (repo / "README.md").write_text("hello\n")
    git("add", "-A")
    git("commit", "-qm", "first")
    assert run("init", repo / "ops").exit_code == 0
    git("add", "-A")
    git("commit", "-qm", "register")
    result = run("-C", repo / "ops", "diff", "HEAD~1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["risks"]["added"]] == ["RSK-001"]
    assert [r["id"] for r in data["runbooks"]["added"]] == ["db-failover"]


def test_drill_record_refuses_infinite_minutes(run, make_ws):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK})
    result = run("-C", root, "drill", "record", "rb", "--date", "2026-01-02", "--kind", "live",
                 "--outcome", "pass", "--minutes", "a=1e400", "--as-of", "2026-11-26")
    assert result.exit_code == 1
    assert "--minutes a: inf is not a number of minutes" in result.stderr
    assert not (root / "drills").exists() or not list((root / "drills").iterdir())


def test_a_rating_off_the_matrix_is_reported_beside_schema_problems(run, make_ws):
    root = make_ws({"risks/r.yaml": "id: R1\ntitle: t\nowner: o\nstatus: opn\n"
                                    "likelihood: 9\nimpact: 2\n"})
    result = run("-C", root, "validate")
    codes = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()]
    assert codes == ["S103", "R002"]


def test_linked_folders_and_upper_case_suffixes_are_read(run, make_ws, tmp_path):
    root = make_ws({"risks/r.yaml": "id: R1\ntitle: t\nowner: o\nstatus: open\n"
                                    "likelihood: 1\nimpact: 2\n"})
    shared = root / "library"  # a linked folder of the workspace (outside, it is refused)
    shared.mkdir()
    (shared / "R2.YAML").write_text("id: R2\ntitle: t\nowner: o\nstatus: open\n"
                                    "likelihood: 9\nimpact: 2\n")
    os.symlink(shared, root / "risks" / "shared")
    os.symlink(root / "risks", root / "risks" / "loop")  # must not loop
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert "risks/shared/R2.YAML:5:13: R002" in result.stdout


def test_a_finding_marked_done_is_no_longer_past_due(run, make_ws):
    drill = ("runbook: rb\ndate: 2026-01-02\nkind: tabletop\noutcome: pass\nfindings:\n"
             "  - {title: Alert too late, owner: team-a, due: 2026-02-01}\n"
             "  - {title: Pager rota wrong, owner: team-b, due: 2026-02-01, status: done}\n")
    root = make_ws({"runbooks/rb.yaml": RUNBOOK, "drills/d.yaml": drill})
    result = run("-C", root, "review", "--as-of", "2026-11-26", "--kind", "finding-overdue",
                 "--format", "json")
    found = json.loads(result.stdout)["findings"]
    assert [f["message"].split(": ", 1)[1] for f in found] == ["Alert too late"]
