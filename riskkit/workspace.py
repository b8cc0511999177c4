"""The workspace: a folder with riskkit.yaml at its root, found like git finds .git."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from riskkit.register import matrix as matrix_mod
from riskkit.files import reading, schemacheck
from riskkit.problems import ConfigError, Problem, did_you_mean
from riskkit.files.root import SETTINGS, find_root
from riskkit.files.walk import Walk, walk
from riskkit.files.yamlload import Doc, load_bytes, load_file

PAGING_SEVERITIES = ("critical", "page")  # alerts.paging_severities when not set

Reader = Callable[[str], "bytes | None"]  # a file of the workspace by relative path, or None


@dataclass(frozen=True)
class Role:
    """A response role (incident commander, DBA…) and how to reach it."""

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
    """A workspace's settings: its root, matrix, appetite, review cadences and roles."""

    root: Path
    name: str
    matrix: matrix_mod.Matrix
    appetite: matrix_mod.Level | None
    review_days: dict[str, int]
    drill_days: dict[str, int]
    roles: dict[str, Role]
    settings_doc: Doc | None = field(default=None, repr=False)
    warnings: list[Problem] = field(default_factory=list, repr=False)  # of riskkit.yaml
    # Severity label values of an alert that pages someone (such an alert needs a runbook).
    paging_severities: tuple[str, ...] = PAGING_SEVERITIES
    site_base_url: str | None = None  # where `riskkit site` is published, ending in /

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

    @functools.cached_property
    def boundary(self) -> str:
        """The real folder every file riskkit reads must lie in, links followed: the git
        repository holding the workspace, or the workspace (``riskkit.files.reading``)."""
        return reading.boundary(self.root)

    def walk(self, folder: str) -> Walk:
        """The YAML files of ``folder``, the folders under it that cannot be read and the
        links out of the repository, by the one walker's rules (``riskkit.files.walk``)."""
        return walk(os.path.join(self.root, folder), inside=self.boundary)

    def files(self, folder: str) -> list[Path]:
        """The YAML files of ``folder`` (recursively), sorted so output is stable."""
        return [Path(p) for p in self.walk(folder).files]


def repo_path(ws: Workspace, path: str) -> str:
    """``path`` (relative to the workspace) as seen from the top of its git repository,
    which is what CI annotations need when the register lives in a subfolder."""
    top = ws.root
    while not (top / ".git").exists():
        if top.parent == top:
            return path
        top = top.parent
    if os.path.isabs(path) or path.split("/", 1)[0] == "..":  # outside the workspace
        # (ws.rel keeps such a path as given: absolute, or from the current folder)
        return os.path.relpath(os.path.abspath(path), top).replace(os.sep, "/")
    prefix = os.path.relpath(ws.root, top)
    return path if prefix == "." else f"{prefix}/{path}".replace(os.sep, "/")


def open_workspace(start: str | os.PathLike[str] | None = None) -> Workspace:
    """Find and load the workspace; settings problems raise ConfigError (exit 2)."""
    root = find_root(start)
    doc, problems = load_file(root / SETTINGS, SETTINGS, inside=reading.boundary(root))
    if doc is None:
        raise ConfigError(f"{SETTINGS} cannot be read", problems)
    problems += schemacheck.check("settings", doc)
    if any(p.is_error for p in problems):
        raise ConfigError(f"{SETTINGS} has problems", problems)
    ws = _build(root, doc)
    ws.warnings = problems  # reported by validate, beside the other files' problems
    return ws


def _read_disk(root: Path) -> Reader:
    """Files of the workspace by relative (or absolute) path; one that is not there is
    None, one that riskkit does not read (outside the repository, not a regular file,
    too big) raises :class:`riskkit.files.reading.Refused`."""
    inside = reading.boundary(root)

    def read(rel: str) -> bytes | None:
        path = root / rel
        if not os.path.lexists(path):
            return None
        try:
            return reading.read_bytes(path, inside=inside)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
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
    base_url = data.get("site", {}).get("base_url")
    return Workspace(root, data.get("name", root.name), matrix, appetite, review_days,
                     drill_days, roles, doc,
                     paging_severities=tuple(data.get("alerts", {}).get(
                         "paging_severities", PAGING_SEVERITIES)),
                     site_base_url=base_url.rstrip("/") + "/" if base_url else None)


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
        try:
            raw = read(spec)
        except reading.Refused as refused:
            return None, [doc.problem(("matrix",), refused.code,
                                      f"matrix file '{spec}' {refused.reason}")]
        except OSError as exc:
            return None, [doc.problem(("matrix",), "M001",
                                      f"matrix file '{spec}' cannot be read: {exc.strerror}")]
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
