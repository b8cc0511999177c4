"""``riskkit diff`` and ``riskkit history`` on real git repositories built in tmp_path.

One series of commits, each a change an ops lead makes in a pull request:

    c1  initial register: 5x5 matrix, RSK-1..RSK-4 and the db-failover runbook
    c2  RSK-1 likelihood 2 -> 3: medium 8 -> high 12
    c3  risks/RSK-1.yaml moved to risks/database.yaml (git mv, same content)
    c4  RSK-2 renumbered RSK-20 in place (same file)
    c5  riskkit.yaml: the same 5x5 scales with stricter thresholds; no risk file touched,
        yet RSK-1 high -> critical, RSK-20 medium -> high, RSK-4 low -> medium
    c6  risks/RSK-4.yaml deleted
    c7  db-failover: a step added, one removed, one longer: ETA 35 -> 45 min

Commits carry fixed authors and dates so every run sees the same history.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

SVG = "{http://www.w3.org/2000/svg}"

# git run by the tests themselves: no user or system configuration, UTC.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
           "LC_ALL": "C.UTF-8"}

ALICE = ("Alice Example", "alice@example.com")
BOB = ("Bob Example", "bob@example.com")
ZOE = ("Zoë Example", "zoe@example.com")  # non-ASCII on purpose: authors often are


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch):
    """riskkit's own git calls inherit this: no user config, dates read in UTC."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def git(top: Path, *args: str, who=ALICE, when: str | None = None) -> str:
    name, email = who
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    done = subprocess.run(["git", "-C", str(top), "-c", "commit.gpgsign=false",
                           "-c", "init.defaultBranch=main", *args],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def commit(top: Path, message: str, when: str, who=ALICE, tag: str | None = None) -> str:
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", message, who=who, when=when)
    if tag:
        git(top, "tag", tag)
    return git(top, "rev-parse", "HEAD").strip()


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


SETTINGS = """\
name: Test Payments
matrix: 5x5
appetite: medium
review_days: {critical: 30, high: 90, medium: 180, low: 365}
drill_days: {critical: 90, high: 180, medium: 365}
roles:
  ic: {title: Incident commander, contact: "#inc"}
  dba: {title: Database on-call}
"""

# The 5x5 preset's scales and levels, with thresholds lowered from 5/10/17 to 4/8/12.
STRICTER = SETTINGS.replace("matrix: 5x5\n", """\
matrix:
  likelihood:
    - {id: rare, name: Rare}
    - {id: unlikely, name: Unlikely}
    - {id: possible, name: Possible}
    - {id: likely, name: Likely}
    - {id: almost-certain, name: Almost certain}
  impact:
    - {id: very-low, name: Very low}
    - {id: low, name: Low}
    - {id: moderate, name: Moderate}
    - {id: high, name: High}
    - {id: very-high, name: Very high}
  levels:
    - {id: low, name: Low, color: "#7cb342"}
    - {id: medium, name: Medium, color: "#fbc02d"}
    - {id: high, name: High, color: "#f57c00"}
    - {id: critical, name: Critical, color: "#b71c1c"}
  thresholds: {low: 1, medium: 4, high: 8, critical: 12}
""")


def risk(rid: str, title: str, likelihood: int, impact: int, owner: str,
         extra: str = "") -> str:
    return (f"id: {rid}\ntitle: {title}\nowner: {owner}\nstatus: open\n"
            f"likelihood: {likelihood}\nimpact: {impact}\n{extra}")


RUNBOOK_V1 = """\
id: db-failover
title: Fail over the primary database
risks: [RSK-1]
triggers: [PostgresPrimaryDown alert]
steps:
  - {id: declare, title: Declare the incident, role: ic, minutes: 5}
  - {id: freeze-writes, title: Stop writes, role: dba, needs: [declare], minutes: 10}
  - {id: promote, title: Promote the replica, role: dba, needs: [freeze-writes], minutes: 15}
  - {id: resume-writes, title: Resume writes, role: dba, needs: [promote], minutes: 5}
"""

RUNBOOK_V2 = """\
id: db-failover
title: Fail over the primary database
risks: [RSK-1]
triggers: [PostgresPrimaryDown alert]
steps:
  - {id: declare, title: Declare the incident, role: ic, minutes: 5}
  - {id: freeze-writes, title: Stop writes, role: dba, needs: [declare], minutes: 10}
  - {id: promote, title: Promote the replica, role: dba, needs: [freeze-writes], minutes: 20}
  - {id: check-replication, title: Check replication, role: dba, needs: [promote], minutes: 10}
"""

DATES = {"c1": "2026-01-05", "c2": "2026-02-10", "c3": "2026-03-03", "c4": "2026-04-07",
         "c5": "2026-05-12", "c6": "2026-06-16", "c7": "2026-07-21"}


@dataclass
class Series:
    top: Path  # the git repository
    ws: Path  # the workspace (riskkit.yaml) inside it
    sha: dict[str, str]  # tag -> full commit id


def build_series(top: Path, ws_rel: str = "") -> Series:
    top.mkdir(parents=True)
    git(top, "init", "-q")
    ws = top / ws_rel if ws_rel else top
    pre = f"{ws_rel}/" if ws_rel else ""
    sha = {}
    write(ws, "riskkit.yaml", SETTINGS)
    write(ws, "risks/RSK-1.yaml", risk("RSK-1", "Primary database loses its storage", 2, 4,
                                       "team-data", "runbooks: [db-failover]\n"))
    write(ws, "risks/RSK-2.yaml", risk("RSK-2", "Card network outage", 3, 3, "team-payments"))
    write(ws, "risks/RSK-3.yaml", risk("RSK-3", "Status page goes stale", 1, 2, "team-web"))
    write(ws, "risks/RSK-4.yaml", risk("RSK-4", "Legacy batch export fails", 2, 2, "team-data"))
    write(ws, "runbooks/db-failover.yaml", RUNBOOK_V1)
    if ws_rel:
        write(top, "README.md", "Not riskkit's business.\n")
    sha["c1"] = commit(top, "Initial register", f"{DATES['c1']}T09:00:00+00:00", ALICE, "c1")

    write(ws, "risks/RSK-1.yaml", risk("RSK-1", "Primary database loses its storage", 3, 4,
                                       "team-data", "runbooks: [db-failover]\n"))
    sha["c2"] = commit(top, "RSK-1 is more likely", f"{DATES['c2']}T10:00:00+00:00", BOB, "c2")

    git(top, "mv", f"{pre}risks/RSK-1.yaml", f"{pre}risks/database.yaml")
    # At midnight: a commit on the very first second of its day (see the --since tests).
    sha["c3"] = commit(top, "Move the database risk", f"{DATES['c3']}T00:00:00+00:00", ALICE,
                       "c3")

    write(ws, "risks/RSK-2.yaml", risk("RSK-20", "Card network outage", 3, 3, "team-payments"))
    sha["c4"] = commit(top, "Renumber RSK-2", f"{DATES['c4']}T11:00:00+00:00", ZOE, "c4")

    write(ws, "riskkit.yaml", STRICTER)
    sha["c5"] = commit(top, "Stricter thresholds", f"{DATES['c5']}T12:00:00+00:00", BOB, "c5")

    (ws / "risks/RSK-4.yaml").unlink()
    sha["c6"] = commit(top, "Retire the batch export risk", f"{DATES['c6']}T13:00:00+00:00",
                       ZOE, "c6")

    write(ws, "runbooks/db-failover.yaml", RUNBOOK_V2)
    sha["c7"] = commit(top, "Failover: check replication", f"{DATES['c7']}T14:00:00+00:00",
                       ALICE, "c7")
    return Series(top, ws, sha)


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Series:
    """The series with the workspace at the top of the repository (never modified)."""
    return build_series(tmp_path_factory.mktemp("git") / "repo")


@pytest.fixture(scope="module")
def sub_series(tmp_path_factory) -> Series:
    """The same series with the workspace in ops/register/ of a larger repository."""
    return build_series(tmp_path_factory.mktemp("git") / "repo", "ops/register")


@pytest.fixture
def clone(series, tmp_path) -> Series:
    """A private clone of the series, for tests that edit the working tree."""
    dest = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(series.top), str(dest))
    return Series(dest, dest, series.sha)


# --- helpers ------------------------------------------------------------------------------

def diff_json(run, ws: Path, *revs: str) -> dict:
    result = run("-C", ws, "diff", *revs, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def history_json(run, ws: Path, rid: str, *extra: str) -> dict:
    result = run("-C", ws, "history", rid, *extra, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def only(items: list[dict], **match) -> dict:
    found = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one of {match} in {items}"
    return found[0]


def rating_change(entry: dict) -> dict:
    changes = [c for c in entry["changes"] if c["field"] == "rating"]
    assert len(changes) == 1, entry
    return changes[0]


def no_risk_adds_or_removes(data: dict) -> None:
    assert data["risks"]["added"] == []
    assert data["risks"]["removed"] == []


def line_saying(text: str, *words: str) -> str:
    """The one line of ``text`` holding every word, in order (whole words)."""
    pattern = re.compile(r".*?".join(rf"(?<![\w-]){re.escape(w)}(?![\w-])" for w in words))
    lines = [line for line in text.splitlines() if pattern.search(line)]
    assert len(lines) == 1, f"no single line says {words!r} in:\n{text}"
    return lines[0]


def says_up(line: str) -> bool:
    return "↑" in line or re.search(r"\bup\b", line) is not None


def check_md(text: str, old: str, new: str) -> list[str]:
    """A pull-request comment: a heading naming both revisions, then bullet lines."""
    lines = text.splitlines()
    assert re.match(r"^#{1,6} \S", lines[0]), lines[0]
    assert old in lines[0] and new in lines[0], lines[0]
    bullets = [line for line in lines[1:] if line.startswith("- ")]
    for line in lines[1:]:
        # Nothing of the terminal format leaks in; every other line is blank or a heading.
        assert not line.startswith(("+ ", "~ ")), line
        assert line == "" or line.startswith(("- ", "#", "**")), line
    return bullets


# --- diff: one change at a time -----------------------------------------------------------

def test_rating_change_is_a_level_up(run, series):
    data = diff_json(run, series.ws, "c1", "c2")
    no_risk_adds_or_removes(data)
    assert data["risks"]["renamed"] == []
    assert [c["id"] for c in data["risks"]["changed"]] == ["RSK-1"]
    change = rating_change(data["risks"]["changed"][0])
    assert change["direction"] == "up"
    assert (change["from"]["level"], change["from"]["score"]) == ("medium", 8)
    assert (change["to"]["level"], change["to"]["score"]) == ("high", 12)
    assert (change["from"]["likelihood"], change["to"]["likelihood"]) == (2, 3)
    assert data["runbooks"]["changed"] == []
    assert data["from"]["commit"] == series.sha["c1"]
    assert data["to"]["commit"] == series.sha["c2"]


def test_renamed_file_is_neither_added_nor_removed(run, series):
    data = diff_json(run, series.ws, "c2", "c3")
    no_risk_adds_or_removes(data)
    assert data["risks"]["renamed"] == []
    for entry in data["risks"]["changed"]:  # at most the file moved; nothing else did
        assert entry["id"] == "RSK-1"
        assert [c["field"] for c in entry["changes"]] == ["file"]
        assert entry["changes"][0]["from"] == "risks/RSK-1.yaml"
        assert entry["changes"][0]["to"] == "risks/database.yaml"


def test_changed_id_is_reported_as_the_id_change(run, series):
    data = diff_json(run, series.ws, "c3", "c4")
    no_risk_adds_or_removes(data)
    assert data["risks"]["renamed"] == [
        {"from": "RSK-2", "to": "RSK-20", "file": "risks/RSK-2.yaml"}]
    assert data["risks"]["changed"] == []
    text = run("-C", series.ws, "diff", "c3", "c4").stdout
    line_saying(text, "RSK-2", "RSK-20")
    assert "added" not in text and "removed" not in text


def test_matrix_change_moves_levels_of_risks_whose_files_did_not_change(run, series):
    touched = git(series.top, "diff", "--name-only", "c4", "c5").split()
    assert touched == ["riskkit.yaml"]  # the premise: no risk file changed
    data = diff_json(run, series.ws, "c4", "c5")
    assert data["matrix"]["from"] != data["matrix"]["to"]
    no_risk_adds_or_removes(data)
    moves = {e["id"]: rating_change(e) for e in data["risks"]["changed"]}
    assert set(moves) == {"RSK-1", "RSK-20", "RSK-4"}  # RSK-3 stays low at score 2
    expected = {"RSK-1": ("high", "critical", 12), "RSK-20": ("medium", "high", 9),
                "RSK-4": ("low", "medium", 4)}
    for rid, (old, new, score) in expected.items():
        change = moves[rid]
        assert change["direction"] == "up", rid
        assert (change["from"]["level"], change["to"]["level"]) == (old, new), rid
        assert change["from"]["score"] == change["to"]["score"] == score, rid


def test_matrix_change_in_text(run, series):
    result = run("-C", series.ws, "diff", "c4", "c5")
    assert result.exit_code == 0, result.output
    assert says_up(line_saying(result.stdout, "RSK-1", "high", "critical"))
    assert says_up(line_saying(result.stdout, "RSK-20", "medium", "high"))
    assert says_up(line_saying(result.stdout, "RSK-4", "low", "medium"))
    assert "RSK-3" not in result.stdout


def test_deletion(run, series):
    data = diff_json(run, series.ws, "c5", "c6")
    assert data["risks"]["added"] == [] and data["risks"]["changed"] == []
    [gone] = data["risks"]["removed"]
    assert gone["id"] == "RSK-4"
    assert (gone["level"], gone["score"]) == ("medium", 4)  # as rated at c5
    text = run("-C", series.ws, "diff", "c5", "c6").stdout
    line_saying(text, "RSK-4", "removed")


def test_runbook_steps_and_eta(run, series):
    data = diff_json(run, series.ws, "c6", "c7")
    assert data["risks"] == {"added": [], "removed": [], "renamed": [], "changed": []}
    [book] = data["runbooks"]["changed"]
    assert book["id"] == "db-failover"
    assert book["steps_added"] == ["check-replication"]
    assert book["steps_removed"] == ["resume-writes"]
    assert book["steps_changed"] == [{"id": "promote", "fields": ["minutes"]}]
    assert book["eta_minutes"] == {"from": 35, "to": 45}  # 5+10+15+5 -> 5+10+20+10


def test_runbook_changes_in_text_and_md(run, series):
    text = run("-C", series.ws, "diff", "c6", "c7").stdout
    line_saying(text, "db-failover", "check-replication")
    line_saying(text, "db-failover", "resume-writes")
    line_saying(text, "db-failover", "promote")
    line_saying(text, "db-failover", "35", "45")
    md = run("-C", series.ws, "diff", "c6", "c7", "--format", "md").stdout
    bullets = "\n".join(check_md(md, "c6", "c7"))
    line_saying(bullets, "db-failover", "check-replication")
    line_saying(bullets, "db-failover", "resume-writes")
    line_saying(bullets, "ETA", "35", "45")


def test_a_commit_that_touches_nothing_of_the_register(run, series):
    # c6..c7 changed a runbook only; c7 against itself changed nothing at all.
    data = diff_json(run, series.ws, "c7", "c7")
    assert data["risks"] == {"added": [], "removed": [], "renamed": [], "changed": []}
    assert data["runbooks"] == {"added": [], "removed": [], "changed": []}
    text = run("-C", series.ws, "diff", "c7", "c7").stdout
    assert "no changes" in text.lower()


# --- diff: the ways of naming revisions, in every format -----------------------------------

FORMATS = ["text", "md", "json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_revisions_and_a_range_say_the_same(run, series, fmt):
    pair = run("-C", series.ws, "diff", "c1", "c7", "--format", fmt)
    dots = run("-C", series.ws, "diff", "c1..c7", "--format", fmt)
    assert pair.exit_code == dots.exit_code == 0, pair.output + dots.output
    assert pair.stdout == dots.stdout


@pytest.mark.parametrize("revs", [("c1", "c2"), ("c1..c2",)], ids=["A B", "A..B"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_rating_change_in_every_format(run, series, fmt, revs):
    result = run("-C", series.ws, "diff", *revs, "--format", fmt)
    assert result.exit_code == 0, result.output
    out = result.stdout
    if fmt == "json":
        data = json.loads(out)
        assert (data["from"]["commit"], data["to"]["commit"]) == (series.sha["c1"],
                                                                  series.sha["c2"])
        change = rating_change(only(data["risks"]["changed"], id="RSK-1"))
        assert (change["direction"], change["from"]["level"], change["to"]["level"]) == \
            ("up", "medium", "high")
        return
    if fmt == "md":
        bullets = check_md(out, "c1", "c2")
        out = "\n".join(bullets)
    assert says_up(line_saying(out, "RSK-1", "medium", "8", "high", "12"))


def test_whole_series_in_one_diff(run, series):
    data = diff_json(run, series.ws, "c1..c7")
    risks = data["risks"]
    assert risks["added"] == []
    assert [r["id"] for r in risks["removed"]] == ["RSK-4"]
    assert risks["renamed"] == [{"from": "RSK-2", "to": "RSK-20", "file": "risks/RSK-2.yaml"}]
    one = only(risks["changed"], id="RSK-1")
    change = rating_change(one)
    assert (change["from"]["level"], change["to"]["level"]) == ("medium", "critical")
    files = [c for c in one["changes"] if c["field"] == "file"]
    assert [(c["from"], c["to"]) for c in files] == [("risks/RSK-1.yaml", "risks/database.yaml")]
    assert "RSK-3" not in {c["id"] for c in risks["changed"]}
    [book] = data["runbooks"]["changed"]
    assert book["eta_minutes"] == {"from": 35, "to": 45}


def test_whole_series_as_a_pull_request_comment(run, series):
    result = run("-C", series.ws, "diff", "c1..c7", "--format", "md")
    assert result.exit_code == 0, result.output
    bullets = "\n".join(check_md(result.stdout, "c1", "c7"))
    line_saying(bullets, "RSK-4", "removed")
    line_saying(bullets, "RSK-2", "RSK-20")
    assert says_up(line_saying(bullets, "RSK-1", "medium", "critical"))
    line_saying(bullets, "db-failover", "ETA", "35", "45")


def test_a_rating_change_is_not_lost_when_the_id_also_changed(run, series):
    # c3..c5: RSK-2 became RSK-20 (c4), then the stricter matrix moved it from medium to
    # high (c5). Reviewers need both: the new id, and that the risk is now rated higher.
    data = diff_json(run, series.ws, "c3", "c5")
    assert data["risks"]["renamed"] == [
        {"from": "RSK-2", "to": "RSK-20", "file": "risks/RSK-2.yaml"}]
    moved = [e for e in data["risks"]["changed"] if e["id"] in ("RSK-2", "RSK-20")]
    assert moved, "the level move of RSK-2 -> RSK-20 (medium 9 -> high 9) is not reported"
    change = rating_change(moved[0])
    assert (change["from"]["level"], change["to"]["level"]) == ("medium", "high")


# --- diff: HEAD against the working tree ---------------------------------------------------

def test_no_revisions_means_head_against_the_working_tree(run, clone):
    clean = run("-C", clone.ws, "diff")
    assert clean.exit_code == 0, clean.output
    assert "no changes" in clean.stdout.lower()
    # An uncommitted edit: RSK-3 more severe and handed to another team.
    write(clone.ws, "risks/RSK-3.yaml", risk("RSK-3", "Status page goes stale", 1, 5,
                                             "team-comms"))
    data = diff_json(run, clone.ws)
    assert data["from"]["commit"] == clone.sha["c7"]
    assert data["to"]["commit"] is None
    no_risk_adds_or_removes(data)
    [entry] = data["risks"]["changed"]
    assert entry["id"] == "RSK-3"
    fields = {c["field"]: c for c in entry["changes"]}
    assert set(fields) == {"rating", "owner"}
    rating = fields["rating"]
    assert rating["direction"] == "up"
    assert (rating["from"]["level"], rating["from"]["score"]) == ("low", 2)
    assert (rating["to"]["level"], rating["to"]["score"]) == ("medium", 5)
    assert (fields["owner"]["from"], fields["owner"]["to"]) == ("team-web", "team-comms")
    assert data["runbooks"]["changed"] == []

    text = run("-C", clone.ws, "diff").stdout
    assert says_up(line_saying(text, "RSK-3", "low", "2", "medium", "5"))
    line_saying(text, "RSK-3", "owner", "team-web", "team-comms")
    md = run("-C", clone.ws, "diff", "--format", "md").stdout
    bullets = "\n".join(check_md(md, "HEAD", "working tree"))
    assert says_up(line_saying(bullets, "RSK-3", "low", "medium"))
    line_saying(bullets, "RSK-3", "team-web", "team-comms")


def test_diff_reads_git_objects_without_a_checkout(run, clone):
    write(clone.ws, "risks/RSK-3.yaml", risk("RSK-3", "Edited, not committed", 5, 5, "x"))
    head = git(clone.top, "rev-parse", "HEAD")
    status = git(clone.top, "status", "--porcelain")
    data = diff_json(run, clone.ws, "c1", "c2")
    assert [c["id"] for c in data["risks"]["changed"]] == ["RSK-1"]
    assert git(clone.top, "rev-parse", "HEAD") == head
    assert git(clone.top, "status", "--porcelain") == status
    assert "Edited, not committed" in (clone.ws / "risks/RSK-3.yaml").read_text()


# --- diff: errors -------------------------------------------------------------------------

@pytest.mark.parametrize("revs", [("nope",), ("c1", "nope"), ("nope..c2",), ("c1..nope",)])
def test_unknown_revision(run, series, revs):
    result = run("-C", series.ws, "diff", *revs)
    assert result.exit_code == 1  # a wrong value on the command line
    assert result.stdout == ""
    assert "nope" in result.stderr and "revision" in result.stderr.lower()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["diff"], ["diff", "HEAD~1", "HEAD"],
                                     ["history", "RSK-1"]])
def test_outside_a_git_repository(run, make_ws, tmp_path, monkeypatch, command):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = make_ws({"risks/a.yaml": risk("RSK-1", "A", 1, 1, "o")})
    result = run("-C", root, *command)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "git" in result.stderr and "not" in result.stderr
    assert "Traceback" not in result.output


def test_too_many_revisions_is_a_usage_error(run, series):
    result = run("-C", series.ws, "diff", "c1", "c2", "c3")
    assert result.exit_code == 2


# --- a workspace in a subfolder of the repository -----------------------------------------

def strip_commits(data: dict) -> dict:
    data = dict(data)
    data["from"] = {k: v for k, v in data["from"].items() if k != "commit"}
    data["to"] = {k: v for k, v in data["to"].items() if k != "commit"}
    return data


@pytest.mark.parametrize("revs", [("c1", "c2"), ("c2", "c3"), ("c3", "c4"), ("c4", "c5"),
                                  ("c5", "c6"), ("c6", "c7"), ("c1..c7",)])
def test_workspace_in_a_subfolder_sees_the_same_changes(run, series, sub_series, revs):
    top = diff_json(run, series.ws, *revs)
    sub = diff_json(run, sub_series.ws, *revs)
    assert strip_commits(sub) == strip_commits(top)
    assert sub["risks"]["changed"] or sub["risks"]["renamed"] or sub["risks"]["removed"] \
        or sub["runbooks"]["changed"]


def test_workspace_in_a_subfolder_from_a_deeper_folder(run, sub_series):
    data = diff_json(run, sub_series.ws / "risks", "c4", "c5")
    assert {e["id"] for e in data["risks"]["changed"]} == {"RSK-1", "RSK-20", "RSK-4"}


def test_workspace_in_a_subfolder_against_the_working_tree(run, sub_series, tmp_path):
    dest = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(sub_series.top), str(dest))
    ws = dest / "ops/register"
    (ws / "risks/RSK-3.yaml").unlink()
    data = diff_json(run, ws)
    assert [r["id"] for r in data["risks"]["removed"]] == ["RSK-3"]
    assert data["risks"]["changed"] == [] and data["risks"]["added"] == []


def test_history_in_a_subfolder(run, series, sub_series):
    top = history_json(run, series.ws, "RSK-1")
    sub = history_json(run, sub_series.ws, "RSK-1")
    assert [e["state"] for e in sub["entries"]] == [e["state"] for e in top["entries"]]
    assert [e["commit"] for e in sub["entries"]] == [sub_series.sha[t]
                                                      for t in ("c1", "c2", "c3", "c5")]


# --- history ------------------------------------------------------------------------------

def test_history_json_entries(run, series):
    data = history_json(run, series.ws, "RSK-1")
    assert data["id"] == "RSK-1"
    entries = data["entries"]
    # c4, c6 and c7 did not change RSK-1: they are not in its history.
    tags = ["c1", "c2", "c3", "c5"]
    assert [e["commit"] for e in entries] == [series.sha[t] for t in tags]
    assert [e["date"] for e in entries] == [DATES[t] for t in tags]
    assert [e["author"] for e in entries] == [ALICE[0], BOB[0], ALICE[0], BOB[0]]
    assert [e["state"]["level"] for e in entries] == ["medium", "high", "high", "critical"]
    assert [e["state"]["score"] for e in entries] == [8, 12, 12, 12]


def test_history_says_what_changed(run, series):
    entries = history_json(run, series.ws, "RSK-1")["entries"]
    assert "added" in entries[0]["changes"]
    line_saying("\n".join(entries[1]["changes"]), "medium", "8", "high", "12")
    line_saying("\n".join(entries[3]["changes"]), "high", "critical")


def test_history_goes_on_across_the_renamed_file(run, series):
    entries = history_json(run, series.ws, "RSK-1")["entries"]
    files = [e["state"]["file"] for e in entries]
    assert files == ["risks/RSK-1.yaml", "risks/RSK-1.yaml", "risks/database.yaml",
                     "risks/database.yaml"]
    moved = entries[2]
    assert moved["commit"] == series.sha["c3"]
    assert "added" not in moved["changes"] and "removed" not in moved["changes"]
    assert any("file" in c for c in moved["changes"])
    assert entries[3]["commit"] == series.sha["c5"]  # the history goes on after the move


def test_history_text(run, series):
    result = run("-C", series.ws, "history", "RSK-1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for tag, level, score, author in [("c1", "medium", "8", "Alice"), ("c2", "high", "12", "Bob"),
                                      ("c3", "high", "12", "Alice"),
                                      ("c5", "critical", "12", "Bob")]:
        line_saying(out, DATES[tag], series.sha[tag][:7], level, score, author)
    for tag in ("c4", "c6", "c7"):
        assert series.sha[tag][:7] not in out


def test_history_of_the_renumbered_risk(run, series):
    entries = history_json(run, series.ws, "RSK-20")["entries"]
    assert [e["commit"] for e in entries] == [series.sha["c4"], series.sha["c5"]]
    assert entries[0]["author"] == ZOE[0]
    assert [e["state"]["level"] for e in entries] == ["medium", "high"]


def test_history_of_a_deleted_risk(run, series):
    entries = history_json(run, series.ws, "RSK-4")["entries"]
    assert [e["commit"] for e in entries] == [series.sha[t] for t in ("c1", "c5", "c6")]
    assert [e["state"] and e["state"]["level"] for e in entries] == ["low", "medium", None]
    assert "removed" in entries[-1]["changes"]


def test_history_since_filters(run, series):
    data = history_json(run, series.ws, "RSK-1", "--since", "2026-02-01")
    commits = [e["commit"] for e in data["entries"]]
    assert commits == [series.sha[t] for t in ("c2", "c3", "c5")]
    assert all(e["date"] >= "2026-02-01" for e in data["entries"])


def test_history_since_includes_commits_made_on_that_day(run, series):
    # c3 was committed at 00:00:00 UTC on 2026-03-03. "--since 2026-03-03" means from the
    # start of that day; it must not depend on the time of day the command runs.
    data = history_json(run, series.ws, "RSK-1", "--since", DATES["c3"])
    assert series.sha["c3"] in [e["commit"] for e in data["entries"]], \
        "the commit made on the --since day is left out"


def test_history_since_lists_only_commits_that_changed_the_risk(run, series):
    # After 2026-03-04 only c5 changed RSK-1 (high -> critical). c4 renumbered another
    # risk; it is no change of RSK-1, and RSK-1 was not added then.
    data = history_json(run, series.ws, "RSK-1", "--since", "2026-03-04")
    entries = data["entries"]
    assert series.sha["c4"] not in [e["commit"] for e in entries], \
        "c4 did not change RSK-1 but is listed"
    assert all("added" not in e["changes"] for e in entries)
    assert series.sha["c5"] in [e["commit"] for e in entries]


def test_history_unknown_risk(run, series):
    result = run("-C", series.ws, "history", "RSK-404")
    assert result.exit_code == 1
    assert "RSK-404" in result.stderr
    assert result.stdout == ""


def parse_svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def test_history_svg_has_one_point_per_entry(run, series):
    entries = history_json(run, series.ws, "RSK-1")["entries"]
    result = run("-C", series.ws, "history", "RSK-1", "--format", "svg")
    assert result.exit_code == 0, result.output
    root = parse_svg(result.stdout)
    points = root.iter(f"{SVG}circle")
    ys = [float(p.get("cy")) for p in points]
    assert len(ys) == len(entries) == 4
    xs = [float(p.get("cx")) for p in root.iter(f"{SVG}circle")]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # oldest on the left
    # medium, high, high, critical: higher level, higher on the chart (smaller y).
    assert ys[0] > ys[1] == ys[2] > ys[3]


def test_history_svg_output_file(run, series, tmp_path):
    out = tmp_path / "rsk-1.svg"
    result = run("-C", series.ws, "history", "RSK-1", "--format", "svg", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(list(parse_svg(out.read_text()).iter(f"{SVG}circle"))) == 4


# --- more repositories --------------------------------------------------------------------

def test_matrix_file_change_moves_levels(run, tmp_path):
    """Thresholds in a matrix file named by riskkit.yaml: a commit touching only that file
    moves levels, in diff and in history."""
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    matrix = textwrap.dedent("""\
        likelihood: [{id: l1, name: One}, {id: l2, name: Two}, {id: l3, name: Three}]
        impact: [{id: i1, name: One}, {id: i2, name: Two}, {id: i3, name: Three}]
        levels:
          - {id: calm, name: Calm, color: "#2e7d32"}
          - {id: severe, name: Severe, color: "#c62828"}
        thresholds: {calm: 1, severe: THRESHOLD}
        """)
    write(top, "riskkit.yaml", "name: M\nmatrix: matrices/ops.yaml\nappetite: calm\n")
    write(top, "matrices/ops.yaml", matrix.replace("THRESHOLD", "6"))
    write(top, "risks/a.yaml", risk("RSK-1", "A", 2, 2, "o"))
    first = commit(top, "one", "2026-01-01T10:00:00+00:00")
    write(top, "matrices/ops.yaml", matrix.replace("THRESHOLD", "4"))
    second = commit(top, "stricter", "2026-02-01T10:00:00+00:00", BOB)
    data = diff_json(run, top, first, second)
    change = rating_change(only(data["risks"]["changed"], id="RSK-1"))
    assert (change["direction"], change["from"]["level"], change["to"]["level"]) == \
        ("up", "calm", "severe")
    entries = history_json(run, top, "RSK-1")["entries"]
    assert [e["commit"] for e in entries] == [first, second]
    assert [e["state"]["level"] for e in entries] == ["calm", "severe"]


def test_history_svg_after_a_switch_to_a_smaller_matrix(run, tmp_path):
    """5x5 -> 3x3 with the ratings adapted: the chart still draws the critical past."""
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    write(top, "riskkit.yaml", "name: S\nmatrix: 5x5\nappetite: medium\n")
    write(top, "risks/a.yaml", risk("RSK-1", "A", 5, 5, "o"))
    commit(top, "5x5", "2026-01-01T10:00:00+00:00")
    write(top, "riskkit.yaml", "name: S\nmatrix: 3x3\nappetite: medium\n")
    write(top, "risks/a.yaml", risk("RSK-1", "A", 3, 3, "o"))
    commit(top, "3x3", "2026-02-01T10:00:00+00:00")
    entries = history_json(run, top, "RSK-1")["entries"]
    assert [e["state"]["level"] for e in entries] == ["critical", "high"]
    result = run("-C", top, "history", "RSK-1", "--format", "svg")
    assert result.exit_code == 0, result.output
    assert len(list(parse_svg(result.stdout).iter(f"{SVG}circle"))) == 2


def test_a_risk_file_with_a_non_ascii_name(run, clone):
    write(clone.ws, "risks/zürich-dc.yaml", risk("RSK-9", "Zürich data centre floods", 2, 3,
                                                 "team-infra"))
    sha = commit(clone.top, "Add the Zürich risk", "2026-08-03T10:00:00+00:00", ZOE)
    data = diff_json(run, clone.ws, "c7", sha)
    assert [r["id"] for r in data["risks"]["added"]] == ["RSK-9"], \
        "a committed risk in risks/zürich-dc.yaml is not seen"
    clean = diff_json(run, clone.ws)  # HEAD against an unchanged working tree
    assert clean["risks"]["added"] == []


def test_history_of_a_risk_in_a_file_with_a_non_ascii_name(run, clone):
    write(clone.ws, "risks/zürich-dc.yaml", risk("RSK-9", "Zürich data centre floods", 2, 3,
                                                 "team-infra"))
    sha = commit(clone.top, "Add the Zürich risk", "2026-08-03T10:00:00+00:00", ZOE)
    result = run("-C", clone.ws, "history", "RSK-9", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [e["commit"] for e in json.loads(result.stdout)["entries"]] == [sha]


def test_git_is_not_required_for_other_commands(run, make_ws, tmp_path, monkeypatch):
    """Only diff and history need git: validate works where there is none."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert shutil.which("git") is None
    root = make_ws({"risks/a.yaml": risk("RSK-1", "A", 1, 1, "o")})
    assert run("-C", root, "validate").exit_code == 0
    result = run("-C", root, "diff")
    assert result.exit_code == 2, result.output
    assert "git" in result.stderr
    assert "Traceback" not in result.output


def test_history_follows_a_risk_renumbered_in_place(run, series):
    entries = history_json(run, series.ws, "RSK-2")["entries"]
    renumbered = [e for e in entries if e["commit"] == series.sha["c4"]]
    assert len(renumbered) == 1
    assert renumbered[0]["changes"][0] == "id RSK-2 -> RSK-20"
    assert renumbered[0]["id"] == "RSK-20" and renumbered[0]["state"] is not None
    # ... and goes on under its new id: the stricter matrix of c5 moved it up.
    later = [e for e in entries if e["commit"] == series.sha["c5"]]
    assert later and later[0]["state"]["level"] == "high"
