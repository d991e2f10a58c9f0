"""The add-target form: checked as typed with the emulator's own rules."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from hookscope.core.model import ANY_EVENT, TARGET_TYPES, Target
from hookscope.core.providers.kardow import EVENTS
from hookscope.core.registration import Registration, validate
from hookscope.core.tasks import spawn
from hookscope.core.vault import VaultError
from hookscope.engine import EngineError
from hookscope.storage.reads import KeyFileError, TargetError
from hookscope.ui.style import show_text
from hookscope.ui.targets.model import TYPE_HINTS, short_id
from hookscope.ui.widgets.fields import SecretField
from hookscope.ui.widgets.labels import plain_label

log = logging.getLogger(__name__)

FIELD_NAMES = {"event": "Event", "target_type": "Type", "target_url": "URL", "secret": "Secret"}
# Failures of the store or the key file that an action can meet; said, never raised to Qt.
PROBLEMS = (TargetError, KeyFileError, VaultError, EngineError, sqlite3.Error)


class TargetEditor(QDialog):
    """Registers one target, checked as typed with the emulator's own rules.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        saved(str): the target was registered (its id); the dialog then closes.

    Attributes:
        event_combo: the 12 Kardow events and "*" (the item data is the event).
        type_combo: webhook, discord or slack.
        url_edit: the target URL (surrounding spaces are dropped).
        secret_field: the optional signing secret (webhook targets only; hidden as typed).
        reasons: a label per field ("event", "target_type", "target_url", "secret") saying what
            is wrong with it, hidden when nothing is.
        error_label: why registering failed (the store, the key file), hidden when it did not.
        buttons: Save and Cancel.
    """

    saved = Signal(str)

    def __init__(
        self,
        register: Callable[[Registration], Awaitable[Target]],
        existing: Callable[[], Sequence[Target]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._register = register
        self._existing = existing
        self._tried = False
        self._saving = False
        self.setWindowTitle("Add target")
        self.setMinimumWidth(560)

        self.event_combo = QComboBox()
        for event in EVENTS:
            self.event_combo.addItem(event, event)
        self.event_combo.addItem("* (every event)", ANY_EVENT)
        self.type_combo = QComboBox()
        for kind in TARGET_TYPES:
            self.type_combo.addItem(kind, kind)
        self.type_hint = plain_label()
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://example.com/hooks/kardow")
        self.secret_field = SecretField()
        self.secret_field.edit.setPlaceholderText("optional; at least 16 characters")
        self.reasons = {name: plain_label(tone="error") for name in FIELD_NAMES}
        for label in (self.type_hint, *self.reasons.values()):
            # One line each: wrapped labels in form rows get heights from a guessed width.
            label.setWordWrap(False)
        for label in self.reasons.values():
            label.hide()
        self.error_label = plain_label(tone="error")
        self.error_label.hide()

        form = QFormLayout()
        # Every field as wide as the form: wrapped reasons were squeezed into a narrow column.
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Event", self.event_combo)
        form.addRow("", self.reasons["event"])
        form.addRow("Type", self.type_combo)
        form.addRow("", self.type_hint)
        form.addRow("", self.reasons["target_type"])
        form.addRow("URL", self.url_edit)
        form.addRow("", self.reasons["target_url"])
        form.addRow("Secret", self.secret_field)
        form.addRow("", self.reasons["secret"])
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            plain_label(
                "Fires of the event are sent to every enabled target registered for it. "
                "Registering the same event, type and URL again returns the existing target, "
                "as Kardow does."
            )
        )
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.event_combo.currentIndexChanged.connect(lambda _: self.check())
        self.type_combo.currentIndexChanged.connect(lambda _: self._type_changed())
        self.url_edit.textChanged.connect(lambda _: self.check())
        self.secret_field.edit.textChanged.connect(lambda _: self.check())
        self._type_changed()

    def _type_changed(self) -> None:
        kind = str(self.type_combo.currentData())
        self.type_hint.setText(TYPE_HINTS[kind])
        signed = kind == "webhook"
        self.secret_field.setEnabled(signed)
        self.secret_field.setToolTip(
            "" if signed else "Discord and Slack targets are not signed: no secret is kept."
        )
        self.check()

    def read_form(self) -> Registration | dict[str, str]:
        """The registration the form describes, or each invalid field's reason (a sentence)."""
        kind = str(self.type_combo.currentData())
        secret = self.secret_field.text() if kind == "webhook" else ""
        body = {
            "event": self.event_combo.currentData(),
            "target_type": kind,
            "target_url": self.url_edit.text().strip(),
            "secret": secret or None,
        }
        result = validate(body)
        if isinstance(result, dict):
            return {
                name: f"{FIELD_NAMES.get(name, name.capitalize())} {why}."
                for name, why in result.items()
            }
        for target in self._existing():
            if (target.event, target.target_type, target.target_url) == (
                result.event,
                result.target_type,
                result.target_url,
            ):
                return {
                    "target_url": f"Already registered: target {short_id(target.id)} has this "
                    "event, type and URL."
                }
        return result

    def check(self) -> Registration | None:
        """Show each field's reason (an untouched empty URL is not yet one); the registration."""
        result = self.read_form()
        problems = result if isinstance(result, dict) else {}
        for name, label in self.reasons.items():
            why = problems.get(name, "")
            if name == "target_url" and not self.url_edit.text().strip() and not self._tried:
                why = ""
            show_text(label, why)
        return None if isinstance(result, dict) else result

    def _save_clicked(self) -> None:
        # The reasons at once, without the loop; only a valid form goes to the engine.
        self._tried = True
        if self.check() is not None:
            spawn(self._submit(), name="target-editor-save")

    async def _submit(self) -> None:
        try:
            await self.save()
        except Exception:
            log.exception("registering a target")

    async def save(self) -> bool:
        """Register the target; on a problem, say it in the dialog and keep it open."""
        if self._saving:
            return False
        self._tried = True
        registration = self.check()
        if registration is None:
            return False
        self._saving = True
        self.buttons.setEnabled(False)
        problem = ""
        target: Target | None = None
        try:
            target = await self._register(registration)
        except PROBLEMS as exc:
            problem = f"The target cannot be registered: {exc}"
        finally:
            if Shiboken.isValid(self):
                self._saving = False
                self.buttons.setEnabled(True)
        if not Shiboken.isValid(self):
            return target is not None
        show_text(self.error_label, problem)
        if target is None:
            return False
        self.saved.emit(target.id)
        self.accept()
        return True
