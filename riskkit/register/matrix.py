"""Risk matrices: ordered scales, ordered levels, and the level of every cell."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from riskkit.problems import Names, Problem, did_you_mean
from riskkit.files.yamlload import Doc

_LIKELIHOOD_5 = [
    ("rare", "Rare", "May happen only in exceptional circumstances (less than once in 10 years)"),
    ("unlikely", "Unlikely", "Could happen at some time (once in 3-10 years)"),
    ("possible", "Possible", "Might happen (once in 1-3 years)"),
    ("likely", "Likely", "Will probably happen (about once a year)"),
    ("almost-certain", "Almost certain", "Expected to happen (several times a year)"),
]
_IMPACT_5 = [
    ("very-low", "Very low", "No customer impact; absorbed by normal operations"),
    ("low", "Low", "Minor degradation for some customers; no financial loss"),
    ("moderate", "Moderate",
     "Partial outage or data delay; limited financial or regulatory exposure"),
    ("high", "High", "Major outage of payments or a reportable data breach"),
    ("very-high", "Very high", "Prolonged loss of payments, funds at risk, or licence at stake"),
]
_LEVELS = {
    "very-low": ("Very low", "#2e7d32"),
    "low": ("Low", "#7cb342"),
    "moderate": ("Moderate", "#fbc02d"),
    "medium": ("Medium", "#fbc02d"),
    "high": ("High", "#f57c00"),
    "very-high": ("Very high", "#c62828"),
    "critical": ("Critical", "#b71c1c"),
}


def _scale(entries: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [{"id": i, "name": n, "description": d} for i, n, d in entries]


# How often a risk of each likelihood occurs at most, a year: the presets' defaults, read
# off their descriptions (NIST SP 800-30 Rev. 1, Table G-3, for nist-800-30). The top of a
# scale has no limit: nothing is rated above it.
_PER_YEAR_MAX = {"rare": 0.1, "unlikely": 0.34, "possible": 1, "likely": 2}
_NIST_PER_YEAR_MAX = {"very-low": 0.1, "low": 1, "moderate": 10, "high": 100}


def _likelihood(entries: Iterable[tuple[str, str, str]], limits: dict[str, float]
                ) -> list[dict[str, Any]]:
    scale = _scale(entries)
    for entry in scale[:-1]:
        if entry["id"] in limits:
            entry["frequency"] = {"per_year_max": limits[entry["id"]]}
    return scale


def _levels(ids: Iterable[str]) -> list[dict[str, str]]:
    return [{"id": i, "name": _LEVELS[i][0], "color": _LEVELS[i][1]} for i in ids]


def _pick(entries: Sequence[tuple[str, str, str]], indexes: Iterable[int]
          ) -> list[tuple[str, str, str]]:
    return [entries[i] for i in indexes]


# NIST SP 800-30 Rev. 1, Appendix I, Table I-2 (level of risk): rows are likelihood from
# Very Low to Very High, columns impact from Very Low to Very High.
_NIST_I2 = [
    ["very-low", "very-low", "very-low", "low", "low"],
    ["very-low", "low", "low", "low", "moderate"],
    ["very-low", "low", "moderate", "moderate", "high"],
    ["very-low", "low", "moderate", "high", "very-high"],
    ["very-low", "low", "moderate", "high", "very-high"],
]
_NIST_SCALE = [
    ("very-low", "Very low", ""), ("low", "Low", ""), ("moderate", "Moderate", ""),
    ("high", "High", ""), ("very-high", "Very high", ""),
]

PRESETS: dict[str, dict[str, Any]] = {
    "3x3": {
        "name": "3x3",
        "likelihood": _likelihood(_pick(_LIKELIHOOD_5, [1, 2, 3]), _PER_YEAR_MAX),
        "impact": _scale(_pick(_IMPACT_5, [1, 2, 3])),
        "levels": _levels(["low", "medium", "high"]),
        "thresholds": {"low": 1, "medium": 3, "high": 6},
    },
    "4x4": {
        "name": "4x4",
        "likelihood": _likelihood(_pick(_LIKELIHOOD_5, [1, 2, 3, 4]), _PER_YEAR_MAX),
        "impact": _scale(_pick(_IMPACT_5, [1, 2, 3, 4])),
        "levels": _levels(["low", "medium", "high", "critical"]),
        "thresholds": {"low": 1, "medium": 4, "high": 8, "critical": 12},
    },
    "5x5": {
        "name": "5x5",
        "likelihood": _likelihood(_LIKELIHOOD_5, _PER_YEAR_MAX),
        "impact": _scale(_IMPACT_5),
        "levels": _levels(["low", "medium", "high", "critical"]),
        "thresholds": {"low": 1, "medium": 5, "high": 10, "critical": 17},
    },
    "nist-800-30": {
        "name": "nist-800-30",
        "likelihood": _likelihood(_NIST_SCALE, _NIST_PER_YEAR_MAX),
        "impact": _scale(_NIST_SCALE),
        "levels": _levels(["very-low", "low", "moderate", "high", "very-high"]),
        "grid": _NIST_I2,
    },
}


@dataclass(frozen=True)
class Entry:
    """One step of a matrix axis: a likelihood or an impact."""

    id: str
    name: str
    description: str = ""
    per_year_max: float | None = None  # likelihood only: occurrences a year at most

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name,
                               "description": self.description}
        if self.per_year_max is not None:
            out["frequency"] = {"per_year_max": self.per_year_max}
        return out

    @property
    def frequency_text(self) -> str:
        """The frequency in words: ``once in 10 years``, ``once a year``, ``3 times a
        year``; empty when the level states none."""
        return frequency_text(self.per_year_max)


def frequency_text(per_year: float | None) -> str:
    if per_year is None:
        return ""
    if per_year < 1:
        return f"once in {round(1 / per_year):g} years"
    if per_year == 1:
        return "once a year"
    if per_year == 2:
        return "twice a year"
    return f"{per_year:g} times a year"


@dataclass(frozen=True)
class Level:
    """A risk level of the matrix, ranked from the lowest (0)."""

    id: str
    name: str
    color: str
    rank: int  # 0 = lowest


@dataclass(frozen=True)
class Rating:
    """A place on the matrix: likelihood and impact ranks, their score and level."""

    likelihood: int  # 1-based ranks
    impact: int
    score: int
    level: Level

    def to_dict(self) -> dict[str, int | str]:
        return {"likelihood": self.likelihood, "impact": self.impact, "score": self.score,
                "level": self.level.id}


@dataclass(frozen=True)
class Matrix:
    """A risk matrix: its two axes, its levels, and the level of every cell."""

    name: str
    likelihood: tuple[Entry, ...]
    impact: tuple[Entry, ...]
    levels: tuple[Level, ...]
    grid: tuple[tuple[str, ...], ...]  # level id per [likelihood-1][impact-1]

    def level(self, level_id: str) -> Level | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)

    def rank(self, axis: str, value: object) -> int | None:
        """The 1-based rank of ``value`` (a rank or a scale id) on ``axis``, or None."""
        scale = self.likelihood if axis == "likelihood" else self.impact
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value if 1 <= value <= len(scale) else None
        for index, entry in enumerate(scale, 1):
            if entry.id == value:
                return index
        return None

    def accepted(self, axis: str) -> str:
        """What a value on ``axis`` may be, for messages: ``1-5 or rare..almost-certain``."""
        scale = self.likelihood if axis == "likelihood" else self.impact
        return f"1-{len(scale)} or {scale[0].id}..{scale[-1].id}"

    def rate(self, likelihood: int, impact: int) -> Rating:
        # One Rating per cell, shared by every risk rated there (a register holds
        # thousands of risks on a few dozen cells); a frozen record, so sharing is safe.
        rated: dict[tuple[int, int], Rating] = self.__dict__.setdefault("_rated", {})
        found = rated.get((likelihood, impact))
        if found is None:
            level = self.level(self.grid[likelihood - 1][impact - 1])
            assert level is not None  # build() refuses a grid cell that is not a level
            found = rated[likelihood, impact] = Rating(likelihood, impact,
                                                       likelihood * impact, level)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "likelihood": [e.to_dict() for e in self.likelihood],
            "impact": [e.to_dict() for e in self.impact],
            "levels": [{"id": lv.id, "name": lv.name, "color": lv.color} for lv in self.levels],
            "grid": [list(row) for row in self.grid],
        }


def build(data: dict[str, Any], doc: Doc, base: tuple[Any, ...], name: str
          ) -> tuple[Matrix | None, list[Problem]]:
    """Build a matrix from schema-valid ``data``; check what a schema cannot say."""
    problems: list[Problem] = []

    def problem(path: Iterable[str | int], message: str, key: bool = False) -> None:
        problems.append(doc.problem(base + tuple(path), "M002", message, key=key))

    for axis in ("likelihood", "impact", "levels"):
        seen: set[str] = set()
        for i, entry in enumerate(data[axis]):
            if entry["id"] in seen:
                problem((axis, i, "id"), f"duplicate {axis} id '{entry['id']}'")
            seen.add(entry["id"])
    level_ids = [lv["id"] for lv in data["levels"]]
    level_names = Names(level_ids)  # once for every cell
    rows, cols = len(data["likelihood"]), len(data["impact"])
    if "grid" in data:
        grid = data["grid"]
        if len(grid) != rows:
            problem(("grid",), f"grid has {len(grid)} rows; the likelihood scale has {rows}")
        for r, row in enumerate(grid):
            if len(row) != cols:
                problem(("grid", r), f"grid row {r + 1} has {len(row)} cells; "
                        f"the impact scale has {cols}")
            for c, cell in enumerate(row):
                if cell not in level_ids:
                    problem(("grid", r, c), f"grid cell '{cell}' is not a level "
                            f"({', '.join(level_ids)})"
                            f"{did_you_mean(str(cell), level_names)}")
    else:
        thresholds = data["thresholds"]
        for key in thresholds:
            if key not in level_ids:
                problem(("thresholds", key), f"threshold for unknown level '{key}' "
                        f"({', '.join(level_ids)}){did_you_mean(str(key), level_ids)}",
                        key=True)
        ordered = [(lv, thresholds[lv]) for lv in level_ids if lv in thresholds]
        if not ordered:
            problem(("thresholds",), "thresholds give no level a starting score "
                    f"(levels: {', '.join(level_ids)})")
        elif ordered[0][1] != 1:
            problem(("thresholds", ordered[0][0]), f"the lowest level '{ordered[0][0]}' must "
                    "start at score 1")
        for (a, low), (b, high) in zip(ordered, ordered[1:]):
            if high <= low:
                problem(("thresholds", b), f"thresholds must rise with the levels: '{b}' "
                        f"({high}) is not above '{a}' ({low})")
        grid = [[_by_threshold(ordered, (r + 1) * (c + 1)) for c in range(cols)]
                for r in range(rows)] if ordered else []
    if problems:
        return None, problems
    levels = tuple(Level(lv["id"], lv["name"], lv["color"], i)
                   for i, lv in enumerate(data["levels"]))
    return Matrix(
        name=data.get("name", name),
        likelihood=tuple(Entry(e["id"], e["name"], e.get("description", ""),
                               e.get("frequency", {}).get("per_year_max"))
                         for e in data["likelihood"]),
        impact=tuple(Entry(e["id"], e["name"], e.get("description", "")) for e in data["impact"]),
        levels=levels,
        grid=tuple(tuple(row) for row in grid),
    ), []


def _by_threshold(ordered: Sequence[tuple[str, int]], score: int) -> str:
    chosen = ordered[0][0]
    for level_id, start in ordered:
        if score >= start:
            chosen = level_id
    return chosen


def preset(name: str) -> Matrix:
    """A built-in matrix by name (raises KeyError for an unknown one)."""
    data = PRESETS[name]
    matrix, problems = build(data, Doc(f"<preset {name}>", data), (), name)
    assert matrix is not None and not problems, problems
    return matrix
