"""The cache can only skip work: whatever a cache file holds, every answer is the truth.

Each cache file (validate's results and the link index of the incident path) is filled
with arbitrary content: bytes, JSON of any shape, a truncated file, an envelope riskkit
could have written holding an arbitrary value, and the true value with one field of the
wrong type. validate, runbook show and runbook render must then answer exactly as they do
with the cache switched off, and never crash.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from riskkit.files.linkindex import usable_index
from riskkit.files import cache
from riskkit.validation import from_cache

from conftest import invoke

AS_OF = ("--as-of", "2026-11-26")
FILES = {
    "risks/a.yaml": "id: RSK-1\ntitle: Linked from the risk\nowner: t\nstatus: open\n"
                    "likelihood: 4\nimpact: 5\nrunbooks: [rb]\n",
    "risks/b.yaml": "id: RSK-2\ntitle: Declared by the runbook\nowner: t\nstatus: open\n"
                    "likelihood: 2\nimpact: 2\n",
    "risks/c.yaml": "id: RSK-3\ntitle: Off the matrix\nowner: t\nstatus: open\n"
                    "likelihood: 9\nimpact: 2\nrunbooks: [rb]\n",  # an error: said in plans
    "runbooks/rb.yaml": "id: rb\ntitle: Fail over\nrisks: [RSK-2]\ntriggers: [t]\nsteps:\n"
                        "  - {id: promote, title: Promote, role: dba, minutes: 10}\n",
}
SECTIONS = ("validate", "links")

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=16)


def answers(root: Path) -> list[tuple[int, str, str]]:
    """validate, runbook show and runbook render, each (exit status, stdout, stderr)."""
    out = []
    for args in (["validate", "--format", "text"], ["runbook", "show", "rb", "--format", "json"],
                 ["runbook", "render", "rb"]):
        result = invoke("-C", root, *args, *AS_OF)
        out.append((result.exit_code, result.stdout, result.stderr))
    return out


@pytest.fixture
def primed(make_ws, monkeypatch):
    """A workspace, the truth (cache off) and the cache files as riskkit wrote them, aged
    past the racy window; returns (root, truth, {section: path}, {section: bytes})."""
    monkeypatch.setattr(cache, "RACY_NS", 1)
    root = make_ws(FILES)
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    truth = answers(root)
    monkeypatch.delenv("RISKKIT_NO_CACHE")
    assert invoke("-C", root, "validate", *AS_OF).exit_code == 1  # writes both files
    paths = {s: cache._path(root, s) for s in SECTIONS}
    written = {s: p.read_bytes() for s, p in paths.items()}
    assert answers(root) == truth  # answered from the cache, rightly
    return root, truth, paths, written


def put(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    os.utime(path, ns=(0, 2**62))  # written "long after" the files: trusted if valid


def sealed(original: bytes, value: object) -> bytes:
    """An envelope riskkit could have written (right format, key and files) around
    ``value``."""
    entry = cache.unseal(original)
    assert entry is not None
    return cache.seal({**entry, "value": value})


def conforms(section: str, value: object) -> bool:
    return (from_cache(value) is not None) if section == "validate" else usable_index(value)


def check(primed: tuple, section: str, content: bytes) -> None:
    root, truth, paths, _ = primed
    put(paths[section], content)
    assert answers(root) == truth


CONTENT = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps({"format": cache.FORMAT, "key": "x", "files": "y",
                                          "value": v}).encode()),
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(section=st.sampled_from(SECTIONS), content=CONTENT)
def test_any_bytes_in_a_cache_file_are_a_miss(primed, section, content):
    check(primed, section, content)


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("cut", [0, 1, 8, 48, 58, -2, -1])
def test_a_truncated_cache_file_is_a_miss(primed, section, cut):
    check(primed, section, primed[3][section][:cut])


@pytest.mark.parametrize("section", SECTIONS)
def test_a_cache_file_that_is_a_folder_or_a_pipe_is_a_miss(primed, section):
    root, truth, paths, _ = primed
    paths[section].unlink()
    os.mkfifo(paths[section])  # opened for reading, it would wait for a writer forever
    assert answers(root) == truth
    os.unlink(paths[section])
    paths[section].mkdir()
    assert answers(root) == truth


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(section=st.sampled_from(SECTIONS), value=json_values)
def test_an_arbitrary_value_in_a_sealed_entry_is_a_miss(primed, section, value):
    assume(not conforms(section, value))
    check(primed, section, sealed(primed[3][section], value))


def paths_of(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths_of(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += paths_of(value, prefix + (i,))
    return out


def same_kind(a: object, b: object) -> bool:
    kinds = (bool, int, float, str, list, dict, type(None))
    return next(k for k in kinds if isinstance(a, k)) is next(k for k in kinds if isinstance(b, k))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(section=st.sampled_from(SECTIONS), index=st.integers(0, 10**6), value=json_values)
def test_the_true_value_with_one_field_of_another_type_is_a_miss(primed, section, index,
                                                                 value):
    entry = cache.unseal(primed[3][section])
    places = paths_of(entry["value"])
    place = places[index % len(places)]
    data = copy.deepcopy(entry["value"])
    if place:
        holder = data
        for part in place[:-1]:
            holder = holder[part]
        assume(not same_kind(holder[place[-1]], value))
        holder[place[-1]] = value
    else:
        assume(not same_kind(data, value))
        data = value
    check(primed, section, sealed(primed[3][section], data))


def test_the_values_riskkit_writes_conform(primed):
    for section, raw in primed[3].items():
        assert conforms(section, cache.unseal(raw)["value"]), section
