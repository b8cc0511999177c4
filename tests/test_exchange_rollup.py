"""Several registers in one picture: `report` and `export --sqlite` over many workspaces."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SETTINGS, copy_demo

AS_OF = ("--as-of", "2026-11-26")

NIST = """\
name: Data Team
matrix: nist-800-30
appetite: moderate
"""


def risk(ident: str, likelihood: int, impact: int) -> str:
    return (f"id: {ident}\ntitle: t {ident}\nowner: o\nstatus: open\n"
            f"likelihood: {likelihood}\nimpact: {impact}\n")


def workspaces(make_ws, tmp_path: Path) -> list[Path]:
    a = make_ws({"risks/a.yaml": risk("RSK-1", 5, 5), "risks/b.yaml": risk("RSK-2", 1, 1)},
                settings=SETTINGS.replace("Test Co", "Payments"), root=tmp_path / "pay")
    b = make_ws({"risks/a.yaml": risk("RSK-1", 4, 4)},
                settings=SETTINGS.replace("Test Co", "Platform"), root=tmp_path / "plat")
    c = make_ws({"risks/a.yaml": risk("RSK-1", 5, 5)}, settings=NIST, root=tmp_path / "data")
    return [a, b, c]


def test_report_rolls_up_with_qualified_ids_and_matrices_kept_apart(run, make_ws, tmp_path):
    spaces = workspaces(make_ws, tmp_path)
    out = tmp_path / "all.html"
    result = run("report", *spaces, "-o", out, *AS_OF)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "roll-up of 3 workspaces" in html
    for qid in ("payments:RSK-1", "platform:RSK-1", "data-team:RSK-1"):
        assert f"<code>{qid}</code>" in html
    assert "payments:RSK-2" not in html  # low: not above the appetite
    # the two 5x5 workspaces are added up, the NIST one is kept apart and the page says so
    assert "Matrix 5x5: payments, platform" in html
    assert "Matrix nist-800-30: data-team" in html
    assert "The matrices differ: payments, platform (5x5); data-team (nist-800-30)" in html
    assert html.count("<svg") == 3  # a heat map each, on its own matrix
    critical = re.search(r"Critical</span></td><td class=\"num\">(\d+)</td>", html)
    assert critical and critical.group(1) == "1"  # payments' 25; platform's 16 is high
    again = tmp_path / "again.html"
    run("report", *spaces, "-o", again, *AS_OF)
    assert again.read_text() == html


def test_matrices_that_agree_are_not_noted(run, make_ws, tmp_path):
    spaces = workspaces(make_ws, tmp_path)[:2]
    out = tmp_path / "two.html"
    assert run("report", *spaces, "-o", out, *AS_OF).exit_code == 0
    assert "The matrices differ" not in out.read_text()


def test_one_workspace_argument_is_its_usual_report(run, tmp_path):
    demo = copy_demo(tmp_path / "demo")
    out, here = tmp_path / "one.html", tmp_path / "here.html"
    assert run("report", demo, "-o", out, *AS_OF).exit_code == 0
    assert run("-C", demo, "report", "-o", here, *AS_OF).exit_code == 0
    assert out.read_text() == here.read_text()


def test_workspaces_with_the_same_name_get_distinct_keys(run, make_ws, tmp_path):
    import sqlite3

    a = make_ws({"risks/a.yaml": risk("RSK-1", 2, 2)}, root=tmp_path / "x")
    b = make_ws({"risks/a.yaml": risk("RSK-1", 3, 3)}, root=tmp_path / "y")
    out = tmp_path / "all.db"
    assert run("export", "--sqlite", out, a, b, *AS_OF).exit_code == 0
    rows = sqlite3.connect(out).execute(
        "SELECT workspace, id, score FROM risks ORDER BY workspace").fetchall()
    assert rows == [("test-co", "RSK-1", 4), ("test-co-2", "RSK-1", 9)]
