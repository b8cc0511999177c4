"""``riskkit history`` reads what changed, not the register at every commit.

A real git repository of many risk files and many commits, each commit touching one or
two files; the blobs riskkit reads are counted through the one ``git cat-file --batch``
reader (``riskkit.git.run.Batch.read``), never timed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from riskkit.git import run as gitrun

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
           "LC_ALL": "C.UTF-8", "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "a@example.com"}
FILES = 60
COMMITS = 40


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def git(top: Path, *args: str, day: int = 1) -> None:
    when = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00+00:00"
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(["git", "-C", str(top), "-c", "commit.gpgsign=false",
                           "-c", "init.defaultBranch=main", *args],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def risk(rid: str, likelihood: int, indent: str = "") -> str:
    lines = [f"id: {rid}", f"title: Risk {rid}", "owner: team-a", "status: open",
             f"likelihood: {likelihood}", "impact: 3"]
    return "".join(f"{indent}{'- ' if i == 0 and indent else ('  ' if indent else '')}"
                   f"{line}\n" for i, line in enumerate(lines))


@pytest.fixture
def busy(tmp_path: Path) -> tuple[Path, int]:
    """FILES risk files; COMMITS commits of one or two changed files each: RSK-007 every
    fifth commit, moved into a list file at commit 20 and renamed with it at commit 30.
    Returns the repository and how many blobs the commits after the first changed."""
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    (top / "riskkit.yaml").write_text("name: Busy\nmatrix: 5x5\nappetite: medium\n")
    (top / "risks").mkdir()
    for i in range(FILES):
        (top / "risks" / f"RSK-{i:03d}.yaml").write_text(risk(f"RSK-{i:03d}", 1 + i % 5))
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "initial")
    changed = 0
    for n in range(1, COMMITS):
        other = 10 + n % 40
        (top / "risks" / f"RSK-{other:03d}.yaml").write_text(
            risk(f"RSK-{other:03d}", 1 + n % 5) + f"tags: [c{n}]\n")
        changed += 1
        if n == 20:  # RSK-007 moves into a list file beside RSK-008
            (top / "risks" / "RSK-007.yaml").unlink()
            (top / "risks" / "RSK-008.yaml").unlink()
            (top / "risks" / "pair.yaml").write_text(
                "risks:\n" + risk("RSK-007", 2, "  ") + risk("RSK-008", 4, "  "))
            changed += 1
        elif n == 30:
            git(top, "mv", "risks/pair.yaml", "risks/storage.yaml")
        elif n % 5 == 0 and n < 20:
            (top / "risks" / "RSK-007.yaml").write_text(risk("RSK-007", 1 + (n // 5) % 5))
            changed += 1
        git(top, "add", "-A")
        git(top, "commit", "-q", "-m", f"change {n}", day=n)
    return top, changed


def test_history_reads_only_the_blobs_that_changed(run, busy, monkeypatch):
    top, changed = busy
    reads: list[str] = []
    real = gitrun.Batch.read

    def counted(self: gitrun.Batch, spec: str) -> bytes | None:
        reads.append(spec)
        return real(self, spec)

    monkeypatch.setattr(gitrun.Batch, "read", counted)
    result = run("-C", top, "history", "RSK-007", "--format", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["entries"]
    assert [e["state"]["likelihood"] for e in entries] == [3, 2, 3, 4, 2, 2]
    assert entries[-1]["changes"] == ["file risks/pair.yaml -> risks/storage.yaml"]
    # The settings once, then each changed blob at most once; a full read of every commit
    # would be FILES x COMMITS.
    assert len(reads) <= changed + 2, len(reads)
    assert len(reads) < FILES


def test_history_follows_a_rename_and_a_move_into_a_list_file(run, busy):
    top, _ = busy
    result = run("-C", top, "history", "RSK-007", "--format", "json")
    assert result.exit_code == 0, result.output
    files = [e["state"]["file"] for e in json.loads(result.stdout)["entries"]]
    assert files == ["risks/RSK-007.yaml"] * 4 + ["risks/pair.yaml", "risks/storage.yaml"]
