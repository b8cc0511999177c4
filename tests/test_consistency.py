"""Every view gives the same answer to the same question.

Generated workspaces (risks of every status and level, runbooks with and without RTOs,
links declared on either side, drills old and recent) are run through every view; each
risk's level, appetite breach, each runbook's ETA-vs-RTO verdict and drill need must be
the same in ``risks``, ``matrix``, ``review``, ``report``, ``runbook show/list``,
``drill plan`` and ``validate``, and must match what the test works out on its own from
the files it wrote. Steps may be marked ``mitigates`` (the time to mitigate then runs to
the first marked step to finish) and drills time steps (the time to mitigate as drilled,
from the median of each step's last three timed drills, is held against the RTO too).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
import statistics

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
            if rng.random() < 0.3:
                steps[-1] = steps[-1].replace("}\n", ", mitigates: true}\n")
        marked = [k for k, step in enumerate(steps) if "mitigates" in step]
        eta = timing(minutes, parallel, marked)
        declared = rng.sample(ids, rng.randint(0, 2))
        runbooks[bid] = {"eta": eta, "finish": timing(minutes, parallel, []),
                         "minutes": minutes, "parallel": parallel, "marked": marked,
                         "risks": set(declared)}
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
            ages = sorted(rng.sample([10, 40, 100, 200, 400], rng.randint(1, 4)), reverse=True)
            timed: dict[int, list[int]] = {}  # step -> minutes, oldest drill first
            for age in ages:
                day = dt.date(2026, 11, 26) - dt.timedelta(days=age)
                drilled[bid] = day  # the last one wins: ages run from oldest to newest
                text = f"runbook: {bid}\ndate: {day}\nkind: tabletop\noutcome: pass\n"
                took = {k: rng.choice([1, 4, 12, 25, 40])
                        for k in range(len(runbooks[bid]["minutes"])) if rng.random() < 0.5}
                if took:
                    text += "steps:\n" + "".join(f"  s{k}: {{minutes: {m}}}\n"
                                                 for k, m in took.items())
                for k, m in took.items():
                    timed.setdefault(k, []).append(m)
                files[f"drills/{bid}-{day}.yaml"] = text
            if timed:  # the median of each step's last three timed drills
                rb = runbooks[bid]
                measured = {k: statistics.median(v[-3:]) for k, v in timed.items()}
                rb["drilled"] = timing([measured.get(k, m) for k, m in enumerate(rb["minutes"])],
                                       rb["parallel"], rb["marked"])
    return files, {"risks": risks, "runbooks": runbooks, "drilled": drilled}


def timing(minutes: list[float], parallel: bool, marked: list[int]) -> float:
    """The time to mitigate of a generated runbook, worked out by hand: step k finishes
    at the sum of the chain up to it (or after the first step, when the rest run side by
    side); the impact ends at the first marked step to finish, else at the last."""
    finish = [minutes[0] + (m if parallel and k else 0) if parallel else sum(minutes[:k + 1])
              for k, m in enumerate(minutes)]
    return min(finish[k] for k in marked) if marked else max(finish)


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
    verdicts, drilled, needs = {}, {}, {}
    for bid, rb in runbooks.items():
        rtos = [risks[r]["rto"] for r in rb["risks"] if r in active and risks[r]["rto"]]
        verdicts[bid] = None if not rtos else rb["eta"] <= min(rtos)
        drilled[bid] = None if not rtos or "drilled" not in rb else rb["drilled"] <= min(rtos)
        needing = [r for r in rb["risks"] if r in active and risks[r]["level"] in DRILL_DAYS]
        if needing:
            top = min(needing, key=lambda r: (-LEVELS.index(risks[r]["level"]),
                                              -risks[r]["score"], r))
            needs[bid] = (top, min(DRILL_DAYS[risks[r]["level"]] for r in needing))
    return {"above": above, "verdicts": verdicts, "drilled": drilled, "needs": needs,
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
    assert {b: (rb["eta_minutes"], rb["finish_minutes"]) for b, rb in listed.items()} == \
        {b: (rb["eta"], rb["finish"]) for b, rb in facts["runbooks"].items()}
    assert {b: rb["within_rto"] for b, rb in listed.items()} == want["verdicts"]
    list_text = {line.split()[0]: line.split()[3] for line in ok("runbook", "list")
                 .splitlines()[2:] if line.startswith("rb-")}
    assert {b for b, eta in list_text.items() if eta.endswith("!")} == \
        {b for b, v in want["verdicts"].items() if v is False}
    for bid, verdict in want["verdicts"].items():
        rb, drilled = facts["runbooks"][bid], want["drilled"][bid]
        shown = as_json("runbook", "show", bid)
        assert shown["within_rto"] == verdict, bid
        assert (shown["eta_minutes"], shown["finish_minutes"]) == (rb["eta"], rb["finish"])
        assert shown["drilled_eta_minutes"] == rb.get("drilled"), bid
        assert shown["drilled_within_rto"] == drilled, bid
        lines = ok("runbook", "show", bid).splitlines()
        [eta_line] = [ln for ln in lines if ln.startswith("expected time to mitigate:")]
        assert ("ABOVE the RTO" in eta_line) == (verdict is False), bid
        assert ("within the RTO" in eta_line) == (verdict is True), bid
        as_drilled = [ln for ln in lines if ln.startswith("as drilled:")]
        assert bool(as_drilled) == ("drilled" in rb), bid
        assert any("ABOVE the RTO" in ln for ln in as_drilled) == (drilled is False), bid
        # the plan's header: the same two verdicts
        header = ok("runbook", "render", bid).split("\n\n")[2]
        assert header.startswith(f"**Expected time to mitigate: {rb['eta']:g} min**"), header
        assert ("ABOVE the RTO)" in header) == (verdict is False), (bid, header)
        assert ("as drilled**" in header) == (drilled is False), (bid, header)

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
    drilled_above = {b for b, v in want["drilled"].items() if v is False}
    assert by_kind.get("drilled-above-rto", set()) == drilled_above
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
    drilled_cells = re.findall(r'<span class="id"[^>]*>([^<]+)</span><br><small>[^<]*</small>'
                               r'</td><td>[^<]*</td><td class="num">\d+</td><td class="num '
                               r'[a-z ]*">[^<]*</td><td class="num ([a-z ]*)">([^<]*)</td>',
                               page)
    assert {b: cell for b, _, cell in drilled_cells} == \
        {b: f"{rb['drilled']:g}" if "drilled" in rb else "-"
         for b, rb in facts["runbooks"].items()}
    assert {b for b, cls, _ in drilled_cells if "bad" in cls} == drilled_above
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
