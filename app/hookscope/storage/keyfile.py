"""The secrets key file: created once with mode 0600, read by every process of this data dir."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hookscope.core.vault import Vault


class KeyFileError(Exception):
    """The key file cannot be read or made; the message is meant for the user."""


def load_vault(path: Path, *, create: bool) -> Vault | None:
    """The vault for this key file; with `create`, a new key is made if there is none."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            return None
        key = _create(path)
    except OSError as exc:
        raise KeyFileError(f"Cannot read the secrets key {path}: {exc.strerror}.") from exc
    _tighten(path)
    return Vault(key)


def _create(path: Path) -> bytes:
    key = Vault.new_key()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    except OSError as exc:
        raise KeyFileError(f"Cannot create the secrets key {path}: {exc.strerror}.") from exc
    with os.fdopen(fd, "wb") as file:
        file.write(key + b"\n")
        file.flush()
        os.fsync(file.fileno())
    return key


def _tighten(path: Path) -> None:
    """Keep the key readable by its owner only, whatever a copy or an umask did to it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
    except OSError:
        pass
