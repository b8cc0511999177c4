"""Prometheus alert rules checked against the runbook library, and ``runbook find``.

The rule files are real: ``promtool check rules`` (Debian's prometheus package; ``make
test`` installs it) accepts the fixtures, the demo's alerts/ and the invalid example's
ledger rules, and refuses the misspelt field riskkit refuses too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import pytest
import yaml

from conftest import EXAMPLES, REPO, SETTINGS

FIXTURES = EXAMPLES / "alerts"
INVALID = EXAMPLES / "invalid" / "alert-rules"
AS_OF = ("--as-of", "2026-11-26")

RUNBOOK = """\
id: db-failover
title: Fail over the primary database
alerts: [PostgresPrimaryDown]
triggers: [PostgresReplicaLagging firing with writes failing]
inputs: {region: {description: Region, required: true, choices: [eu-west-1, us-east-1]}}
steps:
  - {id: declare, title: Declare the incident, role: ic, minutes: 5}
"""
RULES = """\
groups:
  - name: ledger
    rules:
      - alert: PostgresPrimaryDown
        expr: pg_up == 0
        labels: {severity: critical}
      - alert: PostgresReplicaLagging
        expr: pg_replication_lag_seconds > 300
        labels: {severity: critical}
      - alert: PostgresSlow
        expr: pg_slow_queries > 10
        labels: {severity: warning}
"""
# The same with the lagging replica a warning: every paging alert has its runbook.
QUIET = RULES.replace("300\n        labels: {severity: critical}", "300\n        labels: {severity: warning}")


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool not found: run `make test`, which installs Debian's prometheus "
                    "package before the tests", pytrace=False)
    return found


def check_rules(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), "check", "rules", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def problems(result) -> list[str]:
    return [f"{p['path']}:{p['line']}:{p['col']}: {p['code']}"
            for p in json.loads(result.stdout)]


# --- the fixtures are real rule files ------------------------------------------------------

def test_promtool_accepts_the_rule_files_of_the_tests_and_the_demo(tmp_path):
    files = [*sorted(FIXTURES.glob("*.rules.yml")), *sorted((REPO / "alerts").glob("*.yml")),
             INVALID / "alerts" / "ledger.rules.yml"]
    assert len(files) >= 5
    result = check_rules(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)
    # a PrometheusRule resource holds the same groups under spec
    spec = yaml.safe_load((FIXTURES / "prometheus-rule.yaml").read_text())["spec"]
    (tmp_path / "spec.yml").write_text(yaml.safe_dump(spec))
    assert check_rules(tmp_path / "spec.yml").returncode == 0


def test_promtool_refuses_the_misspelt_field_riskkit_refuses(run):
    typo = INVALID / "alerts" / "typo.rules.yml"
    result = check_rules(typo)
    assert result.returncode != 0 and "field anotations not found" in result.stdout \
        + result.stderr
    ours = run("-C", INVALID, "validate", "--format", "json")
    assert "alerts/typo.rules.yml:7:9: A005" in problems(ours)


# --- reading rule files ------------------------------------------------------------------

def test_rules_are_read_with_their_names_labels_annotations_and_lines():
    from riskkit.alerts.rules import read_rule_files

    found = read_rule_files([FIXTURES / "node.rules.yml"], lambda p: p.name)
    assert found.problems == []
    assert [(r.name, r.severity, r.group, r.at("alert")[0]) for r in found.rules] == [
        ("NodeFilesystemAlmostOutOfSpace", "warning", "node.rules", 10),
        ("NodeFilesystemAlmostOutOfSpace", "critical", "node.rules", 25),
        ("WebDown", "page", "web.rules", 41),
        ("WebSlow", "ticket", "web.rules", 51),
    ]  # the recording rule is no alert
    assert found.rules[1].runbook_url == \
        "https://runbooks.example.com/runbooks/disk-full/#device={{ $labels.device }}"
    assert found.rules[1].at("annotations", "runbook_url") == (37, 24)
    assert found.rules[2].labels == {"severity": "page", "team": "web"}


def test_a_prometheus_rule_resource_is_read_from_its_spec():
    from riskkit.alerts.rules import read_rule_files

    found = read_rule_files([FIXTURES / "prometheus-rule.yaml"], lambda p: p.name)
    assert found.problems == []
    assert [(r.name, r.severity, r.at("alert")) for r in found.rules] == \
        [("WebDown", "critical", (13, 18))]


@pytest.mark.parametrize("text, expected", [
    ("rules: []\n", ["1:1: A005 not a Prometheus rule file: expected 'groups:' with a list "
                     "of rule groups"]),
    ("groups: {name: a}\n", ["1:9: A005 'groups' must be a list of rule groups"]),
    ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up == 0\n"
     "  - name: a\n    rules: []\n",
     ["6:11: A005 group name 'a' is repeated in the same file (first at line 2)"]),
    ("groups:\n  - name: a\n    rulez: []\n",
     ["3:5: A005 unknown field 'rulez' in a rule group (did you mean 'rules'?)"]),
    ("groups:\n  - name: a\n    rules:\n      - alert: X\n        record: y\n"
     "        expr: up\n",
     ["4:9: A005 group 'a': a rule has exactly one of 'alert' and 'record'"]),
    ("groups:\n  - name: a\n    rules:\n      - alert: X\n",
     ["4:9: A005 group 'a': a rule needs an 'expr'"]),
    ("groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up\n"
     "        labels: [severity]\n",
     ["6:17: A005 'labels' must be a mapping of names to texts"]),
    ("groups:\n  - rules: []\n", ["2:5: A005 a rule group needs a 'name'"]),
])
def test_a_file_not_in_the_rule_format_is_a005_at_its_line(make_ws, run, text, expected):
    ws = make_ws({"alerts/bad.yml": text})
    result = run("-C", ws, "validate", "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert [f"{p['line']}:{p['col']}: {p['code']} {p['message']}" for p in found] == expected
    assert {p["path"] for p in found} == {"alerts/bad.yml"}


# --- checked against the runbooks --------------------------------------------------------

def test_a_paging_alert_needs_a_runbook_and_a_hint_names_the_likely_one(make_ws, run):
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/ledger.yml": RULES})
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 1
    assert result.stdout == (
        "alerts/ledger.yml:7:16: A001 alert 'PostgresReplicaLagging' (severity critical) "
        "pages someone but no runbook answers it: name it in a runbook's alerts: or give it "
        "a runbook_url; the triggers of db-failover mention it: add it to its alerts:\n")
    assert "1 runbooks, 0 drills, 3 alerts: 1 error(s), 0 warning(s)" in result.stderr


def test_paging_severities_come_from_the_settings(make_ws, run):
    settings = SETTINGS + "alerts: {paging_severities: [warning]}\n"
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/ledger.yml": RULES},
                 settings=settings)
    result = run("-C", ws, "validate", "--format", "json", *AS_OF)
    assert problems(result) == ["alerts/ledger.yml:10:16: A001"]  # PostgresSlow only
    bad = make_ws({"runbooks/db-failover.yaml": RUNBOOK},
                  settings=SETTINGS + "alerts: {paging_severities: critical}\n",
                  root=ws.parent / "bad")
    result = run("-C", bad, "validate", "--format", "json", *AS_OF)
    assert result.exit_code == 2
    assert problems(result) == ["riskkit.yaml:11:29: S102"]


def test_an_alert_with_a_runbook_url_is_answered_when_the_url_names_a_runbook(make_ws, run):
    rules = textwrap.dedent("""\
        groups:
          - name: web
            rules:
              - alert: A
                expr: up == 0
                labels: {severity: page}
                annotations: {runbook_url: "https://any.example/ops/runbooks/db-failover/"}
              - alert: B
                expr: up == 0
                labels: {severity: page}
                annotations: {runbook_url: "https://any.example/runbooks/db-failover/index.html?region=eu-west-1"}
              - alert: C
                expr: up == 0
                annotations: {runbook_url: "https://any.example/runbooks/db-failovr"}
              - alert: D
                expr: up == 0
                annotations: {runbook_url: "https://wiki.example/Postgres"}
              - alert: E
                expr: up == 0
                annotations: {runbook_url: "https://any.example/runbooks/{{ $labels.alertname }}/"}
        """)
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/web.yml": rules})
    result = run("-C", ws, "validate", "--format", "json", *AS_OF)
    found = json.loads(result.stdout)
    # (and the runbook's own alert is defined in no rule file here: A004, a warning)
    assert [(p["path"], p["line"], p["code"]) for p in found] == [
        ("alerts/web.yml", 14, "A003"), ("alerts/web.yml", 17, "A002"),
        ("alerts/web.yml", 20, "A002"), ("runbooks/db-failover.yaml", 3, "A004")]
    assert "unknown runbook 'db-failovr' (did you mean 'db-failover'?)" in found[0]["message"]
    assert "riskkit cannot check it" in found[2]["message"]


def test_with_a_site_base_url_a_runbook_url_must_be_under_it(make_ws, run):
    settings = SETTINGS + "site: {base_url: https://runbooks.test.example}\n"
    rules = textwrap.dedent("""\
        groups:
          - name: web
            rules:
              - alert: A
                expr: up == 0
                annotations: {runbook_url: "https://runbooks.test.example/runbooks/db-failover/"}
              - alert: B
                expr: up == 0
                annotations: {runbook_url: "https://elsewhere.example/runbooks/db-failover/"}
              - alert: C
                expr: up == 0
                annotations: {runbook_url: "https://runbooks.test.example/db-failover/"}
        """)
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/web.yml": rules},
                 settings=settings)
    found = json.loads(run("-C", ws, "validate", "--format", "json", *AS_OF).stdout)
    assert [(p["line"], p["code"]) for p in found] == [(9, "A002"), (12, "A002"), (3, "A004")]
    assert "is not on the runbook site https://runbooks.test.example/" in found[0]["message"]
    assert "expected https://runbooks.test.example/runbooks/ID/" in found[1]["message"]


def test_a_runbook_naming_an_undefined_alert_is_a_warning_only_when_rules_are_read(make_ws,
                                                                                     run):
    named = RUNBOOK.replace("[PostgresPrimaryDown]", "[PostgresPrimaryDown, PostgresPrimaryDwn]")
    ws = make_ws({"runbooks/db-failover.yaml": named})
    quiet = run("-C", ws, "validate", "--strict", *AS_OF)
    assert quiet.exit_code == 0 and quiet.stdout == ""
    assert "alerts" not in quiet.stderr  # no rule files: nothing said about alerts
    (ws / "alerts").mkdir()
    (ws / "alerts" / "ledger.yml").write_text(QUIET)
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 0
    assert result.stdout == (
        "runbooks/db-failover.yaml:3:31: A004 db-failover: alert 'PostgresPrimaryDwn' is "
        "defined in no rule file (1 read) (did you mean 'PostgresPrimaryDown'?) (warning)\n")
    assert run("-C", ws, "validate", "--strict", *AS_OF).exit_code == 1


def test_a_runbook_with_an_error_elsewhere_still_answers_its_alerts(make_ws, run):
    broken = RUNBOOK.replace("minutes: 5}", "minutes: 5, colour: red}")
    ws = make_ws({"runbooks/db-failover.yaml": broken, "alerts/ledger.yml": QUIET})
    found = json.loads(run("-C", ws, "validate", "--format", "json", *AS_OF).stdout)
    assert [p["code"] for p in found] == ["S100"]  # not A001 for PostgresPrimaryDown


def test_alerts_option_reads_rule_files_outside_the_workspace(make_ws, run, tmp_path):
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK})
    outside = tmp_path / "monitoring"
    outside.mkdir()
    (outside / "ledger.yml").write_text(RULES)
    (outside / "notes.txt").write_text("not a rule file")
    result = run("-C", ws, "validate", "--alerts", outside, "--format", "json", *AS_OF)
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert [(p["path"], p["line"], p["code"]) for p in found] == \
        [(str(outside / "ledger.yml"), 7, "A001")]
    # named alone, a rule file is checked in the context of the workspace too
    alone = run("-C", ws, "validate", "--alerts", outside / "ledger.yml", *AS_OF)
    assert alone.exit_code == 1 and "A001" in alone.stdout


def test_a_rule_file_named_as_a_path_is_read_as_one(make_ws, run):
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/ledger.yml": RULES,
                  "alerts/other.yml": RULES.replace("name: ledger", "name: other")})
    result = run("-C", ws, "validate", "alerts/other.yml", "--format", "json", *AS_OF)
    assert problems(result) == ["alerts/other.yml:7:16: A001"]  # only the file named


def test_github_annotations_point_at_the_rule_files_from_the_top_of_the_repository(
        make_ws, run, tmp_path):
    repo = tmp_path / "repo"
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/ledger.yml": RULES},
                 root=repo / "ops" / "register")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "monitoring").mkdir()
    (repo / "monitoring" / "web.yml").write_text(
        "groups:\n  - name: web\n    rules:\n      - alert: WebDown\n        expr: up == 0\n"
        "        labels: {severity: page}\n")
    result = run("-C", ws, "validate", "--alerts", "../../monitoring/web.yml",
                 "--format", "github", *AS_OF)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=monitoring/web.yml,line=4,col=16,title=A001::alert 'WebDown' (severity "
        "page) pages someone but no runbook answers it: name it in a runbook's alerts: or give "
        "it a runbook_url",
        "::error file=ops/register/alerts/ledger.yml,line=7,col=16,title=A001::alert "
        "'PostgresReplicaLagging' (severity critical) pages someone but no runbook answers it: "
        "name it in a runbook's alerts: or give it a runbook_url; the triggers of db-failover "
        "mention it: add it to its alerts:",
    ]


def test_a_changed_rule_file_is_not_answered_from_the_cache(make_ws, run):
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/ledger.yml": RULES})
    first = run("-C", ws, "validate", "--format", "json", *AS_OF)
    assert problems(first) == ["alerts/ledger.yml:7:16: A001"]
    assert run("-C", ws, "validate", "--format", "json", *AS_OF).stdout == first.stdout
    rules = ws / "alerts" / "ledger.yml"
    rules.write_text(QUIET)
    import os
    import time

    later = time.time() + 10  # a change the cache cannot mistake for an old file
    os.utime(rules, (later, later))
    assert problems(run("-C", ws, "validate", "--format", "json", *AS_OF)) == []


def test_the_demo_rule_files_match_the_demo_runbooks(run):
    result = run("-C", REPO, "validate", "--strict", *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert ", 15 alerts: 0 error(s), 0 warning(s)" in result.stderr


# --- runbook find ----------------------------------------------------------------------------

def test_find_by_alert_name_gives_the_runbook_and_the_command_to_render_it(run):
    result = run("-C", REPO, "runbook", "find", "--alert", "KubePersistentVolumeFillingUp",
                 *AS_OF)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Runbooks for alert KubePersistentVolumeFillingUp, best first:"
    rows = [line.split()[1] for line in lines[4:6]]
    assert rows == ["disk-filling-up", "db-failover"]  # named first; a trigger mentions it
    assert "  riskkit runbook render disk-filling-up --var region=REGION --var member=MEMBER " \
        "--var new_size=NEW_SIZE" in lines
    assert "    region: Region of the ledger cluster (one of eu-west-1, us-east-1)" in lines
    assert "  or open https://runbooks.larkspur.example/runbooks/disk-filling-up/" in lines


def test_find_by_words_ranks_alerts_and_titles_above_triggers(run):
    data = json.loads(run("-C", REPO, "runbook", "find", "postgres", "primary",
                          "--format", "json", *AS_OF).stdout)
    assert data["matches"][0]["id"] == "db-failover"
    assert data["command"] == "riskkit runbook render db-failover --var region=REGION"
    assert data["page"] == "https://runbooks.larkspur.example/runbooks/db-failover/"
    exact = json.loads(run("-C", REPO, "runbook", "find", "AcquirerLatencyHigh",
                           "--format", "json", *AS_OF).stdout)
    assert [m["id"] for m in exact["matches"]] == ["payment-provider-outage"]
    assert exact["matches"][0]["why"] == ["alert AcquirerLatencyHigh"]


def test_find_follows_a_rule_files_runbook_url(make_ws, run):
    rules = ("groups:\n  - name: web\n    rules:\n      - alert: WebDown\n"
             "        expr: up == 0\n        annotations:\n"
             "          runbook_url: https://r.example/runbooks/db-failover/\n")
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK, "alerts/web.yml": rules})
    data = json.loads(run("-C", ws, "runbook", "find", "--alert", "WebDown",
                          "--format", "json", *AS_OF).stdout)
    assert [(m["id"], m["why"]) for m in data["matches"]] == \
        [("db-failover", ["alert WebDown's runbook_url"])]


def test_find_without_a_match_fails_and_says_where_to_look(make_ws, run):
    ws = make_ws({"runbooks/db-failover.yaml": RUNBOOK})
    result = run("-C", ws, "runbook", "find", "--alert", "NoSuchAlert", *AS_OF)
    assert result.exit_code == 1
    assert result.stderr == ("riskkit: no runbook answers alert 'NoSuchAlert': riskkit "
                             "runbook list shows them all\n")


def test_find_is_answered_in_the_core():
    """The CLI only prints: the matching is riskkit.alerts.find, usable without click."""
    from riskkit.alerts.find import find, found
    from riskkit.load import load
    from riskkit.workspace import open_workspace
    import datetime as dt

    loaded = load(open_workspace(REPO), dt.date(2026, 11, 26))
    matches = find(loaded.runbooks, loaded.risks_of, "certificate expires")
    assert matches[0].runbook.id == "certificate-expiry"
    assert found("'certificate expires'", matches).command.startswith(
        "riskkit runbook render certificate-expiry --var region=REGION")
