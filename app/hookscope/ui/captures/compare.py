"""The Compare dialog: two captures side by side, then what differs between them."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.contentviews import Cancelled, Superseded
from hookscope.core.diff import CaptureDiff, Side, compare
from hookscope.core.model import Capture
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.captures.comparehtml import Colours, comparison_html
from hookscope.ui.childwork import ChildFailed, compare_elsewhere, compare_in_child
from hookscope.ui.formats import human_size, local_time
from hookscope.ui.style import monospace, say, tone_colour
from hookscope.ui.widgets.badges import Badge
from hookscope.ui.widgets.labels import heading, plain_label

# Reads both captures and compares them, on a worker thread: (A's id, B's id, cancelled).
Comparer = Callable[[int, int, Cancelled], CaptureDiff]


class CaptureGone(LookupError):
    """A capture to compare is no longer in the store (deleted meanwhile)."""


def compare_stored(directory: Path, a_id: int, b_id: int, cancelled: Cancelled) -> CaptureDiff:
    """Read two captures through a connection of this (worker) thread and compare them."""
    db = reads.open_store(directory, check=False)
    try:
        a = reads.get_capture(db, a_id)
        b = reads.get_capture(db, b_id)
    finally:
        db.close()
    if a is None or b is None:
        gone = a_id if a is None else b_id
        raise CaptureGone(f"Capture #{gone} is no longer in the store.")
    return compare_captures(a, b, cancelled)


def compare_captures(a: Capture, b: Capture, cancelled: Cancelled) -> CaptureDiff:
    """Compare two captures (on a worker thread); when a body is huge, in a child process,
    since parsing it would hold the interpreter lock, and so the window, for seconds."""
    if compare_elsewhere(a, b):
        return compare_in_child(a, b, cancelled)
    return compare(a, b, cancelled)


class SideCard(QWidget):
    """One capture of the two: its request line, when and from where, and its verdict.

    Attributes:
        title: "A #12".
        request_line: "POST /hooks/kardow HTTP/1.1", selectable.
        received: the arrival time, sender and body size.
        badge: the verdict.
        detail: the verdict's sentence.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = heading("")
        self.request_line = plain_label(wrap=True)
        self.request_line.setFont(monospace())
        self.received = plain_label()
        self.badge = Badge()
        self.detail = plain_label()
        layout.addWidget(self.title, 0, 0, 1, 2)
        layout.addWidget(self.request_line, 1, 0, 1, 2)
        layout.addWidget(self.received, 2, 0, 1, 2)
        layout.addWidget(self.badge, 3, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.detail, 3, 1)
        layout.setColumnStretch(1, 1)
        layout.setRowStretch(4, 1)  # the two cards line up at the top, whatever their heights

    def show_side(self, name: str, side: Side) -> None:
        self.title.setText(f"{name}  #{side.id}")
        self.request_line.setText(side.request_line)
        what = f" · {side.event}" if side.event else ""
        self.received.setText(
            f"{local_time(side.received_at, date=True)} from {side.remote or '?'} · "
            f"{human_size(side.body_size)}{what}"
        )
        self.badge.set_word(side.verdict)
        self.detail.setText(side.verdict_detail)


class CompareDialog(QDialog):
    """Two captures compared, beside the window (never modal): A and B's request lines and
    verdicts at the top, then the request line, headers and body that differ.

    The captures are read and compared on a worker thread; Cancel (or closing the dialog)
    stops that. Esc closes.

    Signals:
        compared(): a comparison finished: shown, cancelled, or failed with a sentence.

    Attributes:
        ids: the (A, B) capture ids compared last.
        comparison: the comparison shown, or None.
        cards: A's and B's SideCard.
        summary: one sentence: identical, or where the two differ.
        progress, cancel_button: shown while comparing.
        status: why there is no comparison (cancelled, a capture gone, the store unreadable).
        view: the differences, section by section.
        swap_button: compares again with A and B exchanged.
    """

    compared = Signal()

    def __init__(self, comparer: Comparer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._comparer = comparer
        self._cancel = threading.Event()
        self._work = Background(
            self, "compare", lambda exc: self._failed(f"The comparison failed: {exc}")
        )
        self.ids: tuple[int, int] = (0, 0)
        self.comparison: CaptureDiff | None = None
        self.setWindowTitle("Compare captures")
        self.resize(1000, 720)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        cards = QHBoxLayout()
        self.cards = (SideCard(), SideCard())
        for card in self.cards:
            cards.addWidget(card, 1)
        layout.addLayout(cards)
        self.summary = heading("")
        layout.addWidget(self.summary)

        busy = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # how long is not known: a busy bar
        self.progress.setFormat("Comparing…")
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        layout.addLayout(busy)
        self.status = plain_label()
        self.status.hide()
        layout.addWidget(self.status)

        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.setOpenExternalLinks(False)
        layout.addWidget(self.view, 1)

        buttons = QDialogButtonBox()
        self.swap_button = buttons.addButton(
            "&Swap A and B", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.swap_button.setToolTip("Compare again with B as the first capture")
        self.swap_button.clicked.connect(lambda: self.start(self.ids[1], self.ids[0]))
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText("C&lose")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._set_busy(False)

    # -- comparing ----------------------------------------------------------------------------

    def start(self, a_id: int, b_id: int) -> None:
        """Compare capture `a_id` (A) with `b_id` (B); a comparison under way is dropped."""
        self._cancel.set()
        self._cancel = threading.Event()
        self.ids = (a_id, b_id)
        self.comparison = None
        self.setWindowTitle(f"Compare captures #{a_id} and #{b_id}")
        self.summary.setText("")
        self.view.clear()
        say(self.status, "")
        self._set_busy(True)
        self._work.run(self._compare(a_id, b_id, self._cancel))

    async def _compare(self, a_id: int, b_id: int, cancel: threading.Event) -> None:
        try:
            result = await asyncio.to_thread(self._comparer, a_id, b_id, cancel.is_set)
        except Superseded:
            return  # cancel() said so already
        except CaptureGone as exc:
            self._failed(str(exc))
            return
        except ChildFailed as exc:
            self._failed(f"Could not compare the captures: {exc}.")
            return
        except (reads.StoreError, sqlite3.Error) as exc:
            self._failed(f"The store could not be read: {exc}")
            return
        if cancel is not self._cancel:  # another comparison started meanwhile
            return
        self.show_result(result)

    def cancel(self) -> None:
        """Stop the comparison under way: said at once, its result (if any) thrown away."""
        self._cancel.set()
        if self.progress.isVisible():
            self._cancel = threading.Event()  # a result arriving after this is not shown
            self._failed("Comparison cancelled.", "warning")

    def _failed(self, sentence: str, tone: str = "error") -> None:
        self._set_busy(False)
        say(self.status, sentence, tone)
        self.compared.emit()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.swap_button.setEnabled(not busy and self.comparison is not None)

    def show_result(self, result: CaptureDiff) -> None:
        self.comparison = result
        for card, name, side in zip(self.cards, "AB", (result.a, result.b), strict=True):
            card.show_side(name, side)
        self.summary.setText(result.summary())
        self._render()
        self._set_busy(False)
        self.compared.emit()

    def _render(self) -> None:
        if self.comparison is None:
            return
        scroll = self.view.verticalScrollBar().value()
        self.view.setHtml(comparison_html(self.comparison, colours()))
        self.view.verticalScrollBar().setValue(scroll)

    # -- plumbing -----------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            for card in getattr(self, "cards", ()):
                card.badge.restyle()
            self._render()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()
        super().closeEvent(event)

    def done(self, code: int) -> None:
        self.cancel()  # Esc and Close: nothing goes on comparing for a closed dialog
        super().done(code)

    async def settle(self) -> None:
        """Wait for the comparison under way (tests, and closing)."""
        await self._work.settle()


def colours() -> Colours:
    """The comparison's colours for the application's palette now (light or dark)."""
    palette = QGuiApplication.palette()
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    # Between the text and its background: quiet, yet readable on either palette.
    pairs = (
        (text.redF(), base.redF()),
        (text.greenF(), base.greenF()),
        (text.blueF(), base.blueF()),
    )
    muted = QColor.fromRgbF(*(t + 0.45 * (b - t) for t, b in pairs))
    return Colours(
        added=tone_colour("ok").name(),
        removed=tone_colour("error").name(),
        changed=tone_colour("warning").name(),
        moved=palette.color(QPalette.ColorRole.Link).name(),
        muted=muted.name(),
        band=palette.color(QPalette.ColorRole.AlternateBase).name(),
        mono=monospace().family(),
    )
