"""From incident to learning: a scripted incident goes from its start to a postmortem whose
every time and figure is checked against a computation of the test's own (from the script's
minutes and the runbook read as plain YAML), action items that review reports until they
are done, incidents without a runbook, and closed incidents' minutes beside the drilled
ones in show and render."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, copy_demo
from test_formats import GIT_ENV
from test_incident import RUNBOOK, SCENARIO, START, Model, at

ID = "2026-12-01-db-failover"

# (minute, command, what it does): a whole incident, host lost, with steps done without a
# begin, a step forced while blocked, two skips, an approval and a handover.
SCRIPT = [
    (1, ["assign", "ic", "dana"], None),
    (2, ["begin", "declare"], ("begin", "declare")),
    (4, ["done", "declare", "--note", "Paged dba and sre"], ("done", "declare")),
    (5, ["begin", "primary-diagnosis", "--by", "sam"], ("begin", "primary-diagnosis")),
    (9, ["done", "cluster-state", "--by", "priya"], ("done", "cluster-state")),
    (10, ["skip", "status-investigating", "--reason", "Covered by the first update",
          "--by", "kim"], ("skip", "status-investigating")),
    (12, ["status-update", "Investigating: primary lost", "--by", "kim"], None),
    (13, ["done", "primary-diagnosis", "--by", "sam"], ("done", "primary-diagnosis")),
    (13, ["begin", "fence-old-primary", "--force", "--reason",
          "Fence at once: the node may come back", "--by", "sam"],
     ("begin", "fence-old-primary")),
    (17, ["done", "freeze-writes", "--by", "lee"], ("done", "freeze-writes")),
    (19, ["done", "fence-old-primary", "--by", "sam"], ("done", "fence-old-primary")),
    (20, ["done", "check-candidate", "--by", "priya"], ("done", "check-candidate")),
    (24, ["approve", "promote", "--by", "dana"], ("approve", "promote")),
    (25, ["begin", "promote", "--confirm", "--by", "priya"], ("begin", "promote")),
    (30, ["handover", "--to", "sam", "--note", "Promote under way"], None),
    (36, ["done", "promote", "--by", "priya"], ("done", "promote")),
    (41, ["done", "check-routing", "--by", "sam"], ("done", "check-routing")),
    (44, ["status-update", "Failover done", "--by", "kim"], None),
    (47, ["done", "resume-writes", "--by", "lee"], ("done", "resume-writes")),
    (55, ["done", "status-monitoring", "--by", "kim"], ("done", "status-monitoring")),
    (62, ["done", "restore-redundancy", "--by", "priya"], ("done", "restore-redundancy")),
    (63, ["skip", "reconcile", "--reason", "Nothing was lost: lag was 0", "--by", "lee"],
     ("skip", "reconcile")),
    (66, ["done", "close", "--by", "sam"], ("done", "close")),
    (67, ["close", "--outcome", "resolved", "--postmortem", "--by", "sam"], None),
]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), "-c", "commit.gpgsign=false", *args],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo register in a git repository of its own (no incidents)."""
    root = copy_demo(tmp_path / "ws")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "register")
    return root



def play(riskkit) -> None:
    started = riskkit("incident", "start", RUNBOOK, "--scenario", SCENARIO, "--var",
                      "region=eu-west-1", "--at", at(0), "--by", "dana")
    assert started.exit_code == 0, started.output
    for minute, args, _ in SCRIPT:
        extra = [] if "--by" in args else ["--by", "dana"]
        result = riskkit("incident", *args, "--at", at(minute), *extra)
        assert result.exit_code == 0, (args, result.output)


def expected_minutes(model: Model) -> dict[str, float]:
    """What each done step took, worked out from the script: from its begin, else from
    the latest end among the steps it needs (or its approval, or the start)."""
    began: dict[str, int] = {}
    ended: dict[str, int] = {}
    approved: dict[str, int] = {}
    for minute, _, effect in SCRIPT:
        if effect is None:
            continue
        kind, sid = effect
        if kind == "begin":
            began[sid] = minute
        elif kind in ("done", "skip"):
            ended[sid] = minute
        elif kind == "approve":
            approved[sid] = minute
    done = {sid for minute, _, e in SCRIPT if e and e[0] == "done" for sid in [e[1]]}
    out = {}
    for sid in done:
        if sid in began:
            out[sid] = ended[sid] - began[sid]
        else:
            could = [ended[n] for n in model.steps[sid]["needs"] if n in ended]
            could += [approved[sid]] if sid in approved else []
            out[sid] = ended[sid] - max(could, default=0)
    return out


def clock(minute: int) -> str:
    return (START + dt.timedelta(minutes=minute)).strftime("%H:%M UTC")


def test_a_scripted_incident_gives_a_postmortem_whose_every_figure_is_the_journals(
        riskkit, demo):
    play(riskkit)
    model = Model(demo)
    result = riskkit("postmortem", ID, "--format", "json", "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.output
    pm = json.loads(result.stdout)
    # The impact window: the start, the first action (the assignment at minute 1), the
    # marked step done (resume-writes, 47), the close as resolved (67).
    assert [(m["label"], m["at"], m["minutes_after_start"]) for m in pm["window"]] == [
        ("detected", at(0), 0), ("acknowledged", at(1), 1), ("mitigated", at(47), 47),
        ("resolved", at(67), 67)]
    assert pm["time_to_mitigate_minutes"] == 47 and pm["time_to_close_minutes"] == 67
    assert pm["mitigated_by"] == "resume-writes"
    # Against the RTO of each pinned risk that states one: RSK-007's 60 minutes.
    assert pm["rto"] == [{"risk": "RSK-007", "title": pm["rto"][0]["title"],
                          "rto_minutes": model.rto, "time_to_mitigate_minutes": 47,
                          "within": True, "margin_minutes": model.rto - 47}]
    # Every step: its estimate (the file), and what it took this time (the script).
    took = expected_minutes(model)
    steps = {s["id"]: s for s in pm["steps"]}
    assert set(steps) == set(model.steps)
    for sid, step in steps.items():
        assert step["estimate_minutes"] == model.steps[sid]["minutes"], sid
        assert step["took_minutes"] == took.get(sid), sid
    assert {sid for sid, s in steps.items() if s["status"] == "skipped"} == \
        {"status-investigating", "reconcile"}
    assert steps["reconcile"]["reason"] == "Nothing was lost: lag was 0"
    assert [sid for sid, s in steps.items() if s["forced"]] == ["fence-old-primary"]
    assert steps["fence-old-primary"]["reason"] == "Fence at once: the node may come back"
    assert steps["declare"]["note"] == "Paged dba and sre"
    # The drilled figure is the drills' median, as runbook show gives it.
    shown = json.loads(riskkit("runbook", "show", RUNBOOK, "--scenario", SCENARIO,
                               "--format", "json", "--as-of", "2026-11-30").stdout)
    assert {s["id"]: s["measured_minutes"] for s in shown["steps"]} == \
        {sid: s["drilled_minutes"] for sid, s in steps.items()}
    # Who filled which role: the commander assigned, then handed over.
    assert pm["roles"] == [{"role": "ic", "title": "Incident commander",
                            "held_by": [{"name": "dana", "since": clock(1)},
                                        {"name": "sam", "since": clock(30)}]}]
    assert pm["status_updates"] == 2 and pm["cadence_minutes"] == 30
    # The runbook version followed: the commit of its file, read from git here.
    assert pm["commit"] == git(demo, "log", "-1", "--format=%H", "--",
                               f"runbooks/{RUNBOOK}.yaml")
    assert pm["uncommitted"] is False and pm["file"] == f"runbooks/{RUNBOOK}.yaml"
    # The timeline is the journal, in time order, without the start.
    lines = [json.loads(x) for x in (demo / "incidents" / ID / "journal").read_text()
             .splitlines()]
    assert [(e["at"], e["by"], e["kind"]) for e in pm["timeline"]] == sorted(
        [(e["at"], e["by"], e["kind"]) for e in lines if e["kind"] != "start"],
        key=lambda t: t[0])


def test_close_writes_the_markdown_draft_beside_the_journal(riskkit, demo):
    play(riskkit)
    written = (demo / "incidents" / ID / "postmortem.md").read_text()
    printed = riskkit("postmortem", ID, "--as-of", "2026-12-01")
    assert printed.exit_code == 0 and printed.stdout == written
    assert written.startswith("# Postmortem: Fail over the primary PostgreSQL cluster\n")
    for words in ("| mitigated | 10:47 UTC | 47 min | 'resume-writes' done |",
                  "within, 13 min to spare",
                  "| ic (Incident commander) | dana from 10:01 UTC, then sam from 10:30 UTC |",
                  "- `status-investigating` skipped at 10:10 UTC by kim: Covered by the "
                  "first update",
                  "- `fence-old-primary` forced although blocked (sam): Fence at once",
                  "## What went well\n\n> **TO WRITE:**",
                  "## What went badly\n\n> **TO WRITE:**",
                  "## Where we got lucky\n\n> **TO WRITE:**"):
        assert words in written, words
    # A second close cannot happen; the draft is never overwritten by riskkit.
    assert riskkit("incident", "close", "-i", ID, "--at", at(70), "--by", "sam").exit_code == 1


def test_the_html_draft_is_one_page_with_the_chart(riskkit, tmp_path):
    play(riskkit)
    out = tmp_path / "pm.html"
    assert riskkit("postmortem", ID, "--format", "html", "-o", out,
                   "--as-of", "2026-12-01").exit_code == 0
    page = out.read_text()
    assert page.count("<svg") == 1 and "Minutes per step" in page
    assert "TO WRITE" in page and "<script" not in page and "http" not in page.split(
        "<body>")[1].replace("http://www.w3.org/2000/svg", "")


def test_a_template_override_changes_the_draft(riskkit, demo):
    play(riskkit)
    (demo / "templates").mkdir()
    (demo / "templates" / "postmortem.md.j2").write_text(
        "# {{ pm.id }}: {{ pm.time_to_mitigate }} min\n")
    result = riskkit("postmortem", ID, "--as-of", "2026-12-01")
    assert result.stdout == f"# {ID}: 47 min\n"


def review_kinds(riskkit, day: str) -> list[tuple[str, str]]:
    result = riskkit("review", "--format", "json", "--as-of", day)
    return [(f["kind"], f["message"]) for f in json.loads(result.stdout)["findings"]]


def test_action_items_show_up_in_review_until_they_are_done(riskkit, demo):
    play(riskkit)
    added = riskkit("incident", "action", "Alert", "on", "replica", "lag", "--owner",
                    "team-data", "--due", "2026-12-10", "-i", ID,
                    "--at", "2026-12-02T09:00:00Z", "--by", "dana")
    assert added.exit_code == 0, added.output
    action_id = added.stdout.strip()
    assert len(action_id) == 6
    later = riskkit("incident", "action", "Rehearse the promote", "--owner", "priya",
                    "--due", "2027-01-31", "-i", ID, "--at", "2026-12-02T09:05:00Z",
                    "--by", "dana")
    assert later.exit_code == 0
    # Not due yet: nothing; past due: reported, with its journal line and owner.
    assert not [k for k, _ in review_kinds(riskkit, "2026-12-10") if k == "action-overdue"]
    overdue = riskkit("review", "--as-of", "2026-12-11", "--kind", "action-overdue")
    line = len((demo / "incidents" / ID / "journal").read_text().splitlines()) - 1
    assert overdue.stdout.startswith(f"incidents/{ID}/journal:{line}:1: action-overdue "
                                     f"[team-data] action item {action_id} of incident {ID} "
                                     "was due 2026-12-10: Alert on replica lag"), overdue.stdout
    # The report lists both as open, the postmortem too.
    report = demo / "r.html"
    assert riskkit("report", "-o", report, "--as-of", "2026-12-11").exit_code == 0
    page = report.read_text()
    assert "Open action items from incidents (2)" in page and "Rehearse the promote" in page
    pm = json.loads(riskkit("postmortem", ID, "--format", "json", "--as-of",
                            "2026-12-11").stdout)
    assert [(a["id"], a["state"]) for a in pm["actions"]] == [
        (action_id, "overdue"), (later.stdout.strip(), "open")]
    # Marked done (by a unique beginning of its id, in whichever incident holds it).
    done = riskkit("incident", "action-done", action_id[:4], "--note", "PR 412",
                   "--at", "2026-12-12T10:00:00Z", "--by", "priya")
    assert done.exit_code == 0, done.output
    assert not [k for k, _ in review_kinds(riskkit, "2026-12-20") if k == "action-overdue"]
    # Done before the day review looks at: gone; looking back at the 11th: still there.
    assert [k for k, _ in review_kinds(riskkit, "2026-12-11") if k == "action-overdue"]
    again = riskkit("incident", "action-done", action_id, "--at", "2026-12-13T10:00:00Z",
                    "--by", "priya")
    assert again.exit_code == 1 and "was marked done" in again.stderr
    assert riskkit("validate", "--as-of", "2026-12-20").exit_code == 0


def test_after_the_close_only_action_items_are_recorded(riskkit, demo):
    play(riskkit)
    journal = demo / "incidents" / ID / "journal"
    before = journal.read_bytes()
    for args in (["note", "late", "-i", ID], ["status-update", "x", "-i", ID]):
        result = riskkit("incident", *args, "--at", "2026-12-02T09:00:00Z", "--by", "dana")
        assert result.exit_code == 1 and "it was closed at" in result.stderr
    for args, words in ((["action", "x", "--owner", "o", "--due", "2026-13-01", "-i", ID],
                         "is not a date"),
                        (["action-done", "abc"], "too short"),
                        (["action-done", "ffffffff"], "no action item has the id")):
        result = riskkit("incident", *args, "--at", "2026-12-02T09:00:00Z", "--by", "dana")
        assert result.exit_code == 1 and words in result.stderr, result.output
    assert journal.read_bytes() == before


def test_validate_reports_a_broken_action_item(riskkit, demo):
    play(riskkit)
    journal = demo / "incidents" / ID / "journal"
    with journal.open("a") as out:
        out.write(json.dumps({"at": "2026-12-02T09:00:00Z", "event": "e1", "by": "x",
                              "kind": "action", "title": "t", "owner": "o"}) + "\n")
        out.write(json.dumps({"at": "2026-12-02T09:01:00Z", "event": "e2", "by": "x",
                              "kind": "action-done", "action": "nope"}) + "\n")
    result = riskkit("validate", "--as-of", "2026-12-05")
    assert result.exit_code == 1
    n = len(journal.read_text().splitlines())
    rel = f"incidents/{ID}/journal"
    assert f"{rel}:{n - 1}:1: I011 the action item has no due; it is left out" in result.stdout
    assert f"{rel}:{n}:1: I011 'action-done' names action item 'nope'" in result.stdout
    assert "I008" not in result.stdout  # follow-ups after the close are expected


def test_an_incident_without_a_runbook_keeps_its_timeline_and_asks_for_one(riskkit, demo):
    result = riskkit("incident", "start", "--risk", "RSK-021", "--severity", "SEV-3",
                     "--at", "2026-11-03T16:10:00Z", "--by", "ines")
    assert result.exit_code == 0, result.output
    incident = result.stdout.strip()
    assert incident == "2026-11-03-rsk-021"
    step = riskkit("incident", "done", "declare", "--at", "2026-11-03T16:12:00Z",
                   "--by", "ines")
    assert step.exit_code == 1 and "the incident follows no runbook" in step.stderr
    for args in (["assign", "ic", "ines"], ["note", "File rejected by the bank"],
                 ["status-update", "Payouts a day late"]):
        assert riskkit("incident", *args, "--at", "2026-11-03T16:20:00Z",
                       "--by", "ines").exit_code == 0, args
    now = riskkit("incident", "now", "--at", "2026-11-03T16:30:00Z")
    assert now.exit_code == 0 and "no runbook: risks RSK-021" in now.stdout
    assert riskkit("incident", "close", "--at", "2026-11-03T17:45:00Z",
                   "--by", "ines").exit_code == 0
    pm = json.loads(riskkit("postmortem", incident, "--format", "json",
                            "--as-of", "2026-11-04").stdout)
    assert pm["runbook"] is None and pm["steps"] == [] and pm["time_to_mitigate_minutes"] == 95
    assert pm["title"] == "Daily settlement file misses the bank's cut-off"  # the risk's
    found = review_kinds(riskkit, "2026-11-26")
    assert any(k == "incident-no-runbook" and "2026-11-03-rsk-021" in m for k, m in found)
    assert riskkit("validate", "--as-of", "2026-11-26").exit_code == 0
    # Bad starts: neither a runbook nor a risk; an unknown risk; runbook options.
    assert riskkit("incident", "start", "--by", "x").exit_code == 2
    unknown = riskkit("incident", "start", "--risk", "RSK-0021", "--by", "x")
    assert unknown.exit_code == 1 and "unknown risk 'RSK-0021'" in unknown.stderr
    assert riskkit("incident", "start", "--risk", "RSK-021", "--scenario", "x",
                   "--by", "x").exit_code == 2


def test_start_with_a_runbook_can_name_which_of_its_risks_occurred(riskkit, demo):
    wrong = riskkit("incident", "start", RUNBOOK, "--var", "region=eu-west-1", "--risk",
                    "RSK-021", "--by", "dana", "--at", at(0))
    assert wrong.exit_code == 1 and "RSK-021 is not a risk db-failover answers" in wrong.stderr
    assert not (demo / "incidents").exists() or not any((demo / "incidents").iterdir())
    ok = riskkit("incident", "start", RUNBOOK, "--var", "region=eu-west-1", "--risk",
                 "RSK-007", "--by", "dana", "--at", at(0))
    assert ok.exit_code == 0
    data = json.loads(riskkit("incident", "now", "--format", "json", "--at", at(1)).stdout)
    assert [r["id"] for r in data["pinned"]["risks"]] == ["RSK-007"]


def test_closed_incidents_measure_steps_beside_the_drills(riskkit, demo):
    """show and render say what incidents took ("in incidents: median N"); the time to
    mitigate as measured takes the last three measurements of each step, drills and
    incidents alike, by date."""
    before = json.loads(riskkit("runbook", "show", RUNBOOK, "--scenario", SCENARIO,
                                "--format", "json", "--as-of", "2026-11-30").stdout)
    play(riskkit)
    after = json.loads(riskkit("runbook", "show", RUNBOOK, "--scenario", SCENARIO,
                               "--format", "json", "--as-of", "2026-12-05").stdout)
    took = expected_minutes(Model(demo))
    assert {s["id"]: s["incident_minutes"] for s in after["steps"]} == \
        {s["id"]: took.get(s["id"]) for s in after["steps"]}
    # The drilled figures are unchanged; the measured time to mitigate moves.
    assert [s["measured_minutes"] for s in after["steps"]] == \
        [s["measured_minutes"] for s in before["steps"]]
    assert after["measured_in"] == "drills and incidents"
    # Worked out here: each step's drill minutes by date, then this incident's.
    drills = sorted((REPO / "drills").glob("*.yaml"))
    samples: dict[str, list[tuple[str, float]]] = {}
    import yaml

    for path in drills:
        record = yaml.safe_load(path.read_text())
        if record["runbook"] != RUNBOOK:
            continue
        for sid, result in (record.get("steps") or {}).items():
            if result.get("minutes") is not None:
                samples.setdefault(sid, []).append((str(record["date"]), result["minutes"]))
    for sid, minutes in took.items():
        samples.setdefault(sid, []).append(("2026-12-01", minutes))
    import statistics

    combined = {sid: statistics.median([m for _, m in sorted(v)[-3:]])
                for sid, v in samples.items()}
    model = Model(demo)
    finish: dict[str, float] = {}

    def end(sid: str) -> float:
        if sid not in finish:
            finish[sid] = combined.get(sid, model.steps[sid]["minutes"]) + max(
                (end(n) for n in model.steps[sid]["needs"]), default=0)
        return finish[sid]

    assert after["drilled_eta_minutes"] == end("resume-writes")
    text = riskkit("runbook", "show", RUNBOOK, "--scenario", SCENARIO,
                   "--as-of", "2026-12-05").stdout
    assert f"in incidents: median {took['promote']:g})" in text
    assert "as measured in drills and incidents: " in text
    plan = riskkit("runbook", "render", RUNBOOK, "--var", "region=eu-west-1", "--scenario",
                   SCENARIO, "--as-of", "2026-12-05").stdout
    assert f"in incidents: median {took['promote']:g}" in plan
    assert "as measured in drills and incidents:" in plan


def test_the_demo_postmortem_is_the_golden_file(run, golden):
    for incident in ("2026-10-07-bad-deploy-rollback", "2026-11-03-rsk-021"):
        result = run("-C", REPO, "postmortem", incident, "--as-of", "2026-11-26")
        assert result.exit_code == 0, result.output
        golden(f"postmortem-{incident}.md", result.stdout)
