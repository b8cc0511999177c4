"""The classic YAML traps get a hint where they bite: a value starting with ``{{`` (a flow
mapping), a ``: `` inside a plain value, a tab used for indentation, and a `` #`` that
turned the rest of a text into a comment (a warning: the file is valid YAML, the value
is just shorter than it looks)."""

from __future__ import annotations

import json

import pytest

from riskkit.files.yamlload import load_text

RISK = ("id: RSK-1\ntitle: {title}\nowner: team-data\nstatus: mitigating\nlikelihood: 2\n"
        "impact: 3\n")

RUNBOOK = """\
id: rb
title: Fail over
triggers: [An alert fires]
steps:
  - id: declare
    title: {title}
    role: ic
    minutes: 5
"""

FLOW = ("an unquoted '{' starts a YAML mapping, so a value with {{ ... }} in it must be "
        "quoted: title: \"Restart {{ host }}\"")
COLON = "a ': ' inside an unquoted value starts a mapping: quote the whole value"
TAB = "a tab is not allowed for indentation in YAML: indent with spaces"


@pytest.mark.parametrize("text, line", [
    (RUNBOOK.replace("{title}", "{{ region }} is down"), "runbooks/rb.yaml:6:25: Y001 YAML "
     f"syntax error: did not find expected key ({FLOW})"),
    (RUNBOOK.replace("{title}", "{{ region }}"), "runbooks/rb.yaml:6:13: Y005 mapping keys "
     f"must be plain scalars ({FLOW})"),
    (RUNBOOK.replace("    title: {title}\n", "")
     .replace("  - id: declare", "  - {id: declare, title: Go to {{ region }}, role: ic}"),
     "runbooks/rb.yaml:5:32: Y001 YAML syntax error: did not find expected ',' or '}' "
     f"({FLOW})"),
    (RUNBOOK.replace("{title}", "Note: check the lag first"), "runbooks/rb.yaml:6:16: Y001 "
     f"YAML syntax error: mapping values are not allowed in this context ({COLON})"),
    (RUNBOOK.replace("    role: ic", "\trole: ic").replace("{title}", "Declare"),
     "runbooks/rb.yaml:7:1: Y001 YAML syntax error: found a tab character that violates "
     f"indentation ({TAB})"),
    (RUNBOOK.replace("    role: ic", "    role: ic\n  \tminutes: 3").replace("{title}", "D"),
     "runbooks/rb.yaml:8:3: Y001 YAML syntax error: found a tab character that violates "
     f"indentation ({TAB})"),
], ids=["flow-mapping-then-text", "flow-mapping-alone", "inside-a-flow-mapping",
        "colon-space", "tab", "tab-after-spaces"])
def test_a_syntax_error_from_a_classic_trap_gets_a_hint(run, make_ws, text, line):
    root = make_ws({"runbooks/rb.yaml": text})
    result = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [line]


def test_a_syntax_error_without_a_trap_gets_no_hint():
    _, [problem] = load_text("a: [1, 2\nb: 3\n", "f.yaml")
    assert problem.code == "Y001" and "(" not in problem.message


def warnings(run, root, *args) -> list[tuple]:
    result = run("-C", root, "validate", "--as-of", "2026-11-26", "--format", "json", *args)
    assert result.exit_code == 0, result.output  # a warning does not fail validate
    return [(p["path"], p["line"], p["col"], p["code"], p["severity"], p["message"])
            for p in json.loads(result.stdout)]


def test_text_that_ends_where_a_comment_starts_is_a_warning_at_the_comment(run, make_ws):
    root = make_ws({"risks/RSK-1.yaml": RISK.replace("{title}", "Fix queue #2 now"),
                    "runbooks/rb.yaml": RUNBOOK.replace("{title}", "Page the DBA # on call")})
    assert warnings(run, root) == [
        ("risks/RSK-1.yaml", 2, 18, "Y010", "warning",
         "title: the value ends where a comment starts: 'Fix queue' is kept, '#2 now' is not; "
         "quote the whole value if the '#' belongs to it"),
        ("runbooks/rb.yaml", 6, 25, "Y010", "warning",
         "steps[0].title: the value ends where a comment starts: 'Page the DBA' is kept, "
         "'# on call' is not; quote the whole value if the '#' belongs to it"),
    ]
    strict = run("-C", root, "validate", "--as-of", "2026-11-26", "--strict")
    assert strict.exit_code == 1
    shown = json.loads(run("-C", root, "risks", "--format", "json").stdout)
    assert shown[0]["title"] == "Fix queue"  # what YAML says; the warning says why


def test_settings_text_cut_by_a_comment_is_a_warning_too(run, make_ws):
    from conftest import SETTINGS

    root = make_ws({"risks/RSK-1.yaml": RISK.replace("{title}", "Disk full")},
                   settings=SETTINGS.replace("name: Test Co", "name: Test Co #1 in payments"))
    assert warnings(run, root) == [
        ("riskkit.yaml", 1, 15, "Y010", "warning",
         "name: the value ends where a comment starts: 'Test Co' is kept, '#1 in payments' is "
         "not; quote the whole value if the '#' belongs to it"),
    ]


def test_a_value_that_is_only_a_comment_says_why_it_is_empty(run, make_ws):
    root = make_ws({"risks/RSK-1.yaml": RISK.replace("{title}", "Disk full")
                    + "category: #storage\n"})
    result = run("-C", root, "validate", "--as-of", "2026-11-26")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "risks/RSK-1.yaml:7:10: S102 RSK-1: category: expected a string, got null",
        "risks/RSK-1.yaml:7:11: Y010 category: the value is empty: '#storage' is a YAML "
        "comment; quote the value if the '#' belongs to it (warning)",
    ]


def test_ordinary_comments_are_left_alone(run, make_ws):
    risk = ("id: RSK-1            # the first one\n"
            "title: 'Fix queue #2 now'   # quoted, so whole\n"
            "owner: team-data     # Slack: #team-data\n"
            "status: mitigating   # open | mitigating | accepted | closed\n"
            "likelihood: 2        # unlikely\n"
            "impact: 3 #moderate\n"
            "review:   # every quarter\n"
            "  last: 2026-11-20\n"
            "  by: dana\n"
            "runbooks: [rb]       # links may be declared on either side\n"
            "tags:\n"
            "  - db               # the ledger\n"
            "description: >-      # folded\n"
            "  A long text # with a hash inside a block, which is text\n")
    runbook = RUNBOOK.replace("{title}", "\"Restart {{ host }}\"").replace(
        "triggers:", "inputs:\n  host: {description: The host, required: true}\ntriggers:")
    root = make_ws({"risks/RSK-1.yaml": risk, "runbooks/rb.yaml": runbook})
    assert warnings(run, root, "--strict") == []


def test_a_vars_file_value_cut_by_a_comment_is_said_on_stderr(run, make_ws, tmp_path):
    root = make_ws({"runbooks/rb.yaml": RUNBOOK.replace("{title}", "Declare")
                    .replace("triggers:", "inputs:\n  note: {description: A note}\ntriggers:")})
    vars_file = tmp_path / "vars.yaml"
    vars_file.write_text("note: call me #5 first\n")
    result = run("-C", root, "runbook", "render", "rb", "--vars-file", vars_file,
                 "--as-of", "2026-11-26")
    assert result.exit_code == 0, result.output
    assert f"{vars_file}:1:15: Y010 note: the value ends where a comment starts" \
        in result.stderr
