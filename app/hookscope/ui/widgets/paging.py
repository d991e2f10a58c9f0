"""A table model read from SQLite one keyset page at a time (`id < ? ORDER BY id DESC`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QModelIndex, QObject, Signal

from hookscope.ui.widgets.records import Index, RecordTableModel

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
# A filter dataclass with before_id, after_id and limit (CaptureQuery, DeliveryQuery).
Q = TypeVar("Q", bound="DataclassInstance")

PAGE = 200
# With auto-follow on, rows far below the newest are dropped from memory; scrolling down reads
# them again, page by page (a day of deliveries must not all live in the window).
KEEP_WHEN_FOLLOWING = 10_000


class KeysetTableModel(RecordTableModel[T], Generic[T, Q]):
    """Records matching a filter, newest first, read one keyset page at a time.

    Never OFFSET: each page starts below the last id shown. New records are added with
    `fetch_new()` (at most every 50 ms), at the top, in one insert; existing rows never move
    relative to each other.

    Subclasses say how to read: `_read(query)` a page newest first, `_count(query)` the matches,
    `_newest_id()` the newest id stored, `_id(record)` a record's id; `_loaded(records)` hears
    of records as they come in.

    Signals:
        count_changed(int): how many records match the filter.

    Attributes:
        query: the filter in force (its before_id / after_id / limit are ignored).
        matching: how many records match it.
    """

    count_changed = Signal(int)

    def __init__(self, query: Q, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(parent)
        self._page = page
        self._row_of: dict[int, int] | None = None
        self._more = False
        # Everything with an id up to here has been looked at for this filter.
        self._seen_upto = 0
        self.query = query
        self.matching = 0

    # -- what a subclass says ---------------------------------------------------------------

    def _read(self, query: Q) -> list[T]:
        raise NotImplementedError

    def _count(self, query: Q) -> int:
        raise NotImplementedError

    def _newest_id(self) -> int:
        raise NotImplementedError

    def _id(self, record: T) -> int:
        raise NotImplementedError

    def _loaded(self, records: Sequence[T], *, reset: bool = False) -> bool:
        """Records came in (`reset`: they replace all); True when rows below them changed."""
        return False

    # -- reading ------------------------------------------------------------------------------

    def set_query(self, query: Q) -> None:
        """Show the records matching `query`, from the newest."""
        self.beginResetModel()
        self.query = replace(query, before_id=None, after_id=None, limit=self._page)
        self._seen_upto = self._newest_id()
        self._rows = self._read(replace(self.query, before_id=self._seen_upto + 1))
        self._row_of = None
        self._loaded(self._rows, reset=True)
        self._more = len(self._rows) == self._page
        self.endResetModel()
        self._set_matching(self._count(self.query))

    def reload(self) -> None:
        self.set_query(self.query)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more:
            return
        before = self._id(self._rows[-1]) if self._rows else self._seen_upto + 1
        page = self._read(replace(self.query, before_id=before))
        self._more = len(page) == self._page
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self._row_of = None
            self._loaded(page)
            self.endInsertRows()

    def fetch_new(self, upto: int | None = None) -> int:
        """Insert, at the top, the matching records stored since the last look; how many.

        `upto`: the newest id known to be stored (the bridge says it); later ones wait for the
        next look. None: the newest id stored now.
        """
        # The bound first: a record committed between two reads is left for the next look.
        bound = self._newest_id() if upto is None else upto
        if bound <= self._seen_upto:
            return 0
        fresh = self._read(
            replace(
                self.query,
                after_id=self._seen_upto,
                before_id=bound + 1,
                limit=bound - self._seen_upto,
            )
        )
        self._seen_upto = bound
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._rows[0:0] = fresh
        self._row_of = None
        older_changed = self._loaded(fresh)
        self.endInsertRows()
        if older_changed and len(self._rows) > len(fresh):
            self.dataChanged.emit(
                self.index(len(fresh), 0), self.index(len(self._rows) - 1, len(self.COLUMNS) - 1)
            )
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
        """Drop the rows of deleted records."""
        gone = set(ids)
        # Remove contiguous runs from the bottom up, so row numbers stay valid.
        rows = sorted(
            (r for r, record in enumerate(self._rows) if self._id(record) in gone), reverse=True
        )
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

    def row_of(self, record_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {self._id(record): row for row, record in enumerate(self._rows)}
        return self._row_of.get(record_id)

    def _set_matching(self, matching: int) -> None:
        self.matching = matching
        self.count_changed.emit(matching)
