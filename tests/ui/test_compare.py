"""Compare two captures in the window: select two rows, Ctrl+D, read what differs."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from hookscope.core.contentviews import Cancelled, Superseded
from hookscope.core.diff import CaptureDiff
from hookscope.engine import Engine
from hookscope.ui.captures.compare import CompareDialog
from hookscope.ui.window import MainWindow
from tests.ui.conftest import wait_until
from tests.ui.test_window import kardow_body, post, signed


def select_rows(window: MainWindow, *rows: int) -> None:
    table = window.captures.table
    table.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        table.selectionModel().select(window.captures.model.index(row, 0), flags)


async def compared(dialog: CompareDialog) -> None:
    done = asyncio.get_running_loop().create_future()
    dialog.compared.connect(lambda: done.done() or done.set_result(None))
    await asyncio.wait_for(done, 10)


@pytest.mark.asyncio
async def test_two_selected_captures_open_compare_with_what_differs(
    window: MainWindow, live_engine: Engine
) -> None:
    first = kardow_body("job.updated", id=981, title="Welder", salary=3600)
    second = kardow_body("job.updated", id=981, title="Welder (night shift)", salary="3900")
    await post(live_engine, "/hooks/kardow", first, signed(first))
    await post(live_engine, "/hooks/kardow", second, signed(second, "not-the-secret"))
    await wait_until(lambda: window.captures.model.rowCount() == 2)
    select_rows(window, 0, 1)
    window.captures.table.setFocus()

    QTest.keySequence(window, QKeySequence("Ctrl+D"))

    dialog = window.captures.compare_dialog
    assert dialog is not None
    if dialog.comparison is None:
        await compared(dialog)
    assert dialog.isVisible()
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    result = dialog.comparison
    assert result is not None
    newest = window.captures.model.summary(0).id
    assert (result.a.id, result.b.id) == (newest - 1, newest)  # the older is A
    assert dialog.summary.text() == "The requests differ in 2 headers and the body."
    a_card, b_card = dialog.cards
    assert a_card.title.text() == f"A  #{newest - 1}"
    assert a_card.request_line.text() == "POST /hooks/kardow HTTP/1.1"
    assert (a_card.badge.word, b_card.badge.word) == ("verified", "failed")
    text = dialog.view.toPlainText()
    assert "data.title" in text
    assert '"Welder (night shift)"' in text
    assert "data.salary" in text
    assert "(number → string)" in text
    assert "X-Kardow-Signature" in text

    # Swap compares again with B first.
    dialog.swap_button.click()
    await compared(dialog)
    assert dialog.comparison is not None
    assert dialog.comparison.a.id == newest

    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    await wait_until(lambda: not dialog.isVisible())


@pytest.mark.asyncio
async def test_gzip_and_identical_captures(window: MainWindow, live_engine: Engine) -> None:
    body = gzip.compress(json.dumps({"event": "job.created", "data": {"id": 1}}).encode(), mtime=0)
    headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    for _ in range(2):
        await post(live_engine, "/hooks/gz", body, headers)
    await wait_until(lambda: window.captures.model.rowCount() == 2)
    select_rows(window, 0, 1)
    dialog = window.captures.compare_selected()
    assert dialog is not None
    await compared(dialog)
    assert dialog.summary.text() == "The two requests are identical."
    assert "Nothing differs" in dialog.view.toPlainText()


@pytest.mark.asyncio
async def test_compare_needs_exactly_two_captures(window: MainWindow, live_engine: Engine) -> None:
    for n in range(3):
        await post(live_engine, f"/hooks/{n}", b"{}")
    await wait_until(lambda: window.captures.model.rowCount() == 3)
    newest = window.captures.model.summary(0).id

    select_rows(window)
    window.compare_action.trigger()
    assert window.statusBar().currentMessage() == (
        "Select two captures to compare (Ctrl+click adds the second)."
    )
    select_rows(window, 0)
    window.compare_action.trigger()
    assert window.statusBar().currentMessage() == (
        f"Select one more capture to compare with #{newest} (Ctrl+click adds it)."
    )
    select_rows(window, 0, 1, 2)
    window.compare_action.trigger()
    assert window.statusBar().currentMessage() == (
        "Select exactly two captures to compare; 3 are selected."
    )
    assert window.captures.compare_dialog is None


@pytest.mark.asyncio
async def test_cancel_stops_a_long_comparison(qtbot: QtBot) -> None:
    started = threading.Event()

    def slow(a_id: int, b_id: int, cancelled: Cancelled) -> CaptureDiff:
        started.set()
        deadline = time.monotonic() + 10
        while not cancelled():
            if time.monotonic() > deadline:
                raise AssertionError("never cancelled")
            time.sleep(0.01)
        raise Superseded

    dialog = CompareDialog(slow)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start(1, 2)
    assert dialog.progress.isVisible()
    assert dialog.cancel_button.isVisible()
    await asyncio.to_thread(started.wait, 10)
    said: list[str] = []
    dialog.compared.connect(lambda: said.append(dialog.status.text()))
    dialog.cancel_button.click()
    assert said == ["Comparison cancelled."]  # at once, not when the work notices
    assert not dialog.progress.isVisible()
    assert dialog.comparison is None
    await dialog.settle()  # the work stopped: it looks at `cancelled()` as it goes
    assert said == ["Comparison cancelled."]


@pytest.mark.asyncio
async def test_a_deleted_capture_is_one_sentence(window: MainWindow, live_engine: Engine) -> None:
    for n in range(2):
        await post(live_engine, f"/hooks/{n}", b"{}")
    await wait_until(lambda: window.captures.model.rowCount() == 2)
    newest = window.captures.model.summary(0).id
    await window.client.delete_captures([newest])
    select_rows(window, 0, 1)
    dialog = window.captures.compare_selected()
    assert dialog is not None
    await compared(dialog)
    assert dialog.status.text() == f"Capture #{newest} is no longer in the store."
    assert dialog.comparison is None
