"""Whole-workspace loading: one broken file must not hide or invent problems elsewhere."""

from __future__ import annotations

RUNBOOK = """\
id: rb
title: Fix it
risks: [RSK-1]
triggers: [alert]
steps:
  - {id: a, title: Start, role: sre, minutes: 5}
  - {id: b, title: Then, role: sre, minutes: 5, needs: [a]}
"""
BAD_RISK = "id: RSK-1\ntitle: t\nowner: o\nstatus: open\nlikelihood: 1\nimpact: 9\n"
DRILL = "runbook: rb\ndate: 2026-01-02\nkind: tabletop\noutcome: pass\nsteps: {a: {minutes: 4}}\n"


def test_a_runbook_linked_to_a_broken_risk_is_not_a_crash(run, make_ws):
    root = make_ws({"risks/r.yaml": BAD_RISK, "runbooks/rb.yaml": RUNBOOK})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "risks/r.yaml:6:9: R002 RSK-1: impact 9 is not on the 5x5 matrix "
        "(1-5 or very-low..very-high)"]


def test_drills_of_a_broken_runbook_are_not_called_unknown(run, make_ws):
    broken = RUNBOOK.replace("needs: [a]", "needs: [z]")
    root = make_ws({"runbooks/rb.yaml": broken, "drills/d.yaml": DRILL})
    result = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runbooks/rb.yaml:7:")
    assert "B002" in lines[0]
