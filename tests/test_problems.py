"""The small shared vocabulary: one field-path notation, one did-you-mean."""

from __future__ import annotations

import ast
from pathlib import Path

from riskkit.problems import did_you_mean, field_path

PACKAGE = Path(__file__).resolve().parent.parent / "riskkit"


def test_field_paths_read_like_the_yaml():
    assert field_path(("controls", 1, "kind")) == "controls[1].kind"
    assert field_path(("steps", 3, "do")) == "steps[3].do"
    assert field_path(()) == "document"


def test_did_you_mean():
    assert did_you_mean("mitigated", ["open", "mitigating", "closed"]) == \
        " (did you mean 'mitigating'?)"
    assert did_you_mean("zzz", ["open"]) == ""


def test_nothing_else_guesses_names_or_spells_paths():
    """difflib is asked in one place, so every did-you-mean reads and behaves the same."""
    users = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                   if "get_close_matches" in p.read_text(encoding="utf-8"))
    assert users == ["problems.py"]
    joins = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in ("field_name", "path_text"):
                joins.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert joins == []
