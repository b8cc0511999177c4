"""Views answer from the cache when nothing they read has changed (``riskkit.answers``).

Each test first shows a view answered without loading the workspace, byte for byte what
it says with the cache off; then that every change that alters its answer is seen. The
racy window is waited out by ageing the cache files (``shift_cache``), as in
test_cache.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import copy_demo
from riskkit.files import cache
from test_cache import shift_cache

AS_OF = "2026-11-26"

MATRIX = """\
name: ours
likelihood: [{id: rare, name: Rare}, {id: unlikely, name: Unlikely},
             {id: possible, name: Possible}, {id: likely, name: Likely},
             {id: almost-certain, name: Almost certain}]
impact: [{id: negligible, name: Negligible}, {id: minor, name: Minor},
         {id: moderate, name: Moderate}, {id: major, name: Major},
         {id: severe, name: Severe}]
levels:
  - {id: low, name: Low, color: "#2e7d32"}
  - {id: medium, name: Medium, color: "#fbc02d"}
  - {id: high, name: High, color: "#ef6c00"}
  - {id: critical, name: Critical, color: "#c62828"}
thresholds: {low: 1, medium: 5, high: 10, critical: 15}
"""

VIEWS = {
    "risks": ["risks"],
    "risks-json": ["risks", "--format", "json"],
    "risks-csv": ["risks", "--format", "csv", "--sort", "owner"],
    "risks-md-above": ["risks", "--above-appetite", "--format", "md"],
    "matrix": ["matrix"],
    "matrix-residual-json": ["matrix", "--residual", "--format", "json"],
    "review": ["review"],
    "review-json-owner": ["review", "--format", "json", "--owner", "team-platform"],
    "drill-plan": ["drill", "plan", "--quarter", "2027Q1"],
    "drill-plan-ics": ["drill", "plan", "--format", "ics"],
    "runbook-list": ["runbook", "list"],
    "runbook-list-json": ["runbook", "list", "--format", "json"],
    "report": ["report", "-o", "{out}"],
    "risks-to-file": ["risks", "--format", "json", "-o", "{out}"],
}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo workspace, incidents and alerts included."""
    return copy_demo(tmp_path / "ws", ("risks", "runbooks", "drills", "incidents", "alerts"))


@pytest.fixture
def loads(monkeypatch) -> list:
    """Grows by one each time a command loads the workspace."""
    import riskkit.load as load_mod

    calls: list = []
    original = load_mod.load
    monkeypatch.setattr(load_mod, "load", lambda *a, **k: calls.append(1) or original(*a, **k))
    return calls


def answer(run, root: Path, args: list[str], out: Path) -> tuple:
    """Exit status, stdout, stderr and the file written (if the view writes one)."""
    if out.exists():
        out.unlink()
    argv = [a.replace("{out}", str(out)) for a in args]
    result = run("-C", root, *argv, "--as-of", AS_OF)
    return (result.exit_code, result.stdout, result.stderr,
            out.read_bytes() if out.exists() else None)


def truth(run, root: Path, args: list[str], out: Path, monkeypatch) -> tuple:
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    try:
        return answer(run, root, args, out)
    finally:
        monkeypatch.delenv("RISKKIT_NO_CACHE")


def prime(run, root: Path, args: list[str], out: Path, loads: list) -> tuple:
    """Answer once (the cache is written), then again with nothing loaded."""
    first = answer(run, root, args, out)
    shift_cache(5 * cache.RACY_NS)
    before = len(loads)
    second = answer(run, root, args, out)
    assert len(loads) == before, "nothing changed, yet the workspace was loaded again"
    assert second == first
    return second


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_view_is_answered_from_the_cache_exactly(run, demo, tmp_path, monkeypatch, loads,
                                                   view):
    args, out = VIEWS[view], tmp_path / "out"
    expected = truth(run, demo, args, out, monkeypatch)
    assert expected[0] == 0 and (expected[1] or expected[3])
    assert prime(run, demo, args, out, loads) == expected


@pytest.mark.parametrize("view", ["risks", "matrix", "review", "runbook-list", "report"])
def test_an_edited_risk_is_seen(run, demo, tmp_path, monkeypatch, loads, view):
    args, out = VIEWS[view], tmp_path / "out"
    before = prime(run, demo, args, out, loads)
    risk = demo / "risks" / "RSK-001.yaml"
    text = risk.read_text()
    assert "\nlikelihood: 4\n" in text and "\nrto_minutes: 60\n" in text
    # rarer and with a tighter RTO: its level, the heat map and the ETA verdicts move
    risk.write_text(text.replace("\nlikelihood: 4\n", "\nlikelihood: 1\n")
                    .replace("\nrto_minutes: 60\n", "\nrto_minutes: 1\n"))
    shift_cache(5 * cache.RACY_NS)  # out of the racy window: only the file's stat tells
    after = answer(run, demo, args, out)
    assert after == truth(run, demo, args, out, monkeypatch)
    assert after != before, "the edit does not change the answer: the test proves nothing"


def test_another_day_is_another_answer(run, demo, tmp_path, monkeypatch, loads):
    """"Today" is part of the key: reviews fall due as the days pass."""
    out = tmp_path / "out"
    on_the_26th = prime(run, demo, VIEWS["review"], out, loads)
    monkeypatch.setattr("test_answers.AS_OF", "2027-06-01")
    later = answer(run, demo, VIEWS["review"], out)
    assert later == truth(run, demo, VIEWS["review"], out, monkeypatch)
    assert later != on_the_26th


def test_other_options_are_other_answers(run, demo, tmp_path, monkeypatch, loads):
    out = tmp_path / "out"
    everything = prime(run, demo, VIEWS["risks"], out, loads)
    critical = answer(run, demo, ["risks", "--level", "critical"], out)
    assert critical == truth(run, demo, ["risks", "--level", "critical"], out, monkeypatch)
    assert critical != everything


def test_a_view_of_a_broken_workspace_replays_its_problems_and_status(run, demo, tmp_path,
                                                                      monkeypatch, loads):
    (demo / "risks" / "RSK-002.yaml").write_text("id: RSK-002\nlikelihood: [\n")
    args, out = VIEWS["risks"], tmp_path / "out"
    shift_cache(-5 * cache.RACY_NS)  # nothing to age yet; the broken file is new
    expected = truth(run, demo, args, out, monkeypatch)
    assert expected[0] == 1 and "RSK-002.yaml" in expected[2] and "RSK-001" in expected[1]
    assert prime(run, demo, args, out, loads) == expected


def test_review_strict_replays_its_exit_status(run, demo, tmp_path, monkeypatch, loads):
    args, out = ["review", "--strict"], tmp_path / "out"
    expected = truth(run, demo, args, out, monkeypatch)
    assert expected[0] == 1 and expected[1]
    assert prime(run, demo, args, out, loads) == expected


def test_environment_the_view_reads_is_part_of_the_key(run, demo, tmp_path, monkeypatch,
                                                       loads):
    args, out = ["review", "--format", "auto"], tmp_path / "out"
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    as_text = prime(run, demo, args, out, loads)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    as_github = answer(run, demo, args, out)
    assert as_github == truth(run, demo, args, out, monkeypatch)
    assert as_github[1] != as_text[1] and as_github[1].startswith("::")


def test_a_roll_up_of_several_workspaces_is_not_remembered(run, demo, tmp_path, loads):
    other = tmp_path / "other"
    shutil.copytree(demo, other)
    for _ in range(2):
        shift_cache(5 * cache.RACY_NS)
        result = run("report", str(demo), str(other), "-o", str(tmp_path / "all.html"),
                     "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
    assert len(loads) == 4  # two workspaces, loaded on each run
    assert not any("view-report" in p.name for p in Path(os.environ["RISKKIT_CACHE_DIR"])
                   .iterdir())


def test_a_binary_view_is_not_remembered(run, demo, tmp_path, loads):
    pytest.importorskip("openpyxl")
    for _ in range(2):
        shift_cache(5 * cache.RACY_NS)
        result = run("-C", demo, "risks", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"),
                     "--as-of", AS_OF)
        assert result.exit_code == 0, result.output
    assert len(loads) == 2


@pytest.mark.parametrize("value", [
    None, [], "text", {"problems": []}, {"status": 0},
    {"problems": [{"path": "a"}], "status": 0},
    {"problems": "none", "status": 0},
    {"problems": [], "status": "1"},
    {"problems": [], "status": 0, "more": 1},
])
def test_a_cached_value_of_any_other_shape_is_a_miss(demo, value):
    from riskkit import answers
    from riskkit.validation import inputs

    files = inputs(demo)
    cache.write(demo, "view-risks", {"k": 1}, files, value, text="x")
    shift_cache(5 * cache.RACY_NS)
    assert answers.recall(demo, "risks", {"k": 1}) is None
    good = {"problems": [], "status": 0}
    cache.write(demo, "view-risks", {"k": 1}, files, good, text="x ✓")
    shift_cache(5 * cache.RACY_NS)
    assert answers.recall(demo, "risks", {"k": 1}) == answers.Answer("x ✓", (), 0)


@pytest.mark.parametrize("change", ["edited", "truncated", "gone", "another"])
def test_a_kept_text_that_is_not_the_one_written_is_a_miss(demo, change):
    """A view's text is kept in a file of its own (no JSON escaping of 80 MB); its size
    and SHA-1 in the entry tell whether it is the one written with it."""
    from riskkit import answers
    from riskkit.validation import inputs

    files = inputs(demo)
    good = {"problems": [], "status": 0}
    cache.write(demo, "view-risks", {"k": 1}, files, good, text="the register\n")
    shift_cache(5 * cache.RACY_NS)
    assert answers.recall(demo, "risks", {"k": 1}) == answers.Answer("the register\n", (), 0)
    kept = next(Path(os.environ["RISKKIT_CACHE_DIR"]).glob("*-view-risks.txt"))
    if change == "edited":
        kept.write_bytes(b"the registes\n")
    elif change == "truncated":
        kept.write_bytes(b"the reg")
    elif change == "gone":
        kept.unlink()
    else:  # another view's text, written whole, under this one's name
        cache.write(demo, "view-matrix", {"k": 1}, files, good, text="the heat map\n")
        next(Path(os.environ["RISKKIT_CACHE_DIR"]).glob("*-view-matrix.txt")).replace(kept)
    assert answers.recall(demo, "risks", {"k": 1}) is None


def test_a_big_answer_is_kept_and_written_in_pieces(run, demo, tmp_path, monkeypatch,
                                                    loads):
    """Texts longer than a chunk go to the cache and to standard output a piece at a time;
    pieces cut anywhere, in a character of several bytes too, give the text back whole."""
    import riskkit.cli.common as common

    monkeypatch.setattr(cache, "TEXT_CHUNK", 7)
    monkeypatch.setattr(common, "CHUNK", 5)
    risk = demo / "risks" / "RSK-001.yaml"
    risk.write_text(risk.read_text().replace("\ntitle: ", "\ntitle: Zürich ✓ — "))
    args, out = VIEWS["risks-json"], tmp_path / "out"
    expected = truth(run, demo, args, out, monkeypatch)
    assert "Zürich ✓ — " in expected[1] and len(expected[1]) > 7
    assert prime(run, demo, args, out, loads) == expected


@pytest.mark.parametrize("view", ["risks-json", "risks-to-file"])
def test_the_register_as_json_is_never_one_string(run, demo, tmp_path, monkeypatch, loads,
                                                  view):
    """The JSON of a register goes to standard output, to ``-o FILE`` and to the cache
    piece by piece: joined, the text of 50,000 risks would be a second copy of 70 MB.
    The answer is the one json_list's pieces spell, and the cache gives it back."""
    from riskkit.files.fsutil import Pieces

    args, out = VIEWS[view], tmp_path / "out"
    expected = truth(run, demo, args, out, monkeypatch)

    def joined(self):
        raise AssertionError("the register's JSON was joined into one string")
    monkeypatch.setattr(Pieces, "__str__", joined)
    assert prime(run, demo, args, out, loads) == expected


def test_a_matrix_file_is_an_input_though_the_settings_are_not_read(run, demo, tmp_path,
                                                                    monkeypatch, loads):
    """riskkit.yaml may name a matrix file; the cache kept its name with the answer, so a
    hit, which reads no settings, still sees the matrix file change."""
    settings = demo / "riskkit.yaml"
    text = settings.read_text()
    assert "\nmatrix: 5x5\n" in text
    (demo / "matrix.yaml").write_text(MATRIX)
    settings.write_text(text.replace("\nmatrix: 5x5\n", "\nmatrix: matrix.yaml\n"))
    args, out = VIEWS["matrix-residual-json"], tmp_path / "out"
    before = prime(run, demo, args, out, loads)
    grid = (demo / "matrix.yaml").read_text()
    (demo / "matrix.yaml").write_text(grid.replace("name: High", "name: Serious"))
    shift_cache(5 * cache.RACY_NS)
    after = answer(run, demo, args, out)
    assert after == truth(run, demo, args, out, monkeypatch)
    assert after != before and "Serious" in after[1]


@pytest.mark.parametrize("args", [["validate"], VIEWS["risks-json"], VIEWS["review"]])
def test_a_warm_answer_reads_not_even_the_settings(run, demo, tmp_path, monkeypatch, loads,
                                                   args):
    out = tmp_path / "out"
    expected = prime(run, demo, args, out, loads)
    import riskkit.workspace

    def refuse(*_args, **_kwargs):
        raise AssertionError("the settings were read")

    monkeypatch.setattr(riskkit.workspace, "open_workspace", refuse)
    assert answer(run, demo, args, out) == expected
