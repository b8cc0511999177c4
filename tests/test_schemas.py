"""The JSON Schemas: valid draft 2020-12, shipped in the package, and agreeing with an
independent validator (the real check-jsonschema CLI) about which files are schema-valid."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import EXAMPLES, REPO
from riskkit.files import schemacheck
from riskkit.register.risk import entries
from riskkit.files.yamlload import load_file

SCHEMAS = REPO / "schemas"
NAMES = ["risk", "runbook", "drill", "matrix", "settings"]
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def test_every_kind_has_a_schema_file():
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(
        f"{n}.schema.json" for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    assert schema["$schema"] == DRAFT
    jsonschema.Draft202012Validator.check_schema(schema)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator


@pytest.mark.parametrize("name", NAMES)
def test_schema_has_a_unique_id(name):
    ids = {n: json.loads((SCHEMAS / f"{n}.schema.json").read_text())["$id"] for n in NAMES}
    assert ids[name].startswith("https://") and ids[name].endswith(f"{name}.schema.json")
    assert len(set(ids.values())) == len(NAMES)


def test_schemas_pass_check_jsonschema_metaschema_check():
    files = [str(SCHEMAS / f"{n}.schema.json") for n in NAMES]
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--check-metaschema",
                           *files], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", NAMES)
def test_package_carries_the_schemas(name):
    shipped = resources.files("riskkit.schemas").joinpath(f"{name}.schema.json")
    assert shipped.is_file()
    assert json.loads(shipped.read_text("utf-8")) == json.loads(
        (SCHEMAS / f"{name}.schema.json").read_text("utf-8"))
    assert schemacheck.schema_text(name) == shipped.read_text("utf-8")


def test_internal_refs_resolve():
    for name in NAMES:
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        text = json.dumps(schema)
        for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
            assert ref.startswith("#/"), ref
            node = schema
            for key in ref[2:].split("/"):
                node = node[key]
            assert isinstance(node, dict)


# --- agreement with check-jsonschema ----------------------------------------------------

def check_jsonschema(schema: Path, files: list[Path]) -> set[str]:
    """The files check-jsonschema rejects (schema errors or parse errors), by absolute path."""
    if not files:
        return set()
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile",
                           str(schema), "-o", "json", *map(str, files)],
                          capture_output=True, text=True, timeout=600)
    report = json.loads(proc.stdout)
    rejected = {str(Path(e["filename"]).resolve()) for e in report.get("errors", [])}
    rejected |= {str(Path(e["filename"]).resolve()) for e in report.get("parse_errors", [])}
    assert (proc.returncode == 0) == (not rejected), proc.stdout + proc.stderr
    return rejected


def risk_files() -> list[Path]:
    found = []
    for base in [*sorted((EXAMPLES / "valid").iterdir()), *sorted((EXAMPLES / "invalid").iterdir()),
                 REPO]:
        folder = base / "risks"
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))
    return found


def riskkit_verdict(path: Path):
    """None when the YAML itself is broken; else (schema problems, is a list file)."""
    doc, problems = load_file(path, path.name)
    if doc is None or problems:
        return None
    found: list = []
    bases = entries(doc, found)
    for base in bases:
        found += schemacheck.check("risk", doc, base)
    schema_problems = [p for p in found if p.code.startswith("S1")]
    return schema_problems, bases != [()]


def test_there_are_files_to_compare():
    files = risk_files()
    assert len(files) >= 40
    assert any("invalid" in p.parts for p in files) and any("valid" in p.parts for p in files)
    assert any(p.is_relative_to(REPO / "risks") for p in files)


def test_yaml_broken_files_are_rejected_by_both():
    broken = [p for p in risk_files() if riskkit_verdict(p) is None]
    assert len(broken) >= 6
    rejected = check_jsonschema(SCHEMAS / "risk.schema.json", broken)
    assert rejected == {str(p.resolve()) for p in broken}


def test_check_jsonschema_agrees_on_single_risk_files():
    files, expected = [], set()
    for path in risk_files():
        verdict = riskkit_verdict(path)
        if verdict is None or verdict[1]:
            continue
        files.append(path)
        if verdict[0]:
            expected.add(str(path.resolve()))
    assert len(files) >= 30 and expected
    assert check_jsonschema(SCHEMAS / "risk.schema.json", files) == expected


def test_check_jsonschema_agrees_on_each_item_of_list_files(tmp_path):
    """Items of ``risks:`` lists, read with PyYAML (not riskkit's loader) and checked one by one."""
    files, expected = [], set()
    for path in risk_files():
        verdict = riskkit_verdict(path)
        if verdict is None or not verdict[1]:
            continue
        data = yaml.safe_load(path.read_text("utf-8"))
        if not isinstance(data.get("risks"), list):
            continue  # the list wrapper itself is wrong; nothing per item to compare
        doc, _ = load_file(path, path.name)
        for i, item in enumerate(data["risks"]):
            out = tmp_path / f"{path.parent.parent.name}-{path.stem}-{i}.json"
            out.write_text(json.dumps(item, default=str))
            files.append(out)
            if schemacheck.check("risk", doc, ("risks", i)):
                expected.add(str(out.resolve()))
    assert len(files) >= 10 and expected
    assert check_jsonschema(SCHEMAS / "risk.schema.json", files) == expected


def test_list_files_riskkit_accepts_are_valid_under_the_published_schema():
    """risk.schema.json is the contract editors see; a list file riskkit accepts must pass it.

    The schema's own description says a file holds one risk *or a list under `risks:`*.
    """
    accepted = [p for p in risk_files()
                if (v := riskkit_verdict(p)) is not None and v[1] and not v[0]]
    assert accepted
    assert check_jsonschema(SCHEMAS / "risk.schema.json", accepted) == set()


def settings_files() -> list[Path]:
    cases = [*sorted((EXAMPLES / "valid").iterdir()), *sorted((EXAMPLES / "invalid").iterdir())]
    return [c / "riskkit.yaml" for c in cases if (c / "riskkit.yaml").is_file()] + [
        REPO / "riskkit.yaml"]


def test_check_jsonschema_agrees_on_settings_files():
    files, expected = [], set()
    for path in settings_files():
        doc, problems = load_file(path)
        if doc is None or problems:
            continue
        files.append(path)
        if schemacheck.check("settings", doc):
            expected.add(str(path.resolve()))
    assert len(files) >= 20 and expected
    assert check_jsonschema(SCHEMAS / "settings.schema.json", files) == expected


def test_check_jsonschema_agrees_on_matrices(tmp_path):
    """Inline matrices (taken out of riskkit.yaml with PyYAML) and matrix files."""
    files, expected = [], set()
    for path in settings_files():
        doc, problems = load_file(path)
        if doc is None or problems or not isinstance(doc.data.get("matrix"), dict):
            continue
        out = tmp_path / f"{path.parent.name}-matrix.json"
        out.write_text(json.dumps(yaml.safe_load(path.read_text())["matrix"]))
        files.append(out)
        if schemacheck.check("matrix", doc, ("matrix",)):
            expected.add(str(out.resolve()))
    for path in sorted(EXAMPLES.glob("*/*/matrices/*.yaml")):
        doc, problems = load_file(path)
        assert doc is not None and not problems
        files.append(path)
        if schemacheck.check("matrix", doc):
            expected.add(str(path.resolve()))
    assert len(files) >= 5 and expected
    assert check_jsonschema(SCHEMAS / "matrix.schema.json", files) == expected


def test_riskkit_reports_schema_problems_through_the_cli_for_files_check_jsonschema_rejects(run):
    """End to end: the S1xx codes riskkit validate prints match check-jsonschema's verdict."""
    cases = [c for c in sorted((EXAMPLES / "invalid").iterdir()) if not (c / "exit").exists()]
    files, flagged = [], set()
    for case in cases:
        result = run("-C", case, "validate", "--format", "json")
        problems = json.loads(result.stdout)
        for path in sorted((case / "risks").rglob("*.yaml")):
            rel = path.relative_to(case).as_posix()
            mine = [p for p in problems if p["path"] == rel]
            if any(p["code"][0] == "Y" for p in mine) or riskkit_verdict(path)[1]:
                continue  # YAML-broken, or a list file (compared item by item above)
            files.append(path)
            if any(p["code"].startswith("S1") for p in mine):
                flagged.add(str(path.resolve()))
    assert files and flagged
    assert check_jsonschema(SCHEMAS / "risk.schema.json", files) == flagged


# --- pattern anchors mean the whole string ----------------------------------------------

VALID = {
    "risk": {"id": "RSK-007", "title": "t", "owner": "o", "status": "open", "likelihood": 2,
             "impact": 3, "review": {"last": "2026-11-20", "by": "dana"}},
    "runbook": {"id": "rb-a", "title": "T", "severity": "SEV-1",
                "inputs": {"region": {"description": "R"}},
                "steps": [{"id": "declare", "title": "D"}]},
    "drill": {"runbook": "rb-a", "date": "2026-10-01", "kind": "live", "outcome": "pass"},
    "matrix": {"likelihood": [{"id": "low", "name": "L"}],
               "impact": [{"id": "minor", "name": "M"}],
               "levels": [{"id": "green", "name": "G", "color": "#7cb342"}],
               "grid": [["green"]]},
}

# (schema, where a value gets a line break at its end; a last part in () is a key)
TRAILING = [
    ("risk", ("id",)), ("risk", ("review", "last")), ("runbook", ("id",)),
    ("runbook", ("severity",)), ("runbook", ("steps", 0, "id")),
    ("runbook", ("inputs", ("region",))), ("drill", ("date",)),
    ("matrix", ("levels", 0, "id")), ("matrix", ("levels", 0, "color")),
]


def ending_in_a_line_break(name: str, where: tuple):
    data = json.loads(json.dumps(VALID[name]))
    holder = data
    for part in where[:-1]:
        holder = holder[part]
    last = where[-1]
    if isinstance(last, tuple):  # a key
        holder[last[0] + "\n"] = holder.pop(last[0])
    else:
        holder[last] += "\n"
    return data


@pytest.mark.parametrize("name, where", TRAILING, ids=[f"{n}-{w}" for n, w in TRAILING])
def test_a_value_ending_in_a_line_break_does_not_match_a_pattern_anchored_with_dollar(
        name, where):
    """In JSON Schema (ECMA-262) ``$`` is the end of the string; Python's ``$`` would
    also match before a final line break, and "RSK-007\\n" would pass as an id."""
    good = VALID[name]
    assert schemacheck.fast(name)(good)
    assert list(schemacheck.validator(name).iter_errors(good)) == []
    bad = ending_in_a_line_break(name, where)
    assert not schemacheck.fast(name)(bad)  # the fast check
    kinds = {e.validator for e in schemacheck.validator(name).iter_errors(bad)}
    assert kinds & {"pattern", "propertyNames"}, kinds  # and the explained one


@pytest.mark.slow  # check-jsonschema started once per schema
def test_check_jsonschema_agrees_a_trailing_line_break_does_not_match(tmp_path):
    by_schema: dict[str, list[Path]] = {}
    for i, (name, where) in enumerate(TRAILING):
        out = tmp_path / f"{i}-{name}.json"
        out.write_text(json.dumps(ending_in_a_line_break(name, where)))
        by_schema.setdefault(name, []).append(out)
    for name, files in by_schema.items():
        assert check_jsonschema(SCHEMAS / f"{name}.schema.json", files) == {
            str(p.resolve()) for p in files}


def test_an_id_with_a_line_break_is_refused_with_a_hint(run, make_ws):
    root = make_ws({"risks/a.yaml": "id: |\n  RSK-007\ntitle: t\nowner: o\nstatus: open\n"
                                    "likelihood: 2\nimpact: 3\n",
                    "risks/b.yaml": 'id: "RSK-008\\n"\ntitle: t\nowner: o\nstatus: open\n'
                                    "likelihood: 2\nimpact: 3\n"})
    result = run("-C", root, "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "risks/a.yaml:1:5: S103 RSK-007\\n: id: 'RSK-007\\n' does not match the pattern "
        "^[A-Za-z][A-Za-z0-9_.-]*$ (it ends with a line break)",
        "risks/b.yaml:1:5: S103 RSK-008\\n: id: 'RSK-008\\n' does not match the pattern "
        "^[A-Za-z][A-Za-z0-9_.-]*$ (it ends with a line break)"]


@pytest.mark.parametrize("pattern, text, matches", [
    ("^a$", "a", True), ("^a$", "a\n", False), ("^[$]$", "$", True),
    (r"^\$$", "$", True), (r"^\$$", "$\n", False), ("^a|b$", "b\n", False),
    ("^a|b$", "a\n", True),
])
def test_python_pattern_keeps_the_meaning_of_a_json_schema_pattern(pattern, text, matches):
    from riskkit.files.fastschema import python_pattern

    assert (re.search(python_pattern(pattern), text) is not None) == matches


# --- did you mean, for values from a fixed list too ---------------------------------------

def test_a_misspelt_value_from_a_list_gets_a_did_you_mean(run, make_ws):
    root = make_ws({"risks/a.yaml": (
        "id: RSK-1\ntitle: t\nowner: o\nstatus: mitigated\nlikelihood: possibel\nimpact: 3\n"
        "controls:\n  - {id: C1, title: x, kind: preventative, status: In-Place}\n"
        "treatment: {strategy: mitgate}\n")})
    result = run("-C", root, "validate", "--format", "json")
    assert result.exit_code == 1
    messages = [p["message"] for p in json.loads(result.stdout)]
    assert messages == [
        "RSK-1: status: 'mitigated' is not one of: open, mitigating, accepted, closed "
        "(did you mean 'mitigating'?)",
        "RSK-1: likelihood 'possibel' is not on the 5x5 matrix (1-5 or rare..almost-certain) "
        "(did you mean 'possible'?)",
        "RSK-1: controls[0].kind: 'preventative' is not one of: preventive, detective, "
        "corrective (did you mean 'preventive'?)",
        "RSK-1: controls[0].status: 'In-Place' is not one of: in-place, planned "
        "(did you mean 'in-place'?)",
        "RSK-1: treatment.strategy: 'mitgate' is not one of: mitigate, accept, transfer, "
        "avoid (did you mean 'mitigate'?)",
    ]


def test_a_misspelt_level_in_the_settings_gets_a_did_you_mean(run, make_ws):
    from conftest import SETTINGS

    root = make_ws(settings=SETTINGS.replace("appetite: medium", "appetite: meduim")
                   .replace("high: 180", "hihg: 180"))
    result = run("-C", root, "validate")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "riskkit.yaml:3:11: M003 appetite 'meduim' is not a level of the 5x5 matrix (low, "
        "medium, high, critical) (did you mean 'medium'?)",
        "riskkit.yaml:5:28: M003 drill_days: 'hihg' is not a level of the 5x5 matrix (low, "
        "medium, high, critical) (did you mean 'high'?)"]


def test_the_fast_check_takes_dates_as_jsonschema_does():
    """``format: date`` is an RFC 3339 full-date: Python's fromisoformat alone would also
    take the basic form (``20240101``) and week dates."""
    import jsonschema

    from riskkit.files.fastschema import compile_schema

    schema = {"type": "string", "format": "date"}
    slow = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for value in ("2024-01-01", "20240101", "2024-W01-1", "2024-02-30", "2024-1-01",
                  "\uff12\uff10\uff12\uff14-01-01", "2024-01-01\n"):
        assert compile_schema(schema)(value) == slow.is_valid(value), value
