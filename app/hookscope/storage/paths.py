"""Where Hookscope keeps its data: the user data dir, or the one the user names."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_DATA_DIR = "HOOKSCOPE_DATA_DIR"
DB_NAME = "hookscope.db"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: `--data-dir`, else `$HOOKSCOPE_DATA_DIR`, else the platform's."""
    chosen = override or os.environ.get(ENV_DATA_DIR)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(platformdirs.user_data_dir("hookscope", appauthor=False))


def db_path(directory: Path) -> Path:
    return directory / DB_NAME
