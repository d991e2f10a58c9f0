"""Captures retention deletes leave the window's list, and the count in the bar follows."""

from __future__ import annotations

import asyncio

import pytest

from hookscope.core.model import RetentionPolicy
from hookscope.engine import Engine
from hookscope.ui.captures.model import CaptureTableModel as C
from hookscope.ui.window import MainWindow
from tests.integration.conftest import http, listener_port
from tests.ui.conftest import wait_until


@pytest.mark.asyncio
async def test_pruned_captures_leave_the_list(window: MainWindow, live_engine: Engine) -> None:
    def burst() -> None:
        for n in range(30):
            assert http(listener_port(live_engine), "POST", f"/n/{n}", body=b"{}").status == 200

    await asyncio.to_thread(burst)
    await wait_until(lambda: window.captures.model.rowCount() == 30)
    forgotten: list[int] = []
    window.captures.model.rowsRemoved.connect(lambda _p, first, last: forgotten.append(last))

    await asyncio.wrap_future(
        live_engine.call(live_engine.save_retention(RetentionPolicy(max_captures=12)))
    )

    await wait_until(lambda: window.captures.model.rowCount() == 12, within=20)
    paths = [
        str(window.captures.model.index(row, C.PATH).data())
        for row in range(window.captures.model.rowCount())
    ]
    assert paths == [f"/n/{n}" for n in reversed(range(18, 30))]
    assert window.captures.total == 12
    assert forgotten  # removed as rows, not by reading the list again
    await wait_until(lambda: "12 captured" in window.stats.text())
