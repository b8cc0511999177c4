"""Where the workspace is: the folder holding riskkit.yaml, found like git finds .git.

Light on purpose: a command answered from the cache finds its workspace here without
reading the settings (``riskkit.answers``).
"""

from __future__ import annotations

import os
from pathlib import Path

from riskkit.problems import ConfigError

SETTINGS = "riskkit.yaml"


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Walk up from ``start`` to the folder holding riskkit.yaml."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS).is_file():
            return folder
    raise ConfigError(f"no {SETTINGS} in {here} or any parent folder "
                      "(run 'riskkit init' to create a workspace, or use -C DIR)")
