"""YAML loading: plain data with 1-based positions; unsafe or odd input becomes a problem."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskkit.files import yamlload
from riskkit.files.yamlload import MAX_DEPTH, load_file, load_text


def ok(text: str):
    doc, problems = load_text(text, "f.yaml")
    assert doc is not None and problems == [], problems
    return doc


def bad(text: str):
    doc, problems = load_text(text, "f.yaml")
    assert doc is None and problems
    return problems


def codes(problems):
    return [(p.code, p.line, p.col) for p in problems]


# --- positions --------------------------------------------------------------------------

def test_positions_are_one_based_line_and_column():
    doc = ok("id: RSK-1\nnested:\n  key: value\nitems:\n  - one\n  - {a: 1}\n")
    assert doc.at(()) == (1, 1)
    assert doc.at(("id",)) == (1, 5)
    assert doc.key_at(("id",)) == (1, 1)
    assert doc.at(("nested", "key")) == (3, 8)
    assert doc.key_at(("nested", "key")) == (3, 3)
    assert doc.at(("items", 0)) == (5, 5)
    assert doc.at(("items", 1, "a")) == (6, 9)


def test_position_of_a_missing_path_falls_back_to_nearest_ancestor():
    doc = ok("outer:\n  inner: 1\n")
    assert doc.at(("outer", "missing", "deeper")) == doc.at(("outer",)) == (2, 3)
    assert doc.at(("nothing",)) == (1, 1)


def test_columns_count_characters_not_bytes():
    doc = ok("title: \u00e9t\u00e9\nlist: [\u00e9\u00e9, x]\n")
    assert doc.at(("list", 1)) == (2, 12)


def test_problem_uses_value_or_key_position():
    doc = ok("a:\n  b: 1\n")
    assert doc.problem(("a", "b"), "X001", "m").format() == "f.yaml:2:6: X001 m"
    assert doc.problem(("a", "b"), "X001", "m", key=True).format() == "f.yaml:2:3: X001 m"


def test_plain_data_types():
    doc = ok("s: text\ni: 3\nf: 1.5\nb: true\nn: null\nd: 2026-10-02\nq: '3'\n")
    assert doc.data == {"s": "text", "i": 3, "f": 1.5, "b": True, "n": None,
                        "d": "2026-10-02", "q": "3"}


def test_a_date_is_its_text_as_written():
    # YAML 1.1 would build a date (and refuse 2026-02-30, or spell a timestamp again);
    # riskkit keeps the text, and the schema checks the fields that hold a date.
    doc = ok("due: 2026-02-30\nat: 2026-01-02T03:04:05Z\n")
    assert doc.data == {"due": "2026-02-30", "at": "2026-01-02T03:04:05Z"}


def test_an_explicit_timestamp_that_is_no_date_is_a_problem():
    assert codes(bad("due: !!timestamp 2026-02-30\n")) == [("Y008", 1, 6)]


# --- duplicate keys ---------------------------------------------------------------------

def test_duplicate_key_points_at_the_repeat_and_names_the_first():
    doc, problems = load_text("id: 1\ntitle: a\nowner: x\ntitle: b\n", "f.yaml")
    assert codes(problems) == [("Y002", 4, 1)]
    assert "'title'" in problems[0].message and "line 2" in problems[0].message


def test_duplicate_key_nested_and_in_flow_mapping():
    _, problems = load_text("a:\n  x: 1\n  y: 2\n  x: 3\nb: {k: 1, k: 2}\n", "f.yaml")
    assert codes(problems) == [("Y002", 4, 3), ("Y002", 5, 11)]


def test_every_duplicate_is_reported():
    _, problems = load_text("a: 1\na: 2\na: 3\n", "f.yaml")
    assert codes(problems) == [("Y002", 2, 1), ("Y002", 3, 1)]


def test_a_duplicate_beside_merged_keys_names_the_first_as_written():
    _, problems = load_text("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 4\n  z: 5\n",
                            "f.yaml")
    assert codes(problems) == [("Y002", 6, 3)]
    assert "'z'" in problems[0].message and "line 5" in problems[0].message


def test_same_key_in_different_mappings_is_fine():
    ok("- {id: a}\n- {id: b}\n")


# --- merge keys -------------------------------------------------------------------------

def test_merge_key_copies_fields_and_own_keys_win():
    doc = ok("base: &b {owner: team-a, status: open}\nrisk:\n  <<: *b\n  status: closed\n")
    assert doc.data["risk"] == {"status": "closed", "owner": "team-a"}


def test_merge_of_several_mappings_earlier_wins():
    doc = ok("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n")
    assert doc.data["c"] == {"x": 1, "y": 1, "z": 2}


def test_merged_key_overridden_is_not_a_duplicate():
    _, problems = load_text("d: &d {k: 1}\ne:\n  <<: *d\n  k: 2\n", "f.yaml")
    assert problems == []


def test_nested_merge_keys():
    # A defaults block that itself merges another one: YAML's merge is transitive
    # (PyYAML's own SafeLoader gives top == {c: 3, b: 2, a: 1}).
    doc = ok("base: &base {a: 1}\nmid: &mid\n  <<: *base\n  b: 2\ntop:\n  <<: *mid\n  c: 3\n")
    assert doc.data["top"] == {"c": 3, "b": 2, "a": 1}
    assert doc.data["mid"] == {"b": 2, "a": 1}


def test_merge_of_a_scalar_is_refused():
    assert codes(bad("a: &s text\nb:\n  <<: *s\n"))[0][0] == "Y005"


# --- unsafe or unusual values -----------------------------------------------------------

@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", ".Inf"])
def test_non_finite_numbers_are_refused(value):
    assert codes(bad(f"x: 1\nscore: {value}\n")) == [("Y008", 2, 8)]


@pytest.mark.parametrize("text", [
    "x: !!python/object/apply:os.system [echo hi]\n",
    "x: !!python/name:os.system\n",
    "x: !!python/object:collections.OrderedDict {}\n",
    "x: !!binary aGVsbG8=\n",
    "x: !!set {a, b}\n",
    "x: !custom thing\n",
])
def test_tags_beyond_plain_data_are_refused(text):
    assert codes(bad(text)) == [("Y005", 1, 4)]


def test_python_tag_never_runs(tmp_path):
    marker = tmp_path / "ran"
    bad(f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()


@pytest.mark.parametrize("value", ["!!int high", "!!float abc", "!!bool maybe",
                                   "!!timestamp nope", "!!int ''"])
def test_explicit_core_tag_on_a_value_that_does_not_fit_is_a_problem(value):
    # A user who writes `likelihood: !!int high` gets a located problem, not a crash.
    doc, problems = load_text(f"id: RSK-1\nlikelihood: {value}\n", "f.yaml")
    assert doc is None
    assert [(p.line, p.col) for p in problems] == [(2, 13)]
    assert problems[0].code.startswith("Y")


def test_explicit_core_tags_that_fit_are_fine():
    doc = ok("a: !!int 31\nb: !!str 3\nc: !!float 1\nd: !!bool true\ne: !!null ''\n"
             "f: !!timestamp 2026-01-05\n")
    assert doc.data == {"a": 31, "b": "3", "c": 1.0, "d": True, "e": None, "f": "2026-01-05"}


@pytest.mark.parametrize("value", ["!!int 0x1F", "!!int 010", "!!float 1:30", "!!bool yes"])
def test_explicit_core_tags_take_the_plain_spellings_only(value):
    # An explicit tag is no way round the rule: numbers are plain decimal, booleans true/false.
    assert codes(bad(f"x: {value}\n")) == [("Y008", 1, 4)]


def test_complex_keys_are_refused():
    assert codes(bad("? [a, b]\n: 1\n"))[0][0] == "Y005"


def test_alias_bomb_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):  # 10**10 values once expanded
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    problems = bad("\n".join(lines) + "\n")
    assert [p.code for p in problems] == ["Y006"]
    assert "alias" in problems[0].message


def test_modest_aliases_are_fine():
    doc = ok("a: &a [1, 2]\nb: *a\nc: *a\n")
    assert doc.data == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


def test_recursive_alias_is_bounded():
    problems = bad("a: &a [*a]\n")
    assert problems[0].code in ("Y006", "Y007")


def test_the_limits_hold_at_a_text_value_of_a_mapping(monkeypatch):
    """Text in a mapping, the most common value, is built without a call of its own: the
    value budget and the nesting limit stop it where they stop any value."""
    nested = "a:\n" + "".join("  " * i + "a:\n" for i in range(1, MAX_DEPTH)) \
        + "  " * MAX_DEPTH + "last: text\n"
    problems = bad(nested)
    assert codes(problems) == [("Y007", MAX_DEPTH + 1, 2 * MAX_DEPTH + 7)]
    ok("a:\n" + "".join("  " * i + "a:\n" for i in range(1, MAX_DEPTH - 1))
       + "  " * (MAX_DEPTH - 1) + "last: text\n")
    monkeypatch.setattr(yamlload, "MAX_VALUES", 4)
    assert ok("a: x\nb: y\nc: z\n").data == {"a": "x", "b": "y", "c": "z"}  # 4 values
    problems = bad("a: x\nb: y\nc: z\nd: w\n")  # the root and four texts: one too many
    assert codes(problems) == [("Y006", 4, 4)]


def test_nesting_within_the_limit_is_fine_far_beyond_is_not():
    half = MAX_DEPTH // 2
    ok("x: " + "[" * half + "]" * half + "\n")
    twice = MAX_DEPTH * 2
    problems = bad("x: " + "[" * twice + "]" * twice + "\n")
    assert [p.code for p in problems] == ["Y007"]
    assert problems[0].line == 1


@pytest.mark.parametrize("depth", [500, 5000, 100_000])
def test_very_deep_nesting_is_a_problem_not_a_crash(depth):
    problems = bad("x: " + "[" * depth + "]" * depth + "\n")
    assert problems[0].code in ("Y001", "Y007")


def test_deep_block_nesting_is_a_problem():
    text = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n"
    assert bad(text)[0].code in ("Y001", "Y007")


# --- syntax and documents ---------------------------------------------------------------

def test_syntax_error_takes_the_parsers_position():
    problems = bad("a: 1\nb: [1, 2\nc: 3\n")
    assert len(problems) == 1 and problems[0].code == "Y001"
    assert problems[0].line in (3, 4)
    assert problems[0].message.startswith("YAML syntax error")


def test_tab_indentation_is_a_syntax_error_at_the_tab():
    problems = bad("a:\n\tb: 1\n")
    assert codes(problems) == [("Y001", 2, 1)]


def test_second_document_is_refused_at_its_separator():
    problems = bad("a: 1\n---\nb: 2\n")
    assert codes(problems) == [("Y001", 2, 1)]
    assert "one YAML document" in problems[0].message


def test_empty_file_and_comment_only_file():
    assert codes(bad("")) == [("Y003", 1, 1)]
    assert codes(bad("# nothing here\n\n")) == [("Y003", 1, 1)]
    assert codes(bad("\ufeff")) == [("Y003", 1, 1)]


def test_bom_is_ignored_and_positions_unchanged():
    doc = ok("\ufeffid: RSK-1\ntitle: x\n")
    assert doc.data == {"id": "RSK-1", "title": "x"}
    assert doc.at(("id",)) == (1, 5)


def test_nul_byte_is_binary_data():
    problems = bad("a: 1\nb: x\x00y\n")
    assert codes(problems) == [("Y004", 2, 5)]  # the NUL is the 5th character of line 2
    assert "binary" in problems[0].message


# --- files ------------------------------------------------------------------------------

def test_load_file_reports_the_given_display_path(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("a: [\n")
    doc, problems = load_file(path, "risks/r.yaml")
    assert doc is None and problems[0].path == "risks/r.yaml"


def test_bom_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xef\xbb\xbfid: RSK-1\n")
    doc, problems = load_file(path)
    assert problems == [] and doc.data == {"id": "RSK-1"}


def test_not_utf8_names_the_line_and_column_of_the_bad_byte(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"id: RSK-1\ntitle: Caf\xe9 outage\n")
    doc, problems = load_file(path, "r.yaml")
    assert doc is None
    assert codes(problems) == [("Y004", 2, 11)]
    assert "0xe9" in problems[0].message


def test_not_utf8_column_counts_characters_like_every_other_position(tmp_path):
    # "tïtle: Café " is 12 characters (14 bytes): the bad byte is the 13th character, as an
    # editor or a YAML mark would count it.
    path = tmp_path / "r.yaml"
    path.write_bytes("id: 1\nt\u00eftle: Caf\u00e9 ".encode() + b"\xff\n")
    _, problems = load_file(path, "r.yaml")
    assert codes(problems) == [("Y004", 2, 13)]


def test_latin1_file_on_the_first_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xe9\n")
    _, problems = load_file(path, "r.yaml")
    assert codes(problems) == [("Y004", 1, 1)]


def test_utf16_file_is_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes("id: RSK-1\n".encode("utf-16"))
    doc, problems = load_file(path, "r.yaml")
    assert doc is None and problems[0].code == "Y004"


def test_binary_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"id: RSK-1\n\x00\x01\x02\x03")
    _, problems = load_file(path, "r.yaml")
    assert [(p.code, p.line) for p in problems] == [("Y004", 2)]


def test_folder_and_missing_file(tmp_path):
    (tmp_path / "d.yaml").mkdir()
    assert load_file(tmp_path / "d.yaml")[1][0].code == "Y009"
    assert load_file(tmp_path / "none.yaml")[1][0].code == "Y009"


def test_too_big_file_is_refused_without_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlload, "MAX_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200 + "\n")
    _, problems = load_file(path)
    assert [p.code for p in problems] == ["Y006"]


def test_loader_never_raises_on_odd_input():
    # A scatter of awkward inputs: every one gives a document or problems, no exception.
    samples = ["{", "]", "- - -", "&a", "*nope", "a: *nope", ":", "? ", "'", '"\\q"',
               "a: b: c", "%YAML 9.9\n---\na: 1", "\x07", "a:\n- b\n  c: d", "x: !!str",
               "x: !!null", "<<: 1", "<<: *a"]
    for text in samples:
        doc, problems = load_text(text, "f.yaml")
        assert doc is not None or problems, text


# --- properties -------------------------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers(min_value=-10**12, max_value=10**12)
            | st.floats(allow_nan=False, allow_infinity=False, width=32)
            | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
_data = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs", "Cc")),
                                               min_size=1, max_size=8), inner, max_size=4),
                     max_leaves=20)


@pytest.mark.slow  # over a second of examples
@settings(max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                               max_size=8), _data, min_size=1, max_size=5),
       st.booleans())
def test_round_trip_of_plain_data(data, flow):
    """What PyYAML's emitter writes, riskkit reads back as the same plain data."""
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc, problems = load_text(text, "f.yaml")
    assert problems == [] and doc.data == data
    for path, (line, col) in doc.marks.items():
        assert 1 <= line <= text.count("\n") + 1 and col >= 1


@settings(max_examples=300, derandomize=True)
@given(st.text(max_size=60))
def test_any_text_gives_a_document_or_problems(text):
    doc, problems = load_text(text, "f.yaml")
    assert doc is not None or problems
    for p in problems:
        assert p.line >= 1 and p.col >= 1 and p.code.startswith("Y")


# --- positions kept at the first parse ---------------------------------------------------

def _same_positions(text: str) -> int:
    """The positions kept compactly by the first parse answer exactly as the positions a
    second, recording parse gives, for every path, a missing child of it and a key."""
    doc, _ = load_text(text, "f.yaml")
    if doc is None:
        return 0
    located = yamlload.Doc(doc.path, doc.data, text=text)  # no kept positions: composes again
    checked = 0
    for path in located.marks:
        for where in (path, path + ("nope",), path + (0,), path + (-1,), path + (99,)):
            assert doc.at(where) == located.at(where), where
            assert doc.key_at(where) == located.key_at(where), where
            assert doc.text(where) == located.text(where), where
        checked += 1
    return checked


TRICKY = [
    "base: &b {x: 1, y: 1.10}\nother:\n  <<: *b\n  y: +5\n  z: True\nlist: [*b, *b]\n",
    "a: 1\na: 2\nb: [1, 2, {c: 3, c: 4}]\n",
    "- &x [1, 2]\n- *x\n- {<<: [{a: 1}, {b: 2, a: 3}], c: TRUE}\n",
    "k:\n" + "".join(f"  key{i}: {i}.50\n" for i in range(60))
    + "l:\n" + "".join(f"  - {{v: {i}, w: x}}\n" for i in range(60)),
    "risks:\n" + "".join(f"  - id: R{i}\n    likelihood: {i % 5 + 1}\n    tags: [a, b]\n"
                         for i in range(80)),
    "text: |\n  hello\nn: !!float 3\ni: !!int 7\nd: !!timestamp 2024-01-01\nq: '1.10'\nnul: ~\ne:\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_kept_positions_are_the_positions_of_a_second_parse(text):
    assert _same_positions(text) > 0


def test_kept_positions_match_on_every_example_file():
    from conftest import EXAMPLES

    checked = 0
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        if path.is_file() and not path.is_symlink():
            checked += _same_positions(path.read_text(encoding="utf-8", errors="replace"))
    assert checked > 100


@settings(max_examples=150, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_data, st.booleans())
def test_kept_positions_match_on_generated_data(data, flow):
    _same_positions(yaml.safe_dump({"root": data}, default_flow_style=flow,
                                   allow_unicode=True))


def test_a_loaded_file_is_not_parsed_again_for_a_position(monkeypatch):
    doc = ok("id: R1\nreview: {last: 2026-01-01}\nrisks: [a, b]\nn: 1.10\n")
    monkeypatch.setattr(yamlload, "_Loader", None)  # a second parse would fail here
    doc.release()
    assert doc.at(("review", "last")) == (2, 16)
    assert doc.at(("risks", 1)) == (3, 12)
    assert doc.at(("review", "nope")) == (2, 9)
    assert doc.text(("n",)) == "1.10"


def test_a_list_file_may_be_larger_than_a_risk_file(tmp_path):
    entry = "  - id: RSK-{:05d}\n    title: {}\n".format
    text = "# the register\nrisks:\n" + "".join(entry(i, "x" * 600) for i in range(9_000))
    assert len(text) > yamlload.MAX_BYTES
    (tmp_path / "all.yaml").write_text(text)
    doc, problems = load_file(tmp_path / "all.yaml")
    assert problems == [] and len(doc.data["risks"]) == 9_000
    assert doc.at(("risks", 8_999, "title")) == (2 + 2 * 8_999 + 2, 12)
    (tmp_path / "one.yaml").write_text("id: RSK-1\ndescription: " + "x" * len(text) + "\n")
    assert [p.message for p in load_file(tmp_path / "one.yaml")[1]] == [
        "file is larger than 5 MB"]
