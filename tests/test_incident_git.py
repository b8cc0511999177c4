"""Two people, two clones, one incident: their journals merge in git without a conflict
(the union merge ``riskkit init`` sets up in .gitattributes), and the merged journal
holds both people's events in time order. Real git, a bare repository as the remote."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from test_formats import GIT_ENV

ID = "2026-12-01-db-failover"
JOURNAL = Path("incidents") / ID / "journal"


def at(minute: int) -> str:
    return f"2026-12-01T10:{minute:02d}:00Z"


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(cwd), "-c", "commit.gpgsign=false", *args],
                          capture_output=True, text=True, check=check,
                          env={**os.environ, **GIT_ENV})


@pytest.fixture
def clones(run, tmp_path, monkeypatch):
    """``clones(with_rule)``: (a, b), two clones of one register with an incident started
    in a and pushed, b cloned after; with_rule False drops .gitattributes."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("RISKKIT_USER", raising=False)

    def make(with_rule: bool = True) -> tuple[Path, Path]:
        origin = tmp_path / "origin.git"
        a, b = tmp_path / "a", tmp_path / "b"
        git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
        assert run("init", a, "--as-of", "2026-11-26").exit_code == 0
        assert (a / ".gitattributes").is_file()
        if not with_rule:
            (a / ".gitattributes").unlink()
        git(a, "init", "-q", "-b", "main")
        git(a, "add", "-A")
        git(a, "commit", "-q", "-m", "register")
        git(a, "remote", "add", "origin", str(origin))
        git(a, "push", "-q", "-u", "origin", "main")
        started = run("-C", a, "incident", "start", "db-failover", "--var", "replica=pg-2",
                      "--at", at(0), "--by", "dana")
        assert started.exit_code == 0, started.output
        assert started.stdout == ID + "\n"
        git(a, "add", "-A")
        git(a, "commit", "-q", "-m", "incident started")
        git(a, "push", "-q")
        git(tmp_path, "clone", "-q", str(origin), str(b))
        return a, b
    return make


def record(run, clone: Path, *args: str) -> None:
    result = run("-C", clone, "incident", *args)
    assert result.exit_code == 0, result.output


@pytest.mark.slow  # a second of git
def test_two_clones_append_and_merge_without_a_conflict(run, clones):
    a, b = clones()
    assert git(a, "check-attr", "merge", "--", JOURNAL.as_posix()).stdout.strip() \
        == f"{JOURNAL.as_posix()}: merge: union"
    # dana, in clone a
    record(run, a, "assign", "ic", "dana", "--at", at(1), "--by", "dana")
    record(run, a, "done", "declare", "--at", at(4), "--by", "dana")
    git(a, "commit", "-q", "-am", "dana: declared")
    git(a, "push", "-q")
    # priya, in clone b, offline meanwhile: she does not see dana's events
    record(run, b, "status-update", "Primary lost; failing over", "--at", at(3),
           "--by", "priya")
    record(run, b, "note", "Replica pg-2 has the highest LSN", "--at", at(5), "--by", "priya")
    git(b, "commit", "-q", "-am", "priya: status update")
    merged = git(b, "pull", "-q", "--no-rebase", "--no-edit", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = (b / JOURNAL).read_text()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 5 and lines[0]["kind"] == "start"
    assert {e["by"] for e in lines} == {"dana", "priya"}
    # both people's events, in time order, in every view
    now = run("-C", b, "incident", "now", "--format", "json", "--at", at(6))
    assert now.exit_code == 0, now.output
    data = json.loads(now.stdout)
    assert data["done"] == ["declare"] and data["commander"] == "dana"
    assert data["last_status_update"] == at(3)  # priya's, though dana never saw it
    log = json.loads(run("-C", b, "incident", "log", "--format", "json").stdout)["events"]
    assert [(e["at"][11:16], e["by"], e["kind"]) for e in log] == [
        ("10:00", "dana", "start"), ("10:01", "dana", "assign"),
        ("10:03", "priya", "status-update"), ("10:04", "dana", "done"),
        ("10:05", "priya", "note")]
    assert run("-C", b, "validate").exit_code == 0
    # back to a: the merge travels, and a appends after it
    git(b, "push", "-q")
    git(a, "pull", "-q", "--no-rebase", "--no-edit")
    assert (a / JOURNAL).read_bytes() == (b / JOURNAL).read_bytes()
    record(run, a, "done", "promote", "--at", at(12), "--by", "dana")
    assert json.loads(run("-C", a, "incident", "now", "--format", "json", "--at", at(13))
                      .stdout)["done"] == ["declare", "promote"]


def test_without_the_rule_the_same_merge_conflicts(run, clones):
    """The control: it is the .gitattributes rule that makes the merge clean."""
    a, b = clones(with_rule=False)
    record(run, a, "done", "declare", "--at", at(4), "--by", "dana")
    git(a, "commit", "-q", "-am", "dana")
    git(a, "push", "-q")
    record(run, b, "note", "priya was here", "--at", at(3), "--by", "priya")
    git(b, "commit", "-q", "-am", "priya")
    merged = git(b, "pull", "-q", "--no-rebase", "--no-edit", check=False)
    assert merged.returncode != 0
    assert "CONFLICT" in merged.stdout + merged.stderr


def test_start_warns_when_git_would_not_merge_journals(run, tmp_path, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "ws"
    assert run("init", root).exit_code == 0
    (root / ".gitattributes").unlink()
    git(root, "init", "-q")
    result = run("-C", root, "incident", "start", "db-failover", "--var", "replica=pg-2",
                 "--at", at(0), "--by", "dana")
    assert result.exit_code == 0
    assert "add 'incidents/**/journal merge=union' to the workspace's .gitattributes" \
        in result.stderr


# --- the rule itself ------------------------------------------------------------------------

def test_init_writes_the_rule_and_adds_it_to_an_existing_gitattributes(run, tmp_path):
    from riskkit.scaffold import GITATTRIBUTES

    fresh = tmp_path / "fresh"
    result = run("init", fresh)
    assert result.exit_code == 0
    assert f"created {fresh / '.gitattributes'}" in result.stdout
    assert (fresh / ".gitattributes").read_text() == GITATTRIBUTES
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / ".gitattributes").write_text("*.png binary")  # no newline at the end
    result = run("init", mine)
    assert result.exit_code == 0
    assert f"updated {mine / '.gitattributes'}" in result.stdout
    assert (mine / ".gitattributes").read_text() == "*.png binary\n" + GITATTRIBUTES
    # a refused init leaves it alone; the rule is never added twice
    before = (mine / ".gitattributes").read_bytes()
    assert run("init", mine).exit_code == 2
    from riskkit.scaffold import merge_rule

    assert merge_rule(str(mine)) is None
    assert (mine / ".gitattributes").read_bytes() == before


def test_the_repository_ships_the_rule_init_writes():
    from riskkit.scaffold import GITATTRIBUTES

    assert (REPO / ".gitattributes").read_text() == GITATTRIBUTES
