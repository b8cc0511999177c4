"""The risk register: risks loaded from YAML, checked, and scored on the matrix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from riskkit.files import schemacheck
from riskkit.files.written import R as _R, AsWritten
from riskkit.register.matrix import Level, Matrix, Rating
from riskkit.problems import Problem, did_you_mean
from riskkit.files.yamlload import Doc


@dataclass(frozen=True, slots=True)
class Control:
    """A control that lowers a risk: what it is, its kind and whether it is in place."""

    id: str
    title: str
    kind: str
    status: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "kind": self.kind, "status": self.status}


@dataclass(frozen=True, slots=True)
class Treatment(AsWritten):
    """How the risk is treated; ``due`` is a date as written (YYYY-MM-DD)."""

    strategy: str
    rationale: str | None = None
    due: str | None = None


@dataclass(frozen=True, slots=True)
class Acceptance(AsWritten):
    """Who accepted the risk, until when (and since when); dates as written."""

    by: str
    until: str
    since: str | None = None
    rationale: str | None = None


@dataclass(frozen=True, slots=True)
class Review(AsWritten):
    """The risk's last review: its date as written, and by whom."""

    last: str
    by: str | None = None


@dataclass(frozen=True, slots=True)  # thousands of them: no __dict__ each
class Risk:
    """One risk of the register, as its file says, rated on the workspace's matrix."""

    id: str
    title: str
    owner: str
    status: str
    rating: Rating
    residual: Rating | None
    description: str = ""
    category: str = ""
    controls: tuple[Control, ...] = ()
    treatment: Treatment | None = None
    acceptance: Acceptance | None = None
    review: Review | None = None
    rto_minutes: int | None = None
    runbooks: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    file: str = ""
    doc: Doc | None = field(default=None, compare=False, repr=False)
    base: tuple[Any, ...] = field(default=(), compare=False, repr=False)  # path in doc

    @property
    def line(self) -> int:
        return self.at()[0]

    @property
    def col(self) -> int:
        return self.at()[1]

    @property
    def level(self) -> Level:
        return self.rating.level

    def date(self, *path: str) -> dt.date | None:
        """A date field such as ``date('review', 'last')``, or None when absent."""
        value = getattr(self, path[0])
        for part in path[1:]:
            value = getattr(value, part, None)
        return dt.date.fromisoformat(value) if value else None

    def at(self, *path: str | int) -> tuple[int, int]:
        return self.doc.at(self.base + path) if self.doc else (1, 1)

    def to_dict(self, above_appetite: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "status": self.status,
            "category": self.category or None,
            "description": self.description or None,
            "likelihood": self.rating.likelihood,
            "impact": self.rating.impact,
            "score": self.rating.score,
            "level": self.rating.level.id,
            "residual": self.residual.to_dict() if self.residual else None,
            "above_appetite": above_appetite,
            "treatment": self.treatment.to_dict() if self.treatment else None,
            "acceptance": self.acceptance.to_dict() if self.acceptance else None,
            "review": self.review.to_dict() if self.review else None,
            "rto_minutes": self.rto_minutes,
            "controls": [c.to_dict() for c in self.controls],
            "runbooks": list(self.runbooks),
            "tags": list(self.tags),
            "file": self.file,
            "line": self.line,
        }


def entries(doc: Doc, problems: list[Problem]) -> list[tuple[Any, ...]]:
    """The base paths of the risks in a file: the root, or each item under ``risks:``."""
    data = doc.data
    if isinstance(data, dict) and "risks" in data and "id" not in data:
        for key in data:
            if key != "risks":
                problems.append(doc.problem((key,), "S100", f"unknown field '{key}' beside "
                                            "'risks' (a list file holds only 'risks:')", key=True))
        if not isinstance(data["risks"], list):
            problems.append(doc.problem(("risks",), "S102", "risks: expected a list of risks, "
                                        f"got {schemacheck.describe(data['risks'])}"))
            return []
        return [("risks", i) for i in range(len(data["risks"]))]
    return [()]


def _value(doc: Doc, base: tuple[Any, ...]) -> Any:
    value = doc.data
    for part in base:
        value = value[part]
    return value


def _scale_hint(matrix: Matrix, axis: str, value: object) -> str:
    """A did-you-mean for a misspelt id on a scale (``possibel``, ``Very-High``)."""
    if not isinstance(value, str):
        return ""
    from riskkit.files.yamlload import number_hint

    number = number_hint(value)  # a rank in another spelling: 03, 0x3
    if number:
        return f" ({number})"
    scale = matrix.likelihood if axis == "likelihood" else matrix.impact
    return did_you_mean(value, [entry.id for entry in scale])


def _ratings_alone(doc: Doc, base: tuple[Any, ...], data: dict[str, Any], matrix: Matrix,
                   subject: str | None, problems: list[Problem]) -> None:
    """Ratings off the matrix, for a risk whose schema problems stop the rest."""
    prefix = f"{subject}: " if subject else ""
    places: list[tuple[tuple[str, ...], dict[str, Any]]] = [((), data)]
    if isinstance(data.get("residual"), dict):
        places.append((("residual",), data["residual"]))
    for where, holder in places:
        for axis in ("likelihood", "impact"):
            value = holder.get(axis)
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                continue  # missing or of the wrong type: the schema said so already
            if isinstance(value, int) and value < 1:
                continue
            if matrix.rank(axis, value) is None:
                label = "residual " if where else ""
                problems.append(doc.problem(
                    base + where + (axis,), "R002",
                    f"{prefix}{label}{axis} {value!r} is not on the {matrix.name} matrix "
                    f"({matrix.accepted(axis)}){_scale_hint(matrix, axis, value)}"))


def load_risk(doc: Doc, base: tuple[Any, ...], matrix: Matrix
              ) -> tuple[Risk | None, list[Problem]]:
    """Check one risk against the schema and the matrix; build it when it is sound."""
    data = _value(doc, base)
    subject = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) \
        else None
    problems = schemacheck.check("risk", doc, base, subject)
    if problems:  # still say what the matrix thinks of the ratings: all problems at once
        if isinstance(data, dict):
            _ratings_alone(doc, base, data, matrix, subject, problems)
        return None, sorted(set(problems))
    prefix = f"{data['id']}: "

    def rating(where: tuple[str, ...]) -> Rating | None:
        ranks: list[int | None] = []
        for axis in ("likelihood", "impact"):
            value = _value(doc, base + where + (axis,))
            rank = matrix.rank(axis, value)
            if rank is None:
                label = "residual " if where else ""
                problems.append(doc.problem(
                    base + where + (axis,), "R002",
                    f"{prefix}{label}{axis} {value!r} is not on the {matrix.name} matrix "
                    f"({matrix.accepted(axis)}){_scale_hint(matrix, axis, value)}"))
            ranks.append(rank)
        likelihood, impact = ranks
        return matrix.rate(likelihood, impact) \
            if likelihood is not None and impact is not None else None

    current = rating(())
    residual = rating(("residual",)) if "residual" in data else None
    if current and residual and residual.score > current.score:
        problems.append(doc.problem(
            base + ("residual",), "R003",
            f"{prefix}residual rating {residual.level.id} ({residual.score}) is above the "
            f"current rating {current.level.id} ({current.score})"))
    if data["status"] == "accepted" and "acceptance" not in data:
        problems.append(doc.problem(base + ("status",), "R004",
                                    f"{prefix}status is accepted but there is no 'acceptance' "
                                    "(by, until, rationale)"))
    seen: set[str] = set()
    for i, control in enumerate(data.get("controls", [])):
        if control["id"] in seen:
            problems.append(doc.problem(base + ("controls", i, "id"), "R006",
                                        f"{prefix}duplicate control id '{control['id']}'"))
        seen.add(control["id"])
    if problems:
        return None, problems
    assert current is not None  # rating() gives a problem whenever it gives no rating
    return Risk(
        id=data["id"], title=data["title"], owner=data["owner"], status=data["status"],
        rating=current, residual=residual, description=data.get("description", ""),
        category=data.get("category", ""),
        controls=tuple(Control(c["id"], c["title"], c["kind"], c["status"])
                       for c in data.get("controls", [])),
        treatment=_record(Treatment, data.get("treatment")),
        acceptance=_record(Acceptance, data.get("acceptance")),
        review=_record(Review, data.get("review")), rto_minutes=data.get("rto_minutes"),
        runbooks=tuple(data.get("runbooks", [])), tags=tuple(data.get("tags", [])),
        file=doc.path, doc=doc, base=base,
    ), []


def _record(kind: type[_R], data: Any) -> _R | None:
    """The record of an optional mapping (``treatment:``, ``review:``…) the schema checked."""
    return None if data is None else kind.from_dict(data)


def duplicate_ids(items: Iterable[tuple[str, Doc, tuple[Any, ...]]], kind: str, code: str
                  ) -> list[Problem]:
    """A problem at every repeat of an id, naming where it was first defined.

    ``items`` are (id, doc, path to the id) tuples in file order; positions are looked up
    only for the repeats.
    """
    first: dict[str, tuple[Doc, tuple[Any, ...]]] = {}
    problems: list[Problem] = []
    for ident, doc, where in items:
        if ident in first:
            fdoc, fwhere = first[ident]
            fline, fcol = fdoc.at(fwhere)
            problems.append(doc.problem(where, code, f"{ident}: duplicate {kind} id (first "
                                        f"defined at {fdoc.path}:{fline}:{fcol})"))
        else:
            first[ident] = (doc, where)
    return problems


def sort_key(risk: Risk) -> tuple[int, int, str]:
    """Highest rating first, then id: the register's natural order."""
    return (-risk.rating.level.rank, -risk.rating.score, risk.id)
