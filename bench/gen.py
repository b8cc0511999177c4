"""A deterministic generator of big workspaces for benchmarks.

    python bench/gen.py DIR --risks 10000 --runbooks 200

Risk files look like the demo's: description, controls, residual, treatment, review and
links; runbooks have a dozen steps with parallel stages. The same arguments always give
the same files.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

SETTINGS = """\
name: Bench Co
matrix: 5x5
appetite: medium
review_days: {critical: 30, high: 90, medium: 180, low: 365}
drill_days: {critical: 90, high: 180, medium: 365}
roles:
  ic: {title: Incident commander, contact: "#inc"}
  sre: {title: SRE on-call, pager: sre}
  dba: {title: Database on-call, pager: dba}
  comms: {title: Communications lead, contact: "#comms"}
"""

WORDS = ("primary replica cluster region zone vendor acquirer ledger settlement token "
         "certificate queue cache gateway batch payout refund merchant card network").split()


def risk_text(i: int, rng: random.Random, runbooks: int) -> str:
    li, im = rng.randint(1, 5), rng.randint(1, 5)
    rl, ri = max(1, li - rng.randint(0, 2)), max(1, im - rng.randint(0, 1))
    title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
    links = f"runbooks: [rb-{rng.randrange(runbooks):04d}]\n" if runbooks and li * im >= 10 else ""
    return f"""\
id: RSK-{i:05d}
title: {title}
description: >-
  {" ".join(rng.choice(WORDS) for _ in range(30))}.
category: {rng.choice(["availability", "security", "data", "vendor", "people", "compliance"])}
owner: team-{rng.choice(["data", "platform", "payments", "security"])}
status: {rng.choice(["open", "mitigating", "mitigating", "accepted"]) if li * im < 10 else "mitigating"}
likelihood: {li}
impact: {im}
controls:
  - {{id: CTL-a, title: {rng.choice(WORDS)} monitoring, kind: detective, status: in-place}}
  - {{id: CTL-b, title: {rng.choice(WORDS)} redundancy, kind: preventive, status: planned}}
residual: {{likelihood: {rl}, impact: {ri}}}
treatment: {{strategy: mitigate, rationale: Reduce the blast radius, due: 2027-0{rng.randint(1, 9)}-15}}
acceptance: {{by: dana, until: 2027-06-30, rationale: Cheap to live with}}
review: {{last: 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}, by: priya}}
rto_minutes: {rng.choice([30, 60, 120, 240])}
{links}tags: [{rng.choice(WORDS)}, bench]
"""


def runbook_text(j: int, rng: random.Random) -> str:
    steps = ["""\
  - id: s00
    title: Declare the incident in {{ region }}
    role: ic
    minutes: 5"""]
    for k in range(1, 12):
        need = f"s{rng.randrange(max(0, k - 3), k):02d}"
        role = rng.choice(["sre", "dba"])
        steps.append(f"""\
  - id: s{k:02d}
    title: Step {k} on {{{{ region }}}}
    role: {role}
    needs: [{need}]
    minutes: {rng.randint(2, 20)}
    run: kubectl -n payments-{{{{ region }}}} rollout restart deploy/api-{k}
    verify: All pods ready in payments-{{{{ region }}}}""")
    return f"""\
id: rb-{j:04d}
title: Runbook {j}
severity: SEV-{rng.randint(1, 3)}
owner: team-platform
triggers: [Alert {j}]
inputs:
  region: {{description: Region, required: true, choices: [eu-west-1, us-east-1]}}
steps:
""" + "\n".join(steps) + "\n"


def generate(root: Path, risks: int, runbooks: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    (root / "risks").mkdir(parents=True, exist_ok=True)
    (root / "runbooks").mkdir(parents=True, exist_ok=True)
    (root / "riskkit.yaml").write_text(SETTINGS)
    for j in range(runbooks):
        (root / "runbooks" / f"rb-{j:04d}.yaml").write_text(runbook_text(j, rng))
    for i in range(risks):
        (root / "risks" / f"RSK-{i:05d}.yaml").write_text(risk_text(i, rng, runbooks))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--risks", type=int, default=10_000)
    parser.add_argument("--runbooks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.dir, args.risks, args.runbooks, args.seed)


if __name__ == "__main__":
    main()
