"""The Kardow API tab: the keys the emulator accepts (only digests are stored); their editor."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
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
from hookscope.ui.settings.drafts import DraftModel, ListTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import monospace, show_text
from hookscope.ui.widgets.fields import SecretField
from hookscope.ui.widgets.labels import plain_label

NO_KEYS = (
    "No API key is accepted yet: every request to the emulator gets 401. Generate one, or add "
    "the key your integration already sends."
)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """A row of the Kardow API tab: an accepted key (its digest and last characters), or one
    added in the draft (with the key itself, until Save stores its digest)."""

    digest: str
    hint: str
    created_at: datetime | None = None
    key: str | None = field(default=None, repr=False)  # never in a log or a traceback

    @classmethod
    def of(cls, info: ApiKeyInfo) -> KeyRow:
        return cls(info.digest, info.hint, info.created_at)

    @classmethod
    def new(cls, key: str) -> KeyRow:
        return cls(reads.digest(key), "…" + key[-4:] if len(key) > 8 else "…", key=key)


class ApiKeysModel(DraftModel[KeyRow]):
    """The emulator's accepted API keys: only their last characters and when they were added."""

    COLUMNS = ("Key", "Added")

    def _text(self, item: KeyRow, column: int) -> str:
        if column == 0:
            return item.hint
        return "" if item.created_at is None else local_time(item.created_at, date=True)

    def _tooltip(self, item: KeyRow, column: int) -> str | None:
        if column == 0:
            return "Only the key's SHA-256 digest and its last characters are stored."
        return None


class ApiKeyEditor(QDialog):
    """Adds one more API key for the emulator (one an integration already uses) to the draft.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        chosen(str): the key; the editor then closes.

    Attributes:
        key_field: the key (hidden as typed, with a Show toggle).
        error_label: why the key cannot be accepted (hidden when it can).
        buttons: OK and Cancel.
    """

    chosen = Signal(str)

    def __init__(self, taken: Collection[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._taken = taken
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
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
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

    def submit(self) -> bool:
        """Check the key and hand it to the draft; on a problem, say it and stay open."""
        key = self.key_field.text().strip()
        problem = check_api_key(key)
        if problem is None and reads.digest(key) in self._taken:
            problem = "This key is already accepted."
        if problem is not None:
            show_text(self.error_label, problem)
            return False
        show_text(self.error_label, "")
        self.chosen.emit(key)
        self.accept()
        return True


class ApiKeysTab(ListTab[KeyRow]):
    """The keys the Kardow API emulator accepts: generate, add, remove; in the draft until Save.

    Attributes:
        generate_key_button, add_key_button, remove_key_button: the actions.
        new_key_label, new_key_edit, copy_key_button: a generated key, shown once.
        key_editor: the editor open now, if any.
    """

    TITLE = "Kardow API"
    NOUN = "The key"
    EMPTY = NO_KEYS
    EMPTY_TONE = "warning"
    STRETCH = 1
    ERRORS = (TargetError, *WRITE_ERRORS)

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, ApiKeysModel(), parent)
        self.key_editor: ApiKeyEditor | None = None
        self.generate_key_button = QPushButton("&Generate key")
        self.generate_key_button.setToolTip("Make a new random key to accept")
        self.generate_key_button.clicked.connect(self.generate_key)
        self.add_key_button = QPushButton("&Add key…")
        self.add_key_button.setToolTip("Accept a key your integration already sends")
        self.add_key_button.clicked.connect(self.add_key)
        self.remove_key_button = QPushButton("Re&move")
        self.remove_key_button.clicked.connect(self.remove_key)
        self.add_buttons(self.generate_key_button, self.add_key_button, self.remove_key_button)
        self.new_key_label = plain_label(
            "The new key. Copy it now: once saved, only its digest is kept, so it will not be "
            "shown again."
        )
        self.new_key_edit = QLineEdit()
        self.new_key_edit.setReadOnly(True)
        self.new_key_edit.setFont(monospace())
        self.copy_key_button = QPushButton("&Copy")
        self.copy_key_button.clicked.connect(self.copy_new_key)
        self._new_key_row = QWidget()
        shown = QVBoxLayout(self._new_key_row)
        shown.setContentsMargins(0, 0, 0, 0)
        shown.addWidget(self.new_key_label)
        key_row = QHBoxLayout()
        key_row.addWidget(self.new_key_edit, 1)
        key_row.addWidget(self.copy_key_button)
        shown.addLayout(key_row)
        self._new_key_row.hide()
        self.extra.addWidget(self._new_key_row)

    def intro(self) -> str:
        return (
            "The Kardow API emulator accepts a request when its x-api-key header carries "
            "one of these keys. Only a digest of each key is stored; this list shows their last "
            "characters. The port is set in the Listener tab."
        )

    def _stored(self) -> list[KeyRow]:
        return [KeyRow.of(info) for info in reads.list_api_keys(self._db)]

    async def _write(self, item: KeyRow, saved: KeyRow | None) -> KeyRow:
        if item.key is None:
            return item
        return KeyRow.of(await self._writes.add_api_key(item.key))

    async def _delete(self, saved: KeyRow) -> None:
        await self._writes.remove_api_key(saved.digest)  # already gone: what the draft wants

    def _failure(self, exc: Exception) -> str:
        if isinstance(exc, TargetError):
            return f"The key cannot be stored: {exc}"
        return super()._failure(exc)

    def selection_changed(self) -> None:
        why = None if self.current_row() is not None else "Select a key first."
        self.remove_key_button.setEnabled(why is None)
        self.remove_key_button.setToolTip(why or "Stop accepting this key")

    def _taken(self) -> set[str]:
        return {row.digest for row in self.items()}

    def generate_key(self) -> str:
        """Make a random key, add it to the draft and show it once (Save accepts it)."""
        key = "kd_" + secrets.token_urlsafe(24)
        self.add(KeyRow.new(key))
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
        editor = ApiKeyEditor(self._taken(), parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.chosen.connect(lambda key: self.add(KeyRow.new(key)))
        editor.finished.connect(self._key_editor_closed)
        self.key_editor = editor
        self.hide_new_key()
        editor.open()
        return editor

    def _key_editor_closed(self) -> None:
        self.key_editor = None

    def remove_key(self) -> KeyRow | None:
        """Take the selected key out of the draft (Save stops accepting it)."""
        row = self.current_row()
        if row is None:
            return None
        self.hide_new_key()
        return self.remove(row)
