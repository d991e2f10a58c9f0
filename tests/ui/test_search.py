"""Typing in the window's search field: pieces of words, decoded JSON, field filters, mistakes."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hookscope.core.search import UNCLOSED
from hookscope.engine import Engine
from hookscope.ui.captures.model import CaptureTableModel as C
from hookscope.ui.window import MainWindow
from tests.ui.conftest import wait_until
from tests.ui.test_window import post, rows


def retype(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Select what the search field holds and type `text` over it, key by key."""
    field = window.captures.filters.search
    field.selectAll()
    for char in text:
        if char.isascii():
            qtbot.keyClicks(field, char)
        else:  # QTest types ASCII only: send the key event a keyboard layout would
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
                QApplication.sendEvent(field, event)


@pytest.mark.asyncio
async def test_typing_a_search_finds_pieces_of_words_decoded_json_and_fields(
    window: MainWindow, live_engine: Engine, qtbot: QtBot
) -> None:
    active = json.dumps({"data": {"status": "active", "note": "café"}}).encode()
    assert b"\\u00e9" in active
    await post(live_engine, "/hooks/a", active)
    await post(live_engine, "/cities/munich", json.dumps({"data": {"status": "off"}}).encode())
    await post(live_engine, "/hooks/c", b"data.status:active is only text here")
    await wait_until(lambda: window.captures.model.rowCount() == 3)
    filters = window.captures.filters
    window.find_action.trigger()

    retype(qtbot, window, "nich")
    await wait_until(lambda: rows(window, C.PATH) == ["/cities/munich"])
    await wait_until(lambda: filters.matches.text() == "1 matching")

    retype(qtbot, window, "é")
    await wait_until(lambda: rows(window, C.PATH) == ["/hooks/a"])

    retype(qtbot, window, "data.status:off")
    await wait_until(lambda: rows(window, C.PATH) == ["/cities/munich"])
    retype(qtbot, window, "data.status:active")
    await wait_until(lambda: rows(window, C.PATH) == ["/hooks/a"])

    # An open quote is said at once, and the search in force stays (Return does not apply it).
    retype(qtbot, window, '"data.status:active')
    assert filters.problem.isVisible()
    assert filters.problem.text() == UNCLOSED
    qtbot.keyClick(filters.search, Qt.Key.Key_Return)
    assert filters.query().search == "data.status:active"
    assert rows(window, C.PATH) == ["/hooks/a"]

    qtbot.keyClicks(filters.search, '"')  # closed: the quoted words are text
    await wait_until(lambda: rows(window, C.PATH) == ["/hooks/c"])
    assert not filters.problem.isVisible()

    window.clear_filters_action.trigger()
    await window.settle()
    assert window.captures.model.rowCount() == 3
    assert filters.search.text() == ""


def test_the_search_field_says_how_to_search(window: MainWindow) -> None:
    field = window.captures.filters.search
    assert "field:value" in field.placeholderText()
    assert "data.status:active" in field.placeholderText()
    assert "items[0].id:7" in field.toolTip()
    assert "Munich" in field.toolTip()
