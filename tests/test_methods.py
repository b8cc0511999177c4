"""The record classes' generated methods, kept compiled (``riskkit.methods``).

The promise: a class made with the kept code is exactly the class ``dataclasses`` makes on
its own, and the file is never trusted for anything but code this Python wrote for the
same text.
"""

import dataclasses
import marshal
import os
import subprocess
import sys
import textwrap
import typing
from importlib.util import MAGIC_NUMBER
from pathlib import Path

import pytest

from riskkit import methods


@pytest.fixture
def kept(monkeypatch, tmp_path):
    """``methods`` with an empty memory and its file under ``tmp_path``."""
    monkeypatch.setattr(methods, "FILE", str(tmp_path / "__pycache__" / "kept.bin"))
    monkeypatch.setattr(methods, "_kept", {})
    monkeypatch.setattr(methods, "_used", set())
    monkeypatch.setattr(methods, "_read_yet", False)
    monkeypatch.setattr(methods, "_added", False)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(dataclasses, "exec", methods._exec, raising=False)
    return tmp_path


def _make() -> type:
    """A record class as riskkit writes them: frozen, defaults, a factory, a return type."""
    @dataclasses.dataclass(frozen=True)
    class Sample:
        name: str
        minutes: float = 1.0
        tags: tuple[str, ...] = ()
        extra: dict = dataclasses.field(default_factory=dict, hash=False)

    return Sample


def _behaviour(cls: type) -> tuple:
    a, b = cls("x", 2.0, ("t",)), cls("x", 2.0, ("t",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "y"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del a.name
    return (repr(a), a == b, a != cls("y"), hash(a) == hash(b), cls("z").extra,
            typing.get_type_hints(cls.__init__))


def test_a_class_made_from_kept_code_behaves_as_one_compiled_anew(kept, monkeypatch):
    first = _behaviour(_make())
    assert methods._added and methods._kept  # compiled once, remembered
    compiled = []
    monkeypatch.setattr(methods, "compile",
                        lambda *a, **k: compiled.append(a) or compile(*a, **k), raising=False)
    again = _behaviour(_make())
    assert compiled == []  # every method came from what was kept
    monkeypatch.delattr(dataclasses, "exec")
    assert _behaviour(_make()) == first == again  # and plain dataclasses agree


def test_kept_code_is_compiled_without_this_module_s_future_flags(kept):
    """``dataclasses`` compiles with no ``from __future__`` flags: annotations are objects,
    not strings, whatever the module asking for the class says."""
    code = textwrap.dedent("""
        from __future__ import annotations
        import dataclasses
        Point = dataclasses.make_dataclass("Point", [("x", int), ("y", float)])
    """)
    space: dict = {}
    exec(compile(code, "<riskkit-test>", "exec"), space)
    assert space["Point"].__init__.__annotations__ == {"x": int, "y": float, "return": None}
    for source, kept_code in methods._kept.items():
        assert marshal.loads(kept_code) == compile(source, "<string>", "exec",
                                                   dont_inherit=True)


def test_the_code_kept_at_exit_is_read_back_the_same(kept):
    _make()
    before = dict(methods._kept)
    methods._write()
    assert Path(methods.FILE).read_bytes().startswith(MAGIC_NUMBER)
    assert methods._read() == before
    assert not list(Path(methods.FILE).parent.glob("*.tmp"))


def test_nothing_is_written_where_bytecode_is_not(kept, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _make()
    methods._write()
    assert not Path(methods.FILE).exists()


def test_nothing_new_writes_nothing(kept):
    methods._write()
    assert not Path(methods.FILE).exists()


def test_a_folder_that_cannot_be_written_is_no_error(kept, monkeypatch):
    monkeypatch.setattr(methods, "FILE", str(kept / "a-file" / "kept.bin"))
    (kept / "a-file").write_text("not a folder")
    _make()
    methods._write()  # silently not kept, as Python does with a .pyc


@pytest.mark.parametrize("content", [
    b"",
    b"garbage",
    MAGIC_NUMBER,
    MAGIC_NUMBER + b"\x00\x01",
    b"\x00\x00\x0d\x0a" + marshal.dumps({"x": marshal.dumps(compile("1", "<s>", "exec"))}),
    MAGIC_NUMBER + marshal.dumps([marshal.dumps(compile("1", "<string>", "exec"))]),
    MAGIC_NUMBER + marshal.dumps({"x": compile("1", "<string>", "exec")}),
    MAGIC_NUMBER + marshal.dumps({1: marshal.dumps(compile("1", "<string>", "exec"))}),
], ids=["empty", "garbage", "magic-only", "truncated", "other-python", "a-list",
        "not-marshalled", "not-a-text-key"])
def test_a_file_riskkit_did_not_write_is_not_read(kept, content):
    Path(methods.FILE).parent.mkdir(parents=True)
    Path(methods.FILE).write_bytes(content)
    assert methods._read() == {}
    assert _behaviour(_make())[1]  # and classes are made as ever


def test_code_kept_for_another_text_is_never_run(kept):
    """The key is the whole source: code kept for a text runs only for that very text."""
    Path(methods.FILE).parent.mkdir(parents=True)
    planted = compile("def __create_fn__():\n def f(self): return 'planted'\n return f",
                      "<string>", "exec")
    Path(methods.FILE).write_bytes(MAGIC_NUMBER + marshal.dumps(
        {"other text": marshal.dumps(planted)}))
    assert "planted" not in _behaviour(_make())[0]


def test_kept_bytes_that_are_not_code_are_compiled_anew(kept):
    """What is kept for the very text is used only if it unmarshals to code."""
    _make()
    texts = list(methods._kept)
    Path(methods.FILE).parent.mkdir(parents=True)
    for junk in (marshal.dumps("not code"), b"\xff\x00junk"):
        Path(methods.FILE).write_bytes(MAGIC_NUMBER + marshal.dumps(dict.fromkeys(texts, junk)))
        methods._kept.clear()
        methods._read_yet = False
        assert _behaviour(_make())[1]


def test_a_run_of_riskkit_keeps_its_classes_methods(tmp_path):
    """End to end, in a fresh interpreter: the first command writes the file, the second
    compiles nothing."""
    probe = textwrap.dedent(f"""
        import sys
        from riskkit import methods
        methods.FILE = {str(tmp_path / "kept.bin")!r}
        compiled = []
        real = compile
        methods.compile = lambda *a, **k: compiled.append(1) or real(*a, **k)
        import atexit
        atexit.register(lambda: print("COMPILED", len(compiled), file=sys.stderr))
        from riskkit.cli.app import main
        sys.argv = ["riskkit", "--help"]
        main()
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")}
    compiled = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        compiled.append(int(proc.stderr.split("COMPILED")[1].split()[0]))
    assert compiled[0] > 0 and compiled[1] == 0
