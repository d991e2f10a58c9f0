"""The Schemes tab and the secrets of every scheme, against a real engine and store."""

from __future__ import annotations

import base64

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.providers.scheme import Scheme
from hookscope.engine import Engine
from hookscope.storage import credentials as credential_store
from hookscope.storage import schemes as scheme_store
from hookscope.storage import settings as settings_store
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.settings.schemes import SchemeEditor
from hookscope.ui.settings.secrets import SecretEditor
from tests.ui.conftest import wait_until

ACME = Scheme("acme", "X-Acme-Signature", prefix="sha256=")
PUBLIC_KEY = "whpk_" + base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def dialog(settings_dialog: SettingsDialog) -> SettingsDialog:
    settings_dialog.tabs.setCurrentWidget(settings_dialog.schemes)
    return settings_dialog


def fill(editor: SchemeEditor, **texts: str) -> None:
    for field, text in texts.items():
        getattr(editor, field).setText(text)


def add_secret(dialog: SettingsDialog, scheme: str, name: str, secret: str) -> SecretEditor:
    editor = dialog.secrets.add_secret(scheme)
    editor.name_edit.setText(name)
    editor.secret_field.edit.setText(secret)
    assert editor.submit(), editor.error_label.text()
    return editor


def test_the_model_passes_the_model_tester(
    dialog: SettingsDialog, gui_db: Database, qtmodeltester: ModelTester
) -> None:
    qtmodeltester.check(dialog.schemes.model)
    scheme_store.add_scheme(gui_db, ACME)
    scheme_store.add_scheme(
        gui_db, Scheme("slow", "X-Sig", signed="{timestamp}\n{body}", timestamp_header="X-T")
    )
    dialog.reload()
    qtmodeltester.check(dialog.schemes.model)
    model = dialog.schemes.model
    assert [model.index(1, c).data() for c in range(model.columnCount())] == [
        "slow",
        "X-Sig: <hex sha256>",
        "{timestamp}\\n{body}",
        "X-T (±300 s)",
        "",
    ]
    assert not dialog.schemes.empty_label.isVisibleTo(dialog)


@pytest.mark.asyncio
async def test_a_scheme_is_checked_as_typed_then_saved_and_used_by_the_engine(
    dialog: SettingsDialog, gui_db: Database, engine: Engine
) -> None:
    assert dialog.schemes.empty_label.isVisibleTo(dialog)
    editor = dialog.schemes.add_scheme()
    assert dialog.schemes.scheme_editor is editor
    assert not editor.ok_button.isEnabled()  # empty: a name is missing
    fill(editor, name_edit="acme", header_edit="X Acme")
    assert editor.error_label.text() == "The signature header 'X Acme' is not a valid header name."
    assert editor.error_label.isVisibleTo(editor)
    assert not editor.ok_button.isEnabled()
    fill(editor, header_edit="X-Acme-Signature", signed_edit="{timestamp}.{body}")
    assert editor.error_label.text() == (
        "The signed template uses {timestamp}: give a timestamp header."
    )
    assert not editor.tolerance_spin.isEnabled()
    fill(editor, timestamp_edit="X-Acme-Time", prefix_edit="sha512=")
    assert editor.tolerance_spin.isEnabled()
    editor.tolerance_spin.setValue(90)
    editor.algorithm_combo.setCurrentText("sha512")
    editor.encoding_combo.setCurrentText("base64")
    assert not editor.error_label.isVisibleTo(editor)
    assert editor.ok_button.isEnabled()
    assert editor.preview_label.text() == (
        "X-Acme-Signature: sha512=<base64 HMAC-SHA512 of {timestamp}.{body}>;"
        " time in X-Acme-Time (±90 s)"
    )
    editor.ok_button.click()
    assert dialog.schemes.scheme_editor is None
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.schemes)) == "Schemes *"
    assert scheme_store.list_schemes(gui_db) == []  # in the draft until saved

    assert await dialog.save()
    expected = Scheme(
        "acme",
        "X-Acme-Signature",
        prefix="sha512=",
        algorithm="sha512",
        encoding="base64",
        signed="{timestamp}.{body}",
        timestamp_header="X-Acme-Time",
        tolerance=90,
    )
    assert scheme_store.list_schemes(gui_db) == [expected]
    assert engine.config.schemes == [expected]  # applied at once, no reload wait

    again = dialog.schemes.add_scheme()  # a second one of the same name
    fill(again, name_edit="acme", header_edit="X-Other")
    assert again.error_label.text() == "A scheme named 'acme' already exists."
    fill(again, name_edit="kudoz")
    assert not again.ok_button.isEnabled()
    again.reject()


@pytest.mark.asyncio
async def test_editing_keeps_the_name_and_replaces_the_description(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    scheme_store.add_scheme(gui_db, ACME)
    dialog.reload()
    dialog.schemes.view.selectRow(0)
    editor = dialog.schemes.edit_scheme()
    assert editor is not None
    assert editor.name_edit.isReadOnly()
    assert editor.header_edit.text() == "X-Acme-Signature"
    fill(editor, header_edit="X-Acme-Sig-2")
    assert editor.submit()
    assert await dialog.save()
    assert scheme_store.list_schemes(gui_db) == [Scheme("acme", "X-Acme-Sig-2", prefix="sha256=")]


@pytest.mark.asyncio
async def test_a_scheme_and_its_secret_are_added_and_removed_in_one_save_each(
    dialog: SettingsDialog, gui_db: Database, engine: Engine
) -> None:
    editor = dialog.schemes.add_scheme()
    fill(editor, name_edit="acme", header_edit="X-Acme-Signature")
    editor.ok_button.click()
    secret = dialog.secrets.add_secret("acme")
    offered = [secret.scheme_combo.itemData(i) for i in range(secret.scheme_combo.count())]
    assert offered[:2] == ["kardow", "kudoz"]
    assert offered[-1] == "acme"  # a scheme of the draft, not saved yet
    secret.name_edit.setText("acme-live")
    secret.secret_field.edit.setText("acme-s3cret")
    assert secret.submit()
    assert await dialog.save()
    (info,) = credential_store.list_credentials(gui_db)
    assert (info.provider, info.name) == ("acme", "acme-live")
    assert dialog.secrets.model.index(0, 1).data() == "acme"

    # Its secret holds the scheme back, in the draft too.
    dialog.schemes.view.selectRow(0)
    assert not dialog.schemes.remove_scheme_button.isEnabled()
    assert dialog.schemes.in_use_label.text() == (
        "The secret 'acme-live' uses 'acme': remove it in the Secrets tab first."
    )
    assert dialog.schemes.remove_scheme() is None
    dialog.secrets.view.selectRow(0)
    dialog.secrets.remove_secret()
    assert dialog.schemes.remove_scheme_button.isEnabled()
    assert not dialog.schemes.in_use_label.isVisibleTo(dialog)
    assert dialog.schemes.remove_scheme() == Scheme("acme", "X-Acme-Signature")
    assert await dialog.save()
    assert credential_store.list_credentials(gui_db) == []
    assert scheme_store.list_schemes(gui_db) == []
    await wait_until(lambda: engine.config.schemes == [])


def test_a_path_override_holds_a_scheme_back(dialog: SettingsDialog, gui_db: Database) -> None:
    scheme_store.add_scheme(gui_db, ACME)
    settings_store.set_provider_path(gui_db, "/acme/*", "acme")
    dialog.reload()
    dialog.schemes.view.selectRow(0)
    assert not dialog.schemes.remove_scheme_button.isEnabled()
    assert dialog.schemes.remove_scheme_button.toolTip() == (
        "The path override '/acme/*' assumes 'acme': clear with `hookscope paths clear GLOB`."
    )


@pytest.mark.asyncio
async def test_another_process_in_between_is_said_in_one_sentence(
    dialog: SettingsDialog, gui_db: Database, engine: Engine
) -> None:
    editor = dialog.schemes.add_scheme()
    fill(editor, name_edit="acme", header_edit="X-Acme-Signature")
    editor.ok_button.click()
    scheme_store.add_scheme(gui_db, Scheme("acme", "X-Cli"))  # `hookscope schemes add` meanwhile
    assert not await dialog.save()
    assert dialog.status.text() == "A scheme named 'acme' already exists."
    assert dialog.tabs.currentWidget() is dialog.schemes
    assert dialog.schemes.is_dirty()


def test_insert_and_delete_keys(dialog: SettingsDialog, gui_db: Database, qtbot: QtBot) -> None:
    scheme_store.add_scheme(gui_db, ACME)
    dialog.reload()
    dialog.schemes.view.setFocus()
    dialog.schemes.view.selectRow(0)
    QTest.keyClick(dialog.schemes.view, Qt.Key.Key_Delete)
    assert dialog.schemes.items() == []
    QTest.keyClick(dialog.schemes.view, Qt.Key.Key_Insert)
    assert dialog.schemes.scheme_editor is not None
    dialog.schemes.scheme_editor.reject()


@pytest.mark.asyncio
async def test_secrets_of_every_built_in_scheme_take_their_own_fields(
    dialog: SettingsDialog, gui_db: Database
) -> None:
    dialog.tabs.setCurrentWidget(dialog.secrets)
    editor = dialog.secrets.add_secret("standard-webhooks")
    assert editor.public_key_edit.isVisibleTo(editor)
    assert not editor.api_key_edit.isVisibleTo(editor)
    editor.name_edit.setText("sw")
    assert not editor.submit()
    assert editor.error_label.text() == "Give the secret, the public key or both."
    editor.public_key_edit.setText("whpk_c2hvcnQ=")
    assert not editor.submit()
    assert editor.error_label.text() == (
        "The public key must be 32 bytes of base64 (ed25519); this one is 5."
    )
    editor.public_key_edit.setText(PUBLIC_KEY)
    assert editor.submit()  # a public key alone verifies v1a signatures
    editor = add_secret(dialog, "stripe", "st", "whsec_stripe")
    assert not editor.public_key_edit.isVisibleTo(editor)
    assert await dialog.save()
    stored = {c.name: (c.provider, c.api_key) for c in credential_store.list_credentials(gui_db)}
    assert stored == {"sw": ("standard-webhooks", PUBLIC_KEY), "st": ("stripe", "")}
    titles = {dialog.secrets.model.index(r, 1).data() for r in range(2)}
    assert titles == {"Standard Webhooks", "Stripe"}

    dialog.secrets.view.selectRow(0)
    assert dialog.secrets.reveal_secret()
    assert dialog.secrets.revealed_label.text() == "Public key (no secret stored) of sw:"

    switched = dialog.secrets.add_kardow()
    switched.scheme_combo.setCurrentIndex(switched.scheme_combo.findData("kudoz"))
    assert switched.api_key_edit.isVisibleTo(switched)
    assert switched.windowTitle() == "Add Kudoz credential"
    switched.reject()
