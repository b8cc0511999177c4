"""The incident path never drops a fact silently.

``runbook show``/``render`` read one runbook and only the risk files that may link to it
(the link index written by the last full load, plus what changed since). The index may
only skip work: after renames, folder moves (a moved folder's files keep their ctime),
deletions, edits on either side and a stale index, the incident path's risks must be the
whole workspace's answer. What cannot be shown is said in the plan itself.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
import yaml

from riskkit.files import cache, linkindex

AS_OF = ("--as-of", "2026-11-26")

RISK = """\
id: {id}
title: Title {id}
owner: team-a
status: open
likelihood: 3
impact: 4
rto_minutes: 60
"""

RUNBOOK = """\
id: rb
title: Fail over the database
triggers: [The primary stops answering]
risks: [RSK-2]
steps:
  - {id: promote, title: Promote the replica, role: dba, minutes: 10}
"""

FILES = {
    "risks/team-a/r1.yaml": RISK.format(id="RSK-1") + "runbooks: [rb]\n",  # risk's side
    "risks/team-a/r2.yaml": RISK.format(id="RSK-2"),  # declared by the runbook
    "risks/team-b/r3.yaml": RISK.format(id="RSK-3"),  # not linked
    "risks/team-b/deep/r5.yaml": RISK.format(id="RSK-5") + "runbooks: [rb]\n",
    "risks/.drafts/r4.yaml": RISK.format(id="RSK-4") + "runbooks: [rb]\n",  # hidden
    "runbooks/rb.yaml": RUNBOOK,
}

RACY = 100_000_000  # a short racy window, so a test need not wait two seconds out


@pytest.fixture
def indexed(make_ws, run, monkeypatch):
    """A workspace whose link index was written after its files, as in real life: the
    files are older than the index by more than the racy window."""
    monkeypatch.setattr(cache, "RACY_NS", RACY)
    root = make_ws(FILES)
    time.sleep(3 * RACY / 1e9)
    assert run("-C", root, "risks", *AS_OF).exit_code == 0  # writes the link index
    assert any(p.name.endswith("-links.json") for p in
               os.scandir(os.environ["RISKKIT_CACHE_DIR"]))
    assert incident(run, root) == ["RSK-1", "RSK-2", "RSK-5"]
    return root


def incident(run, root) -> list[str]:
    result = run("-C", root, "runbook", "show", "rb", "--format", "json", *AS_OF)
    assert result.exit_code == 0, result.output
    return [r["id"] for r in json.loads(result.stdout)["risks"]]


def whole(run, root, monkeypatch) -> list[str]:
    """The whole workspace's answer: risks that link to rb, on either side."""
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    try:
        result = run("-C", root, "risks", "--format", "json", *AS_OF)
    finally:
        monkeypatch.delenv("RISKKIT_NO_CACHE")
    declared = set(yaml.safe_load((root / "runbooks" / "rb.yaml").read_text())["risks"])
    return sorted(r["id"] for r in json.loads(result.stdout)
                  if "rb" in r["runbooks"] or r["id"] in declared)


def scan_only(run, root, monkeypatch) -> list[str]:
    """The incident path without an index (the byte search)."""
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    try:
        return incident(run, root)
    finally:
        monkeypatch.delenv("RISKKIT_NO_CACHE")


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def swap(a, b) -> None:
    tmp = a.with_name(a.name + "-swap")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


CHANGES = {
    "rename a file": lambda r: (r / "risks/team-a/r1.yaml").rename(r / "risks/team-a/one.yaml"),
    "rename a folder": lambda r: (r / "risks/team-a").rename(r / "risks/team-z"),
    "rename a nested folder": lambda r: (r / "risks/team-b/deep").rename(
        r / "risks/team-b/deeper"),
    "move a folder down": lambda r: ((r / "risks/old").mkdir(),
                                     (r / "risks/team-a").rename(r / "risks/old/team-a")),
    "move a folder out of the register": lambda r: (r / "risks/team-b").rename(r / "team-b"),
    "unhide a folder": lambda r: (r / "risks/.drafts").rename(r / "risks/drafts"),
    "swap two folders": lambda r: swap(r / "risks/team-a", r / "risks/team-b"),
    "swap two files": lambda r: swap(r / "risks/team-a/r1.yaml", r / "risks/team-b/r3.yaml"),
    "link a file from outside": lambda r: ((r / "elsewhere").mkdir(),
                                           (r / "risks/team-a/r1.yaml").rename(
                                               r / "elsewhere/r1.yaml"),
                                           (r / "risks/team-a/r1.yaml").symlink_to(
                                               r / "elsewhere/r1.yaml")),
    "delete a linked risk": lambda r: (r / "risks/team-a/r1.yaml").unlink(),
    "delete a folder": lambda r: shutil.rmtree(r / "risks/team-a"),
    "add a link on the risk's side": lambda r: edit(r / "risks/team-b/r3.yaml", "rto_minutes",
                                                    "runbooks: [rb]\nrto_minutes"),
    "remove a link on the risk's side": lambda r: edit(r / "risks/team-a/r1.yaml",
                                                       "runbooks: [rb]\n", ""),
    "add a link on the runbook's side": lambda r: edit(r / "runbooks/rb.yaml", "[RSK-2]",
                                                       "[RSK-2, RSK-3]"),
    "remove a link on the runbook's side": lambda r: edit(r / "runbooks/rb.yaml", "[RSK-2]",
                                                          "[]"),
    "move a risk into another file": lambda r: (
        (r / "risks/team-a/r1.yaml").unlink(),
        (r / "risks/team-b/r3.yaml").write_text(
            "risks:\n" + "".join("  - " + (RISK.format(id=i) + extra).replace("\n", "\n    ")
                                 .rstrip() + "\n" for i, extra in
                                 (("RSK-3", ""), ("RSK-1", "runbooks: [rb]\n"))))),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_index_never_changes_the_answer(run, indexed, monkeypatch, change):
    CHANGES[change](indexed)
    expected = whole(run, indexed, monkeypatch)
    assert incident(run, indexed) == expected
    assert scan_only(run, indexed, monkeypatch) == expected


def test_every_change_changes_the_answer_or_keeps_it_on_purpose(run, make_ws, monkeypatch,
                                                                tmp_path):
    """Guards the test above: edits and deletions alter the answer, so a stale index that
    repeated the old answer would fail them; renames and moves keep it, so an index that
    lost a moved file would fail them."""
    altered = []
    for i, name in enumerate(sorted(CHANGES)):
        root = make_ws(FILES, root=tmp_path / f"case{i}")
        before = whole(run, root, monkeypatch)
        CHANGES[name](root)
        if whole(run, root, monkeypatch) != before:
            altered.append(name)
    assert altered == ["add a link on the risk's side", "add a link on the runbook's side",
                       "delete a folder", "delete a linked risk",
                       "move a folder out of the register", "remove a link on the risk's side",
                       "remove a link on the runbook's side", "unhide a folder"]


def test_a_stale_index_is_not_trusted_over_the_files(run, indexed, monkeypatch):
    """An index that looks newer than it is (written by a load that read the files before
    they changed, or copied) does not hide an edit made after the load began."""
    edit(indexed / "risks/team-b/r3.yaml", "rto_minutes", "runbooks: [rb]\nrto_minutes")
    for path in os.scandir(os.environ["RISKKIT_CACHE_DIR"]):  # "written" in ten seconds
        st = os.stat(path.path)
        os.utime(path.path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))
    assert incident(run, indexed) == whole(run, indexed, monkeypatch) \
        == ["RSK-1", "RSK-2", "RSK-3", "RSK-5"]


def test_an_index_whose_files_no_longer_hold_their_ids_is_not_believed(run, indexed,
                                                                        monkeypatch):
    """The index says which risk each file held; a file that no longer holds it (here
    rewritten with its ctime out of reach of the walk) sends the incident path to the
    byte search instead of dropping the risk."""
    path = next(p for p in os.scandir(os.environ["RISKKIT_CACHE_DIR"])
                if p.name.endswith("-links.json"))
    entry = cache.unseal(open(path.path, "rb").read())
    entry["value"]["by_runbook"]["rb"] = {"RSK-1": "risks/team-b/r3.yaml",
                                          "RSK-5": "risks/team-b/deep/r5.yaml"}
    st = os.stat(path.path)
    with open(path.path, "wb") as handle:  # as riskkit writes it: believed, if not checked
        handle.write(cache.seal(entry))
    os.utime(path.path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert incident(run, indexed) == whole(run, indexed, monkeypatch)


def test_without_find_on_the_path_the_answer_is_the_same(run, indexed, monkeypatch, tmp_path):
    """No find to ask what changed: every risk file is searched instead."""
    CHANGES["add a link on the risk's side"](indexed)
    expected = whole(run, indexed, monkeypatch)
    (tmp_path / "no-tools").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    walks = []
    real = cache.changed_files
    monkeypatch.setattr(cache, "changed_files", lambda walk: walks.append(walk) or real(walk))
    assert incident(run, indexed) == expected == ["RSK-1", "RSK-2", "RSK-3", "RSK-5"]
    assert walks == [None]  # the walk could not start: the byte search answered


def test_a_find_in_the_workspace_is_never_run(run, indexed, monkeypatch):
    """With '.' (or an empty entry) on PATH, find is still looked up only in PATH's
    absolute folders: a file named find in the workspace is never run."""
    planted = indexed / "find"
    planted.write_text(f"#!/bin/sh\ntouch {indexed / 'planted-ran'}\n")
    planted.chmod(0o755)
    monkeypatch.setenv("PATH", "." + os.pathsep + os.pathsep + os.environ["PATH"])
    assert incident(run, indexed) == ["RSK-1", "RSK-2", "RSK-5"]
    assert not (indexed / "planted-ran").exists()


def test_a_walk_is_ended_when_the_runbook_is_unknown(run, indexed, monkeypatch):
    stopped = []
    real_stop = linkindex.Scan.stop
    monkeypatch.setattr(linkindex.Scan, "stop", lambda self: (stopped.append(self.walk),
                                                              real_stop(self)))
    result = run("-C", indexed, "runbook", "show", "no-such-runbook", *AS_OF)
    assert result.exit_code == 1 and "unknown runbook" in result.output
    assert stopped and all(w is not None and w.returncode is not None for w in stopped)


def _links_entry() -> tuple[str, dict]:
    path = next(p.path for p in os.scandir(os.environ["RISKKIT_CACHE_DIR"])
                if p.name.endswith("-links.json"))
    return path, cache.unseal(open(path, "rb").read())


def test_an_index_another_riskkit_wrote_is_not_believed(run, indexed, monkeypatch):
    """The walk for changed files starts as soon as the index is read, before riskkit
    checks that it wrote the index (that walks riskkit's own files): an index under
    another key, here one that would hide RSK-1 and RSK-5, is still never believed."""
    path, entry = _links_entry()
    entry["value"]["by_runbook"]["rb"] = {}  # would hide the risks that did not change
    entry["key"] = "0" * 40
    st = os.stat(path)
    with open(path, "wb") as handle:
        handle.write(cache.seal(entry))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    stopped = []
    real_stop = linkindex.Scan.stop
    monkeypatch.setattr(linkindex.Scan, "stop", lambda self: (stopped.append(self.walk),
                                                              real_stop(self)))
    assert incident(run, indexed) == whole(run, indexed, monkeypatch) \
        == ["RSK-1", "RSK-2", "RSK-5"]
    walks = [w for w in stopped if w is not None]
    assert len(walks) == 1 and walks[0].returncode is not None  # the walk was ended


def test_a_walk_started_for_a_command_that_then_fails_is_ended(run, indexed, monkeypatch):
    """The walk starts before riskkit.yaml is read: when the settings stop the command,
    the walk is ended, not left behind."""
    stopped = []
    real_stop = linkindex.Scan.stop
    monkeypatch.setattr(linkindex.Scan, "stop", lambda self: (stopped.append(self.walk),
                                                              real_stop(self)))
    (indexed / "riskkit.yaml").write_text("matrix: [not, a, matrix\n")
    result = run("-C", indexed, "runbook", "show", "rb", *AS_OF)
    assert result.exit_code == 2, result.output
    assert len(stopped) == 1 and stopped[0] is not None and stopped[0].returncode is not None


# --- what cannot be shown is said in the plan ------------------------------------------------

@pytest.fixture
def gaps(make_ws):
    """A runbook that declares a risk nobody wrote, and a risk file (linking to it) that
    does not parse."""
    return make_ws({
        "risks/r1.yaml": RISK.format(id="RSK-1") + "runbooks: [rb]\n",
        "risks/broken.yaml": "id: RSK-7\ntitle: [unclosed\nrunbooks: [rb]\n",
        "runbooks/rb.yaml": RUNBOOK.replace("[RSK-2]", "[RSK-1, RSK-9]"),
    })


def test_show_says_what_is_missing_in_text_and_json(run, gaps):
    result = run("-C", gaps, "runbook", "show", "rb", "--format", "json", *AS_OF)
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["risks"]] == ["RSK-1"]
    assert data["missing"] == [
        {"risk": "RSK-9", "file": None, "reason": "declared by this runbook, not found in "
                                                  "the register"},
        {"risk": None, "file": "risks/broken.yaml",
         "reason": "has errors; a risk in it may answer this runbook (run riskkit validate)"},
    ]
    text = run("-C", gaps, "runbook", "show", "rb", *AS_OF).stdout
    assert "MISSING RSK-9: declared by this runbook, not found in the register" in text
    assert "MISSING risks/broken.yaml: has errors" in text


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
def test_every_plan_format_says_what_is_missing_in_its_header(run, gaps, fmt):
    result = run("-C", gaps, "runbook", "render", "rb", "--format", fmt, *AS_OF)
    assert result.exit_code == 0, result.output
    out = result.stdout
    head = out[:out.index("Identify" if fmt != "txt" else "IDENTIFY")]
    assert "RSK-9" in head and "not found in the register" in head
    assert "risks/broken.yaml" in head and "has errors" in head


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_the_graph_says_what_is_missing(run, gaps, fmt):
    out = run("-C", gaps, "runbook", "graph", "rb", "--format", fmt, *AS_OF).stdout
    assert "RSK-9" in out and "risks/broken.yaml" in out


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_drill_checklist_says_what_is_missing(run, make_ws, fmt):
    root = make_ws({
        "risks/r1.yaml": RISK.format(id="RSK-1") + "runbooks: [rb]\n",
        "risks/broken.yaml": "id: RSK-7\ntitle: [unclosed\nrunbooks: [rb]\n",
        "runbooks/rb.yaml": RUNBOOK.replace("[RSK-2]", "[RSK-1]"),
    })
    result = run("-C", root, "drill", "checklist", "rb", "--format", fmt, *AS_OF)
    assert result.exit_code == 1  # the broken file is still an error
    out = result.stdout
    assert "risks/broken.yaml" in out and "has errors" in out


def test_nothing_missing_says_nothing(run, make_ws):
    root = make_ws({"risks/r1.yaml": RISK.format(id="RSK-1") + "runbooks: [rb]\n",
                    "runbooks/rb.yaml": RUNBOOK.replace("[RSK-2]", "[RSK-1]")})
    data = json.loads(run("-C", root, "runbook", "show", "rb", "--format", "json",
                          *AS_OF).stdout)
    assert data["missing"] == []
    for fmt in ("md", "txt", "html"):
        assert "MISSING" not in run("-C", root, "runbook", "render", "rb", "--format", fmt,
                                    *AS_OF).stdout.upper().replace("MISSING INPUT", "")
