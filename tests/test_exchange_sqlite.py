"""`riskkit export --sqlite`: the workspace (or several) as a database, queried with SQL."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import REPO
from riskkit.exchange.sqlite import SCHEMA

AS_OF = ("--as-of", "2026-11-26")


def copy_demo(root: Path, name: str | None = None) -> Path:
    root.mkdir(parents=True)
    for folder in ("risks", "runbooks", "drills", "incidents"):
        shutil.copytree(REPO / folder, root / folder)
    settings = (REPO / "riskkit.yaml").read_text()
    if name:
        settings = settings.replace("name: Larkspur Payments", f"name: {name}")
    (root / "riskkit.yaml").write_text(settings)
    return root


def query(path: Path, sql: str, *args: object) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    from conftest import invoke

    root = copy_demo(tmp_path_factory.mktemp("demo") / "ws")
    started = invoke("-C", root, "incident", "start", "db-failover", "--var",
                     "region=eu-west-1", "--id", "inc-1", "--at", "2026-11-20T10:00:00Z",
                     "--by", "dana", env={"RISKKIT_NO_CACHE": "1"})
    assert started.exit_code == 0, started.output
    out = root / "register.db"
    result = invoke("-C", root, "export", "--sqlite", out, *AS_OF,
                    env={"RISKKIT_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    return out


def test_the_database_answers_questions_about_the_register(demo_db, run):
    import json

    register = json.loads(run("-C", REPO, "risks", "--format", "json", *AS_OF).stdout)
    assert query(demo_db, "SELECT count(*) FROM risks") == [(len(register),)]
    above = sorted(r["id"] for r in register if r["above_appetite"])
    assert [i for (i,) in query(demo_db, "SELECT id FROM risks WHERE above_appetite = 1 "
                                         "ORDER BY id")] == above
    assert query(demo_db, "SELECT level, score, treatment_due, rto_minutes, review_last "
                          "FROM risks WHERE id = 'RSK-007'") == \
        [("high", 15, "2027-02-28", 60, "2026-10-02")]
    assert ("CTL-replica", "preventive", "planned") in query(
        demo_db, "SELECT id, kind, status FROM controls WHERE risk = 'RSK-007'")
    assert query(demo_db, "SELECT tag FROM risk_tags WHERE risk = 'RSK-007' ORDER BY tag") \
        == [("database",), ("ledger",), ("pci",), ("postgresql",)]
    # risks per owner and level, as a dashboard would chart them
    rows = query(demo_db, "SELECT owner, count(*) FROM risks JOIN levels USING (workspace) "
                          "WHERE levels.id = risks.level AND levels.rank >= 3 "
                          "GROUP BY owner ORDER BY owner")
    assert rows and all(n > 0 for _, n in rows)


def test_runbooks_steps_links_drills_findings_review_and_incidents(demo_db, run):
    import json

    runbooks = json.loads(run("-C", REPO, "runbook", "list", "--format", "json",
                              *AS_OF).stdout)
    db = {r["id"]: r for r in runbooks}["db-failover"]
    assert query(demo_db, "SELECT eta_minutes, finish_minutes, rto_minutes FROM runbooks "
                          "WHERE id = 'db-failover'") == \
        [(db["eta_minutes"], db["finish_minutes"], db["rto_minutes"])]
    assert query(demo_db, "SELECT risk FROM links WHERE runbook = 'db-failover' "
                          "ORDER BY risk") == [(r,) for r in sorted(db["risks"])]
    steps = query(demo_db, "SELECT id, stage FROM steps WHERE runbook = 'db-failover' "
                           "ORDER BY position")
    assert steps[0] == ("declare", 1)
    assert query(demo_db, "SELECT needs FROM step_needs WHERE runbook = 'db-failover' AND "
                          "step = 'cluster-state'") == [("declare",)]
    assert query(demo_db, "SELECT count(*) FROM drills")[0][0] == \
        len(list((REPO / "drills").glob("*.yaml")))
    assert query(demo_db, "SELECT count(*) FROM findings")[0][0] > 0
    review = json.loads(run("-C", REPO, "review", "--format", "json", *AS_OF).stdout)
    assert query(demo_db, "SELECT kind, count(*) FROM review_findings GROUP BY kind "
                          "ORDER BY kind") == sorted(review["summary"].items())
    assert query(demo_db, "SELECT id, runbook, state, started_at, started_by FROM "
                          "incidents WHERE id = 'inc-1'") == [("inc-1", "db-failover", "open",
                                                               "2026-11-20T10:00:00Z", "dana")]
    demo = sorted(p.name for p in (REPO / "incidents").iterdir())  # the demo's, all closed
    assert query(demo_db, "SELECT id, state FROM incidents WHERE id != 'inc-1' ORDER BY id") \
        == [(i, "closed") for i in demo]


def test_the_readme_shows_the_schema_as_it_is():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", readme, re.S)
    assert SCHEMA in blocks


def test_the_same_workspace_gives_the_same_bytes(run, tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    for out in (first, second):
        assert run("-C", REPO, "export", "--sqlite", out, *AS_OF).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_several_workspaces_are_qualified_by_their_key(run, tmp_path):
    a = copy_demo(tmp_path / "payments", "Payments")
    b = copy_demo(tmp_path / "platform", "Platform")
    out = tmp_path / "all.db"
    result = run("export", "--sqlite", out, a, b, *AS_OF)
    assert result.exit_code == 0, result.output
    assert query(out, "SELECT workspace, name FROM workspaces ORDER BY workspace") == \
        [("payments", "Payments"), ("platform", "Platform")]
    assert query(out, "SELECT workspace, count(*) FROM risks GROUP BY workspace") == \
        [("payments", 28), ("platform", 28)]
    twice = run("export", "--sqlite", out, a, a / "risks", *AS_OF)
    assert twice.exit_code == 1 and "a workspace is named twice" in twice.stderr


def test_a_broken_file_is_left_out_and_reported(run, tmp_path):
    root = copy_demo(tmp_path / "ws")
    (root / "risks" / "RSK-001.yaml").write_text("id: RSK-001\n")
    out = tmp_path / "x.db"
    result = run("export", "--sqlite", out, root, *AS_OF)
    assert result.exit_code == 1
    assert "ws/risks/RSK-001.yaml:1:1: S101" in result.stderr
    assert query(out, "SELECT count(*) FROM risks") == [(27,)]
