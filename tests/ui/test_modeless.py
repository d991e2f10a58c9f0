"""No dialog blocks the window: Ctrl+Q, Ctrl+L and the close button work with any one open."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox

from hookscope.engine import Engine
from hookscope.storage.reads import load_send_policy
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.window import MainWindow
from tests.integration.conftest import http
from tests.ui.conftest import wait_until

Opener = Callable[[MainWindow], QDialog | None]
DIALOGS: dict[str, Opener] = {
    "settings": lambda window: (window.open_settings(), window.settings_dialog)[1],
    "welcome": lambda window: window.open_welcome(),
    "replay": lambda window: window.open_replay(),
    "bulk replay": lambda window: (window.open_replay(), window.bulk_replay_dialog)[1],
}


async def opened(window: MainWindow, engine: Engine, which: str) -> QDialog:
    if which.endswith("replay"):  # captures to replay, selected: one, or two for the bulk one
        count = 2 if which == "bulk replay" else 1
        for _ in range(count):
            http(engine.listener.port if engine.listener else 0, "POST", "/hooks/x", body=b"{}")
        await wait_until(lambda: window.captures.model.rowCount() == count)
        window.captures.table.selectRow(0)
        if count > 1:
            window.captures.table.selectAll()
    dialog = DIALOGS[which](window)
    assert dialog is not None
    await wait_until(dialog.isVisible)
    return dialog


@pytest.mark.asyncio
@pytest.mark.parametrize("which", sorted(DIALOGS))
async def test_ctrl_q_in_any_dialog_closes_the_app(
    window: MainWindow, live_engine: Engine, which: str
) -> None:
    dialog = await opened(window, live_engine, which)
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert not dialog.isModal()
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    QTest.keySequence(dialog, QKeySequence("Ctrl+Q"))

    await wait_until(lambda: closed == [True])
    assert not dialog.isVisible()


@pytest.mark.asyncio
@pytest.mark.parametrize("which", sorted(DIALOGS))
async def test_ctrl_l_in_any_dialog_stops_and_starts_the_listener(
    window: MainWindow, live_engine: Engine, which: str
) -> None:
    dialog = await opened(window, live_engine, which)
    assert live_engine.url
    QTest.keySequence(dialog, QKeySequence("Ctrl+L"))
    await wait_until(lambda: not live_engine.url)
    QTest.keySequence(dialog, QKeySequence("Ctrl+L"))
    await wait_until(lambda: bool(live_engine.url))
    await window.settle()
    dialog.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("answer", ["Cancel", "Discard", "Save"])
async def test_ctrl_q_with_unsaved_settings_asks_first(
    window: MainWindow, live_engine: Engine, answer: str
) -> None:
    settings = await opened(window, live_engine, "settings")
    assert isinstance(settings, SettingsDialog)
    settings.sending.total_spin.setValue(99)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))

    QTest.keySequence(window, QKeySequence("Ctrl+Q"))
    QTest.keySequence(window, QKeySequence("Ctrl+Q"))  # pressed again: still one question
    question = settings.question
    assert question is not None
    assert question.isVisible()
    assert window.isVisible()
    assert "Sending" in question.text()

    question.button(getattr(QMessageBox.StandardButton, answer)).click()
    if answer == "Cancel":
        await settings.settle()
        await window.settle()
        assert window.isVisible()
        assert settings.is_dirty()  # the edit is still there to save
        assert closed == []
        return
    await wait_until(lambda: closed == [True])
    saved = load_send_policy(window.db).total_timeout
    assert (saved == 99) == (answer == "Save")


@pytest.mark.asyncio
async def test_a_stop_signal_closes_without_asking(window: MainWindow, live_engine: Engine) -> None:
    settings = await opened(window, live_engine, "settings")
    assert isinstance(settings, SettingsDialog)
    settings.sending.total_spin.setValue(99)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.close_without_asking()
    assert closed == [True]
    assert settings.question is None
