"""One save model for every settings tab: drafts, unsaved markers, Save, Revert, and a
question before unsaved changes are lost; saves run without blocking the window."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.forwarding import ForwardRule
from hookscope.core.model import SendPolicy
from hookscope.core.tasks import spawn
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from hookscope.ui.notify import NOTIFY
from hookscope.ui.settings.dialog import SettingsDialog
from tests.ui.conftest import wait_until
from tests.ui.test_settings import OK, fill_rule, fill_secret

Answer = QMessageBox.StandardButton


@pytest.fixture
def gui_db(engine: Engine) -> Iterator[Database]:
    db = open_store(engine.directory)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def dialog(engine: Engine, gui_db: Database, qtbot: QtBot) -> SettingsDialog:
    shown = SettingsDialog(engine, gui_db)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def edit_rules(dialog: SettingsDialog) -> None:
    editor = dialog.rules.add_rule()
    fill_rule(editor, "/a/*", 201)
    editor.buttons.button(OK).click()


def edit_secrets(dialog: SettingsDialog) -> None:
    editor = dialog.secrets.add_kardow()
    fill_secret(editor, "s", "x" * 20)
    editor.buttons.button(OK).click()


def edit_schemes(dialog: SettingsDialog) -> None:
    editor = dialog.schemes.add_scheme()
    editor.name_edit.setText("acme")
    editor.header_edit.setText("X-Acme-Signature")
    editor.ok_button.click()


EDITS: dict[str, Callable[[SettingsDialog], object]] = {
    "Listener": lambda d: d.listener.deadline_spin.setValue(77),
    "Response rules": edit_rules,
    # The editor is checked by the engine as it is typed (tests/ui/test_forwarding_window.py).
    "Forwarding": lambda d: d.forwarding.add(ForwardRule("/app/*", "http://127.0.0.1:9/app")),
    "Secrets": edit_secrets,
    "Schemes": edit_schemes,
    "Kardow API": lambda d: d.api_keys.generate_key(),
    "Sending": lambda d: d.sending.total_spin.setValue(99),
    "Storage": lambda d: d.storage.days_spin.setValue(30),
    "Notifications": lambda d: d.notifications.notify_check.setChecked(True),
}


@pytest.mark.parametrize("title", sorted(EDITS))
def test_every_tab_marks_its_unsaved_changes_and_revert_forgets_them(
    dialog: SettingsDialog, title: str
) -> None:
    titles = [tab.TITLE for tab in dialog.all_tabs()]
    index = titles.index(title)
    assert not dialog.isWindowModified()
    assert not dialog.save_button.isEnabled()

    EDITS[title](dialog)

    assert dialog.tabs.tabText(index) == f"{title} *"
    assert [dialog.tabs.tabText(i) for i in range(len(titles)) if i != index] == [
        t for t in titles if t != title
    ]
    assert dialog.isWindowModified()
    assert dialog.save_button.isEnabled()
    assert dialog.revert_button.isEnabled()
    dialog.revert_button.click()
    assert dialog.tabs.tabText(index) == title
    assert not dialog.is_dirty()
    assert not dialog.save_button.isEnabled()


def test_an_edit_undone_by_hand_is_no_longer_unsaved(dialog: SettingsDialog) -> None:
    before = dialog.sending.total_spin.value()
    dialog.sending.total_spin.setValue(before + 1)
    assert dialog.sending.is_dirty()
    dialog.sending.total_spin.setValue(before)
    assert not dialog.sending.is_dirty()
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.sending)) == "Sending"


@pytest.mark.asyncio
async def test_close_with_an_unsaved_timeout_asks_and_cancel_keeps_it(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    dialog.sending.total_spin.setValue(42)
    dialog.close_button.click()

    box = dialog.question
    assert box is not None
    assert box.isVisible()
    assert box.text() == "Save the changes to Sending before closing?"
    assert box.windowModality() == Qt.WindowModality.NonModal  # the main window stays usable
    assert not dialog.tabs.isEnabled()  # but this dialog waits for the answer
    assert dialog.isVisible()
    dialog.reject()  # asking again raises the same question
    assert dialog.question is box

    box.button(Answer.Cancel).click()
    assert dialog.question is None
    assert dialog.isVisible()
    assert dialog.tabs.isEnabled()
    assert dialog.sending.total_spin.value() == 42
    assert settings_store.load_send_policy(gui_db) == SendPolicy()


@pytest.mark.asyncio
async def test_escape_with_unsaved_changes_asks_and_discard_forgets_them(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    dialog.sending.total_spin.setValue(42)
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    box = dialog.question
    assert box is not None
    box.button(Answer.Discard).click()
    assert not dialog.isVisible()
    assert settings_store.load_send_policy(gui_db) == SendPolicy()
    dialog.show()
    assert dialog.sending.total_spin.value() == SendPolicy().total_timeout
    assert not dialog.is_dirty()


@pytest.mark.asyncio
async def test_the_close_button_of_the_window_asks_and_save_writes_then_closes(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    dialog.sending.total_spin.setValue(42)
    edit_rules(dialog)
    dialog.close()  # the window's close button
    assert dialog.isVisible()
    box = dialog.question
    assert box is not None
    assert box.text() == "Save the changes to Response rules and Sending before closing?"
    box.button(Answer.Save).click()
    await dialog.settle()
    assert not dialog.isVisible()
    assert settings_store.load_send_policy(gui_db).total_timeout == 42
    assert [r.pattern for r in settings_store.list_rules(gui_db)] == ["/a/*"]


@pytest.mark.asyncio
async def test_a_save_that_fails_keeps_the_dialog_open_with_the_edits(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    dialog.sending.total_spin.setValue(42)
    dialog.sending.connect_spin.setValue(50)  # longer than the total: refused
    dialog.close_button.click()
    box = dialog.question
    assert box is not None
    box.button(Answer.Save).click()
    await dialog.settle()
    assert dialog.isVisible()
    assert dialog.status.text().startswith("The total timeout (42 s) must be at least")
    assert dialog.tabs.currentWidget() is dialog.sending
    assert dialog.sending.total_spin.value() == 42
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.sending)) == "Sending *"
    assert settings_store.load_send_policy(gui_db) == SendPolicy()


@pytest.mark.asyncio
async def test_nothing_is_written_when_one_tab_cannot_be_saved(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    edit_rules(dialog)
    dialog.sending.total_spin.setValue(0.5)  # shorter than the connect timeout
    assert not await dialog.save()
    assert settings_store.list_rules(gui_db) == []
    assert dialog.rules.is_dirty()


@pytest.mark.asyncio
async def test_a_save_waits_for_a_busy_store_without_blocking_the_window(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    """Another process holds the store's write lock: the save waits its turn on the busy
    timeout while the window keeps running (timers fire), then lands."""
    edit_rules(dialog)
    blocker = sqlite3.connect(engine.directory / "hookscope.db", isolation_level=None)
    ticks: list[int] = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(1))
    try:
        blocker.execute("BEGIN IMMEDIATE")
        timer.start()
        saving = spawn(dialog.save(), name="busy-save")
        await wait_until(lambda: len(ticks) >= 10, within=5)  # the GUI loop runs meanwhile
        assert not saving.done()
        assert dialog.status.text() == "Saving…"
        assert not dialog.save_button.isEnabled()
        assert not dialog.close_button.isEnabled()
        dialog.reject()  # closing waits for the save
        assert dialog.isVisible()
        blocker.execute("ROLLBACK")
        assert await asyncio.wait_for(saving, 15)
    finally:
        timer.stop()
        blocker.close()
    assert [r.pattern for r in settings_store.list_rules(gui_db)] == ["/a/*"]
    assert dialog.status.text() == "Saved."
    assert dialog.close_button.isEnabled()


@pytest.mark.asyncio
async def test_every_tab_is_saved_by_one_save(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    for edit in EDITS.values():
        edit(dialog)
    assert len(dialog.dirty_tabs()) == len(dialog.all_tabs())
    assert await dialog.save()
    assert not dialog.is_dirty()
    assert settings_store.load_listener_settings(gui_db).body_deadline == 77
    assert [(r.pattern, r.status) for r in settings_store.list_rules(gui_db)] == [("/a/*", 201)]
    assert [r.url for r in reads.list_forward_rules(gui_db)] == ["http://127.0.0.1:9/app"]
    assert len(target_store.list_api_keys(gui_db)) == 1
    assert [s.name for s in reads.list_schemes(gui_db)] == ["acme"]
    assert settings_store.load_send_policy(gui_db).total_timeout == 99
    assert settings_store.load_retention(gui_db).max_days == 30
    assert settings_store.get_setting(gui_db, NOTIFY) is True
    assert dialog.notifications.notify_check.isChecked()
