"""Printed HTML: a real headless Chromium prints the plan and a checklist pack to PDF.

poppler reads the PDF back: page count and size (pdfinfo), text (pdftotext), and a PNG of
page 1 (pdftoppm) kept under tests/artifacts/ so a person can look at the print. Chromium and
poppler come from Debian's packages; ``make test`` installs them. When they are missing the
tests fail rather than skip: a printed plan nobody has printed is not tested.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES

WORKSPACE = EXAMPLES / "render"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AS_OF = ("--as-of", "2026-11-26")
VARS = ("--var", "cluster=mq-eu-1", "--var", "incident=INC-4821")
QUORUM_STEPS = ["declare", "snapshot-state", "pause-publishers", "status-update",
                "heal-partition", "forget-node", "resume-publishers", "close"]
QUORUM_STAGES = 5  # without a scenario: declare | 3 in parallel | 2 branches | resume | close
# The first step of each stage of mq-quorum-loss: in its checklist each id first occurs in
# its table row (pdftotext reads table cells column by column, so only the id is searched).
QUORUM_STAGE_ROWS = ["declare", "snapshot-state", "heal-partition", "resume-publishers",
                     "close"]
DISK_STEPS = ["find-queue", "grow-volume", "wake-consumers"]
TOOLS = ("chromium", "pdfinfo", "pdftotext", "pdftoppm")
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


def needed_tools() -> dict[str, str]:
    """The tools' paths; a test without them fails (in the test, so it shows as FAILED)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make test`, which installs "
                    "chromium and poppler-utils before running the tests", pytrace=False)
    return {t: shutil.which(t) for t in TOOLS}


@pytest.fixture
def ws(tmp_path):
    dest = tmp_path / "ws"
    shutil.copytree(WORKSPACE, dest)
    return dest


def html_of(run, ws, tmp_path, name: str, *args) -> Path:
    target = tmp_path / f"{name}.html"
    result = run("-C", ws, *args, *AS_OF, "--format", "html", "-o", target)
    assert result.exit_code == 0, result.output
    return target


def print_pdf(tools, html: Path, tmp_path) -> Path:
    pdf = html.with_suffix(".pdf")
    profile = tmp_path / f"chromium-{html.stem}"
    cmd = [tools["chromium"], "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", "--no-pdf-header-footer",
           f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and pdf.is_file() and pdf.stat().st_size > 0, (
        f"chromium did not print {html.name} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return pdf


def pdfinfo(tools, pdf: Path) -> dict[str, str]:
    out = subprocess.run([tools["pdfinfo"], pdf], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in out.splitlines())}


def pages(tools, pdf: Path) -> int:
    return int(pdfinfo(tools, pdf)["Pages"])


def page_size(tools, pdf: Path) -> tuple[float, float]:
    match = re.match(r"([\d.]+) x ([\d.]+) pts", pdfinfo(tools, pdf)["Page size"])
    assert match, pdfinfo(tools, pdf)["Page size"]
    return float(match[1]), float(match[2])


def text(tools, pdf: Path, page: int | None = None) -> str:
    cmd = [tools["pdftotext"]]
    if page is not None:
        cmd += ["-f", str(page), "-l", str(page)]
    return subprocess.run(cmd + [pdf, "-"], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def squeezed(value: str) -> str:
    """Text without whitespace: a monospace id may wrap at its hyphen in a narrow box."""
    return re.sub(r"\s+", "", value)


def keep_page_one(tools, pdf: Path, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / name
    subprocess.run([tools["pdftoppm"], "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                    pdf, prefix], capture_output=True, timeout=60, check=True)
    png = prefix.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return png


def first_page_with(tools, pdf: Path, needle: str) -> int:
    for page in range(1, pages(tools, pdf) + 1):
        if squeezed(needle) in squeezed(text(tools, pdf, page)):
            return page
    raise AssertionError(f"{needle!r} is on no page of {pdf.name}")


def test_plan_prints_every_step_with_a_page_per_stage(run, ws, tmp_path):
    tools = needed_tools()
    html = html_of(run, ws, tmp_path, "plan", "runbook", "render", "mq-quorum-loss", *VARS)
    pdf = print_pdf(tools, html, tmp_path)
    keep_page_one(tools, pdf, "plan-mq-quorum-loss-page1")
    count = pages(tools, pdf)
    assert QUORUM_STAGES <= count < 3 * QUORUM_STAGES + 6, f"{count} pages"
    body = squeezed(text(tools, pdf))
    for step in QUORUM_STEPS:
        assert step in body, f"step {step} is not in the printed plan"
    assert squeezed("rabbitmqctl forget_cluster_node rabbit@mq-eu-1-2") in body
    # Stages break pages: each stage starts on a later page than the one before it.
    starts = [first_page_with(tools, pdf, f"Stage {n}") for n in range(1, QUORUM_STAGES + 1)]
    assert starts == sorted(set(starts)), f"stages start on pages {starts}"


def test_pack_prints_both_checklists_the_second_on_a_new_page(run, ws, tmp_path):
    tools = needed_tools()
    html = html_of(run, ws, tmp_path, "pack", "drill", "checklist", "mq-quorum-loss",
                   "mq-disk-alarm")
    pdf = print_pdf(tools, html, tmp_path)
    keep_page_one(tools, pdf, "checklist-pack-page1")
    count = pages(tools, pdf)
    assert 2 <= count <= 12, f"{count} pages"
    body = squeezed(text(tools, pdf))
    for step in QUORUM_STEPS + DISK_STEPS:
        assert step in body, f"step {step} is not in the printed pack"
    second = first_page_with(tools, pdf, "Drill checklist: Clear a RabbitMQ disk alarm")
    assert second > 1
    assert "Drill checklist: Restore" not in text(tools, pdf, second)
    assert "Generated by riskkit" in text(tools, pdf, second - 1)  # the first one ended before


def test_pack_keeps_each_stage_heading_with_its_first_step(run, ws, tmp_path):
    tools = needed_tools()
    """A stage heading and its column headers alone at the foot of a page, with the steps
    overleaf, is a table nobody can fill in during the drill."""
    html = html_of(run, ws, tmp_path, "pack-stages", "drill", "checklist", "mq-quorum-loss",
                   "mq-disk-alarm")
    pdf = print_pdf(tools, html, tmp_path)
    for number, row in enumerate(QUORUM_STAGE_ROWS, 1):
        heading = first_page_with(tools, pdf, f"Stage {number}")
        assert heading == first_page_with(tools, pdf, row), (
            f"'Stage {number}' is on page {heading}, its first step {row} is not")


@pytest.mark.parametrize("paper, size", [("a4", A4), ("letter", LETTER)])
def test_paper_size_reaches_the_pdf(run, ws, tmp_path, paper, size):
    tools = needed_tools()
    html = html_of(run, ws, tmp_path, f"plan-{paper}", "runbook", "render", "mq-quorum-loss",
                   *VARS, "--paper", paper)
    pdf = print_pdf(tools, html, tmp_path)
    keep_page_one(tools, pdf, f"plan-{paper}-page1")
    width, height = page_size(tools, pdf)
    # Chromium rounds to its CSS pixel grid (A4 comes out as 594.96 x 841.92 pts).
    assert abs(width - size[0]) < 1 and abs(height - size[1]) < 1, (width, height)
