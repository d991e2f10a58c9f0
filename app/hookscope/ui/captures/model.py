"""The capture list's model: captures matching a filter, newest first, a keyset page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import ClassVar

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor
from sqlite_utils import Database

from hookscope.core.forwarding import ForwardState
from hookscope.core.model import CaptureQuery, CaptureSummary, DeliveryQuery
from hookscope.storage import reads
from hookscope.ui.formats import human_size, local_time
from hookscope.ui.style import VERDICT_HINTS, tone_colour
from hookscope.ui.widgets.paging import COUNT_CAP, PAGE, Counted, KeysetTableModel

# The columns, also as module names: `_text` runs for every cell painted, and a name found on
# a Qt object (self.TIME) is much slower to look up than a module's.
STAR, TIME, METHOD, PATH, PROVIDER, EVENT, VERDICT, SIZE, STATUS, FORWARD = range(10)

LANDED_MS = 100  # forward attempts logged are looked at together, at most this often
LANDED_READ = 5_000  # more attempts than this at once: the forwards of every row are read again
NO_FORWARD = "—"
# The worst state of a capture's forwards is the one its row shows.
_WORST = {"failed": 0, "not sent yet": 1, "delivered": 2}


@dataclass(frozen=True, slots=True)
class ListedCapture(CaptureSummary):
    """A capture as the list shows it: its summary, and what became of its forwards."""

    forwards: tuple[ForwardState, ...] = ()


_SUMMARY_FIELDS = tuple(f.name for f in fields(CaptureSummary))


def with_forwards(db: Database, summaries: Sequence[CaptureSummary]) -> list[CaptureSummary]:
    """These summaries with their forwards' states (one read for them all, bodies left out).

    Only a capture that was forwarded becomes a ListedCapture: the others (most, and all of
    them while no rule forwards) stay as they were read, at no cost per row.
    """
    found = reads.forwards_of(db, [s.id for s in summaries]) if summaries else {}
    if not found:
        return list(summaries)
    return [listed(s, states) if (states := found.get(s.id)) else s for s in summaries]


def listed(summary: CaptureSummary, states: Sequence[ForwardState]) -> ListedCapture:
    """The summary with these forwards' states."""
    if isinstance(summary, ListedCapture):
        return replace(summary, forwards=tuple(states))
    values = {name: getattr(summary, name) for name in _SUMMARY_FIELDS}
    return ListedCapture(**values, forwards=tuple(states))


def forward_text(state: ForwardState) -> str:
    """One forward in a few words: "delivered 200", "failed 502", "failed", "not sent yet"."""
    last = state.last
    if last is None:
        return "not sent yet"
    if last.error is not None:
        return "not sent" if last.error.startswith("not sent") else "failed"
    return f"{'delivered' if last.ok else 'failed'} {last.status}"


def forwards_cell(forwards: Sequence[ForwardState]) -> str:
    """A row's Forward column: the worst of its forwards, and how many more there are."""
    if not forwards:
        return NO_FORWARD
    worst = min(forwards, key=lambda state: _WORST[state.state])
    more = f" (+{len(forwards) - 1})" if len(forwards) > 1 else ""
    return forward_text(worst) + more


def forwards_tooltip(forwards: Sequence[ForwardState]) -> str:
    lines = []
    for state in forwards:
        error = "" if state.last is None or state.last.error is None else f": {state.last.error}"
        lines.append(f"{forward_text(state)}{error} — {state.forward.url}")
    return "\n".join(lines) or "Not forwarded: no forward rule matched it."


class CaptureTableModel(KeysetTableModel[CaptureSummary, CaptureQuery]):
    """Captures matching a filter, newest first, read from SQLite one keyset page at a time.

    New captures are added with `fetch_new()` (the window calls it at most every 50 ms), at the
    top, in one insert; existing rows never move relative to each other.

    Rows are read by the base model (a few pages in memory, wherever the view is); the
    summaries of edited captures are read again on the GUI thread (`refresh_rows`).
    """

    COLUMNS = (
        "★",
        "Time",
        "Method",
        "Path",
        "Provider",
        "Event",
        "Verdict",
        "Size",
        "Status",
        "Forward",
    )
    STAR, TIME, METHOD, PATH, PROVIDER, EVENT, VERDICT, SIZE, STATUS, FORWARD = (
        STAR,
        TIME,
        METHOD,
        PATH,
        PROVIDER,
        EVENT,
        VERDICT,
        SIZE,
        STATUS,
        FORWARD,
    )
    RIGHT = frozenset({SIZE, STATUS})
    HEADER_TIPS: ClassVar[dict[int, str]] = {
        STAR: "Starred",
        FORWARD: "What became of the capture's forward to your app (Settings > Forwarding)",
    }

    PLACEHOLDER_COLUMN = TIME

    # The captures whose forwards were just read again (an attempt of theirs was logged).
    forwards_changed = Signal(list)

    def __init__(self, db: Database, parent: QObject | None = None, *, page: int = PAGE) -> None:
        super().__init__(CaptureQuery(), parent, page=page)
        self._gui_db = db
        self.set_db(db)
        self._landed_seen = reads.nth_attempt_id(db, DeliveryQuery(), 0) or 0
        self._landed_upto = self._landed_seen
        self._landed = QTimer(self, singleShot=True, interval=LANDED_MS)
        self._landed.timeout.connect(self._read_landed)

    def _read(self, db: Database, query: CaptureQuery) -> list[CaptureSummary]:
        return with_forwards(db, reads.list_summaries(db, query))

    def _count(self, db: Database, query: CaptureQuery) -> Counted:
        if not (query.provider or query.verdict or query.method or query.starred or query.search):
            return Counted(reads.count_captures(db, query))  # an index's length: cheap
        if reads.counted_at_once(query):  # all captures: the store keeps their total
            return Counted(reads.count_captures(db, query), exact=True)
        found = reads.count_captures(db, query, cap=COUNT_CAP + 1)
        return Counted(min(found, COUNT_CAP), exact=found <= COUNT_CAP)

    def _nth_id(self, db: Database, query: CaptureQuery, skip: int) -> int | None:
        # With the exact total, a row in the older half is found from the oldest: End on a
        # million captures walks a few hundred index entries, not a million.
        total = self.rowCount() if self.exact else None
        return reads.nth_id(db, query, skip, before=query.before_id, total=total)

    def _rank(self, db: Database, query: CaptureQuery, record_id: int) -> int | None:
        return reads.rank(db, query, record_id)

    def _newest_id(self) -> int:
        return reads.newest_id(self._gui_db)

    def _id(self, record: CaptureSummary) -> int:
        return record.id

    def refresh_rows(self, ids: list[int]) -> None:
        """Read these captures' summaries again (a star, a note, a new verdict)."""
        for summary in with_forwards(self._gui_db, reads.summaries_of(self._gui_db, ids)):
            row = self.row_of(summary.id)
            if row is not None:
                self.set_record(row, summary)

    # -- forwards: an attempt landed ------------------------------------------------------------

    def attempts_logged(self, newest: int) -> None:
        """Delivery attempts up to this id were logged: the rows in memory whose forwards
        they belong to are read again, together, at most every LANDED_MS."""
        self._landed_upto = max(self._landed_upto, newest)
        if not self._landed.isActive():
            self._landed.start()

    def _read_landed(self) -> None:
        seen, upto = self._landed_seen, self._landed_upto
        if upto <= seen:
            return
        shown = {self._id(record) for record in self.rows()}

        def work(db: Database) -> tuple[list[int], dict[int, list[ForwardState]]]:
            query = DeliveryQuery(after_id=seen, before_id=upto + 1, limit=LANDED_READ)
            attempts = reads.list_attempts(db, query, bodies=False)
            if len(attempts) < LANDED_READ:
                owners = {a.request.replay_of for a in attempts if a.request.forward_id}
                shown.intersection_update(owners)
            ids = sorted(shown)
            return ids, reads.forwards_of(db, ids)

        def apply(answer: tuple[list[int], dict[int, list[ForwardState]]]) -> None:
            ids, found = answer
            self._landed_seen = max(self._landed_seen, upto)
            for capture_id in ids:
                row = self.row_of(capture_id)
                record = None if row is None else self.record(row)
                if row is not None and record is not None:
                    self.set_record(row, listed(record, found.get(capture_id, ())))
            if ids:
                self.forwards_changed.emit(ids)
            if self._landed_upto > self._landed_seen and not self._landed.isActive():
                self._landed.start()  # more landed while this was read

        self._run("forwards", work, apply)

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
        if column == FORWARD:
            return forwards_tooltip(_forwards(item))
        return None

    def _foreground(self, item: CaptureSummary, column: int) -> QColor | None:
        if column != FORWARD or not (forwards := _forwards(item)):
            return None
        worst = min(_WORST[state.state] for state in forwards)
        return (
            tone_colour("error") if worst == 0 else tone_colour("warning") if worst == 1 else None
        )

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
        if column == FORWARD:
            return forwards_cell(_forwards(item))
        return ""


def _forwards(item: CaptureSummary) -> tuple[ForwardState, ...]:
    return item.forwards if isinstance(item, ListedCapture) else ()
