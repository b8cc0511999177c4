"""The one folder walker, and the three places that use it agreeing on what they see."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from riskkit.files import cache
from riskkit.files.walk import hidden, walk, wanted
from riskkit.validation import expand
from riskkit.workspace import open_workspace

RISK = "id: {}\ntitle: t\nowner: o\nstatus: open\nlikelihood: 1\nimpact: 2\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def rels(top: Path, paths) -> list[str]:
    return [os.path.relpath(p, top).replace(os.sep, "/") for p in paths]


def test_hidden_entries_are_skipped(tmp_path):
    top = tree(tmp_path / "risks", {"a.yaml": "", ".draft.yaml": "", ".git/b.yaml": "",
                                    "sub/.c.yml": "", "sub/d.yml": ""})
    assert rels(top, walk(top).files) == ["a.yaml", "sub/d.yml"]


def test_yaml_in_any_case_and_nothing_else(tmp_path):
    top = tree(tmp_path / "risks", {"a.YAML": "", "b.Yml": "", "c.json": "", "README": "",
                                    "d.yaml.bak": ""})
    assert rels(top, walk(top).files) == ["a.YAML", "b.Yml"]
    assert rels(top, walk(top, yaml_only=False).files) == ["README", "a.YAML", "b.Yml",
                                                           "c.json", "d.yaml.bak"]


def test_a_folder_named_like_yaml_is_listed_to_be_reported(tmp_path):
    top = tree(tmp_path / "risks", {"odd.yaml/inner.yaml": ""})
    assert rels(top, walk(top).files) == ["odd.yaml"]


def test_a_linked_folder_is_followed_once(tmp_path):
    shared = tree(tmp_path / "shared", {"s.yaml": ""})
    top = tree(tmp_path / "risks", {"a.yaml": ""})
    os.symlink(shared, top / "link-1")
    os.symlink(shared, top / "link-2")  # the same folder again: read once
    os.symlink(top, top / "loop")  # back up: no loop
    assert rels(top, walk(top).files) == ["a.yaml", "link-1/s.yaml"]


def test_output_is_sorted(tmp_path):
    top = tree(tmp_path / "risks", {"b/x.yaml": "", "a-b/x.yaml": "", "a/x.yaml": "",
                                    "c.yaml": ""})
    found = walk(top).files
    assert found == sorted(found)
    assert len(found) == 4


def test_a_folder_that_is_not_there_is_empty(tmp_path):
    assert walk(tmp_path / "nope").files == [] and walk(tmp_path / "nope").unreadable == []


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """``risks/locked`` cannot be listed (as without permission, even for root)."""
    top = tree(tmp_path / "ws", {"risks/a.yaml": RISK.format("RSK-1"),
                                 "risks/locked/b.yaml": RISK.format("RSK-2")})
    real = os.scandir

    def scandir(path="."):
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return top


def test_a_folder_that_cannot_be_read_is_returned(locked):
    found = walk(locked / "risks")
    assert rels(locked / "risks", found.files) == ["a.yaml"]
    assert found.unreadable == [(str(locked / "risks" / "locked"), "Permission denied")]
    problems = found.problems(lambda p: os.path.relpath(p, locked))
    assert [p.format() for p in problems] == [
        "risks/locked:1:1: Y009 cannot read folder: Permission denied"]


def test_validate_reports_a_folder_it_cannot_read(run, locked, make_ws):
    make_ws({}, root=locked)
    result = run("-C", locked, "validate")
    assert result.exit_code == 1
    assert "risks/locked:1:1: Y009 cannot read folder: Permission denied" in result.stdout
    named = run("-C", locked, "validate", "risks")  # named, it is reported once
    assert named.stdout.count("Y009") == 1


def test_a_view_shows_the_rest_and_fails(run, locked, make_ws):
    make_ws({}, root=locked)
    result = run("-C", locked, "risks", "--format", "json")
    assert result.exit_code == 1
    assert "RSK-1" in result.stdout and "risks/locked" in result.stderr


def test_names_from_elsewhere_follow_the_same_rules():
    assert wanted("risks/a.yaml") and wanted("risks/B.YML")
    assert not wanted("risks/.draft.yaml") and not wanted("risks/.old/a.yaml")
    assert not wanted("risks/a.json")
    assert hidden(".git/x") and not hidden("./risks/x")


def test_the_three_callers_see_the_same_files(tmp_path, make_ws):
    """The workspace, the cache key and ``validate PATH`` walk by the same rules."""
    root = make_ws({"risks/a.yaml": RISK.format("RSK-1"), "risks/.draft.yaml": "x",
                    "risks/.hidden/c.yaml": "x", "risks/sub/b.yml": RISK.format("RSK-2"),
                    "risks/notes.txt": "x"})
    shared = tree(root / "library", {"S.YAML": RISK.format("RSK-9")})  # in the workspace
    os.symlink(shared, root / "risks" / "shared")
    os.symlink(root / "risks", root / "risks" / "loop")
    ws = open_workspace(root)
    expected = ["risks/a.yaml", "risks/shared/S.YAML", "risks/sub/b.yml"]
    assert [ws.rel(p) for p in ws.files("risks")] == expected
    keys = [k for k in cache.stats(root, ("risks",)) if k.startswith("risks/")]
    assert sorted(k for k in keys if wanted(k)) == expected
    assert "risks/notes.txt" in keys  # the cache watches every file, not only YAML
    assert rels(root, expand([str(root / "risks")], ws.boundary).files) == expected


def test_a_folder_given_to_validate_is_walked_like_the_workspace(run, make_ws, tmp_path):
    """Hidden files in it are skipped, .YAML is read, a linked folder is followed."""
    extra = tree(tmp_path / "elsewhere", {"R2.YAML": RISK.format("RSK-2").replace(
        "impact: 2", "impact: 9"), ".draft.yaml": "not: [valid"})
    root = make_ws({"risks/a.yaml": RISK.format("RSK-1")})
    os.symlink(extra, root / "more")
    result = run("-C", root, "validate", "more")
    assert result.exit_code == 1
    assert [line.split(": ")[1].split()[0] for line in result.stdout.splitlines()] == ["R002"]
    assert "more/R2.YAML" in result.stdout and ".draft" not in result.stdout


def test_a_hidden_file_named_on_the_command_line_is_still_checked(run, make_ws):
    root = make_ws({"risks/.draft.yaml": "not: [valid"})
    assert run("-C", root, "validate").exit_code == 0  # walked: skipped
    result = run("-C", root, "validate", "risks/.draft.yaml")
    assert result.exit_code == 1 and "risks/.draft.yaml" in result.stdout


def test_an_incident_command_skips_a_hidden_file_found_since_the_index(run, make_ws):
    """Incident-time loading looks for risk files changed since the link index with
    ``find``; what it finds is read by the walker's rules, so a hidden draft linking the
    runbook stays out of the plan, as it does from every other command."""
    import json

    from test_cache import shift_cache

    runbook = ("id: rb\ntitle: Fix it\ntriggers: [alert]\nsteps:\n"
               "  - {id: a, title: Do it, role: sre, minutes: 5}\n")
    root = make_ws({"risks/a.yaml": RISK.format("RSK-1"), "runbooks/rb.yaml": runbook})
    run("-C", root, "risks")  # writes the link index...
    shift_cache(-5 * cache.RACY_NS)  # ...long ago
    (root / "risks" / ".draft.yaml").write_text(RISK.format("RSK-2") + "runbooks: [rb]\n")
    (root / "risks" / "b.yaml").write_text(RISK.format("RSK-3") + "runbooks: [rb]\n")
    shown = json.loads(run("-C", root, "runbook", "show", "rb", "--format", "json").stdout)
    assert [r["id"] for r in shown["risks"]] == ["RSK-3"]
