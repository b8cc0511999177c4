"""A real headless Chromium and poppler, for the tests of printed HTML.

Chromium prints and screenshots; poppler reads the PDF back (pdfinfo, pdftotext,
pdftoppm). They come from Debian's packages and ``make test`` installs them: when they
are missing a test fails rather than skips, since a printed page nobody printed is not
tested. PNGs are kept under tests/artifacts/ so a person can look at the print.

One Chromium serves the whole session (the ``browser`` fixture in conftest.py): it is
driven over its DevTools pipe, each document in a tab of its own that is closed after
use, and prints with the settings of ``chromium --headless --print-to-pdf
--no-pdf-header-footer``: backgrounds printed, the page's own CSS page size, no header or
footer.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TOOLS = ("chromium", "pdfinfo", "pdftotext", "pdftoppm")
# Chromium as root, offline: no sandbox, no GPU, and none of the background connections
# this machine's closed network would refuse.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
TIMEOUT = 120  # seconds for any one answer from Chromium: a hang fails, it does not stall


def needed_tools() -> dict[str, str]:
    """The tools' paths; without them the calling test or fixture fails (it does not
    skip)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make test`, which installs "
                    "chromium and poppler-utils before running the tests", pytrace=False)
    return {t: shutil.which(t) for t in TOOLS}


class Browser:
    """One headless Chromium, driven over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out,
    one JSON message per NUL-terminated line)."""

    def __init__(self, executable: str, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile / "chromium.log"
        # Pipe ends above fd 4, so that placing them at fd 3 and 4 in the child cannot
        # clobber one with the other.
        to_child, self._to = (self._high(fd) for fd in os.pipe())
        self._from, from_child = (self._high(fd) for fd in os.pipe())

        def place_pipes():  # runs in the child, before exec
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [executable, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=False,
                preexec_fn=place_pipes)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._last_id = 0
        self._events: list[dict] = []

    @staticmethod
    def _high(fd: int) -> int:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def _stderr(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise AssertionError(f"chromium did not answer in {TIMEOUT} s:\n"
                                     f"{self._stderr()}")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise AssertionError(f"chromium exited:\n{self._stderr()}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        """Send one DevTools command and wait for its answer (events are kept)."""
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._last_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer["result"]
            self._events.append(answer)

    def _wait_for(self, event: str, session: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for i, message in enumerate(self._events):
                if message.get("method") == event and message.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(self._receive(deadline))

    def _open(self, url: str, size: tuple[int, int] | None = None):
        """A new tab with ``url`` loaded: (target, session)."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target,
                            flatten=True)["sessionId"]
        self.send("Page.enable", session)
        if size:
            self.send("Emulation.setDeviceMetricsOverride", session, width=size[0],
                      height=size[1], deviceScaleFactor=1, mobile=False)
            self.send("Emulation.setScrollbarsHidden", session, hidden=True)
        navigated = self.send("Page.navigate", session, url=url)
        assert "errorText" not in navigated, f"chromium could not open {url}: {navigated}"
        self._wait_for("Page.loadEventFired", session)
        return target, session

    def _close(self, target: str) -> None:
        self.send("Target.closeTarget", targetId=target)
        self._events.clear()

    def print_pdf(self, url: str, pdf: Path) -> Path:
        target, session = self._open(url)
        data = self.send("Page.printToPDF", session, printBackground=True,
                         preferCSSPageSize=True, displayHeaderFooter=False)["data"]
        self._close(target)
        pdf.write_bytes(base64.b64decode(data))
        return pdf

    def screenshot(self, url: str, png: Path, size: tuple[int, int]) -> Path:
        """The first screen of the page in a window of ``size`` pixels, as a PNG."""
        target, session = self._open(url, size)
        data = self.send("Page.captureScreenshot", session, format="png")["data"]
        self._close(target)
        png.write_bytes(base64.b64decode(data))
        return png

    def evaluate(self, url: str, expression: str, size: tuple[int, int] = (1400, 1000)):
        """The value of a JavaScript ``expression`` in the loaded page (JSON-able)."""
        target, session = self._open(url, size)
        answer = self.send("Runtime.evaluate", session, expression=expression,
                           returnByValue=True)
        self._close(target)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def page(self, url: str, size: tuple[int, int] = (1200, 900)) -> "Page":
        """A tab with ``url`` loaded, to read and drive with JavaScript (close it after)."""
        target, session = self._open(url, size)
        self.send("Runtime.enable", session)
        return Page(self, target, session)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to)
        os.close(self._from)


class Page:
    """One open tab: run JavaScript in it, type into the focused field, as a person would."""

    def __init__(self, browser: Browser, target: str, session: str):
        self.browser, self.target, self.session = browser, target, session

    def js(self, expression: str):
        """The value of ``expression`` in the page (JSON-like); a thrown error fails."""
        answer = self.browser.send("Runtime.evaluate", self.session, expression=expression,
                                   returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def type(self, text: str) -> None:
        """Type ``text`` into the focused field (one input event, as an IME would)."""
        self.browser.send("Input.insertText", self.session, text=text)

    def navigate(self, url: str) -> None:
        """Open ``url`` in this tab; a file that is not there fails."""
        navigated = self.browser.send("Page.navigate", self.session, url=url)
        assert "errorText" not in navigated, f"chromium could not open {url}: {navigated}"
        if navigated.get("loaderId"):  # a new document (not a jump within the page)
            self.browser._wait_for("Page.loadEventFired", self.session)

    def close(self) -> None:
        self.browser._close(self.target)


def print_pdf(browser: Browser, html: Path, pdf: Path | None = None) -> Path:
    """Print ``html`` to PDF as a person would (no header or footer)."""
    pdf = pdf or html.with_suffix(".pdf")
    browser.print_pdf(html.resolve().as_uri(), pdf)
    assert pdf.stat().st_size > 0, f"chromium printed nothing for {html.name}"
    return pdf


def pdfinfo(tools, pdf: Path) -> dict[str, str]:
    out = subprocess.run([tools["pdfinfo"], pdf], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in out.splitlines())}


def pages(tools, pdf: Path) -> int:
    return int(pdfinfo(tools, pdf)["Pages"])


_TEXTS: dict[tuple, list[str]] = {}


def _page_texts(tools, pdf: Path) -> list[str]:
    """The text of every page, read once per version of the file (pdftotext ends each
    page with a form feed)."""
    stat = pdf.stat()
    key = (str(pdf.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _TEXTS:
        out = subprocess.run([tools["pdftotext"], pdf, "-"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
        _TEXTS[key] = out.split("\f")[:-1]
    return _TEXTS[key]


def text(tools, pdf: Path, page: int | None = None) -> str:
    """The text of ``page`` (from 1), or of the whole document; as pdftotext gives it."""
    texts = _page_texts(tools, pdf)
    if page is None:
        return "".join(t + "\f" for t in texts)
    return texts[page - 1] + "\f"


def squeezed(value: str) -> str:
    """Text without whitespace: a monospace id may wrap at its hyphen in a narrow box."""
    return re.sub(r"\s+", "", value)


def first_page_with(tools, pdf: Path, needle: str) -> int:
    for page, body in enumerate(_page_texts(tools, pdf), 1):
        if squeezed(needle) in squeezed(body):
            return page
    raise AssertionError(f"{needle!r} is on no page of {pdf.name}")
