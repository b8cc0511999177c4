"""Typed views: the plan view that ``runbook show``, ``graph`` and the templates read, and the
small records kept on risks and drills (treatment, acceptance, review, drill findings).

Their JSON keeps the shape it had as dicts, key for key and in order; a built-in template
cannot name a field the view does not have.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from conftest import REPO
from test_git import GIT_ENV, commit, git, write

AS_OF = dt.date(2026, 11, 30)
TEMPLATES = REPO / "riskkit" / "present" / "templates"

PLAN_KEYS = ["id", "title", "summary", "severity", "owner", "file", "scenario", "scenarios",
             "triggers", "inputs", "comms", "exit_criteria", "stages", "critical_path",
             "eta_minutes", "mitigated_by", "finish_path", "finish_minutes",
             "drilled_critical_path", "drilled_eta_minutes", "entry", "exit",
             "unestimated", "roles", "role_load", "risks", "rto_minutes", "within_rto",
             "drilled_within_rto", "measured_in", "steps", "missing", "alerts"]
STEP_KEYS = ["id", "title", "role", "needs", "minutes", "measured_minutes", "incident_minutes",
             "do", "run",
             "verify", "rollback", "when", "approval", "irreversible", "mitigates", "stage", "critical",
             "line"]
ROLE_KEYS = ["id", "title", "contact", "pager", "phone", "steps", "minutes", "approves"]
RISK_KEYS = ["id", "title", "owner", "status", "level", "level_name", "color", "score",
             "residual", "rto_minutes", "controls"]
RESIDUAL_KEYS = ["likelihood", "impact", "score", "level", "level_name", "color"]
INPUT_KEYS = ["name", "description", "required", "default", "choices", "pattern"]
COMMS_KEYS = ["channel", "cadence_minutes", "audiences", "notes"]


@pytest.fixture(scope="module")
def demo():
    """The demo workspace (the repository itself), loaded once, without the cache."""
    from riskkit.load import load
    from riskkit.workspace import open_workspace

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RISKKIT_NO_CACHE", "1")
        ws = open_workspace(REPO)
        loaded = load(ws, AS_OF)
    assert not [p for p in loaded.problems if p.is_error], loaded.problems
    return ws, loaded


def _plans(demo):
    """(runbook, scenario) for every demo runbook, whole and for each of its scenarios."""
    _, loaded = demo
    return [(rb, scenario) for rb in loaded.runbooks for scenario in [None, *rb.scenarios]]


# --- the plan view as JSON ---------------------------------------------------------------

def test_show_json_is_the_view_with_its_keys_in_order(run, demo):
    from riskkit.runbook.view import view

    ws, loaded = demo
    kinds = set()
    for rb, scenario in _plans(demo):
        args = ["--scenario", scenario] if scenario else []
        result = run("-C", REPO, "runbook", "show", rb.id, *args, "--format", "json",
                     "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        plan = view(rb, ws.roles, loaded.risks_of(rb.id), scenario, loaded.measured(rb.id))
        assert data == plan.to_dict()
        assert list(data) == PLAN_KEYS
        assert list(data["comms"]) == COMMS_KEYS
        assert all(list(s) == STEP_KEYS for s in data["steps"])
        assert all(list(r) == ROLE_KEYS for r in data["roles"])
        assert all(list(r) == RISK_KEYS for r in data["risks"])
        assert all(list(r["residual"]) == RESIDUAL_KEYS for r in data["risks"] if r["residual"])
        assert all(list(i) == INPUT_KEYS for i in data["inputs"])
        assert all(list(load) == ["stage", "roles"] for load in data["role_load"])
        kinds |= {("inputs", bool(data["inputs"])),
                  ("drilled", data["drilled_eta_minutes"] is not None)}
    # the demo has inputs, and plans with drilled minutes and without
    assert kinds >= {("inputs", True), ("drilled", True), ("drilled", False)}


def test_the_view_is_frozen_and_rendering_returns_a_new_one(demo):
    from riskkit.runbook.render import render_steps
    from riskkit.runbook.view import view

    ws, loaded = demo
    rb = next(rb for rb in loaded.runbooks if rb.inputs)
    plan = view(rb, ws.roles, loaded.risks_of(rb.id))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.title = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.steps[0].title = "changed"  # type: ignore[misc]
    before = plan.to_dict()
    rendered = render_steps(rb, plan, {i.name: f"<{i.name}>" for i in rb.inputs})
    assert plan.to_dict() == before
    assert rendered.to_dict() != before  # the inputs were filled in the copy


# --- templates against the view ----------------------------------------------------------

def _contexts(demo, monkeypatch):
    """A plan context and a checklist context for every demo runbook and scenario."""
    from riskkit.present import documents

    ws, loaded = demo
    # Any value will do for an input: these tests are about the fields templates read.
    monkeypatch.setattr(documents, "resolve_inputs",
                        lambda rb, given, **_: {i.name: f"<{i.name}>" for i in rb.inputs})
    for rb, scenario in _plans(demo):
        measured = loaded.measured(rb.id)
        yield (documents.plan_context(ws, loaded, rb, {}, scenario, AS_OF, measured),
               documents.checklist_context(ws, loaded, rb, {}, scenario, AS_OF, "tabletop",
                                           measured))


def test_every_built_in_template_renders_over_every_demo_runbook(demo, monkeypatch, tmp_path):
    from jinja2 import StrictUndefined

    from riskkit.present.jinja import environment
    from riskkit.present.report import report_context

    ws, loaded = demo
    # the built-in templates alone, as documents render them: an undefined name or field
    # is an error, never a blank (one environment each, so each template compiles once)
    envs = {html: environment(None, html) for html in (False, True)}
    assert all(issubclass(env.undefined, StrictUndefined) for env in envs.values())
    rendered = set()

    def render(name: str, context: dict) -> None:
        assert envs[name.endswith(".html.j2")].get_template(name).render(context), name
        rendered.add(name)

    checklists = []
    for plan, checklist in _contexts(demo, monkeypatch):
        for fmt in ("md", "html", "txt"):
            render(f"plan.{fmt}.j2", {**plan, "paper": "letter"})
        checklists.append(checklist)
    for fmt in ("md", "html"):
        render(f"checklist.{fmt}.j2", {"checklists": checklists, "org": ws.name, "paper": "a4"})
    render("report.html.j2", report_context(loaded, AS_OF))
    from riskkit.present.rollup import rollup_context

    render("rollup.html.j2", rollup_context([("a", loaded), ("b", loaded)], AS_OF))
    from riskkit.present.binder import binder_context
    from riskkit.present.site import site_files

    render("binder.html.j2", {**binder_context(loaded, loaded.runbooks, None, AS_OF),
                              "paper": "a4"})
    # the site's pages render through the same strict environment (render_template)
    pages = site_files(loaded, AS_OF, "https://runbooks.example.com/")
    assert len([p for p in pages if p.endswith(".html")]) == len(loaded.runbooks) + 1
    rendered.update({"site_index.html.j2", "site_runbook.html.j2"})
    # the incident status board, over an incident of every demo runbook and scenario
    for board in _boards(demo):
        render("board.html.j2", board)
    # the postmortem draft, over an incident of every demo runbook and scenario
    for pm in _postmortems(demo, tmp_path):
        for fmt in ("md", "html"):
            render(f"postmortem.{fmt}.j2", {"pm": pm, "version": "0", "chart": ""})
    # the quarter's retrospective, over the demo (its incidents and drills)
    from riskkit.present.retro import RetroView, _context, charts
    from riskkit.retro.quarter import retro

    quarter = retro(loaded, "2026Q4", AS_OF)
    for fmt in ("md", "html"):
        render(f"retro.{fmt}.j2", {**_context(RetroView(quarter)), "charts": charts(quarter)})
    # the partials (_step.html.j2, _print.css.j2) are included by the pages above
    assert rendered == {p.name for p in TEMPLATES.glob("*.j2") if not p.name.startswith("_")}


def _boards(demo):
    """The board's context for an incident of every demo runbook and scenario, a step
    done, one begun, an update sent and one closed."""
    import datetime as dt

    from riskkit.incident.journal import new_event
    from riskkit.incident.pinned import Pinned, PinnedRisk, digest
    from riskkit.incident.state import incident_state
    from riskkit.present.board import board_context
    from riskkit.present.incident import NowView

    ws, loaded = demo
    start = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone.utc)
    for n, (rb, scenario) in enumerate(_plans(demo)):
        source = (ws.root / rb.file).read_text(encoding="utf-8")
        pin = Pinned(rb.id, rb.file, digest(source), None, False, scenario,
                     {i.name: f"<{i.name}>" for i in rb.inputs},
                     tuple(PinnedRisk(r.id, r.title, r.rto_minutes)
                           for r in loaded.risks_of(rb.id)), ws.roles, source)
        first = rb.shape.entry[0]
        events = [new_event("start", start, "dana", **pin.start_data()),
                  new_event("done", start + dt.timedelta(minutes=5), "dana", step=first),
                  new_event("status-update", start + dt.timedelta(minutes=6), "kim",
                            text="Investigating")]
        if n % 2:
            events.append(new_event("close", start + dt.timedelta(minutes=9), "dana",
                                    outcome="mitigated"))
        state = incident_state(f"INC-{n}", events, rb, pin,
                               start + dt.timedelta(minutes=10))
        yield board_context(NowView(state, n % 3 == 0, ws.name))


def _postmortems(demo, tmp_path):
    """The postmortem of an incident of every demo runbook and scenario (as _boards),
    each with an action item."""
    import datetime as dt

    from riskkit.incident import journal
    from riskkit.incident.journal import new_event
    from riskkit.incident.pinned import Pinned, PinnedRisk, digest
    from riskkit.incident.postmortem import postmortem
    from riskkit.incident.store import read_incident

    ws, loaded = demo
    start = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone.utc)
    for n, (rb, scenario) in enumerate(_plans(demo)):
        source = (ws.root / rb.file).read_text(encoding="utf-8")
        pin = Pinned(rb.id, rb.file, digest(source), None, False, scenario,
                     {i.name: f"<{i.name}>" for i in rb.inputs},
                     tuple(PinnedRisk(r.id, r.title, r.rto_minutes)
                           for r in loaded.risks_of(rb.id)), ws.roles, source)
        first = rb.shape.entry[0]
        events = [new_event("start", start, "dana", **pin.start_data()),
                  new_event("assign", start, "dana", role="ic", name="dana"),
                  new_event("done", start + dt.timedelta(minutes=5), "dana", step=first),
                  new_event("close", start + dt.timedelta(minutes=9), "dana",
                            outcome="mitigated"),
                  new_event("action", start + dt.timedelta(minutes=20), "dana",
                            title="Fix the alert", owner="team-x", due="2026-11-20")]
        path = tmp_path / "pm" / f"INC-{n}" / "journal"
        path.parent.mkdir(parents=True)
        journal.create(path, events[0])
        for event in events[1:]:
            journal.append(path, "journal", lambda *_, e=event: e)
        yield postmortem(read_incident(f"INC-{n}", path), AS_OF, loaded.measured(rb.id),
                         ws.name)


def test_templates_name_only_fields_the_views_have():
    """Every ``plan.x``, ``s.x``, ``stage.x``… in the built-in templates is a field of the
    record that name holds, even on a branch no demo runbook takes."""
    from jinja2 import Environment, nodes

    from riskkit.present.documents import CommandBlock, FilledInput, PrintedStep, Stage
    from riskkit.runbook.view import CommsView, PlanView

    def names(kind) -> set[str]:  # its fields and its properties
        return {f.name for f in dataclasses.fields(kind)} | {
            n for n in dir(kind) if isinstance(getattr(kind, n, None), property)}

    from riskkit.incident.postmortem import Postmortem, StepRecord

    holds = {"p": names(PlanView), "plan": names(PlanView), "s": names(PrintedStep),
             "stage": names(Stage), "b": names(CommandBlock), "i": names(FilledInput),
             "pm": names(Postmortem), "st": names(StepRecord)}
    checked, wrong = 0, []
    for path in sorted(TEMPLATES.glob("*.j2")):
        if path.name in ("report.html.j2", "rollup.html.j2"):  # dicts, not the plan view
            continue
        tree = Environment().parse(path.read_text(encoding="utf-8"))
        for node in tree.find_all(nodes.Getattr):
            base = node.node
            if isinstance(base, nodes.Name) and base.name in holds:
                allowed, what = holds[base.name], f"{base.name}.{node.attr}"
            elif isinstance(base, nodes.Getattr) and base.attr == "comms" \
                    and isinstance(base.node, nodes.Name) and base.node.name in ("p", "plan"):
                allowed, what = names(CommsView), f"{base.node.name}.comms.{node.attr}"
            else:
                continue
            checked += 1
            if node.attr not in allowed:
                wrong.append(f"{path.name}:{node.lineno}: {what}")
    assert wrong == []
    assert checked > 100  # the check looked at the templates, not at nothing


def test_a_template_naming_a_missing_field_is_an_error(demo, monkeypatch):
    from riskkit.present.jinja import render_template
    from riskkit.problems import ProblemsFound

    plan, _ = next(_contexts(demo, monkeypatch))
    stages = [dataclasses.replace(stage, steps=tuple(_Without(s) for s in stage.steps))
              for stage in plan["stages"]]
    with pytest.raises(ProblemsFound) as caught:
        render_template(None, "plan.md.j2", {**plan, "stages": stages})
    assert "rollback_blocks" in str(caught.value.problems[0].message)


class _Without:
    """A step that lacks ``rollback_blocks``, as a view built without it would."""

    def __init__(self, step):
        self._step = step

    def __getattr__(self, name):
        if name == "rollback_blocks":
            raise AttributeError(name)
        return getattr(self._step, name)


# --- records on risks and drills ---------------------------------------------------------

RISK = """\
id: RSK-1
title: Primary database lost
owner: team-data
status: accepted
likelihood: 3
impact: 4
treatment: {due: 2027-06-30, strategy: mitigate}
acceptance: {until: 2027-03-31, rationale: Replaced in Q2, by: cfo}
review: {by: dana, last: 2026-11-02}
"""


def test_risk_records_print_as_written(run, make_ws):
    root = make_ws({"risks/RSK-1.yaml": RISK})
    result = run("-C", root, "risks", "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    (risk,) = json.loads(result.stdout)
    assert list(risk["treatment"].items()) == [("due", "2027-06-30"), ("strategy", "mitigate")]
    assert list(risk["acceptance"].items()) == [("until", "2027-03-31"),
                                                ("rationale", "Replaced in Q2"), ("by", "cfo")]
    assert list(risk["review"].items()) == [("by", "dana"), ("last", "2026-11-02")]


def test_risk_records_are_read_by_name(make_ws):
    from riskkit.load import load
    from riskkit.workspace import open_workspace

    root = make_ws({"risks/RSK-1.yaml": RISK})
    (risk,) = load(open_workspace(root), AS_OF).risks
    assert (risk.treatment.strategy, risk.treatment.due, risk.treatment.rationale) == \
        ("mitigate", "2027-06-30", None)
    assert (risk.acceptance.by, risk.acceptance.until, risk.acceptance.since) == \
        ("cfo", "2027-03-31", None)
    assert risk.review.by == "dana"
    assert risk.date("review", "last") == dt.date(2026, 11, 2)
    assert risk.date("acceptance", "since") is None


def test_drill_records_are_read_by_name_and_print_as_written(make_ws):
    from riskkit.drill.model import DrillFinding, StepResult, parse_finding
    from riskkit.load import load
    from riskkit.workspace import open_workspace

    root = make_ws({
        "runbooks/rb.yaml": "id: rb\ntitle: Runbook\nsteps:\n"
                            "  - {id: a, title: Step a, minutes: 5}\n",
        "drills/2026-10-01-rb.yaml": (
            "runbook: rb\ndate: 2026-10-01\nkind: tabletop\noutcome: pass\n"
            "steps: {a: {note: slow, minutes: 7.5}}\n"
            "findings:\n  - {due: 2026-12-01, title: Alert missing, status: done}\n"),
    })
    loaded = load(open_workspace(root), AS_OF)
    (drill,) = loaded.drills
    assert drill.steps == {"a": StepResult(minutes=7.5, note="slow")}
    assert drill.steps["a"].to_dict() == {"note": "slow", "minutes": 7.5}
    assert loaded.measured("rb") == {"a": 7.5}
    (finding,) = drill.findings
    assert (finding.title, finding.owner, finding.due, finding.status) == \
        ("Alert missing", None, "2026-12-01", "done")
    assert list(finding.to_dict()) == ["due", "title", "status"]
    # made in code, a record prints its set fields in field order
    assert parse_finding("Fix it | team-data | 2027-01-31").to_dict() == {
        "title": "Fix it", "owner": "team-data", "due": "2027-01-31"}
    assert DrillFinding("Fix it").to_dict() == {"title": "Fix it"}
    # equal whatever order they were written in, as the dicts were
    assert DrillFinding.from_dict({"due": "2027-01-31", "title": "t"}) == \
        DrillFinding.from_dict({"title": "t", "due": "2027-01-31"})


def test_diff_and_history_show_a_changed_treatment_as_written(run, make_ws, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = make_ws({"risks/RSK-1.yaml": RISK})
    git(root, "init", "-q")
    commit(root, "a risk", "2026-11-01T10:00:00Z")
    write(root, "risks/RSK-1.yaml", RISK.replace(
        "treatment: {due: 2027-06-30, strategy: mitigate}",
        "treatment: {strategy: transfer, rationale: Insured}"))
    commit(root, "insured", "2026-11-02T10:00:00Z")
    result = run("-C", root, "diff", "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    (changed,) = json.loads(result.stdout)["risks"]["changed"]
    assert changed["changes"] == [{"field": "treatment",
                                   "from": {"due": "2027-06-30", "strategy": "mitigate"},
                                   "to": {"strategy": "transfer", "rationale": "Insured"}}]
    text = run("-C", root, "diff", "HEAD~1", "HEAD").stdout
    assert "~ RSK-1 treatment {due: 2027-06-30, strategy: mitigate} -> {strategy: transfer}" \
        in text
    history = json.loads(run("-C", root, "history", "RSK-1", "--format", "json").stdout)
    assert [e["state"]["treatment"] for e in history["entries"]] == [
        {"due": "2027-06-30", "strategy": "mitigate"},
        {"strategy": "transfer", "rationale": "Insured"}]
    assert history["entries"][1]["changes"] == ["treatment"]


def test_a_reordered_record_is_no_change(run, make_ws, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = make_ws({"risks/RSK-1.yaml": RISK})
    git(root, "init", "-q")
    commit(root, "a risk", "2026-11-01T10:00:00Z")
    write(root, "risks/RSK-1.yaml", RISK.replace("{due: 2027-06-30, strategy: mitigate}",
                                                 "{strategy: mitigate, due: 2027-06-30}"))
    result = run("-C", root, "diff", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["risks"]["changed"] == []
