"""Live incidents: a scripted incident checked event by event against a computation of its
own, the guard rails (a refusal leaves the journal byte-identical), the journal's format,
times and time zones, what a start pins, and what validate says about journals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path

import pytest
import yaml

from conftest import copy_demo

RUNBOOK = "db-failover"
SCENARIO = "host-lost"
START = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)
ID = "2026-12-01-db-failover"
JOURNAL = Path("incidents") / ID / "journal"


def at(minute: int) -> str:
    """The --at of START + ``minute`` minutes."""
    return (START + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo register (not in git)."""
    return copy_demo(tmp_path / "ws")



def start(riskkit, *extra: str):
    result = riskkit("incident", "start", RUNBOOK, "--scenario", SCENARIO,
                     "--var", "region=eu-west-1", "--at", at(0), "--by", "dana", *extra)
    assert result.exit_code == 0, result.output
    return result


def now_json(riskkit, minute: int) -> dict:
    result = riskkit("incident", "now", "--format", "json", "--at", at(minute))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- an independent model of the incident ------------------------------------------------
# Written from the words, from the runbook and risk files read as plain YAML: it
# shares no code with riskkit.incident.


class Model:
    """The scenario's steps and what the script did to them."""

    def __init__(self, root: Path):
        data = yaml.safe_load((root / "runbooks" / f"{RUNBOOK}.yaml").read_text())
        steps = {s["id"]: s for s in data["steps"]}
        dropped = {sid for sid, s in steps.items() if s.get("when") and SCENARIO not in s["when"]}

        def needs(sid: str) -> list[str]:  # a dropped need hands on its own needs
            out: list[str] = []
            for need in steps[sid].get("needs", []):
                for n in ([need] if need not in dropped else needs(need)):
                    if n not in out:
                        out.append(n)
            return out

        self.steps = {sid: {"needs": needs(sid), "minutes": s.get("minutes", 0),
                            "role": s.get("role"), "approval": s.get("approval"),
                            "mitigates": bool(s.get("mitigates"))}
                      for sid, s in steps.items() if sid not in dropped}
        self.cadence = data["comms"]["cadence_minutes"]
        rtos = []
        for path in (root / "risks").glob("*.yaml"):
            risk = yaml.safe_load(path.read_text())
            linked = RUNBOOK in risk.get("runbooks", []) or risk["id"] in data.get("risks", [])
            if linked and risk.get("rto_minutes") is not None and risk["status"] != "closed":
                rtos.append(risk["rto_minutes"])
        self.rto = min(rtos)
        self.status = {sid: "pending" for sid in self.steps}
        self.began: dict[str, int] = {}
        self.ended: dict[str, int] = {}
        self.approved: set[str] = set()
        self.last_update: int | None = None
        self.closed: int | None = None

    def expect(self, minute: int) -> dict:
        """What `incident now` must say at START + minute."""
        upto = self.closed if self.closed is not None else minute
        settled = {s for s, st in self.status.items() if st in ("done", "skipped")}
        unblocked = [s for s, st in self.status.items()
                     if st == "pending" and set(self.steps[s]["needs"]) <= settled]
        blocked = [s for s, st in self.status.items() if st == "pending" and s not in unblocked]
        left = {}
        for sid, st in self.status.items():
            est = self.steps[sid]["minutes"]
            left[sid] = {"pending": est, "in_progress": max(0, est - (upto - self.began.get(
                sid, upto)))}.get(st, 0)
        finish: dict[str, float] = {}

        def end(sid: str) -> float:
            if sid not in finish:
                finish[sid] = left[sid] + max((end(n) for n in self.steps[sid]["needs"]),
                                              default=0)
            return finish[sid]

        marks = [s for s in self.steps if self.steps[s]["mitigates"]
                 and self.status[s] != "skipped"]
        done_marks = [s for s in marks if self.status[s] == "done"]
        if done_marks:
            eta, finished = 0, min(self.ended[s] for s in done_marks)
        else:
            eta = min(end(s) for s in marks) if marks else max(end(s) for s in self.steps)
            finished = upto + eta
        roles: dict[str, list[str]] = {}
        for sid in unblocked:
            roles.setdefault(self.steps[sid]["role"], []).append(sid)
        due = None
        if self.closed is None:
            due = (self.last_update if self.last_update is not None else 0) + self.cadence
        return {
            "state": "closed" if self.closed is not None else "open",
            "elapsed_minutes": upto,
            "done": sorted(s for s, st in self.status.items() if st == "done"),
            "in_progress": sorted(s for s, st in self.status.items() if st == "in_progress"),
            "skipped": sorted(s for s, st in self.status.items() if st == "skipped"),
            "unblocked": sorted(unblocked),
            "blocked": sorted(blocked),
            "by_role": {r: sorted(ids) for r, ids in roles.items()},
            "pending_approvals": sorted(s for s, st in self.status.items()
                                        if st == "pending" and self.steps[s]["approval"]
                                        and s not in self.approved),
            "eta_remaining_minutes": eta,
            "projected_finish": at(finished),
            "rto_minutes": self.rto,
            "within_rto": finished <= self.rto,
            "status_update_due": at(due) if due is not None else None,
        }


def observed(data: dict) -> dict:
    """The fields the model predicts, from `incident now --format json`, lists sorted."""
    out = {k: data[k] for k in ("state", "elapsed_minutes", "eta_remaining_minutes",
                                "projected_finish", "rto_minutes", "within_rto",
                                "status_update_due")}
    for key in ("done", "in_progress", "skipped", "unblocked", "blocked"):
        out[key] = sorted(data[key])
    out["by_role"] = {r: sorted(ids) for r, ids in data["by_role"].items()}
    out["pending_approvals"] = sorted(a["step"] for a in data["pending_approvals"])
    return out


# (minute, command arguments, what it does to the model) — a whole incident, host lost.
SCRIPT = [
    (1, ["assign", "ic", "dana"], None),
    (1, ["begin", "declare"], ("begin", "declare")),
    (4, ["done", "declare", "--note", "Paged dba and sre"], ("done", "declare")),
    (5, ["begin", "cluster-state", "--by", "priya"], ("begin", "cluster-state")),
    (5, ["begin", "primary-diagnosis", "--by", "sam"], ("begin", "primary-diagnosis")),
    (9, ["done", "cluster-state", "--by", "priya"], ("done", "cluster-state")),
    (10, ["skip", "status-investigating", "--reason", "Covered by the first update"],
     ("skip", "status-investigating")),
    (12, ["status-update", "Investigating: primary lost, failing over"], ("update", None)),
    (13, ["done", "primary-diagnosis", "--by", "sam"], ("done", "primary-diagnosis")),
    (14, ["begin", "freeze-writes", "--by", "lee"], ("begin", "freeze-writes")),
    (20, ["done", "freeze-writes", "--by", "lee"], ("done", "freeze-writes")),
    (24, ["done", "fence-old-primary", "--by", "sam"], ("done", "fence-old-primary")),
    (25, ["approve", "promote", "--by", "dana"], ("approve", "promote")),
    (25, ["begin", "check-candidate", "--by", "priya"], ("begin", "check-candidate")),
    (27, ["done", "check-candidate", "--by", "priya"], ("done", "check-candidate")),
    (28, ["begin", "promote", "--confirm", "--by", "priya"], ("begin", "promote")),
    (30, ["handover", "--to", "priya", "--note", "promote under way"], None),
    (36, ["done", "promote", "--by", "priya"], ("done", "promote")),
    (40, ["done", "check-routing", "--by", "sam"], ("done", "check-routing")),
    (42, ["status-update", "Failover done, resuming writes"], ("update", None)),
    (45, ["done", "resume-writes", "--by", "lee"], ("done", "resume-writes")),
    (50, ["skip", "reconcile", "--reason", "Nothing was lost: lag was 0"],
     ("skip", "reconcile")),
    (55, ["done", "status-monitoring", "--by", "kim"], ("done", "status-monitoring")),
    (60, ["done", "restore-redundancy", "--by", "priya"], ("done", "restore-redundancy")),
    (62, ["done", "close", "--by", "priya"], ("done", "close")),
    (63, ["close", "--outcome", "resolved", "--by", "priya"], ("close", None)),
]


@pytest.mark.slow  # about two seconds: fifty-odd commands
def test_a_scripted_incident_matches_an_independent_computation_after_every_event(
        riskkit, demo):
    start(riskkit)
    model = Model(demo)
    assert observed(now_json(riskkit, 0)) == model.expect(0)
    for minute, args, effect in SCRIPT:
        extra = [] if "--by" in args else ["--by", "dana"]
        result = riskkit("incident", *args, "--at", at(minute), *extra)
        assert result.exit_code == 0, (args, result.output)
        if effect is not None:
            kind, sid = effect
            if kind == "begin":
                model.status[sid] = "in_progress"
                model.began[sid] = minute
            elif kind in ("done", "skip"):
                model.status[sid] = "done" if kind == "done" else "skipped"
                model.ended[sid] = minute
            elif kind == "approve":
                model.approved.add(sid)
            elif kind == "update":
                model.last_update = minute
            elif kind == "close":
                model.closed = minute
        # at the event, and a few minutes on (a step in progress counts down)
        for later in (minute, minute + 3):
            assert observed(now_json(riskkit, later)) == model.expect(later), (args, later)
    final = now_json(riskkit, 90)
    assert final["state"] == "closed" and final["outcome"] == "resolved"
    assert final["mitigated_by"] == "resume-writes"
    assert final["mitigated_at"] == at(45) and final["within_rto"] is True
    assert final["commander"] == "priya"
    assert final["steps"][0]["id"] == "declare"


def test_now_in_text_says_where_things_stand_and_what_now_is(riskkit):
    start(riskkit)
    for minute, args in ((1, ["assign", "ic", "dana"]), (1, ["done", "declare"])):
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
    given = riskkit("incident", "now", "--at", at(7))
    assert given.exit_code == 0, given.output
    text = given.stdout
    assert "now: 10:07 UTC (given by --at) · 7 min in · commander: dana" in text
    assert "RTO 60 min: deadline 11:00 UTC" in text
    assert "next status update: 10:30 UTC (in 23 min)" in text
    assert "  dba        cluster-state  Record the Patroni cluster state" in text
    assert "approvals pending (1): promote (by ic, blocked)" in text
    # Without --at, now is the machine's clock (pinned by the tests).
    clock = riskkit("incident", "now")
    assert "(the machine's clock)" in clock.stdout and "2031-06-01 12:00 UTC" in clock.stdout


def test_a_status_update_falls_due_on_the_cadence(riskkit):
    start(riskkit)
    late = now_json(riskkit, 31)
    assert late["status_update_due"] == at(30) and late["status_update_overdue"] is True
    assert "OVERDUE by 1 min" in riskkit("incident", "now", "--at", at(31)).stdout
    assert riskkit("incident", "status-update", "All", "hands", "--at", at(32),
                   "--by", "kim").exit_code == 0
    assert now_json(riskkit, 33)["status_update_due"] == at(62)


# --- the guard rails ----------------------------------------------------------------------

def journal_bytes(root: Path) -> bytes:
    return (root / JOURNAL).read_bytes()


REFUSED = [
    # (arguments, words the message must hold)
    (["begin", "cluster-state", "--at", at(2)], "it is blocked: it needs 'declare' (not begun)"),
    (["done", "cluster-state", "--at", at(2)], "it is blocked"),
    (["begin", "cluster-state", "--force", "--at", at(2)], "--reason (with --force) is required"),
    (["begin", "promt", "--at", at(2)], "has no step 'promt' (did you mean 'promote'?)"),
    (["begin", "expand-volume", "--at", at(2)], "not part of scenario 'host-lost'"),
    (["note", "too early", "--at", "2026-12-01T09:59:00Z"], "is before the incident started"),
    (["begin", "declare", "--at", "2026-12-01T10:30:00+01:00"],
     "is before the incident started"),
    (["approve", "declare", "--at", at(2)], "the step needs no approval"),
    (["assign", "dbaa", "kim", "--at", at(2)], "'dbaa' is not a role of this incident "
     "(did you mean 'dba'?)"),
    (["begin", "declare", "--at", at(6)], "it is in progress since 10:05 UTC"),
    (["done", "declare", "--at", at(3)], "the journal already records 'begin' of this step "
     "at 10:05 UTC"),
    (["approve", "promote", "--at", at(6), "--by", "sam"], "held by dana"),
    (["close", "--at", at(4)], "is before the journal's last event"),
    (["skip", "declare", "--reason", " ", "--at", at(6)], "--reason is required"),
    (["reopen", "cluster-state", "--reason", "oops", "--at", at(6)], "was not begun"),
    (["handover", "--to", "dana", "--at", at(6)], "dana is already the incident commander"),
]


@pytest.mark.parametrize(("args", "words"), REFUSED, ids=[" ".join(a[:2]) for a, _ in REFUSED])
def test_a_refused_action_says_why_and_leaves_the_journal_byte_identical(riskkit, demo,
                                                                         args, words):
    start(riskkit)
    for command in (["assign", "ic", "dana", "--at", at(1)],
                    ["begin", "declare", "--at", at(5)]):
        assert riskkit("incident", *command, "--by", "dana").exit_code == 0
    before = journal_bytes(demo)
    extra = [] if "--by" in args else ["--by", "dana"]
    result = riskkit("incident", *args, *extra)
    assert result.exit_code == 1, result.output
    assert words in result.stderr, result.stderr
    assert "nothing was recorded" in result.stderr
    assert "Traceback" not in result.output
    assert journal_bytes(demo) == before


def test_promote_needs_its_approval_then_confirm(riskkit, demo):
    start(riskkit)
    for minute, args in enumerate([["assign", "ic", "dana"], ["done", "declare"],
                                   ["done", "cluster-state"], ["done", "primary-diagnosis"],
                                   ["done", "freeze-writes"], ["done", "fence-old-primary"],
                                   ["done", "check-candidate"]], 1):
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
    before = journal_bytes(demo)
    for args, words in ((["begin", "promote"], "needs the approval of role 'ic' first"),
                        (["done", "promote"], "needs the approval of role 'ic' first"),
                        (["begin", "promote", "--confirm"], "needs the approval")):
        result = riskkit("incident", *args, "--at", at(10), "--by", "priya")
        assert result.exit_code == 1 and words in result.stderr, result.output
    assert journal_bytes(demo) == before
    assert riskkit("incident", "approve", "promote", "--by", "dana", "--at", at(11)) \
        .exit_code == 0
    approved = journal_bytes(demo)
    result = riskkit("incident", "begin", "promote", "--at", at(12), "--by", "priya")
    assert result.exit_code == 1 and "cannot be undone; pass --confirm" in result.stderr
    assert journal_bytes(demo) == approved
    ok = riskkit("incident", "begin", "promote", "--confirm", "--at", at(12), "--by", "priya")
    assert ok.exit_code == 0, ok.output
    last = json.loads(journal_bytes(demo).splitlines()[-1])
    assert last["kind"] == "begin" and last["confirmed"] is True and last["by"] == "priya"


def test_force_records_the_reason_and_the_step_counts_as_begun(riskkit, demo):
    start(riskkit)
    result = riskkit("incident", "begin", "freeze-writes", "--force", "--reason",
                     "Writes are corrupting the ledger", "--at", at(2), "--by", "dana")
    assert result.exit_code == 0, result.output
    last = json.loads(journal_bytes(demo).splitlines()[-1])
    assert last["force"] is True and last["reason"] == "Writes are corrupting the ledger"
    assert now_json(riskkit, 3)["in_progress"] == ["freeze-writes"]
    log = riskkit("incident", "log")
    assert "FORCED: Writes are corrupting the ledger" in log.stdout


def test_a_closed_incident_refuses_everything(riskkit, demo):
    start(riskkit)
    assert riskkit("incident", "close", "--at", at(5), "--by", "dana").exit_code == 0
    before = journal_bytes(demo)
    for args in (["note", "x"], ["done", "declare"], ["close"], ["assign", "ic", "kim"]):
        result = riskkit("incident", *args, "-i", ID, "--at", at(6), "--by", "dana")
        assert result.exit_code == 1, result.output
        assert "it was closed at 10:05 UTC by dana" in result.stderr
    assert journal_bytes(demo) == before
    # Without -i there is no open incident to pick.
    result = riskkit("incident", "note", "x", "--by", "dana")
    assert result.exit_code == 1 and "no incident is open (closed: " + ID in result.stderr


def test_bad_input_leaves_the_journal_byte_identical(riskkit, demo):
    start(riskkit)
    before = journal_bytes(demo)
    cases = [
        (["done", "declare", "--at", "10:61"], 1, "is not a time of day"),
        (["done", "declare", "--at", "2026-12-01T10:05"], 1, "has no UTC offset"),
        (["done", "declare", "--at", "yesterday"], 1, "is not a time"),
        (["skip", "declare"], 2, "Missing option '--reason'"),
        (["note"], 2, "Missing argument"),
        (["done", "declare", "-i", "2026-12-01-db-failovr"], 1,
         "unknown incident '2026-12-01-db-failovr' (did you mean '" + ID + "'?)"),
        (["close", "--outcome", "fixed"], 1, "'fixed' is not one of"),
        # the tests' clock says 2031-06-01 12:00 UTC; five minutes of skew are allowed
        (["note", "typo", "--at", "2031-06-01T12:06:00Z"], 1, "2031-06-01 12:06 UTC is in "
         "the future (this machine's clock says 2031-06-01 12:00 UTC)"),
    ]
    for args, code, words in cases:
        result = riskkit("incident", *args, "--by", "dana")
        assert result.exit_code == code, (args, result.output)
        assert words in result.output, (args, result.output)
        assert journal_bytes(demo) == before
    assert riskkit("incident", "note", "skew", "--at", "2031-06-01T12:05:00Z",
                   "--by", "dana").exit_code == 0
    future = riskkit("incident", "now", "--at", "2031-06-01T18:00:00Z")  # a what-if: fine
    assert future.exit_code == 0


def test_start_checks_the_inputs_as_render_does_and_writes_nothing_when_they_fail(
        riskkit, demo):
    cases = [
        ([], "missing required input 'region'"),
        (["--var", "region=mars-1"], "'mars-1' is not one of: eu-west-1, us-east-1"),
        (["--var", "region=eu-west-1", "--var", "regoin=x"], "unknown input 'regoin' "
         "(did you mean 'region'?)"),
        (["--var", "region=eu-west-1", "--scenario", "host-lots"], "unknown scenario "
         "'host-lots' (did you mean 'host-lost'?)"),
        (["--var", "region=eu-west-1\n## Step 0"], "holds a line break"),
    ]
    for args, words in cases:
        result = riskkit("incident", "start", RUNBOOK, *args, "--by", "dana")
        assert result.exit_code == 1, result.output
        assert words in result.stderr
        assert "no incident was started" in result.stderr or "scenario" in words
    assert not (demo / "incidents").exists() or not any((demo / "incidents").iterdir())
    unknown = riskkit("incident", "start", "db-failovr", "--by", "dana")
    assert unknown.exit_code == 1 and "did you mean 'db-failover'?" in unknown.stderr


# --- starting: ids and what is pinned -----------------------------------------------------

def test_start_prints_the_id_and_pins_the_runbook(riskkit, demo):
    result = start(riskkit)
    assert result.stdout == ID + "\n"
    lines = journal_bytes(demo).decode().splitlines()
    assert len(lines) == 1
    first = json.loads(lines[0])
    assert list(first)[:4] == ["at", "event", "by", "kind"]
    source = (demo / "runbooks" / "db-failover.yaml").read_bytes()
    assert first["at"] == "2026-12-01T10:00:00Z" and first["kind"] == "start"
    assert first["runbook"] == RUNBOOK and first["scenario"] == SCENARIO
    assert first["source"].encode() == source
    assert first["sha256"] == hashlib.sha256(source).hexdigest()
    assert first["commit"] is None  # not in git
    assert first["inputs"]["region"] == "eu-west-1"
    assert first["inputs"]["replica"] == "pg-eu-west-1-2"  # defaults resolved
    assert [r["id"] for r in first["risks"]] == ["RSK-007", "RSK-010"]
    assert {"ic", "dba", "sre", "payments", "comms"} <= set(first["roles"])
    # the same runbook again the same day: -2; an id of one's own
    again = start(riskkit)
    assert again.stdout == ID + "-2\n"
    own = start(riskkit, "--id", "INC-4711")
    assert own.stdout == "INC-4711\n"
    taken = riskkit("incident", "start", RUNBOOK, "--var", "region=eu-west-1", "--id",
                    "INC-4711", "--by", "dana")
    assert taken.exit_code == 1 and "exists already" in taken.stderr
    for bad in ("../x", ".hidden", "a/b", ""):
        refused = riskkit("incident", "start", RUNBOOK, "--var", "region=eu-west-1", "--id",
                          bad, "--by", "dana")
        assert refused.exit_code == 1, bad


def test_editing_or_deleting_the_runbook_changes_no_running_incident(riskkit, demo):
    start(riskkit)
    assert riskkit("incident", "done", "declare", "--at", at(4), "--by", "dana").exit_code == 0
    before = now_json(riskkit, 10)
    path = demo / "runbooks" / "db-failover.yaml"
    text = path.read_text()
    path.write_text(text.replace("minutes: 5", "minutes: 50").replace(
        "id: cluster-state", "id: cluster-status"))
    assert now_json(riskkit, 10) == before
    path.unlink()
    assert now_json(riskkit, 10) == before
    result = riskkit("incident", "done", "cluster-state", "--at", at(11), "--by", "priya")
    assert result.exit_code == 0, result.output
    check = riskkit("validate", "incidents")
    assert f"{JOURNAL.as_posix()}:1:1: I007 runbook 'db-failover' is no longer in the " \
        "workspace" in check.stdout


def test_the_start_pins_the_git_commit(run, tmp_path, monkeypatch):
    from test_formats import GIT_ENV

    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "repo"
    assert run("init", root).exit_code == 0
    for args in (["init", "-q"], ["add", "-A"], ["-c", "commit.gpgsign=false", "commit", "-q",
                                                 "-m", "register"]):
        import subprocess

        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    result = run("-C", root, "incident", "start", "db-failover", "--var", "replica=pg-2",
                 "--at", at(0), "--by", "dana")
    assert result.exit_code == 0, result.output
    assert "merge=union" not in result.stderr  # init wrote the rule: no warning
    first = json.loads((root / JOURNAL).read_text().splitlines()[0])
    assert first["commit"] == head and first["uncommitted"] is False
    (root / "runbooks" / "db-failover.yaml").write_text(
        (root / "runbooks" / "db-failover.yaml").read_text() + "# edited\n")
    second = run("-C", root, "incident", "start", "db-failover", "--var", "replica=pg-2",
                 "--at", at(0), "--by", "dana")
    data = json.loads((root / "incidents" / (ID + "-2") / "journal").read_text())
    assert second.exit_code == 0 and data["commit"] == head and data["uncommitted"] is True
    log = run("-C", root, "incident", "log", "-i", ID + "-2")
    assert f"@ {head[:12]} with uncommitted changes" in log.stdout


# --- picking the incident ------------------------------------------------------------------

def test_commands_pick_the_one_open_incident_or_refuse(riskkit):
    none = riskkit("incident", "now")
    assert none.exit_code == 1 and "no incident is open" in none.stderr
    start(riskkit)
    assert riskkit("incident", "now", "--at", at(1)).exit_code == 0
    start(riskkit)
    two = riskkit("incident", "note", "hello", "--at", at(2), "--by", "dana")
    assert two.exit_code == 1
    assert f"2 incidents are open: {ID}, {ID}-2; pick one with -i ID" in two.stderr
    assert riskkit("incident", "note", "hello", "-i", ID + "-2", "--at", at(2),
                   "--by", "dana").exit_code == 0
    listed = json.loads(riskkit("incident", "list", "--format", "json").stdout)
    assert [(i["id"], i["state"], i["events"]) for i in listed] == [
        (ID, "open", 1), (ID + "-2", "open", 2)]
    assert riskkit("incident", "close", "-i", ID, "--at", at(3), "--by", "dana").exit_code == 0
    assert riskkit("incident", "note", "only one open now", "--at", at(4),
                   "--by", "dana").exit_code == 0
    table = riskkit("incident", "list").stdout
    assert f"{ID}    closed (resolved)" in table
    assert riskkit("incident", "list", "--open", "--format", "json").stdout.count('"id"') == 1


# --- who and when ---------------------------------------------------------------------------

@pytest.fixture
def local_zone():
    """``local_zone("Europe/Berlin")``: the process's local time zone until the test ends."""
    saved = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()
    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_a_clock_time_is_today_in_the_local_zone_and_stored_in_utc(riskkit, demo,
                                                                  local_zone):
    local_zone("Europe/Berlin")  # the tests' today, 2031-06-01, is summer time: UTC+2
    result = riskkit("incident", "start", RUNBOOK, "--var", "region=eu-west-1",
                     "--at", "11:30", "--by", "dana")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2031-06-01-db-failover\n"
    first = json.loads((demo / "incidents" / "2031-06-01-db-failover" / "journal")
                       .read_text().splitlines()[0])
    assert first["at"] == "2031-06-01T09:30:00Z"
    assert riskkit("incident", "note", "x", "--at", "12:00+02:00", "--by", "dana").exit_code == 1
    assert riskkit("incident", "note", "x", "--at", "2031-06-01T12:00:00+02:00",
                   "--by", "dana").exit_code == 0
    assert now_json_at(riskkit, "12:15")["elapsed_minutes"] == 45


def now_json_at(riskkit, when: str) -> dict:
    result = riskkit("incident", "now", "--format", "json", "--at", when)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_parse_at():
    from riskkit.incident.times import TimeError, parse_at

    day = dt.date(2026, 12, 1)
    assert parse_at("2026-12-01T10:21:00Z", day) == dt.datetime(2026, 12, 1, 10, 21,
                                                                tzinfo=dt.timezone.utc)
    assert parse_at("2026-12-01T11:21+01:00", day).hour == 10
    assert parse_at("2026-12-01 10:21:30.75z", day).second == 30  # to the second
    for bad in ("25:00", "2026-12-01T10:21", "10.21", "", "noon"):
        with pytest.raises(TimeError):
            parse_at(bad, day)


def test_the_author_is_by_else_riskkit_user_else_git_else_the_login(riskkit, demo,
                                                                   monkeypatch):
    import getpass
    import subprocess

    start(riskkit)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")

    def last_by() -> str:
        return json.loads(journal_bytes(demo).splitlines()[-1])["by"]

    assert riskkit("incident", "note", "a", "--at", at(1)).exit_code == 0
    assert last_by() == getpass.getuser()
    subprocess.run(["git", "-C", str(demo), "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(demo), "config", "user.name", "Dana Scully"], check=True)
    assert riskkit("incident", "note", "b", "--at", at(2)).exit_code == 0
    assert last_by() == "Dana Scully"
    monkeypatch.setenv("RISKKIT_USER", "priya")
    assert riskkit("incident", "note", "c", "--at", at(3)).exit_code == 0
    assert last_by() == "priya"
    assert riskkit("incident", "note", "d", "--at", at(4), "--by", "sam").exit_code == 0
    assert last_by() == "sam"


# --- the journal ------------------------------------------------------------------------------

def test_the_journal_is_json_lines_only_ever_appended_to(riskkit, demo):
    start(riskkit)
    sizes = [len(journal_bytes(demo))]
    for minute, args in enumerate([["begin", "declare"], ["done", "declare"],
                                   ["note", "multi\nline, \"quoted\" and ünïcode"]], 1):
        before = journal_bytes(demo)
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
        after = journal_bytes(demo)
        assert after.startswith(before) and after.endswith(b"\n")
        sizes.append(len(after))
    lines = journal_bytes(demo).decode("utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["kind"] for e in events] == ["start", "begin", "done", "note"]
    assert len({e["event"] for e in events}) == 4
    assert events[3]["text"] == "multi\nline, \"quoted\" and ünïcode"
    assert sizes == sorted(sizes)


def test_an_event_after_a_torn_last_line_starts_on_a_line_of_its_own(riskkit, demo):
    start(riskkit)
    with open(demo / JOURNAL, "ab") as handle:
        handle.write(b'{"at": "2026-12-01T10:0')  # a write cut short
    assert riskkit("incident", "note", "after", "--at", at(2), "--by", "dana").exit_code == 0
    lines = journal_bytes(demo).splitlines()
    assert lines[1] == b'{"at": "2026-12-01T10:0'
    assert json.loads(lines[2])["text"] == "after"
    now = riskkit("incident", "now", "--at", at(3))
    assert now.exit_code == 0
    assert f"{JOURNAL.as_posix()}:2:8: I001 not a journal event: not JSON" in now.stderr


def test_events_out_of_order_in_the_file_are_read_in_time_order(riskkit, demo):
    """After a git union merge the lines of two clones follow each other: the later
    clone's early events come last in the file."""
    start(riskkit)
    for minute, args in ((1, ["done", "declare"]), (9, ["done", "cluster-state"])):
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
    lines = journal_bytes(demo).splitlines(keepends=True)
    event = json.loads(lines[1])
    moved = dict(event, at=at(5), event="0123456789abcdef", step="primary-diagnosis",
                 by="sam")
    (demo / JOURNAL).write_bytes(b"".join(lines) + json.dumps(moved).encode() + b"\n")
    data = now_json(riskkit, 10)
    assert data["done"] == ["declare", "cluster-state", "primary-diagnosis"]
    log = riskkit("incident", "log", "--format", "json")
    assert [e["at"] for e in json.loads(log.stdout)["events"]] == [at(0), at(1), at(5), at(9)]
    assert riskkit("validate", "incidents").exit_code == 0


def test_a_back_dated_event_is_checked_against_the_state_at_its_time(riskkit, demo):
    start(riskkit)
    assert riskkit("incident", "done", "declare", "--at", at(10), "--by", "dana").exit_code == 0
    # cluster-state done "at 10:05" is refused: declare was not done then
    early = riskkit("incident", "done", "cluster-state", "--at", at(5), "--by", "dana")
    assert early.exit_code == 1 and "it is blocked" in early.stderr
    # recording after the fact what happened earlier is fine otherwise
    assert riskkit("incident", "assign", "ic", "dana", "--at", at(2), "--by", "dana") \
        .exit_code == 0
    assert now_json(riskkit, 3)["commander"] == "dana"


# --- validate ---------------------------------------------------------------------------------

def test_validate_checks_every_journal_with_path_and_line(riskkit, demo):
    start(riskkit)
    for minute, args in ((1, ["done", "declare"]), (2, ["close"])):
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
    lines = journal_bytes(demo).decode().splitlines()
    event = json.loads(lines[1])
    bad = [
        "not json at all",
        json.dumps(dict(event, event="e1", kind="promoted")),
        json.dumps(dict(event, event="e2", step="cluster-stat")),
        json.dumps(dict(event, event="e3", step="expand-volume")),
        json.dumps(dict(event, event="e4", at="2026-12-01T09:00:00Z", kind="note",
                        text="early")),
        json.dumps(dict(event, event="e5", at="2031-06-09T10:00:00Z", kind="note",
                        text="future")),
        lines[1],
        json.dumps({"at": "2026-12-01T10:05:00Z", "event": "e6", "kind": "note"}),
    ]
    (demo / JOURNAL).write_text("\n".join(lines + bad) + "\n")
    result = riskkit("validate", "incidents")
    assert result.exit_code == 1
    j = JOURNAL.as_posix()
    assert result.stdout.splitlines() == [
        f"{j}:4:1: I001 not a journal event: not JSON: Expecting value",
        f"{j}:5:1: I004 unknown event kind 'promoted' (kinds: start, begin, done, skip, "
        "reopen, approve, assign, handover, note, status-update, close, action, "
        "action-done); it is left out",
        f"{j}:6:1: I005 'done' names step 'cluster-stat', which is not a step of the pinned "
        "runbook; it is left out",
        f"{j}:7:1: I005 'done' names step 'expand-volume', which is not part of scenario "
        "'host-lost'; it is left out",
        f"{j}:8:1: I003 'note' at 09:00 UTC is before the incident started (10:00 UTC)",
        f"{j}:9:1: I008 'note' at 2031-06-09 10:00 UTC comes after the incident was closed "
        "(10:02 UTC, line 3) (warning)",
        f"{j}:9:1: I009 'note' is dated 2031-06-09 10:00 UTC, after 2031-06-01 (a journal "
        "records what has happened)",
        f"{j}:10:1: I010 event {event['event']} appears twice (first at line 2); it counts "
        "once (warning)",
        f"{j}:11:1: I001 not a journal event: 'by' is missing or not a text",
    ]
    # the state leaves out what it cannot apply
    data = now_json(riskkit, 20)
    assert data["done"] == ["declare"] and data["state"] == "closed"
    # naming the journal filters to it; an edited start event is I006
    first = json.loads(lines[0])
    first["source"] = first["source"].replace("minutes: 5", "minutes: 1", 1)
    (demo / JOURNAL).write_text(json.dumps(first) + "\n")
    broken = riskkit("validate", j)
    assert broken.stdout == f"{j}:1:1: I006 the pinned runbook source does not match its " \
        "sha256: the start event was edited\n"
    refused = riskkit("incident", "now", "-i", ID)
    assert refused.exit_code == 1 and "I006" in refused.stderr


def test_validate_counts_incidents_and_a_clean_journal_passes(riskkit):
    start(riskkit)
    result = riskkit("validate")
    assert result.exit_code == 0, result.output
    assert ", 1 incidents: 0 error(s)" in result.stderr


def _journal_starts(root):
    """Each journal's start event, by incident folder."""
    return {j.parent.name: json.loads(j.read_text().splitlines()[0])
            for j in sorted(root.glob("incidents/*/journal"))}


def _count_parses(monkeypatch):
    from riskkit.incident import pinned

    parsed = []
    real = pinned.load_runbook
    monkeypatch.setattr(pinned, "load_runbook", lambda doc, roles: (
        parsed.append(doc.path), real(doc, roles))[1])
    pinned._parsed.cache_clear()
    return parsed


def test_validate_parses_a_pinned_copy_only_when_it_is_not_the_runbook_as_loaded(
        run, tmp_path, monkeypatch):
    """A copy that is word for word the runbook file validate loaded is that runbook; a
    copy of an older text is parsed, once for the incidents that share it (the demo's two
    disk-filling-up ones)."""
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    root = copy_demo(tmp_path / "ws", ("risks", "runbooks", "drills", "incidents"))
    starts = _journal_starts(root)
    for start in starts.values():
        if start.get("runbook"):
            assert (root / start["file"]).read_text() == start["source"]
    assert sum(s.get("file") == "runbooks/disk-filling-up.yaml" for s in starts.values()) == 2
    parsed = _count_parses(monkeypatch)
    before = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert before.exit_code == 0, before.output
    assert parsed == []
    edited = root / "runbooks" / "disk-filling-up.yaml"
    edited.write_text(edited.read_text() + "# reviewed after the last incident\n")
    after = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert after.exit_code == 0, after.output
    assert parsed == ["runbooks/disk-filling-up.yaml"]


def test_a_pinned_copy_missing_a_role_its_steps_name_is_still_its_own(run, tmp_path,
                                                                     monkeypatch):
    """The workspace's roles are not the incident's: a start event edited to drop a role
    a step names makes the pinned copy fail to load (I006), even though its text is the
    runbook file's and the workspace defines the role; validate says exactly what it
    says when every copy is parsed."""
    from riskkit.incident import pinned

    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    root = copy_demo(tmp_path / "ws", ("risks", "runbooks", "drills", "incidents"))
    journal = root / "incidents" / "2026-09-09-db-failover" / "journal"
    lines = journal.read_text().splitlines(keepends=True)
    start = json.loads(lines[0])
    assert "dba" in start["roles"]
    del start["roles"]["dba"]
    journal.write_text(json.dumps(start) + "\n" + "".join(lines[1:]))
    shortcut = run("-C", root, "validate", "--as-of", "2026-11-26")
    real = pinned.pinned_runbook
    monkeypatch.setattr(pinned, "pinned_runbook", lambda pin, current=None: real(pin))
    monkeypatch.setattr("riskkit.incident.check.pinned_runbook",
                        lambda pin, current=None: real(pin))
    pinned._parsed.cache_clear()
    parsed_every_time = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert shortcut.exit_code == parsed_every_time.exit_code == 1
    assert (shortcut.stdout, shortcut.stderr) == (parsed_every_time.stdout,
                                                  parsed_every_time.stderr)
    assert "I006 the runbook pinned at the start does not load" in shortcut.output
    assert "dba" in shortcut.output


# --- handover, log ----------------------------------------------------------------------------

def test_handover_names_the_new_commander_and_summarises(riskkit, demo):
    start(riskkit)
    for minute, args in ((1, ["assign", "ic", "dana"]), (2, ["done", "declare"])):
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
    result = riskkit("incident", "handover", "--to", "priya", "--note", "Page the DBA lead",
                     "--at", at(10), "--by", "dana")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(f"HANDOVER of incident {ID} to priya at 2026-12-01 10:10 UTC\n")
    assert "commander: priya" in text and "since the start:" in text
    assert "dana  done    declare  Declare the incident" in text
    last = json.loads(journal_bytes(demo).splitlines()[-1])
    assert (last["kind"], last["role"], last["to"], last["from"], last["note"]) == (
        "handover", "ic", "priya", "dana", "Page the DBA lead")
    # approvals now belong to priya
    denied = riskkit("incident", "approve", "promote", "--by", "dana", "--at", at(11))
    assert denied.exit_code == 1 and "held by priya" in denied.stderr
    again = riskkit("incident", "handover", "--to", "sam", "--at", at(12), "--by", "priya")
    assert "since the last handover:" in again.stdout
    assert "declare" not in again.stdout.split("since the last handover:")[1]


def test_log_is_the_timeline_in_time_order(riskkit):
    start(riskkit)
    for minute, args in ((1, ["done", "declare", "--note", "Paged"]),
                         (2, ["skip", "status-investigating", "--reason", "Quiet hours"]),
                         (3, ["status-update", "Investigating"])):
        assert riskkit("incident", *args, "--at", at(minute), "--by", "dana").exit_code == 0
    text = riskkit("incident", "log").stdout
    assert text.splitlines()[0] == f"incident {ID} (times in UTC)"
    assert "10:00  dana  start          db-failover, scenario host-lost; region=eu-west-1" \
        in text
    assert "pinned runbooks/db-failover.yaml (not in git)" in text
    assert "10:01  dana  done           declare  Declare the incident and page the database " \
        "on-call  note: Paged" in text
    assert "because: Quiet hours" in text and "status-update  Investigating" in text
    events = json.loads(riskkit("incident", "log", "--format", "json").stdout)["events"]
    assert [e["kind"] for e in events] == ["start", "done", "skip", "status-update"]
    assert "source" not in events[0] and events[1]["line"] == 2


def test_validate_answers_from_its_cache_only_while_the_journals_are_unchanged(
        run, tmp_path, monkeypatch):
    """Journals are inputs of validate's cache key: an event appended (by hand, by a
    merge) after a clean run is checked on the next run, not answered from the cache."""
    from riskkit.files import cache

    monkeypatch.delenv("RISKKIT_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "RACY_NS", 100_000_000)
    demo = tmp_path / "small"
    assert run("init", demo).exit_code == 0
    assert run("-C", demo, "incident", "start", RUNBOOK, "--var", "replica=pg-2",
               "--at", at(0), "--by", "dana").exit_code == 0
    time.sleep(0.3)
    assert run("-C", demo, "validate").exit_code == 0
    assert run("-C", demo, "validate").exit_code == 0  # from the cache
    time.sleep(0.3)
    with open(demo / JOURNAL, "ab") as handle:
        handle.write(b"<<<<<<< HEAD\n")
    again = run("-C", demo, "validate")
    assert again.exit_code == 1
    assert f"{JOURNAL.as_posix()}:2:1: I001 not a journal event" in again.stdout
