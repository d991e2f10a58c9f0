"""The capture list's model: captures matching a filter, newest first, a keyset page at a time."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QObject
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, CaptureSummary
from hookscope.storage import reads
from hookscope.ui.formats import human_size, local_time
from hookscope.ui.style import VERDICT_HINTS
from hookscope.ui.widgets.paging import PAGE, KeysetTableModel


class CaptureTableModel(KeysetTableModel[CaptureSummary, CaptureQuery]):
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
    RIGHT = frozenset({SIZE, STATUS})
    HEADER_TIPS: ClassVar[dict[int, str]] = {STAR: "Starred"}

    def __init__(self, db: Database, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(CaptureQuery(), parent, page=page)
        self._db = db

    def _read(self, query: CaptureQuery) -> list[CaptureSummary]:
        return reads.list_summaries(self._db, query)

    def _count(self, query: CaptureQuery) -> int:
        return reads.count_captures(self._db, query)

    def _newest_id(self) -> int:
        return reads.newest_id(self._db)

    def _id(self, record: CaptureSummary) -> int:
        return record.id

    def refresh_rows(self, ids: list[int]) -> None:
        """Read these captures' summaries again (a star, a note, a new verdict)."""
        for summary in reads.summaries_of(self._db, ids):
            row = self.row_of(summary.id)
            if row is None:
                continue
            self._rows[row] = summary
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def summary(self, row: int) -> CaptureSummary:
        return self._rows[row]

    def _tooltip(self, item: CaptureSummary, column: int) -> str | None:
        # Plain text: Qt shows a tooltip as rich text when it looks like HTML, so captured
        # strings never go into one; only our own words do.
        if column == self.VERDICT:
            return VERDICT_HINTS.get(item.verdict, "")
        if column == self.STAR and item.note:
            return "Has a note"
        return None

    def _text(self, item: CaptureSummary, column: int) -> str:
        if column == self.STAR:
            return "★" if item.starred else ""
        if column == self.TIME:
            return local_time(item.received_at)
        if column == self.METHOD:
            return item.method
        if column == self.PATH:
            return f"{item.path}?{item.query}" if item.query else item.path
        if column == self.PROVIDER:
            return item.provider.capitalize() if item.provider else ""
        if column == self.EVENT:
            return item.event or ""
        if column == self.VERDICT:
            return item.verdict
        if column == self.SIZE:
            size = human_size(item.body_size)
            return f"{size} (cut)" if item.body_truncated else size
        if column == self.STATUS:
            return "" if item.response_status is None else str(item.response_status)
        return ""
