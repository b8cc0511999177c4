"""Shared test helpers: a CLI runner that fails on crashes, temp workspaces, golden files."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskkit.cli import cli

REPO = Path(__file__).resolve().parent.parent


def copy_demo(root: Path, folders: tuple[str, ...] = ("risks", "runbooks", "drills")) -> Path:
    """A copy of this repository's demo workspace at ``root`` (made here): riskkit.yaml and
    ``folders``; by default the register without its incidents and alerts."""
    import shutil

    root.mkdir(parents=True)
    for name in folders:
        shutil.copytree(REPO / name, root / name)
    shutil.copyfile(REPO / "riskkit.yaml", root / "riskkit.yaml")
    return root
EXAMPLES = Path(__file__).resolve().parent / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"

SETTINGS = """\
name: Test Co
matrix: 5x5
appetite: medium
review_days: {critical: 30, high: 90, medium: 180, low: 365}
drill_days: {critical: 90, high: 180, medium: 365}
roles:
  ic: {title: Incident commander, contact: "#inc"}
  sre: {title: SRE on-call, pager: sre-oncall}
  dba: {title: Database on-call}
  comms: {title: Communications lead}
"""


CLOCK = dt.date(2031, 6, 1)  # years past any date in the tests' files
NOW = dt.datetime(2031, 6, 1, 12, 0, tzinfo=dt.timezone.utc)  # the time of day, for --at


@pytest.fixture(autouse=True)
def _far_clock(monkeypatch):
    """The machine's clock, as riskkit reads it, stands years ahead during the tests: a
    test that forgets --as-of fails today, not on some later day. (The suite also passes
    under a faked system clock; see the Makefile's test-clock target.)"""
    monkeypatch.setattr("riskkit.cli.common.clock", lambda: CLOCK)
    monkeypatch.setattr("riskkit.cli.common.now", lambda: NOW)


@contextlib.contextmanager
def pinned_clock():
    """The tests' clock (above) for a module-scoped fixture, which runs before the
    autouse pin of each test does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("riskkit.cli.common.clock", lambda: CLOCK)
        patch.setattr("riskkit.cli.common.now", lambda: NOW)
        yield


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Each test gets an empty riskkit cache folder, never the user's."""
    monkeypatch.setenv("RISKKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("RISKKIT_NO_CACHE", raising=False)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite the golden files from the current output.")


def invoke(*args, input=None, env=None):
    """Run riskkit in-process: ``invoke("-C", dir, "validate")`` -> click Result.

    ``catch_exceptions=False`` so a crash fails the test instead of passing as exit 1.
    """
    runner = CliRunner()
    return runner.invoke(cli, [str(a) for a in args], input=input, env=env,
                         catch_exceptions=False)


@pytest.fixture
def run():
    """``invoke`` for a test, inside its own cache folder and far clock (the fixtures
    above); module-scoped fixtures call ``invoke`` with RISKKIT_NO_CACHE and --as-of."""
    return invoke


@pytest.fixture
def make_ws(tmp_path):
    """Build a workspace from ``{relative path: YAML text}``; riskkit.yaml defaults to SETTINGS."""
    def build(files: dict[str, str] | None = None, settings: str | None = SETTINGS,
              root: Path | None = None) -> Path:
        root = root or tmp_path / "ws"
        root.mkdir(parents=True, exist_ok=True)
        if settings is not None:
            (root / "riskkit.yaml").write_text(settings)
        for rel, text in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text))
        return root
    return build


VERSION_MARK = "{riskkit-version}"


def without_version(text: str) -> str:
    """``text`` with the running riskkit version replaced by a placeholder.

    Rendered documents say which riskkit made them; the golden files hold the placeholder
    there, so a release (a new ``version``) does not rewrite them all."""
    import riskkit

    version = re.escape(riskkit.__version__)
    return re.sub(rf"(?<![\w.]){version}(?![\w.])", VERSION_MARK, text)


@pytest.fixture
def golden(request):
    """Compare text with ``tests/golden/NAME``, the riskkit version in both read as a
    placeholder; ``pytest --update-golden`` rewrites the file."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        text = without_version(text)
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {name} is missing; run pytest --update-golden")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        assert text == without_version(path.read_text()), \
            f"output differs from golden file {name}"
    return check


@pytest.fixture
def riskkit_version(monkeypatch):
    """``riskkit_version("9.9.9")``: riskkit says it is that version until the test ends,
    wherever it reads its version from (modules that imported ``__version__`` too)."""
    def set_version(version: str) -> None:
        import riskkit

        running = riskkit.__version__
        for name, module in list(sys.modules.items()):
            if (name == "riskkit" or name.startswith("riskkit.")) \
                    and getattr(module, "__version__", None) == running:
                monkeypatch.setattr(module, "__version__", version)
    return set_version


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One headless Chromium for the session's printing and screenshots (see browser.py)."""
    from browser import Browser, needed_tools

    started = Browser(needed_tools()["chromium"], tmp_path_factory.mktemp("chromium"))
    yield started
    started.close()


@pytest.fixture
def riskkit(run, demo, monkeypatch):
    """``riskkit(*args)``: riskkit in the module's ``demo`` workspace (each module that
    asks for this fixture defines ``demo``), with nobody's identity leaking in."""
    monkeypatch.delenv("RISKKIT_USER", raising=False)
    monkeypatch.setenv("RISKKIT_NO_CACHE", "1")

    def call(*args: str):
        return run("-C", demo, *args)
    return call
