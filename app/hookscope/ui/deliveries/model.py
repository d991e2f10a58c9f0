"""The delivery log's model: attempts matching a filter, newest first, a keyset page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from sqlite_utils import Database

from hookscope.core.model import Attempt, DeliveryQuery
from hookscope.storage import reads
from hookscope.ui.deliveries.text import (
    RETRIED_HINT,
    RequestKey,
    request_key,
    result_word,
    short_fire,
    try_text,
)
from hookscope.ui.formats import local_time
from hookscope.ui.widgets.paging import PAGE, Counted, KeysetTableModel
from hookscope.ui.widgets.records import plain_tooltip


class DeliveryTableModel(KeysetTableModel[Attempt, DeliveryQuery]):
    """Delivery attempts matching a filter, newest first, read one keyset page at a time.

    Rows are read without their bodies. New attempts are added with `fetch_new()` (the panel
    calls it at most every 50 ms), at the top, in one insert; existing rows never move
    relative to each other. Earlier tries of a request are greyed.

    Signals:
        count_changed(int): how many attempts match the filter.

    Attributes:
        query: the filter in force (its before_id / after_id / limit are ignored).
        matching: how many attempts match it.
    """

    COLUMNS = ("Time", "Kind", "Event", "URL", "Result", "Status", "Latency (ms)", "Try", "Fire")
    TIME, KIND, EVENT, URL, RESULT, STATUS, LATENCY, TRY, FIRE = range(9)
    RIGHT = frozenset({STATUS, LATENCY, TRY})
    HEADER_TIPS: ClassVar[dict[int, str]] = {
        TRY: "Which try this was: retries follow failed tries when Settings > Sending asks"
    }

    def __init__(self, db: Database, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(DeliveryQuery(), parent, page=page)
        self._gui_db = db
        self.set_db(db)
        # How many tries each request had in the end, from the final tries loaded so far.
        self._tries: dict[RequestKey, int] = {}

    def _read(self, db: Database, query: DeliveryQuery) -> list[Attempt]:
        return reads.list_attempts(db, query, bodies=False)

    def _count(self, db: Database, query: DeliveryQuery) -> Counted:
        return Counted(reads.count_attempts(db, query))

    def _nth_id(self, db: Database, query: DeliveryQuery, skip: int) -> int | None:
        return reads.nth_attempt_id(db, query, skip)

    def _newest_id(self) -> int:
        newest = reads.list_attempts(self._gui_db, DeliveryQuery(limit=1), bodies=False)
        return (newest[0].id or 0) if newest else 0

    def _id(self, record: Attempt) -> int:
        return record.id or 0

    def _loaded(self, records: Sequence[Attempt], *, reset: bool = False) -> bool:
        """Note the final tries among `records`; True when one ended a retried request (its
        earlier tries, below, now read "n of N")."""
        if reset:
            self._tries = {}
        retried = False
        for attempt in records:
            if attempt.final:
                self._tries[request_key(attempt)] = attempt.number
                retried = retried or attempt.number > 1
        return retried

    def attempt(self, row: int) -> Attempt:
        """The attempt in this row (IndexError while its page is being read: see record)."""
        return self.item(row)

    def try_text(self, attempt: Attempt) -> str:
        """ "1"; "3 of 3" for a retried request's last try; "1 of 3, retried" for the others."""
        return try_text(attempt, self._tries.get(request_key(attempt)))

    def _text(self, item: Attempt, column: int) -> str:
        request = item.request
        if column == self.TIME:
            return local_time(item.started_at)
        if column == self.KIND:
            return request.kind
        if column == self.EVENT:
            return request.event or ""
        if column == self.URL:
            return request.url
        if column == self.RESULT:
            return result_word(item)
        if column == self.STATUS:
            return "—" if item.status is None else str(item.status)
        if column == self.LATENCY:
            return f"{item.latency_ms:,.0f}"
        if column == self.TRY:
            return self.try_text(item)
        if column == self.FIRE:
            return short_fire(item.fire_id)
        return ""

    def _foreground(self, item: Attempt, column: int) -> QColor | None:
        if item.final or column == self.RESULT:
            return None
        return QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
        )

    def _tooltip(self, item: Attempt, column: int) -> str | None:
        # Plain text: URLs, errors and Location headers come from outside.
        if column == self.URL:
            return plain_tooltip(f"{item.request.method} {item.request.url}")
        if column == self.RESULT:
            return plain_tooltip(item.outcome)
        if column == self.STATUS and item.status is None:
            return plain_tooltip(f"No answer: {item.outcome}")
        if column == self.TRY and not item.final:
            return RETRIED_HINT
        if column == self.FIRE:
            return plain_tooltip(f"Fire {item.fire_id}")
        return None
