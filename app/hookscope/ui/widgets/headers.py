"""Header pairs as a table: arrival order, duplicates and case kept; Ctrl+C copies them."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from hookscope.core.model import Header
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip


def headers_text(headers: Sequence[Header]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers)


class HeadersModel(RecordTableModel[Header]):
    """Header pairs in arrival order, duplicates and case kept."""

    COLUMNS = ("Name", "Value")

    def _text(self, item: Header, column: int) -> str:
        return item[column]

    def _tooltip(self, item: Header, column: int) -> str | None:
        return plain_tooltip(item[column]) if len(item[column]) > 40 else None


class HeadersTable(QTableView):
    """A read-only table of header pairs; Ctrl+C copies the selected rows as `Name: value`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headers_model = HeadersModel(self)
        self.setModel(self.headers_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self.copy_selection)

    def copy_selection(self) -> None:
        rows = sorted({index.row() for index in self.selectionModel().selectedIndexes()})
        headers = self.headers_model.rows()
        chosen = tuple(headers[row] for row in rows) if rows else headers
        QGuiApplication.clipboard().setText(headers_text(chosen))
