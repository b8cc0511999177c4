"""The link index as incident-time commands read it: its shape, and the walk for what
changed since it was written.

``riskkit.load`` writes the index (the risk file of each risk linked to each runbook) on
every full load; ``riskkit.fastload`` reads it to parse only those files. This module is
light on purpose: a command starts the walk first, then imports what it needs while
``find`` looks at every risk file on another core.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.files import cache

if TYPE_CHECKING:
    import subprocess


class Scan:
    """The link index as last written (None: no usable one), and the ``find`` walk for
    the risk files and folders changed since."""

    __slots__ = ("links", "walk")

    def __init__(self, links: dict[str, Any] | None,
                 walk: subprocess.Popen[bytes] | None) -> None:
        self.links = links
        self.walk = walk

    def stop(self) -> None:
        """End the walk unread (the command stopped before it needed the answer)."""
        if self.walk is not None and self.walk.poll() is None:
            self.walk.kill()
            self.walk.wait()


def start_scan(root: Path) -> Scan:
    """When a link index exists, start looking for the risk files and folders changed
    since the load that wrote it began (an index written long after its load, or moved
    in time, does not hide an edit made meanwhile).

    The walk starts as soon as the index is read; whether this riskkit wrote it (which
    needs a walk of riskkit's own files) is asked while ``find`` runs."""
    index, written, key = cache.read_timed(root, "links")
    if not usable_index(index):
        return Scan(None, None)
    assert isinstance(index, dict)
    scan = Scan(index, cache.start_changed_since(root, "risks",
                                                 min(written, index["started_ns"])))
    try:
        ours = key == cache.own_key()
    except BaseException:
        scan.stop()
        raise
    if not ours:  # another riskkit's, or before an upgrade: not believed
        scan.stop()
        return Scan(None, None)
    return scan


def usable_index(index: object) -> bool:
    """Whether ``index`` has the shape ``riskkit.load`` writes, down to every field's
    type (anything else is a miss: the cache can only skip work)."""
    def risk_file(value: object) -> bool:  # risks/..., as the walker names them
        return isinstance(value, str) and value.startswith("risks/") and "\0" not in value \
            and (".." not in value or ".." not in value.split("/"))

    def mapping(value: object, kind: type) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and type(v) is kind for k, v in value.items())

    return (isinstance(index, dict)
            and set(index) == {"by_runbook", "broken", "folders", "started_ns"}
            and isinstance(index["by_runbook"], dict)
            and all(isinstance(k, str) and mapping(v, str) and all(map(risk_file, v.values()))
                    for k, v in index["by_runbook"].items())
            and isinstance(index["broken"], list) and all(map(risk_file, index["broken"]))
            and mapping(index["folders"], int)
            and type(index["started_ns"]) is int and index["started_ns"] >= 0)
