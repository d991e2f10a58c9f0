"""The table model every list shares: records in rows, strings for display, the record kept."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

# The raw record behind a row lives under this role; DisplayRole is always a string.
RecordRole = Qt.ItemDataRole.UserRole + 1


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_RECORD = int(RecordRole)
_RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


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

    # A view paints a cell by asking for its index, then for about seven roles of it. Each
    # call from Qt into Python costs more than the answer (its wrapping, and the interpreter
    # lock, which the engine's threads hold often while capturing): Qt's own index() asks
    # rowCount() and columnCount(), and its multiData() asks data() once per role. These two
    # answer in one call each, so painting a cell calls into Python twice, not nine times.

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not (0 <= row < self.rowCount() and 0 <= column < len(self.COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role asked of a cell, answered in one call (as data() answers each)."""
        # A span iterates over its roles (PySide's stubs do not say so).
        wanted: Iterable[QModelRoleData] = (
            (roleDataSpan,) if isinstance(roleDataSpan, QModelRoleData) else cast(Any, roleDataSpan)
        )
        item = self._cell_record(index)
        if item is None:
            for role_data in wanted:
                role_data.setData(self.data(index, role_data.role()))
            return
        column = index.column()
        answer = self._data  # looked up once: an attribute of a Qt object is slow to find
        for role_data in wanted:
            # Every role is set, None included: a view's delegate reuses the same role data
            # from cell to cell, so a role left alone would keep the previous cell's value.
            role_data.setData(answer(item, column, role_data.role()))

    def _cell_record(self, index: Index) -> T | None:
        """The record a cell shows, when data() answers for it with `_data` alone (the record
        is then looked up once for all the roles a view asks); None: ask data() each time."""
        return None

    def _data(self, item: T, column: int, role: int) -> Any:
        # Roles are compared with plain ints: Qt's enums are slow to look up (see multiData).
        if role == _DISPLAY:
            return self._text(item, column) if 0 <= column < len(self.COLUMNS) else None
        if not 0 <= column < len(self.COLUMNS):
            return None
        if role == _RECORD:
            return item
        if role == _ALIGNMENT:
            return _RIGHT_ALIGNED if column in self.RIGHT else None
        if role == _FOREGROUND:
            return self._foreground(item, column)
        if role == _TOOLTIP:
            return self._tooltip(item, column)
        return None

    # -- what a row painter asks (RowsTable): the roles above, for a record at hand ----------

    def cell_text(self, item: T, column: int) -> str:
        """What the cell of `item` in `column` says (its display role)."""
        return self._text(item, column)

    def cell_colour(self, item: T, column: int) -> QColor | None:
        """The cell's own text colour (its foreground role); None: the palette's."""
        return self._foreground(item, column)

    def _text(self, item: T, column: int) -> str:
        raise NotImplementedError

    def _foreground(self, item: T, column: int) -> QColor | None:
        return None

    def _tooltip(self, item: T, column: int) -> str | None:
        return None
