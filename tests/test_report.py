"""``riskkit report``: one self-contained HTML file, checked by reading it back and by printing
it in a real headless Chromium.

The HTML is parsed (html.parser, and ElementTree for the SVG heat maps) rather than searched
for substrings, so a value must appear in the right table row to count. The report is
cross-checked against ``review``, ``drill plan`` and ``runbook list`` on the same workspace
and the same ``--as-of``. Chromium and poppler come from Debian's packages (``make test``
installs them); without them the browser test fails rather than skips.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from browser import ARTIFACTS, first_page_with, needed_tools, pages, text

AS_OF = ("--as-of", "2026-11-26")
SVG = "{http://www.w3.org/2000/svg}"
WINDOW = (1280, 1800)

# 5x5 matrix, appetite medium. Current -> residual:
#   RSK-A critical 20 -> medium 6     RSK-B high 12 -> low 2     RSK-C medium 8 (accepted)
#   RSK-D low 4                       RSK-E low 1 (closed)       RSK-F high 15 (no runbook)
REPORT = {
    "risks/RSK-A.yaml": """\
        id: RSK-A
        title: Card acquirer outage
        owner: team-pay
        status: mitigating
        likelihood: 4
        impact: 5
        residual: {likelihood: 2, impact: 3}
        controls:
          - {id: CTL-1, title: Second acquirer, kind: corrective, status: planned}
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-11-20, by: dana}
        rto_minutes: 10
        runbooks: [rb-slow]
        """,
    "risks/RSK-B.yaml": """\
        id: RSK-B
        title: Ledger disk fills up
        owner: team-data
        status: mitigating
        likelihood: 3
        impact: 4
        residual: {likelihood: 1, impact: 2}
        controls:
          - {id: CTL-2, title: Volume autoscaler, kind: preventive, status: planned}
        treatment: {strategy: mitigate, due: 2027-06-30}
        review: {last: 2026-06-01, by: dana}
        rto_minutes: 60
        runbooks: [rb-fast]
        """,
    "risks/RSK-C.yaml": """\
        id: RSK-C
        title: KYC vendor exits the market
        owner: team-vendor
        status: accepted
        likelihood: 2
        impact: 4
        acceptance: {by: cfo, until: 2026-12-10}
        review: {last: 2026-11-01, by: sofia}
        """,
    "risks/RSK-D.yaml": """\
        id: RSK-D
        title: FX rates go stale
        owner: team-pay
        status: open
        likelihood: 2
        impact: 2
        review: {last: 2026-11-01, by: tom}
        """,
    "risks/RSK-E.yaml": """\
        id: RSK-E
        title: Legacy HSM cage contract lapses
        owner: team-vendor
        status: closed
        likelihood: 1
        impact: 1
        """,
    "risks/RSK-F.yaml": """\
        id: RSK-F
        title: 'Vendor <b>portal</b> & "SSO" outage'
        owner: team-it
        status: open
        likelihood: 3
        impact: 5
        treatment: {strategy: transfer, due: 2027-03-31}
        review: {last: 2026-11-01, by: li}
        """,
    "runbooks/rb-slow.yaml": """\
        id: rb-slow
        title: Fail over to the second acquirer
        severity: SEV-1
        owner: team-pay
        triggers: [Authorisation success rate below 90%]
        steps:
          - {id: declare, title: Declare, role: ic, minutes: 5}
          - {id: reroute, title: Reroute, role: sre, needs: [declare], minutes: 10}
        """,
    "runbooks/rb-fast.yaml": """\
        id: rb-fast
        title: Free space on the ledger volume
        severity: SEV-3
        owner: team-data
        triggers: [Disk above 85%]
        steps:
          - {id: declare, title: Declare, role: ic, minutes: 5}
          - {id: grow, title: Grow the volume, role: sre, needs: [declare], minutes: 10}
        """,
    "runbooks/rb-spare.yaml": """\
        id: rb-spare
        title: A runbook nobody links
        owner: team-ops
        triggers: [Never]
        steps:
          - {id: only, title: Only step, role: sre, minutes: 7}
        """,
    "drills/2026-04-10-rb-fast.yaml": """\
        runbook: rb-fast
        date: 2026-04-10
        kind: tabletop
        outcome: partial
        steps:
          grow: {minutes: 18, ok: false, note: Autoscaler disabled}
        findings:
          - {title: Re-enable the volume autoscaler, owner: team-data, due: 2026-11-01}
          - {title: Add a disk forecast panel, owner: team-data, due: 2027-02-01}
        """,
}
RISK_IDS = ["RSK-A", "RSK-B", "RSK-C", "RSK-D", "RSK-E", "RSK-F"]


class Page(HTMLParser):
    """The report as data: tables by the heading above them, every src/href, the cards."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.heading = ""
        self.in_h2 = False
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self.links: list[tuple[str, str, str]] = []
        self.row: list | None = None
        self.cell: list | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if name in attrs:
                self.links.append((tag, name, attrs[name] or ""))
        if tag == "h2":
            self.in_h2, self.heading = True, ""
        elif tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ["", attrs.get("class") or ""]
        elif tag == "br" and self.cell is not None:
            self.cell[0] += " "

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
            self.heading = " ".join(self.heading.split())
            self.tables.setdefault(self.heading, [])
        elif tag == "td" and self.cell is not None:
            self.row.append((" ".join(self.cell[0].split()), self.cell[1]))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:  # header rows hold only <th>
                self.tables.setdefault(self.heading, []).append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.in_h2:
            self.heading += data
        if self.cell is not None:
            self.cell[0] += data

    def section(self, prefix: str) -> tuple[str, list[list[str]]]:
        """The heading starting with ``prefix`` and its table's rows as cell texts."""
        [heading] = [h for h in self.tables if h.startswith(prefix)]
        return heading, [[text for text, _ in row] for row in self.tables[heading]]


@pytest.fixture
def ws(make_ws):
    return make_ws(REPORT)


def report(run, ws, target: Path, *args) -> str:
    result = run("-C", ws, "report", "-o", target, *(args or AS_OF))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return target.read_text(encoding="utf-8")


@pytest.fixture
def html(run, ws, tmp_path) -> str:
    return report(run, ws, tmp_path / "out" / "report.html")


def json_of(run, ws, *args):
    result = run("-C", ws, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_workspace_is_valid(run, ws):
    result = run("-C", ws, "validate", *AS_OF)
    assert result.exit_code == 0, result.output


def test_report_is_one_self_contained_file(run, ws, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    text = report(run, ws, out / "report.html")
    assert [p.name for p in out.iterdir()] == ["report.html"]  # no temp file left behind
    assert text.startswith("<!DOCTYPE html>")
    page = Page(text)
    external = [(tag, name, value) for tag, name, value in page.links
                if not value.startswith(("#", "data:"))]
    assert external == [], "the report refers to files or addresses outside itself"
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"<link\b", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?!data:|#)", text, re.I)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)


def test_report_is_deterministic(run, ws, tmp_path, html):
    assert report(run, ws, tmp_path / "again.html") == html


def test_cards_count_the_register(html):
    cards = dict((label, int(n)) for n, label in
                 re.findall(r'<div class="card"><b[^>]*>(\d+)</b>([^<]+)</div>', html))
    attention = cards.pop("need attention")
    assert cards == {"risks": 6, "open or mitigating": 4, "above appetite": 3, "accepted": 1,
                     "runbooks": 3, "drills recorded": 1}
    assert attention == len(Page(html).section("Needs attention")[1]) == 8


def svg_cells(svg: str) -> dict[str, str]:
    """risk id -> fill colour of the heat map cell it sits in."""
    root = ET.fromstring(svg)
    placed = {}
    for group in root.iter(f"{SVG}g"):
        tip = group.find(f"{SVG}title").text
        fill = group.find(f"{SVG}rect").get("fill")
        if tip != "no risks":
            for rid in tip.split(", "):
                placed[rid] = fill
    return placed


def test_heat_maps_are_two_svgs_coloured_by_the_matrix(run, ws, html):
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 2
    titles = [ET.fromstring(s).find(f"{SVG}title").text for s in svgs]
    assert titles == ["Current ratings", "Residual ratings"]
    colour = {lv["id"]: lv["color"] for lv in json_of(run, ws, "matrix")["levels"]}
    current, residual = svg_cells(svgs[0]), svg_cells(svgs[1])
    assert set(current) >= {"RSK-A", "RSK-B", "RSK-C", "RSK-D", "RSK-F"}
    assert current["RSK-A"] == colour["critical"] and residual["RSK-A"] == colour["medium"]
    assert current["RSK-B"] == colour["high"] and residual["RSK-B"] == colour["low"]
    assert current["RSK-F"] == residual["RSK-F"] == colour["high"]  # no residual rating
    assert current["RSK-D"] == colour["low"]


def test_register_lists_every_risk_with_html_escaped(html):
    heading, rows = Page(html).section("The register")
    assert heading == f"The register ({len(RISK_IDS)})"
    assert sorted(row[0] for row in rows) == RISK_IDS
    by_id = {row[0]: row for row in rows}
    assert by_id["RSK-A"][1:5] == ["Critical", "20", "medium (6)", "mitigating"]
    assert by_id["RSK-F"][6] == 'Vendor <b>portal</b> & "SSO" outage'
    assert "Vendor &lt;b&gt;portal&lt;/b&gt; &amp;" in html
    assert "<b>portal</b>" not in html


def test_findings_are_the_reviews(run, ws, html):
    findings = json_of(run, ws, "review", *AS_OF)["findings"]
    assert {f["kind"] for f in findings} >= {"review-overdue", "acceptance-expiring",
                                             "no-runbook", "drill-never", "finding-overdue",
                                             "eta-above-rto", "runbook-unlinked"}
    heading, rows = Page(html).section("Needs attention")
    assert heading == f"Needs attention ({len(findings)})"
    assert [row[1:] for row in rows] == [
        [f["subject"], f["owner"], f["message"], f"{f['path']}:{f['line']}"] for f in findings]
    labels = {f["kind"]: row[0] for f, row in zip(findings, rows)}
    assert labels["finding-overdue"] == "drill finding past due"
    assert labels["eta-above-rto"] == "expected time to mitigate above the RTO"


def test_drill_plan_is_next_quarters(run, ws, html):
    due = json_of(run, ws, "drill", "plan", "--quarter", "2027Q1", *AS_OF)["due"]
    assert [d["runbook"] for d in due] == ["rb-slow", "rb-fast"]
    heading, rows = Page(html).section("Drills due in")
    assert heading == "Drills due in 2027Q1 (2)"
    assert rows == [[str(d["rank"]), d["runbook"], d["level"], d["last_drill"] or "never",
                     d["reason"]] for d in due]


def test_each_runbook_eta_against_its_rto(run, ws, html):
    page = Page(html)
    _, rows = page.section("Runbooks: expected time")
    listed = {rb["id"]: rb for rb in json_of(run, ws, "runbook", "list")}
    assert [row[0].split()[0] for row in rows] == sorted(listed)
    by_id = {row[0].split()[0]: row for row in rows}
    for rid, rb in listed.items():
        assert by_id[rid][0] == f"{rid} {rb['title']}"
        assert by_id[rid][3] == f"{rb['eta_minutes']:g}"
    # columns: severity, steps, ETA, as drilled (5 + 18 for rb-fast), RTO, risks
    assert by_id["rb-slow"][1:] == ["SEV-1", "2", "15", "-", "10", "RSK-A"]
    assert by_id["rb-fast"][1:] == ["SEV-3", "2", "15", "23", "60", "RSK-B"]
    assert by_id["rb-spare"][1:] == ["-", "1", "7", "-", "-", "-"]
    [table] = [t for h, t in page.tables.items() if h.startswith("Runbooks: expected time")]
    eta_class = {row[0][0].split()[0]: row[3][1] for row in table}
    assert "bad" in eta_class["rb-slow"].split()  # 15 minutes against an RTO of 10
    assert "bad" not in eta_class["rb-fast"].split()
    drilled_class = {row[0][0].split()[0]: row[4][1] for row in table}
    assert "bad" not in drilled_class["rb-fast"].split()  # 23 minutes against 60


def test_the_eta_table_shows_a_drilled_time_above_the_rto(run, make_ws, tmp_path):
    # Two drills of rb-fast: grow took 18, then 200 minutes; the median, 109, plus the
    # 5-minute declare is 114 minutes as drilled, above RSK-B's RTO of 60 (15 estimated).
    ws = make_ws(REPORT | {"drills/2026-10-10-rb-fast.yaml": """\
        runbook: rb-fast
        date: 2026-10-10
        kind: game-day
        outcome: fail
        steps:
          grow: {minutes: 200}
        """})
    page = Page(report(run, ws, tmp_path / "r.html"))
    [table] = [t for h, t in page.tables.items() if h.startswith("Runbooks: expected time")]
    row = next(r for r in table if r[0][0].startswith("rb-fast"))
    assert [cell for cell, _ in row[3:5]] == ["15", "114"]
    assert "bad" not in row[3][1].split() and "bad" in row[4][1].split()


def test_as_of_sets_the_date_and_the_next_quarter(run, ws, tmp_path):
    text = report(run, ws, tmp_path / "jan.html", "--as-of", "2027-01-05")
    assert "As of 2027-01-05" in text
    heading, _ = Page(text).section("Drills due in")
    assert heading.startswith("Drills due in 2027Q2 ")


def test_report_needs_an_output_file(run, ws):
    result = run("-C", ws, "report", *AS_OF)
    assert result.exit_code == 2
    assert "-o" in result.stderr


# --- a real browser ------------------------------------------------------------------------






def png_size_and_colours(png: Path) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the image data holds.

    A blank page compresses to a handful of byte values (filter types and one colour);
    text, tables and a coloured heat map give hundreds.
    """
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    idat, pos = b"", 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def ppm_pixels(tools, pdf: Path, page: int, tmp_path: Path) -> bytes:
    """One page of the PDF as raw RGB (poppler's PPM output)."""
    prefix = tmp_path / f"page{page}"
    subprocess.run([tools["pdftoppm"], "-r", "50", "-f", str(page), "-l", str(page),
                    "-singlefile", pdf, prefix], capture_output=True, timeout=60, check=True)
    raw = prefix.with_suffix(".ppm").read_bytes()
    match = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", raw)
    assert match, raw[:20]
    width, height = int(match[1]), int(match[2])
    pixels = raw[match.end():]
    assert len(pixels) == width * height * 3
    return pixels


def near(pixels: bytes, colour: str, tolerance: int = 12) -> int:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(1 for i in range(0, len(pixels) - 2, 3)
               if abs(pixels[i] - r) <= tolerance and abs(pixels[i + 1] - g) <= tolerance
               and abs(pixels[i + 2] - b) <= tolerance)


@pytest.fixture
def url(run, ws, tmp_path) -> str:
    target = tmp_path / "report.html"
    report(run, ws, target)
    return target.resolve().as_uri()


@pytest.fixture
def pdf(browser, url, tmp_path) -> Path:
    needed_tools()
    target = browser.print_pdf(url, tmp_path / "report.pdf")
    assert target.stat().st_size > 0, "chromium printed nothing for the report"
    return target








@pytest.mark.slow
def test_chromium_screenshot_of_the_report(browser, url, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report-screen.png"
    png.unlink(missing_ok=True)
    browser.screenshot(url, png, WINDOW)
    assert png.is_file(), "no screenshot"
    width, height, values = png_size_and_colours(png)
    assert (width, height) == WINDOW
    assert values > 64, "the screenshot looks blank"


@pytest.mark.slow
def test_chromium_prints_the_report_with_its_sections_and_coloured_heat_maps(run, ws, pdf,
                                                                             tmp_path):
    tools = needed_tools()
    count = pages(needed_tools(), pdf)
    assert 1 <= count <= 6, f"{count} pages for six risks and three runbooks"
    body = re.sub(r"\s+", "", text(needed_tools(), pdf))
    for part in ("Heatmaps", "Currentratings", "Residualratings", "Needsattention(8)",
                 "Drillsduein2027Q1(2)", "Runbooks:expectedtimetomitigate", "Theregister(6)",
                 "Generatedbyriskkit"):
        assert part in body, f"{part} is not in the printed report"
    # The heat maps print in colour (print-color-adjust), in the matrix's colours.
    page = first_page_with(needed_tools(), pdf, "Currentratings")
    colour = {lv["id"]: lv["color"] for lv in json_of(run, ws, "matrix")["levels"]}
    pixels = ppm_pixels(tools, pdf, page, tmp_path)
    for level in ("critical", "high", "medium", "low"):
        assert near(pixels, colour[level]) > 200, f"no {level} cells on printed page {page}"
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run([tools["pdftoppm"], "-png", "-r", "60", "-f", str(page), "-l", str(page),
                    "-singlefile", pdf, ARTIFACTS / "report-print-heatmaps"],
                   capture_output=True, timeout=60, check=True)


@pytest.mark.slow
def test_printed_report_opens_with_the_heat_maps(pdf):
    """Page 1 is what management reads: the summary cards and the heat maps belong on it,
    not a page that is three-quarters blank with the maps pushed whole to page 2."""
    needed_tools()
    assert first_page_with(needed_tools(), pdf, "Heatmaps") == 1
    assert first_page_with(needed_tools(), pdf, "Currentratings") == 1


@pytest.mark.slow
def test_printed_report_holds_every_risk_id_whole(pdf):
    """A risk id is what people search the printed report for and read out in a review; it
    must not break at its hyphen (pdftotext joins "RSK-" at a line end with the next line,
    so a broken id is not found)."""
    needed_tools()
    body = re.sub(r"\s+", " ", text(needed_tools(), pdf))
    missing = [rid for rid in RISK_IDS if rid not in body]
    assert not missing, f"{missing} are not whole in the printed report (broken at the hyphen?)"
