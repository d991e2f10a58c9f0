"""The capture list's model: captures matching a filter, newest first, a keyset page at a time."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QObject
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, CaptureSummary
from hookscope.storage import reads
from hookscope.ui.formats import human_size, local_time
from hookscope.ui.style import VERDICT_HINTS
from hookscope.ui.widgets.paging import COUNT_CAP, PAGE, Counted, KeysetTableModel

# The columns, also as module names: `_text` runs for every cell painted, and a name found on
# a Qt object (self.TIME) is much slower to look up than a module's.
STAR, TIME, METHOD, PATH, PROVIDER, EVENT, VERDICT, SIZE, STATUS = range(9)


class CaptureTableModel(KeysetTableModel[CaptureSummary, CaptureQuery]):
    """Captures matching a filter, newest first, read from SQLite one keyset page at a time.

    New captures are added with `fetch_new()` (the window calls it at most every 50 ms), at the
    top, in one insert; existing rows never move relative to each other.

    Rows are read by the base model (a few pages in memory, wherever the view is); the
    summaries of edited captures are read again on the GUI thread (`refresh_rows`).
    """

    COLUMNS = ("★", "Time", "Method", "Path", "Provider", "Event", "Verdict", "Size", "Status")
    STAR, TIME, METHOD, PATH, PROVIDER, EVENT, VERDICT, SIZE, STATUS = (
        STAR,
        TIME,
        METHOD,
        PATH,
        PROVIDER,
        EVENT,
        VERDICT,
        SIZE,
        STATUS,
    )
    RIGHT = frozenset({SIZE, STATUS})
    HEADER_TIPS: ClassVar[dict[int, str]] = {STAR: "Starred"}

    PLACEHOLDER_COLUMN = TIME

    def __init__(self, db: Database, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(CaptureQuery(), parent, page=page)
        self._gui_db = db
        self.set_db(db)

    def _read(self, db: Database, query: CaptureQuery) -> list[CaptureSummary]:
        return reads.list_summaries(db, query)

    def _count(self, db: Database, query: CaptureQuery) -> Counted:
        if not (query.provider or query.verdict or query.method or query.starred or query.search):
            return Counted(reads.count_captures(db, query))  # an index's length: cheap
        found = reads.count_captures(db, query, cap=COUNT_CAP + 1)
        return Counted(min(found, COUNT_CAP), exact=found <= COUNT_CAP)

    def _nth_id(self, db: Database, query: CaptureQuery, skip: int) -> int | None:
        return reads.nth_id(db, query, skip, before=query.before_id)

    def _rank(self, db: Database, query: CaptureQuery, record_id: int) -> int | None:
        return reads.rank(db, query, record_id)

    def _newest_id(self) -> int:
        return reads.newest_id(self._gui_db)

    def _id(self, record: CaptureSummary) -> int:
        return record.id

    def refresh_rows(self, ids: list[int]) -> None:
        """Read these captures' summaries again (a star, a note, a new verdict)."""
        for summary in reads.summaries_of(self._gui_db, ids):
            row = self.row_of(summary.id)
            if row is not None:
                self.set_record(row, summary)

    def summary(self, row: int) -> CaptureSummary:
        """The capture in this row (IndexError while its page is being read: see record)."""
        return self.item(row)

    def _tooltip(self, item: CaptureSummary, column: int) -> str | None:
        # Plain text: Qt shows a tooltip as rich text when it looks like HTML, so captured
        # strings never go into one; only our own words do.
        if column == VERDICT:
            return VERDICT_HINTS.get(item.verdict, "")
        if column == STAR and item.note:
            return "Has a note"
        return None

    def _text(self, item: CaptureSummary, column: int) -> str:
        if column == STAR:
            return "★" if item.starred else ""
        if column == TIME:
            return local_time(item.received_at)
        if column == METHOD:
            return item.method
        if column == PATH:
            return f"{item.path}?{item.query}" if item.query else item.path
        if column == PROVIDER:
            return item.provider.capitalize() if item.provider else ""
        if column == EVENT:
            return item.event or ""
        if column == VERDICT:
            return item.verdict
        if column == SIZE:
            size = human_size(item.body_size)
            return f"{size} (cut)" if item.body_truncated else size
        if column == STATUS:
            return "" if item.response_status is None else str(item.response_status)
        return ""
