"""``riskkit init``: a small, valid workspace to start from."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from riskkit.dates import add_days
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
                                          due=add_days(today, 90).isoformat()),
        "runbooks/db-failover.yaml": RUNBOOK.format(),
    }
    if os.path.lexists(root) and not root.is_dir():
        raise ConfigError(f"cannot create a workspace in {directory}: "
                          f"{_what(root) or 'it is not a folder'}")
    # A link counts as there, a broken one too: writing through it would create a file
    # wherever it points.
    existing = [rel + (f" ({_what(root / rel)})" if _what(root / rel) else "")
                for rel in files if os.path.lexists(root / rel)]
    existing += [f"{d} ({_what(root / d) or 'not a folder'})"
                 for d in ("risks", "runbooks", "drills")
                 if os.path.lexists(root / d) and not (root / d).is_dir()]
    if existing:
        raise ConfigError(f"not overwriting existing files in {directory}: {', '.join(existing)}")
    written: list[Path] = []
    current = "drills"
    try:
        for current, text in files.items():
            write_atomic(root / current, text, exclusive=True)
            written.append(root / current)
        current = "drills"
        (root / current).mkdir(exist_ok=True)
    except OSError as exc:  # a folder that cannot be written, a file that appeared
        for path in written:  # all or nothing: no half a workspace left behind
            path.unlink(missing_ok=True)
        raise ConfigError(f"cannot create a workspace in {directory}: cannot write "
                          f"{current}: {exc.strerror or exc}") from None
    return [str(root / rel) for rel in files]


def _what(path: Path) -> str:
    """Why a path that is there is in the way, when it is a link: a broken one or not."""
    if not path.is_symlink():
        return ""
    return "a broken link" if not path.exists() else "a link"


# Incident journals are only appended to; with git's union merge, two clones that both
# appended merge line by line instead of conflicting (riskkit sorts the lines by time).
MERGE_RULE = "incidents/**/journal merge=union"
GITATTRIBUTES = ("# riskkit: incident journals are only appended to, so git merges two "
                 "clones' lines\n" + MERGE_RULE + "\n")


def _read_regular(path: Path) -> str:
    from riskkit.files.reading import Refused, read_bytes

    try:
        return read_bytes(path).decode("utf-8")
    except Refused as refused:
        raise OSError(refused.reason) from None


def merge_rule(directory: str) -> str | None:
    """Make git merge incident journals line by line: write the workspace's
    .gitattributes, or add the rule to the one there. Returns "created", "updated", or
    None when the rule was there already."""
    path = Path(directory) / ".gitattributes"
    try:
        if not os.path.lexists(path):
            write_atomic(path, GITATTRIBUTES, exclusive=True)
            return "created"
        text = _read_regular(path)  # a pipe there is refused, not waited on
        if any(line.split() == MERGE_RULE.split() for line in text.splitlines()):
            return None
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(("" if not text or text.endswith("\n") else "\n") + GITATTRIBUTES)
        return "updated"
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}"
                          ) from None

