"""Desktop notifications of failed or stale verifications while the window is hidden."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, CaptureSummary
from hookscope.storage import reads
from hookscope.ui.bridge import EngineBridge

NOTIFY = "ui.notify"  # the setting: tell failed or stale verifications on the desktop
# Off unless the user turns it on: failing deliveries are often sent on purpose while testing,
# and a desktop notification interrupts whatever the user does in another window.
NOTIFY_DEFAULT = False
VERDICTS = ("failed", "stale")
RATE_S = 5.0  # at most one notification this often: what arrives meanwhile is summed up
GATHER_MS = 250  # a burst's captures are gathered before its notification
LIMIT = 100  # read at most this many of each verdict for one notification


class Notifier(QObject):
    """Asks for a desktop notification when a delivery fails verification (or is stale) while
    the window is hidden or minimised and the user turned notifications on.

    One notification sums up what arrived since the last (at most one every RATE_S seconds):
    "3 deliveries failed verification". Nothing is said of what arrived while the window was
    in view.

    Signals:
        requested(str, str, int): a notification to show: its title, its text, and the newest
            capture it counts (a click on it shows that one).
    """

    requested = Signal(str, str, int)

    def __init__(
        self, window: QWidget, db: Database, bridge: EngineBridge, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._window = window
        self._db = db
        self._seen = reads.newest_id(db)
        self._last: float | None = None  # when the last notification was asked for
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.flush)
        bridge.captured.connect(self._captured)

    @property
    def seen(self) -> int:
        """The newest capture already looked at (notified, or seen in the window)."""
        return self._seen

    def window_away(self) -> bool:
        """The user cannot see the window: it is hidden (to the tray) or minimised."""
        return not self._window.isVisible() or self._window.isMinimized()

    def _captured(self, newest: int, _count: int) -> None:
        if not self.window_away():
            self._seen = max(self._seen, newest)  # seen in the list: never notified later
            return
        if not self._timer.isActive():
            wait = GATHER_MS
            if self._last is not None:
                wait = max(wait, round((self._last + RATE_S - time.monotonic()) * 1000))
            self._timer.start(wait)

    def flush(self) -> None:
        """Notify of the failed and stale captures since the last look, if still wanted."""
        since = self._seen
        self._seen = top = reads.newest_id(self._db)
        if (
            not self.window_away()
            or reads.get_setting(self._db, NOTIFY, NOTIFY_DEFAULT) is not True
        ):
            return
        found = [
            summary
            for verdict in VERDICTS
            for summary in reads.list_summaries(
                self._db,
                CaptureQuery(verdict=verdict, after_id=since, before_id=top + 1, limit=LIMIT),
            )
        ]
        if found:
            self._last = time.monotonic()
            newest = max(found, key=lambda summary: summary.id)
            self.requested.emit("Hookscope", notification_text(found), newest.id)


def notification_text(found: list[CaptureSummary]) -> str:
    """One sentence for what failed: "3 deliveries failed verification", or the one delivery."""
    if len(found) == 1:
        (one,) = found
        what = "failed verification" if one.verdict == "failed" else "had a stale timestamp"
        return f"A delivery to {one.path} {what}."
    failed = sum(1 for summary in found if summary.verdict == "failed")
    stale = len(found) - failed
    more = " or more" if len(found) >= LIMIT else ""
    if not stale:
        return f"{failed}{more} deliveries failed verification."
    if not failed:
        return f"{stale}{more} deliveries had a stale timestamp."
    return f"{len(found)}{more} deliveries failed verification or had a stale timestamp."
