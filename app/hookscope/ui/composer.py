"""Compose and fire: an event from the catalogue, edited, previewed byte-exact, then sent."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Sequence
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QShortcut,
    QShowEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core import catalogue
from hookscope.core.catalogue import PLACEHOLDERS, CatalogueError, Template
from hookscope.core.fire import FireError, wire_headers
from hookscope.core.model import Attempt, Outgoing, Plan, utc_now
from hookscope.core.providers import kardow, kudoz
from hookscope.engine import Engine, EngineError
from hookscope.storage import credentials as credential_store
from hookscope.ui.background import Background
from hookscope.ui.bodyview import hexdump
from hookscope.ui.models import Index, RecordTableModel, plain_tooltip
from hookscope.ui.settings import async_slot, plain_label
from hookscope.ui.style import human_size, is_dark, monospace, retint, say, tone_colour

log = logging.getLogger(__name__)

PREVIEW_PAUSE_MS = 150  # input settles this long before it is validated and planned again
TEXT_LIMIT = 256 * 1024  # characters of a body shown as text (the rest is said, not shown)
HEX_LIMIT = 64 * 1024  # bytes of a binary body shown as a hex dump
DEFAULT_ORG_ID = 42
PROVIDERS = ((kardow.name, "Kardow"), (kudoz.name, "Kudoz"))
NO_KUDOZ_CREDENTIAL = (
    "No Kudoz credential is stored, so nothing can sign the callback. Add one in "
    "Settings > Secrets (Add Kudoz credential…)."
)
FIRE_KEYS = ("Ctrl+Return", "Ctrl+Enter")

_BADGE = ("#fde7c7", "#6b4413")  # the "shape assumed" badge's background


# -- small shared helpers (the replay dialog uses them too) -------------------------------------


def heading(text: str) -> QLabel:
    label = plain_label(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def body_text(body: bytes) -> tuple[str, str]:
    """A body as the preview shows it, and a note on what the text is when it is not just it.

    UTF-8 text is shown as is (never re-indented: the bytes are the truth); anything else as a
    hex dump. Long bodies are cut for display only.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        shown = hexdump(body[:HEX_LIMIT])
        note = f"Binary body ({human_size(len(body))}, not UTF-8 text): shown as a hex dump"
        if len(body) > HEX_LIMIT:
            note += f" of its first {human_size(HEX_LIMIT)}"
        return shown, note + "."
    if len(text) > TEXT_LIMIT:
        return text[:TEXT_LIMIT], (
            f"Showing the first {TEXT_LIMIT:,} characters of the {human_size(len(body))} body; "
            "all of it is sent."
        )
    return text, ""


def request_text(request: Outgoing) -> tuple[str, str]:
    """One request as it goes out: request line, headers as on the wire, a blank line, the body.

    Returns the text and a note about the body (see `body_text`).
    """
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{request.method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in wire_headers(request)]
    body, note = body_text(request.body)
    return "\n".join(lines) + "\n\n" + body, note


def summary(attempts: Sequence[Attempt]) -> str:
    """ "3 delivered, 1 failed"."""
    delivered = sum(1 for attempt in attempts if attempt.ok)
    failed = len(attempts) - delivered
    return f"{delivered} delivered, {failed} failed" if failed else f"{delivered} delivered"


def targets_phrase(count: int) -> str:
    return "1 target" if count == 1 else f"{count} targets"


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON (JavaScript accepts it, JSON does not)")


def parse_data(text: str) -> dict[str, Any] | str:
    """The editor's text as a JSON object, or why it is not one (a sentence naming the place)."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        return f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
    except ValueError as error:
        return f"Invalid JSON: {error}."
    if not isinstance(value, dict):
        return f"The data must be a JSON object ({{…}}), not {_json_type(value)}."
    return value


# -- models -------------------------------------------------------------------------------------


class RequestsModel(RecordTableModel[Outgoing]):
    """The requests of a plan, in sending order; an Outgoing per row."""

    COLUMNS = ("Kind", "URL", "Note")

    def _text(self, item: Outgoing, column: int) -> str:
        if column == 0:
            return item.kind
        if column == 1:
            return item.url
        return item.note

    def _tooltip(self, item: Outgoing, column: int) -> str | None:
        if column == 1:
            return plain_tooltip(item.url)
        if column == 2 and item.note:
            return plain_tooltip(item.note)
        return None


class AttemptsModel(RecordTableModel[Attempt]):
    """What each request of a fire got: its outcome in words (coloured too); an Attempt per row."""

    COLUMNS = ("Kind", "URL", "Outcome", "Status", "Latency")
    OUTCOME = 2
    RIGHT = frozenset({3, 4})

    def _text(self, item: Attempt, column: int) -> str:
        if column == 0:
            return item.request.kind
        if column == 1:
            return item.request.url
        if column == 2:
            return ("✓ " if item.ok else "✗ ") + item.outcome
        if column == 3:
            return "—" if item.status is None else str(item.status)
        return f"{item.latency_ms:.0f} ms"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if not index.isValid() or index.column() != self.OUTCOME:
                return None
            if not 0 <= index.row() < self.rowCount():
                return None
            return tone_colour("ok" if self.item(index.row()).ok else "error")
        return super().data(index, role)

    def _tooltip(self, item: Attempt, column: int) -> str | None:
        if column == 1:
            return plain_tooltip(item.request.url)
        if column != self.OUTCOME:
            return None
        if item.error is not None:
            return plain_tooltip(item.error)
        answer = item.response_body.decode("utf-8", "replace")
        cut = " (cut)" if item.response_truncated else ""
        return plain_tooltip(f"Answered {item.status}{cut}:\n{answer}" if answer else item.outcome)


# -- the preview --------------------------------------------------------------------------------


class RequestPreview(QWidget):
    """Exactly what a plan sends: its requests and, for the selected one, the bytes on the wire.

    The body is shown as the bytes decode, never re-indented: what is shown is what is sent.

    Planning is asynchronous and refreshes may finish out of order: each refresh takes a ticket
    from `start()`, and `offer()` shows its result only if no newer refresh began since.

    Attributes:
        plan: the plan shown, or None.
        plan_error: why the last refresh could not plan anything, or None.
        problems_label: the plan's problems (why some targets get nothing), hidden when none.
        requests_model, requests_view: one row per request (the view is hidden when the widget
            was made with show_list=False, for a plan of one request).
        text: the selected request: request line, headers as they go out, blank line, body.
        body_note: what the body text is when it is not simply the body (binary, cut).
    """

    def __init__(self, *, show_list: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.plan_error: str | None = None
        self._started = 0
        self._shown = -1
        self._show_list = show_list
        self.problems_label = plain_label()
        self.problems_label.hide()
        self.requests_model = RequestsModel(self)
        self.requests_view = QTableView()
        self.requests_view.setModel(self.requests_model)
        self.requests_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.requests_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.requests_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.requests_view.setWordWrap(False)
        self.requests_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.requests_view.verticalHeader().hide()
        row_height = self.requests_view.fontMetrics().height() + 8
        self.requests_view.verticalHeader().setDefaultSectionSize(row_height)
        header = self.requests_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.requests_view.setMinimumHeight(row_height * 3)
        self.requests_view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.requests_view.setVisible(show_list)

        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setFont(monospace())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Wrapped at the edge, not at word breaks: a break after "-" would look like a byte.
        self.text.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.body_note = plain_label()
        self.body_note.hide()

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.requests_view)
        self.splitter.addWidget(self.text)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.body_note)
        self.set_plan(None)

    def start(self) -> int:
        """A ticket for a refresh that is about to plan."""
        self._started += 1
        return self._started

    def offer(self, ticket: int, plan: Plan | None, error: str | None, why: str) -> bool:
        """Show a refresh's result, unless a newer refresh began; whether it was shown."""
        if ticket != self._started:
            return False
        self._shown = ticket
        self.plan_error = error
        self.set_plan(plan, why)
        if error:
            say(self.problems_label, error, "error")
        return True

    @property
    def current(self) -> bool:
        """The plan shown is the newest refresh's (none is still under way)."""
        return self._shown == self._started

    def spend(self) -> None:
        """The plan was sent: it must never go out twice (fresh ids for the next one)."""
        self.plan = None

    def set_plan(self, plan: Plan | None, placeholder: str = "") -> None:
        """Show `plan` (None: nothing, with `placeholder` saying why)."""
        row = max(self.requests_view.currentIndex().row(), 0)
        self.plan = plan
        self.requests_model.set_rows(plan.requests if plan else ())
        self._fit_url_column()
        say(self.problems_label, "\n".join(plan.problems) if plan else "", "warning")
        if plan is not None and plan.requests:
            self.select(min(row, len(plan.requests) - 1))
            return
        if plan is not None:
            placeholder = "Nothing will be sent."
        self._show(None, placeholder)

    def _fit_url_column(self) -> None:
        """URLs as wide as they need, up to 60% of the list; the notes get the rest."""
        view = self.requests_view
        view.resizeColumnToContents(1)
        widest = max(view.viewport().width(), 400) * 3 // 5
        view.setColumnWidth(1, min(view.columnWidth(1) + 12, widest))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_url_column()

    def select(self, row: int) -> None:
        """Show request `row` of the plan."""
        self.requests_view.selectRow(row)
        self.requests_view.setCurrentIndex(self.requests_model.index(row, 0))
        self._show(self.requests_model.item(row), "")

    def selected(self) -> Outgoing | None:
        """The request shown in the text, if any."""
        row = self.requests_view.currentIndex().row()
        if self.plan is None or not 0 <= row < len(self.plan.requests):
            return self.plan.requests[0] if self.plan and self.plan.requests else None
        return self.plan.requests[row]

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if current.isValid() and current.row() < self.requests_model.rowCount():
            self._show(self.requests_model.item(current.row()), "")

    def _show(self, request: Outgoing | None, placeholder: str) -> None:
        if request is None:
            self.text.clear()
            self.text.setPlaceholderText(placeholder)
            say(self.body_note, "")
            return
        text, note = request_text(request)
        self.text.setPlainText(text)
        say(self.body_note, note)


# -- the panel ----------------------------------------------------------------------------------


class ComposerPanel(QWidget):
    """Compose an event from the catalogue, see exactly what will go out, fire it.

    The preview is a kept Plan, rebuilt (placeholders filled afresh) whenever the input settles;
    Fire sends that very plan, then a new one is made for the next fire (fresh ids and times).
    Nothing here blocks the GUI: planning and sending run on the engine's loop.

    Keyboard: Ctrl+Return (or Ctrl+Enter) fires.

    Signals:
        fired(str): a fire went out (its fire_id): the window may show its deliveries.

    Attributes:
        plan: the plan the preview shows and Fire sends, or None when there is none.
        template: the catalogue template of the chosen event.
        provider_combo, event_combo: the provider and the event (Kardow) or kind (Kudoz).
        assumed_badge: "shape assumed", shown when the provider does not document the data.
        note_label: the template's note (what is documented, what is assumed).
        org_spin: Kardow's organization id.
        url_edit, credential_combo, credential_hint: Kudoz's callback URL and signing credential
            (the hint says how to add one when none is stored).
        editor: the event's `data` as JSON, placeholders included.
        reset_button: puts the template back in the editor.
        error_label: why the data cannot be sent (invalid JSON with line and column, ...).
        preview: the RequestPreview of `plan`.
        refresh_button: builds the preview again (fresh values, the targets registered now).
        fire_button: sends `plan`; disabled with the reason as its tooltip.
        status_label: "Sending to N targets…", then the summary ("3 delivered, 1 failed").
        results_model, results_view: the last fire's result per request.
    """

    fired = Signal(str)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.db = db
        self.template: Template = catalogue.templates(kardow.name)[0]
        self._input_problem: str | None = None
        self._sending = False
        self._dirty = True
        self._url_edited = False
        self._work = Background(
            self,
            "composer-action",
            lambda exc: say(self.status_label, f"That did not work: {exc}", "error"),
        )

        self._pause = QTimer(self, singleShot=True, interval=PREVIEW_PAUSE_MS)
        self._pause.timeout.connect(self._settled)
        self._build()
        for keys in FIRE_KEYS:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self._fire_clicked)
        self._provider_changed()

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.provider_combo = QComboBox()
        for name, title in PROVIDERS:
            self.provider_combo.addItem(title, name)
        self.event_combo = QComboBox()
        self.event_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.assumed_badge = QLabel("shape assumed")
        self.assumed_badge.setTextFormat(Qt.TextFormat.PlainText)
        self.assumed_badge.setToolTip(
            "The provider does not document this data: Hookscope assumes this shape."
        )
        self._style_badge()
        self.note_label = plain_label()
        self.note_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.org_spin = QSpinBox()
        self.org_spin.setRange(0, 2**31 - 1)
        self.org_spin.setValue(DEFAULT_ORG_ID)
        self.org_spin.setToolTip("organization_id in the envelope (an integer in Kardow's API)")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://your-app.example/kudoz/callback")
        self.credential_combo = QComboBox()
        self.credential_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.credential_combo.setToolTip("The Kudoz credential whose API secret signs the token")
        self.credential_combo.setPlaceholderText("none stored")
        self.credential_hint = plain_label()
        self.credential_hint.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred
        )
        self.credential_hint.hide()

        event_row = QHBoxLayout()
        event_row.addWidget(self.event_combo)
        event_row.addWidget(self.assumed_badge)
        event_row.addStretch(1)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.addRow("Provider", self.provider_combo)
        self.form.addRow("Event", event_row)
        self.form.addRow(self.note_label)
        self.form.addRow("Organization id", self.org_spin)
        self.form.addRow("Callback URL", self.url_edit)
        self.form.addRow("Credential", self.credential_combo)
        self.form.addRow(self.credential_hint)

        self.editor = QPlainTextEdit()
        self.editor.setFont(monospace())
        self.editor.setTabChangesFocus(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.editor.setMinimumWidth(self.editor.fontMetrics().averageCharWidth() * 48)
        self.reset_button = QPushButton("Reset to template")
        self.reset_button.setToolTip("Put the event's template back in the editor")
        self.reset_button.clicked.connect(self.reset_to_template)
        self.error_label = plain_label()
        self.error_label.hide()
        placeholders = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        data_row = QHBoxLayout()
        data_row.addWidget(heading("Event data (JSON object)"), 1)
        data_row.addWidget(self.reset_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addLayout(self.form)
        left_layout.addSpacing(4)
        left_layout.addLayout(data_row)
        left_layout.addWidget(self.editor, 1)
        left_layout.addWidget(self.error_label)
        left_layout.addWidget(
            plain_label(f"{placeholders} get fresh values for every preview and every fire.")
        )

        self.preview = RequestPreview()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip(
            "Build the preview again: fresh placeholder values, and the targets registered now"
        )
        self.refresh_button.clicked.connect(lambda: self._background(self.refresh_preview()))
        preview_row = QHBoxLayout()
        preview_row.addWidget(heading("Preview: exactly what will go out"), 1)
        preview_row.addWidget(self.refresh_button)
        self.fire_button = QPushButton("Fire  (Ctrl+Return)")
        self.fire_button.clicked.connect(self._fire_clicked)
        self.status_label = plain_label()
        fire_row = QHBoxLayout()
        fire_row.addWidget(self.fire_button)
        fire_row.addWidget(self.status_label, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(4, 0, 0, 4)
        top_layout.addLayout(preview_row)
        top_layout.addWidget(self.preview, 1)
        top_layout.addLayout(fire_row)

        self.results_model = AttemptsModel(self)
        self.results_view = QTableView()
        self.results_view.setModel(self.results_model)
        self.results_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_view.setWordWrap(False)
        self.results_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results_view.verticalHeader().hide()
        self.results_view.verticalHeader().setDefaultSectionSize(
            self.results_view.fontMetrics().height() + 8
        )
        header = self.results_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column in (3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        row_height = self.results_view.verticalHeader().defaultSectionSize()
        self.results_view.setMinimumHeight(row_height * 5 + header.sizeHint().height() + 4)
        self.results_empty = plain_label("The results of a fire appear here.")
        self.results_empty.setEnabled(False)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(4, 4, 0, 0)
        bottom_layout.addWidget(heading("Results of the last fire"))
        bottom_layout.addWidget(self.results_view, 1)
        bottom_layout.addWidget(self.results_empty)

        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        right.addWidget(top)
        right.addWidget(bottom)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.splitter)

        self.provider_combo.currentIndexChanged.connect(lambda _: self._provider_changed())
        self.event_combo.currentIndexChanged.connect(lambda _: self._event_changed())
        self.editor.textChanged.connect(self._changed)
        self.org_spin.valueChanged.connect(lambda _: self._changed())
        self.url_edit.textEdited.connect(self._url_typed)
        self.url_edit.textChanged.connect(lambda _: self._changed())
        self.credential_combo.currentIndexChanged.connect(lambda _: self._changed())

    def _style_badge(self) -> None:
        palette = QGuiApplication.palette()
        background = _BADGE[1] if is_dark(palette) else _BADGE[0]
        text = palette.color(QPalette.ColorRole.Text).name()
        self.assumed_badge.setStyleSheet(
            f"background: {background}; color: {text}; border-radius: 9px;"
            " padding: 1px 10px; font-weight: 600"
        )

    # -- choosing -------------------------------------------------------------------------------

    @property
    def provider(self) -> str:
        return str(self.provider_combo.currentData())

    def set_provider(self, provider: str) -> None:
        self.provider_combo.setCurrentIndex(self.provider_combo.findData(provider))

    def set_event(self, event: str) -> None:
        """Choose the event (Kardow) or kind (Kudoz) of the current provider; loads its template."""
        self.event_combo.setCurrentIndex(self.event_combo.findData(event))

    def _provider_changed(self) -> None:
        kudoz_chosen = self.provider == kudoz.name
        self.event_combo.blockSignals(True)
        self.event_combo.clear()
        for found in catalogue.templates(self.provider):
            self.event_combo.addItem(found.event, found.event)
            self.event_combo.setItemData(
                self.event_combo.count() - 1, found.note, Qt.ItemDataRole.ToolTipRole
            )
        self.event_combo.blockSignals(False)
        for widget in (self.url_edit, self.credential_combo):
            self.form.setRowVisible(widget, kudoz_chosen)
        self.form.setRowVisible(self.org_spin, not kudoz_chosen)
        if kudoz_chosen:
            self.reload_credentials()
        else:
            self.form.setRowVisible(self.credential_hint, False)
        self.event_combo.setCurrentIndex(0)
        self._event_changed()

    def _event_changed(self) -> None:
        event = self.event_combo.currentData()
        if event is None:
            return
        try:
            self.template = catalogue.template(self.provider, str(event))
        except CatalogueError as error:  # a broken install: say so, keep the panel usable
            say(self.error_label, str(error), "error")
            return
        self.note_label.setText(self.template.note)
        self.assumed_badge.setVisible(self.template.assumed)
        self.reset_to_template()

    def reset_to_template(self) -> None:
        """Put the chosen event's template (placeholders and all) in the editor."""
        self.editor.setPlainText(self.template.text())

    def reload_credentials(self) -> None:
        """List the stored Kudoz credentials (names only), keeping the chosen one if it is there."""
        chosen = self.credential_combo.currentData()
        names = [
            info.name
            for info in credential_store.list_credentials(self.db)
            if info.provider == kudoz.name
        ]
        self.credential_combo.blockSignals(True)
        self.credential_combo.clear()
        for name in names:
            self.credential_combo.addItem(name, name)
        if names:  # (with a placeholder text, a combo box selects nothing by itself)
            self.credential_combo.setCurrentIndex(names.index(chosen) if chosen in names else 0)
        self.credential_combo.setEnabled(bool(names))
        self.credential_combo.blockSignals(False)
        self.credential_combo.setToolTip(
            "The Kudoz credential whose API secret signs the token"
            if names
            else NO_KUDOZ_CREDENTIAL
        )
        say(self.credential_hint, "" if names else NO_KUDOZ_CREDENTIAL, "warning")
        self.form.setRowVisible(self.credential_hint, not names and self.provider == kudoz.name)
        if not self._url_edited:
            self.url_edit.setText(f"{self.engine.url}/kudoz" if self.engine.url else "")
        self._changed()

    def _url_typed(self, text: str) -> None:
        self._url_edited = bool(text)  # emptied: the listener's URL may come back as default

    # -- validation and preview -----------------------------------------------------------------

    def _changed(self) -> None:
        self._dirty = True
        self._pause.start()

    def schedule_refresh(self) -> None:
        """Rebuild the preview shortly (targets or the listener changed: the window says so)."""
        self._changed()

    def _settled(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # Qt delivered the timer outside the loop: the app is closing
            return
        self._background(self.refresh_preview())

    def _read_input(self) -> dict[str, Any] | None:
        """The data to send, or None with the reason in `_input_problem` (and on screen)."""
        data = parse_data(self.editor.toPlainText())
        problem = data if isinstance(data, str) else None
        say(self.error_label, problem or "", "error")
        if problem is None and self.provider == kudoz.name:
            if self.credential_combo.count() == 0:
                problem = NO_KUDOZ_CREDENTIAL
            elif not self.url_edit.text().strip():
                problem = "Enter the callback URL the Kudoz callback is sent to."
        self._input_problem = problem
        return None if problem or isinstance(data, str) else data

    async def refresh_preview(self) -> Plan | None:
        """Validate the input, fill its placeholders afresh and plan it; the plan kept, or None."""
        self._pause.stop()
        self._dirty = False
        generation = self.preview.start()
        data = self._read_input()
        if data is None:
            why = self._input_problem if self.error_label.isHidden() else None
            self._apply(generation, None, None, why or "Fix the data to see what will go out.")
            return None
        filled = catalogue.fill(data, now=utc_now())
        provider, event = self.provider, self.template.event
        try:
            if provider == kudoz.name:
                url = self.url_edit.text().strip()
                credential = str(self.credential_combo.currentData())
                future = self.engine.call(self.engine.plan_kudoz(event, filled, url, credential))
            else:
                future = self.engine.call(
                    self.engine.plan_kardow(event, filled, self.org_spin.value())
                )
            plan = await asyncio.wrap_future(future)
        except (FireError, EngineError) as error:
            self._apply(generation, None, str(error), "Nothing can be sent as it is.")
            return None
        self._apply(generation, plan, None, "")
        return plan

    def _apply(self, generation: int, plan: Plan | None, error: str | None, why: str) -> None:
        # The panel may be gone, or a newer refresh started meanwhile (the input changed).
        if Shiboken.isValid(self) and self.preview.offer(generation, plan, error, why):
            self._update_fire()

    @property
    def plan(self) -> Plan | None:
        """The plan the preview shows, which Fire sends."""
        return self.preview.plan

    # -- firing ---------------------------------------------------------------------------------

    def fire_problem(self) -> str | None:
        """Why Fire cannot send now, or None when it can (also the disabled button's tooltip)."""
        if self._sending:
            return "Sending… wait for the results of this fire."
        if self._input_problem:
            return self._input_problem
        if self.preview.plan_error:
            return self.preview.plan_error
        if self.plan is None:
            return "Preparing the preview…"
        if not self.plan.requests:
            return " ".join(self.plan.problems) or "Nothing would be sent."
        return None

    def _update_fire(self) -> None:
        why = self.fire_problem()
        self.fire_button.setEnabled(why is None)
        if why is None and self.plan is not None:
            count = targets_phrase(len(self.plan.requests))
            self.fire_button.setToolTip(f"Send the previewed requests to {count} (Ctrl+Return)")
        else:
            self.fire_button.setToolTip(why or "")

    @async_slot()
    async def _fire_clicked(self) -> None:
        await self.fire()

    async def fire(self) -> list[Attempt]:
        """Send the kept plan, exactly; show each result; a fresh plan follows for the next fire.

        Never raises for the user: why nothing was sent, or what failed, is shown in the panel.
        """
        if self._sending:
            return []
        if self._dirty or not self.preview.current:
            await self.refresh_preview()  # the input changed since: what is sent is shown first
        why = self.fire_problem()
        plan = self.plan
        if why is not None or plan is None:
            say(self.status_label, why or "Nothing to send.", "error")
            return []
        self._sending = True
        self._update_fire()
        self.results_model.set_rows(())
        say(self.status_label, f"Sending to {targets_phrase(len(plan.requests))}…")
        try:
            attempts = await asyncio.wrap_future(self.engine.call(self.engine.send(plan)))
        except Exception as error:  # the engine stopped, ...: said in the panel
            log.exception("fire")
            if Shiboken.isValid(self):
                self._sending = False
                say(self.status_label, f"Nothing was sent: {error}", "error")
                self._update_fire()
            return []
        if not Shiboken.isValid(self):
            return attempts
        self._sending = False
        self._show_results(attempts)
        self.fired.emit(plan.fire_id)
        self.preview.spend()  # never the same ids twice: the next fire gets a plan of its own
        await self.refresh_preview()
        return attempts

    def _show_results(self, attempts: list[Attempt]) -> None:
        self.results_model.set_rows(attempts)
        self.results_empty.setVisible(not attempts)
        view = self.results_view
        view.resizeColumnToContents(1)
        view.setColumnWidth(1, min(view.columnWidth(1) + 12, view.viewport().width() * 2 // 5))
        first_failure = next((row for row, a in enumerate(attempts) if not a.ok), None)
        if first_failure is not None:
            self.results_view.scrollTo(self.results_model.index(first_failure, 0))
        failed = any(not attempt.ok for attempt in attempts)
        say(self.status_label, summary(attempts) + ".", "error" if failed else "ok")

    # -- plumbing -------------------------------------------------------------------------------

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    def stop_timers(self) -> None:
        """The window is closing: nothing may read the store after it closes."""
        self._pause.stop()

    async def settle(self) -> None:
        """Wait for background refreshes and fires (tests, and closing), a pending one too."""
        # (A closing window may already have deleted the panel: then nothing is pending.)
        if Shiboken.isValid(self) and self._pause.isActive():
            self._pause.stop()
            self._settled()
        await self._work.settle()

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():
            # Secrets, the listener's URL and the targets may have changed while hidden.
            if self.provider == kudoz.name:
                self.reload_credentials()
            else:
                self._changed()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
            self._style_badge()
        super().changeEvent(event)
