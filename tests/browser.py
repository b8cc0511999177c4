"""A real headless Chromium and poppler, for the tests of printed HTML.

Chromium prints and screenshots; poppler reads the PDF back (pdfinfo, pdftotext,
pdftoppm). They come from Debian's packages and ``make test`` installs them: when they
are missing a test fails rather than skips, since a printed page nobody printed is not
tested. PNGs are kept under tests/artifacts/ so a person can look at the print.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOOLS = ("chromium", "pdfinfo", "pdftotext", "pdftoppm")
# Chromium as root, offline: no sandbox, no GPU, and none of the background connections
# this machine's closed network would refuse.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def needed_tools() -> dict[str, str]:
    """The tools' paths; without them the calling test fails (so it shows as FAILED)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make test`, which installs "
                    "chromium and poppler-utils before running the tests", pytrace=False)
    return {t: shutil.which(t) for t in TOOLS}


def chromium(tools, tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    """Run Chromium with its own fresh profile under ``tmp_path``."""
    cmd = [tools["chromium"], *FLAGS, f"--user-data-dir={tmp_path / f'chromium-{name}'}",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def print_pdf(tools, html: Path, tmp_path: Path, pdf: Path | None = None) -> Path:
    """Print ``html`` to PDF as a person would (no header or footer)."""
    pdf = pdf or html.with_suffix(".pdf")
    done = chromium(tools, tmp_path, html.stem, "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html.resolve().as_uri())
    assert done.returncode == 0 and pdf.is_file() and pdf.stat().st_size > 0, (
        f"chromium did not print {html.name} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return pdf


def pdfinfo(tools, pdf: Path) -> dict[str, str]:
    out = subprocess.run([tools["pdfinfo"], pdf], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in out.splitlines())}


def pages(tools, pdf: Path) -> int:
    return int(pdfinfo(tools, pdf)["Pages"])


def text(tools, pdf: Path, page: int | None = None) -> str:
    cmd = [tools["pdftotext"]]
    if page is not None:
        cmd += ["-f", str(page), "-l", str(page)]
    return subprocess.run(cmd + [pdf, "-"], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def squeezed(value: str) -> str:
    """Text without whitespace: a monospace id may wrap at its hyphen in a narrow box."""
    return re.sub(r"\s+", "", value)


def first_page_with(tools, pdf: Path, needle: str) -> int:
    for page in range(1, pages(tools, pdf) + 1):
        if squeezed(needle) in squeezed(text(tools, pdf, page)):
            return page
    raise AssertionError(f"{needle!r} is on no page of {pdf.name}")
