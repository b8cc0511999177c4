"""riskkit's bounded sandbox answers attribute lookups exactly as Jinja's own sandbox does,
through its shortcuts for plain dicts and frozen records too."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from riskkit.runbook.text import sandbox


@dataclass(frozen=True)
class Record:
    title: str
    tags: list

    def shout(self) -> str:
        return self.title.upper()


class Dict(dict):
    pass


class Clash:
    """A key that hashes as "x" does and cannot be compared with text."""

    def __hash__(self) -> int:
        return hash("x")

    def __eq__(self, other: object) -> bool:
        raise TypeError("cannot compare")


EXPRESSIONS = ["d.x", "d.items", "d.items()|list", "d.get('x')", "d.pop", "d.keys()|list",
               "d._private", "d.__class__", "d.missing", "d.update", "d['items']",
               "r.title", "r.tags", "r.shout()", "r.__class__", "r.missing", "s.x", "s.items",
               "t.x"]


def outcome(env, expression: str):
    values = {"d": {"x": 1, "items": "a key", "_private": 2, "pop": 3},
              "s": Dict(x=5, items="sub"), "r": Record("fire", ["a"]), "t": {Clash(): 1}}
    try:
        text = env.from_string("{{ " + expression + " }}").render(values)
    except Exception as exc:  # the same refusal, in the same words
        return type(exc).__name__, str(exc)
    return "ok", text.split(" at 0x")[0]  # a bound method prints its address


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_attribute_lookups_are_jinjas(expression):
    jinja = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    assert outcome(sandbox(), expression) == outcome(jinja, expression)


@pytest.mark.parametrize("batch", [1, 3, 4096])
def test_output_joined_in_batches_is_the_whole_output(monkeypatch, batch):
    """A long output is joined a batch of pieces at a time (riskkit.runbook.budget.BATCH);
    the text is Jinja's, with autoescaping too."""
    import riskkit.runbook.budget as budget

    monkeypatch.setattr(budget, "BATCH", batch)
    source = "{% for r in risks %}<td>{{ r.id }}</td><td>{{ r.title }}</td>\n{% endfor %}end"
    risks = [{"id": f"RSK-{n}", "title": f"<b>{n} & co</b>"} for n in range(5000)]
    for autoescape in (False, True):
        jinja = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=autoescape,
                                              keep_trailing_newline=True, trim_blocks=True,
                                              lstrip_blocks=True)
        want = jinja.from_string(source).render(risks=risks)
        assert sandbox(autoescape=autoescape).from_string(source).render(risks=risks) == want
    assert sandbox().from_string("").render() == ""
