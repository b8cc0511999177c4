"""Risk matrices: the presets, levels from a grid or from thresholds, and matrix checks."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskkit.register.matrix import PRESETS, build, preset
from riskkit.files.yamlload import load_text

VL, L, M, H, VH = "very-low", "low", "moderate", "high", "very-high"
NIST_AXIS = [VL, L, M, H, VH]

# NIST SP 800-30 Rev. 1, Appendix I, Table I-2 "Assessment scale - level of risk
# (combination of likelihood and impact)", written out from the publication. Rows are
# likelihood Very Low..Very High, columns impact Very Low..Very High.
TABLE_I2 = [
    [VL, VL, VL, L, L],    # likelihood very low
    [VL, L, L, L, M],      # likelihood low
    [VL, L, M, M, H],      # likelihood moderate
    [VL, L, M, H, VH],     # likelihood high
    [VL, L, M, H, VH],     # likelihood very high
]

# Table G-5 (overall likelihood from likelihood of initiation x likelihood of adverse
# impact) has the same shape and is easy to copy by mistake; it is NOT the risk table.
TABLE_G5 = [
    [VL, VL, L, L, L],
    [VL, L, L, M, M],
    [L, L, M, M, H],
    [L, M, M, H, VH],
    [L, M, H, VH, VH],
]


@pytest.mark.parametrize("li", range(1, 6), ids=lambda i: f"likelihood-{NIST_AXIS[i - 1]}")
@pytest.mark.parametrize("im", range(1, 6), ids=lambda i: f"impact-{NIST_AXIS[i - 1]}")
def test_nist_preset_reproduces_table_i2(li, im):
    nist = preset("nist-800-30")
    assert nist.rate(li, im).level.id == TABLE_I2[li - 1][im - 1]


def test_nist_preset_is_not_table_g5():
    nist = preset("nist-800-30")
    differing = [(li, im) for li in range(1, 6) for im in range(1, 6)
                 if TABLE_I2[li - 1][im - 1] != TABLE_G5[li - 1][im - 1]]
    assert (5, 1) in differing  # very-high x very-low: very-low in I-2, low in G-5
    for li, im in differing:
        level = nist.rate(li, im).level.id
        assert level == TABLE_I2[li - 1][im - 1] != TABLE_G5[li - 1][im - 1], (li, im)


def test_nist_preset_scales_and_levels():
    nist = preset("nist-800-30")
    assert [e.id for e in nist.likelihood] == NIST_AXIS
    assert [e.id for e in nist.impact] == NIST_AXIS
    assert [lv.id for lv in nist.levels] == NIST_AXIS
    assert [lv.rank for lv in nist.levels] == [0, 1, 2, 3, 4]
    assert nist.rank("likelihood", "very-high") == 5
    assert nist.rank("impact", "very-low") == 1


def _by_threshold(thresholds: dict[str, int], score: int) -> str:
    """The highest level whose threshold is at or below the score (written independently)."""
    reached = [(start, level) for level, start in thresholds.items() if start <= score]
    return max(reached)[1]


@pytest.mark.parametrize("name, size", [("3x3", 3), ("4x4", 4), ("5x5", 5)])
def test_multiplicative_presets_follow_their_thresholds(name, size):
    m = preset(name)
    thresholds = PRESETS[name]["thresholds"]
    assert len(m.likelihood) == len(m.impact) == size
    for li in range(1, size + 1):
        for im in range(1, size + 1):
            rating = m.rate(li, im)
            assert rating.score == li * im
            assert rating.level.id == _by_threshold(thresholds, li * im), (li, im)


@pytest.mark.parametrize("name", ["3x3", "4x4", "5x5", "nist-800-30"])
def test_preset_corners_and_monotonic(name):
    """Lowest cell is the lowest level, highest cell the highest; never falls as L or I rise."""
    m = preset(name)
    n_l, n_i = len(m.likelihood), len(m.impact)
    assert m.rate(1, 1).level.rank == 0
    assert m.rate(n_l, n_i).level.rank == len(m.levels) - 1
    for li in range(1, n_l + 1):
        for im in range(1, n_i + 1):
            here = m.rate(li, im).level.rank
            if li < n_l:
                assert m.rate(li + 1, im).level.rank >= here
            if im < n_i:
                assert m.rate(li, im + 1).level.rank >= here


@pytest.mark.parametrize("name", ["3x3", "4x4", "5x5"])
def test_multiplicative_presets_are_symmetric(name):
    m = preset(name)
    n = len(m.likelihood)
    for li in range(1, n + 1):
        for im in range(1, n + 1):
            assert m.rate(li, im).level == m.rate(im, li).level


def test_5x5_scales():
    m = preset("5x5")
    assert [e.id for e in m.likelihood] == ["rare", "unlikely", "possible", "likely",
                                            "almost-certain"]
    assert [e.id for e in m.impact] == ["very-low", "low", "moderate", "high", "very-high"]
    assert m.accepted("impact") == "1-5 or very-low..very-high"
    assert m.accepted("likelihood") == "1-5 or rare..almost-certain"


@pytest.mark.parametrize("value, rank", [(1, 1), (5, 5), ("possible", 3), ("rare", 1),
                                         (0, None), (6, None), (-1, None), ("sometimes", None),
                                         (True, None), (False, None), ("3", None)])
def test_rank_of_a_value(value, rank):
    assert preset("5x5").rank("likelihood", value) == rank


def test_unknown_preset_raises_key_error():
    with pytest.raises(KeyError):
        preset("6x6")


# --- custom matrices --------------------------------------------------------------------

def _doc(text: str):
    doc, problems = load_text(text, "m.yaml")
    assert doc is not None and not problems, problems
    return doc


CUSTOM = """\
likelihood:
  - {id: low, name: Low}
  - {id: mid, name: Mid}
  - {id: high, name: High}
impact:
  - {id: small, name: Small}
  - {id: big, name: Big}
levels:
  - {id: ok, name: OK, color: "#00aa00"}
  - {id: watch, name: Watch, color: "#aaaa00"}
  - {id: act, name: Act, color: "#aa0000"}
"""


def _build(extra: str):
    doc = _doc(CUSTOM + extra)
    return build(doc.data, doc, (), "custom")


def test_grid_rows_are_likelihood_columns_impact():
    m, problems = _build("grid:\n  - [ok, watch]\n  - [ok, act]\n  - [watch, act]\n")
    assert problems == []
    assert m.rate(1, 2).level.id == "watch"  # likelihood low, impact big
    assert m.rate(3, 1).level.id == "watch"  # likelihood high, impact small
    assert m.rate(2, 1).level.id == "ok"
    assert m.rate(2, 2).level.id == "act"
    assert m.name == "custom"


def test_thresholds_give_levels_by_score():
    m, problems = _build("thresholds: {ok: 1, watch: 3, act: 6}\n")
    assert problems == []
    expected = {(1, 1): "ok", (1, 2): "ok", (2, 1): "ok", (3, 1): "watch", (2, 2): "watch",
                (3, 2): "act"}
    for (li, im), level in expected.items():
        assert m.rate(li, im).level.id == level, (li, im)


def test_grid_with_wrong_number_of_rows():
    m, problems = _build("grid:\n  - [ok, ok]\n  - [ok, ok]\n")
    assert m is None
    assert [(p.code, p.line) for p in problems] == [("M002", 13)]
    assert "2 rows" in problems[0].message and "3" in problems[0].message


def test_grid_row_with_wrong_number_of_cells():
    m, problems = _build("grid:\n  - [ok, ok]\n  - [ok, ok, act]\n  - [ok, ok]\n")
    assert m is None
    assert [(p.code, p.line, p.col) for p in problems] == [("M002", 14, 5)]
    assert "row 2" in problems[0].message and "3 cells" in problems[0].message


def test_grid_cell_with_unknown_level():
    m, problems = _build("grid:\n  - [ok, ok]\n  - [ok, red]\n  - [ok, ok]\n")
    assert m is None
    assert [(p.code, p.line, p.col) for p in problems] == [("M002", 14, 10)]
    assert "'red'" in problems[0].message
    assert "ok, watch, act" in problems[0].message  # names the levels it could have been


def test_thresholds_must_rise():
    m, problems = _build("thresholds: {ok: 1, watch: 4, act: 3}\n")
    assert m is None
    assert [p.code for p in problems] == ["M002"]
    assert "'act'" in problems[0].message and "'watch'" in problems[0].message


def test_thresholds_equal_are_not_rising():
    m, problems = _build("thresholds: {ok: 1, watch: 3, act: 3}\n")
    assert m is None and [p.code for p in problems] == ["M002"]


def test_first_threshold_must_be_one():
    m, problems = _build("thresholds: {ok: 2, watch: 3, act: 6}\n")
    assert m is None
    assert [p.code for p in problems] == ["M002"]
    assert "'ok'" in problems[0].message and "1" in problems[0].message


def test_threshold_for_unknown_level_points_at_its_key():
    m, problems = _build("thresholds:\n  ok: 1\n  watch: 3\n  red: 6\n")
    assert m is None
    assert [(p.code, p.line, p.col) for p in problems] == [("M002", 15, 3)]
    assert "'red'" in problems[0].message


def test_empty_thresholds_is_a_problem_not_a_crash():
    # Schema-valid (thresholds is a mapping of level -> score); no level can be found from it.
    m, problems = _build("thresholds: {}\n")
    assert m is None
    assert problems and all(p.code.startswith("M") for p in problems)
    assert problems[0].line == 12


def test_thresholds_naming_only_unknown_levels_is_a_problem_not_a_crash():
    m, problems = _build("thresholds: {red: 1}\n")
    assert m is None
    assert any("'red'" in p.message for p in problems)


def test_duplicate_scale_ids():
    text = CUSTOM.replace("{id: mid, name: Mid}", "{id: low, name: Mid}")
    doc = _doc(text + "thresholds: {ok: 1, watch: 3, act: 6}\n")
    m, problems = build(doc.data, doc, (), "custom")
    assert m is None
    assert [(p.code, p.line, p.col) for p in problems] == [("M002", 3, 10)]
    assert "duplicate likelihood id 'low'" in problems[0].message


def test_problems_are_placed_under_the_base_path():
    """An inline matrix in riskkit.yaml reports at its place inside that file."""
    doc = _doc("name: x\nmatrix:\n" + "".join("  " + line + "\n" for line in
               (CUSTOM + "grid: [[ok, ok], [ok, ok], [ok, nope]]\n").splitlines()))
    m, problems = build(doc.data["matrix"], doc, ("matrix",), "custom")
    assert m is None
    assert [(p.code, p.line) for p in problems] == [("M002", 14)]


def test_presets_are_not_mutated_by_building():
    before = copy.deepcopy(PRESETS)
    for name in PRESETS:
        preset(name)
    assert PRESETS == before


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=4, unique=True),
       st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=6))
def test_threshold_matrices_match_the_rule(starts, rows, cols):
    """For any rising thresholds from 1, a cell's level is the highest one reached by L x I."""
    starts = sorted(set([1] + starts))
    ids = [f"lv{i}" for i in range(len(starts))]
    data = {
        "likelihood": [{"id": f"l{i}", "name": f"L{i}"} for i in range(rows)],
        "impact": [{"id": f"i{i}", "name": f"I{i}"} for i in range(cols)],
        "levels": [{"id": i, "name": i, "color": "#000000"} for i in ids],
        "thresholds": dict(zip(ids, starts)),
    }
    from riskkit.files.yamlload import Doc

    m, problems = build(data, Doc("m", data), (), "h")
    assert problems == []
    for li in range(1, rows + 1):
        for im in range(1, cols + 1):
            assert m.rate(li, im).level.id == _by_threshold(data["thresholds"], li * im)


def test_rating_to_dict():
    rating = preset("5x5").rate(3, 4)
    assert rating.to_dict() == {"likelihood": 3, "impact": 4, "score": 12,
                                "level": "high"}  # 10 and above on the 5x5 preset
