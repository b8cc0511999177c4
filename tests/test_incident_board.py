"""The status board (``incident now --format html``) in a real headless Chromium: every
step drawn in its state's colour, the critical path of what remains in red, the figures
the room needs, and nothing fetched from anywhere. A screenshot is kept under
tests/artifacts/ for a person to look at."""

from __future__ import annotations

import json

import pytest

from browser import ARTIFACTS
from conftest import copy_demo, invoke, pinned_clock

pytestmark = pytest.mark.slow  # a real browser

ID = "2026-12-01-db-failover"


def at(minute: int) -> str:
    return f"2026-12-01T10:{minute:02d}:00Z"


# An incident half way, with a step in every state: done, skipped, in progress (forced
# ahead of its needs), unblocked, unblocked but awaiting its approval, blocked.
ACTIONS = [
    (1, ["assign", "ic", "dana"]),
    (4, ["done", "declare"]),
    (8, ["done", "cluster-state"]),
    (9, ["skip", "primary-diagnosis", "--reason", "The node is gone: nothing to diagnose"]),
    (12, ["begin", "freeze-writes"]),
    (16, ["done", "freeze-writes"]),
    (18, ["done", "fence-old-primary"]),
    (19, ["done", "check-candidate"]),
    (20, ["begin", "check-routing", "--force", "--reason", "Routes can be checked early"]),
]


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    root = copy_demo(tmp_path_factory.mktemp("board") / "ws")
    env = {"RISKKIT_NO_CACHE": "1"}
    with pinned_clock():
        started = invoke("-C", root, "incident", "start", "db-failover", "--scenario",
                         "host-lost", "--var", "region=eu-west-1", "--at", at(0), "--by",
                         "dana", env=env)
        assert started.exit_code == 0, started.output
        for minute, args in ACTIONS:
            result = invoke("-C", root, "incident", *args, "--at", at(minute), "--by", "dana",
                            env=env)
            assert result.exit_code == 0, result.output
        html = root.parent / "board.html"
        result = invoke("-C", root, "incident", "now", "--format", "html", "-o", html,
                        "--at", at(21), env=env)
        assert result.exit_code == 0, result.output
        data = json.loads(invoke("-C", root, "incident", "now", "--format", "json", "--at",
                                 at(21), env=env).stdout)
    return html, data


STATES = """(() => {
  const out = {};
  for (const g of document.querySelectorAll('svg g.step')) {
    const rect = g.querySelector('rect');
    const box = g.getBoundingClientRect();
    out[g.dataset.step] = {state: g.dataset.state, fill: getComputedStyle(rect).fill,
                           stroke: getComputedStyle(rect).stroke,
                           shown: box.width > 40 && box.height > 10};
  }
  return out;
})()"""

PAGE = """(() => ({
  title: document.title,
  refresh: document.querySelector('meta[http-equiv="refresh"]')?.content ?? null,
  figures: [...document.querySelectorAll('.figure')].map(f => f.innerText.replace(/\\s+/g, ' ')),
  unblocked: [...document.querySelectorAll('#unblocked li')].map(li => li.dataset.step),
  running: [...document.querySelectorAll('#in-progress li[data-step]')].map(li => li.dataset.step),
  approvals: [...document.querySelectorAll('#approvals li[data-step]')].map(li => li.dataset.step),
  criticalEdges: document.querySelectorAll('path.edge.critical').length,
  external: [...document.querySelectorAll('[src], link[href], image, use')].map(e => e.outerHTML),
  text: document.body.innerText,
}))()"""


def rgb(color: str) -> str:
    return "rgb({}, {}, {})".format(*(int(color[i:i + 2], 16) for i in (1, 3, 5)))


def test_the_board_draws_every_step_in_the_colour_of_its_state(browser, board):
    from riskkit.present.board import COLORS, CRITICAL

    html, data = board
    states = browser.evaluate(html.resolve().as_uri(), STATES)
    steps = {s["id"]: s for s in data["steps"]}
    assert set(states) == set(steps)  # every step of the scenario, and no other
    expected = {"declare": "done", "primary-diagnosis": "skipped",
                "check-routing": "in-progress", "status-investigating": "ready",
                "promote": "awaiting-approval", "resume-writes": "blocked"}
    for sid, state in expected.items():
        assert states[sid]["state"] == state, sid
    for sid, drawn in states.items():
        fill, stroke = COLORS[drawn["state"]]
        assert drawn["fill"] == rgb(fill), sid
        assert drawn["shown"], f"{sid} is not drawn at a visible size"
        on_path = steps[sid]["critical"]
        assert drawn["stroke"] == rgb(CRITICAL if on_path else stroke), sid
    # the state the board shows is the state the JSON gives
    for sid, step in steps.items():
        word = {"pending": "ready" if step["unblocked"] else "blocked",
                "in_progress": "in-progress"}.get(step["status"], step["status"])
        if word == "ready" and step["approval"] and not step["approved_by"]:
            word = "awaiting-approval"
        assert states[sid]["state"] == word, sid


def test_the_board_shows_the_figures_the_lists_and_refreshes_itself(browser, board, tmp_path):
    html, data = board
    page = browser.evaluate(html.resolve().as_uri(), PAGE)
    assert page["title"].startswith(ID)
    assert page["refresh"] == "30"
    assert page["external"] == []  # self-contained: nothing to fetch
    figures = " | ".join(page["figures"])
    assert "elapsed 21 min since 10:00 UTC" in figures
    assert f"to mitigate {data['eta_remaining_minutes']} min" in figures
    assert "RTO 60 min 11:00 UTC" in figures
    assert "next status update 10:30 UTC in 9 min" in figures
    assert page["unblocked"] == data["unblocked"] == ["status-investigating", "promote"]
    assert page["running"] == data["in_progress"] == ["check-routing"]
    assert page["approvals"] == ["promote"]
    assert "awaits approval by ic" in page["text"] and "ready now" in page["text"]
    assert page["criticalEdges"] == len(data["remaining_path"]) - 1
    assert "Critical path of what remains" in page["text"]
    assert " → ".join(data["remaining_path"]) in page["text"]
    ARTIFACTS.mkdir(exist_ok=True)
    png = browser.screenshot(html.resolve().as_uri(), ARTIFACTS / "incident-board.png",
                             (1400, 1000))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_closed_incident_board_does_not_refresh(browser, tmp_path):
    root = copy_demo(tmp_path / "ws", ("risks", "runbooks"))
    env = {"RISKKIT_NO_CACHE": "1"}
    assert invoke("-C", root, "incident", "start", "db-failover", "--var", "region=eu-west-1",
                  "--at", at(0), "--by", "dana", env=env).exit_code == 0
    assert invoke("-C", root, "incident", "close", "--outcome", "mitigated", "--at", at(30),
                  "--by", "dana", env=env).exit_code == 0
    html = tmp_path / "closed.html"
    assert invoke("-C", root, "incident", "now", "--format", "html", "-o", html,
                  env=env).exit_code == 0
    page = browser.evaluate(html.resolve().as_uri(), PAGE)
    assert page["refresh"] is None and page["title"].startswith("CLOSED · ")
    assert "CLOSED · MITIGATED" in page["text"]
