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


# --- the comment check looks only where comments are ----------------------------------

def _every_node_checked(node, text: str, display: str) -> list:
    """The check as it was before it skipped nodes: every node walked, each place spelled
    as it is reached. The reference the pruned walk is held to."""
    import yaml

    from riskkit.files.yamlload import _lines, cut_value

    lines = _lines(text)
    problems, seen, stack = [], set(), [(node, "")]
    while stack:
        current, where = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in reversed(current.value):
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((value, f"{where}.{name}" if where else str(name)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, f"{where}[{i}]")
                         for i, item in reversed(list(enumerate(current.value))))
        elif isinstance(current, yaml.ScalarNode):
            problem = cut_value(current, lines, display, lambda where=where: where)
            if problem is not None:
                problems.append(problem)
    return sorted(problems)


_PIECES = [
    "a: plain text #2 now", "b: #c62828", "c: 'quoted' # fine", "d: 12 # a number",
    "e:\n  - one two # note\n  - 'x' #y\n  - [p q #r\n    , s]", "f: {g: h i #j\n  , k: l}",
    "m: &anchor text with spaces # cut\nn: *anchor # again",
    "o:\n- indentless item #x\n- other", "p: |\n  block # kept\nq: after #z",
    "r: multi\n  line plain # end", "s:\n  t:\n    u: deep value #v", "w: # only a comment",
    "x: <<", "base: &b {y: value z #1\n  }\nmerged:\n  <<: *b\n  own: text #2",
    "tab:\tvalue\t#t", "z: \"dq\" #dq", "? complex key # c\n: value #v2",
]


@pytest.mark.parametrize("seed", range(40))
def test_the_comment_check_finds_what_walking_every_node_finds(seed):
    """The check skips every node written away from the lines with a comment. Documents
    made of comment traps (nested, flow, indentless, aliased, merged, multi-line) get the
    warnings, places and labels a walk of every node gives."""
    import random

    from riskkit.files.yamlload import _Loader, cut_by_comments

    rng = random.Random(seed)
    pieces = rng.sample(_PIECES, rng.randint(1, len(_PIECES)))
    text = "\n".join(pieces) + "\n"
    node = _Loader(text).get_single_node()  # every piece is valid YAML, and so is any mix
    assert cut_by_comments(node, text, "f.yaml") == _every_node_checked(node, text, "f.yaml")
