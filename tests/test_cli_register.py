"""The register commands through the CLI: validate, risks, matrix, schema, init, -C, --version."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

from conftest import REPO

ANSI = re.compile(r"\x1b\[")

# A small register on the 5x5 preset (appetite: medium). Scores are likelihood x impact:
#   RSK-F6 25, RSK-A1 20, RSK-B2 12, RSK-E5 12, RSK-C3 6, RSK-D4 2.
REGISTER = {
    "risks/RSK-A1.yaml": """\
        id: RSK-A1
        title: 'Card "processor", outage'
        owner: team-pay
        status: open
        likelihood: 4
        impact: 5
        tags: [payments]
        """,
    "risks/RSK-B2.yaml": """\
        id: RSK-B2
        title: Ledger | settlement lag
        owner: team-data
        status: mitigating
        likelihood: possible
        impact: high
        residual: {likelihood: 2, impact: 3}
        controls:
          - {id: CTL-1, title: Replica, kind: preventive, status: planned}
        tags: [db, payments]
        """,
    "risks/team/RSK-C3.yaml": """\
        id: RSK-C3
        title: Reporting job runs late
        owner: team-data
        status: accepted
        likelihood: 2
        impact: 3
        acceptance: {by: cfo, until: 2027-12-31}
        """,
    "risks/team/RSK-D4.yaml": """\
        id: RSK-D4
        title: Office printer jams
        owner: team-it
        status: closed
        likelihood: rare
        impact: 2
        tags: [office]
        """,
    "risks/more.yaml": """\
        risks:
          - id: RSK-E5
            title: Search index drifts
            owner: team-search
            status: open
            likelihood: 4
            impact: 3
          - id: RSK-F6
            title: Region lost
            owner: team-pay
            status: mitigating
            likelihood: 5
            impact: 5
            residual: {likelihood: 5, impact: 2}
        """,
}
ORDER = ["RSK-F6", "RSK-A1", "RSK-B2", "RSK-E5", "RSK-C3", "RSK-D4"]
ON_MAP = [r for r in ORDER if r != "RSK-D4"]  # a closed risk no longer sits on the heat map


@pytest.fixture
def ws(make_ws):
    return make_ws(REGISTER)


def ids_in(text: str) -> list[str]:
    return re.findall(r"\bRSK-[A-Z]\d\b", text)


def risks_json(run, ws, *args) -> list[dict]:
    result = run("-C", ws, "risks", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- validate -----------------------------------------------------------------------------

def test_register_validates_clean(run, ws):
    result = run("-C", ws, "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


BROKEN = {
    "risks/a.yaml": "id: RSK-1\ntitle: A\nowner: o\nstatus: open\nlikelihood: 9\nimpact: 1\n",
    "risks/sub/b.yaml": "id: RSK-2\ntitel: B\nowner: o\nstatus: open\nlikelihood: 1\nimpact: 1\n",
    "risks/c.yaml": "id: RSK-3\ntitle: C\nowner: 7\nstatus: open\nlikelihood: 1\nimpact: 1\n",
}


def test_validate_reports_every_problem_in_one_run(run, make_ws):
    root = make_ws(BROKEN)
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    paths = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert set(paths) == {"risks/a.yaml", "risks/sub/b.yaml", "risks/c.yaml"}
    assert "Traceback" not in result.output


def test_validate_json_format(run, make_ws):
    root = make_ws(BROKEN)
    result = run("-C", root, "validate", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert problems, "no problems reported"
    for p in problems:
        assert {"path", "line", "col", "code", "severity", "message"} <= set(p)
        assert isinstance(p["line"], int) and p["line"] >= 1
        assert isinstance(p["col"], int) and p["col"] >= 1
    a = [p for p in problems if p["path"] == "risks/a.yaml"]
    assert [(p["line"], p["col"], p["code"]) for p in a] == [(5, 13, "R002")]
    assert "1-5 or rare..almost-certain" in a[0]["message"]


GITHUB = re.compile(r"^::(error|warning) file=(?P<file>[^,]+),line=(?P<line>\d+),"
                    r"col=(?P<col>\d+)(,title=[^:]*)?::(?P<msg>.+)$")


def test_validate_github_format(run, make_ws):
    root = make_ws(BROKEN)
    result = run("-C", root, "validate", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines
    for line in lines:
        assert GITHUB.match(line), line
    first = GITHUB.match(lines[0])
    assert (first["file"], first["line"], first["col"]) == ("risks/a.yaml", "5", "13")
    assert all(line.startswith("::error ") for line in lines)


def test_validate_defaults_to_github_under_github_actions(run, make_ws):
    root = make_ws(BROKEN)
    result = run("-C", root, "validate", env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert all(GITHUB.match(line) for line in result.stdout.splitlines())
    plain = run("-C", root, "validate", env={"GITHUB_ACTIONS": None})
    assert plain.stdout.startswith("risks/a.yaml:5:13: R002 ")


def test_validate_only_the_named_paths(run, make_ws, monkeypatch):
    root = make_ws(BROKEN)
    monkeypatch.chdir(root)
    result = run("validate", "risks/a.yaml")
    assert result.exit_code == 1
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"risks/a.yaml"}
    result = run("validate", "risks/sub")
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"risks/sub/b.yaml"}
    result = run("validate", "risks/a.yaml", "risks/c.yaml")
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {
        "risks/a.yaml", "risks/c.yaml"}


def test_validate_a_clean_path_in_a_broken_workspace_passes(run, make_ws, monkeypatch):
    root = make_ws({**BROKEN, "risks/ok.yaml": REGISTER["risks/RSK-A1.yaml"]})
    monkeypatch.chdir(root)
    result = run("validate", "risks/ok.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_validate_a_path_relative_to_a_subfolder(run, make_ws, monkeypatch):
    root = make_ws(BROKEN)
    monkeypatch.chdir(root / "risks")
    result = run("validate", "c.yaml")
    assert result.exit_code == 1
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"risks/c.yaml"}


def test_validate_paths_with_dash_C_are_relative_to_that_folder(run, make_ws, tmp_path,
                                                                monkeypatch):
    """-C DIR means "as if started in DIR" (like git -C): PATHs are relative to DIR."""
    root = make_ws(BROKEN)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("-C", root, "validate", "risks/a.yaml")
    assert result.exit_code == 1
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()] == ["R002"]
    assert "no such file" not in result.stdout


def test_validate_a_missing_path(run, make_ws, monkeypatch):
    root = make_ws(REGISTER)
    monkeypatch.chdir(root)
    result = run("validate", "risks/nope.yaml")
    assert result.exit_code in (1, 2)
    assert "risks/nope.yaml" in result.output
    assert "Traceback" not in result.output


def test_validate_finds_the_workspace_from_a_subfolder(run, make_ws, monkeypatch):
    root = make_ws(BROKEN)
    monkeypatch.chdir(root / "risks" / "sub")
    result = run("validate")
    assert result.exit_code == 1
    # Every file of the workspace, named relative to its root, not to the current folder.
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {
        "risks/a.yaml", "risks/sub/b.yaml", "risks/c.yaml"}


def test_dash_C_a_subfolder_walks_up(run, ws):
    result = run("-C", ws / "risks" / "team", "risks", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)] == ORDER


def test_dash_C_a_folder_that_does_not_exist(run, ws):
    result = run("-C", ws / "no-such-folder", "validate")
    assert result.exit_code == 2
    assert "no-such-folder" in result.stderr


def test_no_workspace_from_cwd(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("risks")
    assert result.exit_code == 2
    assert "riskkit.yaml" in result.stderr and result.stdout == ""


def test_odd_tag_in_a_risk_is_a_problem_not_an_internal_error(run, make_ws):
    root = make_ws({"risks/r.yaml": "id: R\ntitle: t\nowner: o\nstatus: open\n"
                                    "likelihood: !!int high\nimpact: 1\n"})
    result = run("-C", root, "validate")
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("risks/r.yaml:5:13: ")


def test_empty_thresholds_in_settings_is_a_settings_problem(run, make_ws):
    settings = ("matrix:\n  likelihood: [{id: a, name: A}]\n  impact: [{id: a, name: A}]\n"
                "  levels: [{id: ok, name: OK, color: '#00aa00'}]\n  thresholds: {}\n")
    root = make_ws({}, settings=settings)
    result = run("-C", root, "validate")
    assert result.exit_code == 2, result.output
    assert "riskkit.yaml:5:" in result.output
    assert "internal error" not in result.output


# --- risks ------------------------------------------------------------------------------

def test_risks_highest_first(run, ws):
    assert [r["id"] for r in risks_json(run, ws)] == ORDER
    table = run("-C", ws, "risks")
    assert table.exit_code == 0
    assert ids_in(table.stdout) == ORDER


def test_risks_json_fields(run, ws):
    rows = {r["id"]: r for r in risks_json(run, ws)}
    required = {"id", "title", "owner", "status", "likelihood", "impact", "score", "level",
                "residual", "above_appetite", "file"}
    for row in rows.values():
        assert required <= set(row), required - set(row)
        assert row["score"] == row["likelihood"] * row["impact"]
    b2 = rows["RSK-B2"]
    assert (b2["likelihood"], b2["impact"], b2["score"]) == (3, 4, 12)  # possible x high
    assert b2["residual"]["score"] == 6
    assert b2["residual"]["likelihood"] == 2 and b2["residual"]["impact"] == 3
    assert b2["file"] == "risks/RSK-B2.yaml"
    assert rows["RSK-E5"]["file"] == "risks/more.yaml"
    assert rows["RSK-D4"]["file"] == "risks/team/RSK-D4.yaml"
    assert rows["RSK-A1"]["residual"] is None
    assert rows["RSK-A1"]["title"] == 'Card "processor", outage'
    # appetite is medium on the 5x5 preset: the two 12s and above are beyond it, 6 and 2 not
    assert rows["RSK-A1"]["above_appetite"] is True
    assert rows["RSK-E5"]["above_appetite"] is True
    assert rows["RSK-D4"]["above_appetite"] is False
    assert rows["RSK-F6"]["level"] == "critical" and rows["RSK-D4"]["level"] == "low"


def test_risks_filter_level_is_a_floor(run, ws):
    all_rows = risks_json(run, ws)
    high = risks_json(run, ws, "--level", "high")
    assert [r["id"] for r in high] == ["RSK-F6", "RSK-A1", "RSK-B2", "RSK-E5"]
    assert all(r["level"] in ("high", "critical") for r in high)
    assert len(all_rows) > len(high)
    assert [r["id"] for r in risks_json(run, ws, "--level", "low")] == ORDER


def test_risks_filter_unknown_level(run, ws):
    result = run("-C", ws, "risks", "--level", "severe")
    assert result.exit_code == 1  # a wrong value on the command line
    assert "severe" in result.stderr and "critical" in result.stderr
    typo = run("-C", ws, "risks", "--level", "hihg")
    assert typo.exit_code == 1
    assert "'hihg' is not a level of the 5x5 matrix (low, medium, high, critical) (did you " \
           "mean 'high'?)" in typo.stderr


def test_risks_filter_owner(run, ws):
    assert [r["id"] for r in risks_json(run, ws, "--owner", "team-data")] == ["RSK-B2",
                                                                              "RSK-C3"]
    both = risks_json(run, ws, "--owner", "team-data", "--owner", "team-it")
    assert [r["id"] for r in both] == ["RSK-B2", "RSK-C3", "RSK-D4"]
    assert risks_json(run, ws, "--owner", "nobody") == []


def test_risks_filter_tag(run, ws):
    assert [r["id"] for r in risks_json(run, ws, "--tag", "payments")] == ["RSK-A1", "RSK-B2"]
    either = risks_json(run, ws, "--tag", "office", "--tag", "db")
    assert [r["id"] for r in either] == ["RSK-B2", "RSK-D4"]


def test_risks_filter_status(run, ws):
    assert [r["id"] for r in risks_json(run, ws, "--status", "accepted")] == ["RSK-C3"]
    rows = risks_json(run, ws, "--status", "open", "--status", "closed")
    assert [r["id"] for r in rows] == ["RSK-A1", "RSK-E5", "RSK-D4"]
    assert run("-C", ws, "risks", "--status", "pending").exit_code == 1


def test_risks_filter_above_appetite(run, ws):
    rows = risks_json(run, ws, "--above-appetite")
    assert [r["id"] for r in rows] == ["RSK-F6", "RSK-A1", "RSK-B2", "RSK-E5"]
    assert all(r["above_appetite"] for r in rows)


def test_risks_filters_combine(run, ws):
    rows = risks_json(run, ws, "--owner", "team-pay", "--status", "mitigating")
    assert [r["id"] for r in rows] == ["RSK-F6"]


@pytest.mark.parametrize("sort, expected", [
    ("score", ORDER),
    ("id", sorted(ORDER)),
    # owner, then id
    ("owner", ["RSK-B2", "RSK-C3", "RSK-D4", "RSK-A1", "RSK-F6", "RSK-E5"]),
    # by the residual rating where there is one, else the current one:
    # A1 20, E5 12, F6 10 (5x2), B2 6 (2x3), C3 6, D4 2; ties by id
    ("residual", ["RSK-A1", "RSK-E5", "RSK-F6", "RSK-B2", "RSK-C3", "RSK-D4"]),
])
def test_risks_sort(run, ws, sort, expected):
    assert [r["id"] for r in risks_json(run, ws, "--sort", sort)] == expected


def test_risks_without_appetite(run, make_ws):
    root = make_ws(REGISTER, settings="matrix: 5x5\n")
    rows = risks_json(run, root)
    assert not any(r["above_appetite"] for r in rows)
    assert risks_json(run, root, "--above-appetite") == []


def test_risks_csv_round_trips(run, ws):
    result = run("-C", ws, "risks", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_json = {r["id"]: r for r in risks_json(run, ws)}
    assert [r["id"] for r in rows] == ORDER
    for row in rows:
        want = by_json[row["id"]]
        assert row["title"] == want["title"]
        assert row["owner"] == want["owner"]
        assert row["status"] == want["status"]
        assert row["level"] == want["level"]
        assert int(row["score"]) == want["score"]
        # ratings as written in the file: a rank, or a scale id
        written = {"RSK-B2": ("possible", "high"), "RSK-D4": ("rare", "2")}
        assert (row["likelihood"], row["impact"]) == written.get(
            row["id"], (str(want["likelihood"]), str(want["impact"])))
        assert row["above_appetite"] == str(want["above_appetite"]).lower()
        assert row["file"] == want["file"]
        if want["residual"]:
            assert int(row["residual_score"]) == want["residual"]["score"]
            assert row["residual_level"] == want["residual"]["level"]
        else:
            assert row["residual_score"] == row["residual_level"] == ""


def test_risks_markdown_table(run, ws):
    result = run("-C", ws, "risks", "--format", "md")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("| id ") and set(lines[1]) <= set("|-: ")
    body = lines[2:]
    assert ids_in("\n".join(body)) == ORDER
    columns = lines[0].count("|")
    for line in body:  # a literal | in a title must not add a column
        assert len(re.findall(r"(?<!\\)\|", line)) == columns, line


def test_risks_table_marks_above_appetite(run, ws):
    result = run("-C", ws, "risks")
    rows = {ids_in(line)[0]: line for line in result.stdout.splitlines() if ids_in(line)}
    assert "critical!" in rows["RSK-F6"] and "!" not in rows["RSK-D4"].split()[1]


def test_risks_on_a_broken_register_shows_the_rest_and_fails(run, make_ws, ws):
    root = make_ws({**REGISTER, **BROKEN})
    result = run("-C", root, "risks", "--format", "json")
    assert result.exit_code == 1
    # What can be trusted is shown: every risk of the files without errors, and only those.
    assert [r["id"] for r in json.loads(result.stdout)] == ORDER
    assert "risks/a.yaml:5:13: R002" in result.stderr
    assert "risks/sub/b.yaml" in result.stderr and "risks/c.yaml" in result.stderr
    assert "left out" in result.stderr


def test_risks_output_file(run, ws, tmp_path):
    out = tmp_path / "register.json"
    result = run("-C", ws, "risks", "--format", "json", "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert [r["id"] for r in json.loads(out.read_text())] == ORDER


def test_risks_output_is_deterministic(run, ws):
    first = run("-C", ws, "risks", "--format", "json").stdout
    assert run("-C", ws, "risks", "--format", "json").stdout == first


# --- matrix -----------------------------------------------------------------------------

def matrix_json(run, ws, *args) -> dict:
    result = run("-C", ws, "matrix", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_matrix_json_places_every_risk_once(run, ws):
    data = matrix_json(run, ws)
    assert len(data["cells"]) == 25
    assert sum(c["count"] for c in data["cells"]) == len(ON_MAP) == data["total"]
    placed = sorted(i for c in data["cells"] for i in c["risks"])
    assert placed == sorted(ON_MAP)
    cell = {(c["likelihood"], c["impact"]): c for c in data["cells"]}
    assert cell[(5, 5)]["risks"] == ["RSK-F6"]
    assert cell[(3, 4)]["risks"] == ["RSK-B2"]
    assert cell[(1, 2)]["risks"] == []  # RSK-D4 is closed
    assert all(c["count"] == len(c["risks"]) for c in data["cells"])
    assert {(c["likelihood"], c["impact"]) for c in data["cells"]} == {
        (li, im) for li in range(1, 6) for im in range(1, 6)}


def test_matrix_residual(run, ws):
    data = matrix_json(run, ws, "--residual")
    cell = {(c["likelihood"], c["impact"]): c for c in data["cells"]}
    assert sum(c["count"] for c in data["cells"]) == len(ON_MAP)
    assert cell[(2, 3)]["risks"] == ["RSK-B2", "RSK-C3"]  # B2 by residual, C3 by current
    assert cell[(5, 2)]["risks"] == ["RSK-F6"]
    assert cell[(5, 5)]["count"] == 0


def test_matrix_cell_levels_agree_with_risk_levels(run, ws):
    levels = {r["id"]: r["level"] for r in risks_json(run, ws)}
    for c in matrix_json(run, ws)["cells"]:
        for ident in c["risks"]:
            assert levels[ident] == c["level"]


def test_matrix_svg(run, ws):
    result = run("-C", ws, "matrix", "--format", "svg")
    assert result.exit_code == 0
    root = ET.fromstring(result.stdout)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    rects = root.findall(f".//{ns}rect")
    assert len(rects) == 25
    colors = {lv["color"].lower() for lv in matrix_json(run, ws)["levels"]}
    assert {r.get("fill").lower() for r in rects} <= colors
    assert not root.findall(f".//{ns}script")
    numbers = [int(t.text) for t in root.iter(ns + "text") if t.text and t.text.isdigit()]
    assert sum(numbers) == len(ON_MAP)


def test_matrix_text_counts(run, ws):
    result = run("-C", ws, "matrix")
    assert result.exit_code == 0
    assert not ANSI.search(result.stdout)  # piped output: no colour
    assert "5 risks" in result.stdout
    grid_rows = [line for line in result.stdout.splitlines() if line.count("|") == 6]
    assert len(grid_rows) == 5
    counts = [int(n) for line in grid_rows for n in re.findall(r"\|\s*(\d+) ", line)]
    assert sum(counts) == len(ON_MAP)


def test_matrix_no_color_even_when_forced_env(run, ws):
    result = run("-C", ws, "matrix", env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert result.exit_code == 0
    assert not ANSI.search(result.output)


def _run_on_a_terminal(args, env) -> str:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "riskkit", *args], stdin=subprocess.DEVNULL,
                              stdout=slave, stderr=subprocess.PIPE, env=env, timeout=120)
        os.close(slave)
        slave = None
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.returncode == 0, proc.stderr
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_matrix_colour_only_on_a_terminal_without_no_color(ws):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    coloured = _run_on_a_terminal(["-C", str(ws), "matrix"], env)
    assert ANSI.search(coloured), "a terminal should get colour"
    plain = _run_on_a_terminal(["-C", str(ws), "matrix"], {**env, "NO_COLOR": "1"})
    assert not ANSI.search(plain)
    assert "5 risks" in plain


def test_matrix_on_nist_preset(run, make_ws):
    root = make_ws({"risks/r.yaml": "id: N\ntitle: t\nowner: o\nstatus: open\n"
                                    "likelihood: very-high\nimpact: very-low\n"},
                   settings="matrix: nist-800-30\n")
    data = matrix_json(run, root)
    cell = {(c["likelihood"], c["impact"]): c for c in data["cells"]}
    assert cell[(5, 1)]["risks"] == ["N"] and cell[(5, 1)]["level"] == "very-low"


# --- schema -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["risk", "runbook", "drill", "matrix", "settings"])
def test_schema_prints_the_published_schema(run, name):
    result = run("schema", name)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert data["$id"].endswith(f"/{name}.schema.json")
    assert data == json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())


def test_schema_needs_no_workspace(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("schema", "risk").exit_code == 0


def test_schema_unknown_name(run):
    result = run("schema", "nope")
    assert result.exit_code == 1


# --- init -------------------------------------------------------------------------------

def test_init_creates_a_workspace_that_validates_clean(run, tmp_path):
    target = tmp_path / "new"
    result = run("init", target)
    assert result.exit_code == 0, result.output
    assert (target / "riskkit.yaml").is_file()
    assert list((target / "risks").glob("*.yaml"))
    check = run("-C", target, "validate", "--strict")
    assert check.exit_code == 0, check.output
    assert check.stdout == ""
    listed = run("-C", target, "risks", "--format", "json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)


def test_init_in_the_current_folder_with_a_name(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("init", "--name", "Acme Payments")
    assert result.exit_code == 0, result.output
    assert "Acme Payments" in (tmp_path / "riskkit.yaml").read_text()
    assert run("validate").exit_code == 0


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_refuses_to_overwrite(run, tmp_path):
    target = tmp_path / "ws"
    target.mkdir()
    (target / "riskkit.yaml").write_text("name: Mine\nmatrix: 3x3\n")
    before = _snapshot(target)
    result = run("init", target)
    assert result.exit_code == 2
    assert "riskkit.yaml" in result.stderr
    assert _snapshot(target) == before
    assert not (target / "risks").exists()


def test_init_refuses_when_only_a_risk_file_is_in_the_way(run, tmp_path):
    target = tmp_path / "ws"
    (target / "risks").mkdir(parents=True)
    (target / "risks" / "RSK-001.yaml").write_text("mine\n")
    before = _snapshot(target)
    result = run("init", target)
    assert result.exit_code == 2
    assert _snapshot(target) == before


def test_init_twice(run, tmp_path):
    target = tmp_path / "ws"
    assert run("init", target).exit_code == 0
    before = _snapshot(target)
    assert run("init", target).exit_code == 2
    assert _snapshot(target) == before


# --- global options ---------------------------------------------------------------------

def test_version(run):
    for flag in ("--version", "-V"):
        result = run(flag)
        assert result.exit_code == 0
        assert version("riskkit") in result.stdout
        assert "riskkit" in result.stdout


def test_help_lists_the_register_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    for command in ("init", "validate", "risks", "matrix", "schema"):
        assert re.search(rf"^\s+{command}\b", result.stdout, re.M), command


def test_empty_register(run, make_ws):
    root = make_ws({})
    assert run("-C", root, "validate").exit_code == 0
    assert risks_json(run, root) == []
    data = matrix_json(run, root)
    assert data["total"] == 0 and len(data["cells"]) == 25
    assert all(c["count"] == 0 for c in data["cells"])
    svg = run("-C", root, "matrix", "--format", "svg")
    assert len(ET.fromstring(svg.stdout).findall(".//{http://www.w3.org/2000/svg}rect")) == 25


def test_matrix_output_file(run, ws, tmp_path):
    out = tmp_path / "heat.svg"
    result = run("-C", ws, "matrix", "--format", "svg", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text() == run("-C", ws, "matrix", "--format", "svg").stdout
    assert not ANSI.search(run("-C", ws, "matrix", "-o", tmp_path / "heat.txt").stdout)
    assert not ANSI.search((tmp_path / "heat.txt").read_text())


def test_ratings_by_id_and_by_rank_are_the_same(run, make_ws):
    by_id = "id: X\ntitle: t\nowner: o\nstatus: open\nlikelihood: likely\nimpact: moderate\n"
    root = make_ws({"risks/x.yaml": by_id})
    first = risks_json(run, root)[0]
    (root / "risks" / "x.yaml").write_text(by_id.replace("likely", "4").replace("moderate", "3"))
    second = risks_json(run, root)[0]
    assert first == second
    assert (first["likelihood"], first["impact"], first["score"]) == (4, 3, 12)
