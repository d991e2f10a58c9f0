"""Kudoz nonces: kept while a replay of their token could still pass, deleted after."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import DEFAULT_RULE, Nonce, Verdict
from hookscope.storage import writer as writer_module
from hookscope.storage.credentials import forget_nonces, live_nonces
from hookscope.storage.db import open_store, write_transaction
from hookscope.storage.writer import CaptureWriter
from tests.conftest import make_capture


def left_behind(directory: Path, *rows: tuple[str, str, float]) -> None:
    """Nonce rows as an earlier run (or an older version) left them."""
    with open_store(directory) as db, write_transaction(db):
        for row in rows:
            db.execute("INSERT INTO nonces (api_key, uuid, expires) VALUES (?, ?, ?)", list(row))


def every_nonce(db: Database) -> list[str]:
    return sorted(uuid for _, uuid, _ in live_nonces(db, now=0.0))


def test_forget_nonces_deletes_only_what_expired(tmp_path: Path) -> None:
    left_behind(tmp_path, ("k", "old", 1_000.0), ("k", "edge", 2_000.0), ("k", "new", 3_000.0))
    with open_store(tmp_path) as db:
        assert forget_nonces(db, now=2_000.0) == 1
        assert every_nonce(db) == ["edge", "new"]
        assert forget_nonces(db, now=2_000.0) == 0


def test_the_writer_deletes_expired_nonces_when_it_starts(tmp_path: Path) -> None:
    now = time.time()
    left_behind(tmp_path, ("k", "expired", now - 1), ("k", "live", now + 250))
    writer = CaptureWriter(tmp_path)
    writer.start()
    try:
        # One thread, in order: this job runs after the writer's own start-up work.
        remaining = writer.call(every_nonce).result(10)
    finally:
        writer.close()
    assert remaining == ["live"]


def test_a_group_with_nonces_deletes_those_expired_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "NONCE_PRUNE_INTERVAL", 0.0)  # always due
    writer = CaptureWriter(tmp_path)
    writer.start()
    try:
        assert writer.call(every_nonce).result(10) == []
        # Remembered a while ago (by this run or another process), expired by now.
        left_behind(tmp_path, ("k", "a-minute-ago", time.time() - 1))
        assert writer.call(every_nonce).result(10) == ["a-minute-ago"]
        verdict = Verdict("verified", "ok", "kudoz", nonce=Nonce("k", "fresh", time.time() + 300))

        async def deliver() -> None:
            capture = replace(make_capture(), verdict=verdict)
            await asyncio.wait_for(writer.submit(capture, DEFAULT_RULE), 10)

        asyncio.run(deliver())
        remaining = writer.call(every_nonce).result(10)
    finally:
        writer.close()
    assert remaining == ["fresh"]
