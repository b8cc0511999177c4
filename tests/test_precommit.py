"""The pre-commit hook, run by the real ``pre-commit`` tool.

``pre-commit try-repo`` installs riskkit from a git repository holding this project's
files (with its ``.pre-commit-hooks.yaml``) into pre-commit's own environment, as a user's
``.pre-commit-config.yaml`` entry would, and runs the ``riskkit-validate`` hook on a
temporary repository with a register in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
HOOK_ID = "riskkit-validate"

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_AUTHOR_DATE": "2026-01-05T09:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-01-05T09:00:00+00:00"}

# What is not the project: environments, caches, build output, test artifacts.
IGNORE = shutil.ignore_patterns(".venv", ".git", "artifacts", "build", "dist", "*.egg-info",
                                "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache",
                                ".ruff_cache")


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, **GIT_ENV, **extra}
    out.pop("GITHUB_ACTIONS", None)  # plain text output, wherever the tests run
    return out


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
                    *args], cwd=cwd, env=env(), check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """A git repository with this project's current files committed (not this checkout's
    git history: the working tree as it is now, .pre-commit-hooks.yaml included)."""
    dest = tmp_path_factory.mktemp("hook") / "riskkit"
    shutil.copytree(REPO, dest, ignore=IGNORE, symlinks=True)
    assert (dest / ".pre-commit-hooks.yaml").is_file()
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "riskkit as it is now")
    return dest


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """pre-commit's cache, shared by this module's tests so riskkit is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


SETTINGS = """\
name: Hooked Co
matrix: 5x5
appetite: medium
roles:
  ic: {title: Incident commander}
  dba: {title: Database on-call}
"""

GOOD_RISK = """\
id: RSK-1
title: Primary database loses its storage
owner: team-data
status: open
likelihood: 2
impact: 3
runbooks: [db-failover]
"""

BAD_RISK = """\
id: RSK-2
title: Card network outage
owner: team-payments
status: open
likelihood: 9
impact: 3
"""

RUNBOOK = """\
id: db-failover
title: Fail over the primary database
risks: [RSK-1]
triggers: [PostgresPrimaryDown alert]
steps:
  - {id: declare, title: Declare the incident, role: ic, minutes: 5}
  - {id: promote, title: Promote the replica, role: dba, needs: [declare], minutes: 15}
"""


def user_repo(root: Path, files: dict[str, str]) -> Path:
    """A user's repository with a register in it, every file staged."""
    root.mkdir()
    git(root, "init", "-q")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    git(root, "add", "-A")
    return root


def try_repo(hook_repo: Path, home: Path, cwd: Path, *args: str):
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), HOOK_ID, *args],
        cwd=cwd, env=env(PRE_COMMIT_HOME=str(home)), capture_output=True, text=True,
        timeout=600)  # the first run builds pre-commit's environment for riskkit


def hook_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("riskkit validate")]
    assert len(lines) == 1, output
    return lines[0]


VALID = {"riskkit.yaml": SETTINGS, "risks/RSK-1.yaml": GOOD_RISK,
         "runbooks/db-failover.yaml": RUNBOOK, "README.md": "A service.\n"}


def test_the_hook_is_declared():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == HOOK_ID]
    assert hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["riskkit", "validate"]


def test_hook_passes_on_a_valid_workspace(hook_repo, pre_commit_home, tmp_path):
    repo = user_repo(tmp_path / "user", VALID)
    done = try_repo(hook_repo, pre_commit_home, repo, "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Passed"), done.stdout


def test_hook_fails_on_an_invalid_risk(hook_repo, pre_commit_home, tmp_path):
    repo = user_repo(tmp_path / "user", {**VALID, "risks/RSK-2.yaml": BAD_RISK})
    done = try_repo(hook_repo, pre_commit_home, repo, "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    # riskkit's own report, pointing at the offending line of the file.
    assert "risks/RSK-2.yaml:5:13: R002" in done.stdout
    assert "exit code: 1" in done.stdout


def test_hook_fails_on_a_broken_runbook(hook_repo, pre_commit_home, tmp_path):
    broken = RUNBOOK.replace("needs: [declare]", "needs: [declair]")
    repo = user_repo(tmp_path / "user", {**VALID, "runbooks/db-failover.yaml": broken})
    done = try_repo(hook_repo, pre_commit_home, repo, "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    assert "runbooks/db-failover.yaml:" in done.stdout
    assert "declair" in done.stdout


def test_hook_fails_when_only_the_settings_changed(hook_repo, pre_commit_home, tmp_path):
    repo = user_repo(tmp_path / "user", {**VALID,
                                         "riskkit.yaml": SETTINGS.replace("5x5", "5x6")})
    done = try_repo(hook_repo, pre_commit_home, repo, "--files", "riskkit.yaml")
    assert done.returncode != 0, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    assert "riskkit.yaml:" in done.stdout


def test_hook_skips_commits_that_touch_no_register_file(hook_repo, pre_commit_home, tmp_path):
    # The register is broken, but the commit changes only README.md: nothing to check.
    repo = user_repo(tmp_path / "user", {**VALID, "risks/RSK-2.yaml": BAD_RISK})
    done = try_repo(hook_repo, pre_commit_home, repo, "--files", "README.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Skipped"), done.stdout


def test_hook_checks_the_whole_workspace_when_one_file_changed(hook_repo, pre_commit_home,
                                                               tmp_path):
    # Cross-file checks: the changed runbook is fine, but the risk it links to is broken.
    repo = user_repo(tmp_path / "user", {**VALID, "risks/RSK-2.yaml": BAD_RISK})
    done = try_repo(hook_repo, pre_commit_home, repo, "--files", "runbooks/db-failover.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "risks/RSK-2.yaml:5:13: R002" in done.stdout
