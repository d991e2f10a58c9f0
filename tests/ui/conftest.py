"""Qt tests: async tests run on a qasync loop over the one QApplication, as the app does."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


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
