"""Risk files written by riskkit: YAML in the layout of hand-written ones, checked by
reading them back before they are written."""

from __future__ import annotations

from typing import Any

import yaml

from riskkit.exchange.rows import IMPORTED

SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/risk.schema.json\n"

# The order of a risk's fields in a file riskkit writes: the flat shape's.
ORDER: list[str] = list(dict.fromkeys(c.field[0] for c in IMPORTED))
ORDER.insert(ORDER.index("residual"), "controls")
ORDER = list(dict.fromkeys(ORDER))
SUB_ORDER = {"residual": ["likelihood", "impact"],
             "treatment": ["strategy", "rationale", "due"],
             "acceptance": ["by", "since", "until", "rationale"],
             "review": ["last", "by"],
             "controls": ["id", "title", "kind", "status"]}


class _Dumper(yaml.SafeDumper):
    """YAML as a person writes it: riskkit reads an unquoted date as the text it is, so
    dates are not quoted; text of several lines is a block."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()}


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _short(items: list[Any]) -> bool:
    """A collection of a few short scalars: written on one line, ``{last: …, by: …}``."""
    return all(isinstance(i, (str, int, float, bool)) and "\n" not in str(i)
               for i in items) and sum(len(str(i)) + 4 for i in items) <= 90


def _mapping(dumper: yaml.SafeDumper, value: dict[Any, Any]) -> yaml.MappingNode:
    flow = _short([*value.keys(), *value.values()])
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


def _sequence(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_short(value))


_Dumper.add_representer(str, _text)
_Dumper.add_representer(dict, _mapping)
_Dumper.add_representer(list, _sequence)


def ordered(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with riskkit's fields in their usual order, any others (``x-``) after."""
    out = {k: data[k] for k in ORDER if k in data}
    out.update((k, v) for k, v in data.items() if k not in out)
    for key, order in SUB_ORDER.items():
        if isinstance(out.get(key), dict):
            out[key] = _sub(out[key], order)
        elif key == "controls" and isinstance(out.get(key), list):
            out[key] = [_sub(c, order) if isinstance(c, dict) else c for c in out[key]]
    return out


def _sub(data: dict[str, Any], order: list[str]) -> dict[str, Any]:
    out = {k: data[k] for k in order if k in data}
    out.update((k, v) for k, v in data.items() if k not in out)
    return out


def dump(data: Any) -> str:
    """A risk file's text for ``data`` (a risk, or ``{"risks": [...]}``)."""
    return SCHEMA_LINE + yaml.dump(data, Dumper=_Dumper, sort_keys=False,
                                   allow_unicode=True, width=96)
