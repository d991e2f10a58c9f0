"""Qt tests: async tests run on a qasync loop over the one QApplication, as the app does."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.model import Credential
from hookscope.engine import Engine
from hookscope.storage import credentials as credential_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.window import MainWindow

SECRET = "whsec-test-0123456789"


def _qt_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication(["hookscope-tests"])
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app)
    return loop


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_this_thread() -> Iterator[None]:
    """Collect a test's cycles here, on the GUI thread, before the next test runs.

    Otherwise an automatic collection may run in an engine thread of a later test and destroy
    a Qt object there ("Timers cannot be stopped from another thread"). The app itself runs the
    collector from a GUI-thread timer (ui/app.py GarbageCollector).
    """
    yield
    gc.collect()


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    return {"qasync": _qt_loop}


async def wait_until(condition: Callable[[], object], within: float = 10.0) -> None:
    """Let the Qt and asyncio loop run until `condition()` is true; fail after `within` s."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {within} s: {condition}")
        await asyncio.sleep(0.01)


@pytest.fixture
def live_engine(data_dir: Path) -> Iterator[Engine]:
    """A running engine on a free port that knows one Kardow secret."""
    db = open_store(data_dir)
    vault = load_vault(Engine(data_dir).key_file, create=True)
    assert vault is not None
    credential_store.add_credential(db, vault, Credential("kardow", "prod", SECRET))
    db.close()
    engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def gui_db(data_dir: Path) -> Iterator[Database]:
    db = open_store(data_dir)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def settings_dialog(engine: Engine, gui_db: Database, qtbot: QtBot) -> SettingsDialog:
    """The Settings dialog on the test engine, shown (each test file picks its tab)."""
    shown = SettingsDialog(engine, gui_db)
    qtbot.addWidget(shown)
    shown.show()
    return shown


@pytest_asyncio.fixture
async def window(live_engine: Engine, gui_db: Database, qtbot: QtBot) -> AsyncIterator[MainWindow]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    # As the app runs it: closing the window does not stop the loop (the engine stops first).
    quits = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    shown = MainWindow(live_engine, gui_db)
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    await shown.settle()
    shown.bridge.detach()
    app.setQuitOnLastWindowClosed(quits)
