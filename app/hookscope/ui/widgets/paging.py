"""A table model over a million records that holds a few pages of them, wherever the view is.

The model has one row per matching record, so the scrollbar is proportional, but keeps only
the pages around the rows the view last asked for (MAX_PAGES of PAGE rows): a row outside
them shows a placeholder until its page, read off the GUI thread, comes in. A page is read by
keyset (`id < ?` below a neighbour's id) when a neighbour is known, and otherwise by jumping:
the id so many places down (`ORDER BY id DESC LIMIT 1 OFFSET n`, on an index only), which is
how End or a drag to the middle lands anywhere without reading the rows in between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from sqlite_utils import Database

from hookscope.core.contentviews import Superseded
from hookscope.core.tasks import spawn
from hookscope.ui.widgets.records import Index, RecordTableModel

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
R = TypeVar("R")
# A filter dataclass with before_id, after_id and limit (CaptureQuery, DeliveryQuery).
Q = TypeVar("Q", bound="DataclassInstance")
# Runs `work(db)` on a reader thread, the newest read of a kind winning (StoreReader.read).
Runner = Callable[[str, Callable[[Database], Any]], Awaitable[Any]]

PAGE = 200
MAX_PAGES = 5  # pages kept in memory, besides the current row's
PLACEHOLDER = "…"  # a row whose page is still being read
# A filtered list counts this far (then says "10,000+" and grows as it is scrolled down).
COUNT_CAP = 10_000
# `matching` while a count made off the GUI thread is taking longer than COUNTING_MS.
COUNTING = -1
COUNTING_MS = 150

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Counted:
    """How many records match: exactly, or at least `n` (counting stopped there)."""

    n: int
    exact: bool = True


@dataclass(frozen=True, slots=True)
class _PageRead:
    """A page to read: its number, the places down from the newest, and a keyset bound."""

    page: int
    skip: int
    before: int | None  # read below this id; None: find the id `skip` places down first


class KeysetTableModel(RecordTableModel[T], Generic[T, Q]):
    """Records matching a filter, newest first, a bounded window of them in memory.

    Rows are numbered from the newest. Internally a row has a position that does not change
    when records arrive at the top (`position = row + self._top`; arrivals lower `_top`),
    so the pages already read stay where they are.

    Subclasses say how to read, each on the connection they are given: `_read(db, query)` a
    page newest first, `_count(db, query)` the matches (exactly, or capped when that is
    cheaper), `_nth_id(db, query, skip)` the id `skip` places below the newest (below
    query.before_id), `_id(record)`; and `_newest_id()` on the GUI thread's connection.
    `_loaded(records)` hears of records as they come in.

    Given a runner (`set_runner`, StoreReader.read), every read but `fetch_new` runs on the
    reader's thread and the model fills in when it answers; without one it reads at once on
    its own connection (a small list).

    Signals:
        count_changed(int): how many records match the filter (COUNTING: being counted).
        reset_done(): the rows of a new filter are in (the first page, at least).

    Attributes:
        query: the filter in force (its before_id / after_id / limit are ignored).
        matching: how many records match it (COUNTING: being counted).
        exact: False when `matching` is a lower bound ("10,000+").
    """

    count_changed = Signal(int)
    reset_done = Signal()
    PLACEHOLDER_COLUMN = 0

    def __init__(self, query: Q, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(parent)
        self._page = page
        self.query = query
        self.matching = 0
        self.exact = True
        self._db: Database | None = None
        self._runner: Runner | None = None
        self._count_runner: Runner | None = None
        self._generation = 0  # bumped by each new filter: older answers are dropped
        self._shown = 0  # the generation whose rows are shown
        self._total = 0  # rowCount
        self._top = 0  # the position of row 0
        self._cache: dict[int, T] = {}  # position -> record, a few pages of them
        self._anchors: dict[int, int] = {}  # page -> id of its first record
        self._pinned: int | None = None  # a position whose page is never forgotten
        self._seen_upto = 0  # everything with an id up to here has been looked at
        self._wanted: tuple[int, int] | None = None  # rows asked for and not in memory
        self._loading: set[int] = set()  # pages being read
        self._looked_at = 0  # the position the view last painted: memory stays around it
        self._growing = False  # counting the matches below the last row
        self._fresh = 0  # records inserted since the count under way was bounded
        self._count_pending = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False
        self._fetch = QTimer(self, singleShot=True, interval=0)
        self._fetch.timeout.connect(self._read_wanted)
        self._counting = QTimer(self, singleShot=True, interval=COUNTING_MS)
        self._counting.timeout.connect(lambda: self._set_matching(COUNTING, exact=True))

    # -- what a subclass says ---------------------------------------------------------------

    def _read(self, db: Database, query: Q) -> list[T]:
        raise NotImplementedError

    def _count(self, db: Database, query: Q) -> Counted:
        raise NotImplementedError

    def _nth_id(self, db: Database, query: Q, skip: int) -> int | None:
        raise NotImplementedError

    def _rank(self, db: Database, query: Q, record_id: int) -> int | None:
        """How many records matching `query` (below its before_id) are newer than this one;
        None when it does not match."""
        return None

    def _newest_id(self) -> int:
        raise NotImplementedError

    def _id(self, record: T) -> int:
        raise NotImplementedError

    def _loaded(self, records: Sequence[T], *, reset: bool = False) -> bool:
        """Records came in (`reset`: they replace all); True when rows below them changed."""
        return False

    # -- the rows -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def record(self, row: int) -> T | None:
        """The record shown in this row, or None while its page is being read."""
        return self._cache.get(row + self._top) if 0 <= row < self._total else None

    def rows(self) -> list[T]:
        """The records in memory, newest first (a few pages, not every match)."""
        return [self._cache[p] for p in sorted(self._cache)]

    def item(self, row: int) -> T:
        record = self.record(row)
        if record is None:
            raise IndexError(row)
        return record

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._total:
            return None
        record = self._cell_record(index)
        if record is not None:
            return self._data(record, index.column(), role)
        self._looked_at = index.row() + self._top
        self._want(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return PLACEHOLDER if index.column() == self.PLACEHOLDER_COLUMN else ""
        return None

    def _cell_record(self, index: Index) -> T | None:
        position = index.row() + self._top
        record = self._cache.get(position) if 0 <= index.row() < self._total else None
        if record is not None:
            self._looked_at = position
        return record

    def row_of(self, record_id: int) -> int | None:
        """The row of a record in memory (None: not in memory, or not matching)."""
        for position, record in self._cache.items():
            if self._id(record) == record_id:
                return position - self._top
        return None

    def locate(self, record_id: int, found: Callable[[int | None], None]) -> None:
        """`found(row)` of a record, read off the GUI thread when it is not in memory
        (`found(None)`: it does not match the filter)."""
        row = self.row_of(record_id)
        if row is not None:
            found(row)
            return
        generation, top = self._generation, self._top
        bounded = replace(self.query, before_id=self._seen_upto + 1)

        def apply(rank: int | None) -> None:
            if generation != self._generation or rank is None:
                found(None)
            else:
                found(rank + top - self._top)  # rows that arrived since are above it

        self._run("locate", lambda db: self._rank(db, bounded, record_id), apply)

    def pin(self, row: int | None) -> None:
        """Keep this row's page in memory (the current row), whatever is scrolled to."""
        self._pinned = None if row is None else row + self._top

    def set_record(self, row: int, record: T) -> None:
        """Replace the record shown in a row (read again after an edit)."""
        position = row + self._top
        if position in self._cache:
            self._cache[position] = record
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    # -- reading ------------------------------------------------------------------------------

    def set_db(self, db: Database) -> None:
        self._db = db

    def set_runner(self, runner: Runner, counts: Runner | None = None) -> None:
        """Read off the GUI thread with `runner(kind, work)` (StoreReader.read); count with
        `counts` when given (another thread: a long count never holds a page back)."""
        self._runner = runner
        self._count_runner = counts or runner

    def set_query(self, query: Q) -> None:
        """Show the records matching `query`, from the newest (when its first page is in)."""
        self._generation += 1
        generation = self._generation
        self.query = replace(query, before_id=None, after_id=None, limit=self._page)
        seen = self._newest_id()
        first = replace(self.query, before_id=seen + 1)
        self._run(
            "first",
            lambda db: self._read(db, first),
            lambda page: self._reset(generation, seen, page),
        )

    def reload(self) -> None:
        self.set_query(self.query)

    def _reset(self, generation: int, seen: int, page: list[T]) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._shown = generation
        self._seen_upto = seen
        self._top = 0
        self._cache = dict(enumerate(page))
        self._anchors = {0: self._id(page[0])} if page else {}
        self._pinned = None
        self._wanted = None
        self._loading = set()
        self._total = len(page)
        self._loaded(page, reset=True)
        self.endResetModel()
        self._recount()
        # What arrived while the first page was being read was not inserted: it is now.
        self.fetch_new()
        self.reset_done.emit()

    def _run(
        self,
        kind: str,
        work: Callable[[Database], R],
        apply: Callable[[R], None],
        runner: Runner | None = None,
    ) -> None:
        """`work(db)` off the GUI thread (or at once without a runner), then `apply(answer)`."""
        runner = runner or self._runner
        if self._stopped:
            return
        if runner is None or not loop_running():
            if self._db is None:
                raise RuntimeError("the model has no connection to read with")
            apply(work(self._db))
            return
        task = spawn(self._run_off_thread(runner, kind, work, apply), name=f"list-{kind}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def reading(self) -> bool:
        """A read is under way off the GUI thread, or about to start."""
        return bool(self._tasks) or self._fetch.isActive()

    async def settle(self) -> None:
        """Wait for the reads under way, and those they lead to (tests, and closing)."""
        for _ in range(100):
            if not shiboken6.isValid(self):
                return
            if self._fetch.isActive():
                self._fetch.stop()
                self._read_wanted()
            if not self._tasks:
                return
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run_off_thread(
        self,
        runner: Runner,
        kind: str,
        work: Callable[[Database], R],
        apply: Callable[[R], None],
    ) -> None:
        try:
            answer: R = await runner(kind, work)
        except Superseded:
            return
        except Exception:
            # The rows shown are still right; only this read is missing.
            log.exception("reading the list (%s)", kind)
            return
        if shiboken6.isValid(self):
            apply(answer)

    # -- counting -----------------------------------------------------------------------------

    def _recount(self) -> None:
        """Count the matches (bounded by what the rows have looked at; arrivals are added)."""
        generation = self._generation
        bounded = replace(self.query, before_id=self._seen_upto + 1)
        self._fresh = 0
        self._count_pending = True
        if self._runner is not None:
            self._counting.start()
        self._run(
            "count",
            lambda db: self._count(db, bounded),
            lambda n: self._counted(generation, n),
            self._count_runner,
        )

    def _counted(self, generation: int, counted: Counted) -> None:
        if generation != self._generation or generation != self._shown:
            return
        self._count_pending = False
        self._counting.stop()
        total = counted.n + self._fresh
        self._set_total(total)
        self._set_matching(total, exact=counted.exact)

    def _set_total(self, total: int) -> None:
        if total > self._total:
            self.beginInsertRows(QModelIndex(), self._total, total - 1)
            self._total = total
            self.endInsertRows()
        elif total < self._total:
            self.beginRemoveRows(QModelIndex(), total, self._total - 1)
            self._total = total
            end = total + self._top
            self._cache = {p: r for p, r in self._cache.items() if p < end}
            self.endRemoveRows()

    @property
    def counting(self) -> bool:
        """A count is under way off the GUI thread."""
        return self._count_pending

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        """More rows below the last, when the count stopped short of all of them."""
        return not parent.isValid() and not self.exact and self._total > 0

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        """Count the next matches below the last row (the list grows as it is scrolled)."""
        if parent.isValid() or self.exact or self._growing:
            return
        last = self.record(self._total - 1)
        if last is None:
            self._want(self._total - 1)  # read the last page first; the view asks again
            return
        generation, shown = self._generation, self._total
        below = replace(self.query, before_id=self._id(last))
        self._growing = True

        def grow(counted: Counted) -> None:
            self._growing = False
            if generation != self._generation or shown != self._total:
                return
            self._set_total(self._total + counted.n)
            self._set_matching(self._total, exact=counted.exact)

        self._run("more", lambda db: self._count(db, below), grow)

    # -- pages --------------------------------------------------------------------------------

    def stop(self) -> None:
        """The window is closing: read nothing more (its readers are closing too)."""
        self._stopped = True
        self._fetch.stop()
        self._counting.stop()

    def _want(self, row: int) -> None:
        if self._stopped:
            return
        low, high = self._wanted or (row, row)
        self._wanted = (min(low, row), max(high, row))
        if not self._fetch.isActive():
            self._fetch.start()

    def _read_wanted(self) -> None:
        """Read the pages of the rows asked for (and one either side), forget far ones."""
        if self._wanted is None or self._shown != self._generation:
            return
        low, high = self._wanted
        self._wanted = None
        first = (low + self._top) // self._page - 1
        last = (high + self._top) // self._page + 1
        first = max(first, self._top // self._page)
        last = min(last, first + MAX_PAGES - 1)
        missing = [p for p in range(first, last + 1) if not self._has_page(p)]
        self._evict()
        if not missing or set(missing) <= self._loading:
            return
        self._loading = set(missing)
        reads = [self._page_read(p) for p in missing]
        generation, top, seen = self._generation, self._top, self._seen_upto
        query = self.query
        self._run(
            "page",
            lambda db: self._read_pages(db, query, seen, reads),
            lambda pages: self._pages_in(generation, top, pages),
        )

    def _has_page(self, page: int) -> bool:
        start = max(page * self._page, self._top)
        end = min((page + 1) * self._page, self._top + self._total)
        return all(p in self._cache for p in range(start, end))

    def _page_read(self, page: int) -> _PageRead:
        start = max(page * self._page, self._top)
        above = self._cache.get(start - 1)
        if start == self._top:
            before: int | None = self._seen_upto + 1
        elif above is not None:
            before = self._id(above)
        elif page in self._anchors:
            before = self._anchors[page] + 1
        else:
            before = None
        return _PageRead(page, start - self._top, before)

    def _read_pages(
        self, db: Database, query: Q, seen: int, reads: list[_PageRead]
    ) -> list[tuple[int, int, list[T]]]:
        """On the reader's thread: each page (start position, skip, records)."""
        pages: list[tuple[int, int, list[T]]] = []
        previous: tuple[int, list[T]] | None = None
        for want in reads:
            before = want.before
            if before is None and previous is not None and previous[0] == want.page - 1:
                before = self._id(previous[1][-1]) if previous[1] else None
            if before is None:
                found = self._nth_id(db, replace(query, before_id=seen + 1), want.skip)
                if found is None:
                    pages.append((want.page, want.skip, []))
                    continue
                before = found + 1
            records = self._read(db, replace(query, before_id=before))
            pages.append((want.page, want.skip, records))
            previous = (want.page, records)
        return pages

    def _pages_in(self, generation: int, top: int, pages: list[tuple[int, int, list[T]]]) -> None:
        self._loading = set()
        if generation != self._generation:
            return
        if top != self._top:  # rows arrived above meanwhile: the view asks again
            self.dataChanged.emit(self.index(0, 0), self.index(self._total - 1, 0))
            return
        for _page, skip, records in pages:
            start = skip + self._top
            for offset, record in enumerate(records):
                position = start + offset
                if position - self._top < self._total:
                    self._cache[position] = record
            if records and start % self._page == 0:
                self._anchors[start // self._page] = self._id(records[0])
                self._loaded(records)
            if (
                self.exact
                and len(records) < self._page
                and start + len(records) < (self._top + self._total)
            ):
                # Fewer than counted: some were deleted meanwhile.
                self._set_total(start + len(records) - self._top)
            first_row = max(0, start - self._top)
            last_row = min(self._total, start + len(records) - self._top) - 1
            if last_row >= first_row:
                self.dataChanged.emit(
                    self.index(first_row, 0), self.index(last_row, len(self.COLUMNS) - 1)
                )
        self._evict()

    def _evict(self) -> None:
        """Forget the pages farthest from where the view looks, down to MAX_PAGES of them
        (and the pinned row's)."""
        pages = {p // self._page for p in self._cache}
        if len(pages) <= MAX_PAGES:
            return
        centre = self._looked_at // self._page
        pinned = None if self._pinned is None else self._pinned // self._page
        far = sorted((p for p in pages if p != pinned), key=lambda p: abs(p - centre))
        for gone in far[MAX_PAGES - (pinned is not None) :]:
            start = gone * self._page
            for position in range(start, start + self._page):
                self._cache.pop(position, None)

    # -- arrivals and deletions ---------------------------------------------------------------

    def fetch_new(self, upto: int | None = None) -> int:
        """Insert, at the top, the matching records stored since the last look; how many.

        Read on the GUI thread: a few rows at a time (what arrived within 50 ms). After a long
        gap with more than a few pages waiting, the list is read afresh instead.
        `upto`: the newest id known to be stored (the bridge says it); later ones wait for the
        next look. None: the newest id stored now.
        """
        if self._db is None or self._shown != self._generation:
            return 0
        # The bound first: a record committed between two reads is left for the next look.
        bound = self._newest_id() if upto is None else upto
        if bound <= self._seen_upto:
            return 0
        keep = self._page * MAX_PAGES
        fresh = self._read(
            self._db,
            replace(self.query, after_id=self._seen_upto, before_id=bound + 1, limit=keep + 1),
        )
        if len(fresh) > keep:
            self.reload()
            return 0
        self._seen_upto = bound
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._top -= len(fresh)
        self._total += len(fresh)
        for offset, record in enumerate(fresh):
            self._cache[self._top + offset] = record
        older_changed = self._loaded(fresh)
        self.endInsertRows()
        if older_changed and self._total > len(fresh):
            self.dataChanged.emit(
                self.index(len(fresh), 0), self.index(self._total - 1, len(self.COLUMNS) - 1)
            )
        if self.counting:
            self._fresh += len(fresh)
        else:
            self._set_matching(self.matching + len(fresh), exact=self.exact)
        self._evict()  # while following, the rows far below leave memory
        return len(fresh)

    def forget(self, ids: list[int]) -> None:
        """Drop the rows of deleted records (read afresh when some were not in memory)."""
        gone = set(ids)
        rows = sorted(
            (p - self._top for p, record in self._cache.items() if self._id(record) in gone),
            reverse=True,
        )
        if len(rows) < len(gone):
            self.reload()
            return
        for row in rows:  # from the bottom up, so the rows above keep their numbers
            self.beginRemoveRows(QModelIndex(), row, row)
            position = row + self._top
            self._cache = {
                (p - 1 if p > position else p): r for p, r in self._cache.items() if p != position
            }
            self._anchors = {}
            self._total -= 1
            self.endRemoveRows()
        if rows:
            self._set_matching(max(0, self.matching - len(rows)), exact=self.exact)

    def _set_matching(self, matching: int, *, exact: bool) -> None:
        self.matching = matching
        self.exact = exact
        self.count_changed.emit(matching)


def loop_running() -> bool:
    """Whether an asyncio loop runs here (not in a script or a test that runs none)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
