"""The one git runner: a clean environment, a timeout, bytes in and out, typed errors.

Real repositories in tmp_path; a stand-in ``git`` on PATH only where git itself cannot
be made to hang or to be missing.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from riskkit.git import run as git
from riskkit.git.repo import Repo
from riskkit.problems import ConfigError

PACKAGE = Path(__file__).resolve().parent.parent / "riskkit"
SLEEP = shutil.which("sleep")

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    for key in git.REPOSITORY_VARIABLES:
        monkeypatch.delenv(key, raising=False)


def make_repo(path: Path, files: dict[str | bytes, str]) -> Path:
    path.mkdir(parents=True)
    for rel, text in files.items():
        target = os.path.join(os.fsencode(path), os.fsencode(rel))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write(text)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "c1"]):
        subprocess.run(["git", "-C", str(path), "-c", "commit.gpgsign=false", *args],
                       check=True, capture_output=True)
    return path


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "repo", {"riskkit.yaml": "name: Mine\n",
                                         "risks/a.yaml": "id: RSK-1\n"})


def fake_git(tmp_path: Path, monkeypatch, script: str) -> None:
    """A ``git`` on PATH that runs ``script`` (sh) instead of git."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


def test_the_environment_loses_what_points_git_at_another_repository():
    env = git.environment({"GIT_DIR": "/x/.git", "GIT_INDEX_FILE": "/x/.git/index.lock",
                           "GIT_WORK_TREE": "/x", "GIT_CONFIG_GLOBAL": "/dev/null",
                           "GIT_CEILING_DIRECTORIES": "/tmp", "HOME": "/home/me"})
    assert env == {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CEILING_DIRECTORIES": "/tmp",
                   "HOME": "/home/me"}


def test_the_list_is_gits_own():
    """``git rev-parse --local-env-vars`` is git's list; this git's is covered."""
    done = subprocess.run(["git", "rev-parse", "--local-env-vars"], capture_output=True,
                          text=True, check=True)
    assert set(done.stdout.split()) <= git.REPOSITORY_VARIABLES


def test_a_hooks_environment_does_not_redirect_git(tmp_path, repo, monkeypatch):
    """As in a pre-commit hook of another repository: GIT_DIR and GIT_INDEX_FILE point
    there, and plain git would answer about it; the runner answers about ``repo``."""
    other = make_repo(tmp_path / "other", {"risks/b.yaml": "id: RSK-2\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    plain = subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True,
                           text=True, check=False)
    assert plain.stdout.split() == ["risks/b.yaml"]  # what the runner must not see
    assert git.run(repo, "ls-files").text().split() == ["riskkit.yaml", "risks/a.yaml"]
    assert Repo(repo).top == repo.resolve()
    assert Repo(repo).files("HEAD") == ["risks/a.yaml"]


def test_a_timeout_is_a_config_error(tmp_path, monkeypatch):
    fake_git(tmp_path, monkeypatch, f"exec {SLEEP} 30")
    with pytest.raises(ConfigError, match=r"git log -1: no answer within 0.3 seconds"):
        git.run(tmp_path, "log", "-1", timeout=0.3)


def test_a_batch_read_that_hangs_is_a_config_error(tmp_path, monkeypatch):
    # A git that takes the request and never answers (it reads, not sleeps: a faked
    # clock may cut a sleep short, and a git that exits is another error).
    # fd 3 keeps the answer pipe open while nothing is written to it.
    fake_git(tmp_path, monkeypatch, f"exec {shutil.which('cat')} 3>&1 1>&2")
    batch = git.Batch(tmp_path, timeout=0.3)
    try:
        with pytest.raises(ConfigError, match="cat-file: no answer within 0.3 seconds"):
            batch.read("HEAD:riskkit.yaml")
    finally:
        batch.close()


def test_no_git_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="git is not installed"):
        git.run(tmp_path, "status")
    with pytest.raises(ConfigError, match="git is not installed"):
        git.Batch(tmp_path)


def test_a_failure_is_a_config_error_that_says_why(repo):
    with pytest.raises(ConfigError, match=r"git ls-tree nope: .*nope"):
        git.run(repo, "ls-tree", "nope")
    done = git.run(repo, "ls-tree", "nope", check=False)
    assert not done.ok and done.stdout == b"" and b"nope" in done.stderr


def test_names_keep_every_byte(tmp_path):
    """A file name that is not UTF-8 comes back from git, and goes back to it, intact."""
    name = b"risks/caf\xe9.yaml"
    top = make_repo(tmp_path / "latin", {name: "id: RSK-3\n", "riskkit.yaml": "name: x\n"})
    listed = git.names(git.run(top, "ls-tree", "-r", "-z", "--name-only", "HEAD").stdout)
    assert os.fsencode(listed[1]) == name and git.encode(listed[1]) == name
    repo = Repo(top)
    try:
        assert repo.files("HEAD") == [listed[1]]
        assert repo.read("HEAD", listed[1]) == b"id: RSK-3\n"
    finally:
        repo.close()


def test_the_batch_reads_blobs_and_says_none_for_the_rest(repo):
    batch = git.Batch(repo)
    try:
        assert batch.read("HEAD:risks/a.yaml") == b"id: RSK-1\n"
        assert batch.read("HEAD:risks/missing.yaml") is None
        assert batch.read("HEAD:risks") is None  # a tree: read past, not returned
        assert batch.read("HEAD:riskkit.yaml") == b"name: Mine\n"  # still in step
        assert batch.read("HEAD:a\nb") is None
    finally:
        batch.close()


def test_only_the_runner_starts_processes_named_git():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "git" / "run.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == "git" \
                    and "subprocess" in path.read_text(encoding="utf-8"):
                offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


RISK = "id: RSK-1\ntitle: t\nowner: o\nstatus: open\nlikelihood: {}\nimpact: 2\n"


def test_the_git_commands_work_from_a_hook(tmp_path, monkeypatch, run):
    """riskkit diff, started with a hook's environment from another repository, compares
    its own workspace's revisions."""
    import json

    from conftest import SETTINGS

    top = make_repo(tmp_path / "ws", {"riskkit.yaml": SETTINGS, "risks/a.yaml": RISK.format(1)})
    (top / "risks" / "a.yaml").write_text(RISK.format(3))
    other = make_repo(tmp_path / "other", {"riskkit.yaml": SETTINGS, "x": "y"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    result = run("-C", top, "diff", "--format", "json")
    assert result.exit_code == 0, result.output
    changed = json.loads(result.stdout)["risks"]["changed"]
    assert [(c["id"], c["changes"][0]["field"]) for c in changed] == [("RSK-1", "rating")]


def test_a_revision_is_read_by_the_walkers_rules(tmp_path, run):
    """A commit's files are those the working tree's walker lists: a hidden draft is not
    a risk at either end, and R2.YAML is one at both, so an unchanged tree is no change."""
    import json

    from conftest import SETTINGS

    top = make_repo(tmp_path / "ws", {"riskkit.yaml": SETTINGS,
                                      "risks/a.yaml": RISK.format(1),
                                      "risks/R2.YAML": RISK.format(2).replace("RSK-1", "RSK-2"),
                                      "risks/.draft.yaml": RISK.format(3).replace("RSK-1",
                                                                                  "RSK-3")})
    assert Repo(top).files("HEAD") == ["risks/R2.YAML", "risks/a.yaml"]
    result = run("-C", top, "diff", "--format", "json")
    assert result.exit_code == 0, result.output
    risks = json.loads(result.stdout)["risks"]
    assert risks == {"added": [], "removed": [], "renamed": [], "changed": []}
