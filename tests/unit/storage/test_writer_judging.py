"""Captures the listener leaves unjudged are judged by the writer: in order, once, never lost."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from hookscope.core.model import DEFAULT_RULE, Capture, Verdict
from hookscope.storage import writer as writer_module
from hookscope.storage.captures import get_capture
from hookscope.storage.db import open_store
from hookscope.storage.writer import CaptureWriter
from tests.conftest import make_capture


class _Judge:
    """Judges by the body, and notes the order in which captures were judged."""

    def __init__(self, fail_on: bytes | None = None) -> None:
        self.seen: list[bytes] = []
        self._fail_on = fail_on

    def __call__(self, capture: Capture) -> Verdict:
        self.seen.append(capture.body)
        if capture.body == self._fail_on:
            raise ValueError("a verifier bug")
        return Verdict("verified", f"Judged {capture.body.decode()}.", "kardow", "job.created")


async def _store_all(writer: CaptureWriter, bodies: list[bytes], judge: _Judge) -> list[int]:
    futures = [writer.submit(make_capture(body=body), DEFAULT_RULE, judge=judge) for body in bodies]
    return [stored.id for stored in await asyncio.gather(*futures)]


def _run(tmp_path: Path, bodies: list[bytes], judge: _Judge) -> list[Capture]:
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    writer.start()
    try:
        ids = asyncio.run(_store_all(writer, bodies, judge))
    finally:
        writer.close()
    with open_store(directory) as db:
        found = [get_capture(db, capture_id) for capture_id in ids]
    assert all(capture is not None for capture in found)
    return [capture for capture in found if capture is not None]


def test_each_capture_is_stored_with_the_verdict_judged_for_it_in_arrival_order(
    tmp_path: Path,
) -> None:
    bodies = [b"%d" % n for n in range(40)]
    judge = _Judge()
    stored = _run(tmp_path, bodies, judge)
    assert judge.seen == bodies
    assert [capture.verdict.detail for capture in stored] == [f"Judged {n}." for n in range(40)]
    assert {capture.verdict.verdict for capture in stored} == {"verified"}


def test_a_verifier_that_fails_costs_no_delivery(tmp_path: Path) -> None:
    stored = _run(tmp_path, [b"1", b"2", b"3"], _Judge(fail_on=b"2"))
    assert [capture.verdict.verdict for capture in stored] == ["verified", "n/a", "verified"]
    assert stored[1].verdict.detail == "Verification could not run: a verifier bug"


def test_a_group_written_again_one_by_one_is_not_judged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Kudoz token judged twice would read as its own replay."""
    failed: list[int] = []
    guarded = writer_module.insert_guarded

    def fail_once(conn: Any, rows: list[tuple[Any, ...]], last_id: int) -> bool:
        if len(rows) > 1 and not failed:
            failed.append(len(rows))
            raise OSError("the group's statement failed")
        return guarded(conn, rows, last_id)

    monkeypatch.setattr(writer_module, "insert_guarded", fail_once)
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    writer.start()
    judge = _Judge()
    try:
        asyncio.run(_store_all(writer, [b"0"], judge))  # the writer knows its last id now
        judge.seen.clear()
        bodies = [b"%d" % n for n in range(1, 9)]
        # The writer waits while they are queued, so it takes them as one group.
        release = threading.Event()
        writer.call(lambda _db: release.wait(10))

        async def queued_as_one() -> list[int]:
            futures = [
                writer.submit(make_capture(body=body), DEFAULT_RULE, judge=judge) for body in bodies
            ]
            release.set()
            return [stored.id for stored in await asyncio.gather(*futures)]

        ids = asyncio.run(queued_as_one())
    finally:
        writer.close()
    assert failed, "no group was written again one by one"
    assert judge.seen == bodies
    with open_store(directory) as db:
        assert all(get_capture(db, capture_id) is not None for capture_id in ids)
