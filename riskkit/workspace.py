"""The workspace: a folder with riskkit.yaml at its root, found like git finds .git."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from riskkit.register import matrix as matrix_mod
from riskkit.files import schemacheck
from riskkit.problems import ConfigError, Problem, did_you_mean
from riskkit.files.walk import Walk, walk
from riskkit.files.yamlload import Doc, load_bytes, load_file

SETTINGS = "riskkit.yaml"

Reader = Callable[[str], "bytes | None"]  # a file of the workspace by relative path, or None


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    contact: str = ""
    pager: str = ""
    phone: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "contact": self.contact,
                "pager": self.pager, "phone": self.phone}


@dataclass
class Workspace:
    root: Path
    name: str
    matrix: matrix_mod.Matrix
    appetite: matrix_mod.Level | None
    review_days: dict[str, int]
    drill_days: dict[str, int]
    roles: dict[str, Role]
    settings_doc: Doc | None = field(default=None, repr=False)
    warnings: list[Problem] = field(default_factory=list, repr=False)  # of riskkit.yaml

    def rel(self, path: str | os.PathLike[str]) -> str:
        """A path as shown to users: relative to the workspace root when inside it."""
        text = os.fspath(path)
        prefix = os.fspath(self.root) + os.sep
        if text.startswith(prefix) and ".." not in text:  # the common case, without I/O
            return text[len(prefix):].replace(os.sep, "/")
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return text

    def walk(self, folder: str) -> Walk:
        """The YAML files of ``folder`` and the folders under it that cannot be read,
        by the one walker's rules (``riskkit.files.walk``)."""
        return walk(os.path.join(self.root, folder))

    def files(self, folder: str) -> list[Path]:
        """The YAML files of ``folder`` (recursively), sorted so output is stable."""
        return [Path(p) for p in self.walk(folder).files]


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Walk up from ``start`` to the folder holding riskkit.yaml."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS).is_file():
            return folder
    raise ConfigError(f"no {SETTINGS} in {here} or any parent folder "
                      "(run 'riskkit init' to create a workspace, or use -C DIR)")


def repo_path(ws: Workspace, path: str) -> str:
    """``path`` (relative to the workspace) as seen from the top of its git repository,
    which is what CI annotations need when the register lives in a subfolder."""
    top = ws.root
    while not (top / ".git").exists():
        if top.parent == top:
            return path
        top = top.parent
    prefix = os.path.relpath(ws.root, top)
    return path if prefix == "." else f"{prefix}/{path}".replace(os.sep, "/")


def open_workspace(start: str | os.PathLike[str] | None = None) -> Workspace:
    """Find and load the workspace; settings problems raise ConfigError (exit 2)."""
    root = find_root(start)
    doc, problems = load_file(root / SETTINGS, SETTINGS)
    if doc is None:
        raise ConfigError(f"{SETTINGS} cannot be read", problems)
    problems += schemacheck.check("settings", doc)
    if any(p.is_error for p in problems):
        raise ConfigError(f"{SETTINGS} has problems", problems)
    ws = _build(root, doc)
    ws.warnings = problems  # reported by validate, beside the other files' problems
    return ws


def _read_disk(root: Path) -> Reader:
    def read(rel: str) -> bytes | None:
        path = root / rel
        return path.read_bytes() if path.is_file() else None
    return read


def build_workspace(root: Path, doc: Doc, read: Reader | None = None) -> Workspace:
    """A workspace from its parsed settings; ``read(rel) -> bytes | None`` reads other
    files of it (a matrix file), from disk by default or from a git revision."""
    return _build(root, doc, read or _read_disk(root))


def _build(root: Path, doc: Doc, read: Reader | None = None) -> Workspace:
    data = doc.data
    problems: list[Problem] = []
    matrix, matrix_problems = _matrix(doc, read or _read_disk(root))
    problems += matrix_problems
    appetite = None
    review_days: dict[str, int] = {}
    drill_days: dict[str, int] = {}
    if matrix is not None:
        ids = [lv.id for lv in matrix.levels]
        level_ids = ", ".join(ids)
        if "appetite" in data:
            appetite = matrix.level(data["appetite"])
            if appetite is None:
                problems.append(doc.problem(("appetite",), "M003",
                                            f"appetite '{data['appetite']}' is not a level of "
                                            f"the {matrix.name} matrix ({level_ids})"
                                            f"{did_you_mean(str(data['appetite']), ids)}"))
        for key in ("review_days", "drill_days"):
            for level_id in data.get(key, {}):
                if matrix.level(level_id) is None:
                    problems.append(doc.problem((key, level_id), "M003",
                                                f"{key}: '{level_id}' is not a level of the "
                                                f"{matrix.name} matrix ({level_ids})"
                                                f"{did_you_mean(str(level_id), ids)}", key=True))
        review_days = dict(data.get("review_days", {}))
        drill_days = dict(data.get("drill_days", {}))
    if problems:
        raise ConfigError(f"{SETTINGS} has problems", problems)
    assert matrix is not None  # _matrix gives a problem whenever it gives no matrix
    roles = {rid: Role(rid, r["title"], r.get("contact", ""), r.get("pager", ""),
                       r.get("phone", "")) for rid, r in data.get("roles", {}).items()}
    return Workspace(root, data.get("name", root.name), matrix, appetite, review_days,
                     drill_days, roles, doc)


def matrix_file(settings: object) -> str | None:
    """The matrix file that riskkit.yaml names, or None for a preset or an inline matrix."""
    spec = settings.get("matrix") if isinstance(settings, dict) else None
    if not isinstance(spec, str) or spec in matrix_mod.PRESETS:
        return None
    return spec if spec.endswith((".yaml", ".yml", ".json")) or "/" in spec else None


def _matrix(doc: Doc, read: Reader) -> tuple[matrix_mod.Matrix | None, list[Problem]]:
    spec = doc.data.get("matrix", "5x5")
    if isinstance(spec, dict):
        problems = schemacheck.check("matrix", doc, ("matrix",))
        if problems:
            return None, problems
        return matrix_mod.build(spec, doc, ("matrix",), "custom")
    if spec in matrix_mod.PRESETS:
        return matrix_mod.preset(spec), []
    if matrix_file(doc.data):
        raw = read(spec)
        if raw is None:
            return None, [doc.problem(("matrix",), "M001", f"matrix file '{spec}' not found")]
        mdoc, problems = load_bytes(raw, spec)
        if mdoc is None:
            return None, problems
        problems = schemacheck.check("matrix", mdoc)
        if problems:
            return None, problems
        return matrix_mod.build(mdoc.data, mdoc, (), Path(spec).stem)
    presets = ", ".join(matrix_mod.PRESETS)
    suffix = did_you_mean(spec, matrix_mod.PRESETS)
    return None, [doc.problem(("matrix",), "M001",
                              f"unknown matrix preset '{spec}'{suffix}; presets: {presets}, "
                              "or a path to a matrix file")]
