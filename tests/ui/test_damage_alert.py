"""The window tells at once, window-modal, that the background check found the store damaged."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from hookscope.engine import Engine
from hookscope.storage import pagecheck
from hookscope.storage.db import open_store
from hookscope.ui.window import MainWindow
from tests.integration.largestore import damage_old_captures, large_store
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def damaged_engine(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A running engine on a large store with a damaged captures page."""
    damage_old_captures(large_store(data_dir, monkeypatch))
    engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest_asyncio.fixture
async def damaged_window(
    damaged_engine: Engine, data_dir: Path, qtbot: QtBot
) -> AsyncIterator[MainWindow]:
    """The window, as the app opens it, on that engine."""
    db = open_store(data_dir, check=False)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    shown = MainWindow(damaged_engine, db)
    qtbot.addWidget(shown)
    shown.show()
    try:
        yield shown
    finally:
        box = shown.damage.box
        if box is not None and shiboken6.isValid(box):  # (Qt may have deleted it already)
            box.done(0)
        await shown.settle()
        shown.bridge.detach()
        app.setQuitOnLastWindowClosed(quits)
        db.close()


@pytest.mark.asyncio
async def test_the_window_shows_the_damage_and_capture_stays_stopped(
    damaged_window: MainWindow,
) -> None:
    window = damaged_window
    engine = window.engine
    await wait_until(lambda: window.damage.box is not None and window.damage.box.isVisible())
    box = window.damage.box
    assert isinstance(box, QMessageBox)
    assert box.text() == engine.damage
    assert box.text().startswith("The store ")
    assert "is damaged (" in box.text()
    assert "Capture has stopped" in box.informativeText()
    assert box.windowModality() == Qt.WindowModality.WindowModal
    assert engine.url == ""
    assert "store is damaged" in window.statusBar().currentMessage()

    # Starting the listener again is refused with the same sentence.
    assert not await window.start_listener()
    assert window.listen_error == engine.damage
    assert engine.url == ""


@pytest.fixture
def check_gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The background check waits for this event before it starts reading."""
    gate = threading.Event()
    whole = pagecheck.whole_check

    def gated(conn: sqlite3.Connection, path: Path) -> str | None:
        assert gate.wait(30), "the test never opened the gate"
        return whole(conn, path)

    monkeypatch.setattr(pagecheck, "whole_check", gated)
    return gate


@pytest.mark.asyncio
async def test_damage_found_while_the_window_is_open_is_shown_at_once(
    check_gate: threading.Event, damaged_window: MainWindow
) -> None:
    window = damaged_window
    await wait_until(lambda: window.engine.url != "")
    assert window.damage.box is None

    check_gate.set()
    await wait_until(lambda: window.damage.box is not None and window.damage.box.isVisible())
    assert window.damage.box is not None
    assert window.damage.box.text() == window.engine.damage
    await wait_until(lambda: window.listen_state.text() == "○ Stopped")
    assert window.url.text() == "capture stopped: the store is damaged"
