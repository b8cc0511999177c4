"""GitHub Actions annotations from ``validate`` and ``review`` (``--format github|auto``).

A workflow command is ``::error file=F,line=L,col=C,title=T::MESSAGE``. GitHub's escaping
(actions/toolkit, ``command.ts``): in the message ``%``, CR and LF become ``%25``, ``%0D``
and ``%0A``; in a property value ``:`` and ``,`` also become ``%3A`` and ``%2C``.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

LINE = re.compile(r"^::(?P<kind>error|warning) file=(?P<file>[^,:]*),line=(?P<line>\d+),"
                  r"col=(?P<col>\d+),title=(?P<title>[^,:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def annotations(stdout: str) -> list[dict]:
    """Every line of ``stdout`` parsed as an annotation (a line that is not one fails)."""
    out = []
    for raw in stdout.splitlines():
        match = LINE.match(raw)
        assert match, f"not a workflow command: {raw!r}"
        item = match.groupdict()
        out.append({"kind": item["kind"], "path": unescape(item["file"]),
                    "line": int(item["line"]), "col": int(item["col"]),
                    "code": unescape(item["title"]), "message": unescape(item["message"]),
                    "raw": raw})
    return out


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


SETTINGS = """\
name: Annotated Co
matrix: 5x5
appetite: medium
review_days: {critical: 30, high: 90, medium: 180, low: 365}
roles:
  ic: {title: Incident commander}
"""

BAD_RATING = "id: RSK-1\ntitle: A\nowner: o\nstatus: open\nlikelihood: 9\nimpact: 1\n"
MISSING_TITLE = "id: RSK-2\ntitel: B\nowner: o\nstatus: open\nlikelihood: 1\nimpact: 1\n"
NO_TRIGGERS = """\
id: quiet
title: A runbook nobody knows when to start
steps:
  - {id: one, title: Do the thing, role: ic, minutes: 5}
"""
# A key with CR, LF, comma, colon and percent: the message quotes it back.
ODD_KEY = ('id: RSK-3\ntitle: C\nowner: o\nstatus: open\nlikelihood: 1\nimpact: 1\n'
           '"odd\\r\\nkey, 50%: x": 1\n')


def validate_json(run, root) -> list[dict]:
    result = run("-C", root, "validate", "--format", "json")
    return json.loads(result.stdout)


# --- validate -----------------------------------------------------------------------------

def test_validate_github_errors_and_warnings(run, make_ws):
    root = make_ws({"risks/a.yaml": BAD_RATING, "risks/b.yaml": MISSING_TITLE,
                    "runbooks/quiet.yaml": NO_TRIGGERS}, settings=SETTINGS)
    result = run("-C", root, "validate", "--format", "github")
    assert result.exit_code == 1
    found = annotations(result.stdout)
    assert {(a["kind"], a["path"]) for a in found} >= {("error", "risks/a.yaml"),
                                                       ("error", "risks/b.yaml"),
                                                       ("warning", "runbooks/quiet.yaml")}
    rating = [a for a in found if a["path"] == "risks/a.yaml"]
    assert [(a["line"], a["col"], a["code"]) for a in rating] == [(5, 13, "R002")]
    assert "1-5 or rare..almost-certain" in rating[0]["message"]
    # The same problems as the JSON report, one annotation each.
    expected = [{"kind": p["severity"], "path": p["path"], "line": p["line"], "col": p["col"],
                 "code": p["code"], "message": p["message"]} for p in validate_json(run, root)]
    assert [{k: v for k, v in a.items() if k != "raw"} for a in found] == expected


def test_validate_github_warnings_alone_pass_unless_strict(run, make_ws):
    root = make_ws({"runbooks/quiet.yaml": NO_TRIGGERS}, settings=SETTINGS)
    result = run("-C", root, "validate", "--format", "github")
    assert result.exit_code == 0, result.output
    found = annotations(result.stdout)
    assert found and all(a["kind"] == "warning" for a in found)
    assert found[0]["raw"].startswith("::warning file=runbooks/quiet.yaml,line=1,col=")
    assert ",title=W004::" in found[0]["raw"]
    strict = run("-C", root, "validate", "--format", "github", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout == result.stdout


def test_validate_github_clean_prints_nothing(run, make_ws):
    root = make_ws({"risks/a.yaml": BAD_RATING.replace("likelihood: 9", "likelihood: 2")},
                   settings=SETTINGS)
    result = run("-C", root, "validate", "--format", "github")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_validate_github_escapes_properties_and_message(run, make_ws):
    root = make_ws({"risks/a,b:c%.yaml": ODD_KEY}, settings=SETTINGS)
    result = run("-C", root, "validate", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # CR and LF in the message do not split it
    raw = lines[0]
    assert raw.startswith("::error file=risks/a%2Cb%3Ac%25.yaml,line=7,col=1,title=S100::")
    message = raw.split("::", 2)[2]
    # In the message only %, CR and LF are escaped; ':' and ',' stay as they are.
    assert "odd%0D%0Akey, 50%25: x" in message
    assert "\r" not in raw
    [found] = annotations(result.stdout)
    [problem] = validate_json(run, root)
    assert found["path"] == problem["path"] == "risks/a,b:c%.yaml"
    assert found["message"] == problem["message"]
    assert "odd\r\nkey, 50%: x" in found["message"]


def test_settings_problems_as_annotations(run, make_ws):
    root = make_ws(settings=SETTINGS.replace("matrix: 5x5", "matrix: 5x6"))
    result = run("-C", root, "validate", "--format", "github")
    assert result.exit_code == 2
    [found] = annotations(result.stdout)
    assert (found["kind"], found["path"], found["line"]) == ("error", "riskkit.yaml", 2)
    assert "5x6" in found["message"]


@pytest.mark.parametrize("args", [[], ["--format", "auto"]], ids=["default", "auto"])
def test_validate_auto_is_github_under_github_actions(run, make_ws, args):
    root = make_ws({"risks/a.yaml": BAD_RATING, "runbooks/quiet.yaml": NO_TRIGGERS},
                   settings=SETTINGS)
    ci = run("-C", root, "validate", *args, env={"GITHUB_ACTIONS": "true"})
    assert ci.exit_code == 1
    assert {a["kind"] for a in annotations(ci.stdout)} == {"error", "warning"}
    github = run("-C", root, "validate", "--format", "github")
    assert ci.stdout == github.stdout


@pytest.mark.parametrize("value", [None, "false", ""], ids=["unset", "false", "empty"])
@pytest.mark.parametrize("args", [[], ["--format", "auto"]], ids=["default", "auto"])
def test_validate_auto_is_text_elsewhere(run, make_ws, args, value):
    root = make_ws({"risks/a.yaml": BAD_RATING}, settings=SETTINGS)
    result = run("-C", root, "validate", *args, env={"GITHUB_ACTIONS": value})
    assert result.exit_code == 1
    assert not result.stdout.startswith("::")
    assert result.stdout.startswith("risks/a.yaml:5:13: R002 ")
    text = run("-C", root, "validate", "--format", "text")
    assert result.stdout == text.stdout


def test_annotation_paths_are_relative_to_the_repository(run, make_ws, tmp_path,
                                                         monkeypatch):
    """GitHub places an annotation by its path from the repository root: a register kept
    in ops/ of a repository must be annotated as ops/risks/…, or the annotation misses
    the file in the pull request."""
    repo = tmp_path / "repo"
    make_ws({"risks/a.yaml": BAD_RATING}, settings=SETTINGS, root=repo / "ops")
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(repo)],
                   check=True, capture_output=True)
    monkeypatch.chdir(repo)
    result = run("-C", "ops", "validate", "--format", "github",
                 env={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(repo)})
    assert result.exit_code == 1
    [found] = annotations(result.stdout)
    assert found["path"] == "ops/risks/a.yaml", found["raw"]


# --- review -------------------------------------------------------------------------------

OVERDUE = ("id: RSK-1\ntitle: A\nowner: team-a\nstatus: open\nlikelihood: 4\nimpact: 5\n"
           "review: {last: 2025-01-01, by: dana}\n")
FRESH = ("id: RSK-2\ntitle: B\nowner: team-b\nstatus: open\nlikelihood: 1\nimpact: 1\n"
         "review: {last: 2026-12-01, by: dana}\n")
AS_OF = "2027-01-10"


def review_json(run, root) -> list[dict]:
    result = run("-C", root, "review", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["findings"]


def test_review_github_warnings_with_file_and_line(run, make_ws):
    root = make_ws({"risks/a.yaml": OVERDUE, "risks/b.yaml": FRESH}, settings=SETTINGS)
    result = run("-C", root, "review", "--as-of", AS_OF, "--format", "github")
    assert result.exit_code == 0, result.output
    found = annotations(result.stdout)
    assert found and all(a["kind"] == "warning" for a in found)
    assert {a["path"] for a in found} == {"risks/a.yaml"}
    overdue = [a for a in found if a["code"] == "review-overdue"]
    assert [(a["line"], a["col"]) for a in overdue] == [(7, 16)]  # the review's `last`
    assert "2025-01-01" in overdue[0]["message"]
    expected = [{"kind": "warning", "path": f["path"], "line": f["line"], "col": f["col"],
                 "code": f["kind"], "message": f["message"]} for f in review_json(run, root)]
    assert [{k: v for k, v in a.items() if k != "raw"} for a in found] == expected


def test_review_github_strict_fails_on_findings(run, make_ws):
    root = make_ws({"risks/a.yaml": OVERDUE}, settings=SETTINGS)
    result = run("-C", root, "review", "--as-of", AS_OF, "--format", "github", "--strict")
    assert result.exit_code == 1
    assert annotations(result.stdout)


def test_review_github_nothing_to_say(run, make_ws):
    root = make_ws({"risks/b.yaml": FRESH}, settings=SETTINGS)
    result = run("-C", root, "review", "--as-of", AS_OF, "--format", "github", "--strict")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_review_github_escapes_the_file(run, make_ws):
    root = make_ws({"risks/team a, b: 100%.yaml": OVERDUE}, settings=SETTINGS)
    result = run("-C", root, "review", "--as-of", AS_OF, "--format", "github")
    found = annotations(result.stdout)
    assert found
    for a in found:
        assert a["raw"].startswith("::warning file=risks/team a%2C b%3A 100%25.yaml,line=")
        assert a["path"] == "risks/team a, b: 100%.yaml"


def test_review_auto(run, make_ws):
    root = make_ws({"risks/a.yaml": OVERDUE}, settings=SETTINGS)
    ci = run("-C", root, "review", "--as-of", AS_OF, env={"GITHUB_ACTIONS": "true"})
    github = run("-C", root, "review", "--as-of", AS_OF, "--format", "github")
    assert ci.exit_code == 0 and ci.stdout == github.stdout
    assert annotations(ci.stdout)
    plain = run("-C", root, "review", "--as-of", AS_OF, "--format", "auto",
                env={"GITHUB_ACTIONS": None})
    text = run("-C", root, "review", "--as-of", AS_OF, "--format", "text")
    assert plain.stdout == text.stdout
    assert plain.stdout.startswith("risks/a.yaml:")
