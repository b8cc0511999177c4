"""From the alert to the runbook: ``runbook find`` and ``site``, the static runbook site."""

from __future__ import annotations

import datetime as dt
import os

import click

from riskkit.cli.app import cli
from riskkit.cli.common import as_of_option, emit, format_option, today
from riskkit.cli.runbook import runbook


@runbook.command(short_help="Find the runbook for an alert or a few words.")
@click.argument("text", nargs=-1)
@click.option("--alert", metavar="NAME",
              help="The name of a firing alert, as its rule file spells it.")
@format_option("find")
@as_of_option
@click.pass_context
def find(ctx: click.Context, text: tuple[str, ...], alert: str | None, fmt: str,
         as_of: dt.date | None) -> None:
    """The runbooks whose alerts, triggers, title or risks match TEXT, best first, and
    the command that renders the top one.

    \b
    riskkit runbook find PostgresPrimaryDown
    riskkit runbook find --alert KubePersistentVolumeFillingUp
    riskkit runbook find certificate expires
    """
    from riskkit.alerts.find import find as search, found
    from riskkit.cli.register import load_clean
    from riskkit.present.registry import render
    from riskkit.problems import InputError

    if bool(text) == bool(alert):
        raise click.UsageError("give TEXT to search for, or --alert NAME (not both)")
    query = alert or " ".join(text)
    loaded = load_clean(ctx, as_of)
    ws = loaded.workspace
    matches = search(loaded.runbooks, loaded.risks_of, None if alert else query, alert,
                     loaded.alert_rules, ws.site_base_url)
    if not matches:
        what = f"alert '{alert}'" if alert else f"'{query}'"
        raise InputError(f"no runbook answers {what}: riskkit runbook list shows them all")
    emit(render("find", fmt, found(f"alert {alert}" if alert else f"'{query}'", matches,
                                   ws.site_base_url)), None)


@cli.command(short_help="Write the static runbook site.")
@click.option("-o", "--output", "folder", required=True, metavar="DIR",
              type=click.Path(file_okay=False),
              help="The folder to write the site into (created when missing).")
@click.option("--base-url", metavar="URL",
              help="Where the site is published (default: site.base_url in riskkit.yaml); "
                   "the pages name their own URL with it.")
@as_of_option
@click.pass_context
def site(ctx: click.Context, folder: str, base_url: str | None, as_of: dt.date | None) -> None:
    """A self-contained static site of the runbook library, for on-call and for the
    runbook_url of alerts: an index to search by alert, trigger or title (severity,
    time to mitigate against the RTO, last drill) with the register's heat map, and a
    page per runbook at runbooks/ID/ whose inputs fill in its commands as you type and
    whose scenarios are a switch. Nothing is fetched from the network: it works from
    file:// and from any static host.

    \b
    riskkit site -o public --base-url https://runbooks.example.com/
    """
    import re

    from riskkit.cli.register import load_clean
    from riskkit.present.site import site_files, stale_files
    from riskkit.files.fsutil import write_atomic
    from riskkit.problems import ConfigError

    loaded = load_clean(ctx, as_of)
    base = base_url or loaded.workspace.site_base_url
    if base_url is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base_url):
        raise click.BadParameter(f"{base_url!r} is not an http(s) URL of a folder "
                                 "(https://runbooks.example.com/)", param_hint="--base-url")
    files = site_files(loaded, today(as_of), base.rstrip("/") + "/" if base else None)
    try:
        for path in stale_files(folder, files):  # pages of runbooks since removed
            os.remove(os.path.join(folder, path))
        for rel, text in files.items():
            target = os.path.join(folder, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            write_atomic(target, text)
    except OSError as exc:
        raise ConfigError(f"cannot write the site to {folder}: {exc.strerror or exc}") from None
    runbooks = sum(1 for rel in files if rel.startswith("runbooks/"))
    click.echo(f"wrote {folder}/index.html and {runbooks} runbook page(s)", err=True)
