"""The Kardow API tab: the keys the emulator accepts (only digests are stored); their editor."""

from __future__ import annotations

import secrets

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core.checks import check_api_key
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage.reads import ApiKeyInfo, TargetError
from hookscope.ui.formats import local_time
from hookscope.ui.settings.common import (
    SettingsTab,
    fit_columns,
    select,
    selected,
    settings_table,
)
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import monospace, show_text
from hookscope.ui.widgets.fields import SecretField
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.records import RecordTableModel

NO_KEYS = (
    "No API key is accepted yet: every request to the emulator gets 401. Generate one, or add "
    "the key your integration already sends."
)


class ApiKeysModel(RecordTableModel[ApiKeyInfo]):
    """The emulator's accepted API keys: only their last characters and when they were added."""

    COLUMNS = ("Key", "Added")

    def _text(self, item: ApiKeyInfo, column: int) -> str:
        if column == 0:
            return item.hint
        return local_time(item.created_at, date=True)

    def _tooltip(self, item: ApiKeyInfo, column: int) -> str | None:
        if column == 0:
            return "Only the key's SHA-256 digest and its last characters are stored."
        return None


class ApiKeyEditor(QDialog):
    """Accepts one more API key for the emulator (one an integration already uses).

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        saved(str): the key was stored (its digest); the dialog then closes.

    Attributes:
        key_field: the key (hidden as typed, with a Show toggle).
        error_label: why the key cannot be accepted (hidden when it can).
        buttons: Save and Cancel.
    """

    saved = Signal(str)

    def __init__(self, db: Database, writes: SettingsWrites, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._writes = writes
        self.setWindowTitle("Add API key")
        self.setMinimumWidth(480)
        self.key_field = SecretField()
        self.key_field.edit.setFont(monospace())
        self.key_field.edit.setPlaceholderText("the x-api-key your integration sends")
        self.error_label = plain_label(tone="error")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow("API key", self.key_field)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            plain_label(
                "Requests to the emulator whose x-api-key header carries this key are accepted. "
                "Only its SHA-256 digest is stored."
            )
        )
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.key_field.edit.textChanged.connect(self._check)

    def _check(self, text: str) -> None:
        show_text(self.error_label, (check_api_key(text.strip()) or "") if text else "")

    def save(self) -> bool:
        """Check and store the key; on a problem, say it in the dialog and keep it open."""
        key = self.key_field.text().strip()
        problem = check_api_key(key)
        if problem is None and any(
            info.digest == reads.digest(key) for info in reads.list_api_keys(self._db)
        ):
            problem = "This key is already accepted."
        if problem is not None:
            show_text(self.error_label, problem)
            return False
        try:
            info = self._writes.add_api_key(key)
        except TargetError as exc:
            show_text(self.error_label, str(exc))
            return False
        except WRITE_ERRORS as exc:
            show_text(self.error_label, f"The key cannot be stored: {exc}.")
            return False
        show_text(self.error_label, "")
        self.saved.emit(info.digest)
        self.accept()
        return True


class ApiKeysTab(SettingsTab):
    """The keys the Kardow API emulator accepts: generate one, add one, remove one.

    Attributes:
        api_keys_model, api_keys_view: the keys (their last characters, when added).
        api_keys_empty: the warning shown when no key is accepted (every request gets 401).
        generate_key_button, add_key_button, remove_key_button: the actions.
        new_key_label, new_key_edit, copy_key_button: a generated key, shown once.
        api_keys_error: why the last action failed, hidden when it did not.
        key_editor: the editor open now, if any.
    """

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self.key_editor: ApiKeyEditor | None = None
        self._build()

    def _build(self) -> None:
        self.api_keys_model = ApiKeysModel(self)
        self.api_keys_view = settings_table(self.api_keys_model, stretch=1)
        self.api_keys_view.selectionModel().selectionChanged.connect(self._api_keys_selected)
        self.api_keys_empty = plain_label(NO_KEYS, tone="warning")
        self.generate_key_button = QPushButton("Generate key")
        self.generate_key_button.setToolTip("Make a new random key and accept it")
        self.generate_key_button.clicked.connect(self.generate_key)
        self.add_key_button = QPushButton("Add key…")
        self.add_key_button.setToolTip("Accept a key your integration already sends")
        self.add_key_button.clicked.connect(self.add_key)
        self.remove_key_button = QPushButton("Remove")
        self.remove_key_button.clicked.connect(self.remove_key)
        self.new_key_label = plain_label(
            "The new key. Copy it now: only its digest is stored, so it will not be shown again."
        )
        self.new_key_edit = QLineEdit()
        self.new_key_edit.setReadOnly(True)
        self.new_key_edit.setFont(monospace())
        self.copy_key_button = QPushButton("Copy")
        self.copy_key_button.clicked.connect(self.copy_new_key)
        self.api_keys_error = plain_label(tone="error")
        self.api_keys_error.hide()
        buttons = QHBoxLayout()
        for button in (self.generate_key_button, self.add_key_button, self.remove_key_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self._new_key_row = QWidget()
        shown = QVBoxLayout(self._new_key_row)
        shown.setContentsMargins(0, 0, 0, 0)
        shown.addWidget(self.new_key_label)
        key_row = QHBoxLayout()
        key_row.addWidget(self.new_key_edit, 1)
        key_row.addWidget(self.copy_key_button)
        shown.addLayout(key_row)
        self._new_key_row.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "The Kardow API emulator accepts a request when its x-api-key header carries one "
                "of these keys. Only a digest of each key is stored; this list shows their last "
                "characters. The port is set in the Listener tab."
            )
        )
        layout.addWidget(self.api_keys_view, 1)
        layout.addWidget(self.api_keys_empty)
        layout.addLayout(buttons)
        layout.addWidget(self._new_key_row)
        layout.addWidget(self.api_keys_error)

    def load(self) -> None:
        self.api_keys_model.set_rows(reads.list_api_keys(self._db))
        fit_columns(self.api_keys_view)
        self.api_keys_empty.setVisible(self.api_keys_model.rowCount() == 0)
        self._api_keys_selected()

    def selected_api_key(self) -> ApiKeyInfo | None:
        return selected(self.api_keys_view, self.api_keys_model)

    def _api_keys_selected(self) -> None:
        why = None if self.selected_api_key() else "Select a key first."
        self.remove_key_button.setEnabled(why is None)
        self.remove_key_button.setToolTip(why or "Stop accepting this key")

    def generate_key(self) -> str:
        """Make a random key, accept it, and show it once; "" (and why) if it cannot be stored."""
        key = "kd_" + secrets.token_urlsafe(24)
        try:
            info = self._writes.add_api_key(key)
        except (TargetError, *WRITE_ERRORS) as exc:
            show_text(self.api_keys_error, f"The key cannot be stored: {exc}")
            return ""
        show_text(self.api_keys_error, "")
        self.load()
        select(self.api_keys_view, self.api_keys_model, lambda k: k.digest == info.digest)
        self.new_key_edit.setText(key)
        self.new_key_edit.setCursorPosition(0)
        self._new_key_row.show()
        return key

    def copy_new_key(self) -> None:
        if self.new_key_edit.text():
            QGuiApplication.clipboard().setText(self.new_key_edit.text())

    def hide_new_key(self) -> None:
        self.new_key_edit.clear()
        self._new_key_row.hide()

    def add_key(self) -> ApiKeyEditor:
        editor = ApiKeyEditor(self._db, self._writes, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._key_saved)
        editor.finished.connect(self._key_editor_closed)
        self.key_editor = editor
        show_text(self.api_keys_error, "")
        self.hide_new_key()
        editor.open()
        return editor

    def _key_saved(self, key_digest: str) -> None:
        self.load()
        select(self.api_keys_view, self.api_keys_model, lambda k: k.digest == key_digest)

    def _key_editor_closed(self) -> None:
        self.key_editor = None

    def remove_key(self) -> QMessageBox | None:
        info = self.selected_api_key()
        if info is None:
            return None
        key_digest = info.digest
        self.hide_new_key()
        return self._confirm_removal(
            "Remove API key",
            f"Stop accepting the key ending {info.hint}? Integrations that send it will get 401.",
            remove=lambda: self._writes.remove_api_key(key_digest),
            what="The key",
            gone="That key was already removed.",
            error_label=self.api_keys_error,
            reload=self.load,
        )
