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


def test_only_the_cache_skips_the_flush_to_disk(tmp_path, monkeypatch, run, make_ws):
    """Files a user keeps are flushed before the rename; the cache's are not (a torn cache
    file is a miss), so a cold command does not wait for the disk."""
    flushed: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(fsutil.os, "fsync", lambda fd: (flushed.append(fd), real_fsync(fd)))
    write_atomic(tmp_path / "kept.md", "kept\n")
    assert len(flushed) == 1
    write_atomic(tmp_path / "cache.json", "{}", durable=False)
    assert len(flushed) == 1 and (tmp_path / "cache.json").read_text() == "{}"
    ws = make_ws()
    monkeypatch.setenv("RISKKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert run("-C", ws, "validate").exit_code == 0
    assert len(flushed) == 1 and list((tmp_path / "cache").glob("**/*.json"))


def test_private_file_makes_a_new_file_only_its_owner_reads(tmp_path):
    fd, name = fsutil.private_file(tmp_path, ".plan.md.", ".tmp")
    os.close(fd)
    other_fd, other = fsutil.private_file(tmp_path, ".plan.md.", ".tmp")
    os.close(other_fd)
    assert name != other
    for made in (name, other):
        assert os.path.dirname(made) == str(tmp_path)
        base = os.path.basename(made)
        assert base.startswith(".plan.md.") and base.endswith(".tmp")
        assert os.stat(made).st_mode & 0o777 == 0o600


def test_private_file_never_opens_an_existing_name(tmp_path, monkeypatch):
    """A name already taken (even by a link planted there) is skipped, never opened."""
    taken = tmp_path / ".x.000000000000.tmp"
    taken.symlink_to(tmp_path / "elsewhere")
    draws = iter([bytes(6), bytes([1] * 6)])
    monkeypatch.setattr(fsutil.os, "urandom", lambda n: next(draws))
    fd, name = fsutil.private_file(tmp_path, ".x.", ".tmp")
    os.close(fd)
    assert name.endswith(".x.010101010101.tmp")
    assert not (tmp_path / "elsewhere").exists()


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


@pytest.mark.parametrize("size", [1, 3, 7, 64])
def test_chunks_give_back_the_text_in_order_and_in_bounded_pieces(size):
    import random

    rng = random.Random(size)
    for _ in range(200):
        parts = ["".join(rng.choice("ab✓\n") for _ in range(rng.randrange(12)))
                 for _ in range(rng.randrange(8))]
        whole = "".join(parts)
        for text in (fsutil.Pieces(parts), whole):
            got = list(fsutil.chunks(text, size))
            assert "".join(got) == whole
            assert all(0 < len(piece) < 2 * size for piece in got)
        assert len(fsutil.Pieces(parts)) == len(whole) and str(fsutil.Pieces(parts)) == whole


def test_a_text_in_pieces_is_written_whole_a_chunk_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(fsutil, "CHUNK", 4)
    target = tmp_path / "register.json"
    parts = ["[\n  ", '"Zürich ✓"', ",\n  ", '"' + "é" * 9 + '"', "\n]\n"]
    sizes = []
    real_fdopen = fsutil.os.fdopen

    def watched(fd, mode):
        handle = real_fdopen(fd, mode)
        real_write = handle.write
        handle.write = lambda data: sizes.append(len(data.decode())) or real_write(data)
        return handle
    monkeypatch.setattr(fsutil.os, "fdopen", watched)
    write_atomic(target, fsutil.Pieces(parts))
    assert target.read_text(encoding="utf-8") == "".join(parts)
    assert len(sizes) > 1 and max(sizes) < 8  # a chunk at a time, never the whole text
    write_atomic(target, "plain ✓ text")  # a whole string takes the same road
    assert target.read_text(encoding="utf-8") == "plain ✓ text"


def test_a_text_that_cannot_be_encoded_halfway_keeps_the_old_file(tmp_path, monkeypatch):
    """Encoding as it writes, a lone surrogate in a late chunk fails the write after
    some of it went to the temporary file: the old file stays, the temporary goes."""
    monkeypatch.setattr(fsutil, "CHUNK", 4)
    target = tmp_path / "register.json"
    target.write_text("the old register\n")
    written = []
    real_fdopen = fsutil.os.fdopen

    def watched(fd, mode):
        handle = real_fdopen(fd, mode)
        real_write = handle.write
        handle.write = lambda data: written.append(data) or real_write(data)
        return handle
    monkeypatch.setattr(fsutil.os, "fdopen", watched)
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, fsutil.Pieces(["fine text, ", "then \udc80"]))
    assert written and written[0] == b"fine", "nothing was written before the failure"
    assert target.read_text() == "the old register\n"
    assert leftovers(tmp_path) == []
