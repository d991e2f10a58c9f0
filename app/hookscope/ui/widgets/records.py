"""The table model every list shares: records in rows, strings for display, the record kept."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

# The raw record behind a row lives under this role; DisplayRole is always a string.
RecordRole = Qt.ItemDataRole.UserRole + 1


def column_title(
    columns: tuple[str, ...], section: int, orientation: Qt.Orientation, role: int
) -> str | None:
    """headerData for models whose horizontal header is just their column titles."""
    if (
        orientation == Qt.Orientation.Horizontal
        and role == Qt.ItemDataRole.DisplayRole
        and 0 <= section < len(columns)
    ):
        return columns[section]
    return None


def plain_tooltip(text: str) -> str:
    """A tooltip that shows captured text literally (Qt renders tooltips that look like HTML)."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text[:2000])}</p>"


class RecordTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of records; the record itself is under RecordRole.

    Subclasses name their COLUMNS and say how a record reads in each (`_text`); `RIGHT` columns
    are right-aligned; `HEADER_TIPS` explain a column's title. `_foreground` and `_tooltip` may
    colour or explain a cell.
    """

    COLUMNS: tuple[str, ...] = ()
    RIGHT: frozenset[int] = frozenset()
    HEADER_TIPS: ClassVar[dict[int, str]] = {}

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[T]:
        return list(self._rows)

    def item(self, row: int) -> T:
        return self._rows[row]

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
            and section in self.HEADER_TIPS
        ):
            return self.HEADER_TIPS[section]
        return column_title(self.COLUMNS, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._data(self._rows[index.row()], index.column(), role)

    def _data(self, item: T, column: int, role: int) -> Any:
        if not 0 <= column < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == RecordRole:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, column)
        return None

    def _text(self, item: T, column: int) -> str:
        raise NotImplementedError

    def _foreground(self, item: T, column: int) -> QColor | None:
        return None

    def _tooltip(self, item: T, column: int) -> str | None:
        return None
