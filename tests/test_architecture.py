"""The shape of the house: domains that import one way, and only the CLI speaks click.

Every import of a riskkit module counts, the ones inside functions too (they are how heavy
libraries stay out of ``--help``, not a way around the layering); imports made only for
the type checker do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "riskkit"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names), at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):  # imports for type checking only do not run
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            node.body = []
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def graph() -> nx.DiGraph:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for name, path in modules.items():
        for target in imports(path):
            if target in modules and target != name:
                g.add_edge(name, target)
    return g


def test_the_package_has_no_import_cycles():
    g = graph()
    # A package's __init__ only gathers; edges into it from its own modules are not cycles.
    cycles = [c for c in nx.simple_cycles(g) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_only_the_cli_imports_click():
    offenders = sorted(module_name(p) for p in PACKAGE.rglob("*.py")
                       if "click" in {i.split(".")[0] for i in imports(p)}
                       and not module_name(p).startswith("riskkit.cli"))
    assert offenders == []


def test_domains_do_not_import_the_cli_or_the_presentation_layer_from_below():
    """Data flows one way: files -> register/runbook/drill -> incident -> alerts ->
    review -> retro -> exchange -> present -> cli."""
    order = ["riskkit.files", "riskkit.register", "riskkit.runbook", "riskkit.drill",
             "riskkit.incident", "riskkit.alerts", "riskkit.review", "riskkit.retro",
             "riskkit.exchange", "riskkit.present", "riskkit.cli"]
    rank = {pkg: i for i, pkg in enumerate(order)}

    def layer(module: str) -> int | None:
        for pkg, i in rank.items():
            if module == pkg or module.startswith(pkg + "."):
                return i
        return None

    g = graph()
    upward = [(a, b) for a, b in g.edges
              if layer(a) is not None and layer(b) is not None and layer(b) > layer(a)]
    assert upward == []


def test_the_checker_sees_a_cycle(tmp_path, monkeypatch):
    """The cycle check is not vacuous: two modules importing each other are caught."""
    pkg = tmp_path / "riskkit"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from riskkit.a import y\n")
    (pkg / "a" / "y.py").write_text("def f():\n    from . import x\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    assert [sorted(c) for c in nx.simple_cycles(graph())] == [["riskkit.a.x", "riskkit.a.y"]]


def test_every_package_ships_in_the_wheel():
    """A package missing from pyproject's list works in an editable install and is gone
    from a real one (the pre-commit hook installs riskkit for real)."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {module_name(p.parent) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
