"""The window's part of `hookscope bench --scale N`, run in a process of its own on the store.

`python -m hookscope.ui.bench_scale_gui DIR OLDEST STARTED`: opens the real window on the store
in DIR as the app does, and prints one JSON line: how long after STARTED (the parent's
`time.time()` when it started this process) the window showed its first page, the memory then,
how long scrolling to the oldest capture (id OLDEST) took, and the peak memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QApplication

from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.widgets.records import RecordRole
from hookscope.ui.window import MainWindow

SETTLE_S = 0.2  # the window painted and idle before scrolling
STEP_S = 0.01  # between two looks at the list while it scrolls
FIRST_PAGE_S = 60.0
SCROLL_S = 600.0


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


async def measure(directory: Path, oldest: int, started: float) -> dict[str, object]:
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
        await asyncio.sleep(SETTLE_S)
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
        window.close_without_asking()
        await window.settle()
    finally:
        await asyncio.to_thread(engine.stop)
        db.close()
    return figures


def main(argv: list[str]) -> int:
    directory, oldest, started = Path(argv[0]), int(argv[1]), float(argv[2])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync

    from hookscope.ui.app import application

    app = application()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        figures = runner.run(measure(directory, oldest, started))
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
