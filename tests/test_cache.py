"""The cache may only skip work: every change that could alter an answer is a miss.

Each test first shows the cache answering (the loaders are not called), then makes one
change and compares the answer with the truth (the cache switched off). Every change
alters the answer, so a stale hit cannot pass for a right one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import riskkit
from riskkit.files import cache, schemacheck

RISK = """\
id: {id}
title: Title {id}
owner: team-a
status: open
likelihood: {l}
impact: {i}
"""

RUNBOOK = """\
id: rb
title: Fail over the database
triggers: [The primary stops answering]
steps:
  - {id: promote, title: Promote the replica, role: dba, minutes: 10}
"""

AS_OF = "2026-11-26"


@pytest.fixture
def ws(make_ws):
    return make_ws({"risks/a.yaml": RISK.format(id="RSK-1", l=2, i=2),
                    "risks/b.yaml": RISK.format(id="RSK-2", l=4, i=3),  # off a 3x3
                    "runbooks/rb.yaml": RUNBOOK})


@pytest.fixture
def loads(monkeypatch) -> list:
    """Grows by one each time validate loads the workspace, that is on each cache miss."""
    import riskkit.load as load_mod

    calls: list = []
    original = load_mod.load
    monkeypatch.setattr(load_mod, "load",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    return calls


def validate(run, root, as_of=AS_OF):
    """Exit status, the problems and the summary (it counts the files that loaded)."""
    result = run("-C", root, "validate", "--format", "text", "--as-of", as_of)
    return result.exit_code, result.stdout, result.stderr


def truth(run, root, monkeypatch, as_of=AS_OF):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    try:
        return validate(run, root, as_of)
    finally:
        monkeypatch.delenv("RISKKIT_NO_CACHE")


def shift_cache(ns: int) -> None:
    """Move the time the cache files were written (their mtime, the file system's clock)
    by ``ns``: ctime cannot be aged, so the racy window is waited out this way."""
    for path in Path(os.environ["RISKKIT_CACHE_DIR"]).rglob("*"):
        if path.is_file():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + ns))


def prime(run, root, monkeypatch, loads, as_of=AS_OF):
    """Write the cache, then show that it answers: the next run loads nothing."""
    answer = validate(run, root, as_of)
    shift_cache(5 * cache.RACY_NS)
    before = len(loads)
    assert validate(run, root, as_of) == answer
    assert len(loads) == before, "nothing changed, yet the workspace was loaded again"
    return answer


def test_second_run_is_answered_from_the_cache(run, ws, monkeypatch, loads):
    first = prime(run, ws, monkeypatch, loads)
    assert loads == [1]
    assert first == truth(run, ws, monkeypatch)


@pytest.mark.parametrize("change", ["edit", "edit-same-size", "rename", "delete", "add",
                                    "matrix", "settings"])
def test_every_change_is_a_miss(run, ws, monkeypatch, loads, change):
    before = prime(run, ws, monkeypatch, loads)
    a = ws / "risks" / "a.yaml"
    settings = ws / "riskkit.yaml"
    if change == "edit":
        a.write_text(RISK.format(id="RSK-1", l=9, i=2))  # off the matrix now
    elif change == "edit-same-size":
        a.write_text(RISK.format(id="RSK-1", l=7, i=2))
        stat = a.stat()
        os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**10))  # mtime set back
    elif change == "rename":
        a.rename(ws / "risks" / "b-dup.yaml")
        (ws / "risks" / "b-dup.yaml").write_text(RISK.format(id="RSK-2", l=2, i=2))
    elif change == "delete":
        (ws / "risks" / "b.yaml").unlink()  # one risk fewer in the summary
    elif change == "add":
        (ws / "risks" / "c.yaml").write_text("id: [broken\n")
    elif change == "matrix":
        text = settings.read_text().replace("matrix: 5x5", "matrix: 3x3")
        settings.write_text(text.replace("critical: 30, ", "").replace("critical: 90, ", ""))
    elif change == "settings":  # the role the runbook's step needs is gone
        settings.write_text(settings.read_text().replace("  dba: {title: Database on-call}\n",
                                                         ""))
    after = validate(run, ws)
    assert after == truth(run, ws, monkeypatch)
    assert after != before, "the change does not change the answer: the test proves nothing"


def test_another_day_is_a_miss(run, ws, monkeypatch, loads):
    """"Today" is part of the key: a drill dated the 27th is fine on the 27th and in the
    future on the 26th."""
    (ws / "drills").mkdir()
    (ws / "drills" / "d.yaml").write_text(
        "runbook: rb\ndate: 2026-11-27\nkind: tabletop\noutcome: pass\n")
    on_the_27th = prime(run, ws, monkeypatch, loads, as_of="2026-11-27")
    on_the_26th = validate(run, ws, as_of="2026-11-26")
    assert on_the_26th == truth(run, ws, monkeypatch, as_of="2026-11-26")
    assert on_the_26th != on_the_27th
    assert " D003 " in on_the_26th[1]


@pytest.fixture
def own_copy(tmp_path, monkeypatch):
    """A copy of riskkit's own files (code, templates, schemas) that the cache takes for
    riskkit's: a test may change them as an upgrade would, without touching the real ones."""
    package = Path(riskkit.__file__).parent
    copy = tmp_path / "installed" / "riskkit"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    schemas = tmp_path / "installed" / "schemas"
    shutil.copytree(schemacheck.schema_folder(), schemas,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    monkeypatch.setattr(cache, "__file__", str(copy / "files" / "cache.py"))
    monkeypatch.setattr(schemacheck, "schema_folder", lambda: str(schemas))
    cache._own_files.cache_clear()
    yield copy, schemas
    cache._own_files.cache_clear()


@pytest.mark.parametrize("part", ["schema", "template", "code"])
def test_a_change_to_riskkit_itself_is_a_miss(run, ws, monkeypatch, loads, own_copy, part):
    """riskkit's own files are part of the key: after an upgrade (or an edit of an editable
    install) the cache answers nothing it answered before."""
    copy, schemas = own_copy
    before = prime(run, ws, monkeypatch, loads)
    if part == "schema":
        changed = schemas / "risk.schema.json"
        changed.write_text(changed.read_text() + "\n")
    elif part == "template":
        changed = next((copy / "present" / "templates").glob("*.j2"))
        changed.write_text(changed.read_text() + "\n")
    else:
        changed = copy / "files" / "cache.py"
        stat = changed.stat()
        os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    cache._own_files.cache_clear()  # a new process: riskkit looks at its files again
    loaded = len(loads)
    assert validate(run, ws) == before
    assert len(loads) == loaded + 1, f"riskkit's {part} changed, yet the cache answered"


def test_files_touched_in_the_racy_window_are_not_trusted(ws):
    files = cache.stats(ws)
    cache.write(ws, "probe", {}, files, "value")
    # Files written just now are within two seconds of the cache: never trusted.
    assert cache.read(ws, "probe", {}, files) is None


def test_no_cache_when_switched_off(run, ws, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    validate(run, ws)
    assert not cache._path(ws, "validate").exists()


def test_an_unwritable_cache_folder_is_not_an_error(run, ws, monkeypatch, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    monkeypatch.setenv("RISKKIT_CACHE_DIR", str(blocked / "cache"))
    code, problems, _ = validate(run, ws)
    assert code == 0 and problems == ""


def test_incident_commands_see_links_added_after_the_index(run, make_ws, monkeypatch):
    runbook = ("id: rb\ntitle: Fix it\ntriggers: [alert]\nsteps:\n"
               "  - {id: a, title: Do it, role: sre, minutes: 5}\n")
    root = make_ws({"risks/a.yaml": RISK.format(id="RSK-1", l=2, i=2),
                    "runbooks/rb.yaml": runbook})
    run("-C", root, "risks")  # writes the link index...
    shift_cache(-5 * cache.RACY_NS)  # ...long ago
    shown = json.loads(run("-C", root, "runbook", "show", "rb", "--format", "json").stdout)
    assert shown["risks"] == []
    (root / "risks" / "b.yaml").write_text(RISK.format(id="RSK-2", l=3, i=3)
                                           + "runbooks: [rb]\n")
    shown = json.loads(run("-C", root, "runbook", "show", "rb", "--format", "json").stdout)
    assert [r["id"] for r in shown["risks"]] == ["RSK-2"]
