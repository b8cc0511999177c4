"""Exit status, one table for every command: the README's rule, kept everywhere.

    0  fine
    1  problems in the files, or a wrong value on the command line (an id, a date, a
       quarter, a level, a revision, minutes, a choice, a file that is not there)
    2  a malformed command: an unknown option, a missing argument or option value

The table is built from the click command tree, so a new command or option is covered
as soon as it exists: every command gets a row that works (0), an unknown option (2) and,
for each required parameter, a row without it (2); every option that takes a value gets a
row with no value (2) and at least one row with a wrong value (1). Wrong values come from
the parameter's type where it says enough (a choice, a range, a date, a path), else from
BAD below; a new free-text option without a row in BAD or FREE fails
``test_every_value_on_the_command_line_has_a_wrong_value_row``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click
import pytest

from riskkit.cli import cli
from riskkit.cli.common import parse_date

from conftest import SETTINGS

AS_OF = "2026-11-26"

FILES = {
    "risks/RSK-1.yaml": (
        "id: RSK-1\ntitle: The primary database is lost\nowner: team-data\n"
        "status: mitigating\nlikelihood: 3\nimpact: 4\n"
        "treatment: {strategy: mitigate, due: 2027-06-30}\n"
        "review: {last: 2026-11-20, by: dana}\nrunbooks: [rb-a]\n"),
    "runbooks/rb-a.yaml": (
        "id: rb-a\ntitle: Fail over\nseverity: SEV-2\nowner: team-data\n"
        "triggers: [An alert fires]\n"
        "inputs:\n  region: {description: Region, default: eu-west-1, "
        "choices: [eu-west-1, us-east-1]}\n"
        "scenarios: {host-lost: The host is gone, disk-full: The disk is full}\n"
        "steps:\n"
        "  - {id: declare, title: 'Declare in {{ region }}', role: ic, minutes: 5}\n"
        "  - {id: fix, title: Fix it, role: sre, needs: [declare], minutes: 10,"
        " verify: It works, approval: ic}\n"),
    # spreadsheets for riskkit import
    "sheets/new.csv": "id,title,owner,status,likelihood,impact\nRSK-2,New,o,open,1,2\n",
    "sheets/bad.csv": "id,title,owner,status,likelihood,impact\nRSK-1,Again,o,open,9,2\n",
    "sheets/bad-map.yaml": "columns: {titel: Title}\n",
}

# A command line that works, per command: {parameter name: its tokens}. "{tmp}" is a
# folder of the row's own. --as-of AS_OF is added where a command takes it.
BASE: dict[str, dict[str, list[str]]] = {
    "diff": {},
    "drill checklist": {"runbook_ids": ["rb-a"]},
    "drill plan": {},
    "drill record": {"runbook_id": ["rb-a"], "date_": ["--date", "2026-11-20"],
                     "kind": ["--kind", "tabletop"], "outcome": ["--outcome", "pass"]},
    "explain": {"code": ["R002"]},
    "export": {"sqlite_file": ["--sqlite", "{tmp}/register.db"]},
    "import": {"file": ["sheets/new.csv"], "dry_run": ["--dry-run"]},
    "history": {"risk_id": ["RSK-1"]},
    "init": {"directory": ["{tmp}/new"]},
    "matrix": {},
    "report": {"output": ["-o", "{tmp}/report.html"]},
    "review": {},
    "risks": {},
    "runbook graph": {"runbook_id": ["rb-a"]},
    "runbook list": {},
    "runbook find": {"text": ["Fail"]},
    "runbook render": {"runbook_ids": ["rb-a"]},
    "site": {"folder": ["-o", "{tmp}/site"]},
    "runbook show": {"runbook_id": ["rb-a"]},
    "schema": {"name": ["risk"]},
    "validate": {},
    # each incident command works on an incident of its own (see INCIDENTS)
    "incident start": {"runbook_id": ["rb-a"], "wanted": ["--id", "started"]},
    "incident now": {"incident_id": ["-i", "x-now"]},
    "incident log": {"incident_id": ["-i", "x-log"]},
    "incident list": {},
    "incident begin": {"step": ["declare"], "incident_id": ["-i", "x-begin"]},
    "incident done": {"step": ["declare"], "incident_id": ["-i", "x-done"]},
    "incident skip": {"step": ["declare"], "reason": ["--reason", "Not needed"],
                      "incident_id": ["-i", "x-skip"]},
    "incident reopen": {"step": ["declare"], "reason": ["--reason", "Redo it"],
                        "incident_id": ["-i", "x-reopen"]},
    "incident approve": {"step": ["fix"], "by": ["--by", "dana"],
                         "incident_id": ["-i", "x-approve"]},
    "incident assign": {"role": ["sre"], "name": ["kim"], "incident_id": ["-i", "x-assign"]},
    "incident note": {"text": ["Hello"], "incident_id": ["-i", "x-note"]},
    "incident status-update": {"text": ["All", "well"], "incident_id": ["-i", "x-update"]},
    "incident handover": {"to": ["--to", "sam"], "incident_id": ["-i", "x-handover"]},
    "incident close": {"incident_id": ["-i", "x-close"]},
    "incident action": {"title": ["Fix", "it"], "owner": ["--owner", "team-x"],
                        "due": ["--due", "2026-12-31"], "incident_id": ["-i", "x-action"]},
    # "{action}" is the id of the action item of x-done-action (random: read in the test)
    "incident action-done": {"action_id": ["{action}"]},
    "postmortem": {"incident_id": ["x-now"]},
    "retro": {},
}

for _command, _base in BASE.items():  # events dated by the register's story, not 2031
    if _command.startswith("incident ") and _command not in ("incident list", "incident log"):
        _base.setdefault("at", ["--at", "2026-11-26T10:30:00Z"])

# The incidents the rows above work on: id -> events recorded after its start.
INCIDENTS = {
    "x-now": [], "x-log": [], "x-begin": [], "x-done": [], "x-skip": [],
    "x-reopen": [["done", "declare"]], "x-approve": [["assign", "ic", "dana"]],
    "x-assign": [], "x-note": [], "x-update": [], "x-handover": [], "x-close": [],
    "x-action": [["close"]],  # an action item on a closed incident
    "x-done-action": [["action", "Fix", "--owner", "o", "--due", "2026-12-31"]],
}

# Wrong values for parameters whose type says nothing: {(command, parameter): [values]}.
# A value is a string, a list of tokens, or (value, parameters to leave out of the base).
BAD: dict[tuple[str, str], list] = {
    ("diff", "revs"): ["nope", ["HEAD", "nope"], "HEAD..nope"],
    ("drill checklist", "runbook_ids"): ["rb-b"],
    ("drill checklist", "quarter"): [("2027Q5", ["runbook_ids"]),
                                    ("0000Q1", ["runbook_ids"])],
    ("drill checklist", "variables"): ["region", "regoin=eu-west-1", "region=mars"],
    ("drill checklist", "scenario"): ["host-lots"],
    ("drill plan", "quarter"): ["2027Q5", "Q1-2027", "0000Q1"],
    ("drill record", "runbook_id"): ["rb-b"],
    ("drill record", "date_"): ["2026-02-30", "2026-11-27", "20261120", "yesterday"],
    ("drill record", "scenario"): ["host-lots"],
    ("drill record", "minutes"): ["declare=abc", "fixx=3", "declare", "declare=-1",
                                  "declare=nan"],
    ("drill record", "participant"): ["dana"],
    ("explain", "code"): ["R02", "X999", ""],
    ("drill record", "finding"): ["Lag|team-data|2027-02-30", "a|b|2027-01-31|d", ""],
    ("history", "risk_id"): ["RSK-9"],
    ("import", "file"): ["sheets/bad.csv"],  # a rating off the matrix, an id taken
    ("import", "sheet"): ["Risks"],  # a CSV file has no sheets
    ("import", "map_file"): ["sheets/bad-map.yaml"],
    ("review", "kinds"): ["drill-late"],
    ("risks", "level"): ["severe"],
    ("runbook graph", "runbook_id"): ["rb-b"],
    ("runbook graph", "scenario"): ["host-lots"],
    ("runbook find", "text"): ["no-such-words"],
    ("runbook find", "alert"): [("NoSuchAlert", ["text"])],
    ("runbook render", "runbook_ids"): ["rb-b", ["rb-a", "rb-b", "--blank"]],
    ("site", "base_url"): ["runbooks.example.com", "ftp://runbooks.example.com/"],
    ("runbook render", "variables"): ["region", "regoin=eu-west-1", "region=mars"],
    ("runbook render", "scenario"): ["host-lots"],
    ("runbook show", "runbook_id"): ["rb-b"],
    ("runbook show", "scenario"): ["host-lots"],
    ("validate", "paths"): ["{tmp}/missing.yaml"],
    ("incident start", "runbook_id"): ["rb-b"],
    ("incident start", "variables"): ["region", "regoin=eu-west-1", "region=mars"],
    ("incident start", "scenario"): ["host-lots"],
    ("incident start", "wanted"): ["../x", "x-now"],
    ("incident now", "at"): ["2026-11-26T09:00:00Z"],  # before the start
    ("incident begin", "step"): ["nope", "fix"],  # unknown; blocked
    ("incident done", "step"): ["nope", "fix"],
    ("incident skip", "step"): ["nope"],
    ("incident skip", "reason"): [" "],
    ("incident reopen", "step"): ["fix"],  # never begun
    ("incident reopen", "reason"): [" "],
    ("incident approve", "step"): ["declare"],  # needs no approval
    ("incident approve", "by"): ["sam"],  # dana holds ic
    ("incident assign", "role"): ["sra"],
    ("incident assign", "name"): [" "],
    ("incident note", "text"): [" "],
    ("incident status-update", "text"): [" "],
    ("incident handover", "to"): [" "],
    ("incident start", "risk_ids"): ["RSK-9", "RSK-2"],  # unknown; not rb-a's
    ("incident action", "title"): [" "],
    ("incident action", "owner"): [" "],
    ("incident action", "due"): ["2026-12-32", "soon"],
    ("incident action-done", "action_id"): ["abc", "ffffff"],  # too short; none such
    ("postmortem", "incident_id"): ["x-nwo"],
    ("retro", "quarter"): ["2027Q5", "2027Q1"],  # not a quarter; not begun on AS_OF
}
for _command in BASE:
    if _command.startswith("incident ") and _command != "incident list":
        if _command != "incident log":
            BAD[(_command, "at")] = ["25:00", "2026-11-26T10:00",
                                     *BAD.get((_command, "at"), [])]
        if _command != "incident start":
            BAD[(_command, "incident_id")] = ["x-nwo"]

# Parameters any value of which is right: free text, or filters that may match nothing.
FREE = {("drill record", "commit"), ("init", "name"), ("risks", "owner"), ("risks", "tag"),
        ("review", "owners"), ("review", "mail_domain"), ("review", "mail_from")}
FREE |= {(command, "by") for command in BASE if command.startswith("incident ")
         and command not in ("incident approve", "incident now", "incident log",
                             "incident list")}  # anyone may record
FREE |= {("incident begin", "reason"), ("incident done", "reason"), ("incident done", "note"),
         ("incident handover", "note"), ("incident close", "note"),
         ("incident start", "title"), ("incident start", "severity"),
         ("incident action-done", "note")}

# Rows the tree does not give: (arguments, exit status).
EXPLICIT = [
    (["no-such-command"], 2),
    (["drill", "no-such-command"], 2),
    (["diff", "HEAD", "HEAD", "HEAD"], 2),  # at most two revisions
    (["drill", "checklist", "rb-a", "--quarter", "2027Q1", "--as-of", AS_OF], 2),  # both
    (["drill", "checklist", "--as-of", AS_OF], 2),  # neither ids nor --quarter
    (["runbook", "find", "--as-of", AS_OF], 2),  # neither words nor --alert
    (["runbook", "find", "Fail", "--alert", "X", "--as-of", AS_OF], 2),  # both
    (["runbook", "render", "--as-of", AS_OF], 2),  # no runbook
    (["runbook", "render", "--all", "--as-of", AS_OF], 2),  # several need --blank
    (["runbook", "render", "rb-a", "--all", "--blank", "--as-of", AS_OF], 2),  # both
    (["runbook", "render", "rb-a", "--blank", "--var", "region=eu-west-1", "--as-of", AS_OF],
     2),  # a blank binder takes no values
    # -C names where the workspace is: a folder that is not there is like a folder
    # without riskkit.yaml, a usage error (2), before any command runs.
    (["-C", "{tmp}/no-such-folder", "risks"], 2),
]


def commands(group: click.Group = cli, words: tuple = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, words + (name,))
        else:
            yield " ".join(words + (name,)), command


COMMANDS = dict(commands())


def takes_value(param: click.Parameter) -> bool:
    if isinstance(param, click.Argument):
        return True
    return isinstance(param, click.Option) and not param.is_flag and not param.count


def tokens(param: click.Parameter, value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if isinstance(param, click.Argument):
        return values
    return [max(param.opts, key=len)] + values


def line(command: str, base: dict, **changes) -> list[str]:
    """The base command line of ``command`` with parameters replaced, added or dropped
    (``None``); arguments first, in their order, as click reads them."""
    params = {p.name: p for p in COMMANDS[command].params}
    parts = {**base, **changes}
    args = [t for name, toks in parts.items() if toks is not None
            and isinstance(params[name], click.Argument) for t in toks]
    opts = [t for name, toks in parts.items() if toks is not None
            and not isinstance(params[name], click.Argument) for t in toks]
    if "as_of" in params and "as_of" not in parts:
        opts += ["--as-of", AS_OF]
    return command.split() + args + opts


def typed_bad_values(param: click.Parameter) -> list:
    """Wrong values the parameter's own type (or callback) gives away."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return ["no-such-choice"]
    if isinstance(kind, click.IntRange) and kind.min is not None:
        return [str(kind.min - 1), "many"]
    if isinstance(kind, click.types.IntParamType):
        return ["many"]
    if param.callback is parse_date:
        return ["2026-02-30", "26/11/2026"]
    if isinstance(kind, click.Path):
        if kind.exists:
            return ["{tmp}/missing.yaml"]
        if not kind.dir_okay:
            return ["{tmp}"]  # a folder where a file goes
        if not kind.file_okay:
            return ["{tmp}/a-file"]  # a file where a folder goes
    return []


def table() -> list[tuple[list[str], int, str]]:
    rows = []
    for command, cmd in COMMANDS.items():
        base = BASE.get(command, {})
        rows.append((line(command, base), 0, f"{command}: works"))
        rows.append((line(command, base) + ["--no-such-option"], 2,
                     f"{command}: unknown option"))
        for param in cmd.params:
            if param.required and param.name in base:
                rows.append((line(command, base, **{param.name: None}), 2,
                             f"{command}: without {param.name}"))
            if not takes_value(param):
                continue
            if isinstance(param, click.Option):
                dropped = {param.name: None} if param.name in base else {}
                rows.append((line(command, base, **dropped) + [max(param.opts, key=len)],
                             2, f"{command}: {param.name} without its value"))
            for value in typed_bad_values(param) + BAD.get((command, param.name), []):
                value, leave_out = value if isinstance(value, tuple) else (value, [])
                changes = {name: None for name in leave_out}
                changes[param.name] = tokens(param, value)
                rows.append((line(command, base, **changes), 1,
                             f"{command}: {param.name} {value!r}"))
    rows += [(args, code, " ".join(args)) for args, code in EXPLICIT]
    return rows


TABLE = table()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The workspace, committed to git (for diff and history)."""
    root = tmp_path_factory.mktemp("exit") / "ws"
    for rel, text in {"riskkit.yaml": SETTINGS, **FILES}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@example.com",
           "GIT_COMMITTER_NAME": "Dana", "GIT_COMMITTER_EMAIL": "dana@example.com",
           "GIT_AUTHOR_DATE": "2026-11-01T12:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-01T12:00:00+00:00"}
    from conftest import invoke, pinned_clock

    with pinned_clock():
        for incident_id, events in INCIDENTS.items():
            started = invoke("-C", root, "incident", "start", "rb-a", "--id", incident_id,
                             "--at", "2026-11-26T10:00:00Z", "--by", "dana",
                             env={"RISKKIT_NO_CACHE": "1"})
            assert started.exit_code == 0, started.output
            for event in events:
                done = invoke("-C", root, "incident", *event, "-i", incident_id, "--at",
                              "2026-11-26T10:05:00Z", "--by", "dana",
                              env={"RISKKIT_NO_CACHE": "1"})
                assert done.exit_code == 0, done.output
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "register"]):
        subprocess.run(["git", "-C", str(root), "-c", "commit.gpgsign=false", *args],
                       check=True, capture_output=True, env=env)
    return root


@pytest.mark.parametrize("args, expected", [(a, e) for a, e, _ in TABLE],
                         ids=[why for *_, why in TABLE])
def test_exit_status(run, repo, tmp_path, monkeypatch, args, expected):
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    (tmp_path / "a-file").write_text("not a folder\n")
    args = [a.replace("{tmp}", str(tmp_path)).replace("{action}", action_id(repo))
            for a in args]
    if args[0] != "-C":
        args = ["-C", str(repo)] + args
    result = run(*args)
    assert result.exit_code == expected, (args, result.output)
    if expected:
        assert result.stderr, "a failure says why on stderr"
        assert "Traceback" not in result.output and "internal error" not in result.output


def action_id(root: Path) -> str:
    """The id of the action item the fixture added to incident x-done-action."""
    import json

    lines = (root / "incidents" / "x-done-action" / "journal").read_text().splitlines()
    return next(e["event"] for e in map(json.loads, lines) if e["kind"] == "action")


def test_every_value_on_the_command_line_has_a_wrong_value_row():
    covered = {why.split(":")[0] + ":" + why.split(": ", 1)[1].split(" ")[0]
               for _, code, why in TABLE if code == 1}
    missing = [f"{command} {param.name}" for command, cmd in COMMANDS.items()
               for param in cmd.params if takes_value(param)
               and (command, param.name) not in FREE
               and f"{command}:{param.name}" not in covered]
    assert missing == [], "add wrong values to BAD (or the parameter to FREE)"
    assert set(BASE) == set(COMMANDS), "every command needs a command line that works"
    stale = [key for key in [*BAD, *FREE] if key[0] not in COMMANDS
             or key[1] not in {p.name for p in COMMANDS[key[0]].params}]
    assert stale == []
