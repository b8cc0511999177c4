"""Values are never changed behind the user's back.

YAML 1.1 reads ``no``/``off`` as false, ``010`` as 8, ``0x1F`` as 31, ``1:30`` as 90 and an
unquoted timestamp as a date it spells again its own way. riskkit types a plain value only
where YAML 1.1 and YAML 1.2 agree (``true``/``false``, ``null``, plain decimal numbers) and
keeps everything else as the text that was written. Input values (a ``--vars-file``, an
input's ``default`` and ``choices``) are always that text; a numeric field given anything but
plain decimal, or a boolean field given ``yes``/``no``, is refused at its line with a hint.
"""

from __future__ import annotations

import re

import pytest

from riskkit.files import schemacheck
from riskkit.files.yamlload import load_text

AS_OF = ("--as-of", "2026-11-26")

RISK = """\
id: RSK-001
title: Workers fall over
owner: team-web
status: open
likelihood: 3
impact: 3
rto_minutes: 60
runbooks: [scale-down]
"""

RUNBOOK = """\
id: scale-down
title: Scale the workers down
severity: SEV-2
owner: team-web
triggers: [WorkerErrors alert]
inputs:
  cluster:
    required: true
  dry_run:
    description: Pass --dry-run to kubectl
    choices: [yes, no]
    default: no
  replicas:
    default: 010
  ratio:
    choices: [1.10, 1.2]
    default: 1.10
  window:
    default: 1:30
  since:
    default: 2026-01-05 10:00
steps:
  - id: scale
    title: Scale the workers
    role: sre
    minutes: 5
    run: >-
      kubectl --context {{ cluster }} scale deploy/worker --replicas={{ replicas }}
      --dry-run={{ dry_run }} --ratio={{ ratio }} --window={{ window }} --since='{{ since }}'
    verify: The workers are scaled
"""


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def lines(result) -> list[str]:
    """The ``path:line:col: CODE message`` lines of a command's output."""
    return [line for line in result.output.splitlines() if re.match(r"\S+:\d+:\d+: ", line)]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def ws(make_ws):
    return make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": RUNBOOK})


def render(run, ws, *args):
    return run("-C", ws, "runbook", "render", "scale-down", *args, *AS_OF)


# --- the loader -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["no", "No", "NO", "off", "Off", "yes", "Yes", "on", "ON",
                                  "y", "n", "Y", "N", "010", "060", "0o10", "0x1F", "0b101",
                                  "1:30", "-1:30", "1_000", "1.5e3", ".5", "1.", "+.5",
                                  "2026-01-05", "2026-01-05 10:00", "2026-01-05T10:00:00Z",
                                  "2026-02-30", "=", "0x", "1e3"])
def test_a_plain_value_that_yaml_versions_read_differently_stays_as_written(text):
    doc, problems = load_text(f"value: {text}\n{text}: key\n", "f.yaml")
    assert problems == []
    assert doc.data == {"value": text, text: "key"}


@pytest.mark.parametrize("text, value", [
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False),
    ("0", 0), ("3", 3), ("-3", -3), ("+3", 3), ("90", 90), ("1.5", 1.5), ("0.25", 0.25),
    ("1.10", 1.1), ("-2.5", -2.5), ("1.0e+3", 1000.0), ("~", None), ("null", None), ("", None),
])
def test_values_both_yaml_versions_agree_on_are_typed(text, value):
    doc, problems = load_text(f"value: {text}\n", "f.yaml")
    assert problems == [] and doc.data["value"] == value
    assert type(doc.data["value"]) is type(value)


def test_keys_are_the_text_as_written():
    doc, _ = load_text("1.10: a\ntrue: b\n3: c\n~: d\n", "f.yaml")
    assert list(doc.data) == ["1.10", "true", "3", "~"]


def test_the_text_of_a_typed_value_is_kept_for_who_needs_it():
    doc, _ = load_text("a: 1.10\nb: [3, true, +5]\nc: text\nd: 2.50e+1\n", "f.yaml")
    assert doc.data["a"] == 1.1 and doc.text(("a",)) == "1.10"
    assert [doc.text(("b", i)) for i in range(3)] == ["3", "true", "+5"]
    assert doc.text(("c",)) == "text" and doc.text(("d",)) == "2.50e+1"
    assert doc.at(("b", 2)) == (2, 14)  # positions still work


@pytest.mark.parametrize("value, hint", [("!!int 010", "plain decimal"),
                                         ("!!int 0x1F", "plain decimal"),
                                         ("!!float 1:30", "plain decimal"),
                                         ("!!bool yes", "write true or false")])
def test_an_explicit_tag_follows_the_same_rules(value, hint):
    doc, problems = load_text(f"id: RSK-1\nx: {value}\n", "f.yaml")
    assert doc is None and [(p.code, p.line, p.col) for p in problems] == [("Y008", 2, 4)]
    assert hint in problems[0].message


def test_an_explicit_timestamp_is_kept_as_written():
    doc, problems = load_text("d: !!timestamp 2026-01-05 10:00:00\n", "f.yaml")
    assert problems == [] and doc.data == {"d": "2026-01-05 10:00:00"}


# --- input values: the text as written ------------------------------------------------

def test_input_defaults_are_the_text_as_written(run, ws):
    out = ok(render(run, ws, "--var", "cluster=eu-1"))
    assert ("--replicas=010 --dry-run=no --ratio=1.10 --window=1:30 "
            "--since='2026-01-05 10:00'") in out
    assert "False" not in out


def test_choices_are_the_text_as_written(run, ws):
    out = ok(render(run, ws, "--var", "cluster=eu-1", "--var", "dry_run=yes",
                    "--var", "ratio=1.2"))
    assert "--dry-run=yes --ratio=1.2 " in out
    result = render(run, ws, "--var", "cluster=eu-1", "--var", "ratio=1.1")
    assert result.exit_code == 1
    assert "input 'ratio': '1.1' is not one of: 1.10, 1.2" in result.stderr


def test_vars_file_values_are_the_text_as_written(run, ws, tmp_path):
    vars_file = tmp_path / "incident.yaml"
    vars_file.write_text("cluster: 0x1F\ndry_run: no\nreplicas: 3\nratio: 1.10\n"
                         "window: 0:45\nsince: 2026-01-05T10:00:00Z\n")
    out = ok(render(run, ws, "--vars-file", vars_file))
    assert ("kubectl --context 0x1F scale deploy/worker --replicas=3 --dry-run=no --ratio=1.10 "
            "--window=0:45 --since='2026-01-05T10:00:00Z'") in out


def test_vars_file_value_outside_the_choices_is_named_as_written(run, ws, tmp_path):
    vars_file = tmp_path / "incident.yaml"
    vars_file.write_text("cluster: eu-1\ndry_run: off\n")
    result = render(run, ws, "--vars-file", vars_file)
    assert result.exit_code == 1
    assert "input 'dry_run': 'off' is not one of: yes, no" in result.stderr


def test_a_default_is_checked_against_the_choices_as_written(run, make_ws):
    text = RUNBOOK.replace("default: 1.10", "default: 1.1")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": text})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    line = line_of(text, "default: 1.1")
    assert (f"runbooks/scale-down.yaml:{line}:14: B007 scale-down: input 'ratio': default "
            "'1.1' is not one of its choices (1.10, 1.2)") in result.output


def test_show_lists_defaults_and_choices_as_written(run, ws):
    out = ok(run("-C", ws, "runbook", "show", "scale-down", *AS_OF))
    assert "1.10" in out and "010" in out and "False" not in out


# --- numbers: plain decimal or refused ----------------------------------------------------

NUMBER_CASES = [
    ("1:30", "sexagesimal", "90"),
    ("010", "a leading zero", "10"),
    ("060", "a leading zero", "60"),
    ("0o10", "octal", "8"),
    ("0x1F", "hexadecimal", "31"),
    ("0b101", "binary", "5"),
    ("1_000", "a digit separator", "1000"),
]


@pytest.mark.parametrize("text, what, example", NUMBER_CASES)
def test_rto_minutes_not_in_plain_decimal_is_refused_at_its_line(run, make_ws, text, what,
                                                                 example):
    ws = make_ws({"risks/RSK-001.yaml": RISK.replace("rto_minutes: 60", f"rto_minutes: {text}")})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    assert lines(result) == [
        f"risks/RSK-001.yaml:7:14: S102 RSK-001: rto_minutes: expected an integer, got a "
        f"string '{text}' ({what} is not read as a number: write plain decimal, "
        f"e.g. {example})"]


@pytest.mark.parametrize("text, what, example", NUMBER_CASES + [("1.5e3", "this spelling", "1500"),
                                                               (".5", "this spelling", "0.5")])
def test_step_minutes_not_in_plain_decimal_is_refused_at_its_line(run, make_ws, text, what,
                                                                  example):
    ws = make_ws({"risks/RSK-001.yaml": RISK,
                  "runbooks/scale-down.yaml": RUNBOOK.replace("minutes: 5", f"minutes: {text}")})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    line = line_of(RUNBOOK, "minutes: 5")
    (problem,) = [p for p in lines(result) if "S102" in p]
    assert problem.startswith(f"runbooks/scale-down.yaml:{line}:14: S102 scale-down: "
                              f"steps[0].minutes: expected a number, got a string '{text}' (")
    assert "write plain decimal" in problem and f"e.g. {example})" in problem


def test_drill_minutes_and_booleans_are_plain(run, make_ws):
    drill = ("runbook: scale-down\ndate: 2026-11-20\nkind: tabletop\noutcome: pass\n"
             "steps:\n  scale: {minutes: 1:30, ok: yes}\n")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": RUNBOOK,
                  "drills/2026-11-20-scale-down.yaml": drill})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    assert lines(result) == [
        "drills/2026-11-20-scale-down.yaml:6:20: S102 steps.scale.minutes: expected a number, "
        "got a string '1:30' (sexagesimal is not read as a number: write plain decimal, e.g. 90)",
        "drills/2026-11-20-scale-down.yaml:6:30: S102 steps.scale.ok: expected true or false, "
        "got a string 'yes' (write true or false)"]


def test_settings_days_are_plain_decimal(run, make_ws):
    from conftest import SETTINGS

    settings = SETTINGS.replace("critical: 30,", "critical: 030,")
    ws = make_ws({"risks/RSK-001.yaml": RISK}, settings=settings)
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 2  # a settings problem stops everything
    assert ("riskkit.yaml:4:25: S102 review_days.critical: expected an integer, got a string "
            "'030' (a leading zero is not read as a number: write plain decimal, e.g. 30)"
            ) in result.output


def test_comms_cadence_in_hex_is_refused(run, make_ws):
    text = RUNBOOK.replace("steps:\n", "comms: {channel: '#inc', cadence_minutes: 0x1F}\nsteps:\n")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": text})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    assert ("comms.cadence_minutes: expected an integer, got a string '0x1F' (hexadecimal is not "
            "read as a number: write plain decimal, e.g. 31)") in result.output


@pytest.mark.parametrize("text, hint", [("0x3", "hexadecimal"), ("03", "leading zero")])
def test_a_rank_not_in_plain_decimal_is_refused_with_a_hint(run, make_ws, text, hint):
    ws = make_ws({"risks/RSK-001.yaml": RISK.replace("likelihood: 3", f"likelihood: {text}")})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    (problem,) = lines(result)
    assert problem.startswith(f"risks/RSK-001.yaml:5:13: R002 RSK-001: likelihood '{text}' is "
                              "not on the 5x5 matrix")
    assert hint in problem and "write plain decimal, e.g. 3" in problem


# --- booleans: true or false ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "y", "n", "Yes", "OFF"])
def test_a_boolean_field_given_yes_or_no_is_refused_with_a_hint(run, make_ws, text):
    runbook = RUNBOOK.replace("    minutes: 5\n", f"    minutes: 5\n    irreversible: {text}\n")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": runbook})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    line = line_of(runbook, "irreversible:")
    assert lines(result) == [
        f"runbooks/scale-down.yaml:{line}:19: S102 scale-down: steps[0].irreversible: expected "
        f"true or false, got a string '{text}' (write true or false)"]


@pytest.mark.parametrize("text", ["true", "True", "TRUE"])
def test_true_in_any_yaml_12_spelling_is_a_boolean(run, make_ws, text):
    runbook = RUNBOOK.replace("    minutes: 5\n", f"    minutes: 5\n    irreversible: {text}\n"
                              "    approval: ic\n")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": runbook})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 0, result.output


def test_input_required_no_is_refused_with_a_hint(run, make_ws):
    runbook = RUNBOOK.replace("    required: true\n", "    required: no\n")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": runbook})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    assert ("inputs.cluster.required: expected true or false, got a string 'no' "
            "(write true or false)") in result.output


def test_text_written_as_a_number_gets_a_quote_hint(run, make_ws):
    ws = make_ws({"risks/RSK-001.yaml": RISK.replace("owner: team-web", "owner: 1.10")})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert lines(result) == ["risks/RSK-001.yaml:3:8: S102 RSK-001: owner: expected a string, "
                             "got a number 1.1 (quote it to keep it as text: '1.10')"]


# --- dates: shown as written ------------------------------------------------------------------

def test_a_timestamp_where_a_date_goes_is_shown_as_written(run, make_ws):
    risk = RISK + "review: {last: 2026-01-02T03:04:05Z, by: dana}\n"
    ws = make_ws({"risks/RSK-001.yaml": risk})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert result.exit_code == 1
    problems = lines(result)
    assert problems and all(p.startswith("risks/RSK-001.yaml:9:16: S103 RSK-001: review.last: "
                                         "'2026-01-02T03:04:05Z' ") for p in problems)


def test_an_impossible_date_is_a_located_schema_problem_as_written(run, make_ws):
    risk = RISK + "review: {last: 2026-02-30, by: dana}\n"
    ws = make_ws({"risks/RSK-001.yaml": risk})
    result = run("-C", ws, "validate", "--format", "text", *AS_OF)
    assert lines(result) == ["risks/RSK-001.yaml:9:16: S103 RSK-001: review.last: '2026-02-30' "
                             "is not a valid date (YYYY-MM-DD)"]


def test_a_date_in_text_is_never_spelled_again(run, make_ws):
    runbook = RUNBOOK.replace("title: Scale the workers\n",
                              "title: Scale the workers\n    do: 2026-01-05 10:00\n")
    ws = make_ws({"risks/RSK-001.yaml": RISK, "runbooks/scale-down.yaml": runbook})
    out = ok(render(run, ws, "--var", "cluster=eu-1"))
    assert "2026-01-05 10:00" in out and "2026-01-05T10:00:00" not in out


# --- the fast schema check still agrees with jsonschema --------------------------------------

SAMPLES = {
    "risk": [RISK, RISK.replace("rto_minutes: 60", "rto_minutes: 1:30"),
             RISK.replace("likelihood: 3", "likelihood: 0x3"),
             RISK.replace("owner: team-web", "owner: 010"),
             RISK + "review: {last: 2026-01-02T03:04:05Z}\n",
             RISK + "review: {last: 2026-01-02}\n"],
    "runbook": [RUNBOOK, RUNBOOK.replace("minutes: 5", "minutes: 010"),
                RUNBOOK.replace("minutes: 5", "minutes: 1.10"),
                RUNBOOK.replace("    required: true\n", "    required: yes\n"),
                RUNBOOK.replace("    required: true\n", "    required: TRUE\n")],
    "settings": ["review_days: {high: 030}\n", "review_days: {high: 30}\n",
                 "drill_days: {high: 1_000}\n"],
}


@pytest.mark.parametrize("name, text", [(n, t) for n, ts in SAMPLES.items() for t in ts])
def test_fast_schema_check_agrees_with_jsonschema(name, text):
    doc, problems = load_text(text, "f.yaml")
    assert problems == []
    fast = schemacheck.fast(name)
    assert fast is not None
    slow = not any(True for _ in schemacheck.validator(name).iter_errors(doc.data))
    assert fast(doc.data) == slow
