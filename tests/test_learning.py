"""Incidents re-calibrate the risks: a year of incidents, and review names exactly the risks
that occurred more often than their likelihood allows (the frequencies written out here,
from the README, not read from riskkit); a matrix states its own frequencies, or none."""

from __future__ import annotations

import json

import pytest

from riskkit.register.matrix import PRESETS

AS_OF = "2026-11-26"

# The 5x5 preset's likelihoods and the most occurrences a year each allows (the README).
ALLOWS = {1: 0.1, 2: 0.34, 3: 1, 4: 2, 5: None}


def risk(rid: str, likelihood: int, status: str = "open") -> str:
    return (f"id: {rid}\ntitle: Risk {rid}\nowner: team-{rid.lower()}\nstatus: {status}\n"
            f"likelihood: {likelihood}\nimpact: 1\nreview: {{last: 2026-11-01, by: dana}}\n")


RISKS = {  # id -> (likelihood, status)
    "RSK-RARE": (1, "open"),      # once this year: above once in 10 years
    "RSK-UNL": (2, "open"),       # once, 400 days ago: outside the year
    "RSK-POS": (3, "open"),       # once: within once a year
    "RSK-POS2": (3, "open"),      # twice (once through the runbook): above
    "RSK-LIK": (4, "open"),       # twice: within twice a year
    "RSK-LIK3": (4, "open"),      # three times (once through the runbook): above
    "RSK-AC": (5, "open"),        # five times: the top of the scale allows any number
    "RSK-OPEN": (1, "open"),      # an incident still open: not an occurrence yet
    "RSK-GONE": (1, "closed"),    # a closed risk is history
}

# (risk ids or a runbook, start, closed?)
INCIDENTS = [
    (["RSK-RARE"], "2026-03-02T10:00:00Z", True),
    (["RSK-UNL"], "2025-10-22T10:00:00Z", True),
    (["RSK-POS"], "2026-01-15T10:00:00Z", True),
    (["RSK-POS2"], "2026-02-10T10:00:00Z", True),
    ("rb", "2026-06-01T10:00:00Z", True),  # pins RSK-POS2 and RSK-LIK3
    (["RSK-LIK"], "2026-04-01T10:00:00Z", True),
    (["RSK-LIK"], "2026-09-01T10:00:00Z", True),
    (["RSK-LIK3"], "2026-05-01T10:00:00Z", True),
    (["RSK-LIK3"], "2026-11-20T10:00:00Z", True),
    *[(["RSK-AC"], f"2026-0{m}-03T10:00:00Z", True) for m in range(1, 6)],
    (["RSK-OPEN"], "2026-11-25T10:00:00Z", False),
    (["RSK-GONE"], "2026-07-07T10:00:00Z", True),
]

SETTINGS = """\
name: Learning Co
matrix: 5x5
appetite: critical
roles:
  ic: {title: Incident commander}
  sre: {title: SRE on-call}
"""


@pytest.fixture
def year(run, make_ws, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    files = {f"risks/{rid}.yaml": risk(rid, lik, status) for rid, (lik, status) in RISKS.items()}
    files["runbooks/rb.yaml"] = ("id: rb\ntitle: Runbook\nrisks: [RSK-POS2, RSK-LIK3]\n"
                                 "triggers: [x]\nsteps:\n"
                                 "  - {id: fix, title: Fix it, role: sre, minutes: 5}\n")
    root = make_ws(files, settings=SETTINGS)
    for n, (what, start, closed) in enumerate(INCIDENTS):
        subject = ["rb"] if what == "rb" else [a for r in what for a in ("--risk", r)]
        started = run("-C", root, "incident", "start", *subject, "--id", f"INC-{n:02d}",
                      "--at", start, "--by", "dana")
        assert started.exit_code == 0, started.output
        if closed:
            end = start.replace("T10:", "T11:")
            assert run("-C", root, "incident", "close", "-i", f"INC-{n:02d}", "--at", end,
                       "--by", "dana").exit_code == 0
    return root


def expected_understated() -> dict[str, list[str]]:
    """Worked out from the tables above: closed incidents started in the 365 days up to
    AS_OF, per active risk, against what its likelihood allows."""
    import datetime as dt

    day = dt.date.fromisoformat(AS_OF)
    pinned = {"rb": ["RSK-POS2", "RSK-LIK3"]}
    seen: dict[str, list[str]] = {}
    for n, (what, start, closed) in enumerate(INCIDENTS):
        started = dt.date.fromisoformat(start[:10])
        if closed and day - dt.timedelta(days=365) < started <= day:
            for rid in pinned.get(what, what) if isinstance(what, str) else what:
                seen.setdefault(rid, []).append(f"INC-{n:02d}")
    out = {}
    for rid, (likelihood, status) in RISKS.items():
        limit = ALLOWS[likelihood]
        found = seen.get(rid, [])
        if status != "closed" and limit is not None and len(found) > limit:
            out[rid] = found
    return out


def test_review_names_exactly_the_risks_that_occurred_too_often(run, year):
    result = run("-C", year, "review", "--kind", "likelihood-understated", "--format", "json",
                 "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    expected = expected_understated()
    assert sorted(expected) == ["RSK-LIK3", "RSK-POS2", "RSK-RARE"]  # the tables say so
    assert sorted(f["subject"] for f in findings) == sorted(expected)
    for f in findings:  # the evidence: which incidents, at the likelihood field
        assert f["path"] == f"risks/{f['subject']}.yaml" and f["line"] == 5
        for incident in expected[f["subject"]]:
            assert incident in f["message"], (incident, f["message"])
        assert f"{len(expected[f['subject']])}" in f["message"] or "once" in f["message"] \
            or "twice" in f["message"]


def test_a_year_later_the_same_incidents_are_history(run, year):
    result = run("-C", year, "review", "--kind", "likelihood-understated", "--format", "json",
                 "--as-of", "2027-12-01")
    assert json.loads(result.stdout)["findings"] == []


def test_the_presets_state_frequencies_and_the_top_of_a_scale_none():
    def limits(name):
        return [e.get("frequency", {}).get("per_year_max") for e in PRESETS[name]["likelihood"]]
    assert limits("5x5") == [0.1, 0.34, 1, 2, None]
    assert limits("4x4") == [0.34, 1, 2, None]
    assert limits("3x3") == [0.34, 1, None]
    assert limits("nist-800-30") == [0.1, 1, 10, 100, None]


MATRIX = """\
likelihood:
  - {id: low, name: Low, frequency: {per_year_max: 0.5}}
  - {id: high, name: High}
impact: [{id: minor, name: Minor}, {id: major, name: Major}]
levels: [{id: ok, name: OK, color: "#7cb342"}, {id: bad, name: Bad, color: "#c62828"}]
thresholds: {ok: 1, bad: 4}
"""


def test_a_matrix_states_its_own_frequencies(run, make_ws, monkeypatch):
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    root = make_ws({"matrix.yaml": MATRIX,
                    "risks/R-1.yaml": risk("R-1", 1), "risks/R-2.yaml": risk("R-2", 2)},
                   settings="name: M\nmatrix: matrix.yaml\nappetite: bad\n")
    for rid in ("R-1", "R-2"):
        assert run("-C", root, "incident", "start", "--risk", rid, "--id", rid,
                   "--at", "2026-06-01T10:00:00Z", "--by", "x").exit_code == 0
        assert run("-C", root, "incident", "close", "-i", rid, "--at",
                   "2026-06-01T11:00:00Z", "--by", "x").exit_code == 0
    result = run("-C", root, "review", "--format", "json", "--as-of", AS_OF)
    found = [(f["kind"], f["subject"]) for f in json.loads(result.stdout)["findings"]
             if f["kind"] == "likelihood-understated"]
    assert found == [("likelihood-understated", "R-1")]  # High states no frequency
    message = next(f["message"] for f in json.loads(result.stdout)["findings"]
                   if f["kind"] == "likelihood-understated")
    assert "at most once in 2 years" in message
    bad = make_ws({"matrix.yaml": MATRIX.replace("per_year_max: 0.5", "per_year_max: -1")},
                  settings="name: M\nmatrix: matrix.yaml\n", root=root.parent / "bad")
    result = run("-C", bad, "validate", "--as-of", AS_OF)
    assert result.exit_code == 2 and "per_year_max" in result.output
