"""The secrets key file: created once with mode 0600, read by every process of this data dir."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from hookscope.core.vault import Vault, VaultError

# link() errors that mean "this file system has no hard links", not "this failed".
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV}


class KeyFileError(Exception):
    """The key file cannot be read or made; the message is meant for the user."""


class DamagedKeyError(KeyFileError):
    """The key file is there but holds no valid key (empty, cut short, overwritten)."""


def load_vault(path: Path, *, create: bool) -> Vault | None:
    """The vault for this key file; with `create`, a new key is made if there is none.

    Raises KeyFileError when the file cannot be read or made, or holds no valid key (empty
    or damaged). Only a caller that knows no stored secret needs an old key may `create`.
    """
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            return None
        key = _create(path)
    except OSError as exc:
        raise KeyFileError(f"Cannot read the secrets key {path}: {exc.strerror}.") from exc
    _tighten(path)
    try:
        return Vault(key)
    except VaultError as exc:
        raise DamagedKeyError(f"The secrets key {path} is empty or damaged.") from exc


def signature(path: Path) -> tuple[int, int, int, int] | None:
    """What changes whenever the key file is replaced, rewritten or removed (None: absent).

    The change time is in it because a restore can put the old modification time back.
    """
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _create(path: Path) -> bytes:
    """Write a new key so that no reader ever sees a partial file, and a concurrent creator wins.

    The key goes to a temporary file in the same directory, is flushed to disk, then linked
    to its name: link() never replaces an existing file, so when another process made a key
    meanwhile, theirs is kept and used. A crash or a full disk leaves at most a stray
    temporary file, never an empty or partial key.
    """
    key = Vault.new_key()
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=directory)
    except OSError as exc:
        raise KeyFileError(f"Cannot create the secrets key {path}: {exc.strerror}.") from exc
    try:
        try:
            _write_all(fd, key + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_bytes().strip()
        except OSError as exc:
            if exc.errno not in NO_HARD_LINKS:
                raise
            return _create_in_place(path, key)  # a file system without hard links (FAT)
    except OSError as exc:
        raise KeyFileError(f"Cannot create the secrets key {path}: {exc.strerror}.") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    _sync_directory(directory)
    return key


def _create_in_place(path: Path, key: bytes) -> bytes:
    """Create the key under its own name (exclusive); a failed write removes what it began."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    written = False
    try:
        _write_all(fd, key + b"\n")
        os.fsync(fd)
        written = True
    finally:
        os.close(fd)
        if not written:
            path.unlink(missing_ok=True)
    return key


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_directory(directory: Path) -> None:
    """Make the new name durable, where the platform allows (Windows cannot open a folder).

    Best effort: the key is whole on disk already, and another process may be using it.
    """
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _tighten(path: Path) -> None:
    """Keep the key readable by its owner only, whatever a copy or an umask did to it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
    except OSError:
        pass


def read_vault(path: Path) -> Vault | None:
    """The vault for this key file, never making one (None when there is no key file)."""
    return load_vault(path, create=False)
