"""After a full disk, full-text indexing waits: the space that comes back goes to captures."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import DEFAULT_RULE
from hookscope.storage import writer as writer_module
from hookscope.storage.captures import get_capture
from hookscope.storage.db import open_store
from hookscope.storage.writer import CaptureWriter
from tests.conftest import make_capture

BACKOFF = 1.5


def test_a_full_disk_pauses_indexing_while_captures_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(writer_module, "INDEX_BACKOFF", BACKOFF)
    calls: list[float] = []
    again = threading.Event()

    def full(db: Database, batch: int) -> bool:
        calls.append(time.monotonic())
        if len(calls) > 1:
            again.set()
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(writer_module, "index_pending", full)
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    caplog.set_level(logging.WARNING, logger=writer_module.__name__)
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:  # the writer indexes once idle
            time.sleep(0.01)
        assert calls, "the writer never tried to index"

        async def capture_some() -> list[int]:
            futures = [writer.submit(make_capture(), DEFAULT_RULE) for _ in range(3)]
            return [s.id for s in await asyncio.wait_for(asyncio.gather(*futures), 10)]

        ids = asyncio.run(capture_some())  # capture goes on during the pause
        committed = time.monotonic()
        assert again.wait(timeout=BACKOFF + 10), "indexing never resumed after the pause"
    finally:
        writer.close()

    assert committed - calls[0] < BACKOFF, "the captures waited for the pause"
    assert calls[1] - calls[0] >= BACKOFF, "the index took the freed space again at once"
    with open_store(directory) as db:
        assert all(get_capture(db, i) is not None for i in ids)
    paused = [r for r in caplog.records if "indexing paused" in r.getMessage()]
    assert len(paused) == len(calls)  # one line per pause...
    assert all(r.exc_info is None for r in paused)  # ...and no traceback
