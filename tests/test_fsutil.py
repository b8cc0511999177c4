"""Files riskkit writes appear whole or not at all, and nothing is overwritten by accident."""

from __future__ import annotations

import os

import pytest

from riskkit.files import fsutil
from riskkit.files.fsutil import write_atomic


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_failure_mid_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "plan.md"
    target.write_text("the old plan\n")

    class Boom(OSError):
        pass

    real_fsync = os.fsync

    def failing_fsync(fd):
        raise Boom("disk full")
    monkeypatch.setattr(fsutil.os, "fsync", failing_fsync)
    with pytest.raises(Boom):
        write_atomic(target, "x" * 1_000_000)
    monkeypatch.setattr(fsutil.os, "fsync", real_fsync)
    assert target.read_text() == "the old plan\n"
    assert leftovers(tmp_path) == []


def test_a_failure_at_the_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    monkeypatch.setattr(fsutil.os, "replace", lambda a, b: (_ for _ in ()).throw(
        PermissionError("read-only")))
    with pytest.raises(PermissionError):
        write_atomic(target, "<html></html>")
    assert not target.exists() and leftovers(tmp_path) == []


def test_exclusive_never_replaces(tmp_path):
    target = tmp_path / "drill.yaml"
    target.write_text("first\n")
    with pytest.raises(FileExistsError):
        write_atomic(target, "second\n", exclusive=True)
    assert target.read_text() == "first\n" and leftovers(tmp_path) == []


def test_cli_output_file_survives_a_failed_render(run, make_ws, monkeypatch):
    root = make_ws({"runbooks/rb.yaml": (
        "id: rb\ntitle: Fix\ntriggers: [alert]\ninputs:\n  region: {required: true}\n"
        "steps:\n  - {id: a, title: 'Go to {{ region }}', role: sre, minutes: 5}\n")})
    out = root / "plan.md"
    out.write_text("yesterday's plan\n")
    result = run("-C", root, "runbook", "render", "rb", "-o", out)  # region missing
    assert result.exit_code == 1
    assert out.read_text() == "yesterday's plan\n"
    monkeypatch.setattr(fsutil.os, "replace", lambda a, b: (_ for _ in ()).throw(
        OSError(28, "No space left on device")))
    result = run("-C", root, "runbook", "render", "rb", "--var", "region=eu", "-o", out)
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert out.read_text() == "yesterday's plan\n"
    assert leftovers(root) == []
