"""Writes that can fail, and ``-o`` that respects what is there.

``drill record`` and ``init`` end in a clear message and exit 1 or 2 when the place they
write to is not a folder, is a broken link, or cannot be written; never exit 3, never half
a result. Records made at the same moment are each written once, under a name of their own.
``-o`` replaces a regular file atomically, writes through a link, writes into a FIFO or a
device (never replacing it with a file), and ``-o -`` is standard output.

The tests run as root, whom permission bits do not stop: a folder that cannot be written
is simulated by making the temporary file's creation fail with the error the system gives
(PermissionError, EROFS). That proves what riskkit does with the error, not that the
system raises it.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from riskkit.files import fsutil

AS_OF = ("--as-of", "2026-11-26")
RUNBOOK = ("id: rb-a\ntitle: Runbook A\nseverity: SEV-2\nowner: team-ops\n"
           "triggers: [An alert fires]\nsteps:\n"
           "  - {id: declare, title: Declare, role: ic, minutes: 5}\n")
RECORD = ("drill", "record", "rb-a", "--date", "2026-11-20", "--kind", "tabletop",
          "--outcome", "pass", *AS_OF)


@pytest.fixture
def ws(make_ws) -> Path:
    root = make_ws({"runbooks/rb-a.yaml": RUNBOOK})
    (root / "drills").mkdir()
    return root


def records(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "drills").iterdir())


def no_crash(result) -> None:
    assert result.exit_code in (1, 2), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


# --- drill record ---------------------------------------------------------------------------

def test_eight_records_at_once_are_each_written_once(ws):
    """Eight real processes record the same drill on the same day together: each ends
    well, each says the name it wrote, and the eight files are eight different records."""
    env = {**os.environ, "RISKKIT_NO_CACHE": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "riskkit", "-C", str(ws), *RECORD,
                               "--participant", f"person{i}:ic"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outs
    said = sorted(out.strip().removeprefix("recorded drills/") for out, _ in outs)
    names = ["2026-11-20-rb-a.yaml"] + [f"2026-11-20-rb-a-{n}.yaml" for n in range(2, 9)]
    assert said == sorted(names) and records(ws) == sorted(names)
    who = sorted(yaml.safe_load((ws / "drills" / n).read_text())["participants"][0]["name"]
                 for n in names)
    assert who == [f"person{i}" for i in range(8)]


def test_a_name_taken_between_the_choice_and_the_write_goes_to_the_next(run, ws, monkeypatch):
    """Deterministically, the race above: another run takes the name first."""
    from riskkit.drill import record

    real = record.write_atomic

    def beaten(path, text, **kwargs):
        if not os.path.lexists(path) and path.name == "2026-11-20-rb-a.yaml":
            path.write_text("# another run's record\n")
        return real(path, text, **kwargs)
    monkeypatch.setattr(record, "write_atomic", beaten)
    result = run("-C", ws, *RECORD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "recorded drills/2026-11-20-rb-a-2.yaml\n"
    assert (ws / "drills" / "2026-11-20-rb-a.yaml").read_text() == "# another run's record\n"


def test_a_broken_link_where_a_record_would_go_is_not_written_through(run, ws, tmp_path):
    os.symlink(tmp_path / "elsewhere.yaml", ws / "drills" / "2026-11-20-rb-a.yaml")
    result = run("-C", ws, *RECORD)
    assert result.exit_code == 0, result.output
    assert result.stdout == "recorded drills/2026-11-20-rb-a-2.yaml\n"
    assert not (tmp_path / "elsewhere.yaml").exists()


@pytest.mark.parametrize("what", ["file", "broken link"])
def test_drills_that_is_not_a_folder(run, ws, tmp_path, what):
    (ws / "drills").rmdir()
    if what == "file":
        (ws / "drills").write_text("not a folder\n")
    else:
        os.symlink(tmp_path / "gone", ws / "drills")
    result = run("-C", ws, *RECORD)
    no_crash(result)
    assert f"cannot record a drill: drills is {'not a folder' if what == 'file' else 'a broken link'}" \
        in result.stderr
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize("error", [errno.EACCES, errno.EROFS, errno.ENOSPC])
def test_drills_that_cannot_be_written(run, ws, monkeypatch, error):
    def refuse(*args, **kwargs):
        raise OSError(error, os.strerror(error))
    monkeypatch.setattr(fsutil, "private_file", refuse)
    result = run("-C", ws, *RECORD)
    no_crash(result)
    assert f"cannot write drills/2026-11-20-rb-a.yaml: {os.strerror(error)}" in result.stderr
    assert records(ws) == []


# --- init -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", ["riskkit.yaml", "risks/RSK-001.yaml", "risks", "drills"])
def test_init_over_a_broken_link(run, tmp_path, rel):
    root = tmp_path / "new"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_path / "target", root / rel)
    result = run("init", root, *AS_OF)
    no_crash(result)
    assert "not overwriting" in result.stderr and f"{rel} (a broken link)" in result.stderr
    assert not (tmp_path / "target").exists() and not (root / "riskkit.yaml").is_file()


def test_init_into_a_broken_link(run, tmp_path):
    os.symlink(tmp_path / "nowhere", tmp_path / "new")
    result = run("init", tmp_path / "new", *AS_OF)
    no_crash(result)
    assert "a broken link" in result.stderr and not (tmp_path / "nowhere").exists()


def test_init_under_a_file(run, tmp_path):
    (tmp_path / "file").write_text("x\n")
    result = run("init", tmp_path / "file" / "new", *AS_OF)
    no_crash(result)
    assert "cannot write riskkit.yaml: Not a directory" in result.stderr


def test_init_into_a_folder_that_cannot_be_written_leaves_nothing(run, tmp_path, monkeypatch):
    """The second file fails: the first is taken back, no half a workspace is left."""
    real = fsutil.private_file
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real(*args, **kwargs)
    monkeypatch.setattr(fsutil, "private_file", second_fails)
    root = tmp_path / "new"
    result = run("init", root, *AS_OF)
    no_crash(result)
    assert "cannot write risks/RSK-001.yaml: Permission denied" in result.stderr
    assert [p for p in root.rglob("*") if p.is_file()] == []


# --- -o ---------------------------------------------------------------------------------------

def schema(run, *args: str):
    return run("schema", "risk", *args)


def test_output_to_a_regular_file_replaces_it(run, tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old\n")
    os.chmod(out, 0o640)
    assert schema(run, "-o", out).exit_code == 0
    assert out.read_text().startswith("{") and stat.S_IMODE(out.stat().st_mode) == 0o640


def test_output_through_a_link_writes_its_target(run, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "schema.json"
    target.write_text("old\n")
    link = tmp_path / "link.json"
    os.symlink(target, link)
    result = schema(run, "-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("{")
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["schema.json"]


def test_output_through_a_broken_link_creates_its_target(run, tmp_path):
    link = tmp_path / "link.json"
    os.symlink("made/by/riskkit.json", link)
    assert schema(run, "-o", link).exit_code == 0
    assert link.is_symlink()
    assert (tmp_path / "made" / "by" / "riskkit.json").read_text().startswith("{")


def test_output_through_a_looping_link_is_a_clear_error(run, tmp_path):
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    result = schema(run, "-o", tmp_path / "a")
    no_crash(result)
    assert "Too many levels of symbolic links" in result.stderr


@pytest.mark.parametrize("device", ["/dev/null", "link"])
def test_output_to_dev_null_leaves_it_a_device(run, tmp_path, device):
    path = Path("/dev/null")
    if device == "link":
        path = tmp_path / "null"
        os.symlink("/dev/null", path)
    result = schema(run, "-o", path)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert device != "link" or path.is_symlink()


def test_output_to_a_device_that_fails_is_a_clear_error(run):
    result = schema(run, "-o", "/dev/full")
    no_crash(result)
    assert "cannot write /dev/full: No space left on device" in result.stderr


def test_output_dash_is_standard_output(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = schema(run, "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{") and "wrote" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_only_o_writes_through_a_link(tmp_path):
    """Other writes (the cache's) replace a link at their path: they never write a file
    wherever a planted link points."""
    target = tmp_path / "target"
    target.write_text("keep\n")
    link = tmp_path / "entry.json"
    os.symlink(target, link)
    fsutil.write_atomic(link, "{}\n")
    assert not link.is_symlink() and link.read_text() == "{}\n"
    assert target.read_text() == "keep\n"
