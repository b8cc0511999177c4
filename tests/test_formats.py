"""The format registry: every ``--format`` of every command comes from it, and every
format it names prints something."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click
import pytest
from conftest import copy_demo, invoke, pinned_clock

from riskkit.cli import cli
from riskkit.cli.common import FormatOption
from riskkit.present import registry
from riskkit.present.registry import VIEWS, Format, View

# Commands whose formats are not in the registry yet: their choices are listed in the
# command itself (review's formats are moving on their own).
NOT_YET_REGISTERED = {"review"}

AS_OF = ("--as-of", "2026-11-26")

# Arguments that make each command print on the demo register (a git repository in the
# test): a command with --format that is missing here fails the first test below.
ARGS = {
    "validate": ["extra/broken.yaml"],  # one problem, so that every format has a line
    "risks": [*AS_OF],
    "matrix": [*AS_OF],
    "runbook list": [*AS_OF],
    "runbook show": ["db-failover", *AS_OF],
    "runbook graph": ["db-failover", *AS_OF],
    "runbook find": ["PostgresPrimaryDown", *AS_OF],
    "runbook render": ["db-failover", "--var", "region=eu-west-1", "--var", "primary=pg-0",
                       *AS_OF],
    "drill plan": ["--quarter", "2027Q1", *AS_OF],
    "drill checklist": ["db-failover", *AS_OF],
    "incident now": ["-i", "demo", "--at", "2026-11-26T10:30:00Z"],
    "incident log": ["-i", "demo"],
    "incident list": [],
    "postmortem": ["demo", *AS_OF],
    "retro": ["--quarter", "2026Q4", *AS_OF],
    "diff": ["HEAD"],
    "history": ["RSK-001"],
    "explain": [],
}


def commands(group: click.Group = cli, prefix: str = ""):
    """(path, command) of every command, nested groups included."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from commands(command, path + " ")
        else:
            yield path, command


def format_option(command: click.Command) -> click.Option | None:
    return next((p for p in command.params if p.name == "fmt"), None)


WITH_FORMAT = {path: format_option(command) for path, command in commands()
               if format_option(command) is not None}


def test_every_format_option_is_read_from_the_registry():
    assert set(WITH_FORMAT) - NOT_YET_REGISTERED == set(ARGS), \
        "a command with --format is missing from ARGS (or ARGS names one without)"
    for path, option in WITH_FORMAT.items():
        if path in NOT_YET_REGISTERED:
            continue
        assert isinstance(option, FormatOption), f"{path}: --format is not format_option(VIEW)"
        view = VIEWS[option.view]
        assert list(option.type.choices) == view.choices, path
        assert option.default == view.default_choice, path
        assert option.help == view.help(), path


def test_every_registered_formatter_can_be_imported():
    for view in VIEWS.values():
        assert view.formats, view.name
        for fmt in view.formats:
            assert callable(fmt.formatter()), f"{view.name} {fmt.name}: {fmt.target}"


def test_the_help_names_every_choice():
    for view in VIEWS.values():
        text = view.help()
        assert all(name in text for name in view.choices), view.name


def test_the_problem_formats_are_the_registrys():
    from riskkit.present.formats import PROBLEM_FORMATS

    problems = VIEWS["problems"]
    assert {name: problems.format(name).formatter() for name in PROBLEM_FORMATS} \
        == PROBLEM_FORMATS
    assert set(PROBLEM_FORMATS) | {registry.AUTO} == set(problems.choices)


def test_auto_is_github_under_github_actions_only(monkeypatch):
    problems = VIEWS["problems"]
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert problems.resolve("auto") == "github"
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert problems.resolve("auto") == "text"
    assert problems.resolve("json") == "json"
    with pytest.raises(KeyError):
        VIEWS["risks"].format("auto")  # only views that offer it


SEEN: dict = {}


def _probe(data, color=False) -> str:
    SEEN.update(data=data, color=color)
    return "x"


def test_a_format_gets_only_the_options_it_takes():
    fmt = Format("text", f"{__name__}:_probe", options=("color",))
    assert fmt.render([1], color=True, paper="a4") == "x"  # paper: another format's
    assert SEEN == {"data": [1], "color": True}


def test_a_view_with_auto_must_have_text_and_github():
    with pytest.raises(ValueError):
        View("odd", (Format("json", "riskkit.present.formats:to_json"),), auto=True)


def test_colour_reaches_the_heat_map_only_in_text():
    data = {"cells": [], "likelihood": [], "impact": [], "total": 0, "residual": False}
    heatmap = VIEWS["heatmap"]
    assert heatmap.format("text").options == ("color",)
    assert "color" not in heatmap.format("json").options
    assert registry.render("heatmap", "json", data, color=True).startswith("{")


GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "TZ": "UTC",
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com",
           "GIT_AUTHOR_DATE": "2026-11-01T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-01T10:00:00+00:00"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo register, committed in a git repository of its own."""
    root = copy_demo(tmp_path_factory.mktemp("demo") / "ws")
    with pinned_clock():
        started = invoke("-C", root, "incident", "start", "db-failover", "--var",
                         "region=eu-west-1", "--id", "demo", "--at", "2026-11-26T10:00:00Z",
                         "--by", "dana", env={"RISKKIT_NO_CACHE": "1"})
    assert started.exit_code == 0, started.output
    (root / "extra").mkdir()
    (root / "extra" / "broken.yaml").write_text(
        "id: RSK-900\ntitle: t\nowner: o\nstatus: open\nlikelihood: 9\nimpact: 2\n")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "demo"]):
        subprocess.run(["git", "-C", str(root), "-c", "commit.gpgsign=false", *args],
                       check=True, capture_output=True, env=env)
    return root


CASES = [(path, fmt) for path in ARGS
         for fmt in VIEWS[WITH_FORMAT[path].view].choices]


@pytest.mark.parametrize(("path", "fmt"), CASES, ids=[f"{p}-{f}" for p, f in CASES])
def test_every_format_of_every_command_prints(run, demo, monkeypatch, path, fmt):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = run("-C", demo, *path.split(), *ARGS[path], "--format", fmt)
    expected = 1 if path == "validate" else 0
    assert result.exit_code == expected, result.output
    assert result.stdout.strip(), f"{path} --format {fmt} printed nothing"


def test_json_of_a_list_item_by_item_is_json_dumps_of_the_list():
    import json

    from riskkit.present.formats import json_list, to_json

    class Typed:
        def to_dict(self):
            return {"a": [1, {"b": "x\ny"}], "c": {}, "d": []}

    for data in ([], [1], [[]], [{}], [""], [Typed(), {"k": [Typed()]}, "a\nb", None, [1, [2]]]):
        want = json.dumps(data, indent=2, ensure_ascii=False,
                          default=lambda v: v.to_dict()) + "\n"
        assert to_json(data) == want
        assert str(json_list(iter(data))) == want


def _random_json(rng, depth=0):
    """A value of the kinds a view's dict holds, and of those json writes its own way."""
    import enum

    class Level(enum.IntEnum):
        HIGH = 4

    class Word(str):
        pass

    scalars = [None, True, False, 0, -7, 2 ** 70, 1.5, -0.0, 1e300, 1e-7, float("nan"),
               float("inf"), -float("inf"), "", "plain", "x\ny\t\"q\"\\", "\u00e9 ✓ \U0001f600",
               "\x1b[31m\u2028", Word("sub"), Level.HIGH, 3.0]
    if depth > 4 or rng.random() < 0.4:
        return rng.choice(scalars)
    if rng.random() < 0.5:
        keys = ["a", "b", "", "é", 1, 2.5, True, None, Word("w")]
        return {rng.choice(keys) if rng.random() < 0.2 else rng.choice(keys[:4]) + str(i):
                _random_json(rng, depth + 1) for i in range(rng.randrange(4))}
    items = [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return tuple(items) if rng.random() < 0.2 else items


def test_indented_json_is_json_dumps_of_the_same_data():
    """The fast encoder behind every JSON view writes exactly what json.dumps(indent=2)
    writes, for the plain data it handles itself and for what it hands back to json
    (non-text keys, subclasses, NaN and infinities, typed views, deep nesting)."""
    import json
    import random

    from riskkit.present.formats import indented, json_list, to_json

    class Typed:
        def to_dict(self):
            return {"k": [1, {"v": None}]}

    rng = random.Random(18)
    deep: list = []
    for _ in range(150):
        deep = [deep, {"d": 1}]
    samples = [_random_json(rng) for _ in range(2000)] + [deep, Typed(), [Typed(), {"t": Typed()}]]
    for value in samples:
        want = json.dumps(value, indent=2, ensure_ascii=False, default=lambda v: v.to_dict())
        assert indented(value) == want, value
        assert to_json(value) == want + "\n"
        if isinstance(value, list):
            assert str(json_list(value)) == want + "\n"
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular"):
        to_json(cycle)
