"""Property tests: arbitrary and mutated input never crashes riskkit, and the fast schema
check never disagrees with jsonschema when it says "valid"."""

from __future__ import annotations

import copy
import datetime as dt
import json

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskkit.files import schemacheck
from riskkit.files.fastschema import compile_schema
from riskkit.load import load
from riskkit.workspace import open_workspace
from riskkit.files.yamlload import load_text

from conftest import SETTINGS

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                    st.dates().map(lambda d: d.isoformat()))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=20)

VALID_RISK = {
    "id": "RSK-1", "title": "A risk", "owner": "team", "status": "mitigating",
    "likelihood": 3, "impact": "high", "description": "d", "category": "availability",
    "controls": [{"id": "CTL-a", "title": "c", "kind": "preventive", "status": "planned"}],
    "residual": {"likelihood": 2, "impact": 2},
    "treatment": {"strategy": "mitigate", "rationale": "r", "due": "2027-01-31"},
    "review": {"last": "2026-10-01", "by": "dana"}, "rto_minutes": 30,
    "runbooks": ["rb"], "tags": ["a", "b"],
}
VALID_RUNBOOK = {
    "id": "rb", "title": "Fix it", "severity": "SEV-2", "triggers": ["alert"],
    "inputs": {"region": {"description": "r", "required": True, "choices": ["a", "b"]}},
    "scenarios": {"x": "X"},
    "steps": [{"id": "a", "title": "Start in {{ region }}", "role": "sre", "minutes": 5},
              {"id": "b", "title": "Then", "role": "sre", "needs": ["a"], "when": ["x"],
               "minutes": 3, "verify": "ok", "run": "echo {{ region }}"}],
}


def mutate(data, path, value):
    """Replace (or delete, when value is the DELETE marker) the value at path."""
    data = copy.deepcopy(data)
    target = data
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()


def paths_of(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from paths_of(value, prefix + (i,))


RISK_PATHS = [p for p in paths_of(VALID_RISK) if p]
RUNBOOK_PATHS = [p for p in paths_of(VALID_RUNBOOK) if p]


@pytest.mark.parametrize("name", ["risk", "runbook", "drill", "matrix", "settings"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_fast_check_never_calls_an_invalid_document_valid(name, value):
    fast = compile_schema(schemacheck.item_schema(name))
    if fast(value):
        assert jsonschema.Draft202012Validator(
            schemacheck.item_schema(name),
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).is_valid(value)


@pytest.mark.slow  # over a second of examples
@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(RISK_PATHS) - 1), value=st.one_of(json_values, st.just(DELETE)))
def test_fast_check_agrees_with_jsonschema_on_mutated_risks(index, value):
    document = mutate(VALID_RISK, RISK_PATHS[index], value)
    schema = schemacheck.item_schema("risk")
    slow = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).is_valid(document)
    assert compile_schema(schema)(document) == slow


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_loading_arbitrary_text_never_raises(text):
    doc, problems = load_text(text, "f.yaml")
    assert doc is not None or problems  # either data, or the reasons there is none
    for problem in problems:
        assert problem.line >= 1 and problem.col >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(risk_index=st.integers(0, len(RISK_PATHS) - 1),
       runbook_index=st.integers(0, len(RUNBOOK_PATHS) - 1),
       risk_value=st.one_of(json_values, st.just(DELETE)),
       runbook_value=st.one_of(json_values, st.just(DELETE)))
def test_mutated_workspaces_validate_without_crashing(tmp_path_factory, risk_index,
                                                     runbook_index, risk_value, runbook_value):
    root = tmp_path_factory.mktemp("ws")
    (root / "riskkit.yaml").write_text(SETTINGS)
    (root / "risks").mkdir()
    (root / "runbooks").mkdir()
    risk = mutate(VALID_RISK, RISK_PATHS[risk_index], risk_value)
    runbook = mutate(VALID_RUNBOOK, RUNBOOK_PATHS[runbook_index], runbook_value)
    (root / "risks" / "r.yaml").write_text(yaml.safe_dump(risk, allow_unicode=True))
    (root / "runbooks" / "rb.yaml").write_text(yaml.safe_dump(runbook, allow_unicode=True))
    loaded = load(open_workspace(root), dt.date(2026, 11, 26))
    for problem in loaded.problems:
        assert problem.path in ("risks/r.yaml", "runbooks/rb.yaml")
        assert problem.line >= 1 and problem.col >= 1
        json.dumps(problem.to_dict())


def test_the_unmutated_documents_are_valid(tmp_path):
    # The properties above start from documents riskkit accepts.
    assert compile_schema(schemacheck.item_schema("risk"))(VALID_RISK)
    assert compile_schema(schemacheck.item_schema("runbook"))(VALID_RUNBOOK)


# --- output that lands in other tools (a terminal, a script, a pull-request comment) ---------

any_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40)


@settings(max_examples=300, deadline=None)
@given(text=any_text)
def test_visible_text_holds_no_control_character(text):
    from riskkit.problems import CONTROL, visible

    shown = visible(text)
    assert not CONTROL.search(shown)
    assert visible(shown) == shown  # showing twice changes nothing more


@settings(max_examples=200, deadline=None)
@given(data=st.recursive(st.one_of(st.none(), st.integers(), any_text),
                         lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                 st.dictionaries(any_text, inner, max_size=3)),
                         max_leaves=10))
def test_json_output_made_visible_is_the_same_data(data):
    """What ``emit`` does to JSON keeps it JSON of the same data: C1 controls, DEL and lone
    surrogates become their JSON escapes."""
    from riskkit.present.formats import to_json
    from riskkit.problems import visible

    assert json.loads(visible(to_json(data))) == data


# Markup a title may hold, mixed with any other printable text.
MARKUP = ["![", "](", "<img src=x>", "https://", "www.", "@", "&#64;", "&amp;", "`", "**", "_",
          "~~", "|", "\\", "# ", "> ", "- ", "1. ", "[^1]", "$", ":/", "<", ">", " ", "  "]
inline_text = st.lists(st.one_of(st.sampled_from(MARKUP), st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=6)),
    max_size=10).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=inline_text)
def test_markdown_text_renders_as_the_text_it_is(text):
    """Any title, escaped by ``md_text`` inside a list item, renders on GitHub (its own
    library) as that title: one item, no markup made, no mention."""
    import html
    import re

    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options

    from riskkit.present.formats import md_text

    page = cmarkgfm.github_flavored_markdown_to_html(f"- x {md_text(text)} y\n",
                                                     options=Options.CMARK_OPT_UNSAFE)
    tags = set(re.findall(r"</?([a-z0-9]+)", page))
    assert tags <= {"ul", "li"}, page  # no link either: a bare URL is shown, not linked
    shown = html.unescape(re.sub(r"<[^>]+>", "", page)).replace("\u200b", "")
    assert shown.strip() == f"x {text} y".replace("\x00", "\ufffd"), page
    assert not re.search(r"@(?!\u200b)", html.unescape(page))
