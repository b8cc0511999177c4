"""Runbook files: every problem reported at the offending YAML node, lint warnings, links.

Each folder under ``examples/invalid-runbooks`` is a tiny workspace with ``expected.txt``,
the exact stdout lines of ``riskkit -C <case> validate``. The positions were checked by hand
against the YAML; ``POINTS_AT`` below repeats that check in code: the text at each
reported ``line:col`` must start with the offending node.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import EXAMPLES, SETTINGS
from riskkit.runbook.model import is_commander, load_runbook
from riskkit.files.yamlload import load_text

INVALID = sorted(p for p in (EXAMPLES / "invalid-runbooks").iterdir() if p.is_dir())
VALID = EXAMPLES / "valid-runbooks"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]\d{3}) "
                  r"(?P<msg>.+)$")

# For every expected line of a case, in order: its code, the text found at its line:col in
# the file, and words the message must carry (ids, did-you-mean hints).
POINTS_AT = {
    "cycle": [("B006", "[declare, check-traffic]",
               ["lb-switch:", "drain -> switch -> check-traffic -> drain"])],
    "default-not-in-choices": [("B007", "eu-west-2", ["db-failover:", "eu-west-1, us-east-1"])],
    "default-not-matching-pattern": [("B007", "six", ["web-scale:", "^[0-9]+$"])],
    "duplicate-runbook-id": [("B008", "web-restart", ["web-restart", "web-restart-copy.yaml:1:5"])],
    "duplicate-step-id": [("B001", "restart", ["web-restart:", "'restart'", "line 9"])],
    "self-need": [("B006", "[declare, restart]", ["web-restart:", "restart -> restart"]),
                  ("B003", "restart]", ["web-restart:", "'restart' needs itself"])],
    "template-syntax-error": [("B011", "kubectl -n web-{{ region }}",
                               ["web-restart:", "template syntax error"])],
    "undeclared-input": [("B010", "Restart the web pods in {{ regoin }}",
                          ["web-restart:", "'regoin'", "did you mean 'region'?"])],
    "undefined-role": [("B005", "dbaa", ["db-failover:", "role 'dbaa'", "did you mean 'dba'?"]),
                       ("B005", "cto", ["db-failover:", "approval 'cto'"])],
    "unknown-links": [("R005", "web-restrat", ["RSK-001:", "did you mean 'web-restart'?"]),
                      ("B009", "RSK-002", ["web-restart:", "did you mean 'RSK-001'?"])],
    "unknown-need": [("B002", "declar", ["web-restart:", "did you mean 'declare'?"]),
                     ("B002", "purge-cdn", ["web-restart:", "'purge-cdn'"])],
    "unknown-scenario": [("B004", "host-lsot", ["db-failover:", "did you mean 'host-lost'?",
                                                "host-lost, disk-full"])],
    "unknown-step-field": [("S100", "verfy:", ["web-restart:", "did you mean 'verify'?"])],
    "trial-render-failures": [
        ("T001", "kubectl scale", ["web-scale:", "ZeroDivisionError", "replicas=0"]),
        ("T001", "\"{{ hosts.split", ["no element 2", "trial render"]),
        ("T003", "\"{{ region['__cla'", ["'__class__'", "ticket=INC-0000"])],
    "template-budgets": [
        ("T004", "Restart {{ 9**(9**9) }}", ["387420489", "4,096 bits"]),
        ("T004", "echo {{ 'x'", ["1,000,000,000 times"]),
        ("T004", "|", ["500,000 steps"])],
    "text-includes-template": [("T003", "      {% include", ["'{% include %}'"]),
                               ("T003", "\"{% import", ["'{% import %}'"])],
    "dangerous-pattern": [("B016", "\"^([a-z0-9]+-?)+$\"", ["'service'", "repeats a repeat"]),
                          ("B016", "\"^(a|ab)+$\"", ["'alias'", "start alike"])],
}


def test_every_case_is_described_and_there_are_enough():
    # Guards the parametrized tests against silently running on nothing.
    assert sorted(p.name for p in INVALID) == sorted(POINTS_AT)
    assert len(INVALID) >= 13


def test_cases_use_the_test_settings():
    for case in INVALID:
        assert (case / "riskkit.yaml").read_text() == SETTINGS, case.name


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_runbook_case(run, case):
    result = run("-C", case, "validate", "--format", "text")
    assert result.exit_code == 1, result.output
    assert result.stdout == (case / "expected.txt").read_text()


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_runbook_case_points_at_the_offending_node(case):
    lines = (case / "expected.txt").read_text().splitlines()
    wanted = POINTS_AT[case.name]
    assert len(lines) == len(wanted)
    for text, (code, token, words) in zip(lines, wanted):
        match = LINE.match(text)
        assert match, text
        assert match["code"] == code
        source = (case / match["path"]).read_text().splitlines()
        at = source[int(match["line"]) - 1][int(match["col"]) - 1:]
        assert at.startswith(token), f"{text!r} points at {at!r}, not {token!r}"
        for word in words:
            assert word in match["msg"], (word, text)


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_runbook_case_names_a_known_id(case):
    """Every message starts with the id of a runbook or risk of the case."""
    ids = set()
    for path in case.rglob("*.yaml"):
        if path.name != "riskkit.yaml":
            ids.add(yaml.safe_load(path.read_text())["id"])
    for text in (case / "expected.txt").read_text().splitlines():
        subject = LINE.match(text)["msg"].split(":", 1)[0]
        assert subject in ids, text


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_runbook_case_as_json(run, case):
    result = run("-C", case, "validate", "--format", "json")
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)
    assert [f"{p['path']}:{p['line']}:{p['col']}: {p['code']} {p['message']}"
            for p in problems] == (case / "expected.txt").read_text().splitlines()
    assert {p["severity"] for p in problems} == {"error"}


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_runbook_is_left_out_of_runbook_list(run, case):
    result = run("-C", case, "runbook", "list", "--format", "json")
    assert result.exit_code == 1, result.output
    expected = (case / "expected.txt").read_text().splitlines()
    broken = {line.split(":", 1)[0] for line in expected}
    listed = {item["file"] for item in json.loads(result.stdout)}
    assert listed == {f"runbooks/{p.name}" for p in (case / "runbooks").iterdir()} - broken
    assert expected[0] in result.stderr
    assert "Traceback" not in result.output


def test_invalid_runbook_is_refused_by_runbook_show(run):
    case = EXAMPLES / "invalid-runbooks" / "cycle"
    result = run("-C", case, "runbook", "show", "lb-switch")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "runbooks/lb-switch.yaml:12:12: B006" in result.stderr


def test_every_problem_in_one_run(run, make_ws):
    # Three unrelated mistakes in one file: all three come back, sorted by place.
    ws = make_ws({"runbooks/r.yaml": """\
        id: r
        title: R
        triggers: [t]
        scenarios: {a: A}
        steps:
          - id: one
            title: One
            role: nobody
            minutes: 1
          - id: two
            title: Two
            role: sre
            needs: [ghost]
            when: [b]
            minutes: 1
        """})
    result = run("-C", ws, "validate", "--format", "json")
    assert result.exit_code == 1
    got = [(p["line"], p["col"], p["code"]) for p in json.loads(result.stdout)]
    assert got == [(8, 11, "B005"), (13, 13, "B002"), (14, 12, "B004")]


# --- lint warnings -----------------------------------------------------------------------

LINT = VALID / "lint-warnings"


def test_lint_warnings_do_not_fail_validate(run):
    result = run("-C", LINT, "validate", "--format", "text")
    assert result.exit_code == 0, result.output
    assert result.stdout == (LINT / "expected.txt").read_text()
    assert "0 error(s), 7 warning(s)" in result.stderr


def test_lint_warnings_fail_validate_strict(run):
    result = run("-C", LINT, "validate", "--strict", "--format", "text")
    assert result.exit_code == 1, result.output
    assert result.stdout == (LINT / "expected.txt").read_text()


def test_lint_warnings_one_of_each_kind_at_its_step(run):
    result = run("-C", LINT, "validate", "--format", "json")
    problems = json.loads(result.stdout)
    assert {p["severity"] for p in problems} == {"warning"}
    by_code = {p["code"]: p for p in problems}
    assert len(by_code) == len(problems) == 7
    source = (LINT / "runbooks" / "cache-rebuild.yaml").read_text().splitlines()

    def at(code):
        p = by_code[code]
        return source[p["line"] - 1][p["col"] - 1:]

    assert "no triggers" in by_code["W004"]["message"]
    assert at("W005") == "id: declare"  # the ic holds a step with a `run`
    assert at("W002") == "id: flush"  # irreversible, no approval
    assert at("W001") == "id: warm"  # a run without verify
    assert at("W003") == "id: tell-support"  # no role
    assert at("W007") == "id: close"  # no minutes
    # 5 + 10 + 15 + 2 + 0 along the only chain, above the 20 minute RTO of RSK-001
    assert "expected time to mitigate 32 min is above the RTO of RSK-001 (20 min)" in \
        by_code["W006"]["message"]
    for p in problems:
        assert p["message"].startswith("cache-rebuild: ")


def test_clean_runbook_passes_strict(run):
    result = run("-C", VALID / "clean", "validate", "--strict", "--format", "text")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 risks, 1 runbooks" in result.stderr


def test_eta_equal_to_rto_is_no_warning(run, make_ws):
    files = {p.relative_to(VALID / "clean").as_posix(): p.read_text()
             for p in (VALID / "clean").rglob("*.yaml") if p.name != "riskkit.yaml"}
    # The clean runbook's ETA is 5 + 10 + 15 + 2 + 1 = 33 minutes.
    files["risks/RSK-001.yaml"] = files["risks/RSK-001.yaml"].replace("rto_minutes: 60",
                                                                       "rto_minutes: 33")
    assert run("-C", make_ws(files), "validate", "--strict").exit_code == 0
    files["risks/RSK-001.yaml"] = files["risks/RSK-001.yaml"].replace("rto_minutes: 33",
                                                                       "rto_minutes: 32")
    result = run("-C", make_ws(files), "validate", "--strict", "--format", "json")
    assert result.exit_code == 1
    assert [p["code"] for p in json.loads(result.stdout)] == ["W006"]


def test_commander_known_by_title():
    roles = {"lead": type("Role", (), {"title": "Incident Commander (primary)"})()}
    assert is_commander("lead", roles)
    assert is_commander("ic", {})
    assert not is_commander("sre", {"sre": type("Role", (), {"title": "SRE on-call"})()})
    assert not is_commander(None, roles)


# --- links declared on one side ----------------------------------------------------------

LINKS = VALID / "one-sided-links"


def test_links_declared_on_either_side_are_merged(run):
    result = run("-C", LINKS, "runbook", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    risks = {item["id"]: item["risks"] for item in json.loads(result.stdout)}
    # cache-rebuild is linked only from RSK-001; web-restart links RSK-002 only itself.
    assert risks == {"cache-rebuild": ["RSK-001"], "web-restart": ["RSK-002"]}


@pytest.mark.parametrize("runbook_id,risk_id", [("cache-rebuild", "RSK-001"),
                                                ("web-restart", "RSK-002")])
def test_runbook_show_finds_links_from_either_side(run, runbook_id, risk_id):
    result = run("-C", LINKS, "runbook", "show", runbook_id, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)["risks"]] == [risk_id]


def test_links_declared_on_both_sides_are_counted_once(run):
    result = run("-C", VALID / "clean", "runbook", "list", "--format", "json")
    assert [item["risks"] for item in json.loads(result.stdout)] == [["RSK-001"]]


# --- the core, without the CLI -----------------------------------------------------------

def test_load_runbook_returns_data_and_no_problems():
    text = (VALID / "clean" / "runbooks" / "cache-rebuild.yaml").read_text()
    doc, problems = load_text(text, "runbooks/cache-rebuild.yaml")
    assert problems == []
    runbook, problems = load_runbook(doc, {"ic": None, "sre": None, "comms": None})
    assert problems == []
    assert [s.id for s in runbook.steps] == ["declare", "flush", "warm", "tell-support",
                                             "close"]
    flush = runbook.step("flush")
    assert flush.needs == ("declare",)
    assert flush.irreversible and flush.approval == "ic"
    assert flush.line == 12
    assert runbook.risks == ("RSK-001",)


def test_load_runbook_refuses_with_every_problem():
    text = (EXAMPLES / "invalid-runbooks" / "undefined-role" / "runbooks"
            / "db-failover.yaml").read_text()
    doc, _ = load_text(text, "db-failover.yaml")
    runbook, problems = load_runbook(doc, {"ic": None, "dba": None})
    assert runbook is None
    assert [(p.line, p.col, p.code) for p in problems] == [(11, 11, "B005"),
                                                           (12, 15, "B005")]


def test_runbook_local_roles_are_defined_roles():
    doc, _ = load_text(
        "id: r\ntitle: R\ntriggers: [t]\n"
        "roles: {vendor: {title: Vendor support}}\n"
        "steps:\n  - {id: call, title: Call the vendor, role: vendor, minutes: 5}\n", "r.yaml")
    runbook, problems = load_runbook(doc, {})
    assert runbook is not None
    assert problems == []
