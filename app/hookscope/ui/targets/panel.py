"""The Targets tab: where the emulator listens, which targets fires go to, their switches."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.model import Target
from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.client import EngineClient
from hookscope.ui.formats import targets_phrase
from hookscope.ui.style import retint, set_tone, show_text
from hookscope.ui.targets.editor import TargetEditor
from hookscope.ui.targets.model import TargetsModel, short_id
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.menus import attach_context_menu
from hookscope.ui.widgets.tables import list_table

log = logging.getLogger(__name__)

# Targets written by the emulator's HTTP API or the command line show up within this.


class TargetsPanel(QWidget):
    """The emulator's registry: where it listens, which targets fires go to, and their switches.

    Targets added here, with `hookscope targets add`, or by an integration calling the emulator
    (`POST /webhooks`) all land in the same table. The panel reads it again when the engine
    announces that targets or API keys changed (in this process or another), and each time it
    is shown.

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

    def __init__(
        self,
        engine: Engine,
        db: Database,
        bridge: EngineBridge | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._client = EngineClient(engine)
        self._db = db
        self._work = Background(
            self, "targets-action", lambda exc: self._tell(f"That did not work: {exc}", error=True)
        )
        self.editor: TargetEditor | None = None
        self.confirmation: QMessageBox | None = None
        self.model = TargetsModel(self)
        self._build()
        self._build_actions()
        if bridge is not None:
            bridge.config_changed.connect(self._config_changed)
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

        self.table = list_table(self.model, per_pixel=False)
        header = self.table.horizontalHeader()
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
        attach_context_menu(
            self.table,
            lambda: (
                self.toggle_action,
                None,
                self.copy_url_action,
                self.copy_id_action,
                None,
                self.remove_action,
            ),
        )

    # -- reading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the registry again, keeping the selection; show the emulator's state."""
        chosen = set(self.selected_ids())
        current = self._current_id()
        self.model.set_rows(reads.list_targets(self._db))
        self._select(lambda target: target.id in chosen, current)
        self._show_api_state()
        self._selection_changed()
        self.targets_changed.emit(self.model.rowCount())

    def _config_changed(self, kinds: list[str]) -> None:
        if {"targets", "api_keys", "listeners"} & set(kinds):
            self.refresh()

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
        for made in (self.toggle_action, self.remove_action, self.copy_id_action):
            made.setEnabled(why is None)
        self.copy_url_action.setEnabled(why is None)
        enable = bool(chosen) and not all(target.is_enabled for target in chosen)
        self.toggle_button.setText("Enable" if enable else "Disable")
        self.toggle_action.setText("Enable" if enable else "Disable")
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
        target, created = await self._client.register(registration)
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
            target = await self._client.set_target_enabled(target_id, enabled)
            if target is not None:
                changed.append(target)
        if Shiboken.isValid(self):
            self.refresh()
            state = "enabled" if enabled else "disabled"
            missing = len(ids) - len(changed)
            text = f"{targets_phrase(len(changed))} {state}."
            if missing:
                text += f" {targets_phrase(missing)} had already been removed."
            self._tell(text)
        return changed

    async def remove(self, ids: Sequence[str]) -> int:
        """Remove these targets from the registry; how many were there to remove."""
        removed = 0
        for target_id in ids:
            if await self._client.remove_target(target_id):
                removed += 1
        if Shiboken.isValid(self):
            self.refresh()
            self._tell(f"Removed {targets_phrase(removed).lower()}.")
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
        show_text(self.message_label, text)
        if text:
            self.message.emit(text)

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    def stop_timers(self) -> None:
        """The window is closing (the panel has no timer: it reads on announcements)."""

    async def settle(self) -> None:
        """Wait for actions started from buttons and keys (tests, and closing)."""
        await self._work.settle()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)
