"""What stays off the commit path: WAL checkpoints, and search indexing while captures arrive."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from hookscope.core.model import DEFAULT_RULE
from hookscope.storage import checkpoint as checkpoint_module
from hookscope.storage import writer as writer_module
from hookscope.storage.captures import get_capture
from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path
from hookscope.storage.writer import CaptureWriter
from tests.conftest import make_capture


async def _one_by_one(writer: CaptureWriter, count: int, body: bytes = b"{}") -> list[int]:
    ids = []
    for _ in range(count):
        stored = await asyncio.wait_for(writer.submit(make_capture(body=body), DEFAULT_RULE), 10)
        ids.append(stored.id)
    return ids


def test_commits_never_checkpoint_and_the_checkpointer_does_it_after(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    writer.start()
    try:
        autocheckpoint = writer.call(
            lambda db: db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        ).result(10)
        # 2,000 pages of WAL: past SQLite's default of 1,000, a commit would checkpoint itself.
        ids = asyncio.run(_one_by_one(writer, 40, b"x" * 200_000))
        main = db_path(directory)
        deadline = time.monotonic() + 10
        while main.stat().st_size < 40 * 200_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        backfilled = main.stat().st_size
    finally:
        writer.close()
    assert autocheckpoint == 0
    assert backfilled >= 40 * 200_000, "the WAL was never checkpointed into the store"
    with open_store(directory) as db:
        assert all(get_capture(db, i) is not None for i in ids)


def test_a_wal_past_its_limit_is_checkpointed_by_the_writer_between_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint_module, "WAL_LIMIT", 0)
    monkeypatch.setattr(writer_module, "WAL_CHECK_EVERY", 1)
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    writer.start()
    writer._checkpointer.stop()  # only the writer's own checkpoint is left
    try:
        asyncio.run(_one_by_one(writer, 5, b"y" * 100_000))
        size = db_path(directory).stat().st_size
    finally:
        writer.close()
    assert size >= 5 * 100_000


def test_a_backlog_of_unindexed_captures_is_indexed_only_now_and_then_while_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "MAX_UNINDEXED", 0)
    busy: list[int] = []

    def slow_index(db: Database, batch: int) -> bool:
        if batch == writer_module.BUSY_FTS_BATCH:
            busy.append(batch)
        time.sleep(0.02)  # a batch that costs something: the next waits ten times as long
        return True

    monkeypatch.setattr(writer_module, "index_pending", slow_index)
    writer = CaptureWriter(tmp_path / "data")
    writer.start()
    try:
        ids = asyncio.run(_one_by_one(writer, 60))
    finally:
        writer.close()
    assert len(ids) == 60
    # Before, every group waited for a batch; now at most one in ten of the writer's time.
    assert 1 <= len(busy) <= 15


def test_a_large_wal_is_restarted_right_after_a_passive_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes: list[str] = []
    real = checkpoint_module.checkpoint

    def recorded(conn: Any, mode: str = "PASSIVE") -> None:
        modes.append(mode)
        real(conn, mode)

    monkeypatch.setattr(checkpoint_module, "checkpoint", recorded)
    monkeypatch.setattr(checkpoint_module, "RESTART_AT", 0)
    writer = CaptureWriter(tmp_path / "data")
    writer.start()
    try:
        asyncio.run(_one_by_one(writer, 3))
        deadline = time.monotonic() + 10
        while "RESTART" not in modes and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        writer.close()
    assert modes[:2] == ["PASSIVE", "RESTART"]
