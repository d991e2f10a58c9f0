"""The results of the last fire: what each request got, in words (coloured too)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.model import Attempt
from hookscope.ui.style import tone_colour
from hookscope.ui.widgets.labels import heading, plain_label
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip


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

    def _foreground(self, item: Attempt, column: int) -> QColor | None:
        if column != self.OUTCOME:
            return None
        return tone_colour("ok" if item.ok else "error")

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


class FireResults(QWidget):
    """The last fire's result per request, under a heading; a hint before the first fire.

    Attributes:
        model: the AttemptsModel, an Attempt per row.
        view: its table.
        empty: said while there is no result to show.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AttemptsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column in (3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        row_height = self.view.verticalHeader().defaultSectionSize()
        self.view.setMinimumHeight(row_height * 5 + header.sizeHint().height() + 4)
        self.empty = plain_label("The results of a fire appear here.")
        self.empty.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 0, 0)
        layout.addWidget(heading("Results of the last fire"))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)

    def clear(self) -> None:
        self.model.set_rows(())

    def show_attempts(self, attempts: list[Attempt]) -> None:
        """Show these results, the URLs as wide as they need (up to 40%), the first failure in
        view."""
        self.model.set_rows(attempts)
        self.empty.setVisible(not attempts)
        view = self.view
        view.resizeColumnToContents(1)
        view.setColumnWidth(1, min(view.columnWidth(1) + 12, view.viewport().width() * 2 // 5))
        first_failure = next((row for row, a in enumerate(attempts) if not a.ok), None)
        if first_failure is not None:
            view.scrollTo(self.model.index(first_failure, 0))
