"""Where the archive is: the one definition of the default archive root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = "data"


def default_data_dir() -> Path:
    """``$POSTCRAWL_DATA_DIR``, else ``data/`` (relative to the working directory)."""
    return Path(os.environ.get("POSTCRAWL_DATA_DIR") or DEFAULT_DATA_DIR)


def data_dir_setting(settings: Any) -> Path:
    """The archive root a crawl's settings name (``POSTCRAWL_DATA_DIR``), else the default."""
    value = settings.get("POSTCRAWL_DATA_DIR")
    return Path(value) if value else default_data_dir()
