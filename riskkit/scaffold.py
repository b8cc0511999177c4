"""``riskkit init``: a small, valid workspace to start from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from riskkit.files.fsutil import write_atomic
from riskkit.problems import ConfigError

SETTINGS = """\
# yaml-language-server: $schema=https://riskkit.dev/schemas/settings.schema.json
name: {name}
matrix: 5x5                 # or 3x3, 4x4, nist-800-30, a path to a matrix file, or inline
appetite: medium            # risks rated above this level need a treatment and a runbook
review_days: {{critical: 30, high: 90, medium: 180, low: 365}}
drill_days: {{critical: 90, high: 180, medium: 365}}
roles:
  ic: {{title: Incident commander, contact: "#incident"}}
  sre: {{title: SRE on-call, contact: "#sre"}}
  comms: {{title: Communications lead, contact: "#incident-comms"}}
"""

RISK = """\
# yaml-language-server: $schema=https://riskkit.dev/schemas/risk.schema.json
id: RSK-001
title: The primary database loses its storage
description: >-
  A storage failure on the primary database host stops all writes until a replica is
  promoted.
category: availability
owner: team-platform
status: mitigating
likelihood: possible        # a scale id or a rank (1-5)
impact: 5
controls:
  - {{id: CTL-backups, title: Nightly backups restored weekly, kind: corrective, status: in-place}}
  - {{id: CTL-replica, title: Streaming replica in another zone, kind: preventive, status: planned}}
residual: {{likelihood: 2, impact: 4}}
treatment: {{strategy: mitigate, rationale: A replica shortens the outage, due: {due}}}
review: {{last: {today}, by: you}}
rto_minutes: 60
runbooks: [db-failover]
"""

RUNBOOK = """\
# yaml-language-server: $schema=https://riskkit.dev/schemas/runbook.schema.json
id: db-failover
title: Fail over the primary database
summary: Promote the replica when the primary is lost; the outcome is writes restored.
severity: SEV-1
owner: team-platform
triggers: [Primary database down alert]
inputs:
  replica: {{description: Replica host to promote, required: true}}
steps:
  - id: declare
    title: Declare the incident
    role: ic
    minutes: 5
  - id: promote
    title: Promote {{{{ replica }}}}
    role: sre
    needs: [declare]
    minutes: 10
    run: ssh {{{{ replica }}}} sudo -u postgres pg_ctl promote -D /var/lib/postgresql/data
    verify: SELECT pg_is_in_recovery() returns false on {{{{ replica }}}}
  - id: announce
    title: Post a status update
    role: comms
    needs: [declare]
    minutes: 5
"""


def scaffold(directory: str, today: dt.date, name: str | None = None) -> list[str]:
    """Create riskkit.yaml, an example risk and runbook; refuse to overwrite anything.

    ``today`` dates the example risk's review (and its treatment, 90 days later)."""
    import json

    root = Path(directory)
    files = {  # the name goes in as a JSON string, which YAML reads as the same string
        "riskkit.yaml": SETTINGS.format(name=json.dumps(name or root.resolve().name,
                                                        ensure_ascii=False)),
        "risks/RSK-001.yaml": RISK.format(today=today.isoformat(),
                                          due=(today + dt.timedelta(days=90)).isoformat()),
        "runbooks/db-failover.yaml": RUNBOOK.format(),
    }
    existing = [rel for rel in files if (root / rel).exists()]
    existing += [f"{d} (not a folder)" for d in ("risks", "runbooks", "drills")
                 if (root / d).exists() and not (root / d).is_dir()]
    if existing:
        raise ConfigError(f"not overwriting existing files in {directory}: {', '.join(existing)}")
    for rel, text in files.items():
        write_atomic(root / rel, text, exclusive=True)
    (root / "drills").mkdir(exist_ok=True)
    return [str(root / rel) for rel in files]
