"""Opening the store: one file, WAL, migrated on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from hookscope.core.model import display_text
from hookscope.storage.migrations import migrations
from hookscope.storage.paths import db_path

BUSY_TIMEOUT_MS = 10_000


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
