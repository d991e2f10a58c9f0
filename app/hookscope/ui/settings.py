"""The settings dialog: listeners, response rules, secrets, the emulator's API keys, sending."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QHideEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.model import Credential, CredentialInfo, ResponseRule, SendPolicy
from hookscope.core.providers.kudoz import DEFAULT_TEMPLATE, PLACEHOLDERS, TEMPLATES, check_template
from hookscope.core.rules import CAPTURE_ID, check_rule
from hookscope.core.vault import VaultError
from hookscope.engine import Engine, EngineError
from hookscope.net.capture_server import ListenError, is_loopback
from hookscope.storage import credentials as credential_store
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.credentials import CredentialError
from hookscope.storage.keyfile import KeyFileError, load_vault
from hookscope.storage.targets import ApiKeyInfo, TargetError, check_api_key
from hookscope.ui.formats import local_time
from hookscope.ui.style import monospace, retint, set_tone
from hookscope.ui.widgets.records import RecordTableModel

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

MB = 1024 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ANY_METHOD = "Any method"
KARDOW_MIN_SECRET = 16
BODY_PREVIEW = 200
NO_RULES = 'No rules: every request is answered 200 {"ok": true, "capture_id": N}.'
NO_SECRETS = "No secrets stored: signed deliveries are recorded as no-secret."
COLUMN_CHARS = 36
MAX_RETRIES = 10
MAX_RESPONSE_LIMIT = 100 * MB
KB = 1024
NO_KEYS = (
    "No API key is accepted yet: every request to the emulator gets 401. Generate one, or add "
    "the key your integration already sends."
)
_ROOT = QModelIndex()


def async_slot(*types: type) -> Callable[[F], F]:
    """qasync's asyncSlot with a type (qasync ships no type hints)."""
    decorator: Callable[[F], F] = asyncSlot(*types)
    return decorator


def plain_label(text: str = "", *, tone: str | None = None) -> QLabel:
    """A label for user data or sentences: plain text (never rich), wrapped, selectable."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if tone is not None:
        set_tone(label, tone)
    return label


def _say(label: QLabel, text: str) -> None:
    """Show a sentence in a message label; an empty one hides it."""
    label.setText(text)
    label.setVisible(bool(text))


def _show_template(template: str) -> str:
    return template.replace("\n", "\\n")


def _read_template(text: str) -> str:
    return text.replace("\\n", "\n")


def parse_headers(text: str) -> tuple[tuple[str, str], ...] | str:
    """`Name: value` lines as header pairs (blank lines skipped), or why a line is not one."""
    headers: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return f"The header line {line.strip()!r} is not Name: value."
        headers.append((name.strip(), value.strip()))
    return tuple(headers)


# -- models ------------------------------------------------------------------------------------


class RulesModel(RecordTableModel[ResponseRule]):
    """The response rules in match order (position, then age); a ResponseRule per row."""

    COLUMNS = ("Position", "Method", "Path glob", "Status", "Delay", "Body")
    RIGHT = frozenset({0, 3, 4})

    def _text(self, item: ResponseRule, column: int) -> str:
        if column == 0:
            return str(item.position)
        if column == 1:
            return item.method or "any"
        if column == 2:
            return item.pattern
        if column == 3:
            return str(item.status)
        if column == 4:
            return f"{item.delay_ms} ms"
        preview = item.body[:BODY_PREVIEW]
        return " ".join(preview.split()) if preview.strip() else "(empty)"

    def _foreground(self, item: ResponseRule, column: int) -> QColor | None:
        if item.enabled:
            return None
        return QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
        )

    def _tooltip(self, item: ResponseRule, column: int) -> str | None:
        return None if item.enabled else "This rule is disabled: it answers nothing."


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
        return _show_template(item.template)


# -- editors -----------------------------------------------------------------------------------


class SecretField(QWidget):
    """A password-mode line edit with a Show/Hide toggle.

    Attributes:
        edit: the line edit (password echo until shown).
        toggle: the checkable Show/Hide button.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.toggle = QToolButton()
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show or hide what is typed")
        self.toggle.toggled.connect(self._shown)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def text(self) -> str:
        return self.edit.text()

    def _shown(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)
        self.toggle.setText("Hide" if shown else "Show")


class RuleEditor(QDialog):
    """Adds or edits one response rule; validated with check_rule, saved on the GUI's store.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        saved(int): the rule was saved (its id); the dialog then closes.

    Attributes:
        pattern_edit, method_combo, status_spin, headers_edit, body_edit, delay_spin,
        position_spin: the form.
        error_label: why the rule cannot be saved (hidden when it can).
        buttons: Save and Cancel.
    """

    saved = Signal(int)

    def __init__(
        self,
        db: Database,
        rule: ResponseRule | None = None,
        *,
        position: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._rule = rule or ResponseRule(pattern="", position=position)
        self.setWindowTitle("Add response rule" if rule is None else "Edit response rule")
        self.setMinimumWidth(520)

        self.pattern_edit = QLineEdit(self._rule.pattern)
        self.pattern_edit.setPlaceholderText("/kardow/*   (* matches every path)")
        self.method_combo = QComboBox()
        self.method_combo.addItem(ANY_METHOD)
        self.method_combo.addItems(METHODS)
        method = (self._rule.method or "").upper()
        if method and method not in METHODS:  # written by hand or by the CLI
            self.method_combo.addItem(method)
        self.method_combo.setCurrentIndex(max(0, self.method_combo.findText(method)))
        self.status_spin = QSpinBox()
        self.status_spin.setRange(0, 999)
        self.status_spin.setValue(self._rule.status)
        self.headers_edit = QPlainTextEdit(
            "\n".join(f"{name}: {value}" for name, value in self._rule.headers)
        )
        self.headers_edit.setPlaceholderText("Content-Type: application/json")
        self.headers_edit.setTabChangesFocus(True)
        self.headers_edit.setFont(monospace())
        self.headers_edit.setFixedHeight(self.headers_edit.fontMetrics().lineSpacing() * 4 + 12)
        self.body_edit = QPlainTextEdit(self._rule.body)
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setFont(monospace())
        self.delay_spin = QSpinBox()
        self.delay_spin.setRange(0, 600_000)
        self.delay_spin.setSingleStep(100)
        self.delay_spin.setSuffix(" ms")
        self.delay_spin.setValue(self._rule.delay_ms)
        self.position_spin = QSpinBox()
        self.position_spin.setRange(-1_000_000, 1_000_000)
        self.position_spin.setValue(self._rule.position)
        self.position_spin.setToolTip("Lower positions are tried first.")
        self.error_label = plain_label(tone="error")
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("Path glob", self.pattern_edit)
        form.addRow("Method", self.method_combo)
        form.addRow("Status", self.status_spin)
        form.addRow("Headers", self.headers_edit)
        form.addRow("", plain_label("One Name: value per line."))
        form.addRow("Body", self.body_edit)
        form.addRow(
            "", plain_label(f"Plain text; {CAPTURE_ID} is replaced by the new capture's id.")
        )
        form.addRow("Delay", self.delay_spin)
        form.addRow("Position", self.position_spin)
        form.addRow(
            "",
            plain_label(
                "The first enabled rule whose glob matches the path (and method) answers; "
                "lower positions are tried first."
            ),
        )
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def read_form(self) -> ResponseRule | str:
        """The rule the form describes, or why it cannot be saved (a sentence)."""
        headers = parse_headers(self.headers_edit.toPlainText())
        if isinstance(headers, str):
            return headers
        method = self.method_combo.currentText()
        rule = replace(
            self._rule,
            pattern=self.pattern_edit.text().strip(),
            method=None if method == ANY_METHOD else method,
            status=self.status_spin.value(),
            headers=headers,
            body=self.body_edit.toPlainText(),
            delay_ms=self.delay_spin.value(),
            position=self.position_spin.value(),
        )
        return check_rule(rule) or rule

    def save(self) -> bool:
        """Validate and save; on a problem, say it in the dialog and keep it open."""
        rule = self.read_form()
        if isinstance(rule, str):
            _say(self.error_label, rule)
            return False
        try:
            rule_id = settings_store.save_rule(self._db, rule)
        except sqlite3.Error as exc:
            _say(self.error_label, f"The rule cannot be saved: {exc}.")
            return False
        _say(self.error_label, "")
        self.saved.emit(rule_id)
        self.accept()
        return True


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
        self, db: Database, key_file: Path, provider: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._key_file = key_file
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
        self.template_combo.addItems([_show_template(t) for t in TEMPLATES])
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
        hint = ""
        if self.provider == "kardow":
            if 0 < len(self.secret_field.text()) < KARDOW_MIN_SECRET:
                hint = (
                    f"Kardow requires secrets of at least {KARDOW_MIN_SECRET} characters; "
                    "it will be stored anyway."
                )
        else:
            template = _read_template(self.template_combo.currentText())
            if template and ("{uuid}" not in template or "{timestamp}" not in template):
                hint = "A template without {uuid} and {timestamp} leaves the token open to replays."
        _say(self.hint_label, hint)

    def read_form(self) -> Credential | str:
        """The credential the form describes, or why it cannot be stored (a sentence)."""
        name = self.name_edit.text().strip()
        if not name:
            return "The name is empty."
        secret = self.secret_field.text()
        if self.provider == "kardow":
            return Credential("kardow", name, secret) if secret else "The secret is empty."
        api_key = self.api_key_edit.text().strip()
        if not api_key or ":" in api_key:
            return "The API key must be non-empty and contain no colon."
        if not secret:
            return "The API secret is empty."
        template = _read_template(self.template_combo.currentText())
        problem = check_template(template)
        if problem:
            return problem
        # The default is stored as "none given": verification then tries every known template.
        chosen = None if template == DEFAULT_TEMPLATE else template
        return Credential("kudoz", name, secret, api_key, chosen)

    def save(self) -> bool:
        """Validate, encrypt and store; on a problem, say it in the dialog and keep it open."""
        credential = self.read_form()
        if isinstance(credential, str):
            _say(self.error_label, credential)
            return False
        try:
            vault = credential_store.vault_for_new_secret(self._db, self._key_file)
            credential_store.add_credential(self._db, vault, credential)
        except (CredentialError, KeyFileError, VaultError) as exc:
            _say(self.error_label, str(exc))
            return False
        except sqlite3.Error as exc:
            _say(self.error_label, f"The secret cannot be stored: {exc}.")
            return False
        _say(self.error_label, "")
        self.saved.emit(credential.name)
        self.accept()
        return True


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

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
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
        _say(self.error_label, (check_api_key(text.strip()) or "") if text else "")

    def save(self) -> bool:
        """Check and store the key; on a problem, say it in the dialog and keep it open."""
        key = self.key_field.text().strip()
        problem = check_api_key(key)
        if problem is None and any(
            info.digest == target_store.digest(key) for info in target_store.list_api_keys(self._db)
        ):
            problem = "This key is already accepted."
        if problem is not None:
            _say(self.error_label, problem)
            return False
        try:
            info = target_store.add_api_key(self._db, key)
        except TargetError as exc:
            _say(self.error_label, str(exc))
            return False
        except sqlite3.Error as exc:
            _say(self.error_label, f"The key cannot be stored: {exc}.")
            return False
        _say(self.error_label, "")
        self.saved.emit(info.digest)
        self.accept()
        return True


def check_policy(policy: SendPolicy) -> str | None:
    """Why these timeouts and retries cannot be used (a sentence), or None."""
    if policy.connect_timeout <= 0:
        return "The connect timeout must be more than 0 seconds."
    if policy.total_timeout <= 0:
        return "The total timeout must be more than 0 seconds."
    if policy.total_timeout < policy.connect_timeout:
        return (
            f"The total timeout ({policy.total_timeout:g} s) must be at least the connect "
            f"timeout ({policy.connect_timeout:g} s): it includes connecting."
        )
    if not 0 <= policy.retries <= MAX_RETRIES:
        return f"Retries must be between 0 and {MAX_RETRIES}."
    if policy.backoff < 0:
        return "The first wait must not be negative."
    if policy.max_backoff < policy.backoff:
        return (
            f"The longest wait ({policy.max_backoff:g} s) must be at least the first wait "
            f"({policy.backoff:g} s)."
        )
    if not 0 <= policy.jitter <= 1:
        return "Jitter must be between 0 and 100 %."
    if not 0 < policy.response_limit <= MAX_RESPONSE_LIMIT:
        return f"The response body limit must be between 1 byte and {MAX_RESPONSE_LIMIT // MB} MB."
    return None


# -- the dialog --------------------------------------------------------------------------------


class SettingsDialog(QDialog):
    """Listeners, response rules, stored secrets, the emulator's API keys and the send policy.

    Rules, secrets and settings are written on the GUI's own store connection; the engine
    notices by itself (its config revision). Open with `.open()` or `.show()`, never `.exec()`.

    Signals:
        listener_changed(str): the listener restarted (its URL), or is stopped ("") because the
            new address could not be bound.
        api_changed(str): the Kardow API emulator restarted (its URL), or is off or stopped ("").

    Attributes:
        tabs: the "Listener", "Response rules", "Secrets", "Kardow API" and "Sending" tabs.
        host_edit, port_spin, limit_spin, deadline_spin, api_port_spin, apply_button: the
            listener form (the emulator listens on the same host, on api_port_spin; 0 turns
            it off).
        status_label: where the listener listens now.
        api_status_label: where the emulator listens now, or that it is off.
        api_error: why the emulator could not be (re)started.
        exposure_label: the warning shown when the host is not a loopback address.
        overrides_label: said when this run uses command-line flags instead of the saved settings.
        listener_error: why the listener could not be (re)started.
        rules_model, rules_view, add_rule_button, edit_rule_button, remove_rule_button,
        rules_error: the response rules tab.
        secrets_model, secrets_view, add_kardow_button, add_kudoz_button, reveal_button,
        remove_secret_button, revealed_edit, secrets_error: the secrets tab.
        api_keys_model, api_keys_view, api_keys_empty, generate_key_button, add_key_button,
        remove_key_button, new_key_edit (a generated key, shown once), copy_key_button,
        api_keys_error: the Kardow API tab.
        connect_spin, total_spin, retries_spin, backoff_spin, max_backoff_spin, jitter_spin,
        response_limit_spin, save_policy_button, policy_status, policy_error: the Sending tab.
        rule_editor, secret_editor, key_editor, confirmation: the editor or question open now,
            if any.
    """

    listener_changed = Signal(str)
    api_changed = Signal(str)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._db = db
        self._loaded_limit = 0
        self._shown_limit = 0.0
        self._applying = False
        self.rule_editor: RuleEditor | None = None
        self.secret_editor: SecretEditor | None = None
        self.key_editor: ApiKeyEditor | None = None
        self._loaded_response_limit = 0
        self._shown_response_limit = 0
        self.confirmation: QMessageBox | None = None
        self.setWindowTitle("Hookscope settings")
        self.resize(780, 540)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._listener_tab(), "Listener")
        self.tabs.addTab(self._rules_tab(), "Response rules")
        self.tabs.addTab(self._secrets_tab(), "Secrets")
        self.tabs.addTab(self._api_tab(), "Kardow API")
        self.tabs.addTab(self._sending_tab(), "Sending")
        self.tabs.currentChanged.connect(lambda _index: self._hide_shown())
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(close)
        # Enter in a field must not close the dialog through a default button.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.host_edit.returnPressed.connect(self._apply_clicked)
        self.reload()

    # -- listener ---------------------------------------------------------------------------

    def _listener_tab(self) -> QWidget:
        tab = QWidget()
        self.host_edit = QLineEdit()
        self.host_edit.setPlaceholderText("127.0.0.1")
        self.host_edit.textChanged.connect(self._host_changed)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("0 (any free port)")
        self.limit_spin = QDoubleSpinBox()
        self.limit_spin.setDecimals(2)
        self.limit_spin.setRange(0.01, 900.0)
        self.limit_spin.setSuffix(" MB")
        self.limit_spin.setToolTip("Larger bodies are refused with 413 (and still recorded, cut).")
        self.deadline_spin = QSpinBox()
        self.deadline_spin.setRange(5, 3600)
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setToolTip(
            "A body still arriving after this long is answered 408 and recorded as cut, so a"
            " sender trickling bytes cannot hold a connection forever."
        )
        self.api_port_spin = QSpinBox()
        self.api_port_spin.setRange(0, 65535)
        self.api_port_spin.setSpecialValueText("0 (off)")
        self.api_port_spin.setToolTip(
            "The Kardow API emulator (POST /webhooks) listens on the same host, on this port; "
            "0 turns it off."
        )
        self.apply_button = QPushButton("Apply and restart")
        self.apply_button.setToolTip("Save, then restart the listener and the Kardow API emulator")
        self.apply_button.clicked.connect(self._apply_clicked)
        self.status_label = plain_label()
        self.api_status_label = plain_label()
        self.exposure_label = plain_label(tone="warning")
        self.overrides_label = plain_label()
        self.listener_error = plain_label(tone="error")
        self.api_error = plain_label(tone="error")
        for label in (
            self.exposure_label,
            self.overrides_label,
            self.listener_error,
            self.api_error,
        ):
            label.hide()

        form = QFormLayout()
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_spin)
        form.addRow("Body limit", self.limit_spin)
        form.addRow("Body deadline", self.deadline_spin)
        form.addRow("Kardow API port", self.api_port_spin)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.status_label)
        layout.addWidget(self.api_status_label)
        layout.addLayout(form)
        layout.addWidget(self.exposure_label)
        layout.addWidget(self.overrides_label)
        layout.addWidget(self.listener_error)
        layout.addWidget(self.api_error)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return tab

    def _load_listener(self) -> None:
        effective = self._engine.listener_settings(self._db)
        saved = settings_store.load_listener_settings(self._db)
        self.host_edit.setText(effective.host)
        self.port_spin.setValue(effective.port)
        self._loaded_limit = effective.body_limit
        self.limit_spin.setValue(effective.body_limit / MB)
        self._shown_limit = self.limit_spin.value()
        self.deadline_spin.setValue(round(effective.body_deadline))
        self.api_port_spin.setValue(effective.api_port)
        same = (effective.host, effective.port, effective.api_port) == (
            saved.host,
            saved.port,
            saved.api_port,
        )
        _say(
            self.overrides_label,
            ""
            if same
            else f"This run uses the address given on the command line; the saved one is "
            f"{saved.host}:{saved.port} (Kardow API port {saved.api_port or 'off'}). "
            "Apply saves the form and uses it from now on.",
        )
        self._show_status()

    def _show_status(self) -> None:
        url = self._engine.url
        self.status_label.setText(f"Listening on {url}" if url else "The listener is stopped.")
        api_url = self._engine.api_url
        if api_url:
            api = f"Kardow API emulator on {api_url}"
        elif self._engine.listener_settings(self._db).api_port == 0:
            api = "The Kardow API emulator is off."
        else:
            api = "The Kardow API emulator is stopped."
        self.api_status_label.setText(api)

    def _host_changed(self, text: str) -> None:
        host = text.strip()
        _say(
            self.exposure_label,
            ""
            if not host or is_loopback(host)
            else f"{host} is not a loopback address: the listener will accept deliveries from "
            "other machines, and captures (with the secrets senders put in them) are exposed to "
            "the network.",
        )

    def _limit_bytes(self) -> int:
        """The limit in the form; the loaded one, exact, when the user left it as shown."""
        if self.limit_spin.value() == self._shown_limit:
            return self._loaded_limit
        return round(self.limit_spin.value() * MB)

    @async_slot()
    async def _apply_clicked(self) -> None:
        await self.apply_listener()

    async def apply_listener(self) -> bool:
        """Save the form, then restart the listener with it; False (and why, shown) if not."""
        if self._applying:  # Enter in the host field while a restart is under way
            return False
        host = self.host_edit.text().strip()
        if not host:
            _say(self.listener_error, "The host is empty; 127.0.0.1 listens on this machine only.")
            return False
        try:
            settings = replace(
                settings_store.load_listener_settings(self._db),  # keeps the other fields
                host=host,
                port=self.port_spin.value(),
                body_limit=self._limit_bytes(),
                body_deadline=float(self.deadline_spin.value()),
                api_port=self.api_port_spin.value(),
            )
            settings_store.save_listener_settings(self._db, settings)
        except sqlite3.Error as exc:
            _say(self.listener_error, f"The settings cannot be saved: {exc}.")
            return False
        self._engine.forget_overrides()
        _say(self.listener_error, "")
        _say(self.overrides_label, "")
        self._applying = True
        self.apply_button.setEnabled(False)
        self.status_label.setText("Restarting the listener…")
        problem = api_problem = ""
        try:
            try:
                await asyncio.wrap_future(self._engine.call(self._engine.start_listener()))
            except (ListenError, EngineError) as exc:
                problem = f"{exc} The settings are saved: change them and apply again."
            # The emulator on its own: a taken API port must not keep captures from arriving.
            try:
                await asyncio.wrap_future(self._engine.call(self._engine.start_api()))
            except (ListenError, EngineError) as exc:
                api_problem = f"{exc} The settings are saved: change them and apply again."
        finally:
            # The dialog may have been deleted while the engine was busy.
            if Shiboken.isValid(self):
                self._applying = False
                self.apply_button.setEnabled(True)
                self._show_status()
                _say(self.listener_error, problem)
                _say(self.api_error, api_problem)
        if Shiboken.isValid(self):
            self.listener_changed.emit(self._engine.url)
            self.api_changed.emit(self._engine.api_url)
        return not problem and not api_problem

    # -- response rules ---------------------------------------------------------------------

    def _rules_tab(self) -> QWidget:
        tab = QWidget()
        self.rules_model = RulesModel(self)
        self.rules_view = _table(self.rules_model, stretch=5)
        self.rules_view.doubleClicked.connect(lambda _index: self.edit_rule())
        self.rules_view.selectionModel().selectionChanged.connect(self._rules_selected)
        self.rules_empty = plain_label(NO_RULES)
        self.add_rule_button = QPushButton("Add…")
        self.add_rule_button.clicked.connect(self.add_rule)
        self.edit_rule_button = QPushButton("Edit…")
        self.edit_rule_button.clicked.connect(self.edit_rule)
        self.remove_rule_button = QPushButton("Remove")
        self.remove_rule_button.clicked.connect(self.remove_rule)
        self.rules_error = plain_label(tone="error")
        self.rules_error.hide()
        buttons = QHBoxLayout()
        for button in (self.add_rule_button, self.edit_rule_button, self.remove_rule_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addWidget(
            plain_label(
                "The listener answers each request with the first enabled rule whose glob "
                "matches its path (lower positions first); otherwise with 200 "
                '{"ok": true, "capture_id": N}.'
            )
        )
        layout.addWidget(self.rules_view, 1)
        layout.addWidget(self.rules_empty)
        layout.addLayout(buttons)
        layout.addWidget(self.rules_error)
        return tab

    def _load_rules(self) -> None:
        self.rules_model.set_rows(settings_store.list_rules(self._db))
        _fit_columns(self.rules_view)
        self.rules_empty.setVisible(self.rules_model.rowCount() == 0)
        self._rules_selected()

    def selected_rule(self) -> ResponseRule | None:
        return _selected(self.rules_view, self.rules_model)

    def _rules_selected(self) -> None:
        why = None if self.selected_rule() else "Select a rule first."
        for button in (self.edit_rule_button, self.remove_rule_button):
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def add_rule(self) -> RuleEditor:
        rules = self.rules_model.rows()
        position = max(r.position for r in rules) + 1 if rules else 0
        return self._open_rule_editor(RuleEditor(self._db, position=position, parent=self))

    def edit_rule(self) -> RuleEditor | None:
        rule = self.selected_rule()
        if rule is None:
            return None
        return self._open_rule_editor(RuleEditor(self._db, rule, parent=self))

    def _open_rule_editor(self, editor: RuleEditor) -> RuleEditor:
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._rule_saved)
        editor.finished.connect(self._rule_editor_closed)
        self.rule_editor = editor
        _say(self.rules_error, "")
        editor.open()
        return editor

    def _rule_saved(self, rule_id: int) -> None:
        self._load_rules()
        _select(self.rules_view, self.rules_model, lambda r: r.id == rule_id)

    def _rule_editor_closed(self) -> None:
        self.rule_editor = None

    def remove_rule(self) -> QMessageBox | None:
        rule = self.selected_rule()
        if rule is None or rule.id is None:
            return None
        rule_id = rule.id
        return self._confirm_removal(
            "Remove response rule",
            f"Remove the rule for {rule.pattern} (position {rule.position})? Requests it "
            "answered will get the next matching rule, or the default 200.",
            remove=lambda: settings_store.delete_rule(self._db, rule_id),
            what="The rule",
            gone=f"No rule with id {rule_id}: it was already removed.",
            error_label=self.rules_error,
            reload=self._load_rules,
        )

    # -- secrets ----------------------------------------------------------------------------

    def _secrets_tab(self) -> QWidget:
        tab = QWidget()
        self.secrets_model = SecretsModel(self)
        self.secrets_view = _table(self.secrets_model, stretch=3)
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
        layout = QVBoxLayout(tab)
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
        return tab

    def _load_secrets(self) -> None:
        self._hide_secret()
        self.secrets_model.set_rows(credential_store.list_credentials(self._db))
        _fit_columns(self.secrets_view)
        self.secrets_empty.setVisible(self.secrets_model.rowCount() == 0)
        self._secrets_selected()

    def selected_secret(self) -> CredentialInfo | None:
        return _selected(self.secrets_view, self.secrets_model)

    def _secrets_selected(self) -> None:
        self._hide_secret()
        why = None if self.selected_secret() else "Select a secret first."
        for button in (self.reveal_button, self.remove_secret_button):
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def add_kardow(self) -> SecretEditor:
        return self._open_secret_editor("kardow")

    def add_kudoz(self) -> SecretEditor:
        return self._open_secret_editor("kudoz")

    def _open_secret_editor(self, provider: str) -> SecretEditor:
        editor = SecretEditor(self._db, self._engine.key_file, provider, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._secret_saved)
        editor.finished.connect(self._secret_editor_closed)
        self.secret_editor = editor
        _say(self.secrets_error, "")
        editor.open()
        return editor

    def _secret_saved(self, name: str) -> None:
        self._load_secrets()
        _select(self.secrets_view, self.secrets_model, lambda c: c.name == name)

    def _secret_editor_closed(self) -> None:
        self.secret_editor = None

    def _reveal_toggled(self, on: bool) -> None:
        if on:
            self.reveal_secret()
        else:
            self._hide_secret()

    def reveal_secret(self) -> bool:
        """Decrypt the selected secret and show it until hidden; False (and why) if it cannot."""
        info = self.selected_secret()
        if info is None:
            self._hide_secret()
            return False
        try:
            vault = load_vault(self._engine.key_file, create=False)
            if vault is None:
                raise KeyFileError(
                    f"The secrets key {self._engine.key_file} is missing, so the stored secrets "
                    "cannot be decrypted."
                )
            found = [
                c for c in credential_store.load_credentials(self._db, vault) if c.id == info.id
            ]
            if not found:
                raise CredentialError(f"No secret named {info.name!r}: it was removed.")
        except (KeyFileError, VaultError, CredentialError) as exc:
            self._hide_secret()
            _say(self.secrets_error, str(exc))
            return False
        _say(self.secrets_error, "")
        what = "API secret" if info.provider == "kudoz" else "Secret"
        self.revealed_label.setText(f"{what} of {info.name}:")
        self.revealed_edit.setText(found[0].secret)
        self._revealed_row.show()
        self.reveal_button.blockSignals(True)
        self.reveal_button.setChecked(True)
        self.reveal_button.blockSignals(False)
        self.reveal_button.setText("Hide")
        return True

    def _hide_secret(self) -> None:
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
            remove=lambda: credential_store.remove_credential(self._db, name),
            what="The secret",
            gone=f"No secret named {name!r}: it was already removed.",
            error_label=self.secrets_error,
            reload=self._load_secrets,
        )

    # -- the Kardow API emulator's keys -----------------------------------------------------

    def _api_tab(self) -> QWidget:
        tab = QWidget()
        self.api_keys_model = ApiKeysModel(self)
        self.api_keys_view = _table(self.api_keys_model, stretch=1)
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
        layout = QVBoxLayout(tab)
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
        return tab

    def _load_api_keys(self) -> None:
        self.api_keys_model.set_rows(target_store.list_api_keys(self._db))
        _fit_columns(self.api_keys_view)
        self.api_keys_empty.setVisible(self.api_keys_model.rowCount() == 0)
        self._api_keys_selected()

    def selected_api_key(self) -> ApiKeyInfo | None:
        return _selected(self.api_keys_view, self.api_keys_model)

    def _api_keys_selected(self) -> None:
        why = None if self.selected_api_key() else "Select a key first."
        self.remove_key_button.setEnabled(why is None)
        self.remove_key_button.setToolTip(why or "Stop accepting this key")

    def generate_key(self) -> str:
        """Make a random key, accept it, and show it once; "" (and why) if it cannot be stored."""
        key = "kd_" + secrets.token_urlsafe(24)
        try:
            info = target_store.add_api_key(self._db, key)
        except (TargetError, sqlite3.Error) as exc:
            _say(self.api_keys_error, f"The key cannot be stored: {exc}")
            return ""
        _say(self.api_keys_error, "")
        self._load_api_keys()
        _select(self.api_keys_view, self.api_keys_model, lambda k: k.digest == info.digest)
        self.new_key_edit.setText(key)
        self.new_key_edit.setCursorPosition(0)
        self._new_key_row.show()
        return key

    def copy_new_key(self) -> None:
        if self.new_key_edit.text():
            QGuiApplication.clipboard().setText(self.new_key_edit.text())

    def _hide_new_key(self) -> None:
        self.new_key_edit.clear()
        self._new_key_row.hide()

    def add_key(self) -> ApiKeyEditor:
        editor = ApiKeyEditor(self._db, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._key_saved)
        editor.finished.connect(self._key_editor_closed)
        self.key_editor = editor
        _say(self.api_keys_error, "")
        self._hide_new_key()
        editor.open()
        return editor

    def _key_saved(self, key_digest: str) -> None:
        self._load_api_keys()
        _select(self.api_keys_view, self.api_keys_model, lambda k: k.digest == key_digest)

    def _key_editor_closed(self) -> None:
        self.key_editor = None

    def remove_key(self) -> QMessageBox | None:
        info = self.selected_api_key()
        if info is None:
            return None
        key_digest = info.digest
        self._hide_new_key()
        return self._confirm_removal(
            "Remove API key",
            f"Stop accepting the key ending {info.hint}? Integrations that send it will get 401.",
            remove=lambda: target_store.remove_api_key(self._db, key_digest),
            what="The key",
            gone="That key was already removed.",
            error_label=self.api_keys_error,
            reload=self._load_api_keys,
        )

    # -- sending ----------------------------------------------------------------------------

    def _sending_tab(self) -> QWidget:
        tab = QWidget()

        def seconds(low: float, high: float, tip: str) -> QDoubleSpinBox:
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setRange(low, high)
            spin.setSuffix(" s")
            spin.setToolTip(tip)
            return spin

        self.connect_spin = seconds(0.0, 600.0, "How long to wait for the connection")
        self.total_spin = seconds(0.0, 3600.0, "How long a whole try may take, connecting included")
        self.retries_spin = QSpinBox()
        self.retries_spin.setRange(0, MAX_RETRIES)
        self.retries_spin.setSpecialValueText("0 (no retries)")
        self.backoff_spin = seconds(0.0, 3600.0, "The wait before the first retry")
        self.max_backoff_spin = seconds(0.0, 3600.0, "No wait between tries is longer than this")
        self.jitter_spin = QSpinBox()
        self.jitter_spin.setRange(0, 100)
        self.jitter_spin.setSuffix(" %")
        self.jitter_spin.setToolTip(
            "Each wait is shortened by a random part of up to this much, so retries to one "
            "target do not arrive in lockstep"
        )
        self.response_limit_spin = QSpinBox()
        self.response_limit_spin.setRange(0, MAX_RESPONSE_LIMIT // KB)
        self.response_limit_spin.setSuffix(" KB")
        self.response_limit_spin.setToolTip("Answers are kept in the delivery log up to this size")
        self.save_policy_button = QPushButton("Save")
        self.save_policy_button.clicked.connect(self.save_policy)
        self.policy_status = plain_label()
        self.policy_status.hide()
        self.policy_error = plain_label(tone="error")
        self.policy_error.hide()

        form = QFormLayout()
        form.addRow("Connect timeout", self.connect_spin)
        form.addRow("Total timeout", self.total_spin)
        form.addRow("Retries", self.retries_spin)
        form.addRow("First wait", self.backoff_spin)
        form.addRow("Longest wait", self.max_backoff_spin)
        form.addRow("Jitter", self.jitter_spin)
        form.addRow("Response body limit", self.response_limit_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.policy_status, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.save_policy_button)
        layout = QVBoxLayout(tab)
        layout.addWidget(
            plain_label("How Hookscope sends fires and replays to targets and other URLs.")
        )
        layout.addLayout(form)
        # Sentences under the form, not in it: wrapped labels in form rows get odd heights.
        layout.addWidget(
            plain_label(
                "Retries apply to fires and replays from this window: connection errors, "
                "timeouts, 429 and 5xx answers are tried again, each wait twice the one before "
                "(up to the longest wait). The command line does not retry unless given "
                "--retries."
            )
        )
        layout.addWidget(self.policy_error)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return tab

    def _load_policy(self) -> None:
        policy = settings_store.load_send_policy(self._db)
        self.connect_spin.setValue(policy.connect_timeout)
        self.total_spin.setValue(policy.total_timeout)
        self.retries_spin.setValue(policy.retries)
        self.backoff_spin.setValue(policy.backoff)
        self.max_backoff_spin.setValue(policy.max_backoff)
        self.jitter_spin.setValue(round(policy.jitter * 100))
        self._loaded_response_limit = policy.response_limit
        self.response_limit_spin.setValue(max(1, round(policy.response_limit / KB)))
        self._shown_response_limit = self.response_limit_spin.value()
        _say(self.policy_error, "")
        _say(self.policy_status, "")

    def read_policy(self) -> SendPolicy | str:
        """The policy the form describes, or why it cannot be used (a sentence)."""
        limit = self.response_limit_spin.value()
        policy = replace(
            settings_store.load_send_policy(self._db),
            connect_timeout=self.connect_spin.value(),
            total_timeout=self.total_spin.value(),
            retries=self.retries_spin.value(),
            backoff=self.backoff_spin.value(),
            max_backoff=self.max_backoff_spin.value(),
            jitter=self.jitter_spin.value() / 100,
            response_limit=(
                self._loaded_response_limit if limit == self._shown_response_limit else limit * KB
            ),
        )
        return check_policy(policy) or policy

    def save_policy(self) -> bool:
        """Validate and save the sending policy; on a problem, say it and save nothing."""
        policy = self.read_policy()
        if isinstance(policy, str):
            _say(self.policy_error, policy)
            _say(self.policy_status, "")
            return False
        try:
            settings_store.save_send_policy(self._db, policy)
        except sqlite3.Error as exc:
            _say(self.policy_error, f"The settings cannot be saved: {exc}.")
            return False
        _say(self.policy_error, "")
        _say(self.policy_status, "Saved: the next fire uses these.")
        return True

    # -- shared -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Show what is stored now (another process may have changed it)."""
        self._load_listener()
        self._host_changed(self.host_edit.text())
        self._load_rules()
        self._load_secrets()
        self._hide_new_key()
        self._load_api_keys()
        self._load_policy()

    def _hide_shown(self) -> None:
        """Nothing secret stays on screen: a revealed secret, a generated key."""
        self._hide_secret()
        self._hide_new_key()

    def _confirm_removal(
        self,
        title: str,
        question: str,
        *,
        remove: Callable[[], bool],
        what: str,
        gone: str,
        error_label: QLabel,
        reload: Callable[[], None],
    ) -> QMessageBox:
        """Ask, then remove; a store error or a row already gone is said, then the list reloads."""

        def answered(yes: bool) -> None:
            if not yes:
                return
            try:
                removed = remove()
            except sqlite3.Error as exc:
                _say(error_label, f"{what} cannot be removed: {exc}.")
                return
            if not removed:
                _say(error_label, gone)
            reload()

        return self._confirm(title, question, answered)

    def _confirm(self, title: str, text: str, answered: Callable[[bool], None]) -> QMessageBox:
        """Ask without blocking (`open()`, not `exec()`); `answered(yes)` runs on the reply."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the text carries user data
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished() -> None:
            self.confirmation = None
            clicked = box.clickedButton()
            yes = (
                clicked is not None
                and box.standardButton(clicked) == QMessageBox.StandardButton.Yes
            )
            answered(yes)

        box.finished.connect(finished)
        self.confirmation = box
        box.open()
        return box

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():
            self.reload()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._hide_shown()  # a revealed secret or new key does not outlive the dialog on screen
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)


def _table(model: QAbstractTableModel, *, stretch: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def _fit_columns(view: QTableView) -> None:
    """Size columns to their contents, none wider than ~36 characters (long globs, keys)."""
    header = view.horizontalHeader()
    widest = view.fontMetrics().averageCharWidth() * COLUMN_CHARS
    for column in range(header.count()):
        if header.sectionResizeMode(column) == QHeaderView.ResizeMode.Stretch:
            continue
        view.resizeColumnToContents(column)
        view.setColumnWidth(column, min(view.columnWidth(column), widest))


def _selected(view: QTableView, model: RecordTableModel[T]) -> T | None:
    rows = view.selectionModel().selectedRows()
    if not rows or not 0 <= rows[0].row() < model.rowCount():
        return None
    return model.item(rows[0].row())


def _select(view: QTableView, model: RecordTableModel[T], which: Callable[[T], bool]) -> None:
    for row, item in enumerate(model.rows()):
        if which(item):
            view.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            view.setCurrentIndex(model.index(row, 0))
            return
