"""``riskkit retro``: a quarter summed up from the files and a git history built here, commit
by commit at known dates; the counts are checked against the story the commits tell."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from test_formats import GIT_ENV

SETTINGS = """\
name: Retro Co
matrix: 5x5
appetite: medium
review_days: {critical: 30, high: 90, medium: 180, low: 365}
drill_days: {critical: 90, high: 180, medium: 365}
roles:
  ic: {title: Incident commander}
  sre: {title: SRE on-call}
"""

RUNBOOK = """\
id: rb
title: Runbook
risks: [RSK-A]
triggers: [x]
steps:
  - {id: declare, title: Declare, role: ic, minutes: 5}
  - {id: fix, title: Fix it, role: sre, needs: [declare], minutes: 10, mitigates: true}
"""


def risk(rid: str, likelihood: int, impact: int, status: str = "mitigating") -> str:
    return (f"id: {rid}\ntitle: Risk {rid}\nowner: team-x\nstatus: {status}\n"
            f"likelihood: {likelihood}\nimpact: {impact}\n"
            "treatment: {strategy: mitigate, due: 2027-06-30}\n"
            "review: {last: 2026-09-01, by: dana}\nrto_minutes: 30\n")


DRILL = """\
runbook: rb
date: 2026-10-12
kind: tabletop
outcome: partial
findings:
  - {title: Alert fires late, owner: team-x, due: 2026-12-01%s}
"""

# (author date, files written (None: removed), what the commit does to the quarter's count)
HISTORY = [
    ("2026-09-15", {"riskkit.yaml": SETTINGS, "runbooks/rb.yaml": RUNBOOK,
                    "risks/RSK-A.yaml": risk("RSK-A", 3, 4),      # high 12
                    "risks/RSK-B.yaml": risk("RSK-B", 2, 2),      # low 4
                    "risks/RSK-C.yaml": risk("RSK-C", 4, 5)}),    # critical 20
    ("2026-10-05", {"risks/RSK-A.yaml": risk("RSK-A", 4, 4),      # up: high 16
                    "risks/RSK-B.yaml": risk("RSK-B", 3, 3)}),    # up: medium 9
    ("2026-10-13", {"drills/2026-10-12-rb.yaml": DRILL % ""}),
    ("2026-10-20", {"risks/RSK-D.yaml": risk("RSK-D", 2, 3),      # added
                    "risks/RSK-C.yaml": risk("RSK-C", 3, 5)}),    # down: high 15
    ("2026-11-10", {"risks/RSK-B.yaml": risk("RSK-B", 3, 3, "closed"),  # closed
                    "risks/RSK-A.yaml": risk("RSK-A", 3, 4)}),    # down: high 12
    ("2026-11-12", {"risks/RSK-D.yaml": risk("RSK-D", 2, 3, "closed")}),  # closed
    ("2026-11-15", {"drills/2026-10-12-rb.yaml": DRILL % ", status: done"}),
    ("2027-01-05", {"risks/RSK-C.yaml": risk("RSK-C", 3, 5, "closed")}),  # next quarter
]


def git(cwd: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, **GIT_ENV}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T12:00:00+00:00"
    subprocess.run(["git", "-C", str(cwd), "-c", "commit.gpgsign=false", *args],
                   check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("retro") / "ws"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for date, files in HISTORY:
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"changes of {date}", date=date)
    return root


def retro(run, root: Path, *args: str) -> dict:
    result = run("-C", root, "retro", "--quarter", "2026Q4", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_retro_counts_the_quarters_re_ratings_and_closures(run, repo, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    data = retro(run, repo, "--as-of", "2027-01-10")
    assert data["history"] is None
    assert {k: data["risks"][k] for k in ("added", "closed", "up", "down", "removed")} == \
        {"added": 1, "closed": 2, "up": 2, "down": 2, "removed": 0}
    events = [(e["date"], e["risk"], e["kind"]) for e in data["risks"]["events"]]
    assert events == [("2026-10-05", "RSK-A", "up"), ("2026-10-05", "RSK-B", "up"),
                      ("2026-10-20", "RSK-C", "down"), ("2026-10-20", "RSK-D", "added"),
                      ("2026-11-10", "RSK-A", "down"), ("2026-11-10", "RSK-B", "closed"),
                      ("2026-11-12", "RSK-D", "closed")]
    detail = {(e["risk"], e["date"]): e["detail"] for e in data["risks"]["events"]}
    assert detail[("RSK-A", "2026-10-05")] == "high 12 -> high 16"
    assert detail[("RSK-C", "2026-10-20")] == "critical 20 -> high 15"
    # The drill: planned at the quarter's start (rb never drilled, high RSK-A), done on
    # 2026-10-12 with one finding, marked done in a commit of the quarter.
    assert data["drills"]["planned"] == ["rb"] and data["drills"]["not_drilled"] == []
    assert [(d["runbook"], d["date"], d["planned"]) for d in data["drills"]["done"]] == \
        [("rb", "2026-10-12", True)]
    assert data["findings"] == {"opened": 1, "closed": 1}
    # The review backlog at the quarter's start was the workspace as committed then.
    assert data["backlog"]["then"] == {"drill-never": 1, "no-runbook": 1}  # critical RSK-C
    assert data["next_quarter"] == "2027Q1"


def test_a_quarter_in_progress_counts_up_to_as_of(run, repo, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    data = retro(run, repo, "--as-of", "2026-11-11")
    assert data["in_progress"] is True
    assert {k: data["risks"][k] for k in ("added", "closed", "up", "down")} == \
        {"added": 1, "closed": 1, "up": 2, "down": 2}
    assert data["findings"]["closed"] == 0


def test_incidents_and_action_items_of_the_quarter(run, repo, tmp_path, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    work = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True,
                   capture_output=True, env={**os.environ, **GIT_ENV})
    steps = [["start", "rb", "--id", "slow", "--at", "2026-10-30T10:00:00Z"],
             ["done", "declare", "-i", "slow", "--at", "2026-10-30T10:05:00Z"],
             ["done", "fix", "-i", "slow", "--at", "2026-10-30T10:40:00Z"],
             ["close", "-i", "slow", "--at", "2026-10-30T10:45:00Z"],
             ["action", "Faster fix", "--owner", "team-x", "--due", "2026-11-30", "-i", "slow",
              "--at", "2026-11-01T10:00:00Z"],
             ["action", "Second", "--owner", "team-x", "--due", "2027-02-01", "-i", "slow",
              "--at", "2026-11-01T10:01:00Z"],
             ["start", "--risk", "RSK-B", "--id", "early", "--at", "2026-09-20T10:00:00Z"],
             ["close", "-i", "early", "--at", "2026-09-20T10:30:00Z"]]
    ids = []
    for args in steps:
        result = run("-C", work, "incident", *args, "--by", "dana")
        assert result.exit_code == 0, result.output
        if args[0] == "action":
            ids.append(result.stdout.strip())
    assert run("-C", work, "incident", "action-done", ids[0], "--at", "2026-12-01T09:00:00Z",
               "--by", "dana").exit_code == 0
    data = retro(run, work, "--as-of", "2027-01-10")
    assert [(i["id"], i["time_to_mitigate"], i["rto_minutes"], i["within"])
            for i in data["incidents"]] == [("slow", 40, 30, False)]
    assert data["actions"]["opened"] == 2 and data["actions"]["closed"] == 1
    assert [a["title"] for a in data["actions"]["open_now"]] == ["Second"]
    md = run("-C", work, "retro", "--quarter", "2026Q4", "--as-of", "2027-01-10").stdout
    assert "| slow Runbook | rb | 2026-10-30T10:00:00Z | closed (resolved) | 40 min | " \
           "30 min | **ABOVE** |" in md
    assert "1 added, 2 closed, 2 re-rated up, 2 re-rated down" in md
    page = tmp_path / "retro.html"
    assert run("-C", work, "retro", "--quarter", "2026Q4", "--as-of", "2027-01-10",
               "--format", "html", "-o", page).exit_code == 0
    html = page.read_text()
    assert html.count("<svg") == 4 and "<script" not in html


def test_without_git_the_history_is_left_out_and_said(run, make_ws, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(Path(make_ws().parent)))
    root = make_ws({"risks/RSK-A.yaml": risk("RSK-A", 3, 4)})
    data = retro(run, root, "--as-of", "2026-12-31")
    assert "not in a git repository" in data["history"]
    assert data["findings"]["closed"] is None and data["risks"]["events"] == []
    future = run("-C", root, "retro", "--quarter", "2027Q2", "--as-of", "2026-12-31")
    assert future.exit_code == 1 and "has not begun" in future.stderr
