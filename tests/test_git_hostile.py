"""Bytes from git: ``diff`` and ``history`` on real repositories whose names, authors and
subjects hold what git allows and a line-based reader does not expect.

Built in tmp_path with real git: a file name with a newline, one that is not UTF-8, one
with spaces; a commit subject with the unit separator (0x1F) and an escape sequence, an
author name that is not UTF-8 (written as a raw commit object, since ``git commit``
would re-encode it). Every answer must be whole: no crash (exit 3), no risk silently
missing, no field shifted into the next.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from riskkit.git import run as git
from riskkit.git.repo import Repo

from conftest import SETTINGS

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
       "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
       "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com",
       "GIT_AUTHOR_DATE": "2026-01-05T10:00:00Z", "GIT_COMMITTER_DATE": "2026-01-05T10:00:00Z"}
AS_OF = ("--as-of", "2026-12-01")

NEWLINE = b"risks/new\nline.yaml"
LATIN1 = b"risks/caf\xe9.yaml"
SPACES = b"risks/with some spaces.yaml"
NAMES = {b"risks/plain.yaml": "RSK-1", LATIN1: "RSK-2", NEWLINE: "RSK-3", SPACES: "RSK-4"}

SUBJECT = b"second\x1fsubject \x1b]0;pwned\x07 with \xff bytes"
AUTHOR = b"Bad \xff\xfe Name"


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    for key in git.REPOSITORY_VARIABLES:
        monkeypatch.delenv(key, raising=False)


def g(top: Path, *args: str | bytes, input: bytes | None = None) -> bytes:
    done = subprocess.run(["git", "-C", str(top), "-c", "commit.gpgsign=false",
                           "-c", "init.defaultBranch=main", *args],
                          capture_output=True, input=input, env={**os.environ, **ENV})
    assert done.returncode == 0, done.stderr
    return done.stdout


def risk(rid: str, likelihood: int, title: str = "A risk") -> bytes:
    return (f"id: {rid}\ntitle: {json.dumps(title)}\nowner: team\nstatus: open\n"
            f"likelihood: {likelihood}\nimpact: 2\n").encode()


def put(top: Path, rel: bytes, data: bytes) -> None:
    path = os.path.join(os.fsencode(top), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def raw_commit(top: Path, subject: bytes, author: bytes) -> str:
    """A commit written byte for byte (``git commit`` would re-encode a name that is not
    UTF-8), made HEAD; returns its id."""
    g(top, "add", "-A")
    tree = g(top, "write-tree").strip()
    parent = g(top, "rev-parse", "HEAD").strip()
    body = (b"tree " + tree + b"\nparent " + parent + b"\nauthor " + author
            + b" <b@example.com> 1770000000 +0000\ncommitter " + author
            + b" <b@example.com> 1770000000 +0000\n\n" + subject + b"\n")
    oid = g(top, "hash-object", "-t", "commit", "-w", "--stdin", input=body).strip()
    g(top, "update-ref", "HEAD", oid)
    return oid.decode()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """c1: four risks, one in each hostile name; c2 (raw): every rating up."""
    top = tmp_path_factory.mktemp("hostile")
    put(top, b"riskkit.yaml", SETTINGS.encode())
    for name, rid in NAMES.items():
        put(top, name, risk(rid, 1))
    g(top, "init", "-q")
    g(top, "add", "-A")
    g(top, "commit", "-q", "-m", "first\x1fwith a unit separator")
    g(top, "tag", "c1")
    for name, rid in NAMES.items():
        put(top, name, risk(rid, 3))
    raw_commit(top, SUBJECT, AUTHOR)
    g(top, "tag", "c2")
    return top


def diff_json(run, top: Path, *revs: str) -> dict:
    result = run("-C", top, "diff", *revs, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_hostile_name_is_compared(run, hostile):
    data = diff_json(run, hostile, "c1", "c2")
    assert sorted(c["id"] for c in data["risks"]["changed"]) == sorted(NAMES.values())
    assert data["skipped"] == {"from": [], "to": []}


def test_names_against_the_working_tree(run, hostile, tmp_path):
    data = diff_json(run, hostile, "c1")
    assert sorted(c["id"] for c in data["risks"]["changed"]) == sorted(NAMES.values())


@pytest.mark.parametrize("rid", sorted(NAMES.values()))
def test_history_of_a_risk_in_every_hostile_name(run, hostile, rid):
    result = run("-C", hostile, "history", rid, "--format", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["entries"]
    assert [e["changes"][0] for e in entries] == ["added", "rating low 2 -> medium 6"]
    first, second = entries
    assert first["subject"] == "first\x1fwith a unit separator" and first["author"] == "A"
    # Subjects and authors are text for people: a byte that is not UTF-8 shows as U+FFFD;
    # the unit separator stays inside its field and moves no field after it.
    assert second["subject"] == "second\x1fsubject \x1b]0;pwned\x07 with \ufffd bytes"
    assert second["author"] == "Bad \ufffd\ufffd Name"
    assert second["date"] == "2026-02-02" and len(second["commit"]) == 40


def test_history_text_is_one_line_an_entry_and_sends_no_escape(run, hostile):
    result = run("-C", hostile, "history", "RSK-3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\u001b]0;pwned\\u0007" in lines[2]


def test_a_name_with_a_newline_is_read_by_its_blob(hostile):
    repo = Repo(hostile)
    try:
        name = git.decode(NEWLINE)
        assert name in repo.files("c2")
        assert repo.read("c1", name) == risk("RSK-3", 1)
        assert repo.read("c2", name) == risk("RSK-3", 3)
        assert repo.read("c2", "risks/not\nthere.yaml") is None
    finally:
        repo.close()


def test_a_missing_name_with_spaces_keeps_the_batch_in_step(hostile):
    """``<spec> missing`` echoes the spec, spaces and all: the answer is read from its end."""
    batch = git.Batch(hostile)
    try:
        assert batch.read("c1:risks/no such file here.yaml") is None
        assert batch.read("c1:risks/a b.yaml") is None
        assert batch.read("c1:risks/plain.yaml") == risk("RSK-1", 1)
    finally:
        batch.close()


@pytest.fixture(scope="module")
def branches(tmp_path_factory) -> Path:
    """main: c1 (RSK-1, RSK-2 at 1), then RSK-2 -> 4; feature (from c1): RSK-1 -> 3."""
    top = tmp_path_factory.mktemp("branches")
    put(top, b"riskkit.yaml", SETTINGS.encode())
    put(top, b"risks/a.yaml", risk("RSK-1", 1))
    put(top, b"risks/b.yaml", risk("RSK-2", 1))
    g(top, "init", "-q")
    g(top, "add", "-A")
    g(top, "commit", "-q", "-m", "c1")
    g(top, "checkout", "-q", "-b", "feature")
    put(top, b"risks/a.yaml", risk("RSK-1", 3))
    g(top, "commit", "-q", "-am", "feature: RSK-1 up")
    g(top, "checkout", "-q", "main")
    put(top, b"risks/b.yaml", risk("RSK-2", 4))
    g(top, "commit", "-q", "-am", "main: RSK-2 up")
    return top


def test_three_dots_compare_from_where_the_branch_left(run, branches):
    """``main...feature`` is what the feature branch changed (git's reading): RSK-1 only;
    ``main..feature`` compares the two tips: RSK-2 differs too."""
    base = g(branches, "merge-base", "main", "feature").decode().strip()
    data = diff_json(run, branches, "main...feature")
    assert [c["id"] for c in data["risks"]["changed"]] == ["RSK-1"]
    assert data["from"]["commit"] == base and data["from"]["rev"] == "merge-base(main, feature)"
    assert data["to"]["rev"] == "feature"
    tips = diff_json(run, branches, "main..feature")
    assert [c["id"] for c in tips["risks"]["changed"]] == ["RSK-1", "RSK-2"]


def test_three_dots_with_an_empty_side_is_head(run, branches):
    data = diff_json(run, branches, "feature...")
    assert data["to"]["rev"] == "HEAD"  # main: what main did since feature left it
    assert [c["id"] for c in data["risks"]["changed"]] == ["RSK-2"]


def test_three_dots_between_unrelated_histories(run, branches, tmp_path):
    g(branches, "checkout", "-q", "--orphan", "lonely")
    try:
        g(branches, "commit", "-q", "-m", "unrelated")
        result = run("-C", branches, "diff", "main...lonely")
        assert result.exit_code == 1 and "no common ancestor" in result.stderr
    finally:
        g(branches, "checkout", "-q", "-f", "main")


def test_a_revision_that_looks_like_an_option_is_a_revision(run, branches):
    result = run("-C", branches, "diff", "--", "--output=/dev/null")
    assert result.exit_code == 1 and "unknown revision '--output=/dev/null'" in result.stderr


def test_a_path_is_a_name_never_a_pattern(tmp_path):
    """``runbooks/db[1].yaml`` is that file: git would read it as a pattern matching
    ``runbooks/db1.yaml`` too, and date a drill by the other file's commit."""
    from riskkit.git.info import commit_on, file_version

    top = tmp_path / "repo"
    put(top, b"runbooks/db[1].yaml", b"id: a\n")
    g(top, "init", "-q")
    g(top, "add", "-A")
    g(top, "commit", "-q", "-m", "the file with brackets")
    first = g(top, "log", "-1", "--format=%h", "--abbrev=12").decode().strip()
    put(top, b"runbooks/db1.yaml", b"id: b\n")
    g(top, "add", "-A")
    g(top, "commit", "-q", "-m", "another file", "--date", "2026-01-06T10:00:00Z")
    assert commit_on(top, "runbooks/db[1].yaml", "2026-12-31") == first
    assert file_version(top, "runbooks/db[1].yaml") == first
