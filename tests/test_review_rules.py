"""The review rules' registry: each rule has an id, a label and a check that finds what it
is about, and ``review``, ``--kind`` and the formats all follow the registry.

The behaviour of each kind (places, owners, messages, what is not yet due) is in
test_review.py; this file checks that the registry is what drives it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import textwrap

import pytest
from conftest import REPO, SETTINGS
from test_review import AS_OF, ATTENTION

from riskkit.codes import Severity
from riskkit.load import load
from riskkit.present.formats import PROBLEM_FORMATS
from riskkit.present.review import REVIEW_FORMATS
from riskkit.problems import Problem
from riskkit.review import findings as engine
from riskkit.review.findings import review
from riskkit.review.registry import KINDS, RULE_BY_ID, RULES
from riskkit.review.rule import Hit, rule
from riskkit.workspace import open_workspace

DAY = dt.date.fromisoformat(AS_OF[1])


@pytest.fixture(scope="module")
def attention(tmp_path_factory):
    """test_review's workspace with one finding of every kind, loaded once."""
    root = tmp_path_factory.mktemp("attention")
    (root / "riskkit.yaml").write_text(SETTINGS)
    for rel, text in ATTENTION.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return load(open_workspace(root), DAY)


def test_every_rule_has_an_id_a_label_a_subject_and_a_check():
    assert RULES, "no review rules registered"
    for r in RULES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", r.id), r.id
        assert r.label.strip() and r.label == r.label.strip(), r.id
        assert r.on in engine.SUBJECTS, (r.id, r.on)
        assert callable(r.check), r.id


def test_ids_and_labels_are_unique_and_kinds_is_the_registry():
    ids = [r.id for r in RULES]
    labels = [r.label for r in RULES]
    assert len(set(ids)) == len(ids), "two rules share an id"
    assert len(set(labels)) == len(labels), "two rules share a label"
    assert KINDS == {r.id: r.label for r in RULES}
    assert list(RULE_BY_ID) == ids
    assert engine.KINDS is KINDS  # what the report imports is the registry's


@pytest.mark.parametrize("kind", [r.id for r in RULES])
def test_each_rule_finds_its_kind_on_a_workspace_built_to_trigger_it(attention, kind):
    found = review(attention, DAY, [kind])
    assert found, f"no {kind} finding: add a case for it to test_review.ATTENTION"
    assert {f.kind for f in found} == {kind}
    assert all(f.subject and f.owner and f.message for f in found)
    # Asking for one kind is the same as asking for all and keeping that kind.
    assert found == [f for f in review(attention, DAY) if f.kind == kind]


def test_review_runs_exactly_the_registered_rules(attention, monkeypatch):
    """A new kind is a check listed in the registry: the engine asks nothing else."""
    @rule("runbook-seen", "every runbook, for the test", on="runbook")
    def seen(ctx, runbook):
        yield Hit(runbook.file, runbook.at("id"), runbook.id, None, f"saw {runbook.id}")

    monkeypatch.setattr(engine, "RULES", (seen,))
    found = review(attention, DAY)
    assert [f.kind for f in found] == ["runbook-seen"] * len(attention.runbooks)
    assert {f.subject for f in found} == {rb.id for rb in attention.runbooks}
    assert {f.owner for f in found} == {"-"}  # no owner reads as "-", as before


def test_closed_risks_are_given_to_no_rule(attention):
    assert "RSK-GONE" in {r.id for r in attention.risks}
    assert "RSK-GONE" not in {f.subject for f in review(attention, DAY)}


def test_a_finding_is_a_warning_problem_whose_code_is_its_kind(attention):
    found = review(attention, DAY)
    for f in found:
        assert isinstance(f, Problem)
        assert f.code == f.kind and f.severity is Severity.WARNING and not f.is_error
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].owner = "someone"  # type: ignore[misc]
    # So the problem formatters print findings too.
    assert PROBLEM_FORMATS["text"](found[:1]) == (
        f"{found[0].path}:{found[0].line}:{found[0].col}: {found[0].kind} "
        f"{found[0].message} (warning)\n")


def test_review_formats_are_the_commands_formats(run):
    help_text = run("review", "--help").stdout
    choices = re.search(r"--format \[([^\]]+)\]", help_text).group(1).split("|")
    assert choices == [*REVIEW_FORMATS, "auto"]


@pytest.mark.parametrize("fmt", sorted(REVIEW_FORMATS))
def test_the_command_prints_what_the_formatter_returns(run, attention, fmt):
    expected = REVIEW_FORMATS[fmt](review(attention, DAY), DAY, attention.workspace)
    result = run("-C", attention.workspace.root, "review", *AS_OF, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout == expected
    if fmt == "json":
        assert list(json.loads(expected)["summary"]) == sorted(
            {f.kind for f in review(attention, DAY)})


def test_kind_help_lists_exactly_the_registry(run):
    help_text = run("review", "--help").stdout
    listed = re.search(r"Kinds: (.*?)\.\n", help_text, re.S).group(1)
    assert [k.strip() for k in listed.split(",")] == list(KINDS)


def test_an_unknown_kind_says_did_you_mean_and_lists_the_kinds(run, attention):
    result = run("-C", attention.workspace.root, "review", *AS_OF, "--kind", "drill-overdeu")
    assert result.exit_code == 1
    assert "unknown kind 'drill-overdeu' (did you mean 'drill-overdue'?)" in result.stderr
    assert f"kinds: {', '.join(KINDS)}" in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_the_report_labels_each_finding_with_its_rules_label(attention):
    from riskkit.present.report import report_context

    context = report_context(attention, DAY)
    assert context["findings"], "the workspace should have findings"
    for f in context["findings"]:
        assert f["label"] == RULE_BY_ID[f["kind"]].label
    assert {c["label"] for c in context["finding_counts"]} == set(KINDS.values())



def test_the_readme_names_exactly_the_registered_kinds():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    paragraph = re.search(r"^Kinds: (.*?)\n\n", text, re.S | re.M).group(1)
    assert re.findall(r"`([a-z-]+)`", paragraph) == list(KINDS)
