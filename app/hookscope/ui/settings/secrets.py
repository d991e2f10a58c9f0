"""The Secrets tab: the secrets of every signing scheme, stored encrypted; and their editor."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
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
from hookscope.ui.settings.checks import (
    STANDARD_WEBHOOKS,
    read_credential,
    scheme_title,
    secret_advice,
    show_template,
)
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

    COLUMNS = ("Name", "Scheme", "Key", "Template")

    def _text(self, item: SecretRow, column: int) -> str:
        if column == 0:
            return item.name
        if column == 1:
            return scheme_title(item.provider)
        if column == 2:
            return item.api_key
        if item.provider != "kudoz":
            return ""
        if item.template is None:
            return f"(default) {DEFAULT_TEMPLATE}"
        return show_template(item.template)


class SecretEditor(QDialog):
    """Adds a secret of any scheme to the draft (Save stores it encrypted): a Kardow secret,
    a Kudoz credential, a Standard Webhooks secret and/or public key, or another scheme's
    secret. The form shows the fields of the scheme chosen.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        chosen(Credential): the credential the form describes; the editor then closes.

    Attributes:
        provider: the scheme chosen ("kardow", "kudoz", "stripe", a custom scheme's name...).
        scheme_combo: every scheme, built-in then custom.
        name_edit: the user's name for it, unique across schemes.
        secret_field: the secret, or the Kudoz API secret.
        api_key_edit, template_combo: Kudoz only; public_key_edit: Standard Webhooks only.
        hint_label: advice that does not prevent saving.
        error_label: why it cannot be stored (hidden when it can).
        buttons: OK and Cancel.
    """

    chosen = Signal(object)

    def __init__(
        self,
        provider: str,
        taken: Collection[str] = (),
        parent: QWidget | None = None,
        schemes: Sequence[str] = ("kardow", "kudoz"),
    ) -> None:
        super().__init__(parent)
        self._taken = taken
        self.provider = provider
        self.setMinimumWidth(480)

        self.scheme_combo = QComboBox()
        for name in dict.fromkeys([*schemes, provider]):
            self.scheme_combo.addItem(scheme_title(name), name)
        self.scheme_combo.setCurrentIndex(self.scheme_combo.findData(provider))
        self.name_edit = QLineEdit()
        self.api_key_edit = QLineEdit()
        self.public_key_edit = QLineEdit()
        self.public_key_edit.setPlaceholderText("whpk_... (for v1a signatures; optional)")
        self.public_key_edit.setFont(monospace())
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

        self._form = form = QFormLayout()
        form.addRow("S&cheme", self.scheme_combo)
        form.addRow("&Name", self.name_edit)
        form.addRow("API &key", self.api_key_edit)
        form.addRow("Secre&t", self.secret_field)
        form.addRow("&Public key", self.public_key_edit)
        form.addRow("Signed string", self.template_combo)
        placeholders = " ".join("{" + p + "}" for p in PLACEHOLDERS)
        self._template_help = plain_label(
            f"What Kudoz signs is undocumented; pick or type a template. \\n is a newline. "
            f"Placeholders: {placeholders}."
        )
        form.addRow("", self._template_help)
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

        self.scheme_combo.currentIndexChanged.connect(lambda _index: self._scheme_chosen())
        self.secret_field.edit.textChanged.connect(self._advise)
        self.template_combo.currentTextChanged.connect(self._advise)
        self._scheme_chosen()

    def _scheme_chosen(self) -> None:
        """The fields of the scheme chosen, and only those."""
        self.provider = str(self.scheme_combo.currentData())
        kudoz = self.provider == "kudoz"
        if kudoz:
            self.setWindowTitle("Add Kudoz credential")
        else:
            self.setWindowTitle(f"Add {scheme_title(self.provider)} secret")
        self.name_edit.setPlaceholderText("production" if kudoz else "staging webhook")
        label = self._form.labelForField(self.secret_field)
        if isinstance(label, QLabel):
            label.setText("API secre&t" if kudoz else "Secre&t")
        for widget in (self.api_key_edit, self.template_combo, self._template_help):
            self._form.setRowVisible(widget, kudoz)
        self._form.setRowVisible(self.public_key_edit, self.provider == STANDARD_WEBHOOKS)
        show_text(self.error_label, "")
        self._advise()

    def _advise(self) -> None:
        show_text(
            self.hint_label,
            secret_advice(
                self.provider, self.secret_field.text(), self.template_combo.currentText()
            ),
        )

    def read_form(self) -> Credential | str:
        """The credential the form describes, or why it cannot be stored (a sentence)."""
        key = ""
        if self.provider == "kudoz":
            key = self.api_key_edit.text().strip()
        elif self.provider == STANDARD_WEBHOOKS:
            key = self.public_key_edit.text().strip()
        return read_credential(
            self.provider,
            self.name_edit.text().strip(),
            self.secret_field.text(),
            key,
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
    """The secrets (never shown in the list): add (Ins: another scheme's), reveal one, remove
    (Del); in the draft until Save.

    Attributes:
        add_kardow_button, add_kudoz_button, add_other_button, reveal_button,
        remove_secret_button: the actions.
        schemes: every scheme a secret may be for (the dialog gives the Schemes tab's draft).
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
        self.schemes: Callable[[], list[str]] = lambda: reads.scheme_names(self._db)
        self.add_kardow_button = QPushButton("Add &Kardow secret…")
        self.add_kardow_button.clicked.connect(self.add_kardow)
        self.add_kudoz_button = QPushButton("Add K&udoz credential…")
        self.add_kudoz_button.clicked.connect(self.add_kudoz)
        self.add_other_button = QPushButton("Add secret for &another scheme…")
        self.add_other_button.setToolTip(
            "Standard Webhooks, Stripe, GitHub, Slack, Shopify or a custom scheme (Ins)"
        )
        self.add_other_button.clicked.connect(lambda: self.add_secret())
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Insert), self, lambda: self.add_secret())
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        remove = QShortcut(QKeySequence(Qt.Key.Key_Delete), self, self.remove_secret)
        remove.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.reveal_button = QPushButton("Re&veal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.toggled.connect(self._reveal_toggled)
        self.remove_secret_button = QPushButton("Re&move")
        self.remove_secret_button.clicked.connect(self.remove_secret)
        self.add_buttons(
            self.add_kardow_button,
            self.add_kudoz_button,
            self.add_other_button,
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

    def add_secret(self, provider: str | None = None) -> SecretEditor:
        """The editor for any scheme's secret; without `provider`, the first scheme that is
        neither Kardow nor Kudoz (those have their own buttons)."""
        if provider is None:
            others = [name for name in self.schemes() if name not in ("kardow", "kudoz")]
            provider = others[0] if others else "kardow"
        return self._open_secret_editor(provider)

    def secrets_of(self, scheme: str) -> list[str]:
        """The draft's secrets of `scheme`, by name (saved or not)."""
        return [row.name for row in self.items() if row.provider == scheme]

    def _open_secret_editor(self, provider: str) -> SecretEditor:
        taken = {row.name for row in self.items()}
        editor = SecretEditor(provider, taken, parent=self, schemes=self.schemes())
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
        if row.provider == STANDARD_WEBHOOKS and row.api_key and not secret:
            what, secret = "Public key (no secret stored)", row.api_key
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
