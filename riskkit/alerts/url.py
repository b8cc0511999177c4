"""Runbook pages of the site and the ``runbook_url`` annotations that point at them.

A runbook's page has one stable path, ``runbooks/<id>/`` under the site's base URL; it is
what ``riskkit site`` writes and what an alert's ``runbook_url`` should name. A query
string or a fragment after it (``#region=eu-west-1``) fills in the page's inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAGE = "runbooks/{id}/"
_PAGE = re.compile(r"runbooks/(?P<id>[^/?#]+)(?:/(?:index\.html)?)?")
_ABSOLUTE = re.compile(r"(?P<base>https?://[^/?#\s]+(?:/[^?#\s]*?)?/)"
                       r"runbooks/[^/?#]+(?:/(?:index\.html)?)?")


def page_path(runbook_id: str) -> str:
    """The path of a runbook's page, from the top of the site: ``runbooks/<id>/``."""
    return PAGE.format(id=runbook_id)


def page_url(base_url: str, runbook_id: str) -> str:
    """The URL of a runbook's page on a site published at ``base_url``."""
    return base_url.rstrip("/") + "/" + page_path(runbook_id)


@dataclass(frozen=True)
class Target:
    """What a ``runbook_url`` points at: a runbook id, or why it is no runbook page."""

    runbook: str | None
    why: str = ""


def target(url: str, base_url: str | None) -> Target:
    """The runbook ``url`` names. With ``base_url`` (``site.base_url``) the URL must be
    under it; without, any page shaped ``…/runbooks/<id>/`` counts."""
    bare = re.split(r"[?#]", url.strip(), maxsplit=1)[0]
    if base_url:
        if not bare.startswith(base_url):
            return Target(None, f"is not on the runbook site {base_url} (site.base_url in "
                                "riskkit.yaml)")
        rest = bare[len(base_url):]
        match = _PAGE.fullmatch(rest)
        if not match:
            return Target(None, f"is on the site but not a runbook page (expected "
                                f"{page_url(base_url, 'ID')})")
    else:
        whole = _ABSOLUTE.fullmatch(bare)
        match = _PAGE.fullmatch(bare[whole.end("base"):]) if whole else None
        if match is None:
            return Target(None, "is not a runbook page of the site (expected "
                                "https://HOST/…/runbooks/ID/, as riskkit site writes it)")
    ident = match.group("id")
    if "{{" in ident or "$" in ident:
        return Target(None, f"works its runbook id out from the alert's labels ({ident}); "
                            "riskkit cannot check it: name the runbook itself")
    return Target(ident)
