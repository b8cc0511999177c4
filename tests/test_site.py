"""``riskkit site``: the static runbook site, read as files and driven in a real Chromium.

The site must fetch nothing and work from ``file://``: the tests read every page for
outside references and broken links, then open the pages in the session's headless
Chromium (tests/browser.py, over the DevTools pipe): they type into an input, switch the
scenario, and check the commands on the page changed, with the value as text.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import REPO, invoke

AS_OF = ("--as-of", "2026-11-26")
MARKS = ("\ue000", "\ue001")


class Refs(HTMLParser):
    """Every reference a page makes (href, src, action…), and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src", "action", "srcset", "poster", "data", "formaction"):
                self.refs.append((tag, name, value or ""))


def parsed(path: Path) -> Refs:
    refs = Refs()
    refs.feed(path.read_text(encoding="utf-8"))
    return refs


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The demo's site, written once for the module."""
    out = tmp_path_factory.mktemp("site") / "public"
    result = invoke("-C", REPO, "site", "-o", out, *AS_OF, env={"RISKKIT_NO_CACHE": "1"})
    assert result.exit_code == 0, result.output
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# --- the files ---------------------------------------------------------------------------

def test_an_index_and_a_page_per_runbook_at_its_stable_path(site):
    runbooks = sorted(p.stem for p in (REPO / "runbooks").glob("*.yaml"))
    assert [p.relative_to(site).as_posix() for p in pages(site)] == \
        ["index.html"] + [f"runbooks/{r}/index.html" for r in runbooks]
    manifest = json.loads((site / "riskkit-site.json").read_text())
    assert manifest["files"] == sorted(["index.html", "riskkit-site.json",
                                        *(f"runbooks/{r}/index.html" for r in runbooks)])


def test_the_site_fetches_nothing(site):
    """Inline CSS and script, no outside URL anywhere a browser would follow one."""
    for page in pages(site):
        text = page.read_text(encoding="utf-8")
        refs = parsed(page)
        assert not any(tag in refs.tags for tag in ("link", "img", "iframe", "object",
                                                    "embed", "base")), page
        assert [r for r in refs.refs if r[1] != "href"] == [], page  # no src=…
        assert [v for _, _, v in refs.refs if re.match(r"[a-z]+:", v)] == [], page
        assert "url(" not in text and "@import" not in text, page
        assert 'xmlns="http' not in text, page  # not even the SVG namespace
        assert "fetch(" not in text and "XMLHttpRequest" not in text, page


def test_every_link_of_the_site_resolves(site):
    checked = 0
    for page in pages(site):
        for _, _, value in parsed(page).refs:
            url = urlsplit(value)
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            assert target.is_file(), f"{page.relative_to(site)}: {value} leads nowhere"
            assert site in target.parents, f"{value} leads out of the site"
            if url.fragment:
                assert url.fragment in parsed(target).ids, f"{value}: no such anchor"
            checked += 1
    assert checked >= 2 * 9  # index -> page, page -> index


def test_a_page_marks_each_use_of_an_input_and_keeps_the_plan(site):
    page = (site / "runbooks" / "db-failover" / "index.html").read_text(encoding="utf-8")
    assert not any(mark in page for mark in MARKS) and "{{" not in page
    commands = re.findall(r"<pre><code>(.*?)</code></pre>", page, re.S)
    assert any('<span class="slot" data-input="region">{region}</span>' in c for c in commands)
    assert '<span class="slot" data-input="replica">{replica}</span>' in page
    # every scenario's plan is on the page, the first shown, the others hidden
    assert re.findall(r'<section class="variant" data-scenario="([^"]*)"( hidden)?>', page) == \
        [("", ""), ("host-lost", " hidden"), ("disk-full", " hidden")]
    assert "Expected time to mitigate: 40 min" in page  # as runbook show says
    assert "<code>PostgresPrimaryDown</code>" in page and "alerts/ledger.rules.yml:10" in page
    assert "https://runbooks.larkspur.example/runbooks/db-failover/" in page
    data = json.loads(re.search(r'<script type="application/json" id="riskkit-inputs">'
                                r'(.*?)</script>', page, re.S).group(1))
    replica = next(i for i in data["inputs"] if i["name"] == "replica")
    assert replica["default_parts"] == [["text", "pg-"], ["input", "region"], ["text", "-2"]]


def test_the_index_lists_alerts_severity_eta_against_rto_and_last_drill(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    row = re.search(r'<tr data-search="([^"]*)" data-severity="SEV-1">\s*<td><a href='
                    r'"runbooks/db-failover/index.html">(.*?)</tr>', index, re.S)
    assert row, "db-failover's row"
    assert "postgresprimarydown" in row.group(1) and "write error rate" in row.group(1)
    assert "RTO 60 min: within" in row.group(2) and "2026-10-15 (pass)" in row.group(2)
    assert index.count("<svg") == 2  # the heat maps, current and residual


def test_a_text_that_works_on_an_input_prints_it_as_a_checklist_does(make_ws, tmp_path):
    ws = make_ws({"runbooks/web.yaml": """\
        id: web
        title: Restart {{ host }}
        triggers: [The site is down]
        inputs:
          host: {description: "Host </script><script>alert(1)</script>", required: true}
        steps:
          - id: restart
            title: Restart it
            role: sre
            minutes: 5
            run: ssh {{ host }} 'sudo systemctl restart web; echo ${HOSTNAME}'
            verify: "curl -fsS https://{{ host | upper }}/health"
        """})
    result = invoke("-C", ws, "site", "-o", tmp_path / "out", *AS_OF)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "runbooks" / "web" / "index.html").read_text()
    assert ("ssh <span class=\"slot\" data-input=\"host\">{host}</span> &#39;sudo "
            "systemctl restart web; echo ${HOSTNAME}&#39;") in page  # single braces: still live
    assert "curl -fsS https://{HOST}/health" in page  # worked on: not filled in (as drills)
    assert "<title>Restart {host} · runbook</title>" in page
    # the data for the script cannot end the script: two scripts, both riskkit's
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "\\u003c/script\\u003e" in page


def test_base_url_names_the_pages_and_must_be_a_url(make_ws, run, tmp_path):
    ws = make_ws({"runbooks/web.yaml": "id: web\ntitle: Restart\ntriggers: [Down]\nsteps:\n"
                                       "  - {id: a, title: Restart, role: sre, minutes: 5}\n"})
    result = run("-C", ws, "site", "-o", tmp_path / "out", "--base-url",
                 "https://runbooks.test.example/ops", *AS_OF)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "runbooks" / "web" / "index.html").read_text()
    assert "<code>https://runbooks.test.example/ops/runbooks/web/</code>" in page
    bad = run("-C", ws, "site", "-o", tmp_path / "bad", "--base-url", "runbooks.example",
              *AS_OF)
    assert bad.exit_code == 1 and "is not an http(s) URL" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_a_removed_runbook_loses_its_page_and_nothing_else_is_touched(make_ws, run, tmp_path):
    text = "id: {0}\ntitle: {0}\ntriggers: [Down]\nsteps:\n  - {{id: a, title: A, role: sre, " \
           "minutes: 5}}\n"
    ws = make_ws({"runbooks/a.yaml": text.format("a"), "runbooks/b.yaml": text.format("b")})
    out = tmp_path / "out"
    assert run("-C", ws, "site", "-o", out, *AS_OF).exit_code == 0
    (out / "CNAME").write_text("runbooks.test.example\n")  # the host's own file
    (out / "runbooks" / "b" / "notes.html").write_text("kept")
    (ws / "runbooks" / "b.yaml").unlink()
    first = (out / "index.html").read_text()
    assert run("-C", ws, "site", "-o", out, *AS_OF).exit_code == 0
    assert not (out / "runbooks" / "b" / "index.html").exists()  # a runbook_url to it fails
    assert (out / "runbooks" / "a" / "index.html").is_file()
    assert (out / "CNAME").is_file() and (out / "runbooks" / "b" / "notes.html").is_file()
    assert "runbooks/b/" in first and "runbooks/b/" not in (out / "index.html").read_text()


def test_the_same_register_gives_the_same_site(site, tmp_path):
    again = tmp_path / "again"
    assert invoke("-C", REPO, "site", "-o", again, *AS_OF,
                  env={"RISKKIT_NO_CACHE": "1"}).exit_code == 0
    for page in pages(site):
        assert (again / page.relative_to(site)).read_bytes() == page.read_bytes(), page


# --- in a real browser ---------------------------------------------------------------------

SLOTS = """Array.from(document.querySelectorAll('span.slot[data-input="%s"]'))
            .filter(s => s.offsetParent !== null).map(s => s.textContent)"""
VISIBLE = """Array.from(document.querySelectorAll('section.variant'))
             .filter(s => !s.hidden).map(s => s.getAttribute('data-scenario'))"""
STEP_SHOWN = """(() => { const steps = Array.from(document.querySelectorAll(
                  'article[data-step="%s"]')); return steps.some(s => s.offsetParent !== null) })()"""


@pytest.mark.slow
def test_in_chromium_typed_inputs_fill_the_commands_and_the_scenario_switches(site, browser):
    from browser import ARTIFACTS

    url = (site / "runbooks" / "db-failover" / "index.html").as_uri()
    page = browser.page(url)
    try:
        assert page.js(VISIBLE) == [""]
        assert set(page.js(SLOTS % "region")) == {"{region}"}
        assert set(page.js(SLOTS % "primary")) == {"{primary}"}  # its default needs region
        # choose a region as a person would: the select changes, the commands follow
        page.js("""(() => { const s = document.getElementById('in-region');
                   s.value = 'us-east-1'; s.dispatchEvent(new Event('change')); })()""")
        assert set(page.js(SLOTS % "region")) == {"us-east-1"}
        assert set(page.js(SLOTS % "primary")) == {"pg-us-east-1-0"}  # worked out, as render
        # type the replica to promote
        page.js("document.getElementById('in-replica').focus()")
        page.type("pg-us-east-1-4")
        assert set(page.js(SLOTS % "replica")) == {"pg-us-east-1-4"}
        # switch to the host-lost scenario: its plan shows, with the values in it
        page.js("document.querySelector('input[name=scenario][value=host-lost]').click()")
        assert page.js(VISIBLE) == ["host-lost"]
        assert page.js(STEP_SHOWN % "promote") is True
        assert page.js(STEP_SHOWN % "expand-volume") is False  # a disk-full step
        commands = page.js("""Array.from(document.querySelectorAll('section.variant'))
            .filter(s => !s.hidden)[0].innerText""")
        assert "patronictl" in commands and "pg-us-east-1-4" in commands
        assert "{replica}" not in commands and "{region}" not in commands
        # the address keeps the values: the link can be shared
        assert page.js("location.hash") == "#region=us-east-1&replica=pg-us-east-1-4" \
                                           "&scenario=host-lost"
        browser.send("Emulation.setDeviceMetricsOverride", page.session, width=1200,
                     height=1400, deviceScaleFactor=1, mobile=False)
        ARTIFACTS.mkdir(exist_ok=True)
        import base64

        shot = browser.send("Page.captureScreenshot", page.session, format="png")["data"]
        (ARTIFACTS / "site-db-failover.png").write_bytes(base64.b64decode(shot))
        # a value that does not match the input's pattern fills nothing and says why
        page.js("document.getElementById('in-replica').select()")
        page.type("not a pod")
        assert set(page.js(SLOTS % "replica")) == {"{replica}"}
        assert page.js("document.querySelector('[data-problem=replica]').textContent") == \
            "not a pod does not match ^pg-[a-z0-9-]+$"
    finally:
        page.close()


@pytest.mark.slow
def test_in_chromium_a_link_fills_the_page_and_a_value_is_only_ever_text(make_ws, tmp_path,
                                                                          browser):
    ws = make_ws({"runbooks/web.yaml": """\
        id: web
        title: Restart the web tier
        triggers: [The site is down]
        inputs: {host: {description: Host, required: true}}
        scenarios: {one: One host, all: Every host}
        steps:
          - {id: one, title: "Restart {{ host }}", role: sre, minutes: 5, when: [one],
             run: "systemctl -H {{ host }} restart web", verify: It answers}
          - {id: all, title: Restart them all, role: sre, minutes: 5, when: [all],
             run: "ansible web -a 'systemctl restart web'", verify: They answer}
        """})
    assert invoke("-C", ws, "site", "-o", tmp_path / "out", *AS_OF).exit_code == 0
    url = (tmp_path / "out" / "runbooks" / "web" / "index.html").as_uri()
    hostile = '<img src=x onerror="document.title=1">&amp;'
    from urllib.parse import quote

    page = browser.page(f"{url}#host={quote(hostile)}&scenario=one")
    try:
        assert page.js(VISIBLE) == ["one"]
        assert page.js("document.getElementById('in-host').value") == hostile
        assert set(page.js(SLOTS % "host")) == {hostile}  # as text, exactly
        assert page.js("document.querySelectorAll('img').length") == 0
        assert page.js("document.title") == "Restart the web tier · runbook"
        # ?query works as well as #fragment (a runbook_url may use either)
        page.navigate(f"{url}?host=web-7&scenario=all")
        assert page.js(VISIBLE) == ["all"]
        assert page.js("document.getElementById('in-host').value") == "web-7"
    finally:
        page.close()


@pytest.mark.slow
def test_in_chromium_every_link_of_every_page_opens(site, browser):
    seen: set[str] = set()
    for path in pages(site):
        page = browser.page(path.as_uri())
        try:
            links = page.js("Array.from(document.links).map(a => a.href)")
            search = page.js("!!document.getElementById('q')")
            for link in links:
                assert link.startswith("file://"), f"{path.name}: {link} leaves the site"
                if link.split("#")[0] in seen:
                    continue
                seen.add(link.split("#")[0])
                page.navigate(link)  # fails when the file is not there
                assert page.js("document.readyState") == "complete"
        finally:
            page.close()
        if path.name == "index.html" and path.parent == site:
            assert search
    assert len(seen) == 10  # the index and the 9 runbook pages


@pytest.mark.slow
def test_in_chromium_the_index_search_finds_the_runbook_for_an_alert(site, browser):
    page = browser.page((site / "index.html").as_uri() + "#q=PatroniHasNoLeader")
    try:
        shown = "Array.from(document.querySelectorAll('tbody tr')).filter(r => !r.hidden)" \
                ".map(r => r.querySelector('code').textContent)"
        assert page.js(shown) == ["db-failover"]
        page.js("{ const q = document.getElementById('q'); q.value = ''; q.focus(); }")
        page.type("certificate")
        assert page.js(shown) == ["certificate-expiry"]
        page.js("document.getElementById('q').select()")
        page.type("zzz-nothing")
        assert page.js(shown) == []
        assert page.js("document.getElementById('none').hidden") is False
    finally:
        page.close()

