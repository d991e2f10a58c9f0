"""The capture list holds a few pages in memory wherever it is scrolled, on any size of store."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage.db import open_store
from hookscope.storage.writer import insert_captures
from hookscope.ui.captures.model import CaptureTableModel
from hookscope.ui.widgets.paging import COUNT_CAP, MAX_PAGES, PAGE, PLACEHOLDER
from hookscope.ui.widgets.tables import list_table
from hookscope.ui.window import MainWindow
from tests.conftest import make_capture
from tests.integration.conftest import http
from tests.ui.conftest import wait_until

BOUND = (MAX_PAGES + 1) * PAGE  # the pages kept, and the current row's
BIG = 50_000


def fill(directory: Path, n: int, first: int = 0) -> None:
    """Store n captures through the writer's insert path: every third one a PUT."""
    db = open_store(directory)
    try:
        for start in range(first, first + n, 5000):
            batch = [
                make_capture(method="PUT" if i % 3 == 0 else "POST", path=f"/n/{i}", body=b"{}")
                for i in range(start, min(first + n, start + 5000))
            ]
            insert_captures(db, batch)
    finally:
        db.close()


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    directory = tmp_path_factory.mktemp("big")
    fill(directory, BIG)
    db = open_store(directory)
    try:
        yield db
    finally:
        db.close()


def shown(qtbot: QtBot, model: CaptureTableModel) -> QTableView:
    table = list_table(model, live=True)  # as the window shows it: painted row by row
    table.resize(900, 600)
    qtbot.addWidget(table)
    table.show()
    return table


def loaded(qtbot: QtBot, table: QTableView, row: int) -> int:
    """Scroll to `row`, wait for its page, and give its capture's id."""
    model = table.model()
    assert isinstance(model, CaptureTableModel)

    def there() -> bool:
        # Scrolled again on each look: after rows were added, the view lays itself out late.
        table.scrollTo(model.index(row, 0))
        return model.record(row) is not None

    qtbot.waitUntil(there, timeout=5000)
    return model.summary(row).id


@pytest.mark.slow
def test_scrolling_anywhere_keeps_a_few_pages_in_memory(qtbot: QtBot, big_store: Database) -> None:
    model = CaptureTableModel(big_store)
    model.set_query(CaptureQuery())
    table = shown(qtbot, model)
    qtbot.waitUntil(lambda: model.matching == BIG)
    # One row per capture, so the scrollbar is proportional; one page read.
    assert model.rowCount() == BIG
    assert len(model.rows()) == PAGE
    assert model.index(BIG - 1, CaptureTableModel.TIME).data() == PLACEHOLDER

    # End, the middle, and everywhere in between, down then up: the right capture in each row,
    # and never more than a few pages in memory.
    steps = [BIG - 1, BIG // 2, *range(0, BIG, 4_999), *range(BIG - 1, 0, -7_001), 0]
    for row in steps:
        assert loaded(qtbot, table, row) == BIG - row, row
        assert len(model.rows()) <= BOUND, row
    assert model.matching == BIG


@pytest.mark.slow
def test_keys_move_to_both_ends_and_the_current_row_survives_scrolling(
    qtbot: QtBot, big_store: Database
) -> None:
    model = CaptureTableModel(big_store)
    model.set_query(CaptureQuery())
    table = shown(qtbot, model)
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert table.currentIndex().row() == BIG - 1
    qtbot.waitUntil(lambda: model.record(BIG - 1) is not None, timeout=5000)
    assert model.summary(BIG - 1).id == 1
    qtbot.keyClick(table, Qt.Key.Key_PageUp)
    assert 0 < table.currentIndex().row() < BIG - 1
    chosen = table.currentIndex().row()
    qtbot.waitUntil(lambda: model.record(chosen) is not None, timeout=5000)
    chosen_id = model.summary(chosen).id

    # Far away and back: the current row's page was kept all along.
    model.pin(chosen)
    for row in (0, BIG // 3, BIG // 2):
        loaded(qtbot, table, row)
        assert model.record(chosen) is not None
        assert len(model.rows()) <= BOUND
    qtbot.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    # Offscreen, the application keeps the last key event's modifiers: let go of Ctrl, or the
    # next test's selectRow() would add to its selection as a held Ctrl does.
    qtbot.keyRelease(table, Qt.Key.Key_Control)
    assert table.currentIndex().row() == 0
    assert loaded(qtbot, table, 0) == BIG
    assert model.summary(chosen).id == chosen_id


def test_the_model_tester_passes_while_scrolling_to_both_ends_and_rows_arrive(
    qtbot: QtBot, qtmodeltester: ModelTester, tmp_path: Path
) -> None:
    fill(tmp_path, 3 * PAGE)
    db = open_store(tmp_path)
    try:
        model = CaptureTableModel(db)
        qtmodeltester.check(model)
        model.set_query(CaptureQuery())
        table = shown(qtbot, model)
        qtbot.waitUntil(lambda: model.matching == 3 * PAGE)
        for row in (3 * PAGE - 1, 0, 3 * PAGE - 1, PAGE, 0):
            assert loaded(qtbot, table, row) == 3 * PAGE - row
        qtmodeltester.check(model)
        far = 3 * PAGE - 10
        assert loaded(qtbot, table, far) == 10
        table.selectRow(far)

        fill(tmp_path, 25, first=3 * PAGE)
        assert model.fetch_new() == 25
        # The rows moved down by as many; the selection followed its capture.
        assert model.rowCount() == 3 * PAGE + 25
        assert model.matching == 3 * PAGE + 25
        assert table.currentIndex().row() == far + 25
        assert model.summary(far + 25).id == 10
        assert model.summary(0).id == 3 * PAGE + 25
        # A page not read yet is read at its new place.
        assert loaded(qtbot, table, PAGE + 30) == 3 * PAGE + 25 - (PAGE + 30)

        # A capture not in memory is found where it is.
        found: list[int | None] = []
        model.locate(5, found.append)
        assert found == [3 * PAGE + 25 - 5]
        model.locate(10**9, found.append)
        assert found[-1] is None
        qtmodeltester.check(model)
    finally:
        db.close()


@pytest.mark.slow
def test_a_filter_with_many_matches_counts_to_a_cap_and_grows_at_the_end(
    qtbot: QtBot, tmp_path: Path
) -> None:
    total = COUNT_CAP * 3 // 2 + 30  # POSTs: two thirds of them
    fill(tmp_path, total)
    db = open_store(tmp_path)
    try:
        posts = reads.count_captures(db, CaptureQuery(method="POST"))
        assert posts > COUNT_CAP
        model = CaptureTableModel(db)
        model.set_query(CaptureQuery(method="POST"))
        table = shown(qtbot, model)
        qtbot.waitUntil(lambda: model.matching == COUNT_CAP)
        assert not model.exact
        assert model.rowCount() == COUNT_CAP
        # Reaching the end counts on: the list grows to every match.
        for _ in range(20):
            if model.exact:
                break
            table.scrollToBottom()
            loaded(qtbot, table, model.rowCount() - 1)
            qtbot.waitUntil(lambda: model.canFetchMore() or model.exact, timeout=5000)
            model.fetchMore()
        assert model.exact
        assert model.rowCount() == posts == model.matching
        oldest_post = 2  # ids start at 1; the first capture (i = 0) was a PUT
        assert loaded(qtbot, table, posts - 1) == oldest_post
        assert len(model.rows()) <= BOUND
    finally:
        db.close()


@pytest.mark.asyncio
async def test_the_window_reads_pages_off_the_gui_thread_and_says_10000_plus(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.to_thread(fill, window.engine.directory, COUNT_CAP * 3 // 2 + 30)
    page = window.captures
    threads: set[str] = set()
    list_summaries = reads.list_summaries

    def noted(db: Database, query: CaptureQuery, *args: Any) -> Any:
        threads.add(threading.current_thread().name)
        return list_summaries(db, query, *args)

    monkeypatch.setattr(reads, "list_summaries", noted)
    page.filters.method.setCurrentIndex(page.filters.method.findData("POST"))
    await wait_until(lambda: page.filters.matches.text() == f"{COUNT_CAP:,}+ matching")
    assert page.model.rowCount() == COUNT_CAP
    assert threads
    assert all(name.startswith("hookscope-reader") for name in threads)
    page.filters.method.setCurrentIndex(0)
    await wait_until(lambda: page.filters.matches.text() == f"{COUNT_CAP * 3 // 2 + 30:,} captures")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_live_list_passes_the_model_tester_while_bursts_arrive_and_it_scrolls(
    window: MainWindow, live_engine: Engine, qtmodeltester: ModelTester
) -> None:
    """Qt's model tester stays attached and checks every insert: bursts arrive in batches
    while the list follows, while it is scrolled to its end with a row selected, and under a
    filter; the rows stay newest first and the selection stays on its capture."""
    captures = window.captures
    model = captures.model
    qtmodeltester.check(model)
    assert live_engine.listener is not None
    port = live_engine.listener.port

    async def burst(prefix: str, count: int) -> None:
        def send() -> None:
            for n in range(count):
                http(port, "PUT" if n % 4 == 0 else "POST", f"/{prefix}/{n}", body=b"{}")

        await asyncio.to_thread(send)

    await burst("a", 2 * PAGE)
    await wait_until(lambda: model.rowCount() == 2 * PAGE)
    assert captures.table.verticalScrollBar().value() == 0  # following: the newest in view

    # To the end, the oldest selected: arrivals go in above and nothing moves under the user.
    captures.table.scrollToBottom()
    oldest = await _loaded(captures.table, 2 * PAGE - 1)
    captures.table.selectRow(2 * PAGE - 1)
    chosen = captures.current_id()
    assert not captures.filters.follow.isChecked()
    bottom = captures.table.verticalScrollBar().value()
    await burst("b", 60)
    await wait_until(lambda: model.rowCount() == 2 * PAGE + 60)
    assert captures.current_id() == chosen == oldest
    assert captures.table.verticalScrollBar().value() >= bottom

    # A filter: only matching arrivals come in, newest first.
    captures.filters.method.setCurrentIndex(captures.filters.method.findData("PUT"))
    await window.settle()
    before = model.rowCount()
    await burst("c", 40)
    await wait_until(lambda: model.rowCount() == before + 10)
    paths = [model.summary(row).path for row in range(10)]
    assert paths == [f"/c/{n}" for n in reversed(range(0, 40, 4))]

    # Back to the top, following again: the newest stays in view.
    captures.filters.method.setCurrentIndex(0)
    await window.settle()
    captures.filters.follow.setChecked(True)
    await burst("d", 30)
    await wait_until(lambda: model.rowCount() == 2 * PAGE + 60 + 40 + 30)
    assert captures.table.verticalScrollBar().value() == 0
    assert model.summary(0).path == "/d/29"
    ids = [model.summary(row).id for row in range(30)]
    assert ids == sorted(ids, reverse=True)


async def _loaded(table: QTableView, row: int) -> int:
    """Scroll to `row` and wait for its page (read off the GUI thread): its capture's id."""
    model = table.model()
    assert isinstance(model, CaptureTableModel)

    def there() -> bool:
        table.scrollTo(model.index(row, 0))
        return model.record(row) is not None

    await wait_until(there)
    return model.summary(row).id
