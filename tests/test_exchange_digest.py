"""`review --by-owner`: one digest per owner for chat (Block Kit) and mail (RFC 5322),
stable for the same --as-of so a scheduled job posts each once."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import re

import pytest

from conftest import REPO

AS_OF = ("--as-of", "2026-11-26")


def review(run, *args: str, root=REPO) -> str:
    result = run("-C", root, "review", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def owners_of(run) -> list[str]:
    findings = json.loads(review(run, "--format", "json", *AS_OF))["findings"]
    return sorted({f["owner"] for f in findings})


def test_slack_is_one_block_kit_message_per_owner(run):
    messages = json.loads(review(run, "--format", "slack", *AS_OF))
    assert [m["owner"] for m in messages] == owners_of(run)
    findings = json.loads(review(run, "--format", "json", *AS_OF))["findings"]
    for message in messages:
        mine = [f for f in findings if f["owner"] == message["owner"]]
        blocks = message["blocks"]
        assert blocks[0]["type"] == "header" and blocks[-1]["type"] == "context"
        lines = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
        assert len(lines.splitlines()) == len(mine)
        assert message["text"].startswith(f"{len(mine)} finding(s) for {message['owner']}")
        assert message["key"] in blocks[-1]["elements"][0]["text"]
        assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_the_same_day_gives_the_same_digests_and_keys(run):
    first = review(run, "--format", "slack", *AS_OF)
    assert review(run, "--format", "slack", *AS_OF) == first
    keys = [m["key"] for m in json.loads(first)]
    later = json.loads(review(run, "--format", "slack", "--as-of", "2026-11-27"))
    assert all(m["key"] not in keys for m in later)  # a new day posts again
    assert keys[0].startswith("riskkit-review-2026-11-26-")


def test_md_has_a_section_per_owner_with_its_key(run):
    text = review(run, "--by-owner", "--format", "md", *AS_OF)
    owners = owners_of(run)
    assert re.findall(r"^## (\S+): \d+ finding", text, re.M) == owners
    slack = json.loads(review(run, "--format", "slack", *AS_OF))
    assert re.findall(r"^<!-- (\S+) -->$", text, re.M) == [m["key"] for m in slack]


def test_json_by_owner(run):
    data = json.loads(review(run, "--by-owner", "--format", "json", "--owner", "team-data",
                             *AS_OF))
    assert [d["owner"] for d in data] == ["team-data"]
    assert all(f["owner"] == "team-data" for f in data[0]["findings"])


def test_email_is_a_message_sendmail_takes(run):
    text = review(run, "--format", "email", "--owner", "team-data", "--mail-domain",
                  "larkspur.example", *AS_OF)
    message = email.message_from_string(text, policy=email.policy.default)
    assert message["To"] == "team-data@larkspur.example"
    assert message["From"] == "riskkit@larkspur.example"
    assert message["Date"] == "Thu, 26 Nov 2026 00:00:00 +0000"
    # RSK-010's review, a drilled time above the RTO, and from the demo's incidents: RSK-004
    # occurred twice this year while rated possible, and took longer than its RTO once
    assert message["Subject"].startswith("[riskkit] 5 finding(s) for team-data in Larkspur")
    key = message["X-Riskkit-Digest"]
    assert message["Message-ID"] == f"<{key}@larkspur.example>"
    body = message.get_content()
    assert body.startswith("What needs attention in Larkspur Payments, for team-data")
    assert "- review-overdue RSK-010:" in body and key in body


def test_several_owners_are_an_mbox(run, tmp_path):
    out = tmp_path / "digests.mbox"
    result = run("-C", REPO, "review", "--format", "email", "--mail-domain", "x.example",
                 "--mail-from", "ops@x.example", "-o", out, *AS_OF)
    assert result.exit_code == 0, result.output
    box = mailbox.mbox(out)
    try:
        recipients = [m["To"] for m in box]
        assert recipients == [f"{o}@x.example" for o in owners_of(run)]
        assert all(m["From"] == "ops@x.example" for m in box)
    finally:
        box.close()


def test_without_a_domain_owners_are_local_aliases(run):
    text = review(run, "--format", "email", "--owner", "team-data", *AS_OF)
    message = email.message_from_string(text, policy=email.policy.default)
    assert message["To"] == "team-data@localhost"
    assert message["From"] == "riskkit@localhost"


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_by_owner_is_for_digests(run, fmt):
    result = run("-C", REPO, "review", "--by-owner", "--format", fmt, *AS_OF)
    assert result.exit_code == 2 and "--by-owner prints md, json, slack or email" \
        in result.stderr


def test_user_text_cannot_mention_or_link_in_slack(run, make_ws):
    root = make_ws({"risks/r.yaml": "id: RSK-1\ntitle: t\nowner: \"<!channel> <http://x|y>\"\n"
                                    "status: open\nlikelihood: 5\nimpact: 5\n"})
    messages = json.loads(review(run, "--format", "slack", *AS_OF, root=root))
    # what Slack reads as mrkdwn: the fallback text, sections and context (a header is
    # plain_text, which Slack never parses for mentions or links)
    parsed = [m["text"] for m in messages] + [
        b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section"] \
        + [e["text"] for m in messages for b in m["blocks"] if b["type"] == "context"
           for e in b["elements"]]
    assert not any("<" in t or ">" in t for t in parsed)
    assert "&lt;!channel&gt;" in messages[0]["text"]
