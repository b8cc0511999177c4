"""Small records read from YAML that print back as they were written.

A risk's ``treatment`` or a drill's finding is a handful of optional fields. Code reads them
by name (``risk.treatment.strategy``); JSON output shows them as the user wrote them: the
fields they gave, in their order, and no others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

R = TypeVar("R", bound="AsWritten")
_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}
_NAMES: dict[type, tuple[str, ...]] = {}  # a record class -> its fields but "written"


@dataclass(frozen=True, slots=True)
class AsWritten:
    """A frozen record whose ``to_dict()`` gives back the mapping it was read from.

    ``written`` is the order the fields were written in; a field that was not written is
    None. Records made in code (``written`` empty) print their set fields in field order.
    """

    written: tuple[str, ...] = field(default=(), compare=False, repr=False, kw_only=True)

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """The record of ``data``, a mapping the schema has checked (no unknown keys)."""
        names = _NAMES.get(cls)
        if names is None:
            names = _NAMES[cls] = tuple(f.name for f in fields(cls) if f.name != "written")
        order = tuple(k for k in data if k in names)
        return cls(**{name: data.get(name) for name in names},
                   written=_ORDERS.setdefault(order, order))  # a few orders, thousands of records

    def to_dict(self) -> dict[str, Any]:
        """The fields as written (or, for a record made in code, those that are set)."""
        order = self.written or tuple(f.name for f in fields(self) if f.name != "written")
        out = {name: getattr(self, name) for name in order}
        return {k: v for k, v in out.items() if v is not None or k in self.written}
