"""Output that lands in other tools: a terminal, a pull-request comment, a script.

User text (a title, an owner, a key, a value typed on the command line) carrying escape
sequences (CSI, OSC window titles and hyperlinks, C1 controls) never reaches a terminal or
a file raw: riskkit shows each control character as ``\\uXXXX``. ``diff --format md`` is
rendered here with GitHub's own Markdown library (cmarkgfm, raw HTML allowed, so nothing
is hidden by a sanitizer) and must show each title as text: no image, HTML, heading,
mention or extra table cell comes out of it. ``NO_COLOR`` counts only when not empty. A
sub-folder of ``risks/`` that cannot be listed is a located problem on every path.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from riskkit.problems import CONTROL

cmarkgfm = pytest.importorskip("cmarkgfm")
from cmarkgfm.cmark import Options  # noqa: E402

AS_OF = ("--as-of", "2026-11-26")

# Each a way to reach a terminal or a renderer: an OSC window title, a screen clear, a
# C1 CSI, an OSC 8 hyperlink, DEL, a carriage return that overwrites the line, and the
# bidirectional override and isolate that make text print in another order than stored.
ESCAPES = ("\x1b]0;pwned\x07 \x1b[2J \x9b31m \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ "
           "\x7f\rX \u202egnp.exe\u202c \u2066isolated\u2069")
MARKDOWN = ("![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> "
            "[click](https://evil.example/) @alice @org/team | pipe ``code`` *em* $x$\n"
            "# a heading\n- an item")


def risk_yaml(rid: str, title: str, owner: str = "team", likelihood: int = 2) -> str:
    return (f"id: {rid}\ntitle: {json.dumps(title)}\nowner: {json.dumps(owner)}\n"
            f"status: open\nlikelihood: {likelihood}\nimpact: 2\n")


def raw_controls(text: str) -> list[str]:
    """The control characters in ``text`` that are neither a newline nor a tab."""
    return sorted({repr(c) for c in CONTROL.findall(text)})


@pytest.fixture
def escape_ws(make_ws) -> Path:
    return make_ws({"risks/r1.yaml": risk_yaml("RSK-1", "Title " + ESCAPES, "own\x1b[8mer"),
                    "risks/r2.yaml": "id: RSK-2\ntitle: t\nowner: o\nstatus: open\n"
                                     "likelihood: 1\nimpact: 1\n\"\\e]0;key\\a\": 1\n"})


@pytest.mark.parametrize("args", [
    ("risks", "--format", "table"), ("risks", "--format", "md"), ("risks", "--format", "csv"),
    ("risks", "--format", "json"), ("matrix",), ("review", *AS_OF), ("validate",),
    ("validate", "--format", "github"), ("validate", "--format", "json"),
    ("runbook", "show", "\x1b]0;id\x07"), ("history", "\x1b[2J"),
])
def test_no_control_character_of_user_text_is_printed(run, escape_ws, args):
    result = run("-C", escape_ws, *args)
    assert raw_controls(result.stdout) == [] and raw_controls(result.stderr) == [], args


def test_json_output_is_still_the_data_as_written(run, escape_ws):
    result = run("-C", escape_ws, "risks", "--format", "json")
    data = json.loads(result.stdout)
    titles = {r["id"]: r["title"] for r in (data["risks"] if isinstance(data, dict) else data)}
    assert titles["RSK-1"] == "Title " + ESCAPES  # C1 and DEL as JSON escapes: same data


def test_a_file_written_with_o_holds_no_raw_control_either(run, escape_ws, tmp_path):
    out = tmp_path / "risks.txt"
    assert run("-C", escape_ws, "risks", "-o", out).exit_code == 1  # r2 has a problem
    assert raw_controls(out.read_text()) == [] and "\\u001b]0;pwned\\u0007" in out.read_text()


def test_a_painted_heat_map_keeps_its_colours_and_only_them():
    from riskkit.present.heatmap import heatmap_text

    data = {"rating": "current", "matrix": "m\x1b]0;x\x07", "likelihood": ["l\x1b[2J"],
            "impact": ["i\x9b"], "levels": [{"id": "a", "name": "A\x1b[5m", "color": "#102030"}],
            "cells": [{"likelihood": 1, "impact": 1, "level": "a", "color": "#102030",
                       "count": 1, "risks": ["R"]}], "total": 1}
    text = heatmap_text(data, color=True)
    assert re.findall(r"\x1b\[[0-9;]*m", text) == ["\x1b[48;2;16;32;48m", "\x1b[30m", "\x1b[0m"]
    assert raw_controls(re.sub(r"\x1b\[[0-9;]*m", "", text)) == []


class Terminal:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("value, color", [(None, True), ("", True), ("1", False),
                                          ("false", False)])
def test_no_color_counts_only_when_not_empty(monkeypatch, value, color):
    from riskkit.cli import common

    monkeypatch.setattr(sys, "stdout", Terminal())
    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    assert common.use_color() is color


# --- Markdown ---------------------------------------------------------------------------------

def gfm(text: str) -> str:
    """HTML as GitHub's Markdown library makes it, raw HTML let through."""
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("\u200b", "")


GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"}


def commit(top: Path, message: str) -> None:
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", "-C", str(top), "-c", "commit.gpgsign=false", *args],
                       check=True, capture_output=True, env=env)


@pytest.fixture
def md_repo(make_ws, monkeypatch) -> Path:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = make_ws({"risks/r1.yaml": risk_yaml("RSK-1", "Plain", likelihood=1)})
    commit(root, "c1")
    (root / "risks" / "r1.yaml").write_text(risk_yaml("RSK-1", MARKDOWN, "@owner", 4))
    (root / "risks" / "r2.yaml").write_text(risk_yaml("RSK-2", MARKDOWN + " " + ESCAPES,
                                                      "<b>owner</b>"))
    return root


def test_a_pull_request_comment_shows_titles_as_text(run, md_repo):
    result = run("-C", md_repo, "diff", "--format", "md")
    assert result.exit_code == 0, result.output
    assert raw_controls(result.stdout) == []
    page = gfm(result.stdout)
    assert "@alice" not in result.stdout and "@owner" not in result.stdout
    items = re.findall(r"<li>(.*?)</li>", page, re.S)
    assert "<h1" not in page and not [tag for item in items  # not even a bare URL's link
                                      for tag in re.findall(r"<[a-z]+", item)], page
    # RSK-2 added; RSK-1's rating, title and owner: no list item is made by a title
    assert len(items) == 4, page
    added = text_of(items[0])
    assert "![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)>" in added
    assert "@alice @org/team | pipe ``code`` *em* $x$ # a heading - an item" in added
    assert "<b>owner</b>" in added


def test_the_revisions_in_the_heading_are_code(run, md_repo):
    result = run("-C", md_repo, "diff", "HEAD", "--format", "md")
    assert result.stdout.splitlines()[0] == ("### riskkit: register changes `HEAD` → "
                                             "`working tree`")


@pytest.mark.parametrize("fmt_args", [("risks",), ("runbook", "list"), ("review", *AS_OF)])
def test_markdown_tables_keep_their_columns(run, make_ws, fmt_args):
    root = make_ws({"risks/r1.yaml": risk_yaml("RSK-1", MARKDOWN, "a | b @c"),
                    "runbooks/rb.yaml": "id: rb\ntitle: \"a | b ![x](y) <i>\"\nowner: o\n"
                                        "triggers: [t]\nsteps:\n"
                                        "  - {id: s, title: S, role: sre, minutes: 1}\n"})
    result = run("-C", root, *fmt_args, "--format", "md")
    page = gfm(result.stdout)
    head = len(re.findall(r"<th[ >]", page))
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    assert head and rows and all(len(re.findall(r"<td[ >]", r)) == head for r in rows), page
    assert "<img" not in page and "<i>" not in page and "@c" not in result.stdout


# --- an unreadable sub-folder of risks/ --------------------------------------------------------

@pytest.fixture
def hidden_folder(make_ws, monkeypatch) -> Path:
    """risks/sub holds three risks (one linked to rb) and cannot be listed. Root reads any
    folder, so listing it fails as it does for a user without the permission."""
    files = {f"risks/sub/r{i}.yaml": risk_yaml(f"RSK-{i}", f"Hidden {i}") for i in (1, 2, 3)}
    files["risks/sub/r1.yaml"] += "runbooks: [rb]\n"
    files["risks/top.yaml"] = risk_yaml("RSK-9", "Seen")
    files["runbooks/rb.yaml"] = ("id: rb\ntitle: R\nowner: o\ntriggers: [t]\nsteps:\n"
                                 "  - {id: s, title: S, role: sre, minutes: 1}\n")
    root = make_ws(files)
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).rstrip(os.sep).endswith(os.path.join("risks", "sub")):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)
    monkeypatch.setattr(os, "scandir", scandir)
    return root


@pytest.mark.parametrize("args", [("validate",), ("risks",), ("matrix",), ("review", *AS_OF),
                                  ("runbook", "list"), ("drill", "plan", *AS_OF)])
def test_an_unreadable_folder_is_a_located_problem(run, hidden_folder, args):
    result = run("-C", hidden_folder, *args)
    assert result.exit_code == 1, result.output
    assert "risks/sub:1:1: Y009 cannot read folder: Permission denied" in result.output


def test_an_unreadable_folder_is_named_in_an_emergency_plan(run, hidden_folder):
    result = run("-C", hidden_folder, "runbook", "render", "rb", "--format", "txt", *AS_OF)
    assert "risks/sub:1:1: Y009 cannot read folder" in result.stderr


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                  "\u2066", "\u2067", "\u2068", "\u2069"])
def test_bidirectional_overrides_are_shown_not_applied(run, make_ws, char):
    """A right-to-left override in a title would print "exe.png" as "gnp.exe"."""
    from riskkit.problems import visible

    assert visible(f"a{char}b") == f"a\\u{ord(char):04x}b"
    ws = make_ws({"risks/r.yaml": risk_yaml("RSK-1", f"cheap {char}gnp.exe")})
    shown = run("-C", ws, "risks").stdout
    assert char not in shown and f"\\u{ord(char):04x}gnp.exe" in shown


def test_right_to_left_text_itself_is_kept():
    from riskkit.problems import visible

    assert visible("שרת הגיבוי נפל \u200f") == "שרת הגיבוי נפל \u200f"  # marks stay


def test_issue_references_in_a_title_do_not_link(run, md_repo):
    """GitHub links "#123" and "GH-123" to an issue (and cross-references it from the pull
    request); a title that mentions one reads as written and refers to nothing."""
    (md_repo / "risks" / "r1.yaml").write_text(
        risk_yaml("RSK-1", "Since #123 and gh-45, see owner/repo#7", likelihood=4))
    result = run("-C", md_repo, "diff", "--format", "md")
    assert result.exit_code == 0, result.output
    assert not re.search(r"(?<!&)(#|GH-)\d", result.stdout, re.I), result.stdout  # no entity
    assert "Since #123 and gh-45, see owner/repo#7" in text_of(gfm(result.stdout))
