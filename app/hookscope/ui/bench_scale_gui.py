"""The window's part of `hookscope bench --scale N`, run in a process of its own on the store.

`python -m hookscope.ui.bench_scale_gui DIR OLDEST STARTED [--searches]`: opens the real window
on the store in DIR as the app does, and prints one JSON line: how long after STARTED (the
parent's `time.time()` when it started this process) the window showed its first page, the
memory then; with --searches, each search typed in its search box (the rare word, the common
one, a prefix, the common one with a verdict, and one entered over another still being read),
from the moment the list is asked for it to its first rows painted and to its count shown,
with the longest the window's loop stalled meanwhile; how long scrolling to the oldest capture
(id OLDEST) took, and the peak memory.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication, QWidget

from hookscope.engine import Engine
from hookscope.memory import freeze_startup_objects
from hookscope.storage import reads
from hookscope.ui.widgets.records import RecordRole
from hookscope.ui.window import MainWindow

SETTLE_S = 0.2  # the window painted and idle before scrolling
STEP_S = 0.01  # between two looks at the list while it scrolls
FIRST_PAGE_S = 60.0
SCROLL_S = 600.0
SEARCH_S = 60.0  # for a search's rows, and again for its count
TICK_MS = 5  # the ticker that finds the loop's stalls


@dataclass(frozen=True, slots=True)
class Words:
    """What the bench's storage part searched (its vocabulary), typed again in the window."""

    rare: str
    common: str
    prefix: str

    def searches(self) -> tuple[tuple[str, str, str | None], ...]:
        """(name, search, verdict) of each timed search."""
        return (
            ("rare", self.rare, None),
            ("common", self.common, None),
            ("prefix", self.prefix, None),
            ("combined", self.common, "verified"),
        )


def memory_mb(field: str) -> float:
    """This process's resident memory (VmRSS) or its peak (VmHWM), in MB (0.0: unknown)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def _until(predicate: object, within: float) -> bool:
    """Let the loop run until `predicate()` holds (or `within` seconds pass); whether it did."""
    assert callable(predicate)
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(STEP_S)
    return True


def _last_id(window: MainWindow) -> int | None:
    model = window.captures.model
    rows = model.rowCount()
    if rows == 0:
        return None
    record = model.index(rows - 1, 0).data(RecordRole)
    return getattr(record, "id", None)


async def scroll_to_end(window: MainWindow, oldest: int, within: float) -> tuple[float, bool]:
    """Scroll the list to its end as a user pressing End does, until the oldest capture's row
    is there; the milliseconds it took, and whether it got there.

    Written against the view's and the model's public API only (`scrollToBottom`, and
    `fetchMore` while the model says it can), so it measures whichever list model is in use.
    """
    table = window.captures.table
    model = window.captures.model
    started = time.perf_counter()
    deadline = time.monotonic() + within
    while _last_id(window) != oldest:
        if time.monotonic() > deadline:
            return round((time.perf_counter() - started) * 1000, 1), False
        table.scrollToBottom()
        if model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
        await asyncio.sleep(0)  # the view lays out, a model reading off the thread answers
    return round((time.perf_counter() - started) * 1000, 1), True


async def _signalled(signal: SignalInstance, within: float) -> bool:
    """Let the loop run until `signal` is emitted (or `within` seconds pass); whether it was."""
    heard: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def slot() -> None:
        if not heard.done():
            heard.set_result(None)

    signal.connect(slot)
    try:
        await asyncio.wait_for(heard, within)
    except TimeoutError:
        return False
    finally:
        signal.disconnect(slot)
    return True


async def _filter(window: MainWindow, text: str, verdict: str | None) -> None:
    """Set the search and the verdict filter at once, untimed; wait for the rows and count."""
    filters, model = window.captures.filters, window.captures.model
    for widget in (filters.search, filters.verdict):
        widget.blockSignals(True)
    filters.search.setText(text)
    filters.verdict.setCurrentIndex(max(filters.verdict.findData(verdict), 0))
    for widget in (filters.search, filters.verdict):
        widget.blockSignals(False)
    filters.changed.emit()
    await _signalled(model.reset_done, SEARCH_S)
    await _until(lambda: not model.counting, SEARCH_S)


class _Asked:
    """When the captures page was last asked to apply its filters (the end of the typing
    pause, or an Enter): noted before the page applies them, so their cost is counted."""

    def __init__(self, window: MainWindow) -> None:
        self.at = 0.0
        filters, page = window.captures.filters, window.captures
        filters.changed.disconnect(page.apply_filters)
        filters.changed.connect(self._note)
        filters.changed.connect(page.apply_filters)

    def _note(self) -> None:
        self.at = time.perf_counter()


class _Painted(QObject):
    """Notes when the list has painted its new rows: once armed (the rows are in), the end of
    the next paint of its viewport (a zero timer started during the paint fires after it)."""

    def __init__(self, viewport: QWidget, noted: list[float]) -> None:
        super().__init__()
        self._viewport = viewport
        self._noted = noted
        self._armed = False
        viewport.installEventFilter(self)

    def arm(self) -> None:
        self._armed = True

    def remove(self) -> None:
        self._viewport.removeEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if self._armed and event.type() == QEvent.Type.Paint:
            self._armed = False
            QTimer.singleShot(0, lambda: self._noted.append(time.perf_counter()))
        return False


async def _timed(window: MainWindow, asked: _Asked, ask: Callable[[], None]) -> dict[str, object]:
    """`ask()` for a search and time it from the moment the page was asked to apply it: until
    its first rows are painted, until its count is shown; the longest the loop stalled
    meanwhile, and the GUI thread's own processor time (a stall without it is the machine's
    other work)."""
    model = window.captures.model
    ticks: list[float] = []
    ticker = QTimer(interval=TICK_MS)
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    shown: list[float] = []
    painted = _Painted(window.captures.table.viewport(), shown)
    model.reset_done.connect(painted.arm)
    ticker.start()
    cpu = time.thread_time()
    try:
        ask()
        rows_in = await _signalled(model.reset_done, SEARCH_S)
        rows_in = rows_in and await _until(lambda: bool(shown), SEARCH_S)
        counted = await _until(lambda: not model.counting, SEARCH_S)
        counted_at = time.perf_counter()
    finally:
        ticker.stop()
        model.reset_done.disconnect(painted.arm)
        painted.remove()
    gaps = [(b - a) * 1000 - TICK_MS for a, b in itertools.pairwise(ticks)]
    return {
        "rows_ms": round((shown[0] - asked.at) * 1000, 1) if rows_in and shown else None,
        "count_ms": round((counted_at - asked.at) * 1000, 1) if counted else None,
        "rows": model.rowCount(),
        "count": model.matching,
        "exact": model.exact,
        "stall_ms": round(max(gaps, default=0.0), 1),
        "gui_cpu_ms": round((time.thread_time() - cpu) * 1000, 1),
    }


async def search(
    window: MainWindow, asked: _Asked, text: str, verdict: str | None
) -> dict[str, object]:
    """Type `text` in the search box as a user does (the verdict filter set first, untimed),
    timed from the end of the typing pause."""
    await _filter(window, "", verdict)
    # The search waits for a pause in the typing.
    return await _timed(window, asked, lambda: window.captures.filters.search.setText(text))


async def search_over_another(window: MainWindow, asked: _Asked, words: Words) -> dict[str, object]:
    """Enter the common word, then at once the rare one while the first is being read: the
    rare one's rows, timed from its Enter, must not wait for the first."""
    await _filter(window, "", None)
    filters = window.captures.filters
    filters.search.setText(words.common)
    filters.search.returnPressed.emit()

    def enter_another() -> None:
        filters.search.setText(words.rare)
        filters.search.returnPressed.emit()

    return await _timed(window, asked, enter_another)


async def searches(window: MainWindow, words: Words) -> list[dict[str, object]]:
    """Every search, then the filters cleared again."""
    asked = _Asked(window)
    timed: list[dict[str, object]] = []
    for name, text, verdict in words.searches():
        figures = await search(window, asked, text, verdict)
        timed.append({"name": name, "search": text, "verdict": verdict, **figures})
    figures = await search_over_another(window, asked, words)
    timed.append({"name": "over another", "search": words.rare, "verdict": None, **figures})
    await _filter(window, "", None)
    return timed


async def measure(
    directory: Path, oldest: int, started: float, words: Words | None = None
) -> dict[str, object]:
    QApplication.instance().setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    # As the app starts (ui/app.py): the engine without its listeners, then the window.
    engine = Engine(directory, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    await asyncio.to_thread(engine.start, listen=False)
    db = reads.open_store(directory, check=False)
    try:
        window = MainWindow(engine, db)
        window.resize(1280, 760)
        window.show()
        await _until(lambda: window.captures.model.rowCount() > 0, FIRST_PAGE_S)
        await asyncio.sleep(0)  # one more turn: the first page is painted
        usable = round((time.time() - started) * 1000, 1)
        first_rows = window.captures.model.rowCount()
        rss = memory_mb("VmRSS")
        freeze_startup_objects()  # as the app does once its window is up
        await asyncio.sleep(SETTLE_S)
        searched = await searches(window, words) if words is not None else []
        scrolled, reached = await scroll_to_end(window, oldest, SCROLL_S)
        await asyncio.sleep(SETTLE_S)  # what the last rows cost is counted in the peak
        figures: dict[str, object] = {
            "usable_ms": usable,
            "first_rows": first_rows,
            "rss_after_start_mb": rss,
            "scroll_to_end_ms": scrolled,
            "reached_end": reached,
            "rows_in_model": window.captures.model.rowCount(),
            "peak_rss_mb": memory_mb("VmHWM"),
        }
        if words is not None:
            figures["searches"] = searched
        window.close_without_asking()
        await window.settle()
    finally:
        await asyncio.to_thread(engine.stop)
        db.close()
    return figures


def main(argv: list[str]) -> int:
    directory, oldest, started = Path(argv[0]), int(argv[1]), float(argv[2])
    # `--searches RARE COMMON PREFIX`: the words the bench searched (none: no searches).
    words = Words(*argv[4:7]) if argv[3:4] == ["--searches"] else None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync

    from hookscope.ui.app import GarbageCollector, application

    app = application()
    # Garbage collected as the app collects it: on the GUI thread, from a timer.
    collector = GarbageCollector(app)
    collector.start()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            figures = runner.run(measure(directory, oldest, started, words))
    finally:
        collector.stop()
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
