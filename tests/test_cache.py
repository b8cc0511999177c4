"""The cache may only skip work: every change that could alter an answer is a miss."""

from __future__ import annotations

import json
import os
import time

import pytest

from riskkit.files import cache

RISK = """\
id: {id}
title: Title {id}
owner: team-a
status: open
likelihood: {l}
impact: {i}
"""


def age(root, seconds=10):
    """Push every file's times into the past, out of the racy window, as time would."""
    past = time.time() - seconds
    for folder, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(folder, name), (past, past))


@pytest.fixture
def ws(make_ws):
    root = make_ws({"risks/a.yaml": RISK.format(id="RSK-1", l=2, i=2),
                    "risks/b.yaml": RISK.format(id="RSK-2", l=4, i=3)})  # off a 3x3
    return root


def validate(run, root):
    result = run("-C", root, "validate", "--format", "json", "--as-of", "2026-11-26")
    return result.exit_code, json.loads(result.stdout)


def prime(run, root, monkeypatch):
    """Run twice: the first run writes the cache; ctime cannot be aged, so we wait the
    racy window out by moving the clock riskkit reads."""
    real = time.time_ns
    monkeypatch.setattr(cache.time, "time_ns", lambda: real() + 5 * cache.RACY_NS)
    validate(run, root)
    monkeypatch.setattr(cache.time, "time_ns", real)


def hit(root, section="validate"):
    path = cache._path(root, section)
    return path.exists()


def test_second_run_is_answered_from_the_cache(run, ws, monkeypatch):
    prime(run, ws, monkeypatch)
    calls = []
    import riskkit.load as load_mod
    original = load_mod.load
    monkeypatch.setattr(load_mod, "load", lambda *a, **k: calls.append(1) or original(*a, **k))
    first = validate(run, ws)
    assert calls == [], "nothing changed, yet the workspace was loaded again"
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    assert validate(run, ws) == first


@pytest.mark.parametrize("change", ["edit", "edit-same-size", "rename", "delete", "add",
                                    "matrix", "settings"])
def test_every_change_is_a_miss(run, ws, monkeypatch, change):
    prime(run, ws, monkeypatch)
    before = validate(run, ws)
    a = ws / "risks" / "a.yaml"
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
        (ws / "risks" / "b.yaml").unlink()
    elif change == "add":
        (ws / "risks" / "c.yaml").write_text("id: [broken\n")
    elif change == "matrix":
        text = (ws / "riskkit.yaml").read_text().replace("matrix: 5x5", "matrix: 3x3")
        (ws / "riskkit.yaml").write_text(text.replace("critical: 30, ", "").replace(
            "critical: 90, ", ""))
    elif change == "settings":
        (ws / "riskkit.yaml").write_text((ws / "riskkit.yaml").read_text()
                                         .replace("appetite: medium", "appetite: low"))
    after = validate(run, ws)
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    truth = validate(run, ws)
    assert after == truth
    if change in ("edit", "edit-same-size", "rename", "add", "matrix"):
        assert after != before


def test_another_day_is_a_miss(run, ws, monkeypatch):
    prime(run, ws, monkeypatch)
    (ws / "drills").mkdir()
    age(ws)
    key = cache._key({"as_of": "2026-11-26"})
    assert cache._key({"as_of": "2026-11-27"}) != key


def test_a_changed_schema_is_a_miss(run, ws, monkeypatch):
    """riskkit's own files (code, templates, schemas) are part of the key."""
    prime(run, ws, monkeypatch)
    key = cache._key({"as_of": "2026-11-26"})
    cache._own_files.cache_clear()
    monkeypatch.setattr(cache, "_own_files", lambda: (("risk.schema.json", 1),))
    assert cache._key({"as_of": "2026-11-26"}) != key


def test_files_touched_in_the_racy_window_are_not_trusted(ws):
    files = cache.stats(ws)
    cache.write(ws, "probe", {}, files, "value")
    # Files written just now are within two seconds of the cache: never trusted.
    assert cache.read(ws, "probe", {}, files) is None


def test_no_cache_when_switched_off(run, ws, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    validate(run, ws)
    assert not hit(ws)


def test_an_unwritable_cache_folder_is_not_an_error(run, ws, monkeypatch, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    monkeypatch.setenv("RISKKIT_CACHE_DIR", str(blocked / "cache"))
    code, problems = validate(run, ws)
    assert code == 0 and problems == []


def test_incident_commands_see_links_added_after_the_index(run, make_ws, monkeypatch):
    runbook = ("id: rb\ntitle: Fix it\ntriggers: [alert]\nsteps:\n"
               "  - {id: a, title: Do it, role: sre, minutes: 5}\n")
    root = make_ws({"risks/a.yaml": RISK.format(id="RSK-1", l=2, i=2),
                    "runbooks/rb.yaml": runbook})
    real = time.time_ns
    monkeypatch.setattr(cache.time, "time_ns", lambda: real() - 5 * cache.RACY_NS)
    run("-C", root, "risks")  # writes the link index, "long ago"
    monkeypatch.setattr(cache.time, "time_ns", real)
    shown = json.loads(run("-C", root, "runbook", "show", "rb", "--format", "json").stdout)
    assert shown["risks"] == []
    (root / "risks" / "b.yaml").write_text(RISK.format(id="RSK-2", l=3, i=3)
                                           + "runbooks: [rb]\n")
    shown = json.loads(run("-C", root, "runbook", "show", "rb", "--format", "json").stdout)
    assert [r["id"] for r in shown["risks"]] == ["RSK-2"]
