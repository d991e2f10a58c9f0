"""The Kardow API emulator's registry: its address, and the targets fires are sent to."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QPalette,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.model import ANY_EVENT, TARGET_TYPES, Target
from hookscope.core.providers.kardow import EVENTS
from hookscope.core.registration import Registration, validate
from hookscope.core.tasks import spawn
from hookscope.core.vault import VaultError
from hookscope.engine import Engine, EngineError
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.keyfile import KeyFileError
from hookscope.storage.targets import TargetError
from hookscope.ui.background import Background
from hookscope.ui.models import RecordTableModel, plain_tooltip
from hookscope.ui.settings import SecretField, plain_label
from hookscope.ui.style import local_time, retint, set_tone

log = logging.getLogger(__name__)

# Targets written by the emulator's HTTP API or the command line show up within this.
REVISION_MS = 500
FIELD_NAMES = {"event": "Event", "target_type": "Type", "target_url": "URL", "secret": "Secret"}
TYPE_HINTS = {
    "webhook": "Kardow's JSON, signed with X-Kardow-Signature when the target has a secret.",
    "discord": "A Discord execute-webhook message (embeds); not signed.",
    "slack": "A Slack incoming-webhook message (blocks); not signed.",
}
# Failures of the store or the key file that an action can meet; said, never raised to Qt.
PROBLEMS = (TargetError, KeyFileError, VaultError, EngineError, sqlite3.Error)


def _say(label: QLabel, text: str) -> None:
    """Show a sentence in a message label; an empty one hides it."""
    label.setText(text)
    label.setVisible(bool(text))


def short_id(target_id: str) -> str:
    return target_id[:8]


class TargetsModel(RecordTableModel[Target]):
    """The registry, oldest first; a Target (without its secret) per row; disabled rows grey."""

    COLUMNS = ("On", "Event", "Type", "URL", "Signed", "Created", "Id")
    ON, EVENT, TYPE, URL, SIGNED, CREATED, ID = range(7)

    def _text(self, item: Target, column: int) -> str:
        if column == self.ON:
            return "on" if item.is_enabled else "off"
        if column == self.EVENT:
            return item.event
        if column == self.TYPE:
            return item.target_type
        if column == self.URL:
            return item.target_url
        if column == self.SIGNED:
            if item.target_type != "webhook":
                return "n/a"
            return "yes" if item.has_secret else "no"
        if column == self.CREATED:
            return local_time(item.created_at, date=True)
        return item.id

    def _foreground(self, item: Target) -> QColor | None:
        if item.is_enabled:
            return None
        return QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
        )

    def _tooltip(self, item: Target, column: int) -> str | None:
        if column == self.ON:
            if item.is_enabled:
                return "Enabled: fires of its event are sent here. Space turns it off."
            return "Disabled: fires skip this target. Space turns it on."
        if column == self.EVENT and item.event == ANY_EVENT:
            return "Every event"
        if column == self.TYPE:
            return TYPE_HINTS.get(item.target_type)
        if column == self.URL:
            return plain_tooltip(item.target_url)
        if column == self.SIGNED:
            if item.target_type != "webhook":
                return "Discord and Slack targets are not signed."
            if item.has_secret:
                return "Deliveries carry X-Kardow-Signature, the HMAC-SHA256 of the body."
            return "No secret: deliveries are sent unsigned."
        if column == self.ID:
            return plain_tooltip(item.id)
        return None


# -- the add form ------------------------------------------------------------------------------


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
            _say(label, why)
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
        _say(self.error_label, problem)
        if target is None:
            return False
        self.saved.emit(target.id)
        self.accept()
        return True


# -- the panel ---------------------------------------------------------------------------------


class TargetsPanel(QWidget):
    """The emulator's registry: where it listens, which targets fires go to, and their switches.

    Targets added here, with `hookscope targets add`, or by an integration calling the emulator
    (`POST /webhooks`) all land in the same table; while shown, the panel notices changes from
    any process within REVISION_MS (it polls the store's config revision), and it reads the
    table again each time it is shown.

    Keys (while the table has focus): Space turns the selected targets on or off, Delete asks to
    remove them, Ctrl+C copies their ids, Ctrl+Shift+C their URLs.

    Signals:
        message(str): a sentence about what an action did (the window may show it in its status
            bar; the panel shows it too).
        targets_changed(int): the table was read again; how many targets there are.

    Attributes:
        model: the TargetsModel.
        table: the view of it (several rows may be selected).
        api_status: where the emulator listens, or why it does not.
        copy_api_button: copies the emulator's URL.
        key_warning: said when no API key is configured (every request would get 401).
        empty_hint: how to add targets, shown when there is none.
        add_button, toggle_button, remove_button, copy_id_button, copy_url_button: the actions.
        toggle_action, remove_action, copy_id_action, copy_url_action: their keys.
        message_label: the last action's outcome (error-toned when it failed).
        editor: the add form open now, if any.
        confirmation: the removal question open now, if any.
    """

    message = Signal(str)
    targets_changed = Signal(int)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._db = db
        self._revision = -1
        self._work = Background(
            self, "targets-action", lambda exc: self._tell(f"That did not work: {exc}", error=True)
        )
        self.editor: TargetEditor | None = None
        self.confirmation: QMessageBox | None = None
        self.model = TargetsModel(self)
        self._build()
        self._build_actions()
        # Polls only while shown (a hidden tab reads the store again when it is shown).
        self._poll = QTimer(self, interval=REVISION_MS)
        self._poll.timeout.connect(self._tick)
        self.refresh()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        top = QHBoxLayout()
        self.api_status = plain_label()
        top.addWidget(self.api_status, 1)
        self.copy_api_button = QPushButton("Copy URL")
        self.copy_api_button.setToolTip("Copy the emulator's base URL")
        self.copy_api_button.clicked.connect(self.copy_api_url)
        top.addWidget(self.copy_api_button)
        self.key_warning = plain_label(
            "No API key is configured, so every request to the emulator gets 401: add a key in "
            "Settings > Kardow API.",
            tone="warning",
        )
        self.key_warning.hide()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        chars = self.table.fontMetrics().averageCharWidth()
        widths = {
            TargetsModel.ON: 6,
            TargetsModel.EVENT: 26,
            TargetsModel.TYPE: 10,
            TargetsModel.SIGNED: 8,
            TargetsModel.CREATED: 25,
            TargetsModel.ID: 20,
        }
        for column, width in widths.items():
            header.resizeSection(column, width * chars + 12)
        header.setSectionResizeMode(TargetsModel.URL, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _index: self.toggle_selected())

        self.empty_hint = plain_label()
        self.empty_hint.setEnabled(False)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add target…")
        self.add_button.clicked.connect(self.open_editor)
        self.toggle_button = QPushButton("Disable")
        self.toggle_button.clicked.connect(self.toggle_selected)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.clicked.connect(self.ask_remove)
        self.copy_id_button = QPushButton("Copy id")
        self.copy_id_button.clicked.connect(self.copy_ids)
        self.copy_url_button = QPushButton("Copy URL")
        self.copy_url_button.clicked.connect(self.copy_urls)
        for button in (
            self.add_button,
            self.toggle_button,
            self.remove_button,
            self.copy_id_button,
            self.copy_url_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.count_label = plain_label()
        self.count_label.setWordWrap(False)
        buttons.addWidget(self.count_label)
        self.message_label = plain_label()
        self.message_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.key_warning)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_hint)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)

    def _build_actions(self) -> None:
        def action(text: str, key: QKeySequence | str, slot: Callable[[], object]) -> QAction:
            made = QAction(text, self.table)
            made.setShortcut(QKeySequence(key))
            # Only while the table has focus: the keys keep their meaning in text fields.
            made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            made.triggered.connect(lambda _=False: slot())
            self.table.addAction(made)
            return made

        self.toggle_action = action("Enable or disable", "Space", self.toggle_selected)
        self.remove_action = action(
            "Remove…", QKeySequence(QKeySequence.StandardKey.Delete), self.ask_remove
        )
        self.copy_id_action = action(
            "Copy id", QKeySequence(QKeySequence.StandardKey.Copy), self.copy_ids
        )
        self.copy_url_action = action("Copy URL", "Ctrl+Shift+C", self.copy_urls)

    # -- reading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the registry again, keeping the selection; show the emulator's state."""
        self._revision = settings_store.config_revision(self._db)
        chosen = set(self.selected_ids())
        current = self._current_id()
        self.model.set_rows(target_store.list_targets(self._db))
        self._select(lambda target: target.id in chosen, current)
        self._show_api_state()
        self._selection_changed()
        self.targets_changed.emit(self.model.rowCount())

    def _tick(self) -> None:
        try:
            revision = settings_store.config_revision(self._db)
        except sqlite3.Error:
            log.exception("reading the config revision")
            return
        if revision != self._revision:
            self.refresh()
        else:
            self._show_api_state()

    def _show_api_state(self) -> None:
        url = self._engine.api_url
        if url:
            text = f"Kardow API emulator: {url} — point your integration's base URL here"
        elif self._engine.api_error:
            text = f"Kardow API emulator not running: {self._engine.api_error}"
        elif self._engine.listener_settings(self._db).api_port == 0:
            text = "Kardow API emulator turned off (Settings > Kardow API)"
        else:
            text = "Kardow API emulator not running."
        self.api_status.setText(text)
        self.copy_api_button.setEnabled(bool(url))
        self.key_warning.setVisible(self._engine.api_key_state(None) == "unconfigured")
        rows = self.model.rows()
        enabled = sum(1 for target in rows if target.is_enabled)
        self.count_label.setText(
            f"{len(rows)} target{'s' if len(rows) != 1 else ''}, {enabled} enabled" if rows else ""
        )
        where = f" ({url})" if url else ""
        self.empty_hint.setText(
            "No targets yet. Add one with Add target…, from a terminal with "
            "`hookscope targets add --event job.created --type webhook --url URL`, or from "
            f"your integration with POST /webhooks on the emulator{where}. Fires are sent to "
            "every enabled target whose event matches."
        )
        self.empty_hint.setVisible(not rows)

    # -- selection ----------------------------------------------------------------------------

    def selected_targets(self) -> list[Target]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.item(row) for row in rows if 0 <= row < self.model.rowCount()]

    def selected_ids(self) -> list[str]:
        return [target.id for target in self.selected_targets()]

    def _current_id(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.item(index.row()).id

    def _select(self, which: Callable[[Target], bool], current: str | None = None) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for row, target in enumerate(self.model.rows()):
            if which(target):
                selection.select(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
            if target.id == current:
                selection.setCurrentIndex(
                    self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )

    def select_target(self, target_id: str) -> None:
        """Select this one target (and scroll to it)."""
        self._select(lambda target: target.id == target_id, target_id)
        for row, target in enumerate(self.model.rows()):
            if target.id == target_id:
                self.table.scrollTo(self.model.index(row, 0))

    def _selection_changed(self) -> None:
        chosen = self.selected_targets()
        why = None if chosen else "Select a target first."
        for button in (
            self.toggle_button,
            self.remove_button,
            self.copy_id_button,
            self.copy_url_button,
        ):
            button.setEnabled(why is None)
            button.setToolTip(why or "")
        enable = bool(chosen) and not all(target.is_enabled for target in chosen)
        self.toggle_button.setText("Enable" if enable else "Disable")
        if why is None:
            self.toggle_button.setToolTip(
                "Turn on: fires are sent here again (Space)"
                if enable
                else "Turn off: fires skip these targets (Space)"
            )

    # -- actions ------------------------------------------------------------------------------

    def open_editor(self) -> TargetEditor:
        """Open the add form (non-blocking); the new target is selected once saved."""
        editor = TargetEditor(self.add, self.model.rows, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(self._editor_closed)
        self.editor = editor
        editor.open()
        return editor

    def _editor_closed(self) -> None:
        self.editor = None

    async def add(self, registration: Registration) -> Target:
        """Register a target through the engine (the one writer); the existing one if known."""
        target, created = await asyncio.wrap_future(
            self._engine.call(self._engine.register(registration))
        )
        if Shiboken.isValid(self):
            self.refresh()
            self.select_target(target.id)
            if created:
                self._tell(f"Added target {short_id(target.id)}: {target.target_url}")
            else:
                self._tell(
                    f"Already registered: target {short_id(target.id)} has this event, "
                    "type and URL; it is unchanged."
                )
        return target

    async def set_enabled(self, ids: Sequence[str], enabled: bool) -> list[Target]:
        """Turn these targets on or off; the targets as stored now (missing ones are said)."""
        changed: list[Target] = []
        for target_id in ids:
            target = await asyncio.wrap_future(
                self._engine.call(self._engine.set_target_enabled(target_id, enabled))
            )
            if target is not None:
                changed.append(target)
        if Shiboken.isValid(self):
            self.refresh()
            state = "enabled" if enabled else "disabled"
            missing = len(ids) - len(changed)
            text = f"{_targets(len(changed))} {state}."
            if missing:
                text += f" {_targets(missing)} had already been removed."
            self._tell(text)
        return changed

    async def remove(self, ids: Sequence[str]) -> int:
        """Remove these targets from the registry; how many were there to remove."""
        removed = 0
        for target_id in ids:
            if await asyncio.wrap_future(self._engine.call(self._engine.remove_target(target_id))):
                removed += 1
        if Shiboken.isValid(self):
            self.refresh()
            self._tell(f"Removed {_targets(removed).lower()}.")
        return removed

    def toggle_selected(self) -> None:
        """Enable the selection if any of it is off, else disable it (Space)."""
        chosen = self.selected_targets()
        if not chosen:
            return
        enable = not all(target.is_enabled for target in chosen)
        self._background(self.set_enabled([target.id for target in chosen], enable))

    def ask_remove(self) -> QMessageBox | None:
        """Ask, without blocking, whether to remove the selected targets (Delete)."""
        chosen = self.selected_targets()
        if not chosen:
            return None
        if len(chosen) == 1:
            target = chosen[0]
            what = (
                f"the {target.target_type} target {target.target_url} "
                f"(event {target.event}, id {short_id(target.id)})"
            )
        else:
            what = f"these {len(chosen)} targets"
        ids = [target.id for target in chosen]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove targets",
            f"Remove {what}? Fires will no longer be sent there; an integration that "
            "registered it may register it again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the text carries user data
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished() -> None:
            self.confirmation = None
            clicked = box.clickedButton()
            if (
                clicked is not None
                and box.standardButton(clicked) == QMessageBox.StandardButton.Yes
            ):
                self._background(self.remove(ids))

        box.finished.connect(finished)
        self.confirmation = box
        box.open()
        return box

    def copy_ids(self) -> None:
        ids = self.selected_ids()
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))
            self._tell(f"Copied {'the id' if len(ids) == 1 else f'{len(ids)} ids'}.")

    def copy_urls(self) -> None:
        urls = [target.target_url for target in self.selected_targets()]
        if urls:
            QGuiApplication.clipboard().setText("\n".join(urls))
            self._tell(f"Copied {'the URL' if len(urls) == 1 else f'{len(urls)} URLs'}.")

    def copy_api_url(self) -> None:
        url = self._engine.api_url
        if url:
            QGuiApplication.clipboard().setText(url)
            self._tell(f"Copied {url}")

    # -- plumbing -----------------------------------------------------------------------------

    def _tell(self, text: str, *, error: bool = False) -> None:
        set_tone(self.message_label, "error" if error else None)
        _say(self.message_label, text)
        if text:
            self.message.emit(text)

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    def stop_timers(self) -> None:
        """The window is closing: nothing may read the store after it closes."""
        self._poll.stop()

    async def settle(self) -> None:
        """Wait for actions started from buttons and keys (tests, and closing)."""
        await self._work.settle()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()
        self._poll.start()

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():
            self._poll.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)


def _targets(count: int) -> str:
    return "1 target" if count == 1 else f"{count} targets"
