"""Owner-only files: captures hold personal data, so the store and its copies are private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hookscope.storage.paths import db_path, key_path

UMASK = 0o077  # what Hookscope creates is readable by its owner only
DIR_MODE = 0o700
FILE_MODE = 0o600


def tighten(directory: Path) -> str:
    """Make the data dir, the store's files and the key owner-only; a sentence if any changed.

    Files an older version (or a copy, or a permissive umask) left readable by others are
    tightened on start. Nothing is done on Windows, where these modes do not apply, nor to a
    file that is not the user's to change (it is left as it is).
    """
    if os.name == "nt" or not directory.is_dir():
        return ""
    store = db_path(directory)
    wanted = [(directory, DIR_MODE)] + [
        (path, FILE_MODE)
        for path in (
            store,
            store.with_name(store.name + "-wal"),
            store.with_name(store.name + "-shm"),
            key_path(directory),
        )
    ]
    changed: list[str] = []
    for path, mode in wanted:
        try:
            before = stat.S_IMODE(path.stat().st_mode)
            if before & 0o077:
                path.chmod(before & mode)
                changed.append(f"{path} (was {before:04o})")
        except OSError:
            continue
    return f"tightened permissions to owner-only: {', '.join(changed)}" if changed else ""


def open_private(path: Path) -> int:
    """Open `path` for writing, emptied and owner-only even if it existed with looser modes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    if os.name != "nt":
        os.fchmod(fd, FILE_MODE)
    return fd
