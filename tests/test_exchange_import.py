"""Spreadsheets in and out: the flat shape of `risks --format csv|xlsx`, and `riskkit
import` reading it (or a team's own sheet, through a mapping file) back into risk files."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import REPO
from riskkit.exchange import rows
from riskkit.files.yamlload import load_file

AS_OF = ("--as-of", "2026-11-26")


def copy_demo(root: Path, with_risks: bool = True) -> Path:
    root.mkdir(parents=True)
    shutil.copyfile(REPO / "riskkit.yaml", root / "riskkit.yaml")
    shutil.copytree(REPO / "runbooks", root / "runbooks")
    if with_risks:
        shutil.copytree(REPO / "risks", root / "risks")
    else:
        (root / "risks").mkdir()
    return root


def risks_json(run, root: Path, as_of: tuple[str, str] = AS_OF) -> list[dict]:
    result = run("-C", root, "risks", "--format", "json", *as_of)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def raw_risks(root: Path) -> dict[str, dict]:
    """Every risk's fields as written in its file, by id."""
    out = {}
    for path in sorted((root / "risks").rglob("*.yaml")):
        doc, problems = load_file(path)
        assert doc is not None and not problems, problems
        items = doc.data["risks"] if "risks" in doc.data else [doc.data]
        out.update({item["id"]: item for item in items})
    return out


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# The flat shape


def test_the_csv_export_carries_every_field_in_the_documented_columns(run):
    result = run("-C", REPO, "risks", "--format", "csv", *AS_OF)
    assert result.exit_code == 0, result.output
    table = csv_rows(result.stdout)
    assert list(table[0]) == rows.header()
    by_id = {r["id"]: r for r in table}
    r7 = by_id["RSK-007"]
    assert r7["likelihood"] == "3" and r7["impact"] == "5" and r7["level"] == "high"
    assert r7["residual_likelihood"] == "2" and r7["residual_score"] == "8"
    assert r7["controls"].splitlines()[0] == \
        "CTL-pitr: Point-in-time recovery to a second region (corrective, in-place)"
    assert r7["treatment_strategy"] == "mitigate" and r7["treatment_due"] == "2027-02-28"
    assert r7["review_last"] == "2026-10-02" and r7["review_by"] == "dana"
    assert r7["rto_minutes"] == "60" and r7["runbooks"] == "db-failover"
    assert r7["tags"] == "pci, database, ledger, postgresql"
    assert r7["description"].startswith("The ledger and merchant databases")
    assert r7["file"] == "risks/RSK-007.yaml"
    r24 = by_id["RSK-024"]  # ratings as written: scale ids stay ids
    assert (r24["likelihood"], r24["impact"]) == ("likely", "very-low")
    assert (r24["acceptance_by"], r24["acceptance_until"]) == ("sofia", "2026-10-31")


def test_the_readme_documents_every_column():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Moving in from a spreadsheet"):]
    for column in rows.COLUMNS:
        assert f"`{column.name}`" in section, column.name


FORMULAS = ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "'=x",
            "''", "'quoted' title"]


@given(st.text())
def test_neutralising_a_cell_is_undone_by_import_and_never_starts_a_formula(text):
    cell = rows.neutralise(text)
    assert rows.restore(cell) == text
    assert cell[:1] not in rows.FORMULA_START


@given(st.one_of(st.text(), st.sampled_from(FORMULAS), st.none(), st.booleans(),
                 st.integers()))
def test_a_csv_cell_is_the_neutralised_text_of_its_value(value):
    cell = rows.csv_cell(value)
    if isinstance(value, str):
        assert cell == rows.neutralise(value) and rows.restore(cell) == value
    elif isinstance(value, bool):
        assert cell == ("true" if value else "false")
    else:
        assert cell == ("" if value is None else str(value))


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_are_neutralised(text):
    cell = rows.neutralise(text)
    assert rows.restore(cell) == text
    if text[:1] in rows.FORMULA_START:
        assert cell == "'" + text


@given(st.lists(st.text(min_size=1), max_size=5))
def test_a_list_cell_reads_back_as_the_same_items(items):
    cell = rows.cell_of(rows.BY_NAME["tags"], {"tags": items})
    assert rows.parse_list(cell or "") == items


@given(st.lists(st.fixed_dictionaries({
    "id": st.text(min_size=1), "title": st.text(min_size=1),
    "kind": st.sampled_from(["preventive", "detective", "corrective"]),
    "status": st.sampled_from(["in-place", "planned"])}), max_size=4))
def test_a_controls_cell_reads_back_as_the_same_controls(controls):
    cell = rows.cell_of(rows.BY_NAME["controls"], {"controls": controls})
    assert rows.parse_controls(cell or "") == controls


# Round trips


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_demo_register_round_trips(run, tmp_path, fmt):
    """An export imports back to the same register: the same risks, every field as
    written in the files."""
    sheet = tmp_path / f"demo.{fmt}"
    result = run("-C", REPO, "risks", "--format", fmt, "-o", sheet, *AS_OF)
    assert result.exit_code == 0, result.output
    fresh = copy_demo(tmp_path / "fresh", with_risks=False)
    result = run("-C", fresh, "import", sheet, *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith("28 risk(s): 28 created, 0 updated, 0 unchanged")
    assert raw_risks(fresh) == raw_risks(REPO)
    assert risks_json(run, fresh) == risks_json(run, REPO)
    assert run("-C", fresh, "validate", *AS_OF).exit_code == 0
    # and once more, as an update: nothing changes
    again = run("-C", fresh, "import", sheet, "--update", *AS_OF)
    assert again.exit_code == 0 and again.stdout == ""
    assert "0 updated, 28 unchanged" in again.stderr


def test_a_generated_register_round_trips(run, tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from gen import generate
    finally:
        sys.path.remove(str(REPO / "bench"))
    big = generate(tmp_path / "gen", 300, 20)
    sheet = tmp_path / "gen.csv"
    as_of = ("--as-of", "2027-01-01")  # after every generated review
    assert run("-C", big, "risks", "--format", "csv", "-o", sheet, *as_of).exit_code == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copyfile(big / "riskkit.yaml", fresh / "riskkit.yaml")
    shutil.copytree(big / "runbooks", fresh / "runbooks")
    result = run("-C", fresh, "import", sheet, *as_of)
    assert result.exit_code == 0, result.output
    assert "300 risk(s): 300 created" in result.stderr
    assert raw_risks(fresh) == raw_risks(big)
    def placeless(items: list[dict]) -> list[dict]:  # the files start with a schema line
        return [{k: v for k, v in item.items() if k != "line"} for item in items]
    assert placeless(risks_json(run, fresh, as_of)) == placeless(risks_json(run, big, as_of))


ODD = """\
id: RSK-ODD
title: "=cmd|' /C calc'!A0"
description: |
  Two lines,
  the second with a tab\there.
category: "@team"
owner: "-ops"
status: mitigating
likelihood: 2
impact: 2
controls:
  - {id: "C:1", title: "Backups (daily), checked", kind: detective, status: in-place}
  - {id: " C2", title: "\\\\share\\\\path ", kind: preventive, status: planned}
tags: ["a, b", "+c", "x\\\\y"]
x-sheet-row: 7
"""


def test_odd_text_survives_the_round_trip(run, make_ws, tmp_path):
    root = make_ws({"risks/odd.yaml": ODD})
    sheet = tmp_path / "odd.csv"
    assert run("-C", root, "risks", "--format", "csv", "-o", sheet, *AS_OF).exit_code == 0
    cells = csv_rows(sheet.read_text())[0]
    assert cells["title"].startswith("'=") and cells["owner"] == "'-ops"
    assert cells["category"] == "'@team"
    fresh = make_ws(root=tmp_path / "fresh")
    result = run("-C", fresh, "import", sheet, *AS_OF)
    assert result.exit_code == 0, result.output
    want = raw_risks(root)["RSK-ODD"]
    del want["x-sheet-row"]  # extension fields are not part of the flat shape
    assert raw_risks(fresh)["RSK-ODD"] == want


def test_the_xlsx_export_is_read_by_openpyxl_and_is_the_same_bytes_each_time(run, tmp_path):
    import openpyxl

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (first, second):
        assert run("-C", REPO, "risks", "--format", "xlsx", "-o", out, *AS_OF).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    book = openpyxl.load_workbook(first)
    sheet = book["Risks"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == rows.header()
    by_id = {row[0]: dict(zip(rows.header(), row)) for row in values[1:]}
    assert by_id["RSK-007"]["score"] == 15 and by_id["RSK-007"]["rto_minutes"] == 60
    assert by_id["RSK-024"]["likelihood"] == "likely"
    assert book.properties.created.date().isoformat() == "2026-11-26"
    other = tmp_path / "c.xlsx"
    assert run("-C", REPO, "risks", "--format", "xlsx", "-o", other,
               "--as-of", "2026-11-27").exit_code == 0
    assert other.read_bytes() != first.read_bytes()  # the date is the as-of day's


def test_a_formula_is_text_in_the_workbook(run, make_ws, tmp_path):
    import openpyxl

    root = make_ws({"risks/odd.yaml": ODD})
    out = tmp_path / "odd.xlsx"
    assert run("-C", root, "risks", "--format", "xlsx", "-o", out, *AS_OF).exit_code == 0
    cell = openpyxl.load_workbook(out)["Risks"]["B2"]
    assert cell.data_type == "s" and cell.value.startswith("'=cmd")


# Import: problems


BAD = """\
Ref,Risk,Owner,Status,Probability,Impact,Last reviewed,Notes,Controls
A-1,Thing one,team-a,open,High,3,31/12/2025,x,"CTL-1: Backups (preventive, in-place)"
A-2,,team-a,opne,2,7,2026-02-30,y,CTL-2 broken
A-1,Thing dup,team-a,open,2,2,,z,
RSK-1,Exists,team-a,open,2,2,,,
"""

EXISTING = {"risks/RSK-1.yaml": "id: RSK-1\ntitle: t\nowner: o\nstatus: open\n"
                                "likelihood: 1\nimpact: 1\n"}


def test_every_problem_of_every_row_at_file_row_col_in_one_run(run, make_ws, tmp_path):
    root = make_ws(EXISTING)
    sheet = tmp_path / "bad.csv"
    sheet.write_text(BAD)
    result = run("-C", root, "import", sheet, *AS_OF)
    assert result.exit_code == 1
    s = str(sheet)
    assert result.stderr.splitlines() == [
        f"{s}:1:8: X001 column H (Notes) is not imported: no field is called so (name it "
        "under columns: in a mapping file)",
        f"{s}:2:5: R002 column E (Probability): A-1: likelihood 'High' is not on the 5x5 "
        "matrix (1-5 or rare..almost-certain)",
        f"{s}:2:7: X003 column G (Last reviewed): '31/12/2025' is not a date (YYYY-MM-DD; "
        "name the sheet's formats under dates: in a mapping file)",
        f"{s}:3:2: S101 column B (Risk): A-2: missing required field 'title'",
        f"{s}:3:4: S103 column D (Status): A-2: status: 'opne' is not one of: open, "
        "mitigating, accepted, closed (did you mean 'open'?)",
        f"{s}:3:6: R002 column F (Impact): A-2: impact 7 is not on the 5x5 matrix (1-5 or "
        "very-low..very-high)",
        f"{s}:3:7: X003 column G (Last reviewed): '2026-02-30' is not a date: no such day",
        f"{s}:3:9: X003 column I (Controls): a control is written 'ID: title (kind, "
        "status)', one a line; got 'CTL-2 broken'",
        f"{s}:4:1: R001 column A (Ref): A-1: duplicate risk id (first in row 2)",
        f"{s}:5:1: R001 column A (Ref): RSK-1 is already in the register at "
        "risks/RSK-1.yaml:1:1; import never overwrites a risk (--update merges the row "
        "into it)",
        "riskkit: 10 problem(s) found; nothing was written",
    ]
    assert sorted(p.name for p in (root / "risks").iterdir()) == ["RSK-1.yaml"]


MAP = """\
columns:
  title: Risk
  review_last: Last reviewed
values:
  likelihood: {Low: 2, Medium: 3, High: 4}
  impact: {Minor: 2, Major: 4}
  status: {"Yes": accepted, "No": open}
dates: ["%d/%m/%Y"]
defaults:
  owner: team-ops
"""

TEAM_SHEET = """\
Ref,Risk,Accepted?,Probability,Impact,Last reviewed,Accepted by,Accepted until
OPS-1,Backups fail silently,No,High,Major,31/12/2025,,
OPS-2,Vendor goes bust,Yes,low,Minor,01/02/2026,cfo,30/06/2027
"""


def test_a_mapping_file_names_columns_translates_values_and_reads_dates(run, make_ws,
                                                                         tmp_path):
    root = make_ws()
    sheet, mapping = tmp_path / "team.csv", tmp_path / "map.yaml"
    sheet.write_text(TEAM_SHEET)
    mapping.write_text(MAP.replace("  title: Risk\n", "  title: Risk\n  status: Accepted?\n"))
    result = run("-C", root, "import", sheet, "--map", mapping, *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == ("created risks/OPS-1.yaml (OPS-1)\n"
                             "created risks/OPS-2.yaml (OPS-2)\n")
    data = raw_risks(root)
    assert data["OPS-1"] == {"id": "OPS-1", "title": "Backups fail silently",
                             "owner": "team-ops", "status": "open", "likelihood": 4,
                             "impact": 4, "review": {"last": "2025-12-31"}}
    assert data["OPS-2"]["status"] == "accepted"
    assert data["OPS-2"]["acceptance"] == {"by": "cfo", "until": "2027-06-30"}
    assert data["OPS-2"]["likelihood"] == 2  # "low" matched "Low", ignoring case
    assert run("-C", root, "validate", *AS_OF).exit_code == 0


def test_a_mapping_file_with_problems_is_reported_at_its_lines(run, make_ws, tmp_path):
    root = make_ws()
    sheet, mapping = tmp_path / "team.csv", tmp_path / "map.yaml"
    sheet.write_text(TEAM_SHEET)
    mapping.write_text("columns:\n  titel: Risk\n  owner: Owner\nshet: x\n")
    result = run("-C", root, "import", sheet, "--map", mapping, *AS_OF)
    assert result.exit_code == 1
    m = str(mapping)
    assert result.stderr.splitlines()[:2] == [
        f"{m}:2:3: S100 columns: unknown field 'titel' (did you mean 'title'?)",
        f"{m}:4:1: S100 unknown field 'shet' (did you mean 'sheet'?); known fields: sheet, "
        "columns, values, dates, defaults",
    ]
    mapping.write_text("columns:\n  owner: Owner\n")
    result = run("-C", root, "import", sheet, "--map", mapping, *AS_OF)
    assert result.exit_code == 1
    assert f"{m}:2:10: X002 columns.owner: the sheet has no column 'Owner'" in result.stderr


def test_a_field_no_column_gives_is_said_once(run, make_ws, tmp_path):
    root = make_ws()
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,title,status,likelihood,impact\nA,a,open,1,1\nB,b,open,1,1\n")
    result = run("-C", root, "import", sheet, *AS_OF)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{sheet}:1:1: X002 no column gives owner, which every risk needs (name its column "
        "under columns: in a mapping file, or give it under defaults:)",
        "riskkit: 1 problem(s) found; nothing was written"]


def test_two_columns_for_one_field(run, make_ws, tmp_path):
    root = make_ws()
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,title,Owner,Risk owner,status,likelihood,impact\nA,a,o,p,open,1,1\n")
    result = run("-C", root, "import", sheet, *AS_OF)
    assert result.exit_code == 1
    assert f"{sheet}:1:4: X004 column D (Risk owner) and column C both feed owner" \
        in result.stderr


def test_an_unknown_runbook_link_is_refused(run, make_ws, tmp_path):
    root = make_ws()
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,title,owner,status,likelihood,impact,runbooks\n"
                     "A,a,o,open,1,1,db-failovr\n")
    result = run("-C", root, "import", sheet, *AS_OF)
    assert result.exit_code == 1
    assert f"{sheet}:2:7: R005 column G (runbooks): A: unknown runbook 'db-failovr'" \
        in result.stderr


# Import: writing


def test_dry_run_prints_the_files_and_writes_nothing(run, make_ws, tmp_path):
    root = make_ws()
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,title,owner,status,likelihood,impact,tags\nA-1,a,o,open,1,2,\"x, y\"\n")
    result = run("-C", root, "import", sheet, "--dry-run", *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "# would create risks/A-1.yaml (A-1)\n"
        "# yaml-language-server: $schema=../schemas/risk.schema.json\n"
        "id: A-1\ntitle: a\nowner: o\nstatus: open\nlikelihood: 1\nimpact: 2\n"
        "tags: [x, y]\n")
    assert not (root / "risks").exists()


def test_update_merges_says_what_changed_and_keeps_what_the_sheet_does_not_give(
        run, make_ws, tmp_path):
    root = make_ws({
        "risks/RSK-1.yaml": "id: RSK-1\ntitle: t\nowner: o\nstatus: open\nlikelihood: 1\n"
                            "impact: 1\ntags: [a]\nx-ticket: OPS-9\n",
        "risks/list.yaml": "risks:\n  - {id: L-1, title: one, owner: o, status: open, "
                           "likelihood: 2, impact: 2}\n"
                           "  - {id: L-2, title: two, owner: o, status: open, "
                           "likelihood: 2, impact: 2}\n"})
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,owner,impact,tags\nRSK-1,team-new,3,\nL-2,o,4,new\nL-1,o,2,\n")
    result = run("-C", root, "import", sheet, "--update", *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "updated risks/RSK-1.yaml (RSK-1): owner: 'o' -> 'team-new'; impact: 1 -> 3",
        "updated risks/list.yaml (L-2): impact: 2 -> 4; tags: (empty) -> 'new'",
    ]
    assert "3 risk(s): 0 created, 2 updated, 1 unchanged" in result.stderr
    data = raw_risks(root)
    assert data["RSK-1"] == {"id": "RSK-1", "title": "t", "owner": "team-new",
                             "status": "open", "likelihood": 1, "impact": 3, "tags": ["a"],
                             "x-ticket": "OPS-9"}
    assert data["L-2"]["impact"] == 4 and data["L-2"]["tags"] == ["new"]
    assert data["L-1"]["impact"] == 2
    assert run("-C", root, "validate", *AS_OF).exit_code == 0


def test_a_file_name_in_use_gets_another(run, make_ws, tmp_path):
    root = make_ws({"risks/A.yaml": "risks: []\n"})
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,title,owner,status,likelihood,impact\nA,a,o,open,1,1\n")
    result = run("-C", root, "import", sheet, *AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == "created risks/A-2.yaml (A)\n"
    assert (root / "risks" / "A.yaml").read_text() == "risks: []\n"


def test_an_id_in_a_broken_file_is_not_imported_again(run, make_ws, tmp_path):
    root = make_ws({"risks/A.yaml": "id: A\ntitle: a\nowner: o\nstatus: open\n"
                                    "likelihood: 9\nimpact: 1\n"})
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,title,owner,status,likelihood,impact\nA,a,o,open,1,1\n")
    result = run("-C", root, "import", sheet, "--update", *AS_OF)
    assert result.exit_code == 1
    assert "A is already in the register at risks/A.yaml, which has errors" in result.stderr


# xlsx


def test_an_xlsx_sheet_is_named_in_every_problem(run, make_ws, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Register")
    sheet.append(["id", "title", "owner", "status", "likelihood", "impact", "review_last"])
    sheet.append(["A", "a", "o", "open", 2, 9, "soon"])
    import datetime as dt
    sheet.append(["B", "b", "o", "open", 2, 2, dt.datetime(2026, 3, 1)])
    path = tmp_path / "team.xlsx"
    book.save(path)
    root = make_ws()
    result = run("-C", root, "import", path, "--sheet", "Register", *AS_OF)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"{path}:2:6: R002 sheet Register, column F (impact): A: impact 9 is not on the 5x5 "
        "matrix (1-5 or very-low..very-high)",
        f"{path}:2:7: X003 sheet Register, column G (review_last): 'soon' is not a date "
        "(YYYY-MM-DD; name the sheet's formats under dates: in a mapping file)"]
    wrong = run("-C", root, "import", path, "--sheet", "Registr", *AS_OF)
    assert wrong.exit_code == 1 and "no sheet 'Registr' (did you mean 'Register'?)" \
        in wrong.stderr
    sheet.delete_rows(2)
    book.save(path)
    result = run("-C", root, "import", path, "--sheet", "Register", *AS_OF)
    assert result.exit_code == 0, result.output
    assert raw_risks(root)["B"]["review"] == {"last": "2026-03-01"}


def test_without_openpyxl_xlsx_says_how_to_install_it(run, make_ws, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl fails
    root = make_ws()
    result = run("-C", REPO, "risks", "--format", "xlsx", "-o", tmp_path / "x.xlsx", *AS_OF)
    assert result.exit_code == 2
    assert "pip install 'riskkit[xlsx]'" in result.stderr
    path = tmp_path / "in.xlsx"
    path.write_bytes(b"PK")
    result = run("-C", root, "import", path, *AS_OF)
    assert result.exit_code == 2 and "pip install 'riskkit[xlsx]'" in result.stderr


def test_xlsx_on_a_terminal_asks_for_a_file(run, monkeypatch):
    class Tty(io.BytesIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("riskkit.cli.common.binary_stdout", lambda: Tty())
    result = run("-C", REPO, "risks", "--format", "xlsx", *AS_OF)
    assert result.exit_code == 2 and "give -o FILE" in result.stderr
