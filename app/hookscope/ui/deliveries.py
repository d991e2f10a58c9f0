"""The delivery log, live: every outgoing attempt, what was sent and what came back."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import replace
from http import HTTPStatus
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.export import curl_command, curl_notes, outgoing_as_capture
from hookscope.core.model import Attempt, DeliveryQuery, Outgoing, Plan, first_header
from hookscope.engine import Engine, EngineError
from hookscope.storage import deliveries as delivery_store
from hookscope.ui.background import Background
from hookscope.ui.bodyview import BodyView
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.delegates import BadgeDelegate
from hookscope.ui.detail import HeadersTable, ValueField
from hookscope.ui.models import PAGE, RecordRole, column_title, plain_tooltip
from hookscope.ui.settings import plain_label
from hookscope.ui.style import human_size, local_time, retint, set_tone, verdict_colour

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

# New attempts are read and inserted together, at most this often (as captures are).
BATCH_MS = 50
DELIVERED, FAILED = "delivered", "failed"
# The result badge borrows the verdicts' colours: delivered reads as verified, failed as failed.
_RESULT_COLOURS = {DELIVERED: "verified", FAILED: "failed"}
RETRIED_HINT = "A retry followed this try; the request's result is its last try."


def result_word(attempt: Attempt) -> str:
    return DELIVERED if attempt.ok else FAILED


def short_fire(fire_id: str) -> str:
    return fire_id[:8]


def _request_key(attempt: Attempt) -> tuple[str, str, str | None, str, str]:
    """What the tries of one request share (a fire sends each request once, maybe retried)."""
    request = attempt.request
    return (attempt.fire_id, request.kind, request.target_id, request.method, request.url)


def curl_for(request: Outgoing) -> str:
    """A curl command that sends exactly this request again: the export's code and quoting."""
    return curl_command(*outgoing_as_capture(request))


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# -- the model ---------------------------------------------------------------------------------


class DeliveryTableModel(QAbstractTableModel):
    """Delivery attempts matching a filter, newest first, read one keyset page at a time.

    New attempts are added with `fetch_new()` (the panel calls it at most every 50 ms), at the
    top, in one insert; existing rows never move relative to each other.

    Signals:
        count_changed(int): how many attempts match the filter.

    Attributes:
        query: the filter in force (its before_id / after_id / limit are ignored).
        matching: how many attempts match it.
    """

    COLUMNS = ("Time", "Kind", "Event", "URL", "Result", "Status", "Latency (ms)", "Try", "Fire")
    TIME, KIND, EVENT, URL, RESULT, STATUS, LATENCY, TRY, FIRE = range(9)
    RIGHT = frozenset({STATUS, LATENCY, TRY})

    count_changed = Signal(int)

    def __init__(self, db: Database, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(parent)
        self._db = db
        self._page = page
        self._rows: list[Attempt] = []
        self._row_of: dict[int, int] | None = None
        self._more = False
        self._seen_upto = 0  # every id up to here has been looked at for this filter
        # How many tries each request had in the end, from the final tries loaded so far.
        self._tries: dict[tuple[str, str, str | None, str, str], int] = {}
        self.query = DeliveryQuery()
        self.matching = 0

    # -- reading ------------------------------------------------------------------------------

    def set_query(self, query: DeliveryQuery) -> None:
        """Show the attempts matching `query`, from the newest."""
        self.beginResetModel()
        self.query = replace(query, before_id=None, after_id=None, limit=self._page)
        newest = delivery_store.list_attempts(self._db, DeliveryQuery(limit=1), bodies=False)
        self._seen_upto = (newest[0].id or 0) if newest else 0
        self._rows = delivery_store.list_attempts(
            self._db, replace(self.query, before_id=self._seen_upto + 1), bodies=False
        )
        self._row_of = None
        self._tries = {}
        self._count_tries(self._rows)
        self._more = len(self._rows) == self._page
        self.endResetModel()
        self._set_matching(delivery_store.count(self._db, self.query))

    def reload(self) -> None:
        self.set_query(self.query)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more:
            return
        before = self._rows[-1].id if self._rows else self._seen_upto + 1
        page = delivery_store.list_attempts(
            self._db, replace(self.query, before_id=before), bodies=False
        )
        self._more = len(page) == self._page
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self._row_of = None
            self._count_tries(page)
            self.endInsertRows()

    def fetch_new(self, upto: int | None = None) -> int:
        """Insert, at the top, the matching attempts logged since the last look; how many.

        `upto`: the newest id known to be logged (the bridge says it); later ones wait for the
        next look. None reads whatever is there.
        """
        if upto is not None and upto <= self._seen_upto:
            return 0
        limit = (upto - self._seen_upto) if upto is not None else 1_000_000
        fresh = delivery_store.list_attempts(
            self._db,
            replace(
                self.query,
                after_id=self._seen_upto,
                before_id=None if upto is None else upto + 1,
                limit=limit,
            ),
            bodies=False,
        )
        if upto is not None:
            self._seen_upto = max(self._seen_upto, upto)
        if fresh:
            self._seen_upto = max(self._seen_upto, fresh[0].id or 0)
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._rows[0:0] = fresh
        self._row_of = None
        self.endInsertRows()
        if self._count_tries(fresh) and len(self._rows) > len(fresh):
            # A last try arrived: earlier tries of its request now read "n of N".
            self.dataChanged.emit(
                self.index(len(fresh), self.TRY), self.index(len(self._rows) - 1, self.TRY)
            )
        self._set_matching(self.matching + len(fresh))
        return len(fresh)

    def _count_tries(self, attempts: list[Attempt]) -> bool:
        """Note the final tries among `attempts`; True when one ended a retried request."""
        retried = False
        for attempt in attempts:
            if attempt.final:
                self._tries[_request_key(attempt)] = attempt.number
                retried = retried or attempt.number > 1
        return retried

    def row_of(self, attempt_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {attempt.id or 0: row for row, attempt in enumerate(self._rows)}
        return self._row_of.get(attempt_id)

    def attempt(self, row: int) -> Attempt:
        return self._rows[row]

    def try_text(self, attempt: Attempt) -> str:
        """ "1"; "3 of 3" for a retried request's last try; "1 of 3, retried" for the others."""
        total = self._tries.get(_request_key(attempt))
        if attempt.final:
            return "1" if attempt.number == 1 else f"{attempt.number} of {attempt.number}"
        of = f" of {total}" if total else ""
        return f"{attempt.number}{of}, retried"

    def _set_matching(self, matching: int) -> None:
        self.matching = matching
        self.count_changed.emit(matching)

    # -- Qt's model interface -----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.ToolTipRole
            and section == self.TRY
        ):
            return "Which try this was: retries follow failed tries when Settings > Sending asks"
        return column_title(self.COLUMNS, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        attempt = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(attempt, column)
        if role == RecordRole:
            return attempt
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(attempt, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not attempt.final and column != self.RESULT:
            return QGuiApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        return None

    def _display(self, attempt: Attempt, column: int) -> str:
        request = attempt.request
        if column == self.TIME:
            return local_time(attempt.started_at)
        if column == self.KIND:
            return request.kind
        if column == self.EVENT:
            return request.event or ""
        if column == self.URL:
            return request.url
        if column == self.RESULT:
            return result_word(attempt)
        if column == self.STATUS:
            return "—" if attempt.status is None else str(attempt.status)
        if column == self.LATENCY:
            return f"{attempt.latency_ms:,.0f}"
        if column == self.TRY:
            return self.try_text(attempt)
        if column == self.FIRE:
            return short_fire(attempt.fire_id)
        return ""

    def _tooltip(self, attempt: Attempt, column: int) -> str | None:
        # Plain text: URLs, errors and Location headers come from outside.
        if column == self.URL:
            return plain_tooltip(f"{attempt.request.method} {attempt.request.url}")
        if column == self.RESULT:
            return plain_tooltip(attempt.outcome)
        if column == self.STATUS and attempt.status is None:
            return plain_tooltip(f"No answer: {attempt.outcome}")
        if column == self.TRY and not attempt.final:
            return RETRIED_HINT
        if column == self.FIRE:
            return plain_tooltip(f"Fire {attempt.fire_id}")
        return None


def result_colour(word: str, palette: QPalette | None = None) -> QColor:
    return verdict_colour(_RESULT_COLOURS.get(word, "n/a"), palette)


# -- the detail --------------------------------------------------------------------------------


class DeliveryDetail(QWidget):
    """One attempt: its result in words, the request sent, and the answer (or why none came).

    Attributes:
        attempt: the attempt shown, or None.
        badge: "delivered" or "failed" on its colour.
        outcome: the result in one sentence (the error, when no answer came).
        meta: when, how long, which try, which fire and target.
        tabs: "Request" and "Response".
        request_line: the method and URL.
        request_note: how the request was made (signed with..., a replay of ...).
        request_headers, request_body: the headers and body sent, exactly.
        response_status: the status line, or why there is none.
        cut_note: said when the answer's body was cut at the response limit.
        response_headers, response_body: the answer's headers and body.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attempt: Attempt | None = None
        self.empty = plain_label("Select an attempt to see its request and the answer it got.")
        self.empty.setEnabled(False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.badge = QLabel()
        self.badge.setTextFormat(Qt.TextFormat.PlainText)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.outcome = plain_label()
        self.meta = plain_label()
        summary = QHBoxLayout()
        summary.addWidget(self.badge)
        summary.addWidget(self.outcome, 1)

        self.request_line = ValueField()
        self.request_note = plain_label()
        self.request_headers = HeadersTable()
        self.request_body = BodyView()
        self.response_status = plain_label()
        self.cut_note = plain_label(tone="warning")
        self.response_headers = HeadersTable()
        self.response_body = BodyView()

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(
            self._page(
                self.request_line, self.request_note, self.request_headers, self.request_body
            ),
            "Request",
        )
        self.tabs.addTab(
            self._page(
                self.response_status, self.cut_note, self.response_headers, self.response_body
            ),
            "Response",
        )

        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(summary)
        content.addWidget(self.meta)
        content.addWidget(self.tabs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.content, 1)
        self.show_attempt(None)

    @staticmethod
    def _page(first: QWidget, second: QWidget, headers: HeadersTable, body: BodyView) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(first)
        layout.addWidget(second)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(headers)
        split.addWidget(body)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        layout.addWidget(split, 1)
        return page

    def show_attempt(self, attempt: Attempt | None) -> None:
        """Show this attempt in full (None: the empty state)."""
        self.attempt = attempt
        self.empty.setVisible(attempt is None)
        self.content.setVisible(attempt is not None)
        if attempt is None:
            self.request_headers.headers_model.set_rows(())
            self.response_headers.headers_model.set_rows(())
            self.request_body.clear()
            self.response_body.clear()
            return
        request = attempt.request
        self._paint_badge()
        if attempt.error is not None:
            self.outcome.setText(f"No answer: {attempt.error}.")
        elif attempt.ok:
            self.outcome.setText(f"Delivered: the target answered {attempt.status}.")
        else:
            self.outcome.setText(f"Failed: {attempt.outcome}.")
        parts = [
            local_time(attempt.started_at, date=True),
            f"{attempt.latency_ms:,.0f} ms",
            f"try {attempt.number}" + ("" if attempt.final else " (a retry followed)"),
            f"fire {attempt.fire_id}",
        ]
        if request.target_id:
            parts.append(f"{request.kind} target {request.target_id}")
        elif request.replay_of is not None:
            parts.append(f"replay of capture #{request.replay_of}")
        else:
            parts.append(request.kind)
        self.meta.setText(" · ".join(parts))

        self.request_line.set_value(f"{request.method} {request.url}")
        self.request_note.setText(request.note)
        self.request_note.setVisible(bool(request.note))
        self.request_headers.headers_model.set_rows(request.headers)
        self.request_body.set_body(request.body, request.header("content-type") or "")

        if attempt.status is None:
            self.response_status.setText(f"No answer: {attempt.error or 'none recorded'}.")
        else:
            self.response_status.setText(
                f"Answered {_status_text(attempt.status)} after {attempt.latency_ms:,.0f} ms"
            )
        if attempt.response_truncated:
            cut = len(attempt.response_body)
            self.cut_note.setText(
                f"The answer's body was cut at {cut:,} bytes ({human_size(cut)}): only that much "
                "is kept (Settings > Sending, response body limit)."
            )
        self.cut_note.setVisible(attempt.response_truncated)
        self.response_headers.headers_model.set_rows(attempt.response_headers)
        if attempt.status is None:
            self.response_body.clear()
        else:
            self.response_body.set_body(
                attempt.response_body, first_header(attempt.response_headers, "content-type") or ""
            )

    def _paint_badge(self) -> None:
        if self.attempt is None:
            return
        word = result_word(self.attempt)
        palette = QGuiApplication.palette()
        self.badge.setText(word)
        self.badge.setStyleSheet(
            f"background: {result_colour(word, palette).name()};"
            f" color: {palette.color(QPalette.ColorRole.Text).name()};"
            " border-radius: 9px; padding: 1px 10px; font-weight: 600"
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._paint_badge()
            retint(self)


# -- the panel ---------------------------------------------------------------------------------


class DeliveriesPanel(QWidget):
    """Every outgoing attempt (fires, replays, retries), newest first, as it ends.

    Keys (while the table has focus): Ctrl+Return sends the selected attempt's request again,
    Ctrl+Shift+C copies it as a curl command.

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
        send_again_action, copy_curl_action: their keys.
        empty_hint: said when no attempt is shown.
        detail: the selected attempt in full.
        splitter: the table above the detail.
        message_label: the last action's outcome.
        question: the "Clear log" confirmation waiting for an answer, if any.
    """

    message = Signal(str)

    def __init__(
        self, engine: Engine, db: Database, bridge: EngineBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._db = db
        self._fire: str | None = None
        self._newest_logged: int | None = None
        self._work = Background(
            self,
            "deliveries-action",
            lambda exc: self._tell(f"That did not work: {exc}", error=True),
        )
        self.question: QMessageBox | None = None
        self.model = DeliveryTableModel(db, self)
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

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
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
        selected = self.current_id()
        self.model.set_query(self.current_query())
        row = self.model.row_of(selected) if selected is not None else None
        if row is not None:
            self.table.selectRow(row)
        else:
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
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < self.model.rowCount():
            return None
        # Rows are read without their bodies; the selected one is read whole.
        light = self.model.attempt(rows[0].row())
        if light.id is None:
            return light
        return delivery_store.get_attempt(self._db, light.id) or light

    def _selection_changed(self) -> None:
        attempt = self.current_attempt()
        if attempt is None:
            self.detail.show_attempt(None)
        elif self.detail.attempt is None or self.detail.attempt.id != attempt.id:
            self.detail.show_attempt(attempt)
        why = None if attempt else "Select an attempt first."
        for button in (self.send_again_button, self.copy_curl_button):
            button.setEnabled(why is None)
        self.send_again_button.setToolTip(
            why or "Send exactly this request again, as a new fire (Ctrl+Return)"
        )
        self.copy_curl_button.setToolTip(
            why or "Copy a curl command that sends this request (Ctrl+Shift+C)"
        )

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
        attempt = delivery_store.get_attempt(self._db, attempt_id)
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
        (last,) = await asyncio.wrap_future(self._engine.call(self._engine.send(plan)))
        # The sender's result carries no id: the log has it (written before send returns).
        logged = delivery_store.list_attempts(self._db, DeliveryQuery(fire_id=plan.fire_id))
        sent = logged[0] if logged else last
        if Shiboken.isValid(self):
            self.insert_new()
            if sent.id is not None:
                self.select_attempt(sent.id)
            self._tell(f"Sent again to {request.url}: {sent.outcome}.", error=not sent.ok)
        return sent

    def copy_curl(self) -> None:
        attempt = self.current_attempt()
        if attempt is None:
            return
        QGuiApplication.clipboard().setText(curl_for(attempt.request))
        left_out = curl_notes(outgoing_as_capture(attempt.request)[0])
        self._tell(" ".join(["Copied the request as a curl command.", *left_out]))

    def ask_clear(self) -> QMessageBox | None:
        """Ask, without blocking, whether to delete every logged attempt."""
        total = delivery_store.count(self._db, DeliveryQuery())
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
        deleted = await asyncio.wrap_future(self._engine.call(self._engine.clear_deliveries()))
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

    async def settle(self) -> None:
        """Wait for actions started from buttons and keys (tests, and closing)."""
        await self._work.settle()

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
