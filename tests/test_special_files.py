"""Special and outside files: riskkit reads regular files of its repository, nothing else.

A named pipe, a device, a link to /dev/zero, a link out of the repository (to a file or a
folder), an absolute matrix path elsewhere and a template override that is any of those
are each a located problem, on every command, and the file outside is never printed. Each
command runs as a real process; the timeout only guards against a hang, it is not a
speed test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SETTINGS

RISKKIT = [sys.executable, "-m", "riskkit"]
SECRET = "RUNNER-SECRET-4f1c"  # the content of the file outside: never in any output
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}

RISK = """\
id: RSK-1
title: Database lost
owner: team-data
status: open
likelihood: 4
impact: 5
runbooks: [rb]
"""

RUNBOOK = """\
id: rb
title: Fail over
triggers: [The primary stops answering]
steps:
  - {id: promote, title: Promote the replica, role: dba, minutes: 10}
"""

DRILL = """\
runbook: rb
date: 2026-01-10
kind: tabletop
participants: [{name: dana, role: dba}]
outcome: pass
"""

# Every command, each with what makes it run on the test workspace.
COMMANDS = {
    "validate": ["validate"],
    "risks": ["risks"],
    "matrix": ["matrix"],
    "review": ["review"],
    "report": ["report", "-o", "{out}/report.html"],
    "runbook list": ["runbook", "list"],
    "runbook show": ["runbook", "show", "rb"],
    "runbook render": ["runbook", "render", "rb"],
    "runbook render html": ["runbook", "render", "rb", "--format", "html"],
    "runbook graph": ["runbook", "graph", "rb"],
    "drill plan": ["drill", "plan", "--quarter", "2026Q3"],
    "drill checklist": ["drill", "checklist", "rb"],
    "diff": ["diff", "HEAD"],
    "history": ["history", "RSK-1"],
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed workspace at the top of its own repository, and beside it (outside the
    repository) a folder with a file holding a secret that names the risk and runbook."""
    root = tmp_path / "repo"
    for rel, text in {"riskkit.yaml": SETTINGS, "risks/r1.yaml": RISK,
                      "runbooks/rb.yaml": RUNBOOK, "drills/d1.yaml": DRILL}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "register")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"id: RSK-9\ntitle: {SECRET} rb RSK-1\n")
    (outside / "matrix.yaml").write_text(f"name: {SECRET}\n")
    (outside / "plan.md.j2").write_text(f"{SECRET}\n")
    return root


def riskkit(root: Path, *args: str, out: Path, cache: bool = False
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "RISKKIT_NO_CACHE": "0" if cache else "1"}
    argv = [a.format(out=out) for a in args]
    return subprocess.run(RISKKIT + ["-C", str(root), *argv, "--as-of", "2026-06-01"]
                          if args[0] not in ("diff", "history") else
                          RISKKIT + ["-C", str(root), *argv], capture_output=True,
                          text=True, timeout=120, env=env)  # a hang guard only


def answers(root: Path, tmp_path: Path, commands: dict[str, list[str]] = COMMANDS
            ) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every command's answer; none crashed (exit 3) or printed a traceback or the
    secret."""
    out = {}
    for name, args in commands.items():
        done = riskkit(root, *args, out=tmp_path)
        text = done.stdout + done.stderr
        assert done.returncode in (0, 1, 2), (name, text)
        assert "Traceback" not in text and "internal error" not in text, (name, text)
        assert SECRET not in text, (name, text)
        out[name] = done
    report = tmp_path / "report.html"
    assert not report.exists() or SECRET not in report.read_text()
    return out


# (where, how it is made, the code and words validate gives it)
def _fifo(path: Path, outside: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path, outside: Path) -> None:
    os.symlink("/dev/zero", path)


def _outside_file(path: Path, outside: Path) -> None:
    os.symlink(outside / "secret.yaml", path)


def _outside_folder(path: Path, outside: Path) -> None:
    os.symlink(outside, path.with_suffix(""))


SPECIAL = {
    "fifo": (_fifo, "Y011", "named pipe"),
    "dev-zero": (_zero, "Y01", "riskkit does not read it"),  # a device, or outside: both
    "outside-file": (_outside_file, "Y012", "leads outside"),
    "outside-folder": (_outside_folder, "Y012", "leads outside"),
}


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_validate_and_the_incident_path_report_each_kind(repo, tmp_path, kind):
    """The quick check of each kind (the test below runs every command on each)."""
    make, code, words = SPECIAL[kind]
    make(repo / "risks" / "odd.yaml", tmp_path / "outside")
    shown = "odd.yaml" if kind != "outside-folder" else "odd"
    done = answers(repo, tmp_path, {k: COMMANDS[k] for k in ("validate", "runbook show",
                                                             "diff")})
    assert done["validate"].returncode == 1
    assert f"skipped files with problems: risks/{shown})" in done["diff"].stdout
    assert f"risks/{shown}:1:1: {code}" in done["validate"].stdout
    assert words in done["validate"].stdout
    assert done["runbook show"].returncode == 0 and "promote" in done["runbook show"].stdout
    assert f"risks/{shown}:1:1: {code}" in done["runbook show"].stderr


@pytest.mark.slow  # every command, as a process, on each kind in each folder
@pytest.mark.parametrize("folder", ["risks", "runbooks", "drills"])
@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_a_special_or_outside_file_is_a_located_problem_on_every_command(
        repo, tmp_path, folder, kind):
    make, code, words = SPECIAL[kind]
    make(repo / folder / "odd.yaml", tmp_path / "outside")
    done = answers(repo, tmp_path)
    shown = "odd.yaml" if kind != "outside-folder" else "odd"
    [line] = [ln for ln in done["validate"].stdout.splitlines() if f"/{shown}:" in ln]
    assert line.startswith(f"{folder}/{shown}:1:1: {code}") and words in line, line
    assert done["validate"].returncode == 1
    for name in ("risks", "matrix", "review", "report", "runbook list", "drill plan"):
        if folder == "risks" or name != "risks":
            assert f"{folder}/{shown}:1:1: Y01" in done[name].stderr + done[name].stdout, name
    # The incident path answers with the plan, and says that a risk file it could not
    # read may hold a risk the plan leaves out.
    for name in ("runbook show", "runbook render", "runbook graph"):
        assert done[name].returncode == 0, (name, done[name].stderr)
        assert "promote" in done[name].stdout
        if folder == "risks" and name != "runbook graph":
            assert f"risks/{shown}:1:1: Y01" in done[name].stderr, (name, done[name].stderr)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside-file"])
def test_the_runbook_itself_as_a_special_file_is_its_problem(repo, tmp_path, kind):
    make, code, _ = SPECIAL[kind]
    (repo / "runbooks" / "rb.yaml").unlink()
    make(repo / "runbooks" / "rb.yaml", tmp_path / "outside")
    done = answers(repo, tmp_path, {k: v for k, v in COMMANDS.items()
                                    if k.startswith("runbook ")})
    for name in ("runbook show", "runbook render", "runbook graph"):
        assert done[name].returncode == 1
        assert f"runbooks/rb.yaml:1:1: {code}" in done[name].stdout + done[name].stderr


@pytest.mark.parametrize("spec", ["absolute", "relative", "link"])
def test_a_matrix_outside_the_repository_is_refused(repo, tmp_path, spec):
    """The settings are read by every command: each refuses with the same problem (the
    slow test below runs them all; this one the first)."""
    matrix = tmp_path / "outside" / "matrix.yaml"
    if spec == "link":
        os.symlink(matrix, repo / "matrix.yaml")
    named = {"absolute": str(matrix), "relative": "../outside/matrix.yaml",
             "link": "matrix.yaml"}[spec]
    (repo / "riskkit.yaml").write_text(SETTINGS.replace("matrix: 5x5", f"matrix: {named}"))
    done = answers(repo, tmp_path, {"validate": COMMANDS["validate"]})
    assert done["validate"].returncode == 2
    assert "riskkit.yaml:2:9: Y012 matrix file" in done["validate"].stdout


@pytest.mark.slow  # every command, as a process
@pytest.mark.parametrize("spec", ["absolute", "relative", "link"])
def test_a_matrix_outside_the_repository_is_refused_by_every_command(repo, tmp_path, spec):
    matrix = tmp_path / "outside" / "matrix.yaml"
    if spec == "link":
        os.symlink(matrix, repo / "matrix.yaml")
    named = {"absolute": str(matrix), "relative": "../outside/matrix.yaml",
             "link": "matrix.yaml"}[spec]
    (repo / "riskkit.yaml").write_text(SETTINGS.replace("matrix: 5x5", f"matrix: {named}"))
    done = answers(repo, tmp_path, {k: v for k, v in COMMANDS.items()
                                    if k not in ("diff", "history")})
    for name, result in done.items():
        assert result.returncode == 2, name
        assert "riskkit.yaml:2:9: Y012 matrix file" in result.stdout + result.stderr, name


def test_an_absolute_matrix_path_inside_the_repository_is_read(repo, tmp_path):
    (repo / "config").mkdir()
    (repo / "config" / "m.yaml").write_text((tmp_path / "outside" / "matrix.yaml")
                                            .read_text().replace(SECRET, "m"))
    (repo / "riskkit.yaml").write_text(
        SETTINGS.replace("matrix: 5x5", f"matrix: {repo / 'config' / 'm.yaml'}"))
    done = riskkit(repo, "validate", out=tmp_path)
    assert "Y012" not in done.stdout and "riskkit.yaml:2:9" not in done.stdout
    assert "S101" in done.stdout  # the file was read: the (incomplete) matrix is checked


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside-file"])
def test_a_template_override_that_is_not_a_file_of_the_repository(repo, tmp_path, kind):
    (repo / "templates").mkdir()
    target = repo / "templates" / "plan.md.j2"
    if kind == "outside-file":
        os.symlink(tmp_path / "outside" / "plan.md.j2", target)
    else:
        SPECIAL[kind][0](target, tmp_path / "outside")
    done = answers(repo, tmp_path, {k: COMMANDS[k] for k in
                                    ("validate", "runbook render", "runbook render html")})
    code = SPECIAL[kind][1]
    assert f"templates/plan.md.j2:1:1: {code}" in done["validate"].stdout
    assert done["runbook render"].returncode == 1
    assert f"templates/plan.md.j2:1:1: {code}" in done["runbook render"].stderr
    assert done["runbook render html"].returncode == 0  # another template: unaffected


def test_a_link_inside_the_repository_is_followed(repo, tmp_path):
    (repo / "shared").mkdir()
    (repo / "risks" / "r1.yaml").rename(repo / "shared" / "r1.yaml")
    os.symlink(repo / "shared" / "r1.yaml", repo / "risks" / "r1.yaml")
    os.symlink("../shared", repo / "risks" / "more")
    done = riskkit(repo, "validate", out=tmp_path)
    assert done.returncode == 1, done.stdout  # the same risk twice: it was read twice
    assert "R001" in done.stdout and "Y012" not in done.stdout


def test_a_settings_file_that_links_outside_is_refused(repo, tmp_path):
    (tmp_path / "outside" / "riskkit.yaml").write_text(f"name: {SECRET}\n")
    (repo / "riskkit.yaml").unlink()
    os.symlink(tmp_path / "outside" / "riskkit.yaml", repo / "riskkit.yaml")
    done = answers(repo, tmp_path, {"validate": ["validate"], "risks": ["risks"]})
    for result in done.values():
        assert result.returncode == 2
        assert "riskkit.yaml:1:1: Y012" in result.stdout + result.stderr


def test_outside_a_repository_the_workspace_is_the_boundary(tmp_path):
    root = tmp_path / "ws"
    (root / "risks").mkdir(parents=True)
    (root / "riskkit.yaml").write_text(SETTINGS)
    (root / "risks" / "r1.yaml").write_text(RISK.replace("runbooks: [rb]\n", ""))
    (tmp_path / "beside.yaml").write_text(f"id: RSK-2\ntitle: {SECRET}\n")
    os.symlink(tmp_path / "beside.yaml", root / "risks" / "r2.yaml")
    done = answers(root, tmp_path, {"validate": ["validate"], "risks": ["risks"]})
    assert "risks/r2.yaml:1:1: Y012" in done["validate"].stdout
    assert "RSK-1" in done["risks"].stdout


def test_the_size_cap_holds_on_the_incident_path(repo, tmp_path, monkeypatch):
    """A risk file over the cap that names the runbook is not read whole by render (the
    byte search and the parse stop at the cap), and validate refuses it by its size."""
    with open(repo / "risks" / "huge.yaml", "wb") as handle:
        handle.write(b"id: RSK-2\nrunbooks: [rb]\ndescription: >\n")
        handle.write((b"  " + b"x" * 1021 + b"\n") * (6 * 1024))
    done = answers(repo, tmp_path, {k: COMMANDS[k] for k in
                                    ("validate", "runbook show", "runbook render")})
    assert "risks/huge.yaml:1:1: Y006 file is larger than 5 MB" in done["validate"].stdout
    assert done["runbook show"].returncode == 0
    assert "risks/huge.yaml" in done["runbook show"].stderr + done["runbook show"].stdout


def test_the_incident_path_with_a_link_index_reports_them_too(repo, tmp_path):
    """With the link index written (the cache on), special files and links out that
    appear afterwards are found among the changes and reported, never read."""
    assert riskkit(repo, "risks", out=tmp_path, cache=True).returncode == 0
    os.mkfifo(repo / "risks" / "fifo.yaml")
    os.symlink(tmp_path / "outside" / "secret.yaml", repo / "risks" / "out.yaml")
    for args in (["runbook", "show", "rb"], ["runbook", "render", "rb"]):
        done = riskkit(repo, *args, out=tmp_path, cache=True)
        assert done.returncode == 0 and "promote" in done.stdout, done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "risks/fifo.yaml:1:1: Y011" in done.stderr, done.stderr
        assert "risks/out.yaml:1:1: Y012" in done.stderr, done.stderr
    done = riskkit(repo, "validate", out=tmp_path, cache=True)
    assert "risks/fifo.yaml:1:1: Y011" in done.stdout and "risks/out.yaml:1:1: Y012" in done.stdout
