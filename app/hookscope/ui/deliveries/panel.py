"""The Deliveries tab: every outgoing attempt, newest first, as it ends; send one again."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.contentviews import Superseded
from hookscope.core.export import curl_notes, outgoing_as_capture
from hookscope.core.model import Attempt, DeliveryQuery, Plan
from hookscope.engine import Engine, EngineError
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.client import EngineClient
from hookscope.ui.deliveries.detail import DeliveryDetail
from hookscope.ui.deliveries.model import DeliveryTableModel
from hookscope.ui.deliveries.text import curl_for, short_fire
from hookscope.ui.formats import clipboard_body
from hookscope.ui.reader import StoreReader
from hookscope.ui.style import result_colour, retint, set_tone
from hookscope.ui.widgets.badges import BadgeDelegate
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.menus import attach_context_menu
from hookscope.ui.widgets.tables import Selection, list_table

log = logging.getLogger(__name__)

# New attempts are read and inserted together, at most this often (as captures are).
BATCH_MS = 50


class DeliveriesPanel(QWidget):
    """Every outgoing attempt (fires, replays, retries), newest first, as it ends.

    Keys (while the table has focus): Ctrl+Return sends the selected attempt's request again,
    Ctrl+Shift+C copies it as a curl command, Ctrl+C copies its body. A right-click offers
    the same.

    Signals:
        message(str): a sentence about what an action did (the window may show it in its
            status bar; the panel shows it too).

    Attributes:
        model: the DeliveryTableModel.
        table: the attempts.
        failed_only: show failed attempts only.
        fire_only: show one fire's attempts only (set by `show_fire`, or on the selected row's
            fire when checked by hand; unchecking clears it).
        matches: how many attempts match.
        send_again_button, copy_curl_button, clear_button: the actions.
        send_again_action, copy_curl_action, copy_body_action: their keys (and the right-click
            menu's entries).
        empty_hint: said when no attempt is shown.
        detail: the selected attempt in full.
        splitter: the table above the detail.
        message_label: the last action's outcome.
        question: the "Clear log" confirmation waiting for an answer, if any.
        reader: reads the log's pages, counts and the selected attempt off the GUI thread.
    """

    message = Signal(str)

    def __init__(
        self, engine: Engine, db: Database, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._client = EngineClient(engine)
        self._db = db
        self._fire: str | None = None
        self._newest_logged: int | None = None
        self._work = Background(
            self,
            "deliveries-action",
            lambda exc: self._tell(f"That did not work: {exc}", error=True),
        )
        self.question: QMessageBox | None = None
        # A page of a long log, or an attempt with a 5 MB body, is read on a thread of its own.
        self.reader = StoreReader(engine.directory)
        self.destroyed.connect(self.reader.close)
        self._reselect: int | None = None
        self.model = DeliveryTableModel(db, self)
        self.model.set_runner(self.reader.read)
        self.model.reset_done.connect(self._rows_reset)
        self._build()
        self._build_actions()
        self._batch = QTimer(self, singleShot=True, interval=BATCH_MS)
        self._batch.timeout.connect(self.insert_new)
        bridge.delivered.connect(self._delivered)
        self.model.count_changed.connect(self._count_changed)
        self.apply_filters()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        bar = QHBoxLayout()
        self.failed_only = QCheckBox("Failed only")
        self.failed_only.setToolTip("Show only attempts that got no 2xx answer")
        self.failed_only.toggled.connect(lambda _: self.apply_filters())
        bar.addWidget(self.failed_only)
        self.fire_only = QCheckBox("This fire only")
        self.fire_only.setToolTip("Show only the attempts of the selected row's fire")
        self.fire_only.toggled.connect(self._fire_only_toggled)
        bar.addWidget(self.fire_only)
        self.matches = plain_label()
        self.matches.setMinimumWidth(110)
        bar.addWidget(self.matches)
        bar.addStretch(1)
        self.send_again_button = QPushButton("Send again")
        self.send_again_button.clicked.connect(self._send_again_clicked)
        self.copy_curl_button = QPushButton("Copy as curl")
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self.clear_button = QPushButton("Clear log…")
        self.clear_button.clicked.connect(self.ask_clear)
        for button in (self.send_again_button, self.copy_curl_button, self.clear_button):
            bar.addWidget(button)

        self.table = list_table(self.model, selection=Selection.SingleSelection, live=True)
        header = self.table.horizontalHeader()
        chars = self.table.fontMetrics().averageCharWidth()
        M = DeliveryTableModel
        widths = {
            M.TIME: 13,
            M.KIND: 9,
            M.EVENT: 20,
            M.RESULT: 11,
            M.STATUS: 7,
            M.LATENCY: 12,
            M.TRY: 16,
            M.FIRE: 10,
        }
        for column, width in widths.items():
            header.resizeSection(column, width * chars + 16)
        header.setSectionResizeMode(M.URL, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(M.RESULT, BadgeDelegate(result_colour, self.table))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())

        self.empty_hint = plain_label()
        self.empty_hint.setEnabled(False)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label = plain_label()
        self.message_label.hide()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 4)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.empty_hint)

        self.detail = DeliveryDetail()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self._sized = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.addLayout(bar)
        layout.addWidget(self.message_label)
        layout.addWidget(self.splitter, 1)

    def _build_actions(self) -> None:
        def action(text: str, key: str, slot: Callable[[], object]) -> QAction:
            made = QAction(text, self.table)
            made.setShortcut(QKeySequence(key))
            made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            made.triggered.connect(lambda _=False: slot())
            self.table.addAction(made)
            return made

        self.send_again_action = action("Send again", "Ctrl+Return", self._send_again_clicked)
        self.copy_curl_action = action("Copy as curl", "Ctrl+Shift+C", self.copy_curl)
        self.copy_body_action = action("Copy body", "Ctrl+C", self.copy_body)
        attach_context_menu(
            self.table,
            lambda: (self.send_again_action, None, self.copy_curl_action, self.copy_body_action),
        )

    # -- live ---------------------------------------------------------------------------------

    def _delivered(self, newest: int, count: int) -> None:
        self._newest_logged = max(newest, self._newest_logged or 0)
        if not self._batch.isActive():
            self._batch.start()

    def insert_new(self) -> int:
        """Read what was logged since the last look and insert it at the top; how many rows."""
        scroll = self.table.verticalScrollBar()
        before = scroll.value()
        inserted = self.model.fetch_new(self._newest_logged)
        if inserted and before > 0:
            # Rows went in above: move down by as much, so what the user reads stays put.
            row_height = self.table.verticalHeader().defaultSectionSize()
            scroll.setValue(before + inserted * row_height)
        elif inserted:
            self.table.scrollToTop()
        self._update_empty_hint()
        return inserted

    # -- filters ------------------------------------------------------------------------------

    def current_query(self) -> DeliveryQuery:
        return DeliveryQuery(
            fire_id=self._fire if self.fire_only.isChecked() else None,
            failed=self.failed_only.isChecked(),
        )

    def apply_filters(self) -> None:
        """Show the attempts the filters let through (the rows come in off the GUI thread)."""
        self._reselect = self.current_id()
        self.model.set_query(self.current_query())

    def _rows_reset(self) -> None:
        """The new filter's rows are in: select the attempt that was selected, if it is there."""
        selected, self._reselect = self._reselect, None
        row = self.model.row_of(selected) if selected is not None else None
        if row is not None:
            self.table.selectRow(row)
        else:
            self.table.clearSelection()
            self.detail.show_attempt(None)
        self._selection_changed()
        self._update_empty_hint()

    def show_fire(self, fire_id: str | None) -> None:
        """Show only this fire's attempts (None: every fire again)."""
        self._fire = fire_id
        self.fire_only.blockSignals(True)
        self.fire_only.setChecked(fire_id is not None)
        self.fire_only.blockSignals(False)
        self._label_fire()
        self.apply_filters()

    def _fire_only_toggled(self, on: bool) -> None:
        if on:
            attempt = self.current_attempt()
            if attempt is None and self._fire is None:
                self.fire_only.blockSignals(True)
                self.fire_only.setChecked(False)
                self.fire_only.blockSignals(False)
                self._tell("Select an attempt first: its fire is the one shown.")
                return
            if attempt is not None:
                self._fire = attempt.fire_id
        else:
            self._fire = None
        self._label_fire()
        self.apply_filters()

    def _label_fire(self) -> None:
        fire = self._fire if self.fire_only.isChecked() else None
        self.fire_only.setText(f"This fire only ({short_fire(fire)})" if fire else "This fire only")

    def _count_changed(self, matching: int) -> None:
        noun = "attempt" if matching == 1 else "attempts"
        filtered = self.current_query() != DeliveryQuery()
        self.matches.setText(f"{matching:,} matching" if filtered else f"{matching:,} {noun}")
        self._update_empty_hint()

    def _update_empty_hint(self) -> None:
        empty = self.model.rowCount() == 0
        if empty:
            if self.current_query() != DeliveryQuery():
                self.empty_hint.setText("No attempt matches these filters.")
            else:
                self.empty_hint.setText(
                    "No deliveries yet. Fire an event at your targets, or replay a capture: "
                    "every attempt appears here with the answer it got."
                )
        self.empty_hint.setVisible(empty)
        self.clear_button.setEnabled(self.model.matching > 0 or not empty)

    # -- selection ----------------------------------------------------------------------------

    def current_id(self) -> int | None:
        attempt = self.current_attempt()
        return attempt.id if attempt is not None else None

    def current_attempt(self) -> Attempt | None:
        """The selected attempt as listed: without its bodies (see `selected_in_full`)."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < self.model.rowCount():
            return None
        return self.model.record(rows[0].row())

    async def selected_in_full(self) -> Attempt | None:
        """The selected attempt with its bodies: the detail's, or read off the GUI thread."""
        light = self.current_attempt()
        if light is None or light.id is None:
            return light
        shown = self.detail.attempt
        if shown is not None and shown.id == light.id:
            return shown
        attempt_id = light.id
        try:
            full = await self.reader.read("full", lambda db: reads.get_attempt(db, attempt_id))
        except Superseded:
            return None
        return full or light

    def _selection_changed(self) -> None:
        attempt = self.current_attempt()
        if attempt is None:
            self.reader.forget("detail")
            self.detail.show_attempt(None)
        elif self.detail.attempt is None or self.detail.attempt.id != attempt.id:
            self._background(self._show_detail(attempt))
        why = None if attempt else "Select an attempt first."
        for button in (self.send_again_button, self.copy_curl_button):
            button.setEnabled(why is None)
        for made in (self.send_again_action, self.copy_curl_action, self.copy_body_action):
            made.setEnabled(why is None)
        self.send_again_button.setToolTip(
            why or "Send exactly this request again, as a new fire (Ctrl+Return)"
        )
        self.copy_curl_button.setToolTip(
            why or "Copy a curl command that sends this request (Ctrl+Shift+C)"
        )

    async def _show_detail(self, light: Attempt) -> None:
        """Show this attempt in the detail, read whole off the GUI thread (its bodies may be
        megabytes); a read overtaken by another selection is dropped."""
        attempt_id = light.id
        if attempt_id is None:
            self.detail.show_attempt(light)
            return
        try:
            full = await self.reader.read("detail", lambda db: reads.get_attempt(db, attempt_id))
        except Superseded:
            return
        if Shiboken.isValid(self) and self.current_id() == attempt_id:
            self.detail.show_attempt(full or light)

    def select_attempt(self, attempt_id: int) -> bool:
        row = self.model.row_of(attempt_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # -- actions ------------------------------------------------------------------------------

    def _send_again_clicked(self) -> None:
        attempt_id = self.current_id()
        if attempt_id is not None:
            self._background(self.send_again(attempt_id))

    async def send_again(self, attempt_id: int) -> Attempt:
        """Send this attempt's exact request again, as a new fire; its last try, as logged."""
        attempt = await self.reader.read("send", lambda db: reads.get_attempt(db, attempt_id))
        if attempt is None:
            raise EngineError(f"There is no delivery attempt {attempt_id}: the log was cleared.")
        request = attempt.request
        plan = Plan(
            fire_id=str(uuid.uuid4()),
            provider="",
            event=request.event or "",
            payload=request.body,
            requests=(request,),
        )
        (last,) = await self._client.send(plan)
        # The sender's result carries no id: the log has it (written before send returns).
        sent_fire = DeliveryQuery(fire_id=plan.fire_id)
        logged = await self.reader.read("sent", lambda db: reads.list_attempts(db, sent_fire))
        sent = logged[0] if logged else last
        if Shiboken.isValid(self):
            self.insert_new()
            if sent.id is not None:
                self.select_attempt(sent.id)
            self._tell(f"Sent again to {request.url}: {sent.outcome}.", error=not sent.ok)
        return sent

    def copy_curl(self) -> None:
        self._background(self._copy_curl())

    async def _copy_curl(self) -> None:
        attempt = await self.selected_in_full()
        if attempt is None:
            return
        QGuiApplication.clipboard().setText(curl_for(attempt.request))
        left_out = curl_notes(outgoing_as_capture(attempt.request)[0])
        self._tell(" ".join(["Copied the request as a curl command.", *left_out]))

    def copy_body(self) -> None:
        self._background(self._copy_body())

    async def _copy_body(self) -> None:
        attempt = await self.selected_in_full()
        if attempt is None:
            return
        text, said = clipboard_body(attempt.request.body, "the request")
        QGuiApplication.clipboard().setText(text)
        self._tell(said)

    def ask_clear(self) -> QMessageBox | None:
        """Ask, without blocking, whether to delete every logged attempt."""
        total = reads.count_attempts(self._db, DeliveryQuery())
        if total == 0:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Clear the delivery log",
            f"Delete all {total:,} logged attempts? This cannot be undone. Targets and "
            "captures are kept.",
            parent=self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        yes = box.addButton("Clear", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            self.question = None
            if box.clickedButton() is yes:
                self._background(self.clear())

        box.finished.connect(lambda _: answered())
        self.question = box
        box.open()
        return box

    async def clear(self) -> int:
        """Delete every logged attempt; how many."""
        deleted = await self._client.clear_deliveries()
        if Shiboken.isValid(self):
            self.model.reload()
            self.detail.show_attempt(None)
            self._selection_changed()
            self._update_empty_hint()
            self._tell(f"Cleared {deleted:,} attempts from the log.")
        return deleted

    # -- plumbing -----------------------------------------------------------------------------

    def _tell(self, text: str, *, error: bool = False) -> None:
        set_tone(self.message_label, "error" if error else None)
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    def stop_timers(self) -> None:
        """The window is closing: nothing may read the store after it closes."""
        self._batch.stop()
        self.model.stop()
        self.reader.close()

    async def settle(self) -> None:
        """Wait for the log's reads and the actions started from buttons and keys (tests, and
        closing)."""
        for _ in range(10):  # a read's answer may start an action, which may read again
            await self.model.settle()
            await self._work.settle()
            if not Shiboken.isValid(self.model) or not (len(self._work) or self.model.reading):
                return

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # The detail (headers and bodies) needs more room than the list at first.
            self._sized = True
            total = max(self.splitter.height(), 400)
            self.splitter.setSizes([total * 2 // 5, total - total * 2 // 5])

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)
