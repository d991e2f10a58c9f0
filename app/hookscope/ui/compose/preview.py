"""The request preview: exactly what a plan sends, request by request, headers as on the wire."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.fire import wire_headers
from hookscope.core.fresh import describe
from hookscope.core.http import Headers, Request
from hookscope.core.model import Outgoing, Plan
from hookscope.ui.style import say
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.message import MessageView
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip


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


class RequestPreview(QWidget):
    """Exactly what a plan sends: its requests and, for the selected one, its headers as they
    go out and its body.

    The body opens on its Raw view, the bytes as they decode, never re-indented: what is shown
    is what is sent (Pretty and Hex are a click away).

    Planning is asynchronous and refreshes may finish out of order: each refresh takes a ticket
    from `start()`, and `offer()` shows its result only if no newer refresh began since.

    Attributes:
        plan: the plan shown, or None.
        plan_error: why the last refresh could not plan anything, or None.
        problems_label: the plan's problems (why some targets get nothing), hidden when none.
        requests_model, requests_view: one row per request (the view is hidden when the widget
            was made with show_list=False, for a plan of one request).
        message: the selected request: method and URL, how it was made, headers as they go out
            (Host first, Content-Length last, as the HTTP client adds them), the body.
        fresh_label: what of the selected request is made as it is sent (placeholders,
            timestamps, signatures, tokens: shown with sample values), hidden when nothing is.
        placeholder: why nothing is shown, when nothing is.
    """

    def __init__(self, *, show_list: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.plan_error: str | None = None
        self._started = 0
        self._shown = -1
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

        self.message = MessageView(request=True)
        self.message.body.views.setCurrentIndex(1)  # Raw: the bytes as sent
        self.fresh_label = plain_label()
        self.fresh_label.hide()
        # Under the request's line and note: it is about the request shown.
        message_layout = self.message.layout()
        assert isinstance(message_layout, QVBoxLayout)
        message_layout.insertWidget(2, self.fresh_label)
        self.placeholder = plain_label()
        self.placeholder.setEnabled(False)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.requests_view)
        self.splitter.addWidget(self.message)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.placeholder, 1)
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
        self.placeholder.setText(placeholder)
        self.placeholder.setVisible(request is None)
        self.message.setVisible(request is not None)
        say(self.fresh_label, describe(self.plan, request) if self.plan and request else "")
        if request is None:
            self.message.clear()
            return
        on_the_wire = Request(
            method=request.method,
            target=request.url,
            headers=Headers(wire_headers(request)),
            body=request.body,
        )
        line = f"{request.method} {request.url}"
        self.message.show_request(on_the_wire, line=line, note=request.note)
