"""Opening the store: one file, WAL, migrated on open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from hookscope.storage.migrations import migrations
from hookscope.storage.paths import db_path

BUSY_TIMEOUT_MS = 10_000


class StoreError(Exception):
    """The store cannot be opened or used; the message is meant for the user."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: callers open their transactions explicitly."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # WAL with synchronous=NORMAL: a commit survives the process being killed; only a power
    # loss can take back the last commits (the README states this trade-off).
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def open_store(directory: Path) -> Database:
    """Open (creating and migrating if needed) the store in `directory`."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        conn = connect(db_path(directory))
        db = Database(conn, execute_plugins=False)
        migrations.apply(db)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"Cannot open the data directory {directory}: {exc}") from exc
    return db


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
