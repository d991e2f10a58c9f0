"""The Secrets tab: Kardow secrets and Kudoz credentials, stored encrypted; and their editor."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core.model import Credential, CredentialInfo
from hookscope.core.providers.kudoz import DEFAULT_TEMPLATE, PLACEHOLDERS, TEMPLATES
from hookscope.core.vault import VaultError
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage.reads import CredentialError, KeyFileError, read_vault
from hookscope.ui.settings.checks import read_credential, secret_advice, show_template
from hookscope.ui.settings.drafts import DraftModel, ListTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import monospace, show_text
from hookscope.ui.widgets.fields import SecretField
from hookscope.ui.widgets.labels import plain_label

NO_SECRETS = "No secrets stored: signed deliveries are recorded as no-secret."


@dataclass(frozen=True, slots=True)
class SecretRow:
    """A row of the Secrets tab: a stored credential (without its secret), or one added in
    the draft (with it, until Save stores it encrypted)."""

    provider: str
    name: str
    api_key: str = ""
    template: str | None = None
    new: Credential | None = None

    @classmethod
    def of(cls, info: CredentialInfo) -> SecretRow:
        return cls(info.provider, info.name, info.api_key, info.template)


class SecretsModel(DraftModel[SecretRow]):
    """The credentials, without their secrets; a SecretRow per row."""

    COLUMNS = ("Name", "Provider", "API key", "Template")

    def _text(self, item: SecretRow, column: int) -> str:
        if column == 0:
            return item.name
        if column == 1:
            return item.provider.capitalize()
        if column == 2:
            return item.api_key
        if item.provider != "kudoz":
            return ""
        if item.template is None:
            return f"(default) {DEFAULT_TEMPLATE}"
        return show_template(item.template)


class SecretEditor(QDialog):
    """Adds a Kardow secret or a Kudoz credential to the draft (Save stores it encrypted).

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        chosen(Credential): the credential the form describes; the editor then closes.

    Attributes:
        provider: "kardow" or "kudoz".
        name_edit: the user's name for it, unique across providers.
        secret_field: the Kardow secret or the Kudoz API secret.
        api_key_edit, template_combo: Kudoz only (hidden for Kardow).
        hint_label: advice that does not prevent saving.
        error_label: why it cannot be stored (hidden when it can).
        buttons: OK and Cancel.
    """

    chosen = Signal(object)

    def __init__(
        self, provider: str, taken: Collection[str] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._taken = taken
        self.provider = provider
        kudoz = provider == "kudoz"
        self.setWindowTitle("Add Kudoz credential" if kudoz else "Add Kardow secret")
        self.setMinimumWidth(480)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("production" if kudoz else "staging webhook")
        self.api_key_edit = QLineEdit()
        self.secret_field = SecretField()
        self.template_combo = QComboBox()
        self.template_combo.setEditable(True)
        self.template_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # No inline completion: it would turn a custom template into a known one as typed.
        self.template_combo.setCompleter(None)  # type: ignore[arg-type]  # Qt takes nullptr
        self.template_combo.setFont(monospace())
        # Sized by the field, not by the longest known template (it squeezed the labels).
        self.template_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.template_combo.setMinimumContentsLength(24)
        self.template_combo.addItems([show_template(t) for t in TEMPLATES])
        self.template_combo.setCurrentIndex(0)
        self.hint_label = plain_label(tone="warning")
        self.hint_label.hide()
        self.error_label = plain_label(tone="error")
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("API key", self.api_key_edit)
        form.addRow("API secret" if kudoz else "Secret", self.secret_field)
        form.addRow("Signed string", self.template_combo)
        placeholders = " ".join("{" + p + "}" for p in PLACEHOLDERS)
        template_help = plain_label(
            f"What Kudoz signs is undocumented; pick or type a template. \\n is a newline. "
            f"Placeholders: {placeholders}."
        )
        form.addRow("", template_help)
        for widget in (self.api_key_edit, self.template_combo, template_help):
            form.setRowVisible(widget, kudoz)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.secret_field.edit.textChanged.connect(self._advise)
        self.template_combo.currentTextChanged.connect(self._advise)

    def _advise(self) -> None:
        show_text(
            self.hint_label,
            secret_advice(
                self.provider, self.secret_field.text(), self.template_combo.currentText()
            ),
        )

    def read_form(self) -> Credential | str:
        """The credential the form describes, or why it cannot be stored (a sentence)."""
        return read_credential(
            self.provider,
            self.name_edit.text().strip(),
            self.secret_field.text(),
            self.api_key_edit.text().strip(),
            self.template_combo.currentText(),
        )

    def submit(self) -> bool:
        """Validate, then hand the credential to the draft; on a problem, say it, stay open."""
        credential = self.read_form()
        if not isinstance(credential, str) and credential.name in self._taken:
            credential = f"A secret named {credential.name!r} already exists."
        if isinstance(credential, str):
            show_text(self.error_label, credential)
            return False
        show_text(self.error_label, "")
        self.chosen.emit(credential)
        self.accept()
        return True


class SecretsTab(ListTab[SecretRow]):
    """The secrets (never shown in the list): add, reveal one, remove; in the draft until Save.

    Attributes:
        add_kardow_button, add_kudoz_button, reveal_button, remove_secret_button: the actions.
        revealed_label, revealed_edit: the secret revealed, until hidden.
        secret_editor: the editor open now, if any.
    """

    TITLE = "Secrets"
    NOUN = "The secret"
    EMPTY = NO_SECRETS
    STRETCH = 3
    ERRORS = (CredentialError, KeyFileError, VaultError, *WRITE_ERRORS)

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, SecretsModel(), parent)
        self.secret_editor: SecretEditor | None = None
        self.add_kardow_button = QPushButton("Add &Kardow secret…")
        self.add_kardow_button.clicked.connect(self.add_kardow)
        self.add_kudoz_button = QPushButton("Add K&udoz credential…")
        self.add_kudoz_button.clicked.connect(self.add_kudoz)
        self.reveal_button = QPushButton("Re&veal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.toggled.connect(self._reveal_toggled)
        self.remove_secret_button = QPushButton("Re&move")
        self.remove_secret_button.clicked.connect(self.remove_secret)
        self.add_buttons(
            self.add_kardow_button,
            self.add_kudoz_button,
            self.reveal_button,
            self.remove_secret_button,
        )
        self.revealed_label = plain_label()
        self.revealed_edit = QLineEdit()
        self.revealed_edit.setReadOnly(True)
        self.revealed_edit.setFont(monospace())
        self._revealed_row = QWidget()
        revealed = QVBoxLayout(self._revealed_row)
        revealed.setContentsMargins(0, 0, 0, 0)
        revealed.addWidget(self.revealed_label)
        revealed.addWidget(self.revealed_edit)
        self._revealed_row.hide()
        self.extra.addWidget(self._revealed_row)

    def intro(self) -> str:
        return (
            f"Secrets are stored encrypted with the key in {self._engine.key_file}; "
            "this list never shows them."
        )

    def _stored(self) -> list[SecretRow]:
        return [SecretRow.of(info) for info in reads.list_credentials(self._db)]

    async def _write(self, item: SecretRow, saved: SecretRow | None) -> SecretRow:
        if item.new is not None:
            await self._writes.add_credential(item.new)
        return replace(item, new=None)

    async def _delete(self, saved: SecretRow) -> None:
        await self._writes.remove_credential(saved.name)  # already gone: what the draft wants

    def _failure(self, exc: Exception) -> str:
        if isinstance(exc, CredentialError | KeyFileError | VaultError):
            return str(exc)
        return super()._failure(exc)

    def _show(self, row: int | None) -> None:
        self.hide_secret()
        super()._show(row)

    def selected_secret(self) -> SecretRow | None:
        return self.current()

    def selection_changed(self) -> None:
        self.hide_secret()
        why = None if self.current_row() is not None else "Select a secret first."
        for button in (self.reveal_button, self.remove_secret_button):
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def add_kardow(self) -> SecretEditor:
        return self._open_secret_editor("kardow")

    def add_kudoz(self) -> SecretEditor:
        return self._open_secret_editor("kudoz")

    def _open_secret_editor(self, provider: str) -> SecretEditor:
        taken = {row.name for row in self.items()}
        editor = SecretEditor(provider, taken, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.chosen.connect(self._secret_chosen)
        editor.finished.connect(self._secret_editor_closed)
        self.secret_editor = editor
        editor.open()
        return editor

    def _secret_chosen(self, credential: Credential) -> None:
        row = SecretRow(
            credential.provider,
            credential.name,
            credential.api_key,
            credential.template,
            new=credential,
        )
        self.add(row)

    def _secret_editor_closed(self) -> None:
        self.secret_editor = None

    def _reveal_toggled(self, on: bool) -> None:
        if on:
            self.reveal_secret()
        else:
            self.hide_secret()

    def reveal_secret(self) -> bool:
        """Show the selected secret until hidden (decrypted, or as typed if not saved yet);
        False (and why) if it cannot be."""
        row = self.selected_secret()
        if row is None:
            self.hide_secret()
            return False
        try:
            secret = row.new.secret if row.new is not None else self._decrypt(row)
        except (KeyFileError, VaultError, CredentialError) as exc:
            self.hide_secret()
            show_text(self.error_label, str(exc))
            return False
        show_text(self.error_label, "")
        what = "API secret" if row.provider == "kudoz" else "Secret"
        self.revealed_label.setText(f"{what} of {row.name}:")
        self.revealed_edit.setText(secret)
        self._revealed_row.show()
        self._set_reveal_button(True)
        return True

    def _decrypt(self, row: SecretRow) -> str:
        vault = read_vault(self._engine.key_file)
        if vault is None:
            raise KeyFileError(
                f"The secrets key {self._engine.key_file} is missing, so the stored secrets "
                "cannot be decrypted."
            )
        found = [c for c in reads.load_credentials(self._db, vault) if c.name == row.name]
        if not found:
            raise CredentialError(f"No secret named {row.name!r}: it was removed.")
        return found[0].secret

    def _set_reveal_button(self, on: bool) -> None:
        self.reveal_button.blockSignals(True)
        self.reveal_button.setChecked(on)
        self.reveal_button.blockSignals(False)
        self.reveal_button.setText("Hi&de" if on else "Re&veal")

    def hide_secret(self) -> None:
        self.revealed_edit.clear()
        self.revealed_label.clear()
        self._revealed_row.hide()
        self._set_reveal_button(False)

    def remove_secret(self) -> SecretRow | None:
        """Take the selected secret out of the draft (Save removes it from the store)."""
        row = self.current_row()
        return None if row is None else self.remove(row)
