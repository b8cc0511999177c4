"""Start-up and fixed costs: what a command imports, and loading with worker processes.

These tests look at behaviour (which modules a run loads, what the workers answer), never
at the clock: a fixed cost that comes back shows up here as a module that is loaded again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from riskkit.cli import cli
from riskkit.cli.app import COMMAND_MODULES
from conftest import copy_demo

# What the root of the command line must not load before a command needs it.
HEAVY = ("jinja2", "networkx", "jsonschema", "yaml", "multiprocessing", "concurrent",
         "riskkit.problems", "riskkit.load", "riskkit.files", "riskkit.register",
         "riskkit.runbook", "riskkit.incident", "riskkit.present", "riskkit.workspace")


def _loaded(code: str, cwd: Path | None = None) -> list[str]:
    """The modules a fresh interpreter holds after running ``code`` (which may exit)."""
    probe = ("import atexit, json, sys\n"
             "atexit.register(lambda: print('MODULES:' + json.dumps(sorted(sys.modules))))\n"
             + code)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("MODULES:")]
    assert len(marker) == 1, proc.stdout + proc.stderr
    return json.loads(marker[0][len("MODULES:"):])


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def _main(*args: str) -> str:
    return f"from riskkit.cli import main\nmain({list(args)!r})\n"


def test_version_loads_nothing_but_the_root_command():
    modules = _loaded(_main("--version"))
    assert _heavy(modules) == []
    assert [m for m in modules if m.startswith("riskkit")] == [
        "riskkit", "riskkit.cli", "riskkit.cli.app"]


def test_importing_the_cli_loads_no_command_module():
    modules = _loaded("import riskkit.cli")
    assert _heavy(modules) == []
    assert not [m for m in modules if m.startswith("riskkit.cli.") and m != "riskkit.cli.app"]


def test_a_command_loads_its_own_module_only():
    modules = _loaded(_main("explain", "R001"))
    commands = {m for m in modules if m.startswith("riskkit.cli.")}
    assert "riskkit.cli.explain" in commands
    assert not commands & {"riskkit.cli.incident", "riskkit.cli.register",
                           "riskkit.cli.exchange", "riskkit.cli.alerts", "riskkit.cli.git"}


def test_help_lists_every_command():
    modules = _loaded(_main("--help"))
    for names in COMMAND_MODULES.values():
        for name in names:
            assert f"riskkit.cli.{name}" in modules


def test_the_table_names_every_command_and_its_modules():
    # Every command the modules define is in the table, and looking it up loads every
    # module that adds to it (``runbook find`` comes from alerts.py).
    for names in COMMAND_MODULES.values():
        for name in names:
            __import__(f"riskkit.cli.{name}")
    assert set(cli.commands) == set(COMMAND_MODULES)

    def modules_of(command: click.Command) -> set[str]:
        found = {command.callback.__module__} if command.callback else set()
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                found |= modules_of(sub)
        return found

    for name, command in cli.commands.items():
        wanted = {f"riskkit.cli.{m}" for m in COMMAND_MODULES[name]}
        assert modules_of(command) <= wanted, name


def test_an_unknown_command_is_still_a_usage_error(run):
    result = run("no-such-command")
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.output


RUNBOOK = """\
id: rb-{n}
title: Restart {{{{ service }}}}
severity: SEV-2
triggers: [Alert {n}]
inputs:
  service: {{description: Service, required: true, choices: [api, web]}}
  deployment: {{description: Deployment, default: "deploy/{{{{ service }}}}"}}
steps:
  - id: s1
    title: Restart {{{{ service }}}}
    role: sre
    minutes: 5
    run: >-
      kubectl patch {{{{ deployment }}}} -p '{{"spec":{{"paused":false}}}}' &&
      kubectl rollout restart {{{{ deployment }}}}
    verify: "{{{{ deployment }}}} is ready: jsonpath='{{.status.readyReplicas}}'"
"""

RISK = """\
id: RSK-{n:03d}
title: Risk {n}
owner: team-{n}
category: operational
status: open
likelihood: {l}
impact: 3
"""


def test_validate_of_plain_runbooks_needs_neither_jinja_nor_a_pool(make_ws):
    # Runbook text that only prints inputs is filled in without Jinja, and a small
    # register is parsed in this process: neither is imported for it.
    files = {f"risks/RSK-{n:03d}.yaml": RISK.format(n=n, l=1 + n % 5) for n in range(5)}
    files.update({f"runbooks/rb-{n}.yaml": RUNBOOK.format(n=n) for n in range(3)})
    ws = make_ws(files)
    modules = _loaded(_main("validate", "--as-of", "2026-01-01"), cwd=ws)
    assert "riskkit.runbook.trial" in modules  # the probe did run the command
    assert not [m for m in modules if m.split(".")[0] in
                ("jinja2", "multiprocessing", "concurrent", "networkx", "jsonschema")]


def test_a_cold_validate_of_the_demo_pays_only_for_what_it_uses(tmp_path):
    """Checking journals reads them, not the incident state machine; writing the cache
    needs neither tempfile (with the random and shutil modules it pulls in) nor
    importlib.resources, its digests not OpenSSL, and trial renders no plan (so not
    riskkit.runbook.view and its eleven record classes): each was a fixed cost of every
    cold run."""
    ws = copy_demo(tmp_path / "demo", ("risks", "runbooks", "drills", "incidents", "alerts"))
    cache = tmp_path / "cache"
    code = (f"import os\nos.environ['RISKKIT_CACHE_DIR'] = {str(cache)!r}\n"
            "os.environ.pop('RISKKIT_NO_CACHE', None)\n"
            + _main("validate", "--as-of", "2026-11-26"))
    modules = _loaded(code, cwd=ws)
    assert "riskkit.incident.check" in modules and any(cache.iterdir())  # it did check and write
    assert not [m for m in modules if m in (
        "riskkit.incident.state", "riskkit.incident.transitions", "riskkit.incident.store",
        "tempfile", "shutil", "random", "secrets", "importlib.resources", "csv",
        "riskkit.runbook.view")]
    if own_hashes():
        assert "_hashlib" not in modules and "hashlib" not in modules


def own_hashes() -> bool:
    """Whether this Python has its own SHA-1 and SHA-256 (riskkit.files.digests)."""
    import importlib.util

    return importlib.util.find_spec("_sha1") is not None and any(
        importlib.util.find_spec(name) is not None for name in ("_sha256", "_sha2"))


@pytest.mark.parametrize("data", [b"", b"abc", "é ☃ 𝄞".encode(), bytes(range(256)) * 1000])
def test_the_digests_are_hashlibs(data):
    import hashlib

    from riskkit.files.digests import sha1, sha256

    assert sha1(data).hexdigest() == hashlib.sha1(data).hexdigest()
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    pieces = sha1()  # the cache checks a file chunk by chunk
    for start in range(0, len(data), 4096):
        pieces.update(data[start:start + 4096])
    assert pieces.hexdigest() == hashlib.sha1(data).hexdigest()


# --- loading with worker processes ------------------------------------------------------

BROKEN = {
    "risks/RSK-900.yaml": "id: RSK-900\ntitle: [unclosed\n",
    "risks/RSK-901.yaml": "id: RSK-001\ntitle: A duplicate id\nowner: x\ncategory: operational"
                          "\nlikelihood: 9\nimpact: 3\n",
    "risks/RSK-902.yaml": "- id: RSK-902\n  title: Listed\n  owner: x\n  category: operational"
                          "\n  likelihood: 2\n  impact: 2\n",
}


@pytest.fixture
def register(make_ws):
    files = {f"risks/RSK-{n:03d}.yaml": RISK.format(n=n, l=1 + n % 5) for n in range(40)}
    files.update(BROKEN)
    files.update({f"runbooks/rb-{n}.yaml": RUNBOOK.format(n=n) for n in range(2)})
    return make_ws(files)


@pytest.mark.parametrize("command", [["validate", "--format", "json"],
                                     ["risks", "--format", "json"]])
def test_workers_answer_as_one_process_does(run, register, monkeypatch, command):
    monkeypatch.setattr("riskkit.load.PARALLEL_FROM", 4)  # 43 files: up to 10 workers
    outputs = {}
    for jobs in ("1", "2", "3", "8"):
        monkeypatch.setenv("RISKKIT_JOBS", jobs)
        monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
        result = run("-C", register, *command, "--as-of", "2026-01-01")
        outputs[jobs] = (result.exit_code, result.output)
    assert outputs["1"][0] == 1  # the broken files are reported
    assert outputs["2"] == outputs["1"] and outputs["3"] == outputs["1"] \
        and outputs["8"] == outputs["1"]


def test_a_worker_that_fails_is_an_internal_error_and_leaves_no_process(
        run, register, monkeypatch):
    import riskkit.load

    monkeypatch.setattr("riskkit.load.PARALLEL_FROM", 4)
    monkeypatch.setenv("RISKKIT_JOBS", "2")
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    calls = {"parent": os.getpid()}
    real = riskkit.load._risk_file

    def failing(ws, path):
        if os.getpid() != calls["parent"] and path.name == "RSK-030.yaml":
            raise ValueError("a bug while loading")
        return real(ws, path)

    monkeypatch.setattr("riskkit.load._risk_file", failing)
    workers = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            workers.append(pid)
        return pid

    monkeypatch.setattr("os.fork", recorded)
    result = run("-C", register, "validate", "--as-of", "2026-01-01")
    assert result.exit_code == 3
    assert "internal error: ValueError: a bug while loading" in result.output
    assert len(workers) == 2
    for pid in workers:  # every worker was waited for
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_small_register_is_loaded_in_this_process(run, register, monkeypatch):
    monkeypatch.setenv("RISKKIT_JOBS", "4")
    monkeypatch.setattr("os.fork", lambda: pytest.fail("forked for 43 files"))
    result = run("-C", register, "validate", "--as-of", "2026-01-01")
    assert result.exit_code == 1


# --- runbook text without Jinja ------------------------------------------------------------

ATOMS = ("{", "}", "{{ x }}", "{{y}}", "{{ z }}", "a", " ", "%", "#", "-", "\n", "{{", "}}",
         "${", "{{ x", "x }}", "{%", "{#", '{"k":"', '"}}}')


def _texts(count: int, seed: int = 18, more: tuple[str, ...] = ()):
    import random

    rng = random.Random(seed)
    atoms = ATOMS + more
    for _ in range(count):
        yield "".join(rng.choice(atoms) for _ in range(rng.randint(1, 8)))


def test_text_filled_in_without_jinja_is_what_jinja_prints():
    from riskkit.runbook.render import _compiled, _substituted

    tried = 0
    for text in _texts(6000):
        for placeholders, values in ((False, {"x": "eu-{1}", "y": 3, "z": True}),
                                     (False, {"x": "v"}), (True, {"x": "v", "y": "}}"})):
            fast = _substituted(text, values, placeholders)
            if fast is None:
                continue
            tried += 1
            assert fast == _compiled(placeholders, text).render(values), (text, values)
    assert tried > 3000  # most of them, braces and all, were filled in without Jinja


def test_the_inputs_a_text_uses_are_what_jinja_finds():
    from riskkit.runbook.text import _SIMPLE, template_variables

    for text in _texts(6000, seed=19, more=("{{ range }}", "{{ none }}")):
        stripped = _SIMPLE.sub("", text)
        if not ("{{" in stripped or "}}" in stripped or "{%" in text or "{#" in text):
            continue  # only inputs, nothing else that looks like Jinja: read as it always was
        for inputs in ((), ("x", "range")):
            # a comment in front sends the text through Jinja's parser, changing nothing
            # but the column an error is at
            names, why = template_variables(text, inputs)
            parsed, parsed_why = template_variables("{# #}" + text, inputs)
            assert (names, why and why.code, why and why.line) == \
                (parsed, parsed_why and parsed_why.code, parsed_why and parsed_why.line), text


def test_defaults_that_print_inputs_resolve_as_with_jinja():
    from riskkit.runbook.model import Input
    from riskkit.runbook.render import resolve_inputs

    class Book:  # what resolve_inputs reads of a runbook
        id = "rb"

        def __init__(self, **defaults: object) -> None:
            self.inputs = [Input(name=n, default=d) for n, d in defaults.items()]

    book = Book(region=None, db='pg-{{ region }}-{"a":1}}', both="{{ db }}/{{ region }}")
    assert resolve_inputs(book, {"region": "eu"}) == {
        "region": "eu", "db": 'pg-eu-{"a":1}}', "both": 'pg-eu-{"a":1}}/eu'}
    assert resolve_inputs(book, {}, partial=True) == {}  # waiting for region, as in Jinja
    assert resolve_inputs(Book(r="{{ range }}"), {}, partial=True)["r"].startswith("<")
    assert resolve_inputs(Book(none="x", d="{{ none }}"), {})["d"] == "None"  # Jinja's none


# --- the cyclic garbage collector ---------------------------------------------------------

@pytest.mark.parametrize("command", [["validate"], ["risks", "--format", "json"]])
def test_a_command_widens_the_young_generation_and_gives_it_back(run, register,
                                                                 monkeypatch, command):
    """Loading makes objects that live until the command ends: the collector first looks
    at them after YOUNG_OBJECTS, not Python's 700, while the command runs (forked workers
    inherit it); after it, failed or not, the threshold is as it was."""
    import gc

    import riskkit.load
    from riskkit.cli.app import YOUNG_OBJECTS

    seen = []
    real = riskkit.load._risk_file
    monkeypatch.setattr(riskkit.load, "_risk_file",
                        lambda *a: seen.append(gc.get_threshold()) or real(*a))
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    before = gc.get_threshold()
    assert before[0] < YOUNG_OBJECTS
    result = run("-C", register, *command, "--as-of", "2026-01-01")
    assert result.exit_code == 1, result.output  # the broken files are reported
    assert len(seen) == 43 and set(seen) == {(YOUNG_OBJECTS, *before[1:])}
    assert gc.get_threshold() == before


def test_a_command_that_fails_inside_gives_the_threshold_back(run, register, monkeypatch):
    import gc

    def broken(*args):
        raise RuntimeError("a bug")
    monkeypatch.setattr("riskkit.load._risk_file", broken)
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")
    before = gc.get_threshold()
    result = run("-C", register, "validate", "--as-of", "2026-01-01")
    assert result.exit_code == 3 and "internal error" in result.output
    assert gc.get_threshold() == before
