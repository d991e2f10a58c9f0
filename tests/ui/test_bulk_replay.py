"""The bulk replay dialog, opened from the window with several captures selected."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from shiboken6 import Shiboken

from hookscope.core.fire import REPLAY_HEADER
from hookscope.core.sending import BulkResult
from hookscope.engine import Engine
from hookscope.ui.compose.bulkreplay import BulkReplayDialog
from hookscope.ui.compose.replay import ReplayDialog, forget_last_url
from hookscope.ui.window import MainWindow
from tests.integration.receiver import Received, Receiver, running_receiver
from tests.ui.conftest import wait_until
from tests.ui.test_composer import app_palette, dark_palette, shoot, shots_dir
from tests.ui.test_window import post

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def _fresh_session() -> Iterator[None]:
    forget_last_url()
    yield
    forget_last_url()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


async def captured(window: MainWindow, engine: Engine, count: int) -> list[int]:
    """`count` deliveries to the window's listener, shown in its list; their ids, oldest first."""
    for n in range(count):
        await post(engine, f"/in/{n}", f'{{"n": {n}}}'.encode())
    await wait_until(lambda: window.captures.model.rowCount() == count)
    return sorted(window.captures.model.summary(row).id for row in range(count))


@pytest_asyncio.fixture
async def opened(
    window: MainWindow, live_engine: Engine
) -> AsyncIterator[tuple[BulkReplayDialog, list[int]]]:
    """Three captures selected in the list, and Send > Replay selected triggered."""
    ids = await captured(window, live_engine, 3)
    window.captures.table.selectAll()
    window.replay_action.trigger()
    dialog = window.bulk_replay_dialog
    assert dialog is not None
    await wait_until(dialog.isVisible)
    yield dialog, ids
    if Shiboken.isValid(dialog):  # a test may have opened another in its place
        await dialog.settle()
        dialog.close()


def replayed(receiver: Receiver) -> list[int]:
    return [int(r.header(REPLAY_HEADER) or 0) for r in receiver.received]


async def finished(dialog: BulkReplayDialog) -> BulkResult:
    await wait_until(lambda: dialog.last_result is not None and not dialog.running, within=30)
    assert dialog.last_result is not None
    return dialog.last_result


async def test_several_selected_open_the_bulk_dialog_and_start_sends_them_in_order(
    window: MainWindow,
    opened: tuple[BulkReplayDialog, list[int]],
    receiver: Receiver,
    qtbot: QtBot,
) -> None:
    dialog, ids = opened
    assert window.replay_dialog is None  # not the single replay dialog
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert dialog.capture_ids == ids
    assert dialog.progress_bar.format() == "0 of 3 sent"
    assert dialog.url_edit.text() == window.engine.url + "/in/0"
    assert not dialog.cancel_button.isEnabled()
    dialog.url_edit.setText(receiver.url("/ok/bulk"))

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    result = await finished(dialog)

    assert replayed(receiver) == ids
    assert result.summary == "3 delivered, 0 failed"
    assert dialog.progress_bar.format() == "3 of 3 sent"
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum() == 3
    assert [dialog.model.item(row).capture_id for row in range(3)] == ids
    assert dialog.model.index(0, 1).data() == "✓ delivered (200)"
    assert dialog.status_label.text() == (
        "Done: 3 delivered, 0 failed. Every attempt is in the Deliveries tab (Ctrl+4)."
    )
    assert dialog.start_button.isEnabled()
    await wait_until(
        lambda: "every attempt is in Deliveries" in window.statusBar().currentMessage()
    )
    assert window.statusBar().currentMessage().startswith("3 delivered;")


@pytest.mark.parametrize("how", ["the Cancel button", "closing the dialog"])
async def test_cancel_stops_the_run_after_the_replay_in_flight(
    opened: tuple[BulkReplayDialog, list[int]], receiver: Receiver, qtbot: QtBot, how: str
) -> None:
    dialog, ids = opened
    release = threading.Event()

    async def hold(_: Received) -> None:
        if len(receiver.received) == 2:
            await asyncio.to_thread(release.wait, 20)

    receiver.hold = hold
    dialog.url_edit.setText(receiver.url("/ok/cancel"))
    dialog.start_button.click()
    await wait_until(lambda: len(receiver.received) == 2)
    # The first's outcome reaches the window from the engine's loop: wait for it, not assume.
    await wait_until(lambda: dialog.progress_bar.format() == "1 of 3 sent")
    assert dialog.cancel_button.isEnabled()
    assert not dialog.url_edit.isEnabled()

    if how == "the Cancel button":
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    else:
        dialog.close()  # closed while running: no replay goes on starting unseen
    assert dialog.status_label.text().startswith("Cancelling")
    release.set()
    result = await finished(dialog)

    assert result.cancelled
    assert replayed(receiver) == ids[:2]
    assert dialog.progress_bar.format() == "2 of 3 sent"
    assert dialog.status_label.text().startswith(
        "Cancelled: 2 delivered, 0 failed, 1 not sent (cancelled)."
    )
    assert dialog.model.rowCount() == 2


async def test_refusals_are_one_sentence(
    window: MainWindow, live_engine: Engine, receiver: Receiver
) -> None:
    (capture_id,) = await captured(window, live_engine, 1)
    dialog = window.open_bulk_replay([capture_id, 99999])
    try:
        assert "1 of them no longer exist" in dialog.about_label.text()
        dialog.url_edit.setText("")
        assert await dialog.start() is None
        assert dialog.status_label.text() == "Enter the URL to send the replays to."
        dialog.url_edit.setText(receiver.url("/ok"))
        assert await dialog.start() is None
        assert dialog.status_label.text() == "There is no capture 99999."
        assert dialog.start_button.isEnabled()
        assert receiver.received == []
        assert dialog.concurrency_spin.maximum() == 32
        assert dialog.concurrency_spin.minimum() == 1
    finally:
        dialog.close()


async def test_one_selected_still_opens_the_single_replay_dialog(
    window: MainWindow, live_engine: Engine
) -> None:
    await captured(window, live_engine, 2)
    window.captures.table.selectRow(0)
    dialog = window.open_replay()
    assert isinstance(dialog, ReplayDialog)
    assert window.bulk_replay_dialog is None
    dialog.close()


async def test_the_url_used_is_offered_next(
    window: MainWindow, opened: tuple[BulkReplayDialog, list[int]], receiver: Receiver
) -> None:
    dialog, ids = opened
    dialog.url_edit.setText(receiver.url("/ok/remembered"))
    assert await dialog.start() is not None
    later = window.open_bulk_replay(ids[:2])
    assert later is not dialog
    assert later.url_edit.text() == receiver.url("/ok/remembered")
    later.close()


@pytest.mark.slow
async def test_renders_readably_mid_run_in_light_and_dark(
    window: MainWindow, live_engine: Engine, receiver: Receiver, tmp_path: Path
) -> None:
    """Saves PNGs to look at (set HOOKSCOPE_SHOTS=/tmp/hookscope-shots to keep them)."""
    out = shots_dir(tmp_path)
    ids = await captured(window, live_engine, 20)
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        receiver.received.clear()
        release = threading.Event()

        async def hold(_: Received, release: threading.Event = release) -> None:
            count = len(receiver.received)
            if count == 4:
                raise RuntimeError("a receiver failing one request")  # answered 500
            if count >= 9:
                await asyncio.to_thread(release.wait, 20)

        receiver.hold = hold
        with app_palette(palette):
            dialog = window.open_bulk_replay(ids)
            dialog.url_edit.setText(receiver.url("/ok/" + "long-path/" * 12))
            dialog.concurrency_spin.setValue(2)
            shoot(dialog, out / f"bulk-replay-ready-{name}.png")
            dialog.start_button.click()
            await wait_until(lambda d=dialog: d.progress_bar.value() == 8)
            assert dialog.progress_bar.format() == "8 of 20 sent, 1 failed"
            shoot(dialog, out / f"bulk-replay-running-{name}.png")
            release.set()
            result = await finished(dialog)
            assert result.summary == "19 delivered, 1 failed"
            shoot(dialog, out / f"bulk-replay-done-{name}.png")
            dialog.close()
    assert len(list(out.glob("bulk-replay-*.png"))) == 6
