"""The settings dialog against a real engine, real sockets and a real store."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.model import Credential, ListenerSettings, ResponseRule, SendPolicy
from hookscope.core.tasks import spawn
from hookscope.engine import Engine
from hookscope.storage import credentials as credential_store
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.ui.settings.apikeys import KeyRow
from hookscope.ui.settings.checks import parse_headers
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.settings.rules import RuleEditor
from hookscope.ui.settings.secrets import SecretEditor, SecretRow
from hookscope.ui.widgets.records import RecordRole
from tests.integration.conftest import http
from tests.ui.conftest import wait_until

OK = QDialogButtonBox.StandardButton.Ok


@pytest.fixture
def gui_db(engine: Engine) -> Iterator[Database]:
    """The GUI's own connection to the engine's store."""
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


def show_tab(dialog: SettingsDialog, title: str) -> None:
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    dialog.tabs.setCurrentIndex(titles.index(title))


def open_now(dialog: SettingsDialog) -> list[QDialog]:
    """The editors and questions the dialog has open."""
    editors = (dialog.rules.rule_editor, dialog.secrets.secret_editor, dialog.api_keys.key_editor)
    return [d for d in (*editors, dialog.question) if d is not None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _post(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy from env
    request = urllib.request.Request(url, data=b'{"hello": 1}', method="POST")
    try:
        with opener.open(request, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


async def post(url: str) -> tuple[int, bytes]:
    return await asyncio.to_thread(_post, url)


def store_secret(db: Database, engine: Engine, credential: Credential) -> None:
    vault = load_vault(engine.key_file, create=True)
    assert vault is not None
    credential_store.add_credential(db, vault, credential)


def fill_rule(editor: RuleEditor, pattern: str, status: int, headers: str = "") -> None:
    editor.pattern_edit.setText(pattern)
    editor.status_spin.setValue(status)
    editor.headers_edit.setPlainText(headers)


def fill_secret(editor: SecretEditor, name: str, secret: str, api_key: str = "") -> None:
    editor.name_edit.setText(name)
    editor.secret_field.edit.setText(secret)
    editor.api_key_edit.setText(api_key)


# -- models ------------------------------------------------------------------------------------


def test_both_models_pass_the_model_tester(
    dialog: SettingsDialog, gui_db: Database, engine: Engine, qtmodeltester: ModelTester
) -> None:
    qtmodeltester.check(dialog.rules.model)
    qtmodeltester.check(dialog.secrets.model)
    settings_store.save_rule(gui_db, ResponseRule(pattern="/a/*", status=201, delay_ms=5))
    settings_store.save_rule(
        gui_db, ResponseRule(pattern="*", method="POST", body="", position=3, enabled=False)
    )
    store_secret(gui_db, engine, Credential("kardow", "prod", "k" * 32))
    store_secret(gui_db, engine, Credential("kudoz", "kz", "s3cret", "key-1", "{api_key}\n{uuid}"))
    dialog.reload()

    qtmodeltester.check(dialog.rules.model)
    qtmodeltester.check(dialog.secrets.model)
    rules = dialog.rules.model
    row = [rules.index(0, c).data() for c in range(rules.columnCount())]
    assert row == ["0", "any", "/a/*", "201", "5 ms", '{"ok": true, "capture_id": {capture_id}}']
    assert rules.index(1, 5).data() == "(empty)"
    assert rules.index(1, 1).data() == "POST"
    assert isinstance(rules.index(0, 0).data(RecordRole), ResponseRule)
    secrets = dialog.secrets.model
    assert [secrets.index(1, c).data() for c in range(4)] == [
        "kz",
        "Kudoz",
        "key-1",
        "{api_key}\\n{uuid}",
    ]
    assert secrets.index(0, 3).data() == ""
    shown = [secrets.index(r, c).data() for r in range(2) for c in range(4)]
    assert "s3cret" not in shown
    assert "k" * 32 not in shown


# -- listener ----------------------------------------------------------------------------------


def test_the_form_shows_the_effective_settings(dialog: SettingsDialog, engine: Engine) -> None:
    assert dialog.listener.host_edit.text() == "127.0.0.1"
    assert dialog.listener.port_spin.value() == 0  # the fixture's override, not the saved 8787
    assert dialog.listener.limit_spin.value() == 25.0
    assert dialog.listener.status_label.text() == f"Listening on {engine.url}"
    assert dialog.listener.overrides_label.isVisibleTo(dialog)
    assert "127.0.0.1:8787" in dialog.listener.overrides_label.text()


def test_a_host_other_machines_can_reach_is_warned_about(dialog: SettingsDialog) -> None:
    assert not dialog.listener.exposure_label.isVisibleTo(dialog)
    dialog.listener.host_edit.setText("0.0.0.0")
    assert dialog.listener.exposure_label.isVisibleTo(dialog)
    assert "other machines" in dialog.listener.exposure_label.text()
    dialog.listener.host_edit.setText("localhost")
    assert not dialog.listener.exposure_label.isVisibleTo(dialog)


@pytest.mark.asyncio
async def test_applying_a_new_port_restarts_the_listener_there_and_saves_it(
    dialog: SettingsDialog, engine: Engine
) -> None:
    changed: list[str] = []
    dialog.listener_changed.connect(changed.append)
    port = free_port()
    dialog.listener.port_spin.setValue(port)
    dialog.listener.limit_spin.setValue(1.5)
    dialog.listener.deadline_spin.setValue(45)

    assert await dialog.listener.apply_listener()

    assert changed == [f"http://127.0.0.1:{port}"]
    assert engine.url == changed[0]
    assert dialog.listener.status_label.text() == f"Listening on {changed[0]}"
    assert not dialog.listener.listener_error.isVisibleTo(dialog)
    assert not dialog.listener.overrides_label.isVisibleTo(dialog)
    status, body = await post(f"http://127.0.0.1:{port}/hooks/x")
    assert status == 200
    assert b"capture_id" in body
    with open_store(engine.directory) as fresh:
        saved = settings_store.load_listener_settings(fresh)
    # The form saves what it shows: this run's emulator is off (the fixture's override).
    assert saved == replace(
        ListenerSettings(),
        port=port,
        body_limit=int(1.5 * 1024 * 1024),
        body_deadline=45.0,
        api_port=0,
    )
    # The running listener holds bodies to the new deadline.
    assert engine.listener is not None
    assert engine.listener.settings.body_deadline == 45.0


@pytest.mark.asyncio
async def test_save_restarts_the_listener_on_the_new_port(dialog: SettingsDialog) -> None:
    changed: list[str] = []
    dialog.listener_changed.connect(changed.append)
    assert not dialog.save_button.isEnabled()  # nothing to save yet
    port = free_port()
    dialog.listener.port_spin.setValue(port)
    assert dialog.tabs.tabText(0) == "Listener *"
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    await wait_until(lambda: changed)
    assert changed == [f"http://127.0.0.1:{port}"]
    await wait_until(lambda: dialog.tabs.isEnabled())
    assert dialog.tabs.tabText(0) == "Listener"
    assert not dialog.save_button.isEnabled()
    assert dialog.status.text() == "Saved."


@pytest.mark.asyncio
async def test_a_second_save_during_a_restart_is_ignored(dialog: SettingsDialog) -> None:
    changed: list[str] = []
    dialog.listener_changed.connect(changed.append)
    dialog.listener.port_spin.setValue(free_port())
    first = spawn(dialog.save(), name="first-save")
    await asyncio.sleep(0)  # the first one is now waiting for the engine
    assert not dialog.save_button.isEnabled()
    assert not dialog.close_button.isEnabled()
    assert not dialog.tabs.isEnabled()
    assert not await dialog.save()
    assert not await dialog.listener.apply_listener()
    assert await first
    assert len(changed) == 1
    assert dialog.tabs.isEnabled()
    assert dialog.close_button.isEnabled()


@pytest.mark.asyncio
async def test_a_taken_port_is_said_in_the_dialog_and_another_can_be_tried(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    changed: list[str] = []
    dialog.listener_changed.connect(changed.append)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        dialog.listener.port_spin.setValue(port)

        assert not await dialog.listener.apply_listener()

        assert dialog.listener.listener_error.isVisibleTo(dialog)
        assert dialog.listener.listener_error.text().startswith(
            f"Cannot listen on 127.0.0.1:{port}: "
        )
        assert "settings are saved" in dialog.listener.listener_error.text()
        assert changed == [""]
        assert dialog.listener.status_label.text() == "The listener is stopped."
        assert settings_store.load_listener_settings(gui_db).port == port
        assert not dialog.listener.is_dirty()  # saved, though not listening

    dialog.listener.port_spin.setValue(free_port())
    assert await dialog.listener.apply_listener()
    assert not dialog.listener.listener_error.isVisibleTo(dialog)
    status, _ = await post(engine.url + "/again")
    assert status == 200


@pytest.mark.asyncio
async def test_an_empty_host_is_refused_before_anything_is_saved(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    dialog.listener.host_edit.setText("  ")
    assert not await dialog.listener.apply_listener()
    assert dialog.listener.listener_error.text().startswith("The host is empty")
    assert settings_store.load_listener_settings(gui_db) == ListenerSettings()


# -- response rules ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_rule_added_in_the_dialog_answers_within_seconds(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    show_tab(dialog, "Response rules")
    editor = dialog.rules.add_rule()
    assert dialog.rules.rule_editor is editor
    fill_rule(editor, "/teapot/*", 418, "Content-Type: text/plain\nX-Brewed: yes")
    editor.body_edit.setPlainText("short and stout #{capture_id}")
    editor.delay_spin.setValue(10)
    editor.buttons.button(OK).click()

    assert open_now(dialog) == []
    assert dialog.rules.model.rowCount() == 1
    assert settings_store.list_rules(gui_db) == []  # in the draft until saved
    assert dialog.tabs.tabText(1) == "Response rules *"
    assert await dialog.save()
    assert dialog.rules.current() == settings_store.list_rules(gui_db)[0]
    assert not dialog.rules.empty_label.isVisibleTo(dialog)
    replies: list[tuple[int, bytes]] = []

    async def answered() -> bool:
        replies.append(await post(engine.url + "/teapot/pot"))
        return replies[-1][0] == 418

    deadline = asyncio.get_running_loop().time() + 5
    while not await answered():
        assert asyncio.get_running_loop().time() < deadline, replies
        await asyncio.sleep(0.1)
    assert replies[-1][1].startswith(b"short and stout #")
    status, _ = await post(engine.url + "/elsewhere")
    assert status == 200


def test_invalid_rule_input_is_said_and_nothing_is_saved(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    editor = dialog.rules.add_rule()
    fill_rule(editor, "/x", 99, "Content-Type: text/plain")
    editor.buttons.button(OK).click()
    assert editor.error_label.isVisibleTo(editor)
    assert editor.error_label.text() == (
        "Status 99 is not an HTTP status a rule can answer with (200 to 599)."
    )

    fill_rule(editor, "/x", 101, "Content-Type: text/plain")
    assert not editor.submit()
    assert editor.error_label.text().startswith("Status 101 is informational")

    fill_rule(editor, "/x", 200, "Content-Type: text/plain\nno colon here")
    assert not editor.submit()
    assert editor.error_label.text() == "The header line 'no colon here' is not Name: value."

    fill_rule(editor, "/x", 200, "Content-Length: 3")
    assert not editor.submit()
    assert "leave it out" in editor.error_label.text()

    fill_rule(editor, "  ", 200)
    assert not editor.submit()
    assert editor.error_label.text().startswith("The path pattern is empty")

    assert settings_store.list_rules(gui_db) == []
    assert editor.isVisible()
    assert dialog.rules.rule_editor is editor
    editor.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert open_now(dialog) == []


def test_parse_headers_keeps_order_and_duplicates() -> None:
    assert parse_headers("A: 1\n\n  B :two: parts \nA: 3") == (
        ("A", "1"),
        ("B", "two: parts"),
        ("A", "3"),
    )
    assert parse_headers("") == ()


@pytest.mark.asyncio
async def test_a_rule_is_edited_and_removed_in_the_draft_then_saved(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    show_tab(dialog, "Response rules")
    rule_id = settings_store.save_rule(
        gui_db, ResponseRule(pattern="/k/*", method="PROPFIND", status=500, position=2)
    )
    dialog.reload()
    assert dialog.rules.edit_rule() is None  # nothing selected
    assert not dialog.rules.edit_rule_button.isEnabled()
    dialog.rules.view.selectRow(0)
    assert dialog.rules.edit_rule_button.isEnabled()

    editor = dialog.rules.edit_rule()
    assert editor is not None
    assert editor.method_combo.currentText() == "PROPFIND"
    assert editor.status_spin.value() == 500
    assert editor.position_spin.value() == 2
    assert editor.headers_edit.toPlainText() == "Content-Type: application/json"
    editor.status_spin.setValue(202)
    editor.method_combo.setCurrentIndex(0)
    editor.buttons.button(OK).click()
    assert dialog.rules.model.index(0, 3).data() == "202"
    assert dialog.rules.model.index(0, 3).data(Qt.ItemDataRole.FontRole).italic()
    assert settings_store.list_rules(gui_db)[0].status == 500
    assert await dialog.save()
    (saved,) = settings_store.list_rules(gui_db)
    assert (saved.id, saved.status, saved.method) == (rule_id, 202, None)
    assert not dialog.rules.model.index(0, 3).data(Qt.ItemDataRole.FontRole)

    dialog.rules.view.selectRow(0)
    assert dialog.rules.remove_rule() == saved
    assert dialog.rules.model.rowCount() == 0
    assert dialog.rules.empty_label.isVisibleTo(dialog)
    assert len(settings_store.list_rules(gui_db)) == 1
    assert await dialog.save()
    assert settings_store.list_rules(gui_db) == []
    assert dialog.tabs.tabText(1) == "Response rules"


def test_a_new_rule_goes_after_the_existing_ones(dialog: SettingsDialog, gui_db: Database) -> None:
    settings_store.save_rule(gui_db, ResponseRule(pattern="/a", position=4))
    dialog.reload()
    editor = dialog.rules.add_rule()
    assert editor.position_spin.value() == 5
    assert editor.pattern_edit.text() == ""
    assert editor.status_spin.value() == 200


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_kardow_secret_is_added_encrypted_revealed_and_removed(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    show_tab(dialog, "Secrets")
    plaintext = "whsec-0123456789abcdef"
    editor = dialog.secrets.add_kardow()
    assert dialog.secrets.secret_editor is editor
    assert not editor.api_key_edit.isVisibleTo(editor)
    fill_secret(editor, " staging ", plaintext)
    assert editor.secret_field.edit.echoMode() == QLineEdit.EchoMode.Password
    editor.secret_field.toggle.click()
    assert editor.secret_field.edit.echoMode() == QLineEdit.EchoMode.Normal
    assert editor.secret_field.toggle.text() == "Hide"
    editor.buttons.button(OK).click()

    assert open_now(dialog) == []
    assert credential_store.list_credentials(gui_db) == []  # in the draft until saved
    dialog.secrets.view.selectRow(0)
    assert dialog.secrets.reveal_secret()  # not saved yet: shown as typed
    assert dialog.secrets.revealed_edit.text() == plaintext
    assert await dialog.save()
    (info,) = credential_store.list_credentials(gui_db)
    assert (info.provider, info.name) == ("kardow", "staging")
    (raw,) = gui_db.execute("SELECT secret FROM credentials").fetchone()
    assert plaintext.encode() not in bytes(raw)
    dialog.secrets.view.selectRow(0)
    assert dialog.secrets.selected_secret() == SecretRow.of(info)

    assert not dialog.secrets.revealed_edit.isVisibleTo(dialog)
    dialog.secrets.reveal_button.click()
    assert dialog.secrets.revealed_edit.text() == plaintext
    assert dialog.secrets.revealed_edit.isVisibleTo(dialog)
    assert dialog.secrets.revealed_edit.isReadOnly()
    assert dialog.secrets.reveal_button.text().replace("&", "") == "Hide"
    dialog.secrets.reveal_button.click()
    assert dialog.secrets.revealed_edit.text() == ""
    assert not dialog.secrets.revealed_edit.isVisibleTo(dialog)

    dialog.secrets.reveal_button.click()
    dialog.hide()  # a revealed secret does not outlive the dialog on screen
    assert dialog.secrets.revealed_edit.text() == ""
    dialog.show()

    dialog.secrets.view.selectRow(0)
    removed = dialog.secrets.remove_secret()
    assert removed is not None
    assert removed.name == "staging"
    assert await dialog.save()
    assert credential_store.list_credentials(gui_db) == []
    assert dialog.secrets.empty_label.isVisibleTo(dialog)
    assert not dialog.secrets.reveal_button.isEnabled()


@pytest.mark.asyncio
async def test_a_duplicate_name_is_refused_with_a_sentence(
    dialog: SettingsDialog, gui_db: Database, engine: Engine
) -> None:
    first = dialog.secrets.add_kardow()
    fill_secret(first, "ci", "a" * 20)
    assert first.submit()
    second = dialog.secrets.add_kudoz()  # the same name in the draft
    fill_secret(second, "ci", "b" * 20, api_key="key")
    assert not second.submit()
    assert second.error_label.text() == "A secret named 'ci' already exists."
    second.reject()
    assert await dialog.save()
    assert len(credential_store.list_credentials(gui_db)) == 1

    # Another process stored the same name meanwhile: the engine refuses, the draft stays.
    third = dialog.secrets.add_kardow()
    fill_secret(third, "cli", "c" * 20)
    assert third.submit()
    store_secret(gui_db, engine, Credential("kardow", "cli", "d" * 20))
    assert not await dialog.save()
    assert dialog.status.text() == "A secret named 'cli' already exists."
    assert dialog.tabs.currentWidget() is dialog.secrets
    assert dialog.secrets.is_dirty()
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.secrets)) == "Secrets *"
    assert dialog.isVisible()


@pytest.mark.asyncio
async def test_a_short_kardow_secret_is_advised_against_but_stored(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    editor = dialog.secrets.add_kardow()
    fill_secret(editor, "short", "abc")
    assert "at least 16 characters" in editor.hint_label.text()
    assert editor.hint_label.isVisibleTo(editor)
    assert editor.submit()
    assert await dialog.save()
    assert [c.name for c in credential_store.list_credentials(gui_db)] == ["short"]


@pytest.mark.asyncio
async def test_kudoz_credentials_check_their_template(
    dialog: SettingsDialog, gui_db: Database, engine: Engine
) -> None:
    editor = dialog.secrets.add_kudoz()
    assert editor.api_key_edit.isVisibleTo(editor)
    fill_secret(editor, "kz", "api-secret", api_key="key-1")
    editor.template_combo.setEditText("{api_key}:{nonce}")
    editor.buttons.button(OK).click()
    assert editor.error_label.text().startswith("Unknown placeholder {nonce} in the template")
    assert "replays" in editor.hint_label.text()
    assert credential_store.list_credentials(gui_db) == []

    editor.api_key_edit.setText("has:colon")
    editor.template_combo.setEditText("{method}\\n{api_key}:{uuid}:{timestamp}")
    assert not editor.submit()
    assert editor.error_label.text() == "The API key must be non-empty and contain no colon."

    editor.api_key_edit.setText("key-1")
    assert editor.submit()
    assert await dialog.save()
    (info,) = credential_store.list_credentials(gui_db)
    assert info.template == "{method}\n{api_key}:{uuid}:{timestamp}"
    assert dialog.secrets.model.index(0, 3).data() == "{method}\\n{api_key}:{uuid}:{timestamp}"

    default = dialog.secrets.add_kudoz()
    fill_secret(default, "kz2", "other", api_key="key-2")
    assert default.submit()  # the default template is stored as "none given"
    assert await dialog.save()
    assert credential_store.list_credentials(gui_db)[1].template is None
    dialog.secrets.view.selectRow(1)
    assert dialog.secrets.reveal_secret()
    assert dialog.secrets.revealed_edit.text() == "other"
    assert dialog.secrets.revealed_label.text() == "API secret of kz2:"


def test_reveal_without_the_key_says_why(
    dialog: SettingsDialog, gui_db: Database, engine: Engine
) -> None:
    show_tab(dialog, "Secrets")
    store_secret(gui_db, engine, Credential("kardow", "lost", "x" * 20))
    dialog.reload()
    dialog.secrets.view.selectRow(0)
    engine.key_file.unlink()
    assert not dialog.secrets.reveal_secret()
    assert "is missing" in dialog.secrets.error_label.text()
    assert dialog.secrets.error_label.isVisibleTo(dialog)
    assert dialog.secrets.revealed_edit.text() == ""
    assert not dialog.secrets.reveal_button.isChecked()

    engine.key_file.write_bytes(b"not a fernet key\n")
    dialog.secrets.reveal_button.click()
    assert (
        dialog.secrets.error_label.text()
        == f"The secrets key {engine.key_file} is empty or damaged."
    )
    assert dialog.secrets.reveal_button.text().replace("&", "") == "Reveal"


def test_user_data_is_shown_as_plain_text(dialog: SettingsDialog, gui_db: Database) -> None:
    settings_store.save_rule(gui_db, ResponseRule(pattern="<b>bold</b>/*"))
    dialog.reload()
    dialog.rules.view.selectRow(0)
    dialog.rules.remove_rule()
    box = dialog.ask_to_save()
    assert box.textFormat() == Qt.TextFormat.PlainText
    box.button(QMessageBox.StandardButton.Cancel).click()
    for label in (
        dialog.listener.listener_error,
        dialog.rules.error_label,
        dialog.secrets.error_label,
        dialog.secrets.revealed_label,
        dialog.listener.status_label,
        dialog.listener.exposure_label,
        dialog.status,
    ):
        assert label.textFormat() == Qt.TextFormat.PlainText


# -- the Kardow API emulator -------------------------------------------------------------------


def _get_webhooks(port: int, key: str | None) -> int:
    headers = [("x-api-key", key)] if key else []
    return http(port, "GET", "/webhooks", headers).status


async def get_webhooks(port: int, key: str | None = None) -> int:
    return await asyncio.to_thread(_get_webhooks, port, key)


@pytest.mark.asyncio
async def test_the_api_port_restarts_the_emulator_and_zero_stops_it(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    assert dialog.listener.api_port_spin.value() == 0  # the fixture runs with the emulator off
    assert dialog.listener.api_status_label.text() == "The Kardow API emulator is off."
    changed: list[str] = []
    dialog.api_changed.connect(changed.append)
    port = free_port()
    dialog.listener.api_port_spin.setValue(port)

    assert await dialog.listener.apply_listener()

    assert engine.api_url == f"http://127.0.0.1:{port}"
    assert changed == [engine.api_url]
    assert dialog.listener.api_status_label.text() == f"Kardow API emulator on {engine.api_url}"
    assert settings_store.load_listener_settings(gui_db).api_port == port
    assert await get_webhooks(port) == 401  # no key configured yet

    dialog.listener.api_port_spin.setValue(0)
    assert await dialog.listener.apply_listener()
    assert engine.api_url == ""
    assert changed[-1] == ""
    assert dialog.listener.api_status_label.text() == "The Kardow API emulator is off."
    assert settings_store.load_listener_settings(gui_db).api_port == 0
    with pytest.raises(ConnectionRefusedError):
        await get_webhooks(port)


@pytest.mark.asyncio
async def test_a_taken_api_port_is_said_and_the_listener_still_runs(
    dialog: SettingsDialog, engine: Engine
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        dialog.listener.api_port_spin.setValue(port)

        assert not await dialog.listener.apply_listener()

    assert dialog.listener.api_error.isVisibleTo(dialog)
    assert dialog.listener.api_error.text().startswith(
        f"Cannot start the Kardow API emulator on 127.0.0.1:{port}: "
    )
    assert not dialog.listener.listener_error.isVisibleTo(dialog)
    assert engine.url
    assert engine.api_url == ""
    assert dialog.listener.api_status_label.text() == "The Kardow API emulator is stopped."
    status, _ = await post(engine.url + "/still")
    assert status == 200


@pytest.mark.asyncio
async def test_a_generated_key_is_accepted_stored_as_a_digest_and_removable(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    show_tab(dialog, "Kardow API")
    assert dialog.api_keys.empty_label.isVisibleTo(dialog)
    assert "401" in dialog.api_keys.empty_label.text()
    port = urlsplit(await asyncio.wrap_future(engine.call(engine.start_api(port=0)))).port
    assert port is not None

    key = dialog.api_keys.generate_key()

    assert key.startswith("kd_")
    assert len(key) == 3 + 32  # 24 random bytes, URL-safe base64
    assert dialog.api_keys.new_key_edit.text() == key
    assert dialog.api_keys.new_key_edit.isReadOnly()
    assert dialog.api_keys.new_key_edit.isVisibleTo(dialog)
    assert "will not be shown again" in dialog.api_keys.new_key_label.text()
    dialog.api_keys.copy_key_button.click()
    assert QGuiApplication.clipboard().text() == key
    assert target_store.list_api_keys(gui_db) == []  # accepted once saved
    assert engine.api_key_state(key) is not None
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.api_keys)) == "Kardow API *"
    assert await dialog.save()
    (info,) = target_store.list_api_keys(gui_db)
    assert info.digest == hashlib.sha256(key.encode()).hexdigest()
    assert dialog.api_keys.model.index(0, 0).data() == "…" + key[-4:]
    assert not dialog.api_keys.empty_label.isVisibleTo(dialog)
    stored = b"".join(
        path.read_bytes()
        for path in engine.directory.iterdir()
        if path.name.endswith(("db", "wal"))
    )
    assert stored
    assert key.encode() not in stored
    await wait_until(lambda: engine.api_key_state(key) is None)
    assert await get_webhooks(port, key) == 200
    assert await get_webhooks(port, "kd_wrong") == 401

    show_tab(dialog, "Sending")  # shown once: leaving the tab forgets it
    assert dialog.api_keys.new_key_edit.text() == ""
    show_tab(dialog, "Kardow API")
    assert not dialog.api_keys.new_key_edit.isVisibleTo(dialog)

    dialog.api_keys.view.selectRow(0)
    removed = dialog.api_keys.remove_key()
    assert removed is not None
    assert removed.hint == "…" + key[-4:]
    assert await dialog.save()
    assert target_store.list_api_keys(gui_db) == []
    assert dialog.api_keys.empty_label.isVisibleTo(dialog)
    await wait_until(lambda: engine.api_key_state(key) is not None)
    assert await get_webhooks(port, key) == 401


@pytest.mark.asyncio
async def test_a_pasted_key_is_checked_before_it_is_stored(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    show_tab(dialog, "Kardow API")
    editor = dialog.api_keys.add_key()
    assert dialog.api_keys.key_editor is editor
    editor.key_field.edit.setText("has a space")
    assert editor.error_label.isVisibleTo(editor)
    assert "must not contain spaces" in editor.error_label.text()
    assert not editor.submit()
    editor.key_field.edit.setText("  my-integration-key  ")
    assert not editor.error_label.isVisibleTo(editor)
    editor.buttons.button(OK).click()
    assert open_now(dialog) == []
    assert await dialog.save()
    (info,) = target_store.list_api_keys(gui_db)
    assert info.digest == hashlib.sha256(b"my-integration-key").hexdigest()
    dialog.api_keys.view.selectRow(0)
    assert dialog.api_keys.current() == KeyRow.of(info)

    again = dialog.api_keys.add_key()
    again.key_field.edit.setText("my-integration-key")
    assert not again.submit()
    assert again.error_label.text() == "This key is already accepted."
    again.reject()
    assert len(target_store.list_api_keys(gui_db)) == 1


# -- sending -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_send_policy_is_saved_and_invalid_values_are_refused(
    dialog: SettingsDialog, engine: Engine, gui_db: Database
) -> None:
    show_tab(dialog, "Sending")
    assert dialog.sending.connect_spin.value() == 5.0
    assert dialog.sending.retries_spin.value() == 0
    assert dialog.sending.response_limit_spin.value() == 64
    assert not dialog.sending.is_dirty()
    assert await dialog.sending.save() is None  # unchanged: saved as it was, exactly
    with open_store(engine.directory) as fresh:
        assert settings_store.load_send_policy(fresh) == SendPolicy()

    dialog.sending.connect_spin.setValue(2.5)
    dialog.sending.total_spin.setValue(20)
    dialog.sending.retries_spin.setValue(3)
    dialog.sending.backoff_spin.setValue(1)
    dialog.sending.max_backoff_spin.setValue(8)
    dialog.sending.jitter_spin.setValue(25)
    dialog.sending.response_limit_spin.setValue(512)
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.sending)) == "Sending *"
    assert await dialog.save()
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.sending)) == "Sending"
    expected = SendPolicy(
        connect_timeout=2.5,
        total_timeout=20.0,
        retries=3,
        backoff=1.0,
        max_backoff=8.0,
        jitter=0.25,
        response_limit=512 * 1024,
    )
    with open_store(engine.directory) as fresh:
        assert settings_store.load_send_policy(fresh) == expected
    used = engine.call(engine.send_policy()).result(10)
    assert used == expected  # what the next fire from this window uses

    dialog.sending.total_spin.setValue(1)
    assert not await dialog.save()
    assert dialog.status.text() == dialog.sending.policy_error.text()
    assert dialog.sending.policy_error.isVisibleTo(dialog)
    assert dialog.sending.policy_error.text() == (
        "The total timeout (1 s) must be at least the connect timeout (2.5 s): it includes "
        "connecting."
    )
    dialog.sending.total_spin.setValue(20)
    dialog.sending.max_backoff_spin.setValue(0.5)
    assert not await dialog.save()
    assert (
        dialog.sending.policy_error.text()
        == "The longest wait (0.5 s) must be at least the first wait (1 s)."
    )
    dialog.sending.max_backoff_spin.setValue(8)
    dialog.sending.connect_spin.setValue(0)
    assert not await dialog.save()
    assert dialog.sending.policy_error.text() == "The connect timeout must be more than 0 seconds."
    dialog.sending.connect_spin.setValue(2.5)
    dialog.sending.response_limit_spin.setValue(0)
    assert not await dialog.save()
    assert "response body limit" in dialog.sending.policy_error.text()
    assert settings_store.load_send_policy(gui_db) == expected

    dialog.reload()
    assert dialog.sending.total_spin.value() == 20
    assert dialog.sending.jitter_spin.value() == 25
    assert not dialog.sending.policy_error.isVisibleTo(dialog)
