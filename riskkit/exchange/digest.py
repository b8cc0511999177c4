"""Owner digests: ``riskkit review --by-owner``, one message per owner, for chat or mail.

riskkit sends nothing: it prints the messages, and a scheduled CI job posts them. Each
digest carries a key made of the as-of day, the owner and what it says, so the same
findings on the same day give the same key (and the same bytes): a job that runs twice
can tell it has posted a digest already. Slack messages are Block Kit JSON; mail is RFC
5322 text for ``sendmail -t`` (several messages as an mbox, for ``formail -s``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskkit.files.digests import sha256
from riskkit.problems import visible

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.review.findings import Finding


@dataclass(frozen=True)
class Digest:
    """The findings one owner should act on, as of a day."""

    owner: str
    as_of: dt.date
    register: str  # the register's name (riskkit.yaml's name)
    findings: tuple[Finding, ...]

    @property
    def key(self) -> str:
        """``riskkit-review-2026-11-26-team-data-1a2b3c4d5e6f``: the same for the same
        day, owner and findings."""
        content = json.dumps([self.register, self.owner, self.as_of.isoformat(),
                              [f.to_dict() for f in self.findings]], sort_keys=True)
        digest = sha256(content.encode("utf-8")).hexdigest()[:12]
        owner = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.owner)
        return f"riskkit-review-{self.as_of.isoformat()}-{owner}-{digest}"

    @property
    def title(self) -> str:
        return (f"{len(self.findings)} finding(s) for {self.owner} in {self.register} "
                f"as of {self.as_of.isoformat()}")

    def to_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "key": self.key, "as_of": self.as_of.isoformat(),
                "findings": [f.to_dict() for f in self.findings]}


def by_owner(findings: Sequence[Finding], as_of: dt.date, register: str) -> list[Digest]:
    """One digest per owner, owners in order, each owner's findings in review's order."""
    owners: dict[str, list[Finding]] = {}
    for finding in findings:
        owners.setdefault(finding.owner, []).append(finding)
    return [Digest(owner, as_of, register, tuple(items))
            for owner, items in sorted(owners.items())]


def json_digests(digests: Sequence[Digest]) -> str:
    return json.dumps([d.to_dict() for d in digests], indent=2, ensure_ascii=False) + "\n"


# Slack: Block Kit


def _mrkdwn(text: str) -> str:
    """User text in Slack's mrkdwn: ``&``, ``<`` and ``>`` as entities (so no link, no
    ``<!channel>``), on one line, control characters shown."""
    text = " ".join(visible(str(text)).splitlines())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SECTION_LIMIT = 3000  # characters of a section's text
BLOCK_LIMIT = 50  # blocks of a message


def slack_message(digest: Digest) -> dict[str, Any]:
    """One Block Kit message: a header, the findings in sections, a context line."""
    lines = [f"• *{_mrkdwn(f.kind)}* `{_mrkdwn(f.subject)}`: {_mrkdwn(f.message)} "
             f"({_mrkdwn(f.path)}:{f.line})" for f in digest.findings]
    sections: list[str] = []
    for line in lines:
        line = line if len(line) <= SECTION_LIMIT else line[:SECTION_LIMIT - 1] + "…"
        if sections and len(sections[-1]) + 1 + len(line) <= SECTION_LIMIT:
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    room = BLOCK_LIMIT - 2
    if len(sections) > room:
        left = sum(s.count("\n") + 1 for s in sections[room - 1:])
        sections = sections[:room - 1] + [f"… and {left} more: run riskkit review"]
    header = f"{digest.owner}: {len(digest.findings)} finding(s)"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": visible(header)[:150]}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections]
    blocks.append({"type": "context", "elements": [{
        "type": "mrkdwn", "text": f"{_mrkdwn(digest.register)} · riskkit review as of "
                                  f"{digest.as_of.isoformat()} · {digest.key}"}]})
    return {"owner": digest.owner, "key": digest.key, "text": _mrkdwn(digest.title),
            "blocks": blocks}


def slack_digests(digests: Sequence[Digest]) -> str:
    """A JSON list of messages, one per owner: each has ``text`` and ``blocks`` (what
    Slack's chat.postMessage and incoming webhooks take), ``owner`` and ``key``."""
    return json.dumps([slack_message(d) for d in digests], indent=2,
                      ensure_ascii=False) + "\n"


# Mail: RFC 5322


LOCAL = "localhost"  # the domain of an owner that is not an address, unless one is given


def address(owner: str, domain: str | None) -> str:
    """The owner's address: the owner itself when it is one, else ``owner@domain`` (a
    local alias, ``owner@localhost``, when no domain is given)."""
    if "@" in owner:
        return owner
    return f"{owner}@{domain or LOCAL}"


def email_message(digest: Digest, sender: str, recipient: str, domain: str) -> Any:
    from email.message import EmailMessage
    from email.utils import format_datetime

    lines = [f"What needs attention in {digest.register}, for {digest.owner}, as of "
             f"{digest.as_of.isoformat()}:", ""]
    for f in digest.findings:
        lines.append(f"- {f.kind} {f.subject}: {f.message}")
        lines.append(f"  {f.path}:{f.line}")
    lines += ["", "-- ", f"riskkit review --by-owner --as-of {digest.as_of.isoformat()}",
              f"{digest.key}"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = visible(f"[riskkit] {digest.title}")
    when = dt.datetime(digest.as_of.year, digest.as_of.month, digest.as_of.day,
                       tzinfo=dt.timezone.utc)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<{digest.key}@{domain}>"
    message["X-Riskkit-Digest"] = digest.key
    message.set_content(visible("\n".join(lines)) + "\n", cte="quoted-printable")
    return message


def email_digests(digests: Sequence[Digest], sender: str | None, domain: str | None) -> str:
    """The messages as RFC 5322 text: one message as it is, for ``sendmail -t``; several
    as an mbox (a ``From`` line before each, ``>From`` in bodies), for ``formail -s``.
    An owner that is not an address is mailed at ``domain`` (else at localhost: a local
    alias of that name)."""
    from email import generator, policy
    import io

    if not digests:
        return ""
    host = domain or LOCAL
    sender = sender or f"riskkit@{host}"
    mbox = len(digests) > 1
    out = io.StringIO()
    for digest in digests:
        recipient = address(digest.owner, domain)
        message = email_message(digest, sender, recipient, host)
        if mbox:
            stamp = dt.datetime(digest.as_of.year, digest.as_of.month, digest.as_of.day)
            message.set_unixfrom(f"From {sender} {stamp:%a %b %d %H:%M:%S %Y}")
        writer = generator.Generator(out, mangle_from_=mbox,
                                     policy=policy.default.clone(linesep="\n",
                                                                 max_line_length=998))
        writer.flatten(message, unixfrom=mbox)
        if mbox:
            out.write("\n")
    return out.getvalue()
