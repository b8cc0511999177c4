"""The output formats of ``riskkit review``: each ``(findings, as_of, workspace) -> str``,
chosen by name from ``REVIEW_FORMATS``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Callable

from riskkit.present.formats import PROBLEM_FORMATS, markdown_table, md_text, to_json
from riskkit.review.findings import Finding, summary
from riskkit.workspace import repo_path

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.exchange.digest import Digest
    from riskkit.workspace import Workspace


def review_text(findings: list[Finding], as_of: dt.date, ws: Workspace) -> str:
    """``path:line:col: kind [owner] message`` a line, then how many of each kind."""
    text = "".join(f"{f.path}:{f.line}:{f.col}: {f.kind} [{f.owner}] {f.message}\n"
                   for f in findings)
    counts = ", ".join(f"{n} {k}" for k, n in summary(findings).items())
    return text + f"\n{len(findings)} finding(s) as of {as_of.isoformat()}" + \
        (f": {counts}\n" if counts else "\n")


def review_json(findings: list[Finding], as_of: dt.date, ws: Workspace) -> str:
    return to_json({"as_of": as_of.isoformat(), "summary": summary(findings),
                    "findings": [f.to_dict() for f in findings]})


def review_md(findings: list[Finding], as_of: dt.date, ws: Workspace) -> str:
    rows = [[f.kind, f.subject, f.owner, f.message, f"{f.path}:{f.line}"] for f in findings]
    return (f"## Needs attention as of {as_of.isoformat()}\n\n"
            + markdown_table(rows, ["kind", "subject", "owner", "finding", "where"]))


def review_github(findings: list[Finding], as_of: dt.date, ws: Workspace) -> str:
    """One warning annotation a finding, as for any problem, its file named from the top
    of the repository."""
    return PROBLEM_FORMATS["github"]([dataclasses.replace(f, path=repo_path(ws, f.path))
                                      for f in findings])


def digests_md(digests: list[Digest]) -> str:
    """review --by-owner --format md: a section per owner, each a message of its own
    (its key in an HTML comment, which a CI job can look for before posting)."""
    parts = []
    for d in digests:
        rows = [[f.kind, f.subject, f.message, f"{f.path}:{f.line}"] for f in d.findings]
        parts.append(f"<!-- {d.key} -->\n## {md_text(d.owner)}: {len(d.findings)} "
                     f"finding(s) as of {d.as_of.isoformat()}\n\n"
                     + markdown_table(rows, ["kind", "subject", "finding", "where"]))
    return "\n".join(parts)


def review_slack(findings: list[Finding], as_of: dt.date, ws: Workspace) -> str:
    """One Block Kit message per owner (``riskkit.exchange.digest``)."""
    from riskkit.exchange.digest import by_owner, slack_digests

    return slack_digests(by_owner(findings, as_of, ws.name))


def review_email(findings: list[Finding], as_of: dt.date, ws: Workspace) -> str:
    """One RFC 5322 message per owner, at OWNER@localhost (the command's --mail-domain
    and --mail-from say otherwise)."""
    from riskkit.exchange.digest import by_owner, email_digests

    return email_digests(by_owner(findings, as_of, ws.name), None, None)


REVIEW_FORMATS: dict[str, Callable[[list[Finding], dt.date, Workspace], str]] = {
    "text": review_text,
    "json": review_json,
    "md": review_md,
    "github": review_github,
    "slack": review_slack,
    "email": review_email,
}
