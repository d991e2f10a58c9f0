"""The targets panel against a real engine, the real emulator over sockets and a real store."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.targets.editor import TargetEditor
from hookscope.ui.targets.model import TargetsModel
from hookscope.ui.targets.panel import TargetsPanel
from hookscope.ui.widgets.records import RecordRole
from tests.integration.conftest import Reply, http
from tests.ui.conftest import wait_until

KEY = "kd_test-key-0123456789"
SECRET = "whsec-0123456789abcdef"
M = TargetsModel


@pytest.fixture
def gui_db(engine: Engine) -> Iterator[Database]:
    """The GUI's own connection to the engine's store."""
    db = open_store(engine.directory)
    try:
        yield db
    finally:
        db.close()


@pytest_asyncio.fixture
async def panel(engine: Engine, gui_db: Database, qtbot: QtBot) -> AsyncIterator[TargetsPanel]:
    bridge = EngineBridge(engine)  # the engine's announcements, as the window passes them on
    shown = TargetsPanel(engine, gui_db, bridge)
    qtbot.addWidget(shown)
    shown.resize(1000, 500)
    shown.show()
    yield shown
    await shown.settle()
    bridge.detach()


def fresh_targets(engine: Engine) -> list[Any]:
    """The registry as another process reads it."""
    db = open_store(engine.directory)
    try:
        return target_store.list_targets(db)
    finally:
        db.close()


async def start_emulator(engine: Engine, db: Database, key: str | None = KEY) -> int:
    """Start the emulator on a free port; with `key`, once the engine accepts it."""
    url = await asyncio.wrap_future(engine.call(engine.start_api(port=0)))
    if key is not None:
        target_store.add_api_key(db, key)
        await wait_until(lambda: engine.api_key_state(key) is None)
    return urlsplit(url).port or 0


async def api(port: int, method: str, path: str, body: Any = None, key: str | None = KEY) -> Reply:
    headers = [("x-api-key", key)] if key else []
    raw = b""
    if body is not None:
        headers.append(("Content-Type", "application/json"))
        raw = json.dumps(body).encode()
    return await asyncio.to_thread(http, port, method, path, headers, raw)


def fill(editor: TargetEditor, url: str, *, event: str = "job.created", kind: str = "webhook",
         secret: str = "") -> None:  # fmt: skip
    editor.event_combo.setCurrentIndex(editor.event_combo.findData(event))
    editor.type_combo.setCurrentIndex(editor.type_combo.findData(kind))
    editor.url_edit.setText(url)
    editor.secret_field.edit.setText(secret)


def texts(panel: TargetsPanel, column: int) -> list[str]:
    return [str(panel.model.index(row, column).data()) for row in range(panel.model.rowCount())]


# -- the model ---------------------------------------------------------------------------------


def test_the_model_passes_the_model_tester_and_reads_as_words(
    panel: TargetsPanel, gui_db: Database, qtmodeltester: ModelTester
) -> None:
    qtmodeltester.check(panel.model)
    long_url = "https://hooks.example.com/" + "very/long/path/" * 20 + "<b>end</b>"
    first, _ = target_store.register(
        gui_db, Registration("job.created", "webhook", long_url, None), None
    )
    second, _ = target_store.register(
        gui_db, Registration("*", "discord", "https://discord.com/api/webhooks/1/x"), None
    )
    target_store.set_enabled(gui_db, second.id, False)
    panel.refresh()
    qtmodeltester.check(panel.model)

    assert [panel.model.index(0, c).data() for c in range(M.CREATED)] == [
        "on",
        "job.created",
        "webhook",
        long_url,
        "no",
    ]
    assert panel.model.index(0, M.ID).data() == first.id
    assert [panel.model.index(1, c).data() for c in (M.ON, M.EVENT, M.TYPE, M.SIGNED)] == [
        "off",
        "*",
        "discord",
        "n/a",
    ]
    assert panel.model.index(1, 0).data(RecordRole).id == second.id
    grey = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert panel.model.index(1, M.URL).data(Qt.ItemDataRole.ForegroundRole) == grey
    assert panel.model.index(0, M.URL).data(Qt.ItemDataRole.ForegroundRole) is None
    # Tooltips of outside text are escaped: Qt would render it as rich text.
    tip = panel.model.index(0, M.URL).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;end&lt;/b&gt;" in tip
    assert "<b>end" not in tip
    assert "fires skip" in panel.model.index(1, M.ON).data(Qt.ItemDataRole.ToolTipRole)
    assert panel.count_label.text() == "2 targets, 1 enabled"
    assert not panel.empty_hint.isVisibleTo(panel)


def test_the_empty_state_names_the_three_ways_to_add_a_target(panel: TargetsPanel) -> None:
    assert panel.model.rowCount() == 0
    assert panel.empty_hint.isVisibleTo(panel)
    hint = panel.empty_hint.text()
    assert "Add target" in hint
    assert "hookscope targets add" in hint
    assert "POST /webhooks" in hint
    assert not panel.toggle_button.isEnabled()
    assert panel.toggle_button.toolTip() == "Select a target first."


# -- the emulator's state ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_emulator_state_and_a_missing_key_are_said(
    panel: TargetsPanel, engine: Engine, gui_db: Database
) -> None:
    assert panel.api_status.text() == "Kardow API emulator turned off (Settings > Kardow API)"
    assert not panel.copy_api_button.isEnabled()
    assert panel.key_warning.isVisibleTo(panel)
    assert "401" in panel.key_warning.text()

    port = await start_emulator(engine, gui_db, key=None)
    url = f"http://127.0.0.1:{port}"
    await wait_until(lambda: url in panel.api_status.text(), within=2)
    assert panel.api_status.text() == (
        f"Kardow API emulator: {url} — point your integration's base URL here"
    )
    panel.copy_api_button.click()
    assert QGuiApplication.clipboard().text() == url

    target_store.add_api_key(gui_db, KEY)
    await wait_until(lambda: not panel.key_warning.isVisibleTo(panel), within=2)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with pytest.raises(Exception, match="Cannot start the Kardow API emulator"):
            await asyncio.wrap_future(engine.call(engine.start_api(port=busy)))
    await wait_until(lambda: "not running" in panel.api_status.text(), within=2)
    assert panel.api_status.text().startswith(
        f"Kardow API emulator not running: Cannot start the Kardow API emulator on 127.0.0.1:{busy}"
    )


# -- adding ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_target_added_in_the_panel_is_stored_and_served_by_the_emulator(
    panel: TargetsPanel, engine: Engine, gui_db: Database
) -> None:
    port = await start_emulator(engine, gui_db)
    editor = panel.open_editor()
    assert panel.editor is editor
    assert editor.event_combo.count() == 13
    assert editor.event_combo.itemData(12) == "*"
    fill(editor, "  https://example.com/hooks/kardow  ", secret=SECRET)
    assert editor.secret_field.edit.echoMode() == editor.secret_field.edit.EchoMode.Password

    assert await editor.save()

    assert panel.editor is None
    (stored,) = fresh_targets(engine)
    assert (stored.event, stored.target_type, stored.target_url) == (
        "job.created",
        "webhook",
        "https://example.com/hooks/kardow",
    )
    assert stored.has_secret
    (raw,) = gui_db.execute("SELECT secret FROM targets").fetchone()
    assert SECRET.encode() not in bytes(raw)
    assert panel.selected_ids() == [stored.id]
    assert texts(panel, M.SIGNED) == ["yes"]
    assert "Added target" in panel.message_label.text()

    reply = await api(port, "GET", "/webhooks")
    assert reply.status == 200
    (served,) = reply.json()["data"]
    assert served["id"] == stored.id
    assert served["target_url"] == "https://example.com/hooks/kardow"
    assert served["has_secret"] is True
    assert served["is_enabled"] is True


@pytest.mark.asyncio
async def test_a_target_registered_over_http_appears_within_a_second(
    panel: TargetsPanel, engine: Engine, gui_db: Database
) -> None:
    port = await start_emulator(engine, gui_db)
    assert panel.model.rowCount() == 0
    reply = await api(
        port,
        "POST",
        "/webhooks",
        {"event": "*", "target_type": "slack", "target_url": "https://hooks.slack.com/x"},
    )
    assert reply.status == 201
    start = time.monotonic()
    await wait_until(lambda: panel.model.rowCount() == 1, within=1.0)
    assert time.monotonic() - start < 1.0
    assert texts(panel, M.URL) == ["https://hooks.slack.com/x"]
    assert texts(panel, M.ID) == [reply.json()["data"]["id"]]

    # Removed over HTTP: gone from the panel as quickly.
    deleted = await api(port, "DELETE", f"/webhooks/{reply.json()['data']['id']}")
    assert deleted.status in (200, 204)
    await wait_until(lambda: panel.model.rowCount() == 0, within=1.0)
    assert panel.empty_hint.isVisibleTo(panel)


def test_invalid_input_shows_each_fields_reason_and_saves_nothing(
    panel: TargetsPanel, engine: Engine
) -> None:
    editor = panel.open_editor()
    # An untouched empty URL is not yet a mistake.
    assert not editor.reasons["target_url"].isVisibleTo(editor)

    fill(editor, "ftp://example.com/x", secret="short")
    assert editor.reasons["target_url"].isVisibleTo(editor)
    assert editor.reasons["target_url"].text() == "URL must use http or https, not ftp."
    assert editor.reasons["secret"].text() == "Secret must be at least 16 characters (got 5)."
    assert editor.check() is None

    editor.url_edit.setText("example.com/hook")
    assert editor.reasons["target_url"].text().startswith("URL must be an absolute URI")
    editor.url_edit.setText("https://example.com/hook")
    assert not editor.reasons["target_url"].isVisibleTo(editor)
    assert editor.reasons["secret"].isVisibleTo(editor)

    editor.url_edit.setText("")
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert editor.reasons["target_url"].text() == "URL must not be empty."
    assert editor.isVisible()
    assert fresh_targets(engine) == []

    # A chat target keeps no secret: the field is off and its reason goes.
    editor.type_combo.setCurrentIndex(editor.type_combo.findData("discord"))
    assert not editor.secret_field.isEnabled()
    assert not editor.reasons["secret"].isVisibleTo(editor)
    for label in editor.reasons.values():
        assert label.textFormat() == Qt.TextFormat.PlainText
    editor.reject()
    assert panel.editor is None


@pytest.mark.asyncio
async def test_a_duplicate_says_already_registered(panel: TargetsPanel, engine: Engine) -> None:
    first = await panel.add(Registration("job.created", "webhook", "https://example.com/a"))
    editor = panel.open_editor()
    fill(editor, "https://example.com/a")
    assert editor.reasons["target_url"].text() == (
        f"Already registered: target {first.id[:8]} has this event, type and URL."
    )
    assert not await editor.save()
    fill(editor, "https://example.com/a", event="job.updated")
    assert not editor.reasons["target_url"].isVisibleTo(editor)
    editor.reject()

    # Through the panel's own method (another process may have been first): said, not doubled.
    again = await panel.add(Registration("job.created", "webhook", "https://example.com/a"))
    assert again.id == first.id
    assert panel.message_label.text().startswith("Already registered")
    assert len(fresh_targets(engine)) == 1


# -- switching and removing --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_space_disables_and_enables_and_delete_removes_after_confirmation(
    panel: TargetsPanel, engine: Engine, gui_db: Database, qtbot: QtBot
) -> None:
    port = await start_emulator(engine, gui_db)
    kept = await panel.add(Registration("job.created", "webhook", "https://example.com/kept"))
    gone = await panel.add(Registration("job.expired", "slack", "https://hooks.slack.com/gone"))
    panel.activateWindow()
    panel.table.setFocus()
    await wait_until(panel.table.hasFocus)
    panel.select_target(gone.id)

    assert panel.toggle_action.shortcut().toString() == "Space"
    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    await panel.settle()
    assert [t.is_enabled for t in fresh_targets(engine)] == [True, False]
    assert panel.selected_ids() == [gone.id]  # the selection survives the refresh
    assert panel.toggle_button.text() == "Enable"
    served = (await api(port, "GET", f"/webhooks/{gone.id}")).json()["data"]
    assert served["is_enabled"] is False

    qtbot.keyClick(panel.table, Qt.Key.Key_Space)
    await panel.settle()
    assert [t.is_enabled for t in fresh_targets(engine)] == [True, True]
    assert panel.toggle_button.text() == "Disable"

    # Both selected, one off: Space turns both on; then both off.
    await panel.set_enabled([kept.id], False)
    panel.table.selectAll()
    panel.toggle_selected()
    await panel.settle()
    assert [t.is_enabled for t in fresh_targets(engine)] == [True, True]
    panel.toggle_selected()
    await panel.settle()
    assert [t.is_enabled for t in fresh_targets(engine)] == [False, False]
    assert panel.message_label.text() == "2 targets disabled."

    panel.select_target(gone.id)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    box = panel.confirmation
    assert box is not None
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "https://hooks.slack.com/gone" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await panel.settle()
    assert len(fresh_targets(engine)) == 2
    assert panel.confirmation is None

    box = panel.ask_remove()
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    await panel.settle()
    assert [t.id for t in fresh_targets(engine)] == [kept.id]
    assert texts(panel, M.ID) == [kept.id]
    assert (await api(port, "GET", f"/webhooks/{gone.id}")).status == 404


@pytest.mark.asyncio
async def test_copy_keys_put_ids_and_urls_on_the_clipboard(panel: TargetsPanel) -> None:
    one = await panel.add(Registration("*", "webhook", "https://example.com/one"))
    two = await panel.add(Registration("*", "webhook", "https://example.com/two"))
    panel.table.selectAll()
    panel.copy_id_action.trigger()
    assert QGuiApplication.clipboard().text() == f"{one.id}\n{two.id}"
    panel.copy_url_action.trigger()
    assert QGuiApplication.clipboard().text() == "https://example.com/one\nhttps://example.com/two"
    assert panel.copy_url_action.shortcut().toString() == "Ctrl+Shift+C"
    assert panel.remove_action.shortcut().toString() == "Del"


@pytest.mark.asyncio
async def test_the_save_button_registers_and_closes_the_form(
    panel: TargetsPanel, engine: Engine
) -> None:
    editor = panel.open_editor()
    fill(editor, "https://discord.com/api/webhooks/1/abc", event="*", kind="discord")
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    await wait_until(lambda: panel.editor is None)
    await wait_until(lambda: panel.model.rowCount() == 1)
    (stored,) = fresh_targets(engine)
    assert (stored.event, stored.target_type, stored.has_secret) == ("*", "discord", False)
    assert texts(panel, M.SIGNED) == ["n/a"]


@pytest.mark.asyncio
async def test_a_target_another_process_adds_appears_when_the_engine_announces_it(
    panel: TargetsPanel, engine: Engine, gui_db: Database
) -> None:
    # Written by another connection, as `hookscope targets add` beside the app does: the engine
    # notices it through the store's data_version and announces it; the panel has no timer.
    target_store.register(gui_db, Registration("*", "webhook", "https://example.com/cli"), None)
    await wait_until(lambda: panel.model.rowCount() == 1)
    assert texts(panel, M.URL) == ["https://example.com/cli"]
    assert [timer for timer in panel.findChildren(QTimer) if timer.isActive()] == []


@pytest.mark.asyncio
async def test_right_click_offers_the_keys_actions_worded_for_the_selection(
    panel: TargetsPanel,
) -> None:
    target = await panel.add(Registration("*", "webhook", "https://example.com/one"))
    panel.select_target(target.id)
    where = panel.table.visualRect(panel.model.index(0, 0)).center()
    panel.table.customContextMenuRequested.emit(where)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    entries = [(a.text(), a.shortcut().toString()) for a in menu.actions() if not a.isSeparator()]
    assert entries == [
        ("Disable", "Space"),
        ("Copy URL", "Ctrl+Shift+C"),
        ("Copy id", "Ctrl+C"),
        ("Remove…", "Del"),
    ]
    menu.close()
    await panel.set_enabled([target.id], False)
    panel.select_target(target.id)
    assert panel.toggle_action.text() == "Enable"
    panel.table.clearSelection()
    assert not panel.remove_action.isEnabled()
