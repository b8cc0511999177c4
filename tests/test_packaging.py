"""The real installed wheel, in a fresh virtual environment, away from the source tree.

Building and installing take a while and need the package index for the dependencies;
they run once for the module, and the tests that use them are marked ``slow``. The import
cost tests at the end are quick and run in the inner loop too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SETTINGS

RISK = """\
id: RSK-001
title: The primary database loses its storage
owner: team-data
status: mitigating
likelihood: possible
impact: 5
residual: {likelihood: 2, impact: 4}
"""

BIN = "Scripts" if os.name == "nt" else "bin"


def _clean_env(real_clock: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if real_clock:  # the machine's clock, not a faked one (libfaketime's variables)
        env = {k: v for k, v in env.items()
               if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    return env


def _sh(args, cwd=None, timeout=900, real_clock=False) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(real_clock),
                          capture_output=True, text=True, timeout=timeout)


def _pip(*args) -> subprocess.CompletedProcess:
    """pip, on the machine's clock: it fetches the dependencies over TLS, whose
    certificates a clock moved years ahead (the suite is run that way too) would call
    expired. The clock under test is riskkit's, and the installed riskkit runs on the
    clock the suite was given."""
    return _sh([sys.executable, "-m", "pip", *args], real_clock=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a copy so the build leaves nothing (build/, *.egg-info) in the work tree.
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, src / name)
    for name in ("riskkit", "schemas"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    out = tmp_path_factory.mktemp("wheelhouse")
    proc = _pip("wheel", "--no-deps", "-w", out, src)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("riskkit-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh virtual environment with the wheel and its dependencies installed (by this
    pip, pointed at the new environment: seeding the environment with a pip of its own
    would take longer than the install)."""
    root = tmp_path_factory.mktemp("venv") / "v"
    proc = _sh([sys.executable, "-m", "venv", "--without-pip", root])
    assert proc.returncode == 0, proc.stderr
    proc = _pip("--python", root / BIN / "python", "install", wheel)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


slow = pytest.mark.slow  # a wheel build and an install


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@slow
def test_wheel_carries_the_schemas_and_the_entry_point(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for kind in ("risk", "runbook", "drill", "matrix", "settings"):
            member = f"riskkit/schemas/{kind}.schema.json"
            assert member in names, member
            assert json.loads(zf.read(member)) == json.loads(
                (REPO / "schemas" / f"{kind}.schema.json").read_text())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "riskkit = riskkit.cli:main" in zf.read(entry_points).decode()
        assert not any(n.startswith(("tests/", "risks/")) for n in names)


@slow
def test_installed_package_is_not_the_source_tree(venv, elsewhere):
    proc = _sh([venv / BIN / "python", "-c", "import riskkit; print(riskkit.__file__)"],
               cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    where = Path(proc.stdout.strip()).resolve()
    assert where.is_relative_to(venv.resolve())
    assert not where.is_relative_to(REPO)


@slow
def test_installed_riskkit_validates_a_workspace(venv, tmp_path, elsewhere):
    ws = tmp_path / "ws"
    (ws / "risks").mkdir(parents=True)
    (ws / "riskkit.yaml").write_text(SETTINGS)
    (ws / "risks" / "RSK-001.yaml").write_text(RISK)
    riskkit = venv / BIN / "riskkit"
    proc = _sh([riskkit, "-C", ws, "validate"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    proc = _sh([riskkit, "validate"], cwd=ws / "risks")  # found by walking up
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _sh([riskkit, "-C", ws, "risks", "--format", "json"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert [(r["id"], r["score"]) for r in json.loads(proc.stdout)] == [("RSK-001", 15)]


@slow
def test_installed_riskkit_reports_problems(venv, tmp_path, elsewhere):
    ws = tmp_path / "ws"
    (ws / "risks").mkdir(parents=True)
    (ws / "riskkit.yaml").write_text(SETTINGS)
    (ws / "risks" / "RSK-001.yaml").write_text(RISK.replace("impact: 5", "impact: 7"))
    proc = _sh([venv / BIN / "riskkit", "-C", ws, "validate"], cwd=elsewhere)
    assert proc.returncode == 1
    assert proc.stdout.startswith("risks/RSK-001.yaml:6:9: R002 ")
    assert "1-5 or very-low..very-high" in proc.stdout


@slow
@pytest.mark.parametrize("name", ["risk", "settings", "matrix"])
def test_installed_riskkit_prints_schemas(venv, elsewhere, name):
    proc = _sh([venv / BIN / "riskkit", "schema", name], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["$id"].endswith(f"{name}.schema.json")
    assert data == json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())


@slow
def test_installed_riskkit_version(venv, elsewhere):
    proc = _sh([venv / BIN / "riskkit", "--version"], cwd=elsewhere)
    assert proc.returncode == 0
    meta = _sh([venv / BIN / "python", "-c",
                "import importlib.metadata as m; print(m.version('riskkit'))"], cwd=elsewhere)
    assert meta.stdout.strip() and meta.stdout.strip() in proc.stdout


@slow
def test_installed_riskkit_init(venv, tmp_path, elsewhere):
    target = tmp_path / "fresh"
    proc = _sh([venv / BIN / "riskkit", "init", target], cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    proc = _sh([venv / BIN / "riskkit", "-C", target, "validate"], cwd=elsewhere)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- import cost --------------------------------------------------------------------------

HEAVY = ("networkx", "jinja2", "jsonschema")


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, env=_clean_env())
    assert proc.returncode == 0, proc.stderr
    marker = [line for line in proc.stdout.splitlines() if line.startswith("HEAVY:")]
    assert len(marker) == 1, proc.stdout
    return [m for m in marker[0][len("HEAVY:"):].split(",") if m]


def test_importing_the_cli_loads_no_heavy_library():
    assert _loaded_after("import riskkit.cli") == []


def test_help_loads_no_heavy_library():
    code = ("from riskkit.cli import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\n"
            "except SystemExit:\n    pass")
    assert _loaded_after(code) == []


def test_schema_command_loads_no_heavy_library():
    code = ("from riskkit.cli import cli\n"
            "try:\n    cli.main(['schema', 'risk'], standalone_mode=False)\n"
            "except SystemExit:\n    pass")
    assert _loaded_after(code) == []


def test_the_probe_can_see_a_heavy_import():
    # The probe above would pass vacuously if it could not notice an import at all.
    assert _loaded_after("import jsonschema") == ["jsonschema"]
