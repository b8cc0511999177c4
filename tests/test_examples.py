"""Example workspaces: every invalid case prints exactly its expected lines; valid ones pass.

Each folder under ``examples/invalid`` is a tiny workspace plus ``expected.txt`` (the exact
``path:line:col: CODE message`` lines ``riskkit validate`` prints on stdout) and, for
settings problems, a file ``exit`` holding the expected exit status (default 1). The
positions in ``expected.txt`` were checked by hand against the YAML they point at.

Each folder under ``examples/valid`` must validate clean; its ``levels.txt`` lists, per
risk, the likelihood and impact ranks, the score and the level worked out by hand from the
matrix the workspace uses.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import EXAMPLES

INVALID = sorted(p for p in (EXAMPLES / "invalid").iterdir() if p.is_dir())
VALID = sorted(p for p in (EXAMPLES / "valid").iterdir() if p.is_dir())
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]\d{3}) (?P<msg>.+)$")


def expected_exit(case) -> int:
    exit_file = case / "exit"
    return int(exit_file.read_text().strip()) if exit_file.exists() else 1


def test_there_are_examples():
    # Guards the parametrized tests below against silently running on nothing.
    assert len(INVALID) >= 15 and len(VALID) >= 5


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_expected_files_are_well_formed(case):
    text = (case / "expected.txt").read_text()
    assert text.endswith("\n") and text.strip()
    for line in text.splitlines():
        match = LINE.match(line)
        assert match, f"not a path:line:col: CODE message line: {line!r}"
        assert (case / match["path"]).is_file(), f"{match['path']} is not in {case.name}"
    assert expected_exit(case) in (1, 2)


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_example(run, case):
    result = run("-C", case, "validate", "--format", "text")
    assert result.exit_code == expected_exit(case), result.output
    assert result.stdout == (case / "expected.txt").read_text()


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_example_as_json(run, case):
    """The JSON report carries the same problems, in the same order, at the same places."""
    result = run("-C", case, "validate", "--format", "json")
    assert result.exit_code == expected_exit(case), result.output
    problems = json.loads(result.stdout)
    lines = [f"{p['path']}:{p['line']}:{p['col']}: {p['code']} {p['message']}"
             for p in problems]
    assert lines == (case / "expected.txt").read_text().splitlines()
    assert all(p["severity"] == "error" for p in problems)


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.name)
def test_invalid_example_never_lists_a_traceback(run, case):
    result = run("-C", case, "validate")
    assert "Traceback" not in result.output
    assert "internal error" not in result.output


def _levels(case) -> dict[str, tuple[int, int, int, str]]:
    out = {}
    for line in (case / "levels.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            ident, likelihood, impact, score, level = line.split()
            out[ident] = (int(likelihood), int(impact), int(score), level)
    return out


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_example(run, case):
    result = run("-C", case, "validate", "--format", "text")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_example_strict_json(run, case):
    result = run("-C", case, "validate", "--strict", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_valid_example_scores(run, case):
    """Every risk lands on the level worked out by hand from the workspace's matrix."""
    result = run("-C", case, "risks", "--format", "json")
    assert result.exit_code == 0, result.output
    got = {r["id"]: (r["likelihood"], r["impact"], r["score"], r["level"])
           for r in json.loads(result.stdout)}
    assert got == _levels(case)


def test_folder_without_settings_is_a_usage_error(run, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("-C", empty, "validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "riskkit.yaml" in result.stderr
    assert "riskkit init" in result.stderr  # says how to get out of it
    assert "Traceback" not in result.output


def test_folder_without_settings_every_command(run, tmp_path):
    for args in (["risks"], ["matrix"], ["validate", "--format", "json"]):
        result = run("-C", tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "riskkit.yaml" in result.stderr
