"""Generated code kept compiled (``riskkit.compiled``): record classes' methods, schema
checks and regular expressions.

The promise: a class made with the kept code is exactly the class ``dataclasses`` makes on
its own, a pattern built from what is kept is the pattern ``re`` compiles, and the file is
never trusted for anything but what this Python wrote for the same text.
"""

import dataclasses
import marshal
import os
import re
import subprocess
import sys
import textwrap
import typing
from importlib.util import MAGIC_NUMBER
from pathlib import Path

import pytest

from riskkit import compiled
from riskkit.files import schemacheck
from riskkit.files.fastschema import compile_schema
from conftest import copy_demo


@pytest.fixture
def kept(monkeypatch, tmp_path):
    """``methods`` with an empty memory and its file under ``tmp_path``."""
    monkeypatch.setattr(compiled, "FILE", str(tmp_path / "__pycache__" / "kept.bin"))
    monkeypatch.setattr(compiled, "_kept", {})
    monkeypatch.setattr(compiled, "_used", set())
    monkeypatch.setattr(compiled, "_read_yet", False)
    monkeypatch.setattr(compiled, "_added", False)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(dataclasses, "exec", compiled._exec, raising=False)
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
    assert compiled._added and compiled._kept  # compiled once, remembered
    made = []
    monkeypatch.setattr(compiled, "compile",
                        lambda *a, **k: made.append(a) or compile(*a, **k), raising=False)
    again = _behaviour(_make())
    assert made == []  # every method came from what was kept
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
    for key, kept_code in compiled._kept.items():
        filename, source = key.split("\0", 1)
        assert marshal.loads(kept_code) == compile(source, filename, "exec", dont_inherit=True)


def test_the_code_kept_at_exit_is_read_back_the_same(kept):
    _make()
    before = dict(compiled._kept)
    compiled._write()
    assert Path(compiled.FILE).read_bytes().startswith(MAGIC_NUMBER)
    assert compiled._read() == before
    assert not list(Path(compiled.FILE).parent.glob("*.tmp"))


def test_nothing_is_written_where_bytecode_is_not(kept, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _make()
    compiled._write()
    assert not Path(compiled.FILE).exists()


def test_nothing_new_writes_nothing(kept):
    compiled._write()
    assert not Path(compiled.FILE).exists()


def test_a_folder_that_cannot_be_written_is_no_error(kept, monkeypatch):
    monkeypatch.setattr(compiled, "FILE", str(kept / "a-file" / "kept.bin"))
    (kept / "a-file").write_text("not a folder")
    _make()
    compiled._write()  # silently not kept, as Python does with a .pyc


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
    Path(compiled.FILE).parent.mkdir(parents=True)
    Path(compiled.FILE).write_bytes(content)
    assert compiled._read() == {}
    assert _behaviour(_make())[1]  # and classes are made as ever


def test_code_kept_for_another_text_is_never_run(kept):
    """The key is the whole source: code kept for a text runs only for that very text."""
    Path(compiled.FILE).parent.mkdir(parents=True)
    planted = compile("def __create_fn__():\n def f(self): return 'planted'\n return f",
                      "<string>", "exec")
    Path(compiled.FILE).write_bytes(MAGIC_NUMBER + marshal.dumps(
        {"other text": marshal.dumps(planted)}))
    assert "planted" not in _behaviour(_make())[0]


def test_kept_bytes_that_are_not_code_are_compiled_anew(kept):
    """What is kept for the very text is used only if it unmarshals to code."""
    _make()
    texts = list(compiled._kept)
    Path(compiled.FILE).parent.mkdir(parents=True)
    for junk in (marshal.dumps("not code"), b"\xff\x00junk"):
        Path(compiled.FILE).write_bytes(MAGIC_NUMBER + marshal.dumps(dict.fromkeys(texts, junk)))
        compiled._kept.clear()
        compiled._read_yet = False
        assert _behaviour(_make())[1]


def test_a_run_of_riskkit_keeps_what_it_compiled(tmp_path):
    """End to end, in a fresh interpreter: the first command writes the file, the second
    compiles nothing (record classes, the schema checks of a validate, and the regular
    expressions of riskkit, PyYAML and the standard library that it imports)."""
    probe = textwrap.dedent(f"""
        import sys
        from riskkit import compiled
        compiled.FILE = {str(tmp_path / "kept.bin")!r}
        made = []
        real = compile
        compiled.compile = lambda *a, **k: made.append(1) or real(*a, **k)
        real_pattern = compiled._compile_pattern
        compiled._compile_pattern = lambda *a: made.append(2) or real_pattern(*a)
        import atexit
        atexit.register(lambda: print("COMPILED", len(made), file=sys.stderr))
        from riskkit.cli.app import main
        sys.argv = ["riskkit", "validate"]
        main()
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")}
    env["RISKKIT_NO_CACHE"] = "1"
    ws = copy_demo(tmp_path / "ws")
    made = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=env, timeout=300, cwd=ws)
        assert proc.returncode == 0, proc.stderr
        made.append(int(proc.stderr.split("COMPILED")[1].split()[0]))
    assert made[0] > 0 and made[1] == 0


def test_a_schema_check_compiles_once(kept, monkeypatch):
    made = []
    monkeypatch.setattr(compiled, "compile",
                        lambda *a, **k: made.append(a[1]) or compile(*a, **k), raising=False)
    first = compile_schema(schemacheck.item_schema("risk"))
    again = compile_schema(schemacheck.item_schema("risk"))
    assert made == ["<riskkit schema check>"]
    assert first.__code__ == again.__code__


def test_the_same_source_under_another_name_is_kept_apart(kept):
    assert compiled.code("x = 1", "<one>").co_filename == "<one>"
    assert compiled.code("x = 1", "<two>").co_filename == "<two>"


def test_bytes_marshal_chokes_on_are_a_miss(kept, monkeypatch):
    """marshal may refuse damaged bytes with any error (SystemError among them): the file
    or the entry is then simply not used."""
    import types

    _make()
    compiled._write()
    compiled._kept.clear()
    compiled._read_yet = False

    def choke(data):
        raise SystemError("bad argument to internal function")
    monkeypatch.setattr(compiled, "marshal", types.SimpleNamespace(loads=choke,
                                                                   dumps=marshal.dumps))
    assert compiled._read() == {}
    monkeypatch.setattr(compiled, "_read", lambda: {"<string>\0x = 1": b"damaged"})
    assert compiled.code("x = 1").co_filename == "<string>"


PATTERNS = [
    (r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?", 0),
    (r"[^\t\n\r -~\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", 0),
    (r"(?<![A-Za-z0-9_])ré(?:sum|gion)é?\b", re.IGNORECASE),
    (r"""  ^ \s* (\w+)   # a name
           \s* = \s* (["']?) (.*?) \2 $""", re.VERBOSE | re.MULTILINE),
    (rb"(?:\xef\xbb\xbf)?(?:---[ \t]*)?\x00?", 0),
    (rb"[a-z]+", re.LOCALE),
    (r"(a|b)*?c{2,5}(?=d)|(?(1)x|y)", re.DOTALL | re.ASCII),
]
SAMPLES = ["2026-12-06", "2026-12", "Résumé région", "  name = 'value'\nx=1", "\x01é\ufffe",
           "aabbccccd", "yx", "---\t", ""]


@pytest.fixture
def patterns(kept, monkeypatch):
    """Patterns kept under ``kept`` from now on, and ``re``'s own cache out of the way."""
    from re import _compiler

    monkeypatch.setattr(_compiler, "compile", _compiler.compile)
    monkeypatch.setattr(_compiler, "_sre", _compiler._sre)
    compiled.keep_patterns()
    return kept


def _matches(pattern: re.Pattern) -> list:
    found = []
    for sample in SAMPLES:
        text = sample if isinstance(pattern.pattern, str) else sample.encode("utf-8")
        found.append([(m.span(), m.groups(), m.groupdict()) for m in pattern.finditer(text)])
    return found


@pytest.mark.parametrize("text,flags", PATTERNS)
def test_a_pattern_built_from_what_was_kept_is_the_pattern_re_compiles(patterns, text, flags):
    """Compiled by ``re`` itself, then made from what was kept for it (through the
    file): the same pattern, flags, groups and matches."""
    anew = compiled._compile_pattern(text, flags)  # re's own compiler
    first = compiled._pattern(text, flags)  # compiled, and kept
    key, = [k for k in compiled._kept if k.startswith("re\0")]
    compiled._write()
    compiled._kept.clear()
    compiled._read_yet = False
    calls = []
    real = compiled._compile_pattern
    compiled._compile_pattern = lambda *a: calls.append(a) or real(*a)
    try:
        again = compiled._pattern(text, flags)
    finally:
        compiled._compile_pattern = real
    assert not calls and key in compiled._kept  # made from the file, compiled by nobody
    for pattern in (first, again):
        assert (pattern.pattern, pattern.flags, pattern.groups, pattern.groupindex) == \
            (anew.pattern, anew.flags, anew.groups, anew.groupindex)
        assert _matches(pattern) == _matches(anew)


def test_kept_code_sre_refuses_is_compiled_anew(patterns):
    """What is kept for a pattern is checked by _sre as it builds: damaged code, or not
    even the right shape, means compiling the pattern again."""
    text = r"(?P<id>RSK-\d+)"
    compiled._pattern(text)
    key, = [k for k in compiled._kept if k.startswith("re\0")]
    flags, program, groups, groupindex, indexgroup = marshal.loads(compiled._kept[key])
    for junk in ((flags, [999_999] + program[1:], groups, groupindex, indexgroup),
                 (flags, program[:3], groups, groupindex, indexgroup),
                 ("flags", program, groups, groupindex, indexgroup), ("not", "enough")):
        compiled._kept[key] = marshal.dumps(junk)
        built = compiled._pattern(text)
        assert built.fullmatch("RSK-12")["id"] == "RSK-12"
        assert marshal.loads(compiled._kept[key])[1] == program  # kept anew, right


def test_patterns_of_other_texts_or_flags_are_kept_apart(patterns):
    one = compiled._pattern("a+")
    other = compiled._pattern("a+", re.IGNORECASE)
    raw = compiled._pattern(b"a+")
    assert len([k for k in compiled._kept if k.startswith("re\0")]) == 3
    assert one.fullmatch("aa") and not one.fullmatch("AA")
    assert other.fullmatch("AA") and raw.fullmatch(b"aa")


def test_a_debug_compile_is_left_to_re(patterns, capsys):
    compiled._pattern("x", re.DEBUG)
    assert "LITERAL" in capsys.readouterr().out and not compiled._kept


def test_a_pattern_re_warns_about_is_compiled_and_warned_about_every_time(patterns):
    """A kept pattern would skip re's parser and its warnings: such a pattern is not kept,
    and its warnings come as re gives them, errors under ``-W error`` included."""
    import warnings

    for _ in range(2):
        with pytest.warns(FutureWarning, match="nested set"):
            assert compiled._pattern("[[a]").fullmatch("[")
    assert not [k for k in compiled._kept if k.endswith("\0[[a]")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FutureWarning):
            compiled._pattern("[[b]")


def test_each_command_keeps_its_own_file(tmp_path, monkeypatch):
    """A run reads its whole file: each command keeps what it compiles apart, so that a
    validate does not read what the other commands made. A file chosen before, or one
    read already, stays."""
    monkeypatch.setattr(compiled, "_FOLDER", str(tmp_path))
    monkeypatch.setattr(compiled, "_DEFAULT", str(tmp_path / "default.bin"))
    monkeypatch.setattr(compiled, "_read_yet", False)
    for command, name in (("validate", "validate"), ("runbook", "runbook"),
                          ("../x", None), ("a b", None)):
        monkeypatch.setattr(compiled, "FILE", compiled._DEFAULT)
        compiled.keep_for(command)
        assert compiled.FILE == (str(tmp_path / f"riskkit-generated.{name}."
                                                 f"{sys.implementation.cache_tag}.bin")
                                 if name else compiled._DEFAULT)
    compiled.keep_for("validate")
    compiled.keep_for("report")  # a second command in the same run: the first one's file
    assert ".validate." in compiled.FILE
    monkeypatch.setattr(compiled, "FILE", str(tmp_path / "chosen.bin"))
    compiled.keep_for("validate")
    assert compiled.FILE == str(tmp_path / "chosen.bin")
    monkeypatch.setattr(compiled, "FILE", compiled._DEFAULT)
    monkeypatch.setattr(compiled, "_read_yet", True)
    compiled.keep_for("validate")
    assert compiled.FILE == compiled._DEFAULT
