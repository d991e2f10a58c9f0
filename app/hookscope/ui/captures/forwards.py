"""A capture's forwards to the developer's app: each one's state, and the app's whole answer
(status, headers, body, latency, or the error in words) beside the request as it went."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.forwarding import ForwardState
from hookscope.ui.captures.model import forward_text
from hookscope.ui.deliveries.text import status_text
from hookscope.ui.formats import local_time
from hookscope.ui.style import result_colour, retint
from hookscope.ui.widgets.badges import Badge, BadgeDelegate
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.message import MessageView
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip

NOT_FORWARDED = (
    "Not forwarded: no forward rule matched this capture when it arrived (Settings >"
    " Forwarding), and Forward to… was off."
)
SEND_AGAIN_KEYS = "Ctrl+G"


def can_send_again(state: ForwardState | None) -> str | None:
    """Why this forward cannot be sent again from here, or None (it failed or was not sent)."""
    if state is None:
        return "Select a forward first."
    if state.state == "delivered":
        return "It was delivered; replay the capture (Ctrl+Shift+R) to send it once more."
    return None


def state_colour(word: str, palette: QPalette | None = None) -> QColor:
    return result_colour(word.split(" ")[0], palette)


class ForwardsModel(RecordTableModel[ForwardState]):
    """A capture's forwards, in the order they were made; a ForwardState per row."""

    COLUMNS = ("State", "Latency", "Tries", "Mode", "URL")
    STATE, URL = 0, 4
    RIGHT = frozenset({1, 2})

    def _text(self, item: ForwardState, column: int) -> str:
        last = item.last
        if column == self.STATE:
            return forward_text(item)
        if column == 1:
            return "" if last is None else f"{last.latency_ms:,.0f} ms"
        if column == 2:
            return str(item.attempts)
        if column == 3:
            return item.forward.mode
        return item.forward.url

    def _tooltip(self, item: ForwardState, column: int) -> str | None:
        if column == self.URL:
            return plain_tooltip(item.forward.url)
        last = item.last
        return None if last is None or last.error is None else plain_tooltip(last.error)


class ForwardsView(QWidget):
    """The Forwards tab of a capture's detail.

    Signals:
        send_again(list): the user asked to send these forwards (ids) again.

    Attributes:
        states: the forwards shown.
        model, table: one row per forward.
        empty: said when the capture was not forwarded.
        badge, outcome, meta: the selected forward's state, what happened in one sentence
            (the error in words), and its URL, mode, tries and time.
        send_again_button: Send again (Ctrl+G), enabled for a failed or unsent forward.
        answer_view, request_view: the app's answer in full, and the request as it went.
    """

    send_again = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.states: list[ForwardState] = []
        self.empty = plain_label(NOT_FORWARDED)
        self.empty.setEnabled(False)
        self._build_table()

        self.badge = Badge(state_colour, hints=None)
        self.outcome = plain_label()
        self.send_again_button = QPushButton("Send &again")
        self.send_again_button.clicked.connect(self.ask_send_again)
        top = QHBoxLayout()
        top.addWidget(self.badge)
        top.addWidget(self.outcome, 1)
        top.addWidget(self.send_again_button)
        self.meta = plain_label()
        self.answer_view = MessageView(request=False, note_tone="warning")
        self.request_view = MessageView(request=True)
        self.parts = QTabWidget()
        self.parts.setDocumentMode(True)
        self.parts.addTab(self.answer_view, "Your app's answer")
        self.parts.addTab(self.request_view, "Request as sent")

        self.chosen = QWidget()
        chosen = QVBoxLayout(self.chosen)
        chosen.setContentsMargins(0, 0, 0, 0)
        chosen.addLayout(top)
        chosen.addWidget(self.meta)
        chosen.addWidget(self.parts, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.table)
        split.addWidget(self.chosen)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        self.split = split
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self.show_forwards(())

    def _build_table(self) -> None:
        self.model = ForwardsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setItemDelegateForColumn(
            ForwardsModel.STATE, BadgeDelegate(state_colour, self.table)
        )
        header = self.table.horizontalHeader()
        for column in range(ForwardsModel.URL):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ForwardsModel.URL, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_selected(current)
        )

    def show_forwards(self, states: Sequence[ForwardState]) -> None:
        """Show these forwards (none: the capture was not forwarded), keeping the one
        selected when it is still there."""
        kept = self.current()
        self.states = list(states)
        self.model.set_rows(self.states)
        self.empty.setVisible(not self.states)
        self.split.setVisible(bool(self.states))
        # A few rows: the table is as tall as they are (four at most), the answer gets the rest.
        rows = min(max(len(self.states), 1), 4)
        height = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth()
        height += rows * self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(height)
        ids = [state.forward.id for state in self.states]
        row = ids.index(kept.forward.id) if kept is not None and kept.forward.id in ids else 0
        if self.states:
            self.table.selectRow(row)
        self._show_selected(self.model.index(row, 0) if self.states else QModelIndex())

    def current(self) -> ForwardState | None:
        index = self.table.currentIndex()
        return (
            self.states[index.row()] if index.isValid() and index.row() < len(self.states) else None
        )

    def _show_selected(self, index: QModelIndex) -> None:
        state = self.states[index.row()] if index.isValid() else None
        why = can_send_again(state)
        self.send_again_button.setEnabled(why is None)
        self.send_again_button.setToolTip(why or "Send this forward to the app again")
        self.chosen.setVisible(state is not None)
        if state is None:
            self.answer_view.clear()
            self.request_view.clear()
            return
        self.badge.set_word(state.state)
        self.outcome.setText(outcome_text(state))
        self.meta.setText(meta_text(state))
        last = state.last
        if last is None:
            self.answer_view.show_response(None, line="No answer: it was not sent yet.")
            self.request_view.clear()
            return
        if last.status is None:  # the error is said above, wrapped: this line never wraps
            line = "No answer came."
        else:
            line = f"Answered {status_text(last.status)} after {last.latency_ms:,.0f} ms"
        cut = ""
        if last.response_truncated:
            cut = (
                f"The answer's body was cut at {len(last.response_body):,} bytes: only that much"
                " is kept (Settings > Sending, response body limit)."
            )
        self.answer_view.show_response(last.response, line=line, note=cut)
        request = last.request
        self.request_view.show_request(
            request, line=f"{request.method} {request.url}", note=request.note
        )

    def ask_send_again(self) -> bool:
        """Send the selected forward again (it failed or was not sent); False when it cannot."""
        state = self.current()
        if can_send_again(state) is not None or state is None or state.forward.id is None:
            return False
        self.send_again.emit([state.forward.id])
        return True

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.badge.restyle()
            retint(self)


def outcome_text(state: ForwardState) -> str:
    """What became of a forward, in one sentence (the error in words when no answer came)."""
    last = state.last
    if last is None:
        return (
            "Not sent yet: Hookscope stopped before sending it. A listening Hookscope sends it"
            " when it starts (within a day), or Send again does now."
        )
    if last.error is not None:
        return f"No answer from your app: {last.error}."
    if last.ok:
        return f"Delivered: your app answered {status_text(last.status or 0)}."
    return f"Failed: your app answered {status_text(last.status or 0)}."


def meta_text(state: ForwardState) -> str:
    forward = state.forward
    parts = [forward.url, forward.mode]
    if forward.resign:
        parts.append(f"signed again with {forward.resign!r}")
    tries = "1 try" if state.attempts == 1 else f"{state.attempts} tries"
    parts.append(tries)
    if state.last is not None:
        parts.append(f"last {local_time(state.last.started_at, date=True)}")
    return " · ".join(parts)
