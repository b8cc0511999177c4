"""``riskkit review``: every finding kind at its place with its owner, and nothing when not due.

All tests run with ``--as-of 2026-11-26`` on hand-built workspaces (the conftest settings:
5x5 matrix, appetite medium, review_days critical 30 / high 90 / medium 180 / low 365,
drill_days critical 90 / high 180 / medium 365). On the 5x5 matrix a score of 12 (3x4) is
high, 20 (4x5) critical, 8 (2x4) medium and 4 (2x2) low.
"""

from __future__ import annotations

import json

import pytest

AS_OF = ("--as-of", "2026-11-26")

KINDS = ["review-overdue", "acceptance-expired", "acceptance-expiring", "no-treatment",
         "no-runbook", "treatment-overdue", "drill-never", "drill-overdue", "finding-overdue",
         "eta-above-rto", "drilled-above-rto", "runbook-unlinked", "action-overdue",
         "incident-above-rto", "likelihood-understated", "incident-no-runbook"]


def runbook(rid: str, owner: str, risks: str = "") -> str:
    """A two-step runbook (ETA 15 minutes); line 1 holds its id, so findings point at 1:5."""
    return (f"id: {rid}\ntitle: Runbook {rid}\nowner: {owner}\n{risks}"
            "triggers: [An alert fires]\n"
            "steps:\n"
            "  - {id: declare, title: Declare, role: ic, minutes: 5}\n"
            "  - {id: fix, title: Fix it, role: sre, needs: [declare], minutes: 10}\n")


def journal(runbook_id: str | None, risks: list[tuple[str, int | None]],
            events: list[tuple]) -> str:
    """An incident journal: a start at ``events[0]``'s time pinning ``runbook_id``'s source
    (or no runbook) and ``risks`` (id, RTO), then ``(at, id, kind, data)`` lines."""
    import hashlib

    at, event_id = events[0][:2]
    roles = {"ic": {"title": "Incident commander"}, "sre": {"title": "SRE on-call"}}
    pinned = [{"id": r, "title": r, "rto_minutes": rto} for r, rto in risks]
    if runbook_id is None:
        start = {"runbook": None, "title": "Something no runbook answers", "risks": pinned,
                 "roles": roles}
    else:
        source = runbook(runbook_id, "team-never")
        start = {"runbook": runbook_id, "file": f"runbooks/{runbook_id}.yaml",
                 "sha256": hashlib.sha256(source.encode()).hexdigest(), "commit": None,
                 "uncommitted": True, "scenario": None, "inputs": {}, "risks": pinned,
                 "roles": roles, "source": source}
    lines = [{"at": at, "event": event_id, "by": "dana", "kind": "start", **start}]
    lines += [{"at": at, "event": ident, "by": "dana", "kind": kind, **data}
              for at, ident, kind, data in events[1:]]
    return "".join(json.dumps(line) + "\n" for line in lines)


# One workspace with exactly one finding of every kind. The comments give the line of the
# node each finding must point at.
ATTENTION = {
    "risks/RSK-REV.yaml": """\
        id: RSK-REV
        title: High risk reviewed 91 days ago
        owner: team-rev
        status: mitigating
        likelihood: 3
        impact: 4
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-08-27, by: dana}
        runbooks: [rb-ok]
        """,  # review-overdue at 8:16 (the date)
    "risks/RSK-NEW.yaml": """\
        id: RSK-NEW
        title: High risk never reviewed
        owner: team-new
        status: open
        likelihood: 3
        impact: 4
        treatment: {strategy: mitigate, due: 2027-06-30}
        runbooks: [rb-ok]
        """,  # review-overdue at 1:5 (the id: there is no review to point at)
    "risks/RSK-EXP.yaml": """\
        id: RSK-EXP
        title: Accepted until yesterday
        owner: team-exp
        status: accepted
        likelihood: 2
        impact: 4
        acceptance:
          by: cfo
          until: 2026-11-25
        review: {last: 2026-11-01, by: dana}
        """,  # acceptance-expired at 9:10
    "risks/RSK-SOON.yaml": """\
        id: RSK-SOON
        title: Accepted for 30 more days
        owner: team-soon
        status: accepted
        likelihood: 2
        impact: 4
        acceptance:
          by: cto
          until: 2026-12-26
        review: {last: 2026-11-01, by: dana}
        """,  # acceptance-expiring at 9:10
    "risks/RSK-NOTR.yaml": """\
        id: RSK-NOTR
        title: High risk with a runbook and no treatment
        owner: team-notr
        status: open
        likelihood: 3
        impact: 4
        review: {last: 2026-11-01, by: dana}
        runbooks: [rb-ok]
        """,  # no-treatment at 1:1 (the risk)
    "risks/list.yaml": """\
        risks:
          - id: RSK-NORB
            title: High risk with a treatment and no runbook
            owner: team-norb
            status: mitigating
            likelihood: 3
            impact: 4
            treatment: {strategy: mitigate, due: 2027-06-30}
            review: {last: 2026-11-01, by: dana}
        """,  # no-runbook at 2:5 (the list item)
    "risks/RSK-LATE.yaml": """\
        id: RSK-LATE
        title: Treatment due yesterday
        owner: team-late
        status: mitigating
        likelihood: 3
        impact: 4
        treatment:
          strategy: mitigate
          due: 2026-11-25
        review: {last: 2026-11-01, by: dana}
        runbooks: [rb-ok]
        """,  # treatment-overdue at 9:8
    "risks/RSK-CRIT.yaml": """\
        id: RSK-CRIT
        title: Critical risk whose runbook was never drilled
        owner: team-crit
        status: mitigating
        likelihood: 4
        impact: 5
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-11-20, by: dana}
        runbooks: [rb-never]
        """,
    "risks/RSK-DRL.yaml": """\
        id: RSK-DRL
        title: High risk whose runbook was drilled 181 days ago
        owner: team-drl
        status: mitigating
        likelihood: 3
        impact: 4
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-11-01, by: dana}
        runbooks: [rb-stale]
        """,
    "risks/RSK-RTO.yaml": """\
        id: RSK-RTO
        title: High risk with an RTO below its runbook's ETA
        owner: team-rto
        status: mitigating
        likelihood: 3
        impact: 4
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-11-01, by: dana}
        rto_minutes: 10
        runbooks: [rb-ok]
        """,
    "risks/RSK-DRT.yaml": """\
        id: RSK-DRT
        title: High risk whose runbook is within its RTO on paper but not as drilled
        owner: team-drt
        status: mitigating
        likelihood: 3
        impact: 4
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-11-01, by: dana}
        rto_minutes: 20
        runbooks: [rb-drilled]
        """,
    "risks/RSK-GONE.yaml": """\
        id: RSK-GONE
        title: Closed, and everything about it would be a finding if it were open
        owner: team-gone
        status: closed
        likelihood: 4
        impact: 5
        treatment:
          strategy: avoid
          due: 2025-01-31
        """,
    "runbooks/rb-ok.yaml": runbook("rb-ok", "team-ok"),  # eta-above-rto (RSK-RTO)
    "runbooks/rb-never.yaml": runbook("rb-never", "team-never"),  # drill-never
    "runbooks/rb-stale.yaml": runbook("rb-stale", "team-stale"),  # drill-overdue
    "runbooks/rb-orphan.yaml": runbook("rb-orphan", "team-orphan"),  # runbook-unlinked
    "runbooks/rb-drilled.yaml": runbook("rb-drilled", "team-drilled"),  # drilled-above-rto
    "drills/2026-11-20-rb-drilled.yaml": """\
        runbook: rb-drilled
        date: 2026-11-20
        kind: game-day
        outcome: partial
        steps: {fix: {minutes: 18}}
        """,  # 5 + 18 = 23 minutes as drilled, against the RTO of 20 (15 estimated)
    "drills/2026-10-01-rb-ok.yaml": """\
        runbook: rb-ok
        date: 2026-10-01
        kind: tabletop
        outcome: partial
        findings:
          - title: Alert fires late
            owner: team-fix
            due: 2026-11-25
          - title: Dashboard link missing
            owner: team-ok
            due: 2026-11-26
        """,  # finding-overdue at 8:10 (the first finding only: the second is due today)
    "drills/2026-05-29-rb-stale.yaml": """\
        runbook: rb-stale
        date: 2026-05-29
        kind: game-day
        outcome: pass
        """,
    "risks/RSK-OFT.yaml": """\
        id: RSK-OFT
        title: Low risk rated unlikely that an incident without a runbook met
        owner: team-oft
        status: open
        likelihood: 2
        impact: 2
        review: {last: 2026-11-01, by: dana}
        """,  # incident-no-runbook at 1:5, likelihood-understated at 5:13
    # Three action items: one past due (action-overdue at line 5), one done, one not due.
    "incidents/INC-ACT/journal": journal("rb-never", [("RSK-REV", None)], [
        ("2026-11-01T10:00:00Z", "a000000000000001"),
        ("2026-11-01T10:05:00Z", "a000000000000002", "done", {"step": "declare"}),
        ("2026-11-01T10:15:00Z", "a000000000000003", "done", {"step": "fix"}),
        ("2026-11-01T10:20:00Z", "a000000000000004", "close", {"outcome": "resolved"}),
        ("2026-11-02T09:00:00Z", "b100000000000001", "action",
         {"title": "Page the right team", "owner": "team-act", "due": "2026-11-20"}),
        ("2026-11-02T09:01:00Z", "b200000000000001", "action",
         {"title": "Fix the dashboard", "owner": "team-act", "due": "2026-11-10"}),
        ("2026-11-02T09:02:00Z", "b300000000000001", "action",
         {"title": "Rehearse it", "owner": "team-act", "due": "2026-12-31"}),
        ("2026-11-09T09:00:00Z", "b400000000000001", "action-done",
         {"action": "b200000000000001"}),
    ]),
    # 25 minutes to mitigate against RSK-RTO's 10, and no action item: incident-above-rto.
    "incidents/INC-SLOW/journal": journal("rb-never", [("RSK-RTO", 10)], [
        ("2026-11-02T10:00:00Z", "c000000000000001"),
        ("2026-11-02T10:05:00Z", "c000000000000002", "done", {"step": "declare"}),
        ("2026-11-02T10:25:00Z", "c000000000000003", "done", {"step": "fix"}),
        ("2026-11-02T10:30:00Z", "c000000000000004", "close", {"outcome": "resolved"}),
    ]),
    # No runbook: RSK-OFT (unlikely, at most once in 3 years) occurred once this year.
    "incidents/INC-NORB/journal": journal(None, [("RSK-OFT", None)], [
        ("2026-10-01T08:00:00Z", "d000000000000001"),
        ("2026-10-01T08:05:00Z", "d000000000000002", "note", {"text": "Found it"}),
        ("2026-10-01T09:00:00Z", "d000000000000003", "close", {"outcome": "resolved"}),
    ]),
}

# (path, line, col, kind, subject, owner), in the order review sorts them.
EXPECTED = [
    ("drills/2026-10-01-rb-ok.yaml", 8, 10, "finding-overdue", "rb-ok", "team-fix"),
    ("incidents/INC-ACT/journal", 5, 1, "action-overdue", "INC-ACT", "team-act"),
    ("incidents/INC-SLOW/journal", 1, 1, "incident-above-rto", "INC-SLOW", "team-rto"),
    ("risks/RSK-EXP.yaml", 9, 10, "acceptance-expired", "RSK-EXP", "team-exp"),
    ("risks/RSK-LATE.yaml", 9, 8, "treatment-overdue", "RSK-LATE", "team-late"),
    ("risks/RSK-NEW.yaml", 1, 5, "review-overdue", "RSK-NEW", "team-new"),
    ("risks/RSK-NOTR.yaml", 1, 1, "no-treatment", "RSK-NOTR", "team-notr"),
    ("risks/RSK-OFT.yaml", 1, 5, "incident-no-runbook", "RSK-OFT", "team-oft"),
    ("risks/RSK-OFT.yaml", 5, 13, "likelihood-understated", "RSK-OFT", "team-oft"),
    ("risks/RSK-REV.yaml", 8, 16, "review-overdue", "RSK-REV", "team-rev"),
    ("risks/RSK-SOON.yaml", 9, 10, "acceptance-expiring", "RSK-SOON", "team-soon"),
    ("risks/list.yaml", 2, 5, "no-runbook", "RSK-NORB", "team-norb"),
    ("runbooks/rb-drilled.yaml", 1, 5, "drilled-above-rto", "rb-drilled", "team-drilled"),
    ("runbooks/rb-never.yaml", 1, 5, "drill-never", "rb-never", "team-never"),
    ("runbooks/rb-ok.yaml", 1, 5, "eta-above-rto", "rb-ok", "team-ok"),
    ("runbooks/rb-orphan.yaml", 1, 5, "runbook-unlinked", "rb-orphan", "team-orphan"),
    ("runbooks/rb-stale.yaml", 1, 5, "drill-overdue", "rb-stale", "team-stale"),
]

# What each message must say, so a reader can act on it without opening the file.
MESSAGES = {
    "finding-overdue": ["2026-10-01", "rb-ok", "was due 2026-11-25", "Alert fires late"],
    "acceptance-expired": ["RSK-EXP", "cfo", "expired on 2026-11-25"],
    "treatment-overdue": ["RSK-LATE", "mitigate", "2026-11-25", "1 days ago"],
    "no-treatment": ["RSK-NOTR", "high", "appetite", "medium", "no treatment"],
    "acceptance-expiring": ["RSK-SOON", "cto", "2026-12-26", "in 30 days"],
    "no-runbook": ["RSK-NORB", "high", "no runbook"],
    "drill-never": ["rb-never", "never been drilled", "critical RSK-CRIT", "90 days"],
    "eta-above-rto": ["rb-ok", "15 min", "RSK-RTO", "10 min"],
    "drilled-above-rto": ["rb-drilled", "as drilled 23 min", "RSK-DRT", "20 min"],
    "runbook-unlinked": ["rb-orphan", "no risk"],
    "drill-overdue": ["rb-stale", "2026-05-29", "1 days past its 180-day interval",
                      "high RSK-DRL"],
    "action-overdue": ["b10000", "INC-ACT", "was due 2026-11-20", "Page the right team"],
    "incident-above-rto": ["INC-SLOW", "25 min", "RSK-RTO", "10 min", "action item"],
    "likelihood-understated": ["RSK-OFT", "unlikely", "once in 3 years", "once",
                               "INC-NORB (2026-10-01)"],
    "incident-no-runbook": ["RSK-OFT", "no runbook", "INC-NORB (2026-10-01)"],
}


def review(run, ws, *args):
    return run("-C", ws, "review", *AS_OF, *args)


def findings_of(run, ws, *args) -> list[dict]:
    result = review(run, ws, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["findings"]


@pytest.fixture
def attention(make_ws):
    return make_ws(ATTENTION)


def test_the_workspace_is_valid_so_review_runs_on_it(run, attention):
    result = run("-C", attention, "validate", *AS_OF)
    assert result.exit_code == 0, result.output


def test_every_kind_is_found_with_its_place_and_owner(run, attention):
    found = [(f["path"], f["line"], f["col"], f["kind"], f["subject"], f["owner"])
             for f in findings_of(run, attention)]
    assert found == EXPECTED
    assert sorted({f[3] for f in found}) == sorted(KINDS), "a finding kind is not covered"


def test_review_overdue_also_names_the_never_reviewed_risk(run, attention):
    overdue = {f["subject"]: f["message"] for f in findings_of(run, attention)
               if f["kind"] == "review-overdue"}
    assert "has never been reviewed" in overdue["RSK-NEW"]
    assert "90 days" in overdue["RSK-NEW"]
    assert "last reviewed 2026-08-27" in overdue["RSK-REV"]
    assert "1 days past its 90-day cadence" in overdue["RSK-REV"]


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_each_message_says_what_and_when(run, attention, kind):
    [finding] = [f for f in findings_of(run, attention) if f["kind"] == kind]
    for part in MESSAGES[kind]:
        assert part in finding["message"], (part, finding["message"])


def test_text_format_is_path_line_col_kind_owner_message(run, attention):
    result = review(run, attention)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED) + 2  # the findings, a blank line and a summary
    for line, (path, ln, col, kind, subject, owner) in zip(lines, EXPECTED):
        assert line.startswith(f"{path}:{ln}:{col}: {kind} [{owner}] "), line
        assert subject in line
    assert lines[-2] == ""
    assert lines[-1].startswith(f"{len(EXPECTED)} finding(s) as of 2026-11-26: ")
    assert "2 review-overdue" in lines[-1] and "1 drill-never" in lines[-1]


def test_json_format_has_as_of_summary_and_findings(run, attention):
    result = review(run, attention, "--format", "json")
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-11-26"
    expected_summary = {k: 0 for k in KINDS}
    for *_, kind, _, _ in EXPECTED:
        expected_summary[kind] += 1
    assert data["summary"] == {k: n for k, n in sorted(expected_summary.items()) if n}
    assert set(data["findings"][0]) == {"kind", "subject", "owner", "message", "path", "line",
                                        "col"}


def test_md_format_is_a_table_with_path_and_line(run, attention, tmp_path):
    target = tmp_path / "review.md"
    result = review(run, attention, "--format", "md", "-o", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    text = target.read_text()
    assert text.startswith("## Needs attention as of 2026-11-26\n")
    assert "| kind | subject | owner | finding | where |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(EXPECTED) + 1
    assert any(row.startswith("| review-overdue | RSK-REV | team-rev | ")
               and row.endswith(" | risks/RSK-REV.yaml:8 |") for row in rows), rows
    assert any(row.startswith("| no-runbook | RSK-NORB | team-norb | ")
               and row.endswith(" | risks/list.yaml:2 |") for row in rows), rows


def test_github_format_is_one_warning_annotation_per_finding(run, attention):
    result = review(run, attention, "--format", "github")
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED)
    for line, (path, ln, col, kind, subject, _) in zip(lines, EXPECTED):
        assert line.startswith(f"::warning file={path},line={ln},col={col},title={kind}::"), line
        assert subject in line.split("::", 2)[2]


def test_auto_format_is_github_under_github_actions(run, attention):
    result = run("-C", attention, "review", *AS_OF, env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::warning file=drills/2026-10-01-rb-ok.yaml,line=8,col=10,")
    plain = run("-C", attention, "review", *AS_OF, env={"GITHUB_ACTIONS": ""})
    assert plain.stdout.startswith("drills/2026-10-01-rb-ok.yaml:8:10: finding-overdue ")


def test_kind_filter_keeps_only_the_kinds_asked_for(run, attention):
    found = findings_of(run, attention, "--kind", "drill-never", "--kind", "runbook-unlinked")
    assert [(f["kind"], f["subject"]) for f in found] == [("drill-never", "rb-never"),
                                                          ("runbook-unlinked", "rb-orphan")]
    result = review(run, attention, "--kind", "review-overdue")
    assert result.stdout.splitlines()[-1] == "2 finding(s) as of 2026-11-26: 2 review-overdue"


def test_unknown_kind_is_a_wrong_value_naming_the_kinds(run, attention):
    result = review(run, attention, "--kind", "drill-late")
    assert result.exit_code == 1
    assert "drill-late" in result.stderr and "drill-overdue" in result.stderr


def test_strict_exits_1_when_anything_is_found(run, attention):
    assert review(run, attention).exit_code == 0  # findings alone are not a failure
    strict = review(run, attention, "--strict")
    assert strict.exit_code == 1
    assert strict.stdout == review(run, attention).stdout


def test_strict_counts_only_the_filtered_kinds(run, make_ws):
    ws = make_ws(CLEAN | {"runbooks/rb-orphan.yaml": runbook("rb-orphan", "team-orphan")})
    assert review(run, ws, "--strict", "--kind", "runbook-unlinked").exit_code == 1
    filtered = review(run, ws, "--strict", "--kind", "drill-never")
    assert filtered.exit_code == 0
    assert filtered.stdout == "\n0 finding(s) as of 2026-11-26\n"


# --- a clean workspace, and each thing that is not (yet) due ------------------------------

CLEAN = {
    "risks/RSK-1.yaml": """\
        id: RSK-1
        title: A high risk in good order
        owner: team-a
        status: mitigating
        likelihood: 3
        impact: 4
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-11-01, by: dana}
        rto_minutes: 30
        runbooks: [rb-a]
        """,
    "runbooks/rb-a.yaml": runbook("rb-a", "team-a"),
    "drills/2026-10-01-rb-a.yaml": """\
        runbook: rb-a
        date: 2026-10-01
        kind: tabletop
        outcome: pass
        findings:
          - {title: Add the dashboard link, owner: team-a, due: 2027-01-31}
        """,
}


def with_risk(text: str, **extra: str) -> dict:
    """CLEAN with another RSK-1; without a link to rb-a, the risk stands alone."""
    if "rb-a" not in text:
        return {"risks/RSK-1.yaml": text} | extra
    return CLEAN | {"risks/RSK-1.yaml": text} | extra


def risk(*, likelihood=3, impact=4, status="mitigating", body: str) -> str:
    return ("id: RSK-1\ntitle: A risk\nowner: team-a\n"
            f"status: {status}\nlikelihood: {likelihood}\nimpact: {impact}\n{body}")


GOOD = "treatment: {strategy: mitigate, due: 2027-06-30}\nrunbooks: [rb-a]\n"

NOT_DUE = {
    "high review exactly 90 days ago": risk(body=GOOD + "review: {last: 2026-08-28}\n"),
    "critical review exactly 30 days ago": risk(
        likelihood=4, impact=5, body=GOOD + "review: {last: 2026-10-27}\n"),
    "low review exactly 365 days ago": risk(
        likelihood=2, impact=2, body="review: {last: 2025-11-26}\n"),
    "acceptance ending in 31 days": risk(
        likelihood=2, impact=4, status="accepted",
        body="acceptance: {by: cfo, until: 2026-12-27}\nreview: {last: 2026-11-01}\n"),
    "acceptance of a risk no longer accepted": risk(
        body=GOOD + "acceptance: {by: cfo, until: 2026-01-31}\nreview: {last: 2026-11-01}\n"),
    "treatment due today": risk(
        body="treatment: {strategy: mitigate, due: 2026-11-26}\nrunbooks: [rb-a]\n"
             "review: {last: 2026-11-01}\n"),
    "treatment past due on an accepted risk": risk(
        likelihood=2, impact=4, status="accepted",
        body="treatment: {strategy: accept, due: 2026-01-31}\n"
             "acceptance: {by: cfo, until: 2027-06-30}\nreview: {last: 2026-11-01}\n"),
    "medium risk (at the appetite) without treatment or runbook": risk(
        likelihood=2, impact=4, body="review: {last: 2026-11-01}\n"),
    "accepted high risk without treatment or runbook": risk(
        status="accepted", body="acceptance: {by: cfo, until: 2027-06-30}\n"
                                "review: {last: 2026-11-01}\n"),
    "closed critical risk with nothing in order": risk(
        likelihood=4, impact=5, status="closed",
        body="treatment: {strategy: avoid, due: 2025-01-31}\nrto_minutes: 1\n"
             "runbooks: [rb-a]\n"),
}


@pytest.fixture
def clean(make_ws):
    return make_ws(CLEAN)


def test_clean_workspace_has_no_findings_and_strict_exits_0(run, clean):
    result = review(run, clean, "--strict")
    assert result.exit_code == 0, result.output
    assert result.stdout == "\n0 finding(s) as of 2026-11-26\n"
    assert findings_of(run, clean) == []
    assert review(run, clean, "--format", "github").stdout == ""


@pytest.mark.parametrize("case", sorted(NOT_DUE))
def test_nothing_is_found_when_nothing_is_due(run, make_ws, case):
    ws = make_ws(with_risk(NOT_DUE[case]))
    assert run("-C", ws, "validate", *AS_OF).exit_code == 0
    assert findings_of(run, ws) == []


def test_acceptance_ending_today_is_expiring_not_expired(run, make_ws):
    ws = make_ws(with_risk(risk(
        likelihood=2, impact=4, status="accepted",
        body="acceptance: {by: cfo, until: 2026-11-26}\nreview: {last: 2026-11-01}\n")))
    [finding] = findings_of(run, ws)
    assert finding["kind"] == "acceptance-expiring"
    assert "in 0 days" in finding["message"]


@pytest.mark.parametrize("drilled, found", [
    ("2026-05-30", []),  # exactly 180 days ago: due today, not overdue
    ("2026-05-29", ["drill-overdue"]),
])
def test_drill_overdue_only_after_the_interval(run, make_ws, drilled, found):
    ws = make_ws({**{k: v for k, v in CLEAN.items() if not k.startswith("drills/")},
                  f"drills/{drilled}-rb-a.yaml": f"runbook: rb-a\ndate: {drilled}\n"
                                                 "kind: live\noutcome: pass\n"})
    assert [f["kind"] for f in findings_of(run, ws)] == found


def test_finding_due_today_is_not_past_due(run, make_ws):
    drill = ("runbook: rb-a\ndate: 2026-10-01\nkind: tabletop\noutcome: pass\nfindings:\n"
             "  - {title: Due today, owner: team-b, due: 2026-11-26}\n"
             "  - {title: Nobody owns this, due: 2026-11-20}\n"
             "  - {title: No due date}\n")
    ws = make_ws(CLEAN | {"drills/2026-10-01-rb-a.yaml": drill})
    [finding] = findings_of(run, ws)
    assert (finding["kind"], finding["line"], finding["owner"]) == ("finding-overdue", 7, "-")
    assert "Nobody owns this" in finding["message"]


@pytest.mark.parametrize("rto, found", [(15, []), (14, ["eta-above-rto"])])
def test_eta_equal_to_the_rto_is_within_it(run, make_ws, rto, found):
    body = GOOD + f"review: {{last: 2026-11-01}}\nrto_minutes: {rto}\n"
    ws = make_ws(with_risk(risk(body=body)))
    assert [f["kind"] for f in findings_of(run, ws)] == found


def test_runbook_of_a_low_risk_needs_no_drill(run, make_ws):
    ws = make_ws({
        **{k: v for k, v in CLEAN.items() if not k.startswith("drills/")},
        "risks/RSK-1.yaml": risk(likelihood=2, impact=2, body="runbooks: [rb-a]\n"
                                                             "review: {last: 2026-11-01}\n")})
    assert findings_of(run, ws) == []


def test_runbook_linked_only_to_closed_risks_is_linked_and_needs_no_drill(run, make_ws):
    ws = make_ws(with_risk(risk(likelihood=4, impact=5, status="closed",
                                body="runbooks: [rb-a, rb-b]\n"),
                           **{"runbooks/rb-b.yaml": runbook("rb-b", "team-b")}))
    assert findings_of(run, ws) == []


def test_review_of_a_broken_workspace_reviews_the_rest_and_fails(run, make_ws):
    clean = review(run, make_ws(CLEAN))
    ws = make_ws(CLEAN | {"risks/RSK-2.yaml": "id: RSK-2\ntitle: Broken\n"})
    result = review(run, ws)
    assert result.exit_code == 1
    assert clean.stdout and result.stdout == clean.stdout  # the broken file is left out
    assert "risks/RSK-2.yaml:1:1:" in result.stderr
