"""Qt models over the store and over one capture: lazy keyset pages, headers, checks."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, CaptureSummary, Check, Header
from hookscope.storage import captures as capture_store
from hookscope.ui.style import VERDICT_HINTS, human_size, local_time

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

# The raw record behind a row lives under this role; DisplayRole is always a string.
RecordRole = Qt.ItemDataRole.UserRole + 1

PAGE = 200
# With auto-follow on, rows far below the newest are dropped from memory; scrolling down reads
# them again, page by page (a day of deliveries must not all live in the window).
KEEP_WHEN_FOLLOWING = 10_000


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


class CaptureTableModel(QAbstractTableModel):
    """Captures matching a filter, newest first, read from SQLite one keyset page at a time.

    New captures are added with `fetch_new()` (the window calls it at most every 50 ms), at the
    top, in one insert; existing rows never move relative to each other.

    Signals:
        count_changed(int): how many captures match the filter.

    Attributes:
        query: the filter in force (its before_id / after_id / limit are ignored).
        matching: how many captures match it.
    """

    COLUMNS = ("★", "Time", "Method", "Path", "Provider", "Event", "Verdict", "Size", "Status")
    STAR, TIME, METHOD, PATH, PROVIDER, EVENT, VERDICT, SIZE, STATUS = range(9)

    count_changed = Signal(int)

    def __init__(self, db: Database, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(parent)
        self._db = db
        self._page = page
        self._rows: list[CaptureSummary] = []
        self._row_of: dict[int, int] | None = None
        self._more = False
        # Everything with an id up to here has been looked at for this filter.
        self._seen_upto = 0
        self.query = CaptureQuery()
        self.matching = 0

    # -- reading ------------------------------------------------------------------------------

    def set_query(self, query: CaptureQuery) -> None:
        """Show the captures matching `query`, from the newest."""
        self.beginResetModel()
        self.query = replace(query, before_id=None, after_id=None, limit=self._page)
        self._seen_upto = capture_store.newest_id(self._db)
        self._rows = capture_store.list_summaries(
            self._db, replace(self.query, before_id=self._seen_upto + 1)
        )
        self._row_of = None
        self._more = len(self._rows) == self._page
        self.endResetModel()
        self._set_matching(capture_store.count(self._db, replace(self.query, after_id=None)))

    def reload(self) -> None:
        self.set_query(self.query)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more:
            return
        before = self._rows[-1].id if self._rows else self._seen_upto + 1
        page = capture_store.list_summaries(self._db, replace(self.query, before_id=before))
        self._more = len(page) == self._page
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self._row_of = None
            self.endInsertRows()

    def fetch_new(self) -> int:
        """Insert, at the top, the matching captures committed since the last look; how many."""
        # The bound first: a capture committed between two reads is left for the next look.
        newest = capture_store.newest_id(self._db)
        fresh = capture_store.list_summaries(
            self._db,
            replace(self.query, after_id=self._seen_upto, before_id=newest + 1, limit=newest + 1),
        )
        self._seen_upto = max(self._seen_upto, newest)
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._rows[0:0] = fresh
        self._row_of = None
        self.endInsertRows()
        self._set_matching(self.matching + len(fresh))
        return len(fresh)

    def trim(self, keep: int = KEEP_WHEN_FOLLOWING) -> None:
        """Forget rows beyond the first `keep` (they are read again on scrolling down)."""
        if len(self._rows) <= keep * 2:
            return
        self.beginRemoveRows(QModelIndex(), keep, len(self._rows) - 1)
        del self._rows[keep:]
        self._row_of = None
        self.endRemoveRows()
        self._more = True

    def forget(self, ids: list[int]) -> None:
        """Drop rows of deleted captures."""
        gone = set(ids)
        # Remove contiguous runs from the bottom up, so row numbers stay valid.
        rows = sorted((r for r, s in enumerate(self._rows) if s.id in gone), reverse=True)
        removed = 0
        while rows:
            last = first = rows.pop(0)
            while rows and rows[0] == first - 1:
                first = rows.pop(0)
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
            removed += last - first + 1
        if removed:
            self._row_of = None
            self._set_matching(max(0, self.matching - removed))

    def refresh_rows(self, ids: list[int]) -> None:
        """Read these captures' summaries again (a star, a note, a new verdict)."""
        for summary in capture_store.summaries_of(self._db, ids):
            row = self.row_of(summary.id)
            if row is None:
                continue
            self._rows[row] = summary
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def row_of(self, capture_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {summary.id: row for row, summary in enumerate(self._rows)}
        return self._row_of.get(capture_id)

    def summary(self, row: int) -> CaptureSummary:
        return self._rows[row]

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
            and section == self.STAR
        ):
            return "Starred"
        return column_title(self.COLUMNS, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        summary = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, column)
        if role == RecordRole:
            return summary
        if role == Qt.ItemDataRole.ToolTipRole:
            # Plain text: Qt shows a tooltip as rich text when it looks like HTML, so captured
            # strings never go into one; only our own words do.
            if column == self.VERDICT:
                return VERDICT_HINTS.get(summary.verdict, "")
            if column == self.STAR and summary.note:
                return "Has a note"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.SIZE, self.STATUS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, summary: CaptureSummary, column: int) -> str:
        if column == self.STAR:
            return "★" if summary.starred else ""
        if column == self.TIME:
            return local_time(summary.received_at)
        if column == self.METHOD:
            return summary.method
        if column == self.PATH:
            return f"{summary.path}?{summary.query}" if summary.query else summary.path
        if column == self.PROVIDER:
            return summary.provider.capitalize() if summary.provider else ""
        if column == self.EVENT:
            return summary.event or ""
        if column == self.VERDICT:
            return summary.verdict
        if column == self.SIZE:
            size = human_size(summary.body_size)
            return f"{size} (cut)" if summary.body_truncated else size
        if column == self.STATUS:
            return "" if summary.response_status is None else str(summary.response_status)
        return ""


class RecordTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of records; the record itself is under RecordRole.

    Subclasses name their COLUMNS and say how a record reads in each (`_text`); `RIGHT` columns
    are right-aligned.
    """

    COLUMNS: tuple[str, ...] = ()
    RIGHT: frozenset[int] = frozenset()

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
        return column_title(self.COLUMNS, section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        column = index.column()
        if not 0 <= column < len(self.COLUMNS):
            return None
        item = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == RecordRole:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, column)
        return None

    def _text(self, item: T, column: int) -> str:
        raise NotImplementedError

    def _foreground(self, item: T) -> QColor | None:
        return None

    def _tooltip(self, item: T, column: int) -> str | None:
        return None


def plain_tooltip(text: str) -> str:
    """A tooltip that shows captured text literally (Qt renders tooltips that look like HTML)."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text[:2000])}</p>"


class HeadersModel(RecordTableModel[Header]):
    """Header pairs in arrival order, duplicates and case kept."""

    COLUMNS = ("Name", "Value")

    def _text(self, item: Header, column: int) -> str:
        return item[column]

    def _tooltip(self, item: Header, column: int) -> str | None:
        return plain_tooltip(item[column]) if len(item[column]) > 40 else None


class ChecksModel(RecordTableModel[Check]):
    """The steps a verification tried, with their outcomes."""

    COLUMNS = ("Step", "Outcome", "Result")

    def _text(self, item: Check, column: int) -> str:
        if column == 0:
            return item.step
        if column == 1:
            return item.outcome
        return result_text(item)

    def _tooltip(self, item: Check, column: int) -> str | None:
        if item.assumed:
            return "Assumed: the provider's documentation does not say this; Hookscope assumes it."
        return None


def result_text(check: Check) -> str:
    mark = {True: "✓ pass", False: "✗ fail", None: "· info"}[check.ok]
    return f"{mark} (assumed)" if check.assumed else mark
