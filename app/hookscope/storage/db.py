"""Opening the store: one file, WAL, checked and migrated on open."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from hookscope.core.model import display_text
from hookscope.storage.migrations import migrations
from hookscope.storage.paths import db_path
from hookscope.storage.search import register

BUSY_TIMEOUT_MS = 10_000
# How long the check at start may take. PRAGMA quick_check reads every page (about 0.4 s per
# 400 MB here, far more from a cold disk), so a large store is checked only as far as this
# allows; damage past that point is reported when a read reaches it.
CHECK_BUDGET = 0.3
# The largest store a command that only reads checks as it opens. SQLite 3.40 (here) walks
# every b-tree of quick_check in one step that no progress handler stops, so the budget above
# cannot cut it short: 2-2.6 s on a 2.7 GB store when the file is cached, 95 s from a
# busy disk. A read of a store above this size skips the check, and damage it meets is the
# same one-sentence refusal (`failure`, which the command line gives every SQLite error).
# A store opened for writing is checked before anything is written: writing into a damaged
# file spreads it. The engine's writer, which would keep the window and `serve` waiting as
# long (6 s cached, 42 s cold on 8.7 GB), checks the tables that stay small now, table by table
# (milliseconds), and leaves the whole check to a thread of its own once it runs (pagecheck.py).
READ_CHECK_BYTES = 256 * 1024 * 1024
# The tables that grow with the captures: on a large store their check is left to the
# background. Every other table (settings, secrets, schemes, rules, targets, forward rules,
# API keys, and any table a later migration adds) is checked before the first write.
GROWING_TABLES = frozenset({"captures", "deliveries", "forwards", "nonces"})
SEARCH_TABLES = "captures_fts"  # the search index, its shadow tables, a set-aside index


class StoreError(Exception):
    """The store cannot be opened or used; the message is meant for the user."""


def text_param(text: str) -> str | bytes:
    """A text value SQLite can take, without loss; `text_value` reads it back.

    Text that encodes as UTF-8 is stored as TEXT. Text holding bytes that were not UTF-8
    (kept as surrogate escapes, see model.decode_header) is stored as those exact bytes, a BLOB:
    SQLite keeps the value's own type in an ordinary column. A lone surrogate that stands for no
    byte (only derived text could hold one) becomes U+FFFD.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return display_text(text)
    return text


def text_value(value: str | bytes) -> str:
    """The text `text_param` stored."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: callers open their transactions explicitly."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # A new store gives freed pages back to the file system a step at a time (retention.py).
    # It takes effect only before the first table, and before WAL: that writes the header.
    # On an existing store it changes nothing until a VACUUM.
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    # WAL with synchronous=NORMAL: a commit survives the process being killed; only a power
    # loss can take back the last commits (the README states this trade-off).
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    register(conn)  # the search index's functions: its delete trigger calls them
    return conn


def open_store(directory: Path, *, check: bool = True, reading: bool = False) -> Database:
    """Open (creating and migrating if needed) the store in `directory`.

    The store's pages are checked first (within CHECK_BUDGET seconds; `check=False` for a
    second connection of a process that already checked) and a damaged store is refused;
    `reading`: for a command that only reads, which skips the check on a store larger than
    READ_CHECK_BYTES (see there) that needs no migration.
    Raises StoreError, with one sentence for the user.
    """
    db, _later = _open(directory, check=check, reading=reading, defer=False)
    return db


def open_deferring_check(directory: Path) -> tuple[Database, bool]:
    """Open the store for the engine's writer, and whether its whole check is left to later.

    As `open_store`, except that a store larger than READ_CHECK_BYTES that needs no migration
    has only its small tables checked now (all but GROWING_TABLES and the search index); the
    caller then runs the whole check in the background (`pagecheck.PageCheck`).
    """
    return _open(directory, check=True, reading=False, defer=True)


def _open(directory: Path, *, check: bool, reading: bool, defer: bool) -> tuple[Database, bool]:
    path = db_path(directory)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Captures hold personal data: the store is owner-only whatever the umask (its -wal
        # and -shm files take the store's mode).
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"Cannot open the data directory {directory}: {exc}") from exc
    conn: sqlite3.Connection | None = None
    later = False
    try:
        conn = connect(path)
        db = Database(conn, execute_plugins=False)
        if check:
            large = _large(path) and not migrations.pending(db)
            later = large and defer
            if later:
                _check_small_tables(conn, path)
            elif not (large and reading):
                _quick_check(conn, path)
        migrations.apply(db)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        damage = not isinstance(exc, sqlite3.OperationalError) or disk_full(exc)
        if isinstance(exc, sqlite3.DatabaseError) and damage:
            raise StoreError(failure(path, exc)) from exc
        if isinstance(exc, (OSError, sqlite3.Error)):
            raise StoreError(f"Cannot open the data directory {directory}: {exc}") from exc
        raise
    return db, later


def _large(path: Path) -> bool:
    return path.stat().st_size > READ_CHECK_BYTES


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    deadline = time.monotonic() + CHECK_BUDGET
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
    try:
        (result,) = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise
        return  # a large store: checked as far as the budget allowed
    finally:
        conn.set_progress_handler(None, 0)
    if problem := check_result(path, result):
        raise StoreError(problem)


def _check_small_tables(conn: sqlite3.Connection, path: Path) -> None:
    """Check each table but the growing ones, with its indexes (SQLite 3.33 and later).

    Milliseconds on a store of a million captures: these tables hold the configuration.
    A damaged table raises sqlite3.DatabaseError (malformed) or fails its check (StoreError).
    """
    for table in _small_tables(conn):
        quoted = table.replace("'", "''")
        (result,) = conn.execute(f"PRAGMA quick_check('{quoted}')").fetchone()
        if problem := check_result(path, result):
            raise StoreError(problem)


def _small_tables(conn: sqlite3.Connection) -> list[str]:
    """The store's tables that do not grow with the captures (see GROWING_TABLES)."""
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage > 0 ORDER BY name"
    )
    return [
        name
        for (name,) in rows
        if name not in GROWING_TABLES and not name.startswith(SEARCH_TABLES)
    ]


def check_result(path: Path, result: object) -> str | None:
    """The sentence for what PRAGMA quick_check answered, or None when it said "ok"."""
    if result == "ok":
        return None
    # e.g. "*** in database main ***\nPage 171: btreeInitPage() returns error code 11"
    lines = [line for line in str(result).splitlines() if not line.startswith("***")]
    return damaged(path, "; ".join(lines) or "it fails its check")


def damaged(path: Path, detail: str) -> str:
    return (
        f"The store {path} is damaged ({detail}): put a copy made with `hookscope backup` in its"
        " place, or move it and its -wal and -shm files away to start an empty store."
    )


def disk_full(exc: BaseException) -> bool:
    """Whether a write failed for want of disk space (SQLITE_FULL or ENOSPC)."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    return isinstance(exc, sqlite3.Error) and "disk is full" in str(exc)


def failure(path: Path, exc: sqlite3.Error | OSError) -> str:
    """One sentence for a store that failed while in use: damaged, full, or something else."""
    if disk_full(exc):
        return f"The store {path} cannot be written: the disk is full; free some space and retry."
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return damaged(path, str(exc))
    return f"The store {path} cannot be used: {exc}."


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock at its start (BEGIN IMMEDIATE).

    sqlite-utils' atomic() opens a deferred transaction: one that reads first and writes later
    must upgrade its read snapshot, and when another process committed in between SQLite
    answers "database is locked" at once, without waiting on the busy timeout. Taking the lock
    first makes a command beside a running engine wait its turn instead. Nested: a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
