"""The Secrets tab: Kardow secrets and Kudoz credentials, stored encrypted; and their editor."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
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

from hookscope.core.model import Credential, CredentialInfo
from hookscope.core.providers.kudoz import DEFAULT_TEMPLATE, PLACEHOLDERS, TEMPLATES
from hookscope.core.vault import VaultError
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage.reads import CredentialError, KeyFileError, read_vault
from hookscope.ui.settings.checks import read_credential, secret_advice, show_template
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

NO_SECRETS = "No secrets stored: signed deliveries are recorded as no-secret."


class SecretsModel(RecordTableModel[CredentialInfo]):
    """The stored credentials, without their secrets; a CredentialInfo per row."""

    COLUMNS = ("Name", "Provider", "API key", "Template")

    def _text(self, item: CredentialInfo, column: int) -> str:
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
    """Adds a Kardow secret or a Kudoz credential, encrypted with the data dir's key.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        saved(str): the credential was stored (its name); the dialog then closes.

    Attributes:
        provider: "kardow" or "kudoz".
        name_edit: the user's name for it, unique across providers.
        secret_field: the Kardow secret or the Kudoz API secret.
        api_key_edit, template_combo: Kudoz only (hidden for Kardow).
        hint_label: advice that does not prevent saving.
        error_label: why it cannot be stored (hidden when it can).
        buttons: Save and Cancel.
    """

    saved = Signal(str)

    def __init__(
        self, writes: SettingsWrites, provider: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._writes = writes
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
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
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

    def save(self) -> bool:
        """Validate, encrypt and store; on a problem, say it in the dialog and keep it open."""
        credential = self.read_form()
        if isinstance(credential, str):
            show_text(self.error_label, credential)
            return False
        try:
            self._writes.add_credential(credential)
        except (CredentialError, KeyFileError, VaultError) as exc:
            show_text(self.error_label, str(exc))
            return False
        except WRITE_ERRORS as exc:
            show_text(self.error_label, f"The secret cannot be stored: {exc}.")
            return False
        show_text(self.error_label, "")
        self.saved.emit(credential.name)
        self.accept()
        return True


class SecretsTab(SettingsTab):
    """The stored secrets (never shown in the list): add, reveal one, remove.

    Attributes:
        secrets_model, secrets_view: the stored credentials, without their secrets.
        secrets_empty: said when none is stored.
        add_kardow_button, add_kudoz_button, reveal_button, remove_secret_button: the actions.
        revealed_label, revealed_edit: the secret revealed, until hidden.
        secrets_error: why the last action failed, hidden when it did not.
        secret_editor: the editor open now, if any.
    """

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self.secret_editor: SecretEditor | None = None
        self._build()

    def _build(self) -> None:
        self.secrets_model = SecretsModel(self)
        self.secrets_view = settings_table(self.secrets_model, stretch=3)
        self.secrets_view.selectionModel().selectionChanged.connect(self._secrets_selected)
        self.secrets_empty = plain_label(NO_SECRETS)
        self.add_kardow_button = QPushButton("Add Kardow secret…")
        self.add_kardow_button.clicked.connect(self.add_kardow)
        self.add_kudoz_button = QPushButton("Add Kudoz credential…")
        self.add_kudoz_button.clicked.connect(self.add_kudoz)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.toggled.connect(self._reveal_toggled)
        self.remove_secret_button = QPushButton("Remove")
        self.remove_secret_button.clicked.connect(self.remove_secret)
        self.revealed_label = plain_label()
        self.revealed_edit = QLineEdit()
        self.revealed_edit.setReadOnly(True)
        self.revealed_edit.setFont(monospace())
        self.secrets_error = plain_label(tone="error")
        self.secrets_error.hide()
        buttons = QHBoxLayout()
        for button in (
            self.add_kardow_button,
            self.add_kudoz_button,
            self.reveal_button,
            self.remove_secret_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self._revealed_row = QWidget()
        revealed = QVBoxLayout(self._revealed_row)
        revealed.setContentsMargins(0, 0, 0, 0)
        revealed.addWidget(self.revealed_label)
        revealed.addWidget(self.revealed_edit)
        self._revealed_row.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                f"Secrets are stored encrypted with the key in {self._engine.key_file}; "
                "this list never shows them."
            )
        )
        layout.addWidget(self.secrets_view, 1)
        layout.addWidget(self.secrets_empty)
        layout.addLayout(buttons)
        layout.addWidget(self._revealed_row)
        layout.addWidget(self.secrets_error)

    def load(self) -> None:
        self.hide_secret()
        self.secrets_model.set_rows(reads.list_credentials(self._db))
        fit_columns(self.secrets_view)
        self.secrets_empty.setVisible(self.secrets_model.rowCount() == 0)
        self._secrets_selected()

    def selected_secret(self) -> CredentialInfo | None:
        return selected(self.secrets_view, self.secrets_model)

    def _secrets_selected(self) -> None:
        self.hide_secret()
        why = None if self.selected_secret() else "Select a secret first."
        for button in (self.reveal_button, self.remove_secret_button):
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def add_kardow(self) -> SecretEditor:
        return self._open_secret_editor("kardow")

    def add_kudoz(self) -> SecretEditor:
        return self._open_secret_editor("kudoz")

    def _open_secret_editor(self, provider: str) -> SecretEditor:
        editor = SecretEditor(self._writes, provider, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._secret_saved)
        editor.finished.connect(self._secret_editor_closed)
        self.secret_editor = editor
        show_text(self.secrets_error, "")
        editor.open()
        return editor

    def _secret_saved(self, name: str) -> None:
        self.load()
        select(self.secrets_view, self.secrets_model, lambda c: c.name == name)

    def _secret_editor_closed(self) -> None:
        self.secret_editor = None

    def _reveal_toggled(self, on: bool) -> None:
        if on:
            self.reveal_secret()
        else:
            self.hide_secret()

    def reveal_secret(self) -> bool:
        """Decrypt the selected secret and show it until hidden; False (and why) if it cannot."""
        info = self.selected_secret()
        if info is None:
            self.hide_secret()
            return False
        try:
            vault = read_vault(self._engine.key_file)
            if vault is None:
                raise KeyFileError(
                    f"The secrets key {self._engine.key_file} is missing, so the stored secrets "
                    "cannot be decrypted."
                )
            found = [c for c in reads.load_credentials(self._db, vault) if c.id == info.id]
            if not found:
                raise CredentialError(f"No secret named {info.name!r}: it was removed.")
        except (KeyFileError, VaultError, CredentialError) as exc:
            self.hide_secret()
            show_text(self.secrets_error, str(exc))
            return False
        show_text(self.secrets_error, "")
        what = "API secret" if info.provider == "kudoz" else "Secret"
        self.revealed_label.setText(f"{what} of {info.name}:")
        self.revealed_edit.setText(found[0].secret)
        self._revealed_row.show()
        self.reveal_button.blockSignals(True)
        self.reveal_button.setChecked(True)
        self.reveal_button.blockSignals(False)
        self.reveal_button.setText("Hide")
        return True

    def hide_secret(self) -> None:
        self.revealed_edit.clear()
        self.revealed_label.clear()
        self._revealed_row.hide()
        self.reveal_button.blockSignals(True)
        self.reveal_button.setChecked(False)
        self.reveal_button.blockSignals(False)
        self.reveal_button.setText("Reveal")

    def remove_secret(self) -> QMessageBox | None:
        info = self.selected_secret()
        if info is None:
            return None
        name = info.name
        return self._confirm_removal(
            "Remove secret",
            f"Remove the {info.provider.capitalize()} secret {name!r}? Deliveries signed with "
            "it will no longer verify.",
            remove=lambda: self._writes.remove_credential(name),
            what="The secret",
            gone=f"No secret named {name!r}: it was already removed.",
            error_label=self.secrets_error,
            reload=self.load,
        )
