"""``riskkit diff A B`` parses only the files whose blobs differ between A and B.

A real git repository whose commits hold the traps of reading only what changed: an id
held by a changed file and by an unchanged one (later or earlier in name order, spelled
with an escape, in a list file), a link, broken files changed and unchanged, runbooks
sharing an id, a renumbered risk, a moved file, and commits that change only the matrix
(in riskkit.yaml, then in a matrix file), which re-score risks whose files did not change.
Every pair of commits is compared with the full read of both revisions: the same answer,
but for the files with problems, which are named only when they changed (or when the
settings did, and every file is read again).
"""

from __future__ import annotations

import itertools
import os
import random
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskkit.git import diff as diffmod
from riskkit.git import repo as repomod

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
           "LC_ALL": "C.UTF-8", "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "a@example.com"}

SETTINGS = """\
name: Changed
matrix: 5x5
appetite: medium
roles:
  ic: {title: Incident commander}
  dba: {title: Database on-call}
"""
STRICTER = SETTINGS.replace("matrix: 5x5\n", """\
matrix:
  likelihood: [{id: l1, name: L1}, {id: l2, name: L2}, {id: l3, name: L3}, {id: l4, name: L4},
               {id: l5, name: L5}]
  impact: [{id: i1, name: I1}, {id: i2, name: I2}, {id: i3, name: I3}, {id: i4, name: I4},
           {id: i5, name: I5}]
  levels:
    - {id: low, name: Low, color: "#7cb342"}
    - {id: medium, name: Medium, color: "#fbc02d"}
    - {id: high, name: High, color: "#f57c00"}
    - {id: critical, name: Critical, color: "#b71c1c"}
  thresholds: {low: 1, medium: 4, high: 8, critical: 12}
""")
MATRIX_FILE = """\
likelihood: [{id: l1, name: One}, {id: l2, name: Two}, {id: l3, name: Three}]
impact: [{id: i1, name: One}, {id: i2, name: Two}, {id: i3, name: Three}]
levels:
  - {id: calm, name: Calm, color: "#2e7d32"}
  - {id: severe, name: Severe, color: "#c62828"}
thresholds: {calm: 1, severe: THRESHOLD}
"""
FILLERS = 20  # unchanged risk files RSK-10.. whose ids start with a changed one's


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(params=["perl", "fixed"])
def grep_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[str]:
    """Each comparison twice: through git grep -P (one pass over the files for every id)
    and as a git without PCRE does it (one fixed string an id)."""
    calls: list[list[bytes]] = []
    real = repomod.Repo.grep_perl

    def perl(self, commit, patterns, folder):  # type: ignore[no-untyped-def]
        calls.append(patterns)
        return real(self, commit, patterns, folder) if request.param == "perl" else None
    monkeypatch.setattr(repomod.Repo, "grep_perl", perl)
    yield request.param
    assert calls, "the comparisons asked git grep"


def git(top: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00"}
    done = subprocess.run(["git", "-C", str(top), "-c", "commit.gpgsign=false",
                           "-c", "init.defaultBranch=main", *args],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def risk(rid: str, likelihood: int, impact: int = 3, quoted: str | None = None,
         indent: str = "") -> str:
    lines = [f"id: {quoted or rid}", f"title: Risk {rid}", "owner: team-a", "status: open",
             f"likelihood: {likelihood}", f"impact: {impact}"]
    return "".join(f"{indent}{('- ' if i == 0 else '  ') if indent else ''}{line}\n"
                   for i, line in enumerate(lines))


def runbook(rid: str, minutes: int) -> str:
    return (f"id: {rid}\ntitle: Runbook {rid}\nrisks: [RSK-1]\ntriggers: [Alert]\nsteps:\n"
            f"  - {{id: declare, title: Declare, role: ic, minutes: 5}}\n"
            f"  - {{id: act, title: Act, role: dba, needs: [declare], minutes: {minutes}}}\n")


def put(top: Path, rel: str, text: str) -> None:
    path = top / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def commit(top: Path, message: str) -> str:
    git(top, "add", "-A")
    git(top, "commit", "-q", "--allow-empty", "-m", message)
    return git(top, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    top = tmp_path_factory.mktemp("changed") / "repo"
    top.mkdir()
    git(top, "init", "-q")
    put(top, "riskkit.yaml", SETTINGS)
    put(top, "risks/a.yaml", risk("RSK-1", 2))
    put(top, "risks/b.yaml", risk("RSK-2", 2))
    put(top, "risks/c.yaml", risk("RSK-3", 2))
    put(top, "risks/list.yaml", "risks:\n" + risk("RSK-4", 1, indent="  ")
        + risk("RSK-5", 1, indent="  "))
    put(top, "risks/z-dup.yaml", risk("RSK-1", 5))  # later in name order: it wins RSK-1
    put(top, "risks/0-dup.yaml", risk("RSK-2", 5))  # earlier: b.yaml wins RSK-2
    put(top, "risks/zz-escaped.yaml", risk("RSK-3", 4, quoted='"RSK\\x2d3"'))  # wins RSK-3
    put(top, "risks/broken.yaml", "id: [RSK-6\n")
    for i in range(10, 10 + FILLERS):
        put(top, f"risks/RSK-{i}.yaml", risk(f"RSK-{i}", 1 + i % 5))
    put(top, "runbooks/db.yaml", runbook("db-failover", 10))
    put(top, "runbooks/zz-db.yaml", runbook("db-failover", 20))  # wins db-failover
    put(top, "runbooks/other.yaml", runbook("other", 10))
    os.symlink("a.yaml", top / "risks/link.yaml")
    shas = [commit(top, "c1")]
    # c2: ratings up in three files, each id also held by an unchanged file
    put(top, "risks/a.yaml", risk("RSK-1", 3))
    put(top, "risks/b.yaml", risk("RSK-2", 3))
    put(top, "risks/c.yaml", risk("RSK-3", 3))
    shas.append(commit(top, "c2"))
    # c3: the list file, a new broken file, the runbooks
    put(top, "risks/list.yaml", "risks:\n" + risk("RSK-4", 4, indent="  ")
        + risk("RSK-5", 1, indent="  "))
    put(top, "risks/new-broken.yaml", "id: RSK-7\nlikelihood: [\n")
    put(top, "runbooks/db.yaml", runbook("db-failover", 30))
    put(top, "runbooks/other.yaml", runbook("other", 15))
    shas.append(commit(top, "c3"))
    # c4: RSK-10 renumbered in place, RSK-11 moved, the broken file fixed
    put(top, "risks/RSK-10.yaml", risk("RSK-100", 1))
    git(top, "mv", "risks/RSK-11.yaml", "risks/moved.yaml")
    put(top, "risks/new-broken.yaml", risk("RSK-7", 2))
    shas.append(commit(top, "c4"))
    # c5: only the matrix, in riskkit.yaml: levels move where no risk file changed
    put(top, "riskkit.yaml", STRICTER)
    shas.append(commit(top, "c5"))
    # c6: the later duplicates go: RSK-1 and db-failover fall back to the others
    (top / "risks/z-dup.yaml").unlink()
    (top / "runbooks/zz-db.yaml").unlink()
    shas.append(commit(top, "c6"))
    # c7: a matrix file; c8: only the matrix file changes
    put(top, "riskkit.yaml", SETTINGS.replace("matrix: 5x5", "matrix: matrices/ops.yaml")
        .replace("appetite: medium", "appetite: calm"))
    put(top, "matrices/ops.yaml", MATRIX_FILE.replace("THRESHOLD", "6"))
    for rel in sorted((top / "risks").iterdir()):  # ratings on the 3x3 scale
        if rel.name.startswith("RSK-") or rel.name in ("a.yaml", "b.yaml", "c.yaml"):
            rel.write_text(rel.read_text().replace("likelihood: 4", "likelihood: 3")
                           .replace("likelihood: 5", "likelihood: 3"))
    put(top, "risks/a.yaml", risk("RSK-1", 2, impact=2))  # score 4: calm, then severe
    shas.append(commit(top, "c7"))
    put(top, "matrices/ops.yaml", MATRIX_FILE.replace("THRESHOLD", "4"))
    shas.append(commit(top, "c8"))
    return top, shas


def full(monkeypatch: pytest.MonkeyPatch, top: Path, a: str, b: str) -> dict:
    """The answer of reading every file at both revisions."""
    with monkeypatch.context() as m:
        m.setattr(diffmod, "changed_snapshots", lambda *args: None)
        return diffmod.diff(top, (a, b))


def changed_files(top: Path, a: str, b: str) -> set[str]:
    return set(git(top, "diff", "--no-renames", "--name-only", a, b).split())


def test_every_pair_of_commits_says_what_the_full_read_says(repo, monkeypatch, grep_way):
    top, shas = repo
    for (i, a), (j, b) in itertools.product(enumerate(shas), repeat=2):
        fast = diffmod.diff(top, (a, b))
        slow = full(monkeypatch, top, a, b)
        touched = changed_files(top, a, b)
        if touched & {"riskkit.yaml", "matrices/ops.yaml"}:  # every file read again
            assert fast["skipped"] == slow["skipped"], (i, j)
        else:  # the files with problems that changed
            assert fast["skipped"] == {side: [f for f in names if f in touched]
                                       for side, names in slow["skipped"].items()}, (i, j)
        del fast["skipped"], slow["skipped"]
        assert fast == slow, f"c{i + 1}..c{j + 1}"


def test_the_answers_are_not_empty(repo):
    """The premises: the comparisons above see the traps, not only empty diffs."""
    top, shas = repo
    c1, c2, c3, c4, c5, c6, c7, c8 = shas
    data = diffmod.diff(top, (c1, c2))
    # RSK-1 and RSK-3 are held later by unchanged files: only RSK-2 moved
    assert [e["id"] for e in data["risks"]["changed"]] == ["RSK-2"]
    data = diffmod.diff(top, (c2, c3))
    assert [e["id"] for e in data["risks"]["changed"]] == ["RSK-4"]
    assert [e["id"] for e in data["runbooks"]["changed"]] == ["other"]
    assert data["skipped"] == {"from": [], "to": ["risks/new-broken.yaml"]}
    data = diffmod.diff(top, (c3, c4))
    assert data["risks"]["renamed"] == [{"from": "RSK-10", "to": "RSK-100",
                                         "file": "risks/RSK-10.yaml"}]
    assert [r["id"] for r in data["risks"]["added"]] == ["RSK-7"]
    assert {e["id"] for e in data["risks"]["changed"]} == {"RSK-100", "RSK-11"}
    data = diffmod.diff(top, (c4, c5))  # only riskkit.yaml changed
    assert changed_files(top, c4, c5) == {"riskkit.yaml"}
    moved = {e["id"] for e in data["risks"]["changed"]}
    assert {"RSK-1", "RSK-3", "RSK-4"} <= moved
    data = diffmod.diff(top, (c5, c6))
    assert [e["id"] for e in data["risks"]["changed"]] == ["RSK-1"]
    assert [e["id"] for e in data["runbooks"]["changed"]] == ["db-failover"]
    data = diffmod.diff(top, (c7, c8))  # only the matrix file changed
    assert changed_files(top, c7, c8) == {"matrices/ops.yaml"}
    assert [e["id"] for e in data["risks"]["changed"]] == ["RSK-1"]
    assert all(c["field"] == "rating" for e in data["risks"]["changed"]
               for c in e["changes"])


def parsed(monkeypatch: pytest.MonkeyPatch, top: Path, a: str, b: str) -> list[str]:
    """The files ``diff`` parses, as their names reach the YAML loader."""
    seen: list[str] = []
    real = repomod.load_bytes

    def counting(raw: bytes, display: str):  # type: ignore[no-untyped-def]
        seen.append(display)
        return real(raw, display)
    monkeypatch.setattr(repomod, "load_bytes", counting)
    try:
        diffmod.diff(top, (a, b))
    finally:
        monkeypatch.setattr(repomod, "load_bytes", real)
    return seen


def test_unchanged_files_are_not_parsed(repo, monkeypatch, grep_way):
    top, shas = repo
    c1, c2, c3 = shas[:3]
    seen = parsed(monkeypatch, top, c1, c2)
    risks = sorted({s for s in seen if s.startswith("risks/")})
    # the changed files (both sides) and the unchanged ones that may hold the same ids:
    # RSK-1 and RSK-2 in other files, an escaped id, a link (git grep does not read links)
    assert risks == ["risks/0-dup.yaml", "risks/a.yaml", "risks/b.yaml", "risks/c.yaml",
                     "risks/link.yaml", "risks/z-dup.yaml", "risks/zz-escaped.yaml"]
    assert [s for s in seen if s.startswith("risks/")].count("risks/a.yaml") == 2
    assert not [s for s in seen if s.startswith("runbooks/")]
    # RSK-10.. begin with RSK-1 but hold another id; the broken file is not read
    seen = parsed(monkeypatch, top, c2, c3)
    assert "risks/broken.yaml" not in seen and "risks/RSK-12.yaml" not in seen
    assert sorted({s for s in seen if s.startswith("runbooks/")}) == [
        "runbooks/db.yaml", "runbooks/other.yaml", "runbooks/zz-db.yaml"]
    # a commit against itself parses the settings only
    assert [s for s in parsed(monkeypatch, top, c3, c3)
            if not s.endswith("riskkit.yaml")] == []


def test_a_broken_file_that_did_not_change_is_not_reported(repo, monkeypatch, run):
    top, shas = repo
    c1, c2 = shas[:2]
    assert "risks/broken.yaml" in full(monkeypatch, top, c1, c2)["skipped"]["to"]
    data = diffmod.diff(top, (c1, c2))
    assert data["skipped"] == {"from": [], "to": []}
    result = run("-C", top, "diff", c1, c2)
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.stdout and "RSK-2" in result.stdout


def test_a_matrix_change_reads_every_file(repo, monkeypatch):
    """riskkit.yaml (or its matrix file) changed: every risk is scored again, so every
    file is read, as before."""
    top, shas = repo
    for a, b in ((shas[3], shas[4]), (shas[6], shas[7])):
        seen = parsed(monkeypatch, top, a, b)
        assert f"risks/RSK-{10 + FILLERS - 1}.yaml" in seen
        assert "risks/broken.yaml" in seen


@pytest.mark.parametrize("rid", ["RSK 1", "RSK'1", 'RSK"1', "RSK\\1", "RSK\u20281", ""])
def test_an_id_yaml_could_spell_otherwise_reads_every_file(repo, rid, grep_way):
    """Folding (a space, a line break), a doubled quote, an escape: such an id need not be
    in the file as bytes, so git grep cannot say which files hold it."""
    top, shas = repo
    git_repo = repomod.Repo(top)
    try:
        assert repomod._holders(git_repo, shas[0], [rid], "risks") is None
        assert repomod._holders(git_repo, shas[0], ["RSK-1"], "risks") == {
            "risks/a.yaml", "risks/z-dup.yaml", "risks/zz-escaped.yaml"}
    finally:
        git_repo.close()


# Bytes that make word patterns hard: word characters, regex syntax, a byte of UTF-8 and
# a lone one, a space and a tab; the pieces needles are cut from.
PIECES = [b"a", b"Z", b"0", b"_", b"-", b".", b"*", b"+", b"?", b"(", b")", b"[", b"]",
          b"{", b"}", b"|", b"^", b"$", b"#", b"/", b"\xc3\xa9", b"\xff", b" ", b"\t", b"x-1"]
WORD_BYTES = re.compile(rb"[A-Za-z0-9_]")


def holds_as_word(data: bytes, needle: bytes) -> bool:
    """The reference: ``needle`` somewhere in ``data`` on one line, with no word byte
    right before or after it."""
    for line in data.split(b"\n"):
        at = line.find(needle)
        while at >= 0:
            before, after = line[at - 1:at], line[at + len(needle):at + len(needle) + 1]
            if not WORD_BYTES.fullmatch(before or b" ") and \
                    not WORD_BYTES.fullmatch(after or b" "):
                return True
            at = line.find(needle, at + 1)
    return False


def test_word_patterns_find_what_fixed_words_find(tmp_path):
    """git grep -P with ``word_patterns`` names the files a plain search names, and so
    does git grep -F -w: on random files and needles of regex syntax, UTF-8 and stray
    bytes, needles that start other needles, and sets large enough to be split into
    several patterns."""
    rng = random.Random(2026)
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    files: dict[str, bytes] = {}
    for n in range(60):
        lines = [b"".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 14)))
                 for _ in range(rng.randrange(1, 6))]
        files[f"risks/f{n:02d}.yaml"] = b"\n".join(lines) + b"\n"
        (top / "risks").mkdir(exist_ok=True)
        (top / f"risks/f{n:02d}.yaml").write_bytes(files[f"risks/f{n:02d}.yaml"])
    sha = commit(top, "random")
    git_repo = repomod.Repo(top)
    try:
        for size in [1, 2, 5, 20, 60] * 3 + [3_000]:
            needles = set()
            while len(needles) < size:
                source = rng.choice(list(files.values())).replace(b"\n", b"")
                start = rng.randrange(len(source) + 1)
                needle = source[start:start + rng.randrange(1, 6)] if rng.random() < .7 \
                    else b"".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 9)))
                if needle and needle.strip(b" \t") == needle:
                    needles.add(needle)
            wanted = {rel for rel, data in files.items()
                      if any(holds_as_word(data, needle) for needle in needles)}
            patterns = repomod.word_patterns(sorted(needles))
            assert (len(patterns) > 1) == (size == 3_000)
            assert git_repo.grep_perl(sha, patterns, "risks") == wanted, sorted(needles)
            assert git_repo.grep_any(sha, sorted(needles), "risks", words=True) == wanted
    finally:
        git_repo.close()
