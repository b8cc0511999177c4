"""Types are checked: ``make test`` runs mypy with pyproject.toml's ``[tool.mypy]`` first.

mypy runs in-process, with its cache in a temporary folder so that nothing is written into
the working tree and no earlier run's cache can hide an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

from conftest import REPO

CONFIG = REPO / "pyproject.toml"


def _mypy(args: list[str], cache: Path) -> tuple[str, int]:
    stdout, stderr, status = api.run(["--cache-dir", str(cache), *args])
    return stdout + stderr, status


def test_the_configuration_refuses_an_untyped_def(tmp_path: Path) -> None:
    untyped = tmp_path / "untyped.py"
    untyped.write_text("def f(x):\n    return x\n", encoding="utf-8")
    typed = tmp_path / "typed.py"
    typed.write_text("def f(x: int) -> int:\n    return x\n", encoding="utf-8")
    cache = tmp_path / "cache"

    out, status = _mypy(["--config-file", str(CONFIG), str(untyped)], cache)
    assert status == 1, out
    assert f"{untyped}:1: error: Function is missing a type annotation  [no-untyped-def]" \
        in out, out

    out, status = _mypy(["--config-file", str(CONFIG), str(typed)], cache)
    assert status == 0, out


@pytest.mark.slow  # a cold mypy run over the package: a few seconds
def test_the_package_type_checks_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    """``mypy`` with no arguments, from the top of the repository, as ``make test`` runs it."""
    monkeypatch.chdir(REPO)
    out, status = _mypy([], tmp_path / "cache")
    assert status == 0, out
    assert "Success: no issues found" in out
