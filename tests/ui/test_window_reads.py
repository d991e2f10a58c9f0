"""The window reads a selected capture and counts matches off the GUI thread, newest first."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.widgets.paging import COUNTING_MS
from hookscope.ui.window import MainWindow
from tests.integration.conftest import http
from tests.ui.conftest import wait_until
from tests.ui.test_window import port_of, post

GATE_S = 10.0  # how long a held read waits for the test to let it go, at most


class Gate:
    """Holds the reads of one capture id (or one filter) on the reader's thread until opened,
    and records which thread each read ran on."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.threads: list[str] = []
        self.holding = threading.Event()

    def wait(self) -> None:
        self.threads.append(threading.current_thread().name)
        self.holding.set()
        assert self.opened.wait(GATE_S), "the test never opened the gate"


@pytest.mark.asyncio
async def test_selecting_a_then_b_quickly_shows_b_and_never_a(
    window: MainWindow, live_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await post(live_engine, "/a", b'{"which": "A"}' + b" " * 200_000)
    await post(live_engine, "/b", b'{"which": "B"}')
    page = window.captures
    await wait_until(lambda: page.model.rowCount() == 2)
    b_row, a_row = 0, 1  # newest first
    a_id, b_id = page.model.summary(a_row).id, page.model.summary(b_row).id
    gate = Gate()
    get_capture = reads.get_capture

    def held_for_a(db: Database, capture_id: int) -> Any:
        if capture_id == a_id:
            gate.wait()
        return get_capture(db, capture_id)

    monkeypatch.setattr(reads, "get_capture", held_for_a)
    shown: list[int | None] = []
    show_capture = page.detail.show_capture
    monkeypatch.setattr(
        page.detail,
        "show_capture",
        lambda capture, *more: (
            shown.append(capture and capture.id),
            show_capture(capture, *more),
        ),
    )

    page.table.selectRow(a_row)
    # A's body is being read on the reader's thread, and the window goes on meanwhile.
    await asyncio.to_thread(gate.holding.wait, GATE_S)
    assert gate.threads == ["hookscope-reader_0"]
    page.table.selectRow(b_row)
    gate.opened.set()
    await wait_until(lambda: shown == [b_id])
    await page.settle()

    assert shown == [b_id]
    assert page.detail.capture is not None
    assert page.detail.capture.id == b_id
    assert page.detail.body.raw.toPlainText() == '{"which": "B"}'


@pytest.mark.asyncio
async def test_the_count_is_made_off_the_gui_thread_and_the_newest_wins(
    window: MainWindow, live_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = port_of(live_engine)
    await asyncio.to_thread(lambda: [http(port, "GET", f"/get/{n}") for n in range(3)])
    await post(live_engine, "/post", b"{}")
    page, filters = window.captures, window.captures.filters
    await wait_until(lambda: filters.matches.text() == "4 captures")
    gate = Gate()
    count_captures = reads.count_captures

    def held_for_get(db: Database, query: Any, cap: int | None = None) -> int:
        if query.method == "GET":
            gate.wait()
        return count_captures(db, query, cap)

    monkeypatch.setattr(reads, "count_captures", held_for_get)

    filters.method.setCurrentIndex(filters.method.findData("GET"))
    await wait_until(lambda: page.model.rowCount() == 3)  # the list comes, the count held
    await asyncio.to_thread(gate.holding.wait, GATE_S)
    assert gate.threads == ["hookscope-reader_0"]
    # A count that takes long says so rather than showing the old number.
    await wait_until(lambda: filters.matches.text() == "counting…", within=COUNTING_MS / 100)

    # A newer filter: its count is the one shown, the held one is dropped when it ends.
    filters.method.setCurrentIndex(filters.method.findData("POST"))
    gate.opened.set()
    await wait_until(lambda: filters.matches.text() == "1 matching")
    await wait_until(lambda: not page.model.counting)
    assert filters.matches.text() == "1 matching"
    assert page.model.matching == 1

    # A capture arriving while a count is under way is counted once.
    second = Gate()

    def held_for_all(db: Database, query: Any, cap: int | None = None) -> int:
        if query.method is None:
            second.wait()
        return count_captures(db, query, cap)

    monkeypatch.setattr(reads, "count_captures", held_for_all)
    filters.method.setCurrentIndex(0)
    await asyncio.to_thread(second.holding.wait, GATE_S)
    await post(live_engine, "/post-again", b"{}")
    await wait_until(lambda: page.model.rowCount() == 5)
    second.opened.set()
    await wait_until(lambda: not page.model.counting)
    assert filters.matches.text() == "5 captures"
