"""Incident commands: start a runbook as a live incident, record what happens, see where
it stands (``riskkit incident …``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

import riskkit.cli.common as common
from riskkit.cli.app import cli
from riskkit.cli.common import (as_of_option, emit, format_option, output_option, say, today,
                                with_vars, workspace)

if TYPE_CHECKING:
    from click.decorators import FC

    from riskkit.incident.store import Incident
    from riskkit.incident.transitions import Action
    from riskkit.workspace import Workspace


@cli.group()
def incident() -> None:
    """Live incidents: start a runbook, see what is unblocked for whom, record what was
    done, hand over.

    Each incident is an append-only journal in incidents/<id>/journal, kept in git:
    two people appending in two clones merge without a conflict (the .gitattributes
    that riskkit init writes makes it so). A command picks its incident with -i ID, or
    the one open incident.

    \b
    riskkit incident start db-failover --var region=eu-west-1 --scenario host-lost
    riskkit incident now
    riskkit incident begin declare --at 10:02
    riskkit incident done declare --note "Paged dba and sre"
    riskkit incident approve promote --by dana
    riskkit incident close --outcome resolved --postmortem
    riskkit incident action "Alert on replica lag" --owner team-data --due 2027-01-15 -i ID
    """


def _at(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """``--at``: HH:MM (today, local time) or ISO 8601 with an offset, as UTC."""
    if value is None:
        return None
    from riskkit.incident.times import TimeError, parse_at

    try:
        return parse_at(value, common.clock())
    except TimeError as exc:
        raise click.BadParameter(str(exc)) from None


incident_option = click.option("-i", "--incident", "incident_id", metavar="ID",
                               help="The incident (default: the one open incident; for "
                               "now and log, the last one started when none is open).")
at_option = click.option("--at", callback=_at, metavar="TIME",
                         help="When: HH:MM (today, local time) or ISO 8601 with an offset "
                         "(2026-12-01T10:21Z); stored in UTC. Default: now.")
by_option = click.option("--by", metavar="NAME",
                         help="Who (default: $RISKKIT_USER, else git config user.name, "
                         "else the login name).")


def recording(func: FC) -> FC:
    """The options every command that appends an event takes."""
    for option in (by_option, at_option, incident_option):
        func = option(func)
    return func


def author(ws: Workspace, given: str | None) -> str:
    """Who records: --by, else $RISKKIT_USER, else git's user.name, else the login."""
    if given and given.strip():
        return given.strip()
    if os.environ.get("RISKKIT_USER", "").strip():
        return os.environ["RISKKIT_USER"].strip()
    from riskkit.git import run
    from riskkit.problems import ConfigError

    try:
        done = run.run(ws.root, "config", "user.name", check=False, timeout=10)
        if done.ok and done.text().strip():
            return done.text().strip()
    except ConfigError:
        pass
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise click.BadParameter("cannot tell who you are: pass --by NAME",
                                 param_hint="--by") from None


# How far ahead of this machine's clock an event may be dated: another machine's clock
# may run a little fast; more is a typo (21:10 for 10:21), and a journal records what
# has happened.
SKEW = dt.timedelta(minutes=5)


def _moment(at: dt.datetime | None, recording: bool = False) -> dt.datetime:
    """``--at`` (else the machine's clock) in UTC; when ``recording`` an event, not in
    the future."""
    from riskkit.incident.times import shown, utc

    clock = utc(common.now())
    moment = utc(at) if at is not None else clock
    if recording and moment > clock + SKEW:
        raise click.BadParameter(f"{shown(moment)} is in the future (this machine's clock "
                                 f"says {shown(clock)}): an event records what has "
                                 "happened", param_hint="--at")
    return moment


def _notes(incident: Incident) -> None:
    for problem in incident.problems:
        say(f"riskkit: note: {problem.format()} (left out; run riskkit validate)", err=True)


def _record(ctx: click.Context, incident_id: str | None, build: Callable[[dt.datetime, str],
                                                                          Action]
            ) -> tuple[Incident, Incident, Any]:
    """Append the event of the action ``build(at, by)`` makes; the incident before and
    after, and the event."""
    from riskkit.incident.store import choose, read_incident, record

    ws = workspace(ctx)
    before = choose(ws, incident_id)
    _notes(before)
    return_action = build(_moment(ctx.params.get("at"), recording=True),
                          author(ws, ctx.params.get("by")))
    event = record(before, return_action)
    after = read_incident(before.id, before.path)
    return before, after, event


def _report(before: Incident, after: Incident, event: Any) -> None:
    """One line on what was recorded, and the steps it unblocked."""
    from riskkit.incident.times import shown

    verb = {"done": "done", "begin": "begun", "skip": "skipped", "approve": "approved",
            "reopen": "reopened", "assign": "assigned", "note": "noted",
            "status-update": "status update recorded", "close": "closed",
            "handover": "handed over"}.get(event.kind, event.kind)
    what = f" {event.step}" if event.step else ""
    if event.kind == "assign":
        what = f" {event.data['role']} to {event.data['name']}"
    say(f"{after.id}: {verb}{what} at {shown(event.at)} by {event.by}")
    was = set(before.state(event.at).unblocked) if event.at >= before.start.at else set()
    now = after.state(event.at)
    fresh = [sid for sid in now.unblocked if sid not in was]
    if fresh:
        parts = []
        for sid in fresh:
            step = now.step(sid)
            assert step is not None
            parts.append(f"{sid} ({step.role or 'no role'}"
                         + (f", awaits approval by {step.approval}" if step.awaits_approval
                            else "") + ")")
        say("unblocked now: " + ", ".join(parts))
    if event.kind != "close" and now.is_open and now.steps and not now.unblocked \
            and not now.in_progress and not now.blocked:
        say("every step is done or skipped: riskkit incident close", err=True)


@incident.command(short_help="Start an incident from a runbook; prints its id.")
@click.argument("runbook_id", metavar="[RUNBOOK]", required=False)
@with_vars
@click.option("--scenario", "-s", metavar="S", help="The scenario it is (its steps only).")
@click.option("--risk", "risk_ids", multiple=True, metavar="RISK-ID",
              help="The risk that occurred (repeatable). Without RUNBOOK: an incident with "
              "no runbook (no steps: notes, status updates, roles, action items, close); "
              "with it: which of the runbook's risks occurred (default: all of them).")
@click.option("--title", metavar="TEXT", help="Without RUNBOOK: what the incident is "
              "(default: the first risk's title).")
@click.option("--severity", metavar="SEV", help="Without RUNBOOK: its severity (SEV-2).")
@click.option("--id", "wanted", metavar="ID",
              help="The incident's id (default: <date>-<runbook>, then -2, -3…).")
@at_option
@by_option
@click.pass_context
def start(ctx: click.Context, runbook_id: str | None, variables: tuple[str, ...],
          vars_file: str | None, scenario: str | None, risk_ids: tuple[str, ...],
          title: str | None, severity: str | None, wanted: str | None,
          at: dt.datetime | None, by: str | None) -> None:
    """Start an incident from RUNBOOK: its inputs are checked exactly as `runbook render`
    checks them, then incidents/<id>/journal is created, pinning the runbook's source,
    content hash and git commit, the scenario and the resolved inputs. Later edits to the
    runbook never change a running incident. Prints the id on stdout.

    An emergency no runbook answers is still an incident: `--risk RISK-ID` without
    RUNBOOK starts one with no steps, to keep its timeline, roles and action items (and
    `review` asks for the runbook it lacked).

    \b
    riskkit incident start leaked-cloud-credentials --scenario user-keys \\
        --var access_key_id=AKIAIOSFODNN7EXAMPLE --var principal=ci-deploy \\
        --var account_id=123456789012 --var ticket=SEC-4711
    riskkit incident start --risk RSK-021 --title "Card network rejects settlements"
    """
    from riskkit.cli.common import parse_vars
    from riskkit.cli.runbook import load_one
    from riskkit.git.info import merge_driver
    from riskkit.incident.store import (journal_rel, pin_runbook, pin_without_runbook,
                                        start as begin_incident)
    from riskkit.incident.times import shown

    if runbook_id is None:
        if not risk_ids:
            raise click.UsageError("Missing argument 'RUNBOOK' (or --risk RISK-ID for an "
                                   "incident no runbook answers).")
        if variables or vars_file or scenario:
            raise click.UsageError("--var, --vars-file and --scenario are a runbook's: "
                                   "give RUNBOOK, or leave them out")
        from riskkit.fastload import load_risks_only

        ws = workspace(ctx)
        moment = _moment(at, recording=True)
        pin = pin_without_runbook(ws, load_risks_only(ws, list(risk_ids)), title, severity)
        what = "no runbook; risks " + ", ".join(r.id for r in pin.risks)
    else:
        if title or severity:
            raise click.UsageError("--title and --severity are for an incident without a "
                                   "runbook (the runbook gives them)")
        ws, loaded, rb = load_one(ctx, runbook_id, None)
        given = parse_vars(variables, vars_file)
        moment = _moment(at, recording=True)
        linked = loaded.risks_of(rb.id)
        if risk_ids:
            answered = {r.id: r for r in linked}
            for rid in risk_ids:
                if rid not in answered:
                    from riskkit.problems import InputError, did_you_mean

                    raise InputError(f"{rid} is not a risk {rb.id} answers"
                                     f"{did_you_mean(rid, answered)} (it answers: "
                                     f"{', '.join(answered) or 'none'}); no incident was "
                                     "started")
            linked = [answered[rid] for rid in dict.fromkeys(risk_ids)]
        pin = pin_runbook(ws, rb, linked, given, scenario)
        what = rb.id + (f", scenario {scenario}" if scenario else "")
    incident_id = begin_incident(ws, pin, moment, author(ws, by), wanted)
    rel = journal_rel(incident_id)
    say(incident_id)
    say(f"riskkit: started incident {incident_id} ({what}) at {shown(moment)}; "
        f"journal {rel}; next: riskkit incident now", err=True)
    driver = merge_driver(ws.root, rel)
    if driver is not None and driver != "union":
        say("riskkit: note: git would not merge this journal line by line: add "
            "'incidents/**/journal merge=union' to the workspace's .gitattributes (riskkit "
            "init writes it), or two clones that both append will conflict", err=True)


@incident.command(short_help="Where the incident stands now.")
@incident_option
@at_option
@format_option("incident")
@output_option
@click.pass_context
def now(ctx: click.Context, incident_id: str | None, at: dt.datetime | None, fmt: str,
        output: str | None) -> None:
    """Elapsed time, steps done, in progress, unblocked and blocked, each role's next
    unblocked steps, approvals pending, the remaining expected time (critical path over
    the steps not done, from now) and the projected finish against the linked risks'
    RTO, and when the next status update is due. --at TIME shows the incident as it
    stood then.

    \b
    --format html -o board.html writes the status board for the incident room's
    screen; it reloads itself every 30 s, so regenerate it in a loop:
      while sleep 20; do riskkit incident now --format html -o board.html; done
    """
    from riskkit.incident.store import choose
    from riskkit.present.incident import NowView
    from riskkit.present.registry import render

    ws = workspace(ctx)
    chosen = choose(ws, incident_id, reading=True)
    _notes(chosen)
    view = NowView(chosen.state(_moment(at)), at is not None, ws.name, ws.root)
    emit(render("incident", fmt, view), output)


def _step_command(name: str, short: str) -> Callable[[Callable[..., None]], click.Command]:
    """A command on one STEP, with -i, --at and --by."""
    def wrap(func: Callable[..., None]) -> click.Command:
        func = recording(func)
        func = click.argument("step", metavar="STEP")(func)
        return incident.command(name, short_help=short)(click.pass_context(func))
    return wrap


def _do_step(ctx: click.Context, kind: str, step: str, **fields: Any) -> None:
    from riskkit.incident.transitions import Action

    before, after, event = _record(ctx, ctx.params.get("incident_id"),
                                   lambda at, by: Action(kind, at, by, step=step, **fields))
    _report(before, after, event)


force_options = [
    click.option("--force", is_flag=True, help="Go ahead although the step is blocked "
                 "(needs --reason; both are recorded)."),
    click.option("--reason", metavar="TEXT", help="Why a blocked step goes ahead anyway."),
    click.option("--confirm", is_flag=True, help="Confirm an irreversible step."),
]


def with_force(func: FC) -> FC:
    for option in reversed(force_options):
        func = option(func)
    return func


@_step_command("begin", "Record that a step has begun.")
@with_force
def begin(ctx: click.Context, step: str, force: bool, reason: str | None, confirm: bool,
          **_: Any) -> None:
    """Record that STEP has begun. A blocked step (a step it needs is neither done nor
    skipped) needs --force and --reason; a step with an approval must be approved first;
    an irreversible step needs --confirm."""
    _do_step(ctx, "begin", step, force=force, reason=reason, confirm=confirm)


@_step_command("done", "Record that a step is done.")
@click.option("--note", metavar="TEXT", help="What was found or done.")
@with_force
def done(ctx: click.Context, step: str, note: str | None, force: bool, reason: str | None,
         confirm: bool, **_: Any) -> None:
    """Record that STEP is done (begun or not: a step not begun meets the same guard
    rails as `begin`)."""
    _do_step(ctx, "done", step, text=note, force=force, reason=reason, confirm=confirm)


@_step_command("skip", "Record that a step is skipped, and why.")
@click.option("--reason", metavar="TEXT", required=True, help="Why it is skipped.")
def skip(ctx: click.Context, step: str, reason: str, **_: Any) -> None:
    """Record that STEP will not be done, and why; the steps that need it go ahead."""
    _do_step(ctx, "skip", step, text=reason)


@_step_command("reopen", "Record that a step is to be done again.")
@click.option("--reason", metavar="TEXT", required=True, help="Why it is reopened.")
def reopen(ctx: click.Context, step: str, reason: str, **_: Any) -> None:
    """Record that STEP (begun, done or skipped) is back to not begun: the correction of
    a step recorded by mistake, or a step that must be redone. An approval stays given."""
    _do_step(ctx, "reopen", step, text=reason)


@incident.command(short_help="Record the approval of a step.")
@click.argument("step", metavar="STEP")
@incident_option
@at_option
@click.option("--by", metavar="NAME", required=True, help="Who approves.")
@click.pass_context
def approve(ctx: click.Context, step: str, **_: Any) -> None:
    """Record that NAME approves STEP (a step with an `approval` role). When someone was
    assigned to that role (`incident assign`), only they can approve."""
    _do_step(ctx, "approve", step)


@incident.command(short_help="Record who fills a role now.")
@click.argument("role", metavar="ROLE")
@click.argument("name", metavar="NAME")
@recording
@click.pass_context
def assign(ctx: click.Context, role: str, name: str, **_: Any) -> None:
    """Record that NAME fills ROLE from now on (the incident commander is best handed
    over with `incident handover`)."""
    from riskkit.incident.transitions import Action

    before, after, event = _record(ctx, ctx.params.get("incident_id"),
                                   lambda at, by: Action("assign", at, by, role=role,
                                                         name=name))
    _report(before, after, event)


def _text_command(kind: str, short: str, doc: str) -> None:
    @incident.command(kind, short_help=short, help=doc)
    @click.argument("text", nargs=-1, required=True)
    @recording
    @click.pass_context
    def command(ctx: click.Context, text: tuple[str, ...], **_: Any) -> None:
        from riskkit.incident.transitions import Action

        words = " ".join(text)
        before, after, event = _record(ctx, ctx.params.get("incident_id"),
                                       lambda at, by: Action(kind, at, by, text=words))
        _report(before, after, event)


_text_command("note", "Add a note to the timeline.",
              "Add TEXT to the incident's timeline (a decision, a finding, a correction).")
_text_command("status-update", "Record that a status update was sent.",
              "Record that a status update was sent (TEXT: what it said). The next one is "
              "due the runbook's comms.cadence_minutes later.")


@incident.command(short_help="Hand the incident over to the next commander.")
@click.option("--to", "to", metavar="NAME", required=True, help="The next commander.")
@click.option("--note", metavar="TEXT", help="What the next commander must know.")
@recording
@click.pass_context
def handover(ctx: click.Context, to: str, note: str | None, **_: Any) -> None:
    """Hand the incident over to NAME as its commander, and print the summary they need:
    where it stands, and what happened since the last handover."""
    from riskkit.incident.transitions import Action
    from riskkit.present.incident import handover_text

    before, after, event = _record(ctx, ctx.params.get("incident_id"),
                                   lambda at, by: Action("handover", at, by, name=to,
                                                         text=note))
    state = after.state(event.at)
    earlier = [e for e in state.events if e.kind == "handover" and e.id != event.id]
    since = [e for e in state.events if e.id != event.id
             and (not earlier or e.at >= earlier[-1].at) and e.kind != "start"]
    emit(handover_text(state, since, after.texts[1], to, not earlier), None)


@incident.command(short_help="Close the incident.")
@click.option("--outcome", type=click.Choice(["resolved", "mitigated"]), default="resolved",
              show_default=True, help="resolved: the cause is fixed; mitigated: the impact "
              "is over, follow-up remains.")
@click.option("--note", metavar="TEXT", help="A closing note.")
@click.option("--postmortem", "write_postmortem", is_flag=True,
              help="Also write the postmortem draft to incidents/<id>/postmortem.md, to "
              "review in a pull request.")
@recording
@click.pass_context
def close(ctx: click.Context, outcome: str, note: str | None, write_postmortem: bool,
          **_: Any) -> None:
    """Close the incident: nothing more can be recorded but action items. Steps not done
    are said. With --postmortem, the postmortem draft is written beside the journal."""
    from riskkit.incident.times import number
    from riskkit.incident.transitions import Action

    before, after, event = _record(ctx, ctx.params.get("incident_id"),
                                   lambda at, by: Action("close", at, by, outcome=outcome,
                                                         text=note))
    _report(before, after, event)
    state = after.state(event.at)
    say(f"outcome {outcome} after {number(state.elapsed_minutes)} min; "
        f"{len(state.done)} step(s) done, {len(state.skipped)} skipped")
    left = state.in_progress + state.unblocked + state.blocked
    if left:
        say(f"riskkit: note: closed with steps not done: {', '.join(left)}", err=True)
    if write_postmortem:
        ws = workspace(ctx)
        path = ws.root / "incidents" / after.id / "postmortem.md"
        if path.exists():
            say(f"riskkit: note: incidents/{after.id}/postmortem.md exists already; it was "
                "left as it was (riskkit postmortem prints a new draft)", err=True)
        else:
            text = _postmortem_text(ws, after, event.at.date(), "md")
            emit(text, str(path))


def _postmortem_text(ws: Workspace, incident: Incident, as_of: dt.date, fmt: str) -> str:
    """The postmortem draft of ``incident`` as of ``as_of``, in ``fmt``."""
    from riskkit.drill.model import measured_minutes
    from riskkit.incident.postmortem import postmortem as draft
    from riskkit.present.postmortem import PostmortemView
    from riskkit.present.registry import render
    from riskkit.problems import RiskkitError

    drilled: dict[str, float] = {}
    if incident.pin.has_runbook:
        from riskkit.fastload import load_runbook_only

        try:  # the drills of the runbook as it is now, if it is still there
            loaded = load_runbook_only(ws, incident.pin.runbook, as_of)
            drilled = measured_minutes(loaded.drills, incident.pin.runbook)
        except RiskkitError:
            drilled = {}
    pm = draft(incident, as_of, drilled, ws.name)
    return render("postmortem", fmt, PostmortemView(pm, ws.root))


@cli.command(short_help="A postmortem draft of an incident, from its journal.")
@click.argument("incident_id", metavar="INCIDENT", required=False)
@format_option("postmortem")
@output_option
@as_of_option
@click.pass_context
def postmortem(ctx: click.Context, incident_id: str | None, fmt: str, output: str | None,
               as_of: dt.date | None) -> None:
    """A blameless postmortem draft of INCIDENT (default: the one open incident, else the
    last one started): the impact window (detected, acknowledged, mitigated, resolved),
    the timeline, who filled which role, every step with its estimate, its drilled
    minutes and what it took this time, skipped and forced steps with their reasons, the
    time to mitigate against each risk's RTO, the runbook version followed, the action
    items, and the sections people write, marked TO WRITE. The template is
    postmortem.md.j2 (or .html.j2), overridden by the workspace's templates/.

    \b
    riskkit postmortem 2026-11-26-db-failover -o incidents/2026-11-26-db-failover/postmortem.md
    """
    from riskkit.incident.store import choose
    from riskkit.problems import InputError

    ws = workspace(ctx)
    chosen = choose(ws, incident_id, reading=True)
    _notes(chosen)
    day = today(as_of)
    if chosen.start.at.date() > day:
        raise InputError(f"incident {chosen.id} started {chosen.start.at.date()}, after "
                         f"{day.isoformat()} (--as-of)")
    emit(_postmortem_text(ws, chosen, day, fmt), output)


@incident.command(short_help="Add an action item (a follow-up), open or closed incident.")
@click.argument("title", nargs=-1, required=True)
@click.option("--owner", metavar="NAME", required=True, help="Who sees it through.")
@click.option("--due", metavar="DATE", required=True, help="When it is due (YYYY-MM-DD).")
@recording
@click.pass_context
def action(ctx: click.Context, title: tuple[str, ...], owner: str, due: str, **_: Any) -> None:
    """Add an action item to the incident: a follow-up with an owner and a due date. It
    works on a closed incident too (with -i ID): action items and marking them done are
    the only events a closed incident takes. `review` reports an action item past its due
    date until it is marked done (riskkit incident action-done ID); the report and the
    postmortem list the open ones. Prints the action item's id."""
    from riskkit.incident.times import shown
    from riskkit.incident.transitions import Action

    words = " ".join(title)
    _before, after, event = _record(ctx, ctx.params.get("incident_id"),
                              lambda at, by: Action("action", at, by, text=words, name=owner,
                                                    due=due))
    say(event.id[:6])
    say(f"riskkit: {after.id}: action item {event.id[:6]} added at {shown(event.at)} by "
        f"{event.by}: {words} (owner {owner}, due {due}); mark it done with riskkit "
        f"incident action-done {event.id[:6]}", err=True)


@incident.command("action-done", short_help="Mark an action item done.")
@click.argument("action_id", metavar="ACTION_ID")
@click.option("--note", metavar="TEXT", help="What was done (a pull request, a ticket).")
@recording
@click.pass_context
def action_done(ctx: click.Context, action_id: str, note: str | None, **_: Any) -> None:
    """Mark the action item ACTION_ID done (its id, or a unique beginning of it of four
    characters or more), in whichever incident holds it (-i ID to say which)."""
    from riskkit.incident.learn import incident_of_action
    from riskkit.incident.store import open_incident, record
    from riskkit.incident.times import shown
    from riskkit.incident.transitions import Action

    ws = workspace(ctx)
    chosen = ctx.params.get("incident_id")
    if chosen:
        holder = open_incident(ws, chosen)
        target = action_id
    else:
        holder, item = incident_of_action(ws, action_id)
        target = item.id
    _notes(holder)
    moment = _moment(ctx.params.get("at"), recording=True)
    event = record(holder, Action("action-done", moment, author(ws, ctx.params.get("by")),
                                    target=target, text=note))
    say(f"{holder.id}: action item {event.text('action')[:6]} done at {shown(event.at)} "
        f"by {event.by}")


@incident.command(short_help="The incident's timeline.")
@incident_option
@format_option("incident-log")
@output_option
@click.pass_context
def log(ctx: click.Context, incident_id: str | None, fmt: str, output: str | None) -> None:
    """Every event of the incident in time order (the journal sorted by time: after a
    merge, two people's events interleave)."""
    from riskkit.incident.journal import in_time_order
    from riskkit.incident.store import choose
    from riskkit.present.incident import LogView
    from riskkit.present.registry import render

    chosen = choose(workspace(ctx), incident_id, reading=True)
    _notes(chosen)
    view = LogView(chosen.id, tuple(in_time_order(list(chosen.events))), chosen.texts[1],
                   chosen.start.at.date())
    emit(render("incident-log", fmt, view), output)


@incident.command("list", short_help="Every incident, open and closed.")
@click.option("--open", "only_open", is_flag=True, help="Only the open incidents.")
@format_option("incidents")
@output_option
@click.pass_context
def list_(ctx: click.Context, only_open: bool, fmt: str, output: str | None) -> None:
    """Every incident of the workspace, oldest first: its state, runbook, scenario and
    times."""
    from riskkit.incident.store import summaries
    from riskkit.present.registry import render

    found, problems = summaries(workspace(ctx))
    for problem in problems:
        say(f"riskkit: note: {problem.format()}", err=True)
    if only_open:
        found = [s for s in found if s.state == "open"]
    emit(render("incidents", fmt, found), output)
