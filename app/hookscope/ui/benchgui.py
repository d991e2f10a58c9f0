"""`hookscope bench --gui`: the window's event-loop lag and list latency while capturing, while
a 5 MB and a 25 MB body are formatted for the body view, while "Show all" shows a 25 MB body,
and while two 25 MB JSON bodies are compared."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import (
    QMessageLogContext,
    QModelIndex,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from hookscope.core.http import Headers, Request
from hookscope.core.model import Capture, Credential
from hookscope.engine import Engine
from hookscope.load import BENCH_SECRET
from hookscope.memory import freeze_startup_objects
from hookscope.storage import reads
from hookscope.ui.captures.compare import CompareDialog, compare_captures
from hookscope.ui.client import EngineClient
from hookscope.ui.formats import human_size
from hookscope.ui.widgets.bodyview import BodyView
from hookscope.ui.window import MainWindow

TICK_MS = 10
BIG_BODY = 5 * 1024 * 1024
HUGE_BODY = 25 * 1024 * 1024
# After "Show all": each view is looked at, from its top and then its end, for this long.
LOOK_S = 0.1


@dataclass(frozen=True, slots=True)
class BodyBenchResult:
    """A big JSON body shown in the body view: how long the GUI thread was held meanwhile."""

    size: int
    set_body_ms: float  # the set_body() call itself, on the GUI thread
    shown_ms: float  # until every view shows it (parsed and formatted on a worker thread)
    lag_p99_ms: float
    lag_max_ms: float


@dataclass(frozen=True, slots=True)
class ShowAllBenchResult:
    """ "Show all" clicked on a huge JSON body, then every view scrolled to its end: how long the
    GUI thread was held meanwhile."""

    size: int
    shown_ms: float  # from the click until every view shows all of it
    lag_p99_ms: float
    lag_max_ms: float


@dataclass(frozen=True, slots=True)
class CompareBenchResult:
    """Two huge JSON bodies compared in the Compare dialog: how long the GUI thread was held."""

    size: int
    compared_ms: float  # from start() until the differences are shown
    lag_p99_ms: float
    lag_max_ms: float


@dataclass(frozen=True, slots=True)
class GuiBenchResult:
    rate: int
    seconds: float
    captured: int
    shown: int
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    list_p50_ms: float
    list_p99_ms: float
    body: BodyBenchResult | None = None
    show_all: ShowAllBenchResult | None = None
    first_show: BodyBenchResult | None = None  # a HUGE_BODY shown from scratch
    compare: CompareBenchResult | None = None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def measure(rate: int = 500, seconds: float = 5.0, *, freeze: bool = False) -> GuiBenchResult:
    """Capture `rate` deliveries a second for `seconds` with the window open; measure it.

    The load client runs in its own process (as real senders do); the window, its model and
    the engine share this one, as in use. `freeze`: once the window is up, leave what lives on
    out of garbage collections, as the app does (ui/app.py main).
    """
    # Closing the window at the end must not stop the loop under us.
    QApplication.instance().setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(prefix="hookscope-guibench-") as tmp:
        data = Path(tmp) / "data"
        engine = Engine(data, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
        await asyncio.to_thread(engine.start)
        # A stored secret, so every delivery is really verified (through the engine, as ever).
        bench = Credential("kardow", "bench", BENCH_SECRET.decode())
        await EngineClient(engine).add_credential(bench)
        db = reads.open_store(data)
        window = MainWindow(engine, db)
        window.resize(1280, 760)
        window.show()
        list_latency: list[float] = []

        def inserted(parent: QModelIndex, first: int, last: int) -> None:
            # From the model's memory, not through index().data(): the measurement must cost
            # the GUI thread little beside what it measures.
            now = datetime.now(UTC)
            for row in range(first, last + 1):
                summary = window.captures.model.record(row)
                if summary is not None:
                    list_latency.append((now - summary.received_at).total_seconds())

        window.captures.model.rowsInserted.connect(inserted)
        ticks: list[float] = []
        timer = QTimer(interval=TICK_MS)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        try:
            assert engine.listener is not None
            url = f"http://127.0.0.1:{engine.listener.port}/hook"
            client = (
                "import asyncio, sys; from hookscope.load import paced; "
                f"asyncio.run(paced({url!r}, {rate}, {seconds}))"
            )
            await asyncio.sleep(0.5)  # the window is painted and idle
            if freeze:
                freeze_startup_objects()
            timer.start()
            await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-c", client],
                stdout=subprocess.DEVNULL,
                check=True,
            )
            await asyncio.sleep(0.3)  # the last batch reaches the list
            timer.stop()
            captured = engine.listener.captured
            shown = window.captures.model.rowCount()
        finally:
            window.close()
            await asyncio.to_thread(engine.stop)
            db.close()
    lags = [(b - a) * 1000 - TICK_MS for a, b in itertools.pairwise(ticks)]
    return GuiBenchResult(
        rate=rate,
        seconds=seconds,
        captured=captured,
        shown=shown,
        lag_p50_ms=round(statistics.median(lags), 2) if lags else 0.0,
        lag_p99_ms=round(_percentile(lags, 0.99), 2),
        lag_max_ms=round(max(lags, default=0.0), 2),
        list_p50_ms=round(statistics.median(list_latency) * 1000, 1) if list_latency else 0.0,
        list_p99_ms=round(_percentile(list_latency, 0.99) * 1000, 1),
    )


def big_json(size: int) -> bytes:
    """A minified JSON document of about `size` bytes, as webhook senders send them."""
    items: list[dict[str, object]] = []
    length = 0
    while length < size:
        item = {"id": len(items), "title": "Backend engineer", "tags": ["python"], "remote": True}
        items.append(item)
        length += len(json.dumps(item, separators=(",", ":"))) + 1
    return json.dumps({"batch": "A", "data": items}, separators=(",", ":")).encode()


async def measure_body(size: int = BIG_BODY) -> BodyBenchResult:
    """Show a `size`-byte JSON body in a body view; the GUI event loop's lag until it is shown."""
    QApplication.instance().setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    body = big_json(size)
    view = BodyView()
    view.resize(900, 600)
    view.show()
    shown: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def rendered() -> None:
        if not shown.done():
            shown.set_result(None)

    view.rendered.connect(rendered)
    ticks: list[float] = []
    timer = QTimer(interval=TICK_MS)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    try:
        timer.start()
        await asyncio.sleep(0.2)  # the view is painted and the loop ticks steadily
        started = time.perf_counter()
        view.set_body(body, "application/json")
        called = time.perf_counter()
        await asyncio.wait_for(shown, 120)
        finished = time.perf_counter()
        await asyncio.sleep(0.05)  # the tick after the last step
    finally:
        timer.stop()
        view.close()
        view.deleteLater()
    lag_p99_ms, lag_max_ms = lag_since(started, ticks)
    return BodyBenchResult(
        size=len(body),
        set_body_ms=round((called - started) * 1000, 1),
        shown_ms=round((finished - started) * 1000, 1),
        lag_p99_ms=lag_p99_ms,
        lag_max_ms=lag_max_ms,
    )


def _ticker(ticks: list[float]) -> QTimer:
    timer = QTimer(interval=TICK_MS)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    return timer


async def _until_rendered(view: BodyView, action: Callable[[], None], within: float) -> None:
    shown: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def rendered() -> None:
        if not shown.done():
            shown.set_result(None)

    view.rendered.connect(rendered)
    try:
        action()
        await asyncio.wait_for(shown, within)
    finally:
        view.rendered.disconnect(rendered)


async def _look_at_every_view(view: BodyView) -> None:
    """Show each text view, at its top and then at its end, as a user checking the body would."""
    for tab, pane in enumerate((view.pretty, view.raw, view.hex)):
        view.views.setCurrentIndex(tab)
        await asyncio.sleep(LOOK_S)
        scroll = pane.rows_view.verticalScrollBar() if pane.big else pane.plain.verticalScrollBar()
        scroll.setValue(scroll.maximum())
        await asyncio.sleep(LOOK_S)


async def measure_show_all(size: int = HUGE_BODY) -> ShowAllBenchResult:
    """Click "Show all" on a `size`-byte JSON body and look at every view; the GUI event loop's
    lag from the click until the last view was looked at."""
    QApplication.instance().setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    body = big_json(size)
    view = BodyView()
    view.resize(900, 600)
    view.show()
    ticks: list[float] = []
    timer = _ticker(ticks)
    try:
        await _until_rendered(view, lambda: view.set_body(body, "application/json"), 300)
        timer.start()
        await asyncio.sleep(0.2)  # the loop ticks steadily
        started = time.perf_counter()
        await _until_rendered(view, view.all_button.click, 300)
        finished = time.perf_counter()
        await _look_at_every_view(view)
    finally:
        timer.stop()
        view.close()
        view.deleteLater()
    lag_p99_ms, lag_max_ms = lag_since(started, ticks)
    return ShowAllBenchResult(
        size=len(body),
        shown_ms=round((finished - started) * 1000, 1),
        lag_p99_ms=lag_p99_ms,
        lag_max_ms=lag_max_ms,
    )


def lag_since(started: float, ticks: list[float]) -> tuple[float, float]:
    """The loop's lag (ms) between the ticks from `started` on: its p99 and its worst."""
    during = [started, *(tick for tick in ticks if tick > started)]
    lags = [(b - a) * 1000 - TICK_MS for a, b in itertools.pairwise(during)]
    return round(_percentile(lags, 0.99), 2), round(max(lags, default=0.0), 2)


def _capture(body: bytes) -> Capture:
    headers = Headers((("Host", "127.0.0.1"), ("Content-Type", "application/json")))
    return Capture(Request("POST", "/hook", headers, body), remote="127.0.0.1:1")


async def measure_compare(size: int = HUGE_BODY) -> CompareBenchResult:
    """Compare two `size`-byte JSON bodies that differ in a few values in the Compare dialog;
    the GUI event loop's lag until the differences are shown."""
    QApplication.instance().setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
    body = big_json(size)
    changed = body.replace(b'"id":1234,', b'"id":-1,', 1).replace(b'"batch":"A"', b'"batch":"B"')
    sides = {1: _capture(body), 2: _capture(changed)}
    dialog = CompareDialog(lambda a, b, cancelled: compare_captures(sides[a], sides[b], cancelled))
    dialog.show()
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def compared() -> None:
        if not done.done():
            done.set_result(None)

    dialog.compared.connect(compared)
    ticks: list[float] = []
    timer = _ticker(ticks)
    try:
        timer.start()
        await asyncio.sleep(0.2)  # the dialog is painted and the loop ticks steadily
        started = time.perf_counter()
        dialog.start(1, 2)
        await asyncio.wait_for(done, 300)
        finished = time.perf_counter()
        await asyncio.sleep(0.05)  # the tick after the result is shown
        if dialog.comparison is None:
            raise RuntimeError(dialog.status.text())
    finally:
        timer.stop()
        dialog.close()
        dialog.deleteLater()
    lag_p99_ms, lag_max_ms = lag_since(started, ticks)
    return CompareBenchResult(
        size=len(body),
        compared_ms=round((finished - started) * 1000, 1),
        lag_p99_ms=lag_p99_ms,
        lag_max_ms=lag_max_ms,
    )


OFFSCREEN_NOTICE = "This plugin does not support "


def quiet_offscreen_notices(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's message handler while the bench draws offscreen: the offscreen platform says it
    cannot pass a window's size hints on, each time they change (a dozen lines a run, none
    about the bench); every other message goes to stderr as Qt writes it."""
    if not message.startswith(OFFSCREEN_NOTICE):
        print(message, file=sys.stderr)


def run(rate: int = 500, seconds: float = 5.0) -> GuiBenchResult:
    no_display = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    if no_display and not os.environ.get("QT_QPA_PLATFORM"):  # unset or empty
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        qInstallMessageHandler(quiet_offscreen_notices)
    import qasync

    from hookscope.ui.app import GarbageCollector, application

    app = application()
    # Garbage is collected as in the app: on the GUI thread, from a timer. Left automatic, a
    # full collection runs on whichever thread allocates (the engine's, mostly) and holds the
    # interpreter lock meanwhile, which the window would not see in use.
    collector = GarbageCollector(app)
    collector.start()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            result = runner.run(measure(rate, seconds, freeze=True))
            result = replace(result, body=runner.run(measure_body()))
            result = replace(result, first_show=runner.run(measure_body(HUGE_BODY)))
            result = replace(result, show_all=runner.run(measure_show_all()))
            return replace(result, compare=runner.run(measure_compare()))
    finally:
        collector.stop()


def report(result: GuiBenchResult, as_json: bool) -> str:
    if as_json:
        return json.dumps(asdict(result), indent=2)
    lines = [
        f"the window open while capturing {result.rate} req/s for {result.seconds:g} s:",
        f"  event-loop lag  p50 {result.lag_p50_ms} ms   p99 {result.lag_p99_ms} ms"
        f"   (target p99 < 50 ms)   max {result.lag_max_ms} ms",
        f"  arrival to row in the list  p50 {result.list_p50_ms} ms"
        f"   p99 {result.list_p99_ms} ms   (target < 100 ms)",
        f"  captured {result.captured}, shown {result.shown}",
    ]
    for body in (result.body, result.first_show):
        if body is None:
            continue
        lines += [
            f"a {human_size(body.size)} JSON body in the body view (formatted off the GUI thread):",
            f"  set_body {body.set_body_ms} ms   shown in every view after {body.shown_ms} ms",
            f"  event-loop lag meanwhile  p99 {body.lag_p99_ms} ms   max {body.lag_max_ms} ms"
            "   (target: no more than a frame or two)",
        ]
    if result.show_all is not None:
        every = result.show_all
        lines += [
            f'"Show all" on a {human_size(every.size)} JSON body, then every view to its end:',
            f"  shown in every view after {every.shown_ms} ms",
            f"  event-loop lag meanwhile  p99 {every.lag_p99_ms} ms   max {every.lag_max_ms} ms"
            "   (target: no more than a frame or two)",
        ]
    if result.compare is not None:
        pair = result.compare
        lines += [
            f"two {human_size(pair.size)} JSON bodies compared:",
            f"  differences shown after {pair.compared_ms} ms",
            f"  event-loop lag meanwhile  p99 {pair.lag_p99_ms} ms   max {pair.lag_max_ms} ms"
            "   (target: no more than a frame or two)",
        ]
    return "\n".join(lines)
