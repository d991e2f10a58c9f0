"""A store the engine treats as large (READ_CHECK_BYTES lowered), sound or damaged one way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hookscope.storage import db as db_module
from hookscope.storage.captures import index_pending
from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path
from tests.conftest import make_capture
from tests.unit.test_cli import store

PAGE = 4096
CAPTURES = 600


def large_store(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Captures committed by the real writer and all indexed (so no indexing reads them at
    start), the store checkpointed and closed, and every store now counting as large."""
    store(
        data_dir,
        *(make_capture(body=b'{"n": %d, "pad": "%s"}' % (n, b"x" * 2000)) for n in range(CAPTURES)),
    )
    db = open_store(data_dir)
    try:
        for _ in range(100):
            if not index_pending(db, 10_000):
                break
    finally:
        db.close()  # the last connection: SQLite checkpoints the log into the file
    path = db_path(data_dir)
    assert not path.with_name(path.name + "-wal").exists(), "the store was not checkpointed"
    monkeypatch.setattr(db_module, "READ_CHECK_BYTES", 0)
    return path


def zero_page(path: Path, page: int) -> None:
    with path.open("r+b") as file:
        file.seek((page - 1) * PAGE)
        file.write(bytes(PAGE))


def damage_old_captures(path: Path) -> None:
    """Zero a leaf page of the captures table among the oldest ones: the window's first page
    (the newest captures) and the counts (read from an index) never reach it."""
    with sqlite3.connect(path) as conn:
        (page,) = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'captures' AND pagetype = 'leaf'"
            " ORDER BY pageno LIMIT 1 OFFSET 3"
        ).fetchone()
    conn.close()
    zero_page(path, page)


def damage_table(path: Path, table: str) -> None:
    """Zero the root page of `table`."""
    with sqlite3.connect(path) as conn:
        (page,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", [table]
        ).fetchone()
    conn.close()
    zero_page(path, page)
