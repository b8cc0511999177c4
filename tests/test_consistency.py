"""Every view gives the same answer to the same question.

Generated workspaces (risks of every status and level, runbooks with and without RTOs,
links declared on either side, drills old and recent) are run through every view; each
risk's level, appetite breach, each runbook's ETA-vs-RTO verdict and drill need must be
the same in ``risks``, ``matrix``, ``review``, ``report``, ``runbook show/list``,
``drill plan`` and ``validate``, and must match what the test works out on its own from
the files it wrote.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re

import pytest

AS_OF = "2026-11-26"
LEVELS = ["low", "medium", "high", "critical"]  # the 5x5 preset, lowest first
APPETITE = "medium"
DRILL_DAYS = {"critical": 90, "high": 180, "medium": 365}
STATUSES = ["open", "mitigating", "accepted", "closed"]
SETTINGS = f"""\
name: Consistency Co
matrix: 5x5
appetite: {APPETITE}
review_days: {{critical: 30, high: 90, medium: 180, low: 365}}
drill_days: {{critical: 90, high: 180, medium: 365}}
roles:
  ic: {{title: Incident commander}}
  sre: {{title: SRE on-call}}
"""


def level_of(score: int) -> str:
    """The 5x5 preset's thresholds, written out independently of riskkit."""
    if score >= 17:
        return "critical"
    if score >= 10:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


def generate(seed: int) -> tuple[dict[str, str], dict]:
    """Files of a random workspace, and the facts the test knows about them."""
    rng = random.Random(seed)
    files: dict[str, str] = {"riskkit.yaml": SETTINGS}
    risks, runbooks = {}, {}
    for i in range(rng.randint(6, 14)):
        rid = f"RSK-{i:03d}"
        lik, imp = rng.randint(1, 5), rng.randint(1, 5)
        status = rng.choice(STATUSES)
        rto = rng.choice([None, 5, 20, 45, 90, 240])
        risks[rid] = {"level": level_of(lik * imp), "status": status, "rto": rto,
                      "score": lik * imp, "runbooks": set()}
        text = (f"id: {rid}\ntitle: Risk {i}\nowner: team-{i % 3}\nstatus: {status}\n"
                f"likelihood: {lik}\nimpact: {imp}\n")
        if status == "accepted":
            text += "acceptance: {by: dana, until: 2027-06-30}\n"
        if rng.random() < 0.5:
            text += "treatment: {strategy: mitigate, due: 2027-03-31}\n"
        if rto is not None:
            text += f"rto_minutes: {rto}\n"
        files[f"risks/{rid}.yaml"] = text
    ids = sorted(risks)
    for j in range(rng.randint(3, 6)):
        bid = f"rb-{j}"
        count = rng.randint(1, 5)
        minutes = [rng.choice([2, 5, 10, 15, 30]) for _ in range(count)]
        parallel = rng.random() < 0.4  # all steps after the first run side by side
        steps = []
        for k, m in enumerate(minutes):
            needs = [] if k == 0 else ["s0"] if parallel else [f"s{k - 1}"]
            steps.append(f"  - {{id: s{k}, title: Step {k}, role: sre, minutes: {m}, "
                         f"needs: {json.dumps(needs)}}}\n")
        eta = minutes[0] + (max(minutes[1:], default=0) if parallel else sum(minutes[1:]))
        declared = rng.sample(ids, rng.randint(0, 2))
        runbooks[bid] = {"eta": eta, "risks": set(declared)}
        files[f"runbooks/{bid}.yaml"] = (
            f"id: {bid}\ntitle: Runbook {j}\nowner: team-0\nrisks: {json.dumps(declared)}\n"
            f"steps:\n{''.join(steps)}")
        for rid in declared:
            risks[rid]["runbooks"].add(bid)
    for rid in ids:  # links declared from the risk's side too
        if rng.random() < 0.3:
            bid = rng.choice(sorted(runbooks))
            files[f"risks/{rid}.yaml"] += f"runbooks: [{bid}]\n"
            risks[rid]["runbooks"].add(bid)
            runbooks[bid]["risks"].add(rid)
    drilled = {}
    for bid in sorted(runbooks):
        if rng.random() < 0.5:
            day = dt.date(2026, 11, 26) - dt.timedelta(days=rng.choice([10, 100, 200, 400]))
            drilled[bid] = day
            files[f"drills/{bid}-{day}.yaml"] = (
                f"runbook: {bid}\ndate: {day}\nkind: tabletop\noutcome: pass\n")
    return files, {"risks": risks, "runbooks": runbooks, "drilled": drilled}


def write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def expected(facts: dict) -> dict:
    """The answers, worked out from the facts alone."""
    risks, runbooks = facts["risks"], facts["runbooks"]
    active = {rid for rid, r in risks.items() if r["status"] != "closed"}
    above = {rid for rid in active
             if LEVELS.index(risks[rid]["level"]) > LEVELS.index(APPETITE)}
    verdicts, needs = {}, {}
    for bid, rb in runbooks.items():
        rtos = [risks[r]["rto"] for r in rb["risks"] if r in active and risks[r]["rto"]]
        verdicts[bid] = None if not rtos else rb["eta"] <= min(rtos)
        needing = [r for r in rb["risks"] if r in active and risks[r]["level"] in DRILL_DAYS]
        if needing:
            top = min(needing, key=lambda r: (-LEVELS.index(risks[r]["level"]),
                                              -risks[r]["score"], r))
            needs[bid] = (top, min(DRILL_DAYS[risks[r]["level"]] for r in needing))
    return {"above": above, "verdicts": verdicts, "needs": needs,
            "levels": {rid: r["level"] for rid, r in risks.items()}}


@pytest.mark.parametrize("seed", range(8))
def test_every_view_agrees(run, tmp_path, seed):
    files, facts = generate(seed)
    root = tmp_path / "ws"
    write(root, files)
    want = expected(facts)

    def ok(*args):
        result = run("-C", root, *args, "--as-of", AS_OF)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    def as_json(*args):
        return json.loads(ok(*args, "--format", "json"))

    # risks: levels and appetite
    table = as_json("risks")
    assert {r["id"]: r["level"] for r in table} == want["levels"]
    assert {r["id"] for r in table if r["above_appetite"]} == want["above"]
    assert {r["id"] for r in as_json("risks", "--above-appetite")} == want["above"]
    marked = {line.split()[0] for line in ok("risks").splitlines()
              if line.startswith("RSK-") and "!" in line.split()[1]}
    assert marked == want["above"]

    # matrix: every active risk in the cell of its level (closed risks are off the map)
    cells = as_json("matrix")["cells"]
    placed = {rid: cell["level"] for cell in cells for rid in cell["risks"]}
    active = {rid for rid, r in facts["risks"].items() if r["status"] != "closed"}
    assert placed == {rid: lv for rid, lv in want["levels"].items() if rid in active}

    # runbook list and show: ETA and verdict
    listed = {rb["id"]: rb for rb in as_json("runbook", "list")}
    assert {b: rb["eta_minutes"] for b, rb in listed.items()} == \
        {b: rb["eta"] for b, rb in facts["runbooks"].items()}
    for bid, verdict in want["verdicts"].items():
        shown = as_json("runbook", "show", bid)
        assert shown["within_rto"] == verdict, bid
        text = ok("runbook", "show", bid)
        assert ("ABOVE the RTO" in text) == (verdict is False), bid
        assert ("within the RTO" in text) == (verdict is True), bid

    # review: appetite findings, ETA above RTO, drill need
    findings = as_json("review")["findings"]
    by_kind: dict[str, set] = {}
    for f in findings:
        by_kind.setdefault(f["kind"], set()).add(f["subject"])
    accepted = {rid for rid, r in facts["risks"].items() if r["status"] == "accepted"}
    untreated = {rid for rid in want["above"] - accepted
                 if "treatment:" not in files[f"risks/{rid}.yaml"]}
    assert by_kind.get("no-treatment", set()) == untreated
    unanswered = {rid for rid in want["above"] - accepted
                  if not facts["risks"][rid]["runbooks"]}
    assert by_kind.get("no-runbook", set()) == unanswered
    above_rto = {b for b, v in want["verdicts"].items() if v is False}
    assert by_kind.get("eta-above-rto", set()) == above_rto
    drill_findings = by_kind.get("drill-never", set()) | by_kind.get("drill-overdue", set())
    assert drill_findings <= set(want["needs"])
    assert by_kind.get("drill-never", set()) == set(want["needs"]) - set(facts["drilled"])
    for f in findings:
        if f["kind"] in ("drill-never", "drill-overdue"):
            top, interval = want["needs"][f["subject"]]
            assert top in f["message"] and f"{interval}-day" in f["message"] \
                or f"every {interval} days" in f["message"], f

    # validate: W006 says the same as review
    problems = json.loads(run("-C", root, "validate", "--format", "json",
                              "--as-of", AS_OF).stdout)
    assert {p["path"].split("/")[1].removesuffix(".yaml") for p in problems
            if p["code"] == "W006"} == above_rto

    # drill plan: only runbooks that need drills, for the same risk
    plan = as_json("drill", "plan", "--quarter", "2027Q1")["due"]
    for item in plan:
        top, interval = want["needs"][item["runbook"]]
        assert (item["risk"], item["interval_days"]) == (top, interval)
    assert {d["runbook"] for d in plan} >= set(want["needs"]) - set(facts["drilled"])

    # report: the same counts, verdicts and plan
    out = tmp_path / "report.html"
    ok("report", "-o", out)
    page = html.unescape(out.read_text())
    card = re.search(r"<b[^>]*>(\d+)</b>above appetite", page)
    assert card and int(card.group(1)) == len(want["above"])
    rows = re.findall(r'<span class="id"[^>]*>([^<]+)</span><br><small>[^<]*</small></td>'
                      r'<td>[^<]*</td><td class="num">\d+</td><td class="num ([a-z ]*)">',
                      page)
    assert {b for b, cls in rows if "bad" in cls} == above_rto
    assert {b for b, _ in rows} == set(facts["runbooks"])
    due = set(re.findall(r'<tr><td>\d+</td><td class="id">([^<]+)</td>', page))
    assert due == {d["runbook"] for d in plan}


def test_a_closed_risk_holds_no_view_to_its_rto(run, tmp_path):
    """The case that split the views: a closed risk with a 5-minute RTO on a 30-minute
    runbook. No view may call the runbook above the RTO, and none counts the risk as above
    the appetite."""
    root = tmp_path / "ws"
    write(root, {
        "riskkit.yaml": SETTINGS,
        "risks/RSK-1.yaml": "id: RSK-1\ntitle: Old\nowner: o\nstatus: closed\nlikelihood: 5\n"
                            "impact: 5\nrto_minutes: 5\nrunbooks: [slow]\n",
        "runbooks/slow.yaml": "id: slow\ntitle: Slow\ntriggers: [SlowAlert]\nsteps:\n"
                              "  - {id: a, title: A, role: sre, minutes: 30, verify: ok}\n",
    })
    args = ("--as-of", AS_OF)
    assert run("-C", root, "validate", "--strict", *args).exit_code == 0
    assert "eta-above-rto" not in run("-C", root, "review", *args).stdout
    shown = run("-C", root, "runbook", "show", "slow", *args).stdout
    assert "ABOVE" not in shown and "within the RTO" not in shown
    assert "RSK-1 (closed, critical 25, RTO 5 min)" in shown
    assert json.loads(run("-C", root, "runbook", "show", "slow", "--format", "json",
                          *args).stdout)["within_rto"] is None
    assert run("-C", root, "risks", "--above-appetite", "--format", "json",
               *args).stdout.strip() == "[]"
    out = tmp_path / "r.html"
    run("-C", root, "report", "-o", out, *args)
    assert re.search(r"<b[^>]*>0</b>above appetite", out.read_text())
    assert 'class="num bad"' not in out.read_text()
