"""The pre-commit hook, run by the real ``pre-commit`` tool.

Each user repository below has a ``.pre-commit-config.yaml`` naming, as ``repo`` and
``rev``, a git repository holding this project's files (with its ``.pre-commit-hooks.yaml``);
``pre-commit run`` installs riskkit from it into pre-commit's own environment and runs the
``riskkit-validate`` hook on the user's register. pre-commit keeps that environment in
PRE_COMMIT_HOME, shared by the module: riskkit is installed once, by ``installed_hook``.
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
def installed_hook(tmp_path_factory, hook_repo) -> tuple[str, Path]:
    """The config entry for the hook, and pre-commit's cache (PRE_COMMIT_HOME) with riskkit
    installed in it once for the module's tests."""
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env(), check=True,
                         capture_output=True, text=True).stdout.strip()
    config = CONFIG.format(repo=hook_repo, rev=rev)
    home = tmp_path_factory.mktemp("pre-commit-home")
    repo = user_repo(tmp_path_factory.mktemp("install") / "user", VALID, config)
    done = pre_commit(home, repo, "install-hooks")
    assert done.returncode == 0, done.stdout + done.stderr
    return config, home


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

CONFIG = """\
repos:
  - repo: {repo}
    rev: {rev}
    hooks:
      - id: riskkit-validate
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


def user_repo(root: Path, files: dict[str, str], config: str) -> Path:
    """A user's repository with a register and the pre-commit config in it, every file
    staged."""
    root.mkdir()
    git(root, "init", "-q")
    for rel, text in {**files, ".pre-commit-config.yaml": config}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    git(root, "add", "-A")
    return root


def pre_commit(home: Path, cwd: Path, *args: str):
    run_env = env(PRE_COMMIT_HOME=str(home))
    if args[:1] == ("install-hooks",):
        # Installing fetches riskkit's dependencies over TLS, whose certificates a clock
        # moved years ahead (the suite is run that way too) would call expired: pip runs
        # on the machine's clock. The hook's runs keep the clock the suite was given.
        run_env = {k: v for k, v in run_env.items()
                   if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, check=False,
                          env=run_env, capture_output=True, text=True,
                          timeout=600)  # installing builds pre-commit's environment for riskkit


def run_hook(installed_hook, root: Path, files: dict[str, str], *args: str):
    """``pre-commit run ARGS`` in a new user repository holding ``files``."""
    config, home = installed_hook
    return pre_commit(home, user_repo(root, files, config), "run", *args)


def hook_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("riskkit validate")]
    assert len(lines) == 1, output
    return lines[0]


slow = pytest.mark.slow  # the real pre-commit, installing riskkit

VALID = {"riskkit.yaml": SETTINGS, "risks/RSK-1.yaml": GOOD_RISK,
         "runbooks/db-failover.yaml": RUNBOOK, "README.md": "A service.\n"}


def test_the_hook_is_declared():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == HOOK_ID]
    assert hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["riskkit", "validate"]
    # Files that change an answer may be anywhere (a custom matrix's path is free): the
    # hook runs on every commit, on the whole workspace.
    assert hook.get("always_run") is True and hook.get("pass_filenames") is False


@slow
def test_hook_passes_on_a_valid_workspace(installed_hook, tmp_path):
    done = run_hook(installed_hook, tmp_path / "user", VALID, "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Passed"), done.stdout


@slow
def test_hook_fails_on_an_invalid_risk(installed_hook, tmp_path):
    done = run_hook(installed_hook, tmp_path / "user", {**VALID, "risks/RSK-2.yaml": BAD_RISK},
                    "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    # riskkit's own report, pointing at the offending line of the file.
    assert "risks/RSK-2.yaml:5:13: R002" in done.stdout
    assert "exit code: 1" in done.stdout


@slow
def test_hook_fails_on_a_broken_runbook(installed_hook, tmp_path):
    broken = RUNBOOK.replace("needs: [declare]", "needs: [declair]")
    done = run_hook(installed_hook, tmp_path / "user",
                    {**VALID, "runbooks/db-failover.yaml": broken}, "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    assert "runbooks/db-failover.yaml:" in done.stdout
    assert "declair" in done.stdout


@slow
def test_hook_fails_when_only_the_settings_changed(installed_hook, tmp_path):
    done = run_hook(installed_hook, tmp_path / "user",
                    {**VALID, "riskkit.yaml": SETTINGS.replace("5x5", "5x6")},
                    "--files", "riskkit.yaml")
    assert done.returncode != 0, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    assert "riskkit.yaml:" in done.stdout


MATRIX_SETTINGS = SETTINGS.replace("matrix: 5x5", "matrix: config/risk-matrix.yaml")

# Each case: the files of the user's repository and the one file the commit changes. Every
# one of them can change an answer, so the hook must run and fail.
ONLY_CHANGED = {
    "a custom matrix file": ({**VALID, "riskkit.yaml": MATRIX_SETTINGS,
                              "config/risk-matrix.yaml": "likelihood: [\n"},
                             "config/risk-matrix.yaml", "config/risk-matrix.yaml:"),
    "a template override": ({**VALID, "templates/plan.md.j2": "{% if %}\n"},
                            "templates/plan.md.j2", "templates/plan.md.j2:1:1: T002"),
    "an incident journal": ({**VALID, "risks/RSK-2.yaml": BAD_RISK,
                             "incidents/2027-01-05-db/journal.jsonl": "{}\n"},
                            "incidents/2027-01-05-db/journal.jsonl", "R002"),
    "an alert rule file": ({**VALID, "risks/RSK-2.yaml": BAD_RISK,
                            "alerts/db.rules.yaml": "groups: []\n"},
                           "alerts/db.rules.yaml", "R002"),
    "an unrelated file": ({**VALID, "risks/RSK-2.yaml": BAD_RISK}, "README.md", "R002"),
}


@slow
@pytest.mark.parametrize("case", sorted(ONLY_CHANGED))
def test_hook_runs_whatever_file_the_commit_changes(installed_hook, tmp_path, case):
    files, changed, said = ONLY_CHANGED[case]
    done = run_hook(installed_hook, tmp_path / "user", files, "--files", changed)
    assert done.returncode == 1, done.stdout + done.stderr
    assert hook_line(done.stdout).endswith("Failed"), done.stdout
    assert said in done.stdout


@slow
def test_hook_checks_the_whole_workspace_when_one_file_changed(installed_hook, tmp_path):
    # Cross-file checks: the changed runbook is fine, but the risk it links to is broken.
    done = run_hook(installed_hook, tmp_path / "user", {**VALID, "risks/RSK-2.yaml": BAD_RISK},
                    "--files", "runbooks/db-failover.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "risks/RSK-2.yaml:5:13: R002" in done.stdout
