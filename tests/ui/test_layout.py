"""The capture list's columns at the sizes people use: a path shown whole at 1280 px, the
verdict and our answer never scrolled away at 1000 px; badges that stay pills."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt

from hookscope.engine import Engine
from hookscope.ui.captures.model import CaptureTableModel as C
from hookscope.ui.window import MainWindow
from tests.ui.conftest import wait_until
from tests.ui.test_window import kardow_body, post, signed

PATH = "/kardow/webhooks/tenant/499"


async def shown_at(window: MainWindow, engine: Engine, width: int, height: int) -> None:
    window.resize(width, height)
    body = kardow_body("candidate.applied")
    await post(engine, PATH, body, signed(body, "an-old-secret"))  # a failed verdict
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    await wait_until(lambda: window.width() == width)
    await asyncio.sleep(0.05)  # laid out; never processEvents() inside qasync's loop


def right_edge(window: MainWindow, column: int) -> int:
    header = window.captures.table.horizontalHeader()
    return header.sectionViewportPosition(column) + header.sectionSize(column)


@pytest.mark.asyncio
async def test_a_typical_path_is_shown_whole_at_1280(
    window: MainWindow, live_engine: Engine
) -> None:
    await shown_at(window, live_engine, 1280, 760)
    table = window.captures.table
    text = window.captures.model.index(0, C.PATH).data()
    assert text == PATH
    # The cell's text is elided only when it is wider than the cell less its margins.
    needed = table.fontMetrics().horizontalAdvance(text) + 12
    assert table.horizontalHeader().sectionSize(C.PATH) >= needed
    elided = table.fontMetrics().elidedText(
        text, Qt.TextElideMode.ElideMiddle, table.horizontalHeader().sectionSize(C.PATH) - 12
    )
    assert elided == PATH
    assert right_edge(window, C.STATUS) <= table.viewport().width()


@pytest.mark.asyncio
async def test_verdict_and_status_stay_in_view_at_1000(
    window: MainWindow, live_engine: Engine
) -> None:
    await shown_at(window, live_engine, 1000, 700)
    table = window.captures.table
    header = table.horizontalHeader()
    assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll to
    for column in (C.VERDICT, C.STATUS):
        assert header.sectionViewportPosition(column) >= 0
        assert right_edge(window, column) <= table.viewport().width()
    # Every word shown in the fixed columns fits: sized to their contents, not guessed.
    for column in (C.TIME, C.METHOD, C.VERDICT, C.STATUS):
        text = str(window.captures.model.index(0, column).data())
        assert header.sectionSize(column) >= table.fontMetrics().horizontalAdvance(text) + 8


@pytest.mark.asyncio
async def test_the_failed_badge_stays_a_pill_beside_a_long_explanation(
    window: MainWindow, live_engine: Engine
) -> None:
    await shown_at(window, live_engine, 1000, 700)
    window.captures.table.selectRow(0)
    detail = window.captures.detail
    detail.setCurrentIndex(0)
    await wait_until(lambda: detail.overview_badge.word == "failed")
    await asyncio.sleep(0.05)  # laid out; never processEvents() inside qasync's loop
    badge, explanation = detail.overview_badge, detail.overview_verdict
    assert explanation.height() > 3 * explanation.fontMetrics().lineSpacing()  # it wraps
    # As tall and wide as its word needs, like every other badge: not the explanation's height.
    assert badge.height() == badge.sizeHint().height()
    assert badge.width() == badge.sizeHint().width()
    assert badge.height() < 2 * badge.fontMetrics().lineSpacing()
