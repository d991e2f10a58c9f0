"""A table model read from SQLite one keyset page at a time (`id < ? ORDER BY id DESC`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal

from hookscope.core.contentviews import Superseded
from hookscope.core.tasks import spawn
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
# `matching` while a count made off the GUI thread is taking longer than COUNTING_MS.
COUNTING = -1
COUNTING_MS = 150

log = logging.getLogger(__name__)


class KeysetTableModel(RecordTableModel[T], Generic[T, Q]):
    """Records matching a filter, newest first, read one keyset page at a time.

    Never OFFSET: each page starts below the last id shown. New records are added with
    `fetch_new()` (at most every 50 ms), at the top, in one insert; existing rows never move
    relative to each other.

    Subclasses say how to read: `_read(query)` a page newest first, `_count(query)` the matches,
    `_newest_id()` the newest id stored, `_id(record)` a record's id; `_loaded(records)` hears
    of records as they come in.

    Counting the matches can take long (a search over a million records): given a counter
    (`set_counter`), a coroutine that counts off the GUI thread, the model counts with it, the
    newest count winning; the number shown meanwhile stays until COUNTING_MS have passed, then
    says COUNTING. Records inserted or forgotten meanwhile are added to the count or counted
    again.

    Signals:
        count_changed(int): how many records match the filter (COUNTING: being counted).

    Attributes:
        query: the filter in force (its before_id / after_id / limit are ignored).
        matching: how many records match it (COUNTING: being counted).
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
        self._counter: Callable[[Q], Awaitable[int]] | None = None
        self._count_task: asyncio.Task[None] | None = None
        self._fresh = 0  # records inserted since the count under way was bounded
        self._counting = QTimer(self, singleShot=True, interval=COUNTING_MS)
        self._counting.timeout.connect(lambda: self._set_matching(COUNTING))

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
        self._recount()

    def set_counter(self, counter: Callable[[Q], Awaitable[int]]) -> None:
        """Count matches with `counter(query)`, a coroutine that counts off the GUI thread (and
        raises Superseded when a newer count was asked for), not with `_count` on it."""
        self._counter = counter

    def _recount(self) -> None:
        if self._counter is None:
            self._set_matching(self._count(self.query))
            return
        if self._count_task is not None:
            self._count_task.cancel()
        # Bounded by what the rows have looked at: what arrives later is added as it comes.
        bounded = replace(self.query, before_id=self._seen_upto + 1)
        self._fresh = 0
        self._counting.start()
        self._count_task = spawn(self._count_off_thread(self._counter, bounded), name="count")

    async def _count_off_thread(self, counter: Callable[[Q], Awaitable[int]], query: Q) -> None:
        try:
            matching = await counter(query)
        except Superseded:
            return
        except Exception:
            # The list is still right; only its count is missing (said as "counting…").
            log.exception("counting the matches")
            return
        if not shiboken6.isValid(self):
            return
        self._count_task = None
        self._counting.stop()
        self._set_matching(matching + self._fresh)

    @property
    def counting(self) -> bool:
        """A count is under way off the GUI thread."""
        return self._count_task is not None and not self._count_task.done()

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
        if self.counting:
            self._fresh += len(fresh)
        else:
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
            if self._counter is not None:
                self._recount()  # a count under way may or may not have seen them
            else:
                self._set_matching(max(0, self.matching - removed))

    def row_of(self, record_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {self._id(record): row for row, record in enumerate(self._rows)}
        return self._row_of.get(record_id)

    def _set_matching(self, matching: int) -> None:
        self.matching = matching
        self.count_changed.emit(matching)
