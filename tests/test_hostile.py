"""Hostile input: every file of the corpus ends in exit 1 with a located, clear message.

Each runs as a real process with a generous hang guard (no timing assertion): a hang or
a crash fails the test; a traceback on stderr fails it too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from riskkit.problems import CONTROL

from conftest import EXAMPLES, SETTINGS

HOSTILE = EXAMPLES / "hostile"
CORPUS = sorted(p.name for p in HOSTILE.iterdir() if p.name.endswith(".yaml"))
RISKKIT = [sys.executable, "-m", "riskkit"]

# What each file must be reported as (a code and a word of the message).
EXPECTED = {
    "alias-bomb.yaml": ("Y006", "alias"),
    "binary.yaml": ("Y004", "binary"),
    "broken-symlink.yaml": ("Y009", "broken"),
    "a-folder.yaml": ("Y009", "folder"),
    "date-time.yaml": ("S103", "date"),
    "deep-nesting.yaml": ("Y001", "nesting depth"),  # the parser's own bound
    "dev-zero.yaml": ("Y012", "leads outside"),  # a link to a device, out of the workspace
    "huge-integer.yaml": ("Y008", "is not a valid integer"),
    "list-document.yaml": ("S102", "expected a mapping"),
    "many-documents.yaml": ("Y001", "one YAML document"),
    "nan-inf.yaml": ("Y008", "finite"),
    "not-utf8.yaml": ("Y004", "UTF-8"),
    "null-document.yaml": ("Y003", "no data"),
    "odd-dates.yaml": ("S103", "not a valid date"),  # dates are text, checked by the schema
    "python-name.yaml": ("Y005", "tag"),
    "python-object.yaml": ("Y005", "tag"),
    "scalar-document.yaml": ("S102", "expected a mapping"),
    "tabs.yaml": ("Y001", "syntax"),
    "terminal-escapes.yaml": ("S100", "unknown field '\\u001b]0;key\\u0007\\u001b[2J'"),
}


def test_every_corpus_file_has_an_expectation():
    assert sorted(EXPECTED) == CORPUS


def workspace(tmp_path: Path, name: str) -> Path:
    root = tmp_path / "ws"
    (root / "risks").mkdir(parents=True)
    (root / "riskkit.yaml").write_text(SETTINGS)
    source = HOSTILE / name
    target = root / "risks" / name
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
    return root


def riskkit(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RISKKIT_NO_CACHE": "1"}
    return subprocess.run(RISKKIT + ["-C", str(root), *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("name", CORPUS)
def test_hostile_file_is_a_clear_problem(tmp_path, name):
    done = riskkit(workspace(tmp_path, name), "validate")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    # Nothing of a file reaches the terminal raw: no escape sequence, no control character.
    assert not CONTROL.search(done.stdout) and not CONTROL.search(done.stderr)
    first = done.stdout.splitlines()[0]
    code, word = EXPECTED[name]
    assert first.startswith(f"risks/{name}:"), first
    assert f": {code} " in first and word in first, first


def test_a_50_mb_file_is_refused_without_reading_it_all(tmp_path):
    root = workspace(tmp_path, "null-document.yaml")
    (root / "risks" / "null-document.yaml").unlink()
    with open(root / "risks" / "huge.yaml", "wb") as handle:
        handle.write(b"id: RSK-1\ndescription: >\n")
        chunk = b"  " + b"x" * 1022 + b"\n"
        for _ in range(50 * 1024):
            handle.write(chunk)
    done = riskkit(root, "validate")
    assert done.returncode == 1
    assert done.stdout.startswith("risks/huge.yaml:1:1: Y006 file is larger than")


def test_nesting_by_indentation_is_bounded(tmp_path):
    root = workspace(tmp_path, "null-document.yaml")
    (root / "risks" / "null-document.yaml").write_text(
        "".join(" " * i + "a:\n" for i in range(2000)) + " " * 2000 + "a: 1\n")
    done = riskkit(root, "validate")
    assert done.returncode == 1
    assert " nesting dep" in done.stdout and ("Y007" in done.stdout or "Y001" in done.stdout)


def test_a_runbook_path_that_is_a_folder_given_on_the_command_line(tmp_path):
    root = workspace(tmp_path, "a-folder.yaml")
    done = riskkit(root, "validate", "risks/a-folder.yaml")
    assert done.returncode == 1
    assert "Y009" in done.stdout
