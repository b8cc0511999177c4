"""Rendering emergency plans and drill checklists: golden files, inputs, templates, safety.

Every test renders a copy of ``examples/render`` (one risk, two runbooks) placed in
``tmp_path``: outside a git repository the footer says "not in git", so the golden files do
not change with every commit of this repository. ``--as-of`` fixes the date.

Rewrite the golden files with ``pytest tests/test_render.py --update-golden`` and review the
diff as an on-call engineer would read the plan.
"""

from __future__ import annotations

import re
import shutil

import pytest

import riskkit
from conftest import EXAMPLES, GOLDEN, VERSION_MARK

WORKSPACE = EXAMPLES / "render"
AS_OF = ("--as-of", "2026-11-26")
RUNBOOK = "mq-quorum-loss"
RUNBOOK_FILE = "runbooks/mq-quorum-loss.yaml"
# Every step of mq-quorum-loss, in the order of its stages (no scenario).
STEPS = ["declare", "snapshot-state", "pause-publishers", "status-update", "heal-partition",
         "forget-node", "resume-publishers", "close"]
NODE_LOST = [s for s in STEPS if s != "heal-partition"]
OTHER_STEPS = ["find-queue", "grow-volume", "wake-consumers"]  # mq-disk-alarm
VARS = ("--var", "cluster=mq-eu-1", "--var", "incident=INC-4821")
PAUSE_RUN = ("    run: kubectl --context {{ cluster }} -n dispatch scale deploy/dispatch-api "
             "--replicas=0\n")
DISPATCH_PHONE = "+44 20 7946 0321"


@pytest.fixture
def ws(tmp_path):
    """A fresh copy of the example workspace, outside any git repository."""
    dest = tmp_path / "render"
    shutil.copytree(WORKSPACE, dest)
    return dest


def render(run, ws, *args):
    return run("-C", ws, "runbook", "render", RUNBOOK, *args, *AS_OF)


def checklist(run, ws, *args):
    return run("-C", ws, "drill", "checklist", *args, *AS_OF)


def edit(path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there exactly once) in the file at ``path``."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not in {path.name} exactly once"
    path.write_text(text.replace(old, new))


def line_of(path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")


def ok(result):
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr
    return result.stdout


def refused(result, exit_code: int = 1) -> str:
    """A refused command: the exit status, nothing on stdout, no traceback; returns stderr."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == "", "a refused render must not print a plan"
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    return result.stderr


def md_block(text: str, step_id: str) -> str:
    """The lines of one step in a Markdown plan, up to the next step or heading."""
    start = text.index(f"- [ ] **{step_id}**")
    rest = text[start + 1:]
    ends = [i for i in (rest.find("\n- [ ] **"), rest.find("\n#"), rest.find("\n★"))
            if i != -1]
    return text[start:start + 1 + min(ends)]


def html_block(text: str, step_id: str) -> str:
    start = text.index(f'id="step-{step_id}"')
    return text[start:text.index("</article>", start)]


# --- golden files -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_plan_golden(run, ws, golden, fmt):
    out = ok(render(run, ws, *VARS, "--scenario", "node-lost", "--format", fmt))
    golden(f"plan-mq-quorum-loss-node-lost.{fmt}", out)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_checklist_golden(run, ws, golden, fmt):
    out = ok(checklist(run, ws, RUNBOOK, "--var", "cluster=mq-eu-1", "--kind", "game-day",
                       "--format", fmt))
    golden(f"checklist-mq-quorum-loss.{fmt}", out)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_checklist_pack_golden(run, ws, golden, fmt):
    out = ok(checklist(run, ws, RUNBOOK, "mq-disk-alarm", "--format", fmt))
    golden(f"checklist-pack.{fmt}", out)


def test_the_goldens_are_of_a_copy_outside_git(run, ws):
    # The premise of every golden above: a stable footer.
    assert "(not in git)" in ok(render(run, ws, *VARS, "--format", "txt"))


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_a_new_version_leaves_the_golden_files_alone(run, ws, golden, riskkit_version, fmt):
    """The footer names the riskkit that printed the plan; the golden files hold a
    placeholder there, so a release does not rewrite them all."""
    name = f"plan-mq-quorum-loss-node-lost.{fmt}"
    assert VERSION_MARK in (GOLDEN / name).read_text()
    released = riskkit.__version__
    riskkit_version("98.76.5")
    out = ok(render(run, ws, *VARS, "--scenario", "node-lost", "--format", fmt))
    assert "riskkit 98.76.5" in out and f"riskkit {released}" not in out
    golden(name, out)


COMMANDS = {
    "plan-md": ("runbook", "render", RUNBOOK, *VARS, "--scenario", "node-lost"),
    "plan-html": ("runbook", "render", RUNBOOK, *VARS, "--format", "html"),
    "plan-txt": ("runbook", "render", RUNBOOK, *VARS, "--format", "txt"),
    "checklist-md": ("drill", "checklist", RUNBOOK),
    "pack-html": ("drill", "checklist", RUNBOOK, "mq-disk-alarm", "--format", "html"),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_output_is_byte_identical_across_runs_and_copies(run, tmp_path, name):
    outputs = []
    for copy in ("one", "two"):
        root = tmp_path / copy
        shutil.copytree(WORKSPACE, root)
        for _ in range(2):
            result = run("-C", root, *COMMANDS[name], *AS_OF)
            assert result.exit_code == 0, result.output
            outputs.append(result.stdout_bytes)
    assert outputs[0], "nothing was rendered"
    assert all(out == outputs[0] for out in outputs)


@pytest.mark.parametrize("name", COMMANDS)
def test_output_file_holds_exactly_what_stdout_shows(run, ws, tmp_path, name):
    target = tmp_path / "out" / "doc"
    target.parent.mkdir()
    shown = run("-C", ws, *COMMANDS[name], *AS_OF)
    assert shown.exit_code == 0, shown.output
    written = run("-C", ws, *COMMANDS[name], *AS_OF, "-o", target)
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert target.read_bytes() == shown.stdout_bytes


# --- the plan's content -----------------------------------------------------------------

def test_plan_shows_every_step_of_the_scenario_in_stage_order(run, ws):
    out = ok(render(run, ws, *VARS, "--scenario", "node-lost"))
    positions = [out.index(f"- [ ] **{s}**") for s in NODE_LOST]
    assert positions == sorted(positions)
    assert "heal-partition" not in out  # the partition branch is pruned
    assert "### Stage 5" in out and "### Stage 6" not in out
    assert "declare → snapshot-state → forget-node → resume-publishers → close (30 min)" in out
    assert "**Expected time to mitigate: 30 min** (RTO 45 min: within)" in out


def test_plan_marks_approval_and_irreversible_steps(run, ws):
    out = ok(render(run, ws, *VARS, "--scenario", "node-lost", "--format", "html"))
    block = html_block(out, "forget-node")
    assert '<span class="flag approval">approval: ic</span>' in block
    assert '<span class="flag irreversible">irreversible</span>' in block
    assert "flag approval" not in html_block(out, "resume-publishers")
    md = ok(render(run, ws, *VARS, "--scenario", "node-lost"))
    assert "**Approval:** ic approves before this step starts." in md_block(md, "forget-node")
    assert "**Irreversible:**" in md_block(md, "forget-node")


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_plan_fills_every_input_and_leaves_no_template_syntax(run, ws, fmt):
    out = ok(render(run, ws, *VARS, "--format", fmt))
    assert "{{" not in out and "}}" not in out and "{%" not in out
    assert "kubectl --context mq-eu-1 -n rabbitmq exec mq-eu-1-server-0" in out
    assert "INC-4821" in out


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_plan_gives_a_phone_number_where_the_role_has_one(run, ws, fmt):
    # riskkit.yaml gives dispatch a phone: the one way to reach them when chat is down.
    out = ok(render(run, ws, *VARS, "--format", fmt))
    assert DISPATCH_PHONE in out


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_plan_without_a_scenario_says_which_scenario_a_step_is_for(run, ws, fmt):
    """Without --scenario both branches print, in one stage 'run in parallel'; the
    irreversible forget-node must say it is only for node-lost, or someone runs it during a
    partition."""
    out = ok(render(run, ws, *VARS, "--format", fmt))
    if fmt == "md":
        block = md_block(out, "forget-node")
    elif fmt == "html":
        block = html_block(out, "forget-node")
    else:
        start = out.index("[ ] forget-node")
        block = out[start:out.index("[ ] ", start + 1)]
    assert "node-lost" in block


def test_markdown_plan_separates_its_blocks_with_blank_lines(run, ws):
    """In Markdown a line that follows another without a blank line joins its paragraph:
    the meta line and the expected time to mitigate must not run together."""
    lines = ok(render(run, ws, *VARS, "--scenario", "node-lost")).splitlines()
    for i, line in enumerate(lines[1:], 1):
        starts_block = (line.startswith(("#", "**Expected time", "**Communication", "---"))
                        or (line.startswith("|") and not lines[i - 1].startswith("|"))
                        or (line.startswith("- ") and not lines[i - 1].startswith("- ")))
        if starts_block:
            assert lines[i - 1] == "", f"no blank line before line {i + 1}: {line!r}"


# --- inputs -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_missing_required_inputs_name_each_with_its_description(run, ws, tmp_path, fmt):
    target = tmp_path / "plan.out"
    err = refused(render(run, ws, "--format", fmt, "-o", target))
    assert "no plan was printed" in err
    assert "missing required input 'cluster' (Cluster that lost quorum)" in err
    assert "missing required input 'incident' (Incident ticket, for the audit trail)" in err
    assert not target.exists(), "no plan file either"


def test_one_missing_input_is_named_and_the_given_one_is_not(run, ws):
    err = refused(render(run, ws, "--var", "cluster=mq-eu-1"))
    assert "missing required input 'incident' (Incident ticket, for the audit trail)" in err
    assert "'cluster'" not in err


def test_unknown_var_gets_a_did_you_mean(run, ws):
    err = refused(render(run, ws, "--var", "clustr=mq-eu-1", "--var", "incident=INC-4821"))
    assert "unknown input 'clustr' (did you mean 'cluster'?)" in err
    assert "cluster, incident, node, publishers" in err


def test_value_outside_choices_is_refused(run, ws):
    err = refused(render(run, ws, "--var", "cluster=mq-ap-1", "--var", "incident=INC-4821"))
    assert "input 'cluster': 'mq-ap-1' is not one of: mq-eu-1, mq-us-1" in err


@pytest.mark.parametrize("var, pattern", [("incident=4821", "^INC-[0-9]{4,}$"),
                                          ("node=rabbit@EU 1", "^rabbit@[a-z0-9-]+$")])
def test_value_not_matching_pattern_is_refused(run, ws, var, pattern):
    args = {"cluster": "cluster=mq-eu-1", "incident": "incident=INC-4821"}
    args[var.split("=")[0]] = var
    err = refused(render(run, ws, *[x for v in args.values() for x in ("--var", v)]))
    name, value = var.split("=", 1)
    assert f"input '{name}': '{value}' does not match {pattern}" in err


def test_default_that_uses_another_input_is_filled_in(run, ws):
    out = ok(render(run, ws, "--var", "cluster=mq-us-1", "--var", "incident=INC-4821",
                    "--scenario", "node-lost"))
    assert "| node | `rabbit@mq-us-1-2` | Broker node that is down or on the minority side |" in out
    assert "**forget-node**: Remove rabbit@mq-us-1-2 from the cluster" in out
    assert "rabbitmqctl forget_cluster_node rabbit@mq-us-1-2" in out
    assert "| publishers | `4` |" in out


def test_given_value_wins_over_the_default(run, ws):
    out = ok(render(run, ws, *VARS, "--var", "node=rabbit@mq-eu-1-0", "--scenario",
                    "node-lost"))
    assert "forget_cluster_node rabbit@mq-eu-1-0" in out
    assert "rabbit@mq-eu-1-2" not in out


def test_vars_file_is_read_and_var_overrides_it(run, ws, tmp_path):
    vars_file = tmp_path / "incident.yaml"
    vars_file.write_text("cluster: mq-us-1\nincident: INC-5001\npublishers: 6\n")
    out = ok(render(run, ws, "--vars-file", vars_file))
    assert "kubectl --context mq-us-1 -n dispatch scale deploy/dispatch-api --replicas=6" in out
    assert "INC-5001" in out
    out = ok(render(run, ws, "--vars-file", vars_file, "--var", "cluster=mq-eu-1"))
    assert "kubectl --context mq-eu-1 -n dispatch scale deploy/dispatch-api --replicas=6" in out
    assert "mq-us-1" not in out


def test_vars_file_values_are_checked_like_var_values(run, ws, tmp_path):
    vars_file = tmp_path / "incident.yaml"
    vars_file.write_text("cluster: mq-ap-1\nincident: INC-5001\n")
    err = refused(render(run, ws, "--vars-file", vars_file))
    assert "input 'cluster': 'mq-ap-1' is not one of: mq-eu-1, mq-us-1" in err


@pytest.mark.parametrize("bad", ["cluster", "=mq-eu-1"])
def test_var_without_name_and_value_is_a_wrong_value(run, ws, bad):
    err = refused(render(run, ws, "--var", bad, "--var", "incident=INC-4821"), exit_code=1)
    assert "is not NAME=VALUE" in err


def test_unknown_scenario_gets_a_did_you_mean(run, ws):
    err = refused(render(run, ws, *VARS, "--scenario", "node-lots"))
    assert "unknown scenario 'node-lots' (did you mean 'node-lost'?)" in err


# --- templates --------------------------------------------------------------------------

def test_workspace_template_overrides_the_built_in_one(run, ws):
    (ws / "templates").mkdir()
    (ws / "templates" / "plan.md.j2").write_text(
        "OVERRIDE {{ plan.id }}:{% for s in plan.steps %} {{ s.id }}{% endfor %}\n\n"
        "{{ inputs | map(attribute='value') | join(',') }}\n")
    out = ok(render(run, ws, *VARS, "--scenario", "node-lost"))
    assert out == ("OVERRIDE mq-quorum-loss: " + " ".join(NODE_LOST) + "\n"
                   "mq-eu-1,INC-4821,rabbit@mq-eu-1-2,4\n")
    html = ok(render(run, ws, *VARS, "--format", "html"))  # only plan.md.j2 was overridden
    assert html.startswith("<!DOCTYPE html>") and "OVERRIDE" not in html


def test_workspace_partial_overrides_the_built_in_include(run, ws):
    (ws / "templates").mkdir()
    (ws / "templates" / "_step.html.j2").write_text('<p class="mine">{{ s.id }}</p>\n')
    out = ok(render(run, ws, *VARS, "--format", "html"))
    assert re.findall(r'<p class="mine">([a-z-]+)</p>', out) == STEPS
    assert '<article class="step' not in out


def test_template_syntax_error_points_at_the_override_and_line(run, ws):
    (ws / "templates").mkdir()
    (ws / "templates" / "plan.md.j2").write_text("# {{ plan.title }}\n\n{{ plan.id }\n")
    err = refused(render(run, ws, *VARS))
    assert err.splitlines()[0] == ("templates/plan.md.j2:3:1: T002 template syntax error: "
                                   "unexpected '}'")


@pytest.mark.parametrize("template, line, name", [
    ("# {{ plan.title }}\n{{ incident_commander }}\n", 2, "incident_commander"),
    ("# {{ plan.title }}\n\n{% for s in plan.steps %}\n- {{ s.id }} {{ s.owner_pager }}\n"
     "{% endfor %}\n", 4, "owner_pager"),
])
def test_undefined_name_in_override_names_template_and_line(run, ws, template, line, name):
    (ws / "templates").mkdir()
    (ws / "templates" / "plan.md.j2").write_text(template)
    err = refused(render(run, ws, *VARS))
    first = err.splitlines()[0]
    assert first.startswith(f"templates/plan.md.j2:{line}:1: T001 "), first
    assert name in first


def test_undefined_name_in_an_overridden_include_names_that_file(run, ws):
    (ws / "templates").mkdir()
    (ws / "templates" / "_step.html.j2").write_text("<p>{{ s.id }}</p>\n<p>{{ s.pager }}</p>\n")
    err = refused(render(run, ws, *VARS, "--format", "html"))
    assert err.splitlines()[0].startswith("templates/_step.html.j2:2:1: T001 ")
    assert "pager" in err.splitlines()[0]


def test_override_reaching_for_internals_is_refused_by_the_sandbox(run, ws):
    (ws / "templates").mkdir()
    (ws / "templates" / "plan.md.j2").write_text("# {{ plan.title }}\n{{ plan.__class__ }}\n")
    err = refused(render(run, ws, *VARS))
    assert err.splitlines()[0].startswith("templates/plan.md.j2:2:1: T003 ")


def test_html_escapes_runbook_text_and_markdown_does_not(run, ws):
    edit(ws / RUNBOOK_FILE, "title: Declare the incident and page platform SRE",
         'title: "Declare <script>alert(1)</script> & page SRE"')
    edit(ws / RUNBOOK_FILE, "      - Page platform SRE and dispatch on-call; name a comms lead.",
         "      - Page platform SRE <img src=x onerror=alert(2)> and dispatch on-call.")
    html = ok(render(run, ws, *VARS, "--format", "html"))
    assert "Declare &lt;script&gt;alert(1)&lt;/script&gt; &amp; page SRE" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script" not in html and "<img" not in html
    md = ok(render(run, ws, *VARS))
    assert "**declare**: Declare <script>alert(1)</script> & page SRE" in md
    pack = ok(checklist(run, ws, RUNBOOK, "--format", "html"))
    assert "Declare &lt;script&gt;alert(1)&lt;/script&gt; &amp; page SRE" in pack
    assert "<script" not in pack


SANDBOX_ESCAPES = ["{{ ''.__class__.__mro__[1].__subclasses__() }}",
                   "{{ cycler.__init__.__globals__ }}"]


@pytest.mark.parametrize("command", ["render", "checklist"])
@pytest.mark.parametrize("payload", SANDBOX_ESCAPES, ids=["subclasses", "cycler-globals"])
def test_sandbox_escape_in_a_runbook_is_refused(run, ws, payload, command):
    path = ws / RUNBOOK_FILE
    edit(path, PAUSE_RUN, f'    run: "{payload}"\n')
    line = line_of(path, payload)
    if command == "render":
        result = render(run, ws, *VARS)
    else:
        result = checklist(run, ws, RUNBOOK)
    err = refused(result)
    assert err.splitlines()[0].startswith(
        f"{RUNBOOK_FILE}:{line}:10: T003 mq-quorum-loss: refused by the template sandbox: ")


@pytest.mark.parametrize("payload", SANDBOX_ESCAPES, ids=["subclasses", "cycler-globals"])
def test_validate_catches_a_sandbox_escape_before_the_incident(run, ws, payload):
    """A runbook that `validate` passes must render: the refusal belongs in review, not in
    the first minutes of an incident."""
    edit(ws / RUNBOOK_FILE, PAUSE_RUN, f'    run: "{payload}"\n')
    result = run("-C", ws, "validate")
    assert result.exit_code == 1, result.output
    assert f"{RUNBOOK_FILE}:{line_of(ws / RUNBOOK_FILE, payload)}:10:" in result.stdout


# --- checklists -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["md", "html"])
def test_checklist_prints_inputs_not_given_as_placeholders(run, ws, fmt):
    out = ok(checklist(run, ws, RUNBOOK, "--format", fmt))
    assert "Record the cluster state of {cluster}" in out
    assert "Remove {node} from the cluster" in out  # its default needs the cluster
    assert "--replicas=4" in out and "{publishers}" not in out  # a default of its own
    assert "{{" not in out
    given = ok(checklist(run, ws, RUNBOOK, "--var", "cluster=mq-eu-1", "--format", fmt))
    assert "Record the cluster state of mq-eu-1" in given
    assert "Remove rabbit@mq-eu-1-2 from the cluster" in given
    assert "{cluster}" not in given and "{node}" not in given


def test_markdown_checklist_has_everything_the_room_needs(run, ws):
    out = ok(checklist(run, ws, RUNBOOK, "--kind", "live"))
    assert "| DRILL-2026-11-26-mq-quorum-loss | 2026-11-26 | live | `mq-quorum-loss` |" in out
    participants = out[out.index("## Participants"):out.index("## Objectives")]
    assert "| game-master | Game master" in participants
    assert participants.count("| observer | Observer") == 2
    for role in ("ic", "sre", "dispatch", "comms"):
        assert f"\n| {role} | " in participants
    preflight = out[out.index("## Pre-flight"):out.index("## Run")]
    assert "- [ ] No live incident" in preflight
    assert "- [ ] Steady state verified and recorded" in preflight
    assert "- [ ] Drill tagged as a simulation" in preflight
    assert out.count("| ✓ | step | role | expected min | start | end | actual min | notes |") == 5
    for step in STEPS:
        assert re.search(rf"^\| \[ \] \| \*\*{step}\*\* .*\|  \|  \|  \|  \|$", out, re.M), step
    assert "## Injected complications (game master)" in out
    assert "## Sign-off" in out and "| game master |  |  |  |" in out
    assert "## Findings\n\n| # | finding | owner | due |" in out


def test_html_checklist_has_everything_the_room_needs(run, ws):
    out = ok(checklist(run, ws, RUNBOOK, "--format", "html"))
    assert "<td>game-master</td><td>Game master" in out
    assert out.count("<td>observer</td>") == 2
    for item in ("No live incident", "Steady state verified", "Drill tagged as a simulation"):
        assert f'<li><span class="box"></span><span>{item}' in out
    header = ("<tr><th></th><th>step</th><th>role</th><th>expected</th><th>start</th>"
              "<th>end</th><th>actual</th><th>notes</th></tr>")
    assert out.count(header) == 5
    ids = re.findall(r'<tr id="step-mq-quorum-loss-([a-z-]+)">', out)
    assert ids == STEPS
    assert "<h2>Sign-off</h2>" in out and "<h2>Findings</h2>" in out


def test_checklist_for_a_scenario_keeps_only_its_steps(run, ws):
    out = ok(checklist(run, ws, RUNBOOK, "--scenario", "partition"))
    assert "| partition |" in out
    assert "**heal-partition**" in out and "forget-node" not in out


def test_checklist_rolls_back_in_reverse_order(run, ws):
    """Undo the last change first: rolled forward, the close section ends by scaling the
    dispatch API to 0 after restoring it."""
    out = ok(checklist(run, ws, RUNBOOK, "--var", "cluster=mq-eu-1"))
    order = re.findall(r"^- \[ \] Rolled back `([a-z-]+)`", out, re.M)
    assert order == ["resume-publishers", "heal-partition", "pause-publishers"]


def test_pack_puts_each_checklist_in_its_own_section_with_a_page_break(run, ws):
    out = ok(checklist(run, ws, RUNBOOK, "mq-disk-alarm", "--format", "html"))
    sections = re.split(r'(?=<section class="checklist")', out)[1:]
    assert len(sections) == 2
    assert 'id="checklist-mq-quorum-loss"' in sections[0]
    assert 'id="checklist-mq-disk-alarm"' in sections[1]
    assert re.findall(r'<tr id="step-mq-quorum-loss-([a-z-]+)">', sections[0]) == STEPS
    assert re.findall(r'<tr id="step-mq-disk-alarm-([a-z-]+)">', sections[1]) == OTHER_STEPS
    assert "mq-disk-alarm" not in sections[0].split("</section>")[0]
    assert re.search(r"\.checklist\s*\+\s*\.checklist\s*\{[^}]*break-before:\s*page", out)


def test_markdown_pack_breaks_the_page_between_checklists(run, ws):
    out = ok(checklist(run, ws, RUNBOOK, "mq-disk-alarm"))
    first, second = out.split('<div style="page-break-before: always"></div>')
    assert first.startswith("# Drill checklist: Restore the RabbitMQ cluster")
    assert second.lstrip().startswith("# Drill checklist: Clear a RabbitMQ disk alarm")


# --- drill records feed the estimates ----------------------------------------------------

DRILL = """\
runbook: mq-quorum-loss
date: 2026-10-20
kind: tabletop
scenario: node-lost
outcome: partial
participants:
  - {name: priya, role: ic}
  - {name: tomas, role: sre}
steps:
  declare: {minutes: 4, ok: true}
  forget-node: {minutes: 23, ok: false, note: Nobody knew the pod name of the lost node}
findings:
  - {title: Write the pod name of each node into the runbook, owner: team-platform, due: 2027-01-15}
"""


@pytest.fixture
def drilled(run, ws):
    (ws / "drills").mkdir()
    (ws / "drills" / "2026-10-20-mq-quorum-loss.yaml").write_text(DRILL)
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 0, result.output
    return ws


def test_runbook_show_gives_drilled_minutes_beside_the_estimate(run, drilled):
    out = ok(run("-C", drilled, "runbook", "show", RUNBOOK, "--scenario", "node-lost"))
    # the step's own line (the critical path lines above it name forget-node too)
    forget = next(line for line in out.splitlines()
                  if line.lstrip(" *").startswith("forget-node "))
    assert "10 (drilled 23) min" in forget
    assert "as drilled: 42 min via declare -> snapshot-state -> forget-node" in out


@pytest.mark.parametrize("fmt, expected", [
    ("md", "sre · 10 min (drilled 23)"),
    ("html", "sre · 10 min (drilled 23)"),
    ("txt", "drilled 23"),
])
def test_plan_gives_drilled_minutes_beside_the_estimate(run, drilled, fmt, expected):
    out = ok(render(run, drilled, *VARS, "--scenario", "node-lost", "--format", fmt))
    assert expected in out
    assert "as drilled: 42 min" in out


def test_checklist_gives_drilled_minutes_beside_the_estimate(run, drilled):
    out = ok(checklist(run, drilled, RUNBOOK))
    row = r"^\| \[ \] \| \*\*forget-node\*\* .*\| sre \| 10 \(drilled 23\) \|"
    assert re.search(row, out, re.M)
    assert "| 5 (drilled 4) |" in out
