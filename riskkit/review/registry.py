"""Every review rule, in the order ``--kind`` help and error messages list them.

To add a finding kind: write its check in the module of its subject (``risks.py``,
``runbooks.py``, ``drills.py``, or a new one), decorated with ``@rule(id, label, on=...)``,
and list it here. ``review``, ``--kind`` (its choices and help), the JSON summary and the
report's labels all follow.
"""

from __future__ import annotations

from riskkit.review import drills, incidents, risks, runbooks
from riskkit.review.rule import Rule

RULES: tuple[Rule, ...] = (
    risks.review_overdue,
    risks.acceptance_expired,
    risks.acceptance_expiring,
    risks.no_treatment,
    risks.no_runbook,
    risks.treatment_overdue,
    runbooks.drill_never,
    runbooks.drill_overdue,
    drills.finding_overdue,
    runbooks.eta_above_rto,
    runbooks.drilled_above_rto,
    runbooks.runbook_unlinked,
    incidents.action_overdue,
    incidents.incident_above_rto,
    incidents.likelihood_understated,
    incidents.incident_no_runbook,
)

RULE_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}  # the tests refuse a shared id

KINDS: dict[str, str] = {r.id: r.label for r in RULES}  # id -> label
