"""The main window: the listener bar, and tabs for captures, composing, targets and deliveries."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from PySide6.QtCore import QByteArray, QItemSelection, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope import __version__
from hookscope.core.model import PROVIDERS, VERDICTS, CaptureQuery
from hookscope.engine import Engine
from hookscope.net.capture_server import ListenError
from hookscope.storage import captures as capture_store
from hookscope.storage import settings as settings_store
from hookscope.ui.background import Background
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.composer import ComposerPanel
from hookscope.ui.delegates import VerdictDelegate
from hookscope.ui.deliveries import DeliveriesPanel
from hookscope.ui.detail import DetailPane, plain_label
from hookscope.ui.icons import app_icon
from hookscope.ui.models import CaptureTableModel
from hookscope.ui.replay import ReplayDialog
from hookscope.ui.settings import SettingsDialog
from hookscope.ui.targets import TargetsPanel
from hookscope.ui.welcome import WelcomeDialog

log = logging.getLogger(__name__)

# New captures are read and inserted together, at most this often (DESIGN.md: never one by one).
BATCH_MS = 50
SEARCH_PAUSE_MS = 250
RATE_WINDOW = 5.0  # seconds the shown rate is averaged over
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
UI_STATE = "ui.window"


class MainWindow(QMainWindow):
    """The window users keep open all day.

    Signals:
        closed(): the window was closed; the app then stops the engine and exits.

    Attributes:
        model: the capture list's model.
        table: the capture list.
        detail: the detail pane.
        search, provider, verdict, method, starred_only, follow: the filter and follow controls.
        question: the confirmation box waiting for an answer, if any (tests answer it).
    """

    closed = Signal()

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.db = db
        self.question: QMessageBox | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.replay_dialog: ReplayDialog | None = None
        self.welcome_dialog: WelcomeDialog | None = None
        self.tray: QObject | None = None  # the tray icon, set by the app where there is a tray
        self.listen_error = ""
        self._total = capture_store.newest_and_count(db)[1]
        self._arrivals: deque[tuple[float, int]] = deque()
        self._work = Background(
            self,
            "ui-action",
            lambda exc: self.statusBar().showMessage(f"That did not work: {exc}", 10000),
        )
        self.setWindowTitle("Hookscope — webhook inspector")
        self.setWindowIcon(app_icon())

        self.model = CaptureTableModel(db, self)
        self.bridge = EngineBridge(engine, self)
        self._build()
        self._build_actions()

        self._batch = QTimer(self, singleShot=True, interval=BATCH_MS)
        self._batch.timeout.connect(self.insert_new)
        self.bridge.captured.connect(self._captured)
        self._search_pause = QTimer(self, singleShot=True, interval=SEARCH_PAUSE_MS)
        self._search_pause.timeout.connect(self.apply_filters)
        self._ticker = QTimer(self, interval=500)
        self._ticker.timeout.connect(self._refresh_status)
        self._ticker.start()
        self._restore_state()
        self.apply_filters()
        self._refresh_status()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 4)

        bar = QHBoxLayout()
        self.listen_state = plain_label(selectable=False)
        bar.addWidget(self.listen_state)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setMinimumWidth(240)
        self.url.setToolTip("Point Kardow, Kudoz or any sender at this URL")
        bar.addWidget(self.url, 1)
        self.copy_url = QPushButton("Copy URL")
        self.copy_url.clicked.connect(self.copy_listener_url)
        bar.addWidget(self.copy_url)
        self.listen_button = QPushButton("Stop")
        self.listen_button.clicked.connect(self._toggle_listener)
        bar.addWidget(self.listen_button)
        self.stats = plain_label(selectable=False)
        self.stats.setMinimumWidth(180)
        self.stats.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.stats)
        layout.addLayout(bar)

        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 4, 0, 0)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search path, headers and body  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self._search_pause.start())
        self.search.returnPressed.connect(self.apply_filters)
        filters.addWidget(self.search, 3)
        self.provider = QComboBox()
        self.provider.addItem("All providers", None)
        for name in PROVIDERS:
            self.provider.addItem(name.capitalize(), name)
        self.provider.addItem("No provider", "none")
        self.verdict = QComboBox()
        self.verdict.addItem("All verdicts", None)
        for name in VERDICTS:
            self.verdict.addItem(name, name)
        self.method = QComboBox()
        self.method.addItem("All methods", None)
        for name in METHODS:
            self.method.addItem(name, name)
        for combo in (self.provider, self.verdict, self.method):
            combo.currentIndexChanged.connect(lambda _: self.apply_filters())
            filters.addWidget(combo)
        self.starred_only = QCheckBox("★ only")
        self.starred_only.setToolTip("Show starred captures only")
        self.starred_only.toggled.connect(lambda _: self.apply_filters())
        filters.addWidget(self.starred_only)
        self.matches = plain_label(selectable=False)
        self.matches.setMinimumWidth(110)
        filters.addWidget(self.matches)
        self.follow = QToolButton()
        self.follow.setText("Auto-follow")
        self.follow.setCheckable(True)
        self.follow.setChecked(True)
        self.follow.setToolTip("Keep the newest capture in view as deliveries arrive")
        self.follow.toggled.connect(self._follow_toggled)
        filters.addWidget(self.follow)
        page_layout.addLayout(filters)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
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
        widths = {
            CaptureTableModel.STAR: 28,
            CaptureTableModel.TIME: 100,
            CaptureTableModel.METHOD: 70,
            CaptureTableModel.PATH: 230,
            CaptureTableModel.PROVIDER: 70,
            CaptureTableModel.EVENT: 130,
            CaptureTableModel.VERDICT: 100,
            CaptureTableModel.SIZE: 75,
            CaptureTableModel.STATUS: 55,
        }
        for column, width in widths.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(CaptureTableModel.PATH, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(CaptureTableModel.VERDICT, VerdictDelegate(self.table))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

        self.empty_hint = plain_label(selectable=False, wrap=True)
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
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        page_layout.addWidget(self.splitter, 1)

        self.composer = ComposerPanel(self.engine, self.db)
        self.targets = TargetsPanel(self.engine, self.db)
        self.deliveries = DeliveriesPanel(self.engine, self.db, self.bridge)
        self.composer.fired.connect(self._fired)
        for panel in (self.targets, self.deliveries):
            panel.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.targets.targets_changed.connect(lambda _: self.composer.schedule_refresh())
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title, tip in (
            (page, "Captures", "Every request the listener received (Ctrl+1)"),
            (self.composer, "Compose && fire", "Compose a Kardow event or Kudoz callback (Ctrl+2)"),
            (self.targets, "Targets", "The Kardow API emulator's registry (Ctrl+3)"),
            (self.deliveries, "Deliveries", "Every request Hookscope sent (Ctrl+4)"),
        ):
            self.tabs.setTabToolTip(self.tabs.addTab(widget, title), tip)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.model.count_changed.connect(self._count_changed)
        self.resize(1280, 760)

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        *,
        on_table: bool = False,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if on_table:
            # Only while the list has focus: Ctrl+C and Delete keep their meaning in text fields.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _build_actions(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        self.settings_action = self._action(
            "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        file.addAction(self.settings_action)
        file.addSeparator()
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        file.addAction(self.quit_action)

        edit = menus.addMenu("&Edit")
        self.find_action = self._action("&Find…", self.focus_search, "Ctrl+F")
        edit.addAction(self.find_action)
        self.copy_body_action = self._action(
            "&Copy body", self.copy_body, "Ctrl+C", on_table=True, tip="Copy the selected body"
        )
        edit.addAction(self.copy_body_action)
        self.copy_url_action = self._action("Copy listener &URL", self.copy_listener_url)
        edit.addAction(self.copy_url_action)
        edit.addSeparator()
        self.star_action = self._action("S&tar or unstar", self.toggle_star, "S", on_table=True)
        edit.addAction(self.star_action)
        edit.addSeparator()
        self.delete_action = self._action(
            "&Delete selected…",
            self.ask_delete_selected,
            QKeySequence.StandardKey.Delete,
            on_table=True,
        )
        edit.addAction(self.delete_action)
        self.delete_all_action = self._action(
            "Delete &all captures…", self.ask_delete_all, "Ctrl+Shift+Delete"
        )
        edit.addAction(self.delete_all_action)

        view = menus.addMenu("&View")
        self.follow_action = self._action("Auto-&follow newest", self.follow.toggle, "Ctrl+End")
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(True)
        self.follow.toggled.connect(self.follow_action.setChecked)
        view.addAction(self.follow_action)
        self.clear_filters_action = self._action("&Clear filters", self.clear_filters, "Ctrl+R")
        view.addAction(self.clear_filters_action)

        listener = menus.addMenu("&Listener")
        self.toggle_listener_action = self._action(
            "&Start or stop listening", self._toggle_listener, "Ctrl+L"
        )
        listener.addAction(self.toggle_listener_action)
        self.reverify_action = self._action(
            "&Verify selected again", lambda: self._background(self.reverify(self.selected_ids()))
        )
        listener.addAction(self.reverify_action)

        send = menus.addMenu("Se&nd")
        self.replay_action = self._action(
            "&Replay selected capture…",
            self.open_replay,
            "Ctrl+Shift+R",
            tip="Send the selected capture again: as captured, edited or re-signed",
        )
        send.addAction(self.replay_action)
        send.addSeparator()
        self.tab_actions: list[QAction] = []
        for number, text in enumerate(
            ("&Captures", "C&ompose and fire", "&Targets", "&Deliveries"), start=1
        ):
            action = self._action(
                text, partial(self.tabs.setCurrentIndex, number - 1), f"Ctrl+{number}"
            )
            self.tab_actions.append(action)
            (view if number == 1 else send).addAction(action)

        help_menu = menus.addMenu("&Help")
        self.welcome_action = self._action(
            "&Welcome and test delivery…", self.open_welcome, QKeySequence.StandardKey.HelpContents
        )
        help_menu.addAction(self.welcome_action)
        self.about_action = self._action("&About Hookscope", self.show_about)
        help_menu.addAction(self.about_action)

    # -- live captures ------------------------------------------------------------------------

    def _captured(self, newest: int, count: int) -> None:
        self._total += count
        self._arrivals.append((time.monotonic(), count))
        if not self._batch.isActive():
            self._batch.start()

    def insert_new(self) -> int:
        """Read what arrived since the last look and insert it at the top; how many rows."""
        scroll = self.table.verticalScrollBar()
        before = scroll.value()
        inserted = self.model.fetch_new()
        if inserted:
            if self.follow.isChecked():
                self.model.trim()
                self.table.scrollToTop()
            else:
                # Rows went in above: move down by as much, so what the user reads stays put.
                row_height = self.table.verticalHeader().defaultSectionSize()
                scroll.setValue(before + inserted * row_height)
        self._update_empty_hint()
        return inserted

    def _scrolled(self, value: int) -> None:
        # Scrolling away from the newest stops following; scrolling back to the top resumes.
        if value > 0 and self.follow.isChecked() and self.table.isVisible():
            self.follow.setChecked(False)

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self.table.scrollToTop()

    # -- filters ------------------------------------------------------------------------------

    def current_query(self) -> CaptureQuery:
        return CaptureQuery(
            provider=self.provider.currentData(),
            verdict=self.verdict.currentData(),
            method=self.method.currentData(),
            search=self.search.text().strip(),
            starred=self.starred_only.isChecked(),
        )

    def apply_filters(self) -> None:
        self._search_pause.stop()
        selected = self.current_id()
        self.model.set_query(self.current_query())
        if selected is not None:
            row = self.model.row_of(selected)
            if row is not None:
                self.table.selectRow(row)
        self._update_empty_hint()

    def clear_filters(self) -> None:
        for widget in (self.provider, self.verdict, self.method, self.starred_only, self.search):
            widget.blockSignals(True)
        self.search.clear()
        self.provider.setCurrentIndex(0)
        self.verdict.setCurrentIndex(0)
        self.method.setCurrentIndex(0)
        self.starred_only.setChecked(False)
        for widget in (self.provider, self.verdict, self.method, self.starred_only, self.search):
            widget.blockSignals(False)
        self.apply_filters()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _count_changed(self, matching: int) -> None:
        filtered = self.current_query() != CaptureQuery()
        noun = "capture" if matching == 1 else "captures"
        self.matches.setText(f"{matching:,} matching" if filtered else f"{matching:,} {noun}")
        self._update_empty_hint()

    def _update_empty_hint(self) -> None:
        empty = self.model.rowCount() == 0
        if empty:
            if self.current_query() != CaptureQuery():
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
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.summary(index.row()).id

    def selected_ids(self) -> list[int]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.model.summary(row).id for row in sorted(rows)]

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.show_detail()

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        if not self.table.selectionModel().hasSelection():
            self.detail.show_capture(None)

    def show_detail(self) -> None:
        capture_id = self.current_id()
        capture = capture_store.get_capture(self.db, capture_id) if capture_id else None
        self.detail.show_capture(capture)

    def copy_body(self) -> None:
        capture_id = self.current_id()
        capture = capture_store.get_capture(self.db, capture_id) if capture_id else None
        if capture is None:
            return
        QGuiApplication.clipboard().setText(capture.body.decode("utf-8", "replace"))
        self.statusBar().showMessage(f"Copied the body of #{capture_id}.", 3000)

    # -- what the user says of captures -------------------------------------------------------

    def toggle_star(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        row = self.model.row_of(ids[0])
        starred = not (row is not None and self.model.summary(row).starred)
        self._background(self.set_starred(ids, starred))

    async def set_starred(self, ids: list[int], starred: bool) -> None:
        await asyncio.wrap_future(self.engine.call(self.engine.set_starred(ids, starred)))
        self.model.refresh_rows(ids)
        if self.detail.capture is not None and self.detail.capture.id in ids:
            self.detail.show_starred(starred)

    async def set_note(self, capture_id: int, note: str) -> None:
        await asyncio.wrap_future(self.engine.call(self.engine.set_note(capture_id, note)))
        self.model.refresh_rows([capture_id])

    async def reverify(self, ids: list[int]) -> dict[str, int]:
        if not ids:
            return {}
        counts = await asyncio.wrap_future(self.engine.call(self.engine.reverify(ids)))
        self.model.refresh_rows(ids)
        if self.detail.capture is not None and self.detail.capture.id in ids:
            self.show_detail()
        summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
        self.statusBar().showMessage(f"Verified again: {summary}.", 5000)
        return counts

    def _ask(self, title: str, text: str, on_yes: Callable[[], object]) -> QMessageBox:
        """A confirmation that does not block the loop (no exec(): see STYLE.md)."""
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
        if self._total == 0:
            return
        self._ask(
            "Delete all captures",
            f"Delete all {self._total:,} captures? This cannot be undone. "
            "Deliveries arriving meanwhile are kept.",
            lambda: self._background(self.delete_all()),
        )

    async def delete(self, ids: list[int]) -> int:
        row = self.table.currentIndex().row()
        deleted = await asyncio.wrap_future(self.engine.call(self.engine.delete_captures(ids)))
        self.model.forget(ids)
        self._total = capture_store.newest_and_count(self.db)[1]
        if self.model.rowCount():
            # The next capture takes the place of the deleted one, as in a mail client.
            self.table.selectRow(min(max(row, 0), self.model.rowCount() - 1))
        else:
            self.detail.show_capture(None)
        self._update_empty_hint()
        self.statusBar().showMessage(f"Deleted {deleted:,} captures.", 5000)
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
            deleted = await asyncio.wrap_future(
                self.engine.call(self.engine.delete_all(progress=report))
            )
        finally:
            progress.reset()
            progress.deleteLater()
        self._total = capture_store.newest_and_count(self.db)[1]
        self.model.reload()
        self.detail.show_capture(None)
        self._update_empty_hint()
        self.statusBar().showMessage(f"Deleted {deleted:,} captures.", 5000)
        return deleted

    # -- the listener -------------------------------------------------------------------------

    async def start_listener(self) -> bool:
        """Start listening with the saved settings; a failure is shown, not raised."""
        try:
            await asyncio.wrap_future(self.engine.call(self.engine.start_listener()))
        except ListenError as exc:
            self.listen_error = str(exc)
            self.statusBar().showMessage(f"Not listening: {exc}")
            self._refresh_status()
            return False
        self.listen_error = ""
        self.statusBar().clearMessage()
        self._refresh_status()
        return True

    async def start_api(self) -> bool:
        """Start the Kardow API emulator as saved (it may be turned off); failures are shown."""
        try:
            await asyncio.wrap_future(self.engine.call(self.engine.start_api()))
        except ListenError as exc:
            self.statusBar().showMessage(f"Kardow API emulator not running: {exc}")
            return False
        finally:
            self.targets.refresh()
        return bool(self.engine.api_url)

    async def stop_listener(self) -> None:
        await asyncio.wrap_future(self.engine.call(self.engine.stop_listener()))
        self.listen_error = ""
        self._refresh_status()

    def _toggle_listener(self) -> None:
        if self.engine.url:
            self._background(self.stop_listener())
        else:
            self._background(self.start_listener())

    def copy_listener_url(self) -> None:
        if self.engine.url:
            QGuiApplication.clipboard().setText(self.engine.url)
            self.statusBar().showMessage(f"Copied {self.engine.url}", 3000)

    def _refresh_status(self) -> None:
        url = self.engine.url
        if url:
            self.listen_state.setText("● Listening on")
            self.url.setText(url)
            self.listen_button.setText("Stop")
        else:
            self.listen_state.setText("○ Stopped")
            self.url.setText(self.listen_error or "not listening")
            self.listen_button.setText("Start")
        self.copy_url.setEnabled(bool(url))
        now = time.monotonic()
        while self._arrivals and now - self._arrivals[0][0] > RATE_WINDOW:
            self._arrivals.popleft()
        rate = sum(n for _, n in self._arrivals) / RATE_WINDOW
        self.stats.setText(f"{self._total:,} captured · {rate:.1f}/s")
        if self.model.rowCount() == 0:
            self._update_empty_hint()

    def open_settings(self) -> None:
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self.engine, self.db, self)
            self.settings_dialog.listener_changed.connect(lambda _: self._listener_changed())
            self.settings_dialog.api_changed.connect(lambda _: self.targets.refresh())
            self.settings_dialog.finished.connect(lambda _: self.composer.reload_credentials())
        self.settings_dialog.open()

    def _listener_changed(self) -> None:
        self.listen_error = ""
        self._refresh_status()
        self.composer.schedule_refresh()

    # -- sending ------------------------------------------------------------------------------

    def open_replay(self) -> ReplayDialog | None:
        """Open the replay dialog for the current capture (None when nothing is selected)."""
        capture_id = self.current_id()
        if capture_id is None:
            self.statusBar().showMessage("Select a capture to replay.", 3000)
            return None
        dialog = ReplayDialog(self.engine, self.db, capture_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sent.connect(self._fired)
        self.replay_dialog = dialog
        dialog.destroyed.connect(lambda _=None: setattr(self, "replay_dialog", None))
        dialog.open()
        return dialog

    def open_welcome(self) -> WelcomeDialog:
        """The first-run welcome (also in Help): capture URL, tunnels, a test delivery."""
        if self.welcome_dialog is None:
            self.welcome_dialog = WelcomeDialog(self.engine, self.db, self)
            self.welcome_dialog.delivered.connect(self.show_capture)
        self.welcome_dialog.refresh()
        self.welcome_dialog.open()
        return self.welcome_dialog

    def show_capture(self, capture_id: int) -> bool:
        """Bring a capture into view and select it; False when the filters hide it."""
        self.tabs.setCurrentIndex(0)
        self.insert_new()
        row = self.model.row_of(capture_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def show_about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About Hookscope")
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"Hookscope {__version__}\n\nA webhook inspector for Kardow, Kudoz and any HTTP "
            f"sender.\n\nData: {self.engine.directory}\nSecrets key: {self.engine.key_file}"
        )
        box.open()

    def _fired(self, fire_id: str) -> None:
        """A fire or replay went out: its attempts are in the Deliveries tab (Ctrl+4)."""
        self.deliveries.show_fire(fire_id)
        self.statusBar().showMessage("Sent; every attempt is in Deliveries (Ctrl+4).", 5000)

    # -- plumbing -----------------------------------------------------------------------------

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    async def settle(self) -> None:
        """Wait for background actions (tests, and closing), the panels' included."""
        await self._work.settle()
        for panel in (self.composer, self.targets, self.deliveries, self.welcome_dialog):
            if panel is not None:
                await panel.settle()

    def _save_state(self) -> None:
        state = {
            "geometry": _b64(self.saveGeometry()),
            "splitter": _b64(self.splitter.saveState()),
            "columns": _b64(self.table.horizontalHeader().saveState()),
            "filters": {
                "search": self.search.text(),
                "provider": self.provider.currentData(),
                "verdict": self.verdict.currentData(),
                "method": self.method.currentData(),
                "starred": self.starred_only.isChecked(),
            },
            "follow": self.follow.isChecked(),
            "tab": self.tabs.currentIndex(),
        }
        settings_store.set_setting(self.db, UI_STATE, state)

    def _restore_state(self) -> None:
        state = settings_store.get_setting(self.db, UI_STATE, None)
        if not isinstance(state, dict):
            return
        try:
            self.restoreGeometry(_unb64(state.get("geometry", "")))
            self.splitter.restoreState(_unb64(state.get("splitter", "")))
            self.table.horizontalHeader().restoreState(_unb64(state.get("columns", "")))
            filters = state.get("filters", {})
            self.search.setText(str(filters.get("search", "")))
            for combo, key in (
                (self.provider, "provider"),
                (self.verdict, "verdict"),
                (self.method, "method"),
            ):
                found = combo.findData(filters.get(key))
                combo.setCurrentIndex(max(found, 0))
            self.starred_only.setChecked(bool(filters.get("starred", False)))
            self.follow.setChecked(bool(state.get("follow", True)))
            tab = state.get("tab", 0)
            if isinstance(tab, int) and 0 <= tab < self.tabs.count():
                self.tabs.setCurrentIndex(tab)
        except (TypeError, ValueError, AttributeError):
            log.warning("window state not restored: it was not in the expected shape")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.detail.flush_note()
        try:
            self._save_state()
        except Exception:
            log.exception("saving the window state")
        self.bridge.detach()
        self._ticker.stop()
        self._batch.stop()
        for panel in (self.composer, self.targets, self.deliveries):
            panel.stop_timers()
        event.accept()
        self.closed.emit()


def _b64(data: QByteArray) -> str:
    return base64.b64encode(data.data()).decode("ascii")


def _unb64(text: str) -> QByteArray:
    return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
