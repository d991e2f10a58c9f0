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


def key_path(directory: Path) -> Path:
    """Where the secrets key lives: never inside the data directory, so a copy of the data
    (a backup, a bug report) does not carry the key that opens its secrets.

    The platform's data dir pairs with the platform's config dir where they differ (Linux);
    where they are one folder (Windows, macOS), and for any other data dir, the key lives
    beside the data dir, as `<dir>.key`.
    """
    config = Path(platformdirs.user_config_dir("hookscope", appauthor=False))
    default = Path(platformdirs.user_data_dir("hookscope", appauthor=False))
    if directory == default and not _overlaps(config, directory):
        return config / "secrets.key"
    return directory.with_name(directory.name + ".key")


def _overlaps(one: Path, other: Path) -> bool:
    return one == other or one.is_relative_to(other) or other.is_relative_to(one)
