"""The Captures tab: filters over the live list, the selected capture's detail, and edits."""

from __future__ import annotations

import asyncio
import base64
import time
from collections import deque
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from PySide6.QtCore import QByteArray, QItemSelection, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHeaderView,
    QMessageBox,
    QProgressDialog,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core.contentviews import Superseded
from hookscope.core.forwarding import ForwardState
from hookscope.core.model import Capture, CaptureSummary
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.captures.compare import CompareDialog, compare_stored
from hookscope.ui.captures.detail import DetailPane
from hookscope.ui.captures.filters import CaptureFilters
from hookscope.ui.captures.model import CaptureTableModel
from hookscope.ui.captures.transfers import CaptureTransfers
from hookscope.ui.client import EngineClient
from hookscope.ui.formats import captures_phrase, clipboard_body
from hookscope.ui.reader import StoreReader
from hookscope.ui.widgets.badges import BADGE_PADDING, VerdictDelegate
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.paging import loop_running
from hookscope.ui.widgets.tables import list_table

# New captures are read and inserted together, at most this often, never one by one
# (docs/architecture.md, "Showing the row").
BATCH_MS = 50
PRUNED_MS = 500  # the rows retention deleted leave the list at most this often
RATE_WINDOW = 5.0  # seconds the shown rate is averaged over
# What each column is sized for (the widest common value), so the list fits the window: the
# path stretches into what is left and elides in the middle; the other columns fit their words.
COLUMN_SAMPLES = {
    CaptureTableModel.STAR: "★",
    CaptureTableModel.TIME: "00:00:00.000",
    CaptureTableModel.METHOD: "DELETE",
    CaptureTableModel.PROVIDER: "Kardow",
    CaptureTableModel.EVENT: "job.created",  # longer events elide; the column can be widened
    CaptureTableModel.VERDICT: "no-secret",
    CaptureTableModel.SIZE: "99.9 KB",
    CaptureTableModel.STATUS: "000",
    CaptureTableModel.FORWARD: "delivered 200",
}
CELL_PADDING = 12  # the cell's margins either side of its text
COLUMNS_LAYOUT = 3  # saved column widths from another layout are not restored


class CapturesPage(QWidget):
    """Every request the listener received: filters, the list (live), and the detail.

    Signals:
        message(str, int): a sentence for the window's status bar, and for how many ms.

    Attributes:
        model: the capture list's model.
        table: the capture list.
        detail: the detail pane.
        splitter: the list beside the detail.
        filters: the search, filters and follow switch above the list.
        empty_hint: said when the list is empty, and why.
        total: how many captures are stored.
        question: the confirmation box waiting for an answer, if any (tests answer it).
        compare_dialog: the Compare dialog, once opened.
        reader: reads the selected capture and counts the matches off the GUI thread.
        list_reader: reads the list's pages off the GUI thread.
    """

    message = Signal(str, int)

    def __init__(
        self, engine: Engine, db: Database, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.client = EngineClient(engine)
        self.db = db
        self.question: QMessageBox | None = None
        self.compare_dialog: CompareDialog | None = None
        self.total = reads.newest_and_count(db)[1]
        self._arrivals: deque[tuple[float, int]] = deque()
        self._work = Background(
            self, "ui-action", lambda exc: self.message.emit(f"That did not work: {exc}", 10000)
        )
        self.reader = StoreReader(engine.directory)
        self.destroyed.connect(self.reader.close)
        self.transfers = CaptureTransfers(self.reader, self)
        self.transfers.message.connect(self.message)
        # The list's reads have a thread of their own: a page never waits for a 25 MB body.
        self.list_reader = StoreReader(engine.directory)
        self.destroyed.connect(self.list_reader.close)
        self._reselect: int | None = None
        self.model = CaptureTableModel(db, self)
        self.model.set_runner(self.list_reader.read, counts=self.reader.read)
        self.model.reset_done.connect(self._rows_reset)
        self._batch = QTimer(self, singleShot=True, interval=BATCH_MS)
        self._batch.timeout.connect(self.insert_new)
        self._pruned: list[int] = []  # what retention deleted since the last look
        self._prune_batch = QTimer(self, singleShot=True, interval=PRUNED_MS)
        self._prune_batch.timeout.connect(self.forget_pruned)
        self._build()
        bridge.captured.connect(self._captured)
        bridge.pruned.connect(self._on_pruned)
        bridge.delivered.connect(lambda newest, _count: self.model.attempts_logged(newest))
        self.model.count_changed.connect(self._count_changed)
        self.model.forwards_changed.connect(self._forwards_changed)

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.filters = CaptureFilters()
        self.filters.changed.connect(self.apply_filters)
        self.filters.follow.toggled.connect(self._follow_toggled)
        layout.addWidget(self.filters)
        self._build_table()

        self.empty_hint = plain_label(selectable=False)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setEnabled(False)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_hint)

        self.detail = DetailPane()
        self.detail.star_toggled.connect(lambda i, s: self._background(self.set_starred([i], s)))
        self.detail.note_edited.connect(lambda i, n: self._background(self.set_note(i, n)))
        self.detail.reverify_requested.connect(lambda i: self._background(self.reverify([i])))

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        # The list gets two thirds: its columns need the room more than the detail's text.
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)

    def _build_table(self) -> None:
        self.table = list_table(self.model, live=True)
        self.table.setItemDelegateForColumn(CaptureTableModel.VERDICT, VerdictDelegate(self.table))
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

    def _size_columns(self) -> None:
        """Each column as wide as its usual words (or its title), the path taking the rest.

        At 1280 px a path like /kardow/webhooks/tenant/499 is shown whole, and at 1000 px the
        verdict and the status still fit without scrolling sideways.
        """
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        header.setMinimumSectionSize(metrics.horizontalAdvance("…") + CELL_PADDING)
        for column, sample in COLUMN_SAMPLES.items():
            width = metrics.horizontalAdvance(sample) + CELL_PADDING
            if column == CaptureTableModel.VERDICT:
                width += BADGE_PADDING
            header.resizeSection(column, max(width, header.sectionSizeHint(column)))
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(CaptureTableModel.STAR, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(CaptureTableModel.PATH, QHeaderView.ResizeMode.Stretch)

    # -- live captures ------------------------------------------------------------------------

    def _captured(self, newest: int, count: int) -> None:
        self.total += count
        self._arrivals.append((time.monotonic(), count))
        if not self._batch.isActive():
            self._batch.start()

    def _on_pruned(self, ids: list[int]) -> None:
        self._pruned += ids
        if not self._prune_batch.isActive():
            self._prune_batch.start()

    def forget_pruned(self) -> None:
        """Drop the rows of the captures retention deleted since the last look."""
        pruned, self._pruned = self._pruned, []
        self.model.forget(pruned)
        self.total = max(0, self.total - len(pruned))
        self._update_empty_hint()

    def insert_new(self) -> int:
        """Read what arrived since the last look and insert it at the top; how many rows."""
        scroll = self.table.verticalScrollBar()
        before = scroll.value()
        inserted = self.model.fetch_new()
        if inserted:
            if self.filters.follow.isChecked():
                self.table.scrollToTop()
            else:
                # Rows went in above: move down by as much, so what the user reads stays put.
                row_height = self.table.verticalHeader().defaultSectionSize()
                scroll.setValue(before + inserted * row_height)
        self._update_empty_hint()
        return inserted

    def stats_text(self) -> str:
        """How many captures are stored, and how fast they arrive now."""
        now = time.monotonic()
        while self._arrivals and now - self._arrivals[0][0] > RATE_WINDOW:
            self._arrivals.popleft()
        rate = sum(n for _, n in self._arrivals) / RATE_WINDOW
        return f"{self.total:,} captured · {rate:.1f}/s"

    def _scrolled(self, value: int) -> None:
        # Scrolling away from the newest stops following; scrolling back to the top resumes.
        if value > 0 and self.filters.follow.isChecked() and self.table.isVisible():
            self.filters.follow.setChecked(False)

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self.table.scrollToTop()

    def show_capture(self, capture_id: int) -> bool:
        """Bring a capture into view and select it; False when it is not in memory, and then
        it is looked for off the GUI thread (the status bar says so if the filters hide it)."""
        self.insert_new()
        row = self.model.row_of(capture_id)
        if row is None:
            self.model.locate(capture_id, partial(self._located, capture_id))
            return False
        self._select_row(row)
        return True

    def _located(self, capture_id: int, row: int | None) -> None:
        if row is None:
            self.message.emit(f"Capture #{capture_id} is hidden by the filters.", 5000)
        else:
            self._select_row(row)

    def _select_row(self, row: int) -> None:
        self.model.pin(row)
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    # -- filters ------------------------------------------------------------------------------

    def apply_filters(self) -> None:
        """Show the captures the filters let through (the rows come in off the GUI thread)."""
        self.filters.stop()
        self._reselect = self.current_id()
        self.model.set_query(self.filters.query())

    def _rows_reset(self) -> None:
        """The new filter's rows are in: select the capture that was selected, if it is there."""
        selected, self._reselect = self._reselect, None
        if selected is not None:
            row = self.model.row_of(selected)
            if row is not None:
                self._select_row(row)
            else:  # the list no longer shows it: neither may the detail
                self.detail.flush_note()
                self.table.clearSelection()
                self._clear_detail()
        self._update_empty_hint()

    def _count_changed(self, matching: int) -> None:
        self.filters.show_matches(matching, exact=self.model.exact)
        self._update_empty_hint()

    def refresh_hint(self) -> None:
        """Say again why the list is empty (the listener started or stopped)."""
        if self.model.rowCount() == 0:
            self._update_empty_hint()

    def _update_empty_hint(self) -> None:
        empty = self.model.rowCount() == 0
        if empty:
            if self.filters.filtered():
                self.empty_hint.setText("No capture matches these filters.  (Ctrl+R clears them)")
            elif self.engine.url:
                self.empty_hint.setText(
                    f"No captures yet. Send a webhook to {self.engine.url} and it appears here."
                )
            else:
                self.empty_hint.setText("No captures yet, and the listener is stopped.")
        self.empty_hint.setVisible(empty)

    # -- selection and detail -----------------------------------------------------------------

    def current_id(self) -> int | None:
        current = self.current_summary()
        return None if current is None else current.id

    def current_summary(self) -> CaptureSummary | None:
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def selected_ids(self) -> list[int]:
        """The selected captures (those in memory: rows still being read are not yet known)."""
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        found = (self.model.record(row) for row in sorted(rows))
        return [summary.id for summary in found if summary is not None]

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.model.pin(current.row() if current.isValid() else None)
        self.show_detail()

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        if not self.table.selectionModel().hasSelection():
            self._clear_detail()

    def _clear_detail(self) -> None:
        """The detail shows nothing, and a read under way for it never arrives."""
        self.reader.forget("detail")
        self.detail.show_capture(None)

    def show_detail(self) -> None:
        """Show the current capture in the detail, read off the GUI thread (its body may be
        megabytes): a read overtaken by another selection is dropped."""
        capture_id = self.current_id()
        if capture_id is None:
            self._clear_detail()
            return
        self._background(self.load_detail(capture_id))

    async def load_detail(self, capture_id: int) -> None:
        def read(db: Database) -> tuple[Capture | None, list[int], list[ForwardState]]:
            forwards = reads.forwards_of(db, [capture_id], bodies=True).get(capture_id, [])
            return reads.get_capture(db, capture_id), reads.replays_of(db, capture_id), forwards

        try:
            capture, replays, forwards = await self.reader.read("detail", read)
        except Superseded:
            return
        self.detail.show_capture(capture, replays, forwards)

    def _forwards_changed(self, ids: list[int]) -> None:
        """An attempt of these captures' forwards landed: the detail's Forwards tab follows."""
        shown = self.current_id()
        if shown in ids and shown is not None and loop_running():
            self._background(self._load_forwards(shown))

    async def _load_forwards(self, capture_id: int) -> None:
        def read(db: Database) -> list[ForwardState]:
            return reads.forwards_of(db, [capture_id], bodies=True).get(capture_id, [])

        try:
            forwards = await self.reader.read("forwards", read)
        except Superseded:
            return
        if self.detail.capture is not None and self.detail.capture.id == capture_id:
            self.detail.show_forwards(forwards)

    def copy_body(self) -> None:
        capture_id = self.current_id()
        if capture_id is not None:
            self._background(self._copy_body(capture_id))

    async def _copy_body(self, capture_id: int) -> None:
        capture = self.detail.capture
        if capture is None or capture.id != capture_id:
            try:
                capture = await self.reader.read(
                    "copy", lambda db: reads.get_capture(db, capture_id)
                )
            except Superseded:
                return
        if capture is None:
            return
        text, said = clipboard_body(capture.body, f"#{capture_id}")
        QGuiApplication.clipboard().setText(text)
        self.message.emit(said, 5000)

    def compare_selected(self) -> CompareDialog | None:
        """Open Compare for the two selected captures, the older as A; otherwise say why not."""
        ids = self.selected_ids()
        if len(ids) != 2:
            self.message.emit(compare_hint(ids), 5000)
            return None
        if self.compare_dialog is None:
            self.compare_dialog = CompareDialog(
                partial(compare_stored, self.engine.directory), self
            )
        dialog = self.compare_dialog
        dialog.start(*sorted(ids))
        # Beside the window, never blocking it (as the window's other dialogs).
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    # -- what the user says of captures -------------------------------------------------------

    def toggle_star(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        row = self.model.row_of(ids[0])
        summary = None if row is None else self.model.record(row)
        starred = not (summary is not None and summary.starred)
        self._background(self.set_starred(ids, starred))

    async def set_starred(self, ids: list[int], starred: bool) -> None:
        await self.client.set_starred(ids, starred)
        self.model.refresh_rows(ids)
        if self.detail.capture is not None and self.detail.capture.id in ids:
            self.detail.show_starred(starred)

    async def set_note(self, capture_id: int, note: str) -> None:
        await self.client.set_note(capture_id, note)
        self.model.refresh_rows([capture_id])

    def reverify_selected(self) -> None:
        self._background(self.reverify(self.selected_ids()))

    async def reverify(self, ids: list[int]) -> dict[str, int]:
        if not ids:
            return {}
        counts = await self.client.reverify(ids)
        self.model.refresh_rows(ids)
        current = self.current_id()
        if current in ids:  # read again, and a read still under way is dropped
            await self.load_detail(current)
        summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
        self.message.emit(f"Verified again: {summary}.", 5000)
        return counts

    def _ask(self, title: str, text: str, on_yes: Callable[[], object]) -> QMessageBox:
        """A confirmation that does not block the loop (no exec(): see docs/architecture.md)."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        yes = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            self.question = None
            if box.clickedButton() is yes:
                on_yes()

        box.finished.connect(lambda _: answered())
        self.question = box
        box.open()
        return box

    def ask_delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = f"capture #{ids[0]}" if len(ids) == 1 else f"these {len(ids):,} captures"
        self._ask(
            "Delete captures",
            f"Delete {what}? This cannot be undone.",
            lambda: self._background(self.delete(ids)),
        )

    def ask_delete_all(self) -> None:
        if self.total == 0:
            return
        self._ask(
            "Delete all captures",
            f"Delete all {self.total:,} captures? This cannot be undone. "
            "Deliveries arriving meanwhile are kept.",
            lambda: self._background(self.delete_all()),
        )

    async def delete(self, ids: list[int]) -> int:
        row = self.table.currentIndex().row()
        deleted = await self.client.delete_captures(ids)
        self.model.forget(ids)
        self.total = reads.newest_and_count(self.db)[1]
        if self.model.rowCount():
            # The next capture takes the place of the deleted one, as in a mail client.
            self.table.selectRow(min(max(row, 0), self.model.rowCount() - 1))
        else:
            self._clear_detail()
        self._update_empty_hint()
        self.message.emit(f"Deleted {captures_phrase(deleted)}.", 5000)
        return deleted

    async def delete_all(self) -> int:
        progress = QProgressDialog("Deleting captures…", "", 0, 100, self)
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:  # on the engine loop
            value = int(done * 100 / total) if total else 100
            loop.call_soon_threadsafe(progress.setValue, value)

        try:
            deleted = await self.client.delete_all(progress=report)
        finally:
            progress.reset()
            progress.deleteLater()
        self.total = reads.newest_and_count(self.db)[1]
        self.model.reload()
        self._clear_detail()
        self._update_empty_hint()
        self.message.emit(f"Deleted {captures_phrase(deleted)}.", 5000)
        return deleted

    # -- state and plumbing -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The layout, filters and follow switch, to be saved with the window's state."""
        return {
            "splitter": b64(self.splitter.saveState()),
            "columns": b64(self.table.horizontalHeader().saveState()),
            "columns_layout": COLUMNS_LAYOUT,
            "filters": self.filters.state(),
            "follow": self.filters.follow.isChecked(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Put back what `state()` gave; raises TypeError, ValueError or AttributeError when
        the state is not in that shape."""
        self.splitter.restoreState(unb64(state.get("splitter", "")))
        if state.get("columns_layout") == COLUMNS_LAYOUT:
            self.table.horizontalHeader().restoreState(unb64(state.get("columns", "")))
        self.filters.restore(state.get("filters", {}))
        self.filters.follow.setChecked(bool(state.get("follow", True)))

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    def stop_timers(self) -> None:
        """The window is closing: nothing may read the store after it closes."""
        self._batch.stop()
        self.filters.stop()
        if self.compare_dialog is not None:
            self.compare_dialog.close()  # the app is closing: its dialogs go with it
        self.model.stop()
        self.reader.close()
        self.list_reader.close()

    async def settle(self) -> None:
        """Wait for actions started from buttons and keys, and the list's reads (tests, and
        closing)."""
        await self._work.settle()
        await self.model.settle()
        if self.compare_dialog is not None:
            await self.compare_dialog.settle()


def compare_hint(ids: list[int]) -> str:
    """Why Compare cannot open for this selection, and what to select."""
    if not ids:
        return "Select two captures to compare (Ctrl+click adds the second)."
    if len(ids) == 1:
        return f"Select one more capture to compare with #{ids[0]} (Ctrl+click adds it)."
    return f"Select exactly two captures to compare; {len(ids):,} are selected."


def b64(data: QByteArray) -> str:
    return base64.b64encode(data.data()).decode("ascii")


def unb64(text: str) -> QByteArray:
    return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
