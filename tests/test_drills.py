"""The drill programme: the quarterly plan, checklist packs, drill records and their validation,
``drill record``, and measured minutes flowing back into ``runbook show``.

Every test fixes "today" with ``--as-of 2026-11-26`` (so the next quarter is 2027Q1, which ends
2027-03-31) and builds its workspace by hand. Settings are the conftest ones: drill_days
critical 90, high 180, medium 365 and none for low; on the 5x5 matrix 4x5 is critical, 3x4
high, 3x3 medium and 2x2 low.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

AS_OF = ("--as-of", "2026-11-26")


def risk(rid: str, likelihood: int, impact: int, runbooks: str, status: str = "mitigating"):
    return (f"id: {rid}\ntitle: Risk {rid}\nowner: team-{rid.lower()}\nstatus: {status}\n"
            f"likelihood: {likelihood}\nimpact: {impact}\n"
            "treatment: {strategy: mitigate, due: 2027-06-30}\n"
            f"review: {{last: 2026-11-20, by: dana}}\nrunbooks: [{runbooks}]\n")


def runbook(rid: str, severity: str = "SEV-2") -> str:
    return (f"id: {rid}\ntitle: Runbook {rid}\nseverity: {severity}\nowner: team-ops\n"
            "triggers: [An alert fires]\n"
            "scenarios: {host-lost: The host is gone, disk-full: The disk is full}\n"
            "steps:\n"
            "  - {id: declare, title: Declare, role: ic, minutes: 5}\n"
            "  - {id: notify, title: Tell support, role: comms, needs: [declare], minutes: 3}\n"
            "  - {id: fix, title: Fix it, role: sre, needs: [declare], minutes: 10}\n")


def drill(rb: str, date: str, outcome: str = "pass", steps: str = "") -> tuple[str, str]:
    return (f"drills/{date}-{rb}.yaml",
            f"runbook: {rb}\ndate: {date}\nkind: tabletop\noutcome: {outcome}\n{steps}")


# The plan for 2027Q1 (ends 2027-03-31), riskiest first, then stalest (never drilled first):
#   c-never   critical, never drilled
#   c-older   critical, drilled 2026-06-01 (303 days before the quarter ends)
#   c-old     critical, drilled 2026-09-01 (211 days)
#   h-never   high, never drilled
#   h-stale   high, drilled 2026-04-15 (350 days)
#   h-edge    high, drilled 2026-10-02: exactly 180 days by the quarter's end, so due
#   m-stale   medium, drilled 2026-02-01 (423 days, interval 365)
# and not due:
#   h-recent  high, drilled 2026-10-03: 179 days by the quarter's end
#   l-never   low risk: low has no drill interval
#   x-closed  only a closed critical risk
PLAN = dict([
    ("risks/RSK-C1.yaml", risk("RSK-C1", 4, 5, "c-never")),
    ("risks/RSK-C2.yaml", risk("RSK-C2", 5, 4, "c-old, c-older")),
    ("risks/RSK-H1.yaml", risk("RSK-H1", 3, 4, "h-never, h-recent, h-stale, h-edge")),
    ("risks/RSK-M1.yaml", risk("RSK-M1", 3, 3, "m-stale")),
    ("risks/RSK-L1.yaml", risk("RSK-L1", 2, 2, "l-never")),
    ("risks/RSK-X1.yaml", risk("RSK-X1", 5, 5, "x-closed", status="closed")),
    *((f"runbooks/{rb}.yaml", runbook(rb)) for rb in [
        "c-never", "c-old", "c-older", "h-never", "h-recent", "h-stale", "h-edge", "m-stale",
        "l-never", "x-closed"]),
    drill("c-old", "2026-09-01"),
    drill("c-older", "2026-06-01", "fail"),
    drill("h-recent", "2026-10-03"),
    drill("h-stale", "2026-04-15", "partial"),
    drill("h-edge", "2026-10-02"),
    drill("m-stale", "2026-02-01"),
])
ORDER = ["c-never", "c-older", "c-old", "h-never", "h-stale", "h-edge", "m-stale"]


@pytest.fixture
def plan_ws(make_ws):
    return make_ws(PLAN)


def plan(run, ws, *args):
    return run("-C", ws, "drill", "plan", *AS_OF, *args)


def due_of(run, ws, *args) -> list[dict]:
    result = plan(run, ws, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["due"]


def test_plan_workspace_is_valid(run, plan_ws):
    result = run("-C", plan_ws, "validate", *AS_OF)
    assert result.exit_code == 0, result.output


def test_plan_ranks_riskiest_then_stalest(run, plan_ws):
    due = due_of(run, plan_ws, "--quarter", "2027Q1")
    assert [d["runbook"] for d in due] == ORDER
    assert [d["rank"] for d in due] == list(range(1, len(ORDER) + 1))


def test_never_drilled_runbook_of_a_critical_risk_ranks_first(run, plan_ws):
    first = due_of(run, plan_ws, "--quarter", "2027Q1")[0]
    assert (first["runbook"], first["level"], first["last_drill"]) == ("c-never", "critical", None)
    assert first["reason"] == "never drilled; linked to critical RSK-C1 (drill every 90 days)"


def test_recently_drilled_runbook_is_not_due(run, plan_ws):
    due = [d["runbook"] for d in due_of(run, plan_ws, "--quarter", "2027Q1")]
    assert "h-recent" not in due  # 179 days old when 2027Q1 ends; high drills every 180
    assert "h-edge" in due  # 180 days old when 2027Q1 ends: due


def test_runbook_of_a_low_risk_needs_no_drill(run, plan_ws):
    due = [d["runbook"] for d in due_of(run, plan_ws, "--quarter", "2027Q1")]
    assert "l-never" not in due
    assert "x-closed" not in due  # its only risk is closed


def test_ties_at_a_level_are_broken_by_staleness(run, plan_ws):
    due = due_of(run, plan_ws, "--quarter", "2027Q1")
    critical = [(d["runbook"], d["last_drill"]) for d in due if d["level"] == "critical"]
    assert critical == [("c-never", None), ("c-older", "2026-06-01"), ("c-old", "2026-09-01")]


def test_plan_json_fields(run, plan_ws):
    result = plan(run, plan_ws, "--quarter", "2027Q1", "--format", "json")
    data = json.loads(result.stdout)
    assert data["quarter"] == "2027Q1"
    assert data["due"][1] == {
        "runbook": "c-older", "title": "Runbook c-older", "severity": "SEV-2",
        "level": "critical", "risk": "RSK-C2", "risks": ["RSK-C2"], "interval_days": 90,
        "last_drill": "2026-06-01", "last_outcome": "fail", "days_since": 303,
        "reason": "last drilled 2026-06-01 (fail), 303 days before 2027Q1 ends; critical "
                  "RSK-C2 needs a drill every 90 days",
        "file": "runbooks/c-older.yaml", "rank": 2,
    }
    never = data["due"][3]
    assert (never["runbook"], never["last_drill"], never["last_outcome"],
            never["days_since"], never["interval_days"]) == ("h-never", None, None, None, 180)


def test_runbook_of_several_risks_takes_the_highest_level_and_shortest_interval(run, make_ws):
    ws = make_ws({
        "risks/RSK-M.yaml": risk("RSK-M", 3, 3, "shared"),
        "risks/RSK-C.yaml": risk("RSK-C", 4, 5, "shared"),
        "runbooks/shared.yaml": runbook("shared"),
        "drills/2026-11-20-shared.yaml": drill("shared", "2026-11-20")[1],
    })
    [item] = due_of(run, ws, "--quarter", "2027Q1")  # 131 days: due for critical, not medium
    assert (item["level"], item["risk"], item["interval_days"]) == ("critical", "RSK-C", 90)
    assert sorted(item["risks"]) == ["RSK-C", "RSK-M"]


def test_max_keeps_the_top_n(run, plan_ws):
    due = due_of(run, plan_ws, "--quarter", "2027Q1", "--max", "2")
    assert [(d["rank"], d["runbook"]) for d in due] == [(1, "c-never"), (2, "c-older")]
    assert plan(run, plan_ws, "--quarter", "2027Q1", "--max", "0").exit_code == 1


def test_table_format_gives_rank_runbook_level_last_drill_and_why(run, plan_ws):
    result = plan(run, plan_ws, "--quarter", "2027Q1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Drills due in 2027Q1: 7"
    rows = lines[4:]
    assert [row.split()[:4] for row in rows] == [
        ["1", "c-never", "critical", "never"], ["2", "c-older", "critical", "2026-06-01"],
        ["3", "c-old", "critical", "2026-09-01"], ["4", "h-never", "high", "never"],
        ["5", "h-stale", "high", "2026-04-15"], ["6", "h-edge", "high", "2026-10-02"],
        ["7", "m-stale", "medium", "2026-02-01"]]
    assert rows[4].endswith("last drilled 2026-04-15 (partial), 350 days before 2027Q1 ends; "
                            "high RSK-H1 needs a drill every 180 days")


def test_md_format(run, plan_ws):
    result = plan(run, plan_ws, "--quarter", "2027Q1", "--format", "md")
    assert result.stdout.startswith("## Drills due in 2027Q1\n\n| # | runbook | level |")
    assert "| 1 | c-never | critical | never | never drilled; linked to critical RSK-C1" \
           in result.stdout


def test_quarter_defaults_to_the_one_after_as_of(run, plan_ws):
    result = plan(run, plan_ws)
    assert result.stdout.startswith("Drills due in 2027Q1: 7\n")
    assert result.stdout == plan(run, plan_ws, "--quarter", "2027Q1").stdout


def test_plan_of_a_past_quarter_ignores_later_drills(run, plan_ws):
    due = {d["runbook"]: d for d in due_of(run, plan_ws, "--quarter", "2026Q2")}
    # c-old was drilled 2026-09-01, after 2026Q2: in 2026Q2 it had never been drilled.
    assert due["c-old"]["last_drill"] is None
    # h-stale's 2026-04-15 drill was 76 days old at the end of 2026Q2: not due then.
    assert "h-stale" not in due


@pytest.mark.parametrize("spelling", ["2027-Q1", "2027q1", " 2027Q1 "])
def test_quarter_spellings_that_parse(run, plan_ws, spelling):
    assert [d["runbook"] for d in due_of(run, plan_ws, "--quarter", spelling)] == ORDER


@pytest.mark.parametrize("bad", ["2027Q5", "2027Q0", "Q1-2027", "2027", "27Q1", "2027Q1x"])
def test_bad_quarter_fails_with_a_clear_message(run, plan_ws, bad):
    result = plan(run, plan_ws, "--quarter", bad)
    assert result.exit_code == 1, result.output  # a wrong value on the command line
    assert result.stdout == ""
    assert f"'{bad}' is not a quarter (write it like 2027Q1)" in result.stderr


# --- checklist packs ---------------------------------------------------------------------

PACK = {
    "risks/RSK-C1.yaml": risk("RSK-C1", 4, 5, "pack-critical"),
    "risks/RSK-H1.yaml": risk("RSK-H1", 3, 4, "pack-high, pack-recent"),
    "runbooks/pack-critical.yaml": runbook("pack-critical", "SEV-1"),
    "runbooks/pack-high.yaml": runbook("pack-high"),
    "runbooks/pack-recent.yaml": runbook("pack-recent"),
    "drills/2026-04-01-pack-high.yaml": drill("pack-high", "2026-04-01")[1],
    "drills/2026-11-01-pack-recent.yaml": drill("pack-recent", "2026-11-01")[1],
}


def test_checklist_for_a_quarter_prints_the_plans_pack(run, make_ws):
    ws = make_ws(PACK)
    result = run("-C", ws, "drill", "checklist", "--quarter", "2027Q1", *AS_OF)
    assert result.exit_code == 0, result.output
    out = result.stdout
    titles = [line for line in out.splitlines() if line.startswith("# Drill checklist: ")]
    assert titles == ["# Drill checklist: Runbook pack-critical",
                      "# Drill checklist: Runbook pack-high"]
    assert "`pack-critical`" in out and "`pack-high`" in out
    assert "pack-recent" not in out
    # The pack is the plan's, in the plan's order.
    assert out == run("-C", ws, "drill", "checklist", "pack-critical", "pack-high",
                      *AS_OF).stdout


def test_checklist_for_a_quarter_with_a_scenario_typo_gets_a_did_you_mean(run, make_ws):
    result = run("-C", make_ws(PACK), "drill", "checklist", "--quarter", "2027Q1",
                 "--scenario", "disk-ful", *AS_OF)
    assert result.exit_code == 1
    assert result.stderr == ("riskkit: no runbook due in 2027Q1 has a scenario 'disk-ful' "
                             "(did you mean 'disk-full'?)\n")


def test_checklist_for_a_quarter_with_nothing_due_says_so(run, make_ws):
    ws = make_ws({"risks/RSK-L.yaml": risk("RSK-L", 2, 2, "low"),
                  "runbooks/low.yaml": runbook("low")})
    result = run("-C", ws, "drill", "checklist", "--quarter", "2027Q1", *AS_OF)
    assert result.exit_code == 0
    assert "no runbook is due for a drill in 2027Q1" in result.stderr
    assert "# Drill checklist" not in result.stdout


@pytest.mark.parametrize("args", [("--quarter", "2027Q1", "pack-high"), ()])
def test_checklist_wants_ids_or_a_quarter(run, make_ws, args):
    result = run("-C", make_ws(PACK), "drill", "checklist", *args, *AS_OF)
    assert result.exit_code == 2
    assert "give runbook IDs or --quarter" in result.stderr


# --- drill records in drills/ are validated -------------------------------------------------

RECORDS = {
    "risks/RSK-1.yaml": risk("RSK-1", 3, 4, "rb-a"),
    "runbooks/rb-a.yaml": runbook("rb-a"),
}

BAD_RECORDS = {
    "drills/unknown-runbook.yaml": """\
        runbook: rb-aa
        date: 2026-10-01
        kind: tabletop
        outcome: pass
        """,
    "drills/unknown-step.yaml": """\
        runbook: rb-a
        date: 2026-10-01
        kind: game-day
        outcome: partial
        steps:
          declare: {minutes: 4, ok: true}
          fixx: {minutes: 12, ok: false}
        """,
    "drills/negative.yaml": """\
        runbook: rb-a
        date: 2026-10-01
        kind: live
        outcome: pass
        steps:
          declare: {minutes: -3}
        """,
    "drills/future.yaml": """\
        runbook: rb-a
        date: 2026-11-27
        kind: tabletop
        outcome: pass
        """,
    "drills/unknown-scenario.yaml": """\
        runbook: rb-a
        date: 2026-10-01
        kind: tabletop
        scenario: host-lots
        outcome: pass
        """,
}

BAD_LINES = [
    "drills/future.yaml:2:7: D003 drill of rb-a on 2026-11-27: the date is after 2026-11-26 "
    "(a drill record is of the past)",
    "drills/negative.yaml:6:22: S103 steps.declare.minutes: -3 must be >= 0",
    # A record naming what is not in the runbook (now) is history, not an error: a warning
    # at the record, and what it names is not counted.
    "drills/unknown-runbook.yaml:1:10: D001 drill of rb-aa on 2026-10-01: unknown runbook "
    "'rb-aa' (did you mean 'rb-a'?): renamed or removed since the drill? the drill counts "
    "for no runbook (warning)",
    "drills/unknown-scenario.yaml:4:11: D004 drill of rb-a on 2026-10-01: unknown scenario "
    "'host-lots' (did you mean 'host-lost'?): renamed or removed since the drill? (warning)",
    "drills/unknown-step.yaml:7:3: D002 drill of rb-a on 2026-10-01: unknown step 'fixx' "
    "(did you mean 'fix'?): renamed or removed since the drill? its minutes are not counted "
    "(warning)",
]


def test_every_bad_drill_record_is_reported_at_its_node_in_one_run(run, make_ws):
    ws = make_ws(RECORDS | BAD_RECORDS)
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == BAD_LINES
    assert "3 drills: 2 error(s), 3 warning(s)" in result.stderr


def test_a_drill_on_the_as_of_day_is_not_in_the_future(run, make_ws):
    ws = make_ws(RECORDS | {"drills/today.yaml": drill("rb-a", "2026-11-26")[1]})
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 0, result.output
    assert "1 drills" in result.stderr


def test_a_bad_drill_record_stops_the_plan_and_review(run, make_ws):
    ws = make_ws(RECORDS | {"drills/future.yaml": BAD_RECORDS["drills/future.yaml"]})
    for command in (("drill", "plan"), ("review",)):
        result = run("-C", ws, *command, *AS_OF)
        assert result.exit_code == 1, command
        assert "drills/future.yaml:2:7: D003" in result.stderr


# --- drill record ------------------------------------------------------------------------


@pytest.fixture
def rec_ws(make_ws):
    return make_ws(RECORDS)


def record(run, ws, *args):
    return run("-C", ws, "drill", "record", "rb-a", *args, *AS_OF)


BASIC = ("--date", "2026-11-20", "--kind", "game-day", "--outcome", "partial")


def drill_files(ws) -> list[str]:
    folder = ws / "drills"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_record_writes_a_record_that_validates(run, rec_ws):
    result = record(run, rec_ws, *BASIC, "--scenario", "host-lost",
                    "--minutes", "declare=4", "--minutes", "fix=12.5",
                    "--participant", "dana:ic", "--participant", "priya: sre",
                    "--finding", "Replica lag alert missing|team-data|2027-01-31",
                    "--finding", "Runbook needs the dashboard link")
    assert result.exit_code == 0, result.output
    assert result.stdout == "recorded drills/2026-11-20-rb-a.yaml\n"
    text = (rec_ws / "drills" / "2026-11-20-rb-a.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../schemas/drill.schema.json\n")
    assert yaml.safe_load(text) == {
        "runbook": "rb-a", "date": "2026-11-20", "kind": "game-day", "outcome": "partial",
        "scenario": "host-lost",
        "participants": [{"name": "dana", "role": "ic"}, {"name": "priya", "role": "sre"}],
        "steps": {"declare": {"minutes": 4}, "fix": {"minutes": 12.5}},
        "findings": [{"title": "Replica lag alert missing", "owner": "team-data",
                      "due": "2027-01-31"},
                     {"title": "Runbook needs the dashboard link"}],
    }
    checked = run("-C", rec_ws, "validate", *AS_OF)
    assert checked.exit_code == 0, checked.output
    assert "1 drills: 0 error(s)" in checked.stderr


@pytest.mark.parametrize("text, expected", [
    ("Replica lag alert missing|team-data|2027-01-31",
     {"title": "Replica lag alert missing", "owner": "team-data", "due": "2027-01-31"}),
    ("Page the dba | team-data", {"title": "Page the dba", "owner": "team-data"}),
    ("Just a title", {"title": "Just a title"}),
])
def test_record_parses_findings(run, rec_ws, text, expected):
    assert record(run, rec_ws, *BASIC, "--finding", text).exit_code == 0
    data = yaml.safe_load((rec_ws / "drills" / "2026-11-20-rb-a.yaml").read_text())
    assert data["findings"] == [expected]


def test_record_never_overwrites(run, rec_ws):
    assert record(run, rec_ws, *BASIC, "--minutes", "declare=4").exit_code == 0
    first = (rec_ws / "drills" / "2026-11-20-rb-a.yaml").read_bytes()
    second = record(run, rec_ws, *BASIC, "--minutes", "declare=9")
    assert second.stdout == "recorded drills/2026-11-20-rb-a-2.yaml\n"
    third = record(run, rec_ws, *BASIC)
    assert third.stdout == "recorded drills/2026-11-20-rb-a-3.yaml\n"
    assert (rec_ws / "drills" / "2026-11-20-rb-a.yaml").read_bytes() == first
    again = yaml.safe_load((rec_ws / "drills" / "2026-11-20-rb-a-2.yaml").read_text())
    assert again["steps"] == {"declare": {"minutes": 9}}
    assert drill_files(rec_ws) == ["2026-11-20-rb-a-2.yaml", "2026-11-20-rb-a-3.yaml",
                                   "2026-11-20-rb-a.yaml"]
    assert run("-C", rec_ws, "validate", *AS_OF).exit_code == 0


def test_record_refuses_an_unknown_step_and_writes_nothing(run, rec_ws):
    result = record(run, rec_ws, *BASIC, "--minutes", "declare=4", "--minutes", "fixx=3")
    assert result.exit_code == 1
    assert "unknown step 'fixx' (did you mean 'fix'?)" in result.stderr
    assert drill_files(rec_ws) == []


@pytest.mark.parametrize("args, message", [
    (("--minutes", "fix=-3"), "-3 must be >= 0"),
    (("--minutes", "fix=abc"), "fix=abc"),
    (("--scenario", "host-lots"), "unknown scenario 'host-lots'"),
    (("--finding", "Title|owner|2027-02-30"), "'2027-02-30' is not a valid date"),
    (("--finding", "a|b|2027-01-31|d"), "write TITLE, TITLE|OWNER or TITLE|OWNER|DUE"),
], ids=["negative-minutes", "minutes-not-a-number", "unknown-scenario", "bad-due-date",
        "finding-with-four-parts"])
def test_record_refuses_a_bad_value_with_exit_1_and_writes_nothing(run, rec_ws, args, message):
    result = record(run, rec_ws, *BASIC, *args)
    assert message in result.stderr
    assert result.exit_code == 1, result.output
    assert drill_files(rec_ws) == []


@pytest.mark.parametrize("date, message", [
    ("2026-11-27", "the date is after 2026-11-26"),
    ("2026-13-01", "'2026-13-01' is not a valid date"),
])
def test_record_refuses_a_bad_date(run, rec_ws, date, message):
    result = record(run, rec_ws, "--date", date, "--kind", "live", "--outcome", "pass")
    assert result.exit_code == 1
    assert message in result.stderr
    assert drill_files(rec_ws) == []


def test_record_refuses_an_unknown_runbook_with_a_hint(run, rec_ws):
    result = run("-C", rec_ws, "drill", "record", "rb-aa", *BASIC, *AS_OF)
    assert result.exit_code == 1
    assert "unknown runbook 'rb-aa' (did you mean 'rb-a'?)" in result.stderr
    assert drill_files(rec_ws) == []


def test_record_a_bad_due_date_names_the_option_not_a_file(run, rec_ws):
    result = record(run, rec_ws, *BASIC, "--finding", "Lag alert|team-data|2027-02-30",
                    "--finding", "Dashboard link|team-ops|31/01/2027")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "riskkit: nothing was recorded:\n"
        "  --finding 'Lag alert|team-data|2027-02-30': the due date '2027-02-30' is not a "
        "valid date (YYYY-MM-DD)\n"
        "  --finding 'Dashboard link|team-ops|31/01/2027': the due date '31/01/2027' is not a "
        "valid date (YYYY-MM-DD)\n")
    assert drill_files(rec_ws) == []


# Commits with fixed dates, and riskkit's own git calls, without any user configuration.
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
           "GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@example.com",
           "GIT_COMMITTER_NAME": "Dana", "GIT_COMMITTER_EMAIL": "dana@example.com"}


def git_commit(top, when: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    for args in (["add", "-A"], ["commit", "-q", "-m", f"change of {when}"]):
        subprocess.run(["git", "-C", str(top), "-c", "commit.gpgsign=false", *args],
                       check=True, capture_output=True, env=env)
    return subprocess.run(["git", "-C", str(top), "rev-parse", "--short=12", "HEAD"],
                          check=True, capture_output=True, text=True, env=env).stdout.strip()


def test_record_names_the_runbook_commit_of_the_drills_day(run, rec_ws, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    subprocess.run(["git", "-C", str(rec_ws), "init", "-q"], check=True)
    first = git_commit(rec_ws, "2026-10-01T12:00:00+00:00")
    rb = rec_ws / "runbooks" / "rb-a.yaml"
    rb.write_text(runbook("rb-a").replace("minutes: 10", "minutes: 12"))
    second = git_commit(rec_ws, "2026-11-22T09:00:00+00:00")
    # An unrelated later commit does not change the runbook's version.
    (rec_ws / "risks" / "RSK-1.yaml").write_text(risk("RSK-1", 3, 4, "rb-a") + "tags: [db]\n")
    git_commit(rec_ws, "2026-11-24T09:00:00+00:00")

    def recorded(date: str):
        result = record(run, rec_ws, "--date", date, "--kind", "live", "--outcome", "pass")
        assert result.exit_code == 0, result.output
        path = rec_ws / result.stdout.split()[-1]
        return yaml.safe_load(path.read_text()).get("commit")

    assert first != second
    assert recorded("2026-11-21") == first  # the runbook of that day, not today's
    assert recorded("2026-11-22") == second  # a commit on the day counts
    assert recorded("2026-11-25") == second
    assert recorded("2026-09-30") is None  # the runbook was not in git yet
    rb.write_text(runbook("rb-a").replace("minutes: 10", "minutes: 15"))
    assert recorded("2026-11-26") == f"{second}-dirty"  # the edits may have been drilled
    assert recorded("2026-11-21") == first  # they were not there then
    given = record(run, rec_ws, *BASIC, "--commit", "abc123")
    assert yaml.safe_load((rec_ws / given.stdout.split()[-1]).read_text())["commit"] == "abc123"


RENAMED = RECORDS | {
    "drills/2026-10-01-rb-a.yaml": """\
        runbook: rb-a
        date: 2026-10-01
        kind: game-day
        outcome: pass
        commit: 3f2c1a9e0b7d
        steps:
          declare: {minutes: 4}
          repair: {minutes: 30}
        """,
}


def test_a_drill_naming_a_step_renamed_since_is_a_warning_at_the_drill(run, make_ws):
    ws = make_ws(RENAMED)
    result = run("-C", ws, "validate", *AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output  # CI stays green
    [problem] = json.loads(result.stdout)
    assert (problem["path"], problem["line"], problem["col"], problem["code"],
            problem["severity"]) == ("drills/2026-10-01-rb-a.yaml", 8, 3, "D002", "warning")
    assert problem["message"] == (
        "drill of rb-a on 2026-10-01: unknown step 'repair': renamed or removed since commit "
        "3f2c1a9e0b7d? its minutes are not counted")
    assert run("-C", ws, "validate", *AS_OF, "--strict").exit_code == 1
    # The drill still counts, its known steps measured; the unknown step is left out.
    view = show_json(run, ws, "rb-a")
    assert {s["id"]: s["measured_minutes"] for s in view["steps"]} == {
        "declare": 4, "notify": None, "fix": None}
    [due] = due_of(run, ws, "--quarter", "2027Q1")  # high: 181 days by the quarter's end
    assert (due["runbook"], due["last_drill"]) == ("rb-a", "2026-10-01")
    assert run("-C", ws, "review", *AS_OF).exit_code == 0


def test_a_drill_of_a_runbook_renamed_since_is_a_warning_at_the_drill(run, make_ws):
    ws = make_ws(RECORDS | {"drills/old.yaml": drill("rb-old", "2026-10-01")[1]
                            + "commit: 3f2c1a9e0b7d\n"})
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "drills/old.yaml:1:10: D001 drill of rb-old on 2026-10-01: unknown runbook 'rb-old' "
        "(did you mean 'rb-a'?): renamed or removed since commit 3f2c1a9e0b7d? the drill "
        "counts for no runbook (warning)\n")
    assert "1 drills: 0 error(s), 1 warning(s)" in result.stderr
    [due] = due_of(run, ws, "--quarter", "2027Q1")
    assert (due["runbook"], due["last_drill"]) == ("rb-a", None)


# --- measured minutes --------------------------------------------------------------------

MEASURED = RECORDS | {
    "runbooks/rb-b.yaml": runbook("rb-b"),
    "drills/2026-09-01-rb-a.yaml": """\
        runbook: rb-a
        date: 2026-09-01
        kind: tabletop
        outcome: fail
        steps:
          declare: {minutes: 4}
          fix: {minutes: 20, ok: false}
        """,
    "drills/2026-10-01-rb-a.yaml": """\
        runbook: rb-a
        date: 2026-10-01
        kind: game-day
        outcome: partial
        steps:
          declare: {minutes: 7}
          fix: {minutes: 12}
        """,
    "drills/2026-11-01-rb-a.yaml": """\
        runbook: rb-a
        date: 2026-11-01
        kind: game-day
        outcome: pass
        steps:
          fix: {minutes: 14}
          notify: {ok: true, note: Nobody timed it}
        """,
    "drills/2026-11-02-rb-b.yaml": """\
        runbook: rb-b
        date: 2026-11-02
        kind: tabletop
        outcome: pass
        steps:
          fix: {minutes: 99}
        """,
}


def show_json(run, ws, rb: str) -> dict:
    result = run("-C", ws, "runbook", "show", rb, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_measured_medians_show_beside_the_estimates(run, make_ws):
    ws = make_ws(MEASURED)
    assert run("-C", ws, "validate", *AS_OF).exit_code == 0
    view = show_json(run, ws, "rb-a")
    steps = {s["id"]: (s["minutes"], s["measured_minutes"]) for s in view["steps"]}
    # declare: median of 4 and 7; fix: median of 20, 12 and 14 (rb-b's 99 is not rb-a's);
    # notify was never timed.
    assert steps == {"declare": (5, 5.5), "fix": (10, 14), "notify": (3, None)}
    assert view["eta_minutes"] == 15
    assert view["drilled_eta_minutes"] == 19.5
    assert view["drilled_critical_path"] == ["declare", "fix"]


def test_a_runbook_never_drilled_has_no_measured_minutes(run, make_ws):
    view = show_json(run, make_ws(RECORDS), "rb-a")
    assert view["drilled_eta_minutes"] is None
    assert {s["measured_minutes"] for s in view["steps"]} == {None}


def test_recent_drills_weigh_more_only_the_last_three_timed_drills_count():
    import datetime as dt

    from riskkit.drill.model import RECENT_DRILLS, Drill, StepResult, measured_minutes

    def drill(day: str, file: str = "", **minutes) -> Drill:
        return Drill("rb", dt.date.fromisoformat(day), "tabletop", "pass", file=file,
                     steps={k: StepResult(minutes=v) for k, v in minutes.items()})

    assert RECENT_DRILLS == 3
    drills = [  # given out of order: the dates decide, then the file
        drill("2026-06-01", fix=10),
        drill("2025-01-01", fix=90, declare=40),  # the oldest: no longer counts for fix
        drill("2026-09-01", fix=20),
        drill("2026-03-01", fix=12, declare=4),
        drill("2026-09-01", "b.yaml", declare=6),
    ]
    # fix: the last three timed are 12, 10, 20 (90 is older); declare was timed three times
    assert measured_minutes(drills, "rb") == {"declare": 6, "fix": 12}
    # a team that got faster sees it once two recent drills agree
    drills += [drill("2026-10-01", fix=5), drill("2026-11-01", fix=6)]
    assert measured_minutes(drills, "rb")["fix"] == 6
    assert measured_minutes(drills, "other") == {}


def test_a_drilled_time_above_the_rto_is_said_by_show_render_and_review(run, make_ws):
    files = MEASURED | {"risks/RSK-Q.yaml": """\
        id: RSK-Q
        title: Slow as drilled
        owner: team-q
        status: open
        likelihood: 2
        impact: 2
        rto_minutes: 18
        runbooks: [rb-a]
        """}
    ws = make_ws(files)
    view = show_json(run, ws, "rb-a")
    # 15 minutes estimated, within 18; 19.5 as drilled, above it
    assert (view["within_rto"], view["drilled_within_rto"]) == (True, False)
    shown = run("-C", ws, "runbook", "show", "rb-a").stdout
    assert "as drilled: 19.5 min via declare -> fix (ABOVE the RTO of 18 min)" in shown
    plan = run("-C", ws, "runbook", "render", "rb-a", "--format", "txt").stdout
    assert "as drilled: 19.5 min (ABOVE the RTO of 18 min as drilled)" in plan
    found = json.loads(run("-C", ws, "review", *AS_OF, "--kind", "drilled-above-rto",
                           "--format", "json").stdout)["findings"]
    assert [(f["subject"], f["message"]) for f in found] == [
        ("rb-a", "rb-a: time to mitigate as drilled 19.5 min is above the RTO of RSK-Q "
                 "(18 min)")]
