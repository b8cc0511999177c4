"""Problem codes as data: one registry that the source, Problem's severity, `riskkit
explain` and the README's table all agree with."""

from __future__ import annotations

import ast
import json
import re

import pytest

from riskkit.codes import CODES, FAMILIES, REGISTRY, Severity
from riskkit.problems import Problem

from conftest import EXAMPLES, REPO

PACKAGE = REPO / "riskkit"
CODE = re.compile(r"[A-Z]\d{3}")
README = REPO / "README.md"
START, END = "<!-- codes:start -->\n", "<!-- codes:end -->\n"


def code_literals(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and CODE.fullmatch(node.value):
            yield node


def emitted() -> dict[str, list[str]]:
    """Every code literal in riskkit's source (the registry aside) -> where it is."""
    out: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "codes.py":
            continue
        for node in code_literals(ast.parse(path.read_text(encoding="utf-8"))):
            out.setdefault(node.value, []).append(f"{path.relative_to(REPO)}:{node.lineno}")
    return out


# The registry and the source


def test_every_code_the_source_uses_is_registered_and_every_registered_code_is_used():
    used = emitted()
    assert {"Y001", "R002", "T003", "W006"} <= set(used), "the scan finds the codes"
    unregistered = {code: where for code, where in used.items() if code not in CODES}
    assert unregistered == {}, "register these codes in riskkit/codes.py"
    unused = sorted(set(CODES) - set(used))
    assert unused == [], "registered but never emitted: remove them or emit them"


def test_the_registry_is_well_formed():
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids)), "a code is registered twice"
    assert list(CODES) == ids
    for code in REGISTRY:
        assert CODE.fullmatch(code.id) and code.id[0] in FAMILIES, code.id
        assert isinstance(code.severity, Severity)
        assert code.meaning and "\n" not in code.meaning and not code.meaning.endswith(".")
        assert code.explanation.endswith("."), f"{code.id}: explain it in a sentence or two"
    # Codes are listed family by family, in the order of FAMILIES, and by number within.
    order = list(FAMILIES)
    assert ids == sorted(ids, key=lambda i: (order.index(i[0]), i))


def test_no_call_restates_a_severity_the_registry_holds():
    """A site that emits a code passes no severity: one source of truth, the registry."""
    restated = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not any(code_literals(node)):
                continue
            given = [k.value for k in node.keywords if k.arg == "severity"] + [
                a for a in node.args if isinstance(a, ast.Constant)
                and a.value in ("error", "warning")
                or isinstance(a, ast.Attribute) and ast.unparse(a).startswith("Severity.")]
            if given:
                restated.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert restated == []


# Problem and Severity


@pytest.mark.parametrize("code", REGISTRY, ids=lambda c: c.id)
def test_a_problem_has_its_codes_severity(code):
    problem = Problem("risks/a.yaml", 1, 1, code.id, "m")
    assert problem.severity is code.severity
    assert problem.is_error == (code.severity is Severity.ERROR)


def test_severity_is_a_string_wherever_it_is_shown():
    warning = Problem("a.yaml", 2, 3, "W001", "m")
    assert warning.severity == "warning" and str(warning.severity) == "warning"
    assert f"{warning.severity}" == "warning" and f"{Severity.ERROR:>7}" == "  error"
    assert json.dumps(warning.to_dict()) == ('{"path": "a.yaml", "line": 2, "col": 3, '
                                            '"code": "W001", "severity": "warning", '
                                            '"message": "m"}')
    # A cache entry is plain JSON: read back, it is the same problem with a Severity.
    again = Problem(**json.loads(json.dumps(warning.to_dict())))
    assert again == warning and again.severity is Severity.WARNING
    assert Problem("a.yaml", 1, 1, "X999", "m").severity is Severity.ERROR  # not registered
    assert Problem("a.yaml", 1, 1, "R002", "m", "warning").severity is Severity.WARNING
    with pytest.raises(ValueError):
        Problem("a.yaml", 1, 1, "R002", "m", "fatal")


def test_what_validate_reports_has_the_registered_severity(run):
    """Over every example workspace, each problem's severity, in JSON and after a trip
    through the cache, is its code's."""
    seen: dict[str, str] = {}
    for case in sorted(p for p in EXAMPLES.glob("*/*") if (p / "riskkit.yaml").is_file()):
        first = run("-C", case, "validate", "--format", "json")
        cached = run("-C", case, "validate", "--format", "json")
        assert cached.stdout == first.stdout, case.name
        for problem in json.loads(first.stdout):
            seen[problem["code"]] = problem["severity"]
    wrong = {code: sev for code, sev in seen.items() if sev != CODES[code].severity.value}
    assert wrong == {}
    assert len(seen) >= 30 and set(seen.values()) == {"error", "warning"}


# A code says what is wrong, never what the message happens to contain


def test_a_texts_code_comes_from_what_is_wrong_not_from_its_words(run, make_ws):
    """A filter named 'refused' is an unknown filter (B011), not a sandbox refusal (T003),
    though the message has the word "refused" in it."""
    from riskkit.runbook.text import template_variables

    assert template_variables("{{ host | refused }}")[1].code == "B011"
    assert template_variables("{{ host.__class__ }}")[1].code == "T003"
    assert template_variables("{{ host }")[1].code == "B011"
    assert template_variables("{{ host }}") == ({"host"}, None)
    ws = make_ws({"runbooks/rb.yaml": """\
        id: rb
        title: Restart
        triggers: [The site is down]
        inputs: {host: {description: Host, required: true}}
        steps:
          - {id: a, title: "Restart {{ host | refused }}", role: sre, minutes: 5}
          - {id: b, title: "Look at {{ host.__class__ }}", role: sre, minutes: 5}
        """})
    result = run("-C", ws, "validate", "--format", "json")
    assert [(p["code"], p["line"]) for p in json.loads(result.stdout)] == \
        [("B011", 6), ("T003", 7)]
    assert "refused" in json.loads(result.stdout)[0]["message"]


# riskkit explain


def test_explain_lists_every_code_with_its_severity_and_meaning(run, tmp_path):
    result = run("-C", tmp_path, "explain")  # no workspace needed
    assert result.exit_code == 0, result.output
    rows = re.findall(r"^  ([A-Z]\d{3})  (error|warning)\s+(.+)$", result.stdout, re.M)
    assert [(c.id, c.severity.value, c.meaning) for c in REGISTRY] == rows
    for family in FAMILIES.values():
        assert f"\n{family}\n" in f"\n{result.stdout}"
    assert "riskkit explain CODE" in result.stdout


def test_explain_one_code_says_what_it_means_how_to_fix_it_and_what_it_costs(run):
    result = run("explain", "r002")  # any case
    assert result.exit_code == 0, result.output
    code = CODES["R002"]
    lines = result.stdout.splitlines()
    assert lines[0] == f"R002 (error, risks): {code.meaning}"
    assert "For example:" in result.stdout and "impact: 4" in result.stdout
    assert lines[-1] == "  An error: riskkit validate fails on it (exit 1)."
    warning = run("explain", "Y010").stdout
    assert warning.startswith("Y010 (warning, YAML): ")
    assert "A warning: riskkit validate reports it and still passes, unless --strict." \
        in warning


def test_explain_an_unknown_code_fails_with_a_suggestion(run):
    result = run("explain", "R02")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("riskkit: unknown problem code 'R02' (did you mean 'R002'?); "
                             "riskkit explain lists them all\n")
    assert "did you mean" not in run("explain", "nothing-like-it").stderr


def test_explain_as_json(run):
    listed = json.loads(run("explain", "--format", "json").stdout)
    assert [c["code"] for c in listed] == list(CODES)
    one = json.loads(run("explain", "W006", "--format", "json").stdout)
    assert one == CODES["W006"].to_dict()
    assert one["severity"] == "warning" and one["family"] == "runbook warnings"


def test_explain_as_markdown(run):
    listed = run("explain", "--format", "md").stdout
    assert "| `B011` | error | a text is not a valid template |" in listed.splitlines()
    one = run("explain", "T003", "--format", "md").stdout
    assert one.startswith(f"### T003: {CODES['T003'].meaning}\n\n**error** (templates): ")
    assert "```yaml\n" in one


def test_explain_help_teaches_the_families(run):
    text = run("explain", "--help").stdout
    assert "risks/db.yaml:6:9: R002" in text
    flat = " ".join(text.split())
    assert all(f"{letter} {name}" in flat for letter, name in FAMILIES.items())
    assert "explain" in run("--help").stdout


# The README


def test_the_readme_table_of_codes_is_the_registry(run, request):
    """The README's table is `riskkit explain --format md`; `make golden` rewrites it."""
    text = README.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1, "the markers are in the README"
    head, rest = text.split(START)
    block, tail = rest.split(END)
    generated = run("explain", "--format", "md").stdout
    if request.config.getoption("--update-golden"):
        README.write_text(head + START + generated + END + tail, encoding="utf-8")
        block = generated
    assert block == generated, "README's table of codes is stale: run make golden"
    assert all(f"| `{code}` |" in block for code in CODES)
