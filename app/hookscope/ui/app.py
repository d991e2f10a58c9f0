"""The desktop app's composition root: Qt application, qasync loop, engine, main window."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_API", "pyside6")  # qasync picks its Qt binding from this

import qasync
from PySide6.QtCore import QObject, Qt, QTimer, qVersion
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox

from hookscope import __version__
from hookscope.engine import Engine, EngineError
from hookscope.memory import freeze_startup_objects
from hookscope.stopsignals import StopSignals
from hookscope.storage.reads import StoreError, open_store
from hookscope.ui.icons import DESKTOP_ID, app_icon
from hookscope.ui.tray import Tray
from hookscope.ui.welcome import should_welcome
from hookscope.ui.window import MainWindow


def application() -> QApplication:
    """The one QApplication (made once; tests and the app share it)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    brand(app)
    return app


def brand(app: QApplication) -> None:
    """Names and icon the desktop shows for the app."""
    app.setApplicationName("Hookscope")
    app.setApplicationDisplayName("Hookscope")
    app.setApplicationVersion(__version__)
    # The .desktop file's name: desktops match the window to its menu entry and icon by it.
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())


class GarbageCollector(QObject):
    """Python's cycle collector, run on the GUI thread only.

    The engine's threads allocate all the time, so an automatic collection could run there and
    destroy a Qt object (and its timers) off the GUI thread, which Qt refuses. As qutebrowser
    does: automatic collection off, the same generations collected from a GUI-thread timer.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def check(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


def run(directory: Path, overrides: dict[str, Any] | None = None) -> int:
    """Open the window and run until it is closed; the exit status."""
    app = application()
    # Before the loop starts: asyncio.Runner leaves SIGINT alone when a handler is installed.
    signals = StopSignals()
    signals.install()
    collector = GarbageCollector(app)
    collector.start()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            return runner.run(main(directory, overrides or {}, signals))
    finally:
        collector.stop()


async def main(
    directory: Path, overrides: dict[str, Any], signals: StopSignals | None = None
) -> int:
    # Closing the window must not stop the loop before the engine has shut down (see
    # docs/architecture.md, "Qt and asyncio in one thread").
    application().setQuitOnLastWindowClosed(False)
    engine = Engine(directory, overrides=overrides)
    try:
        # The listener starts once the window shows, so a port in use is explained there.
        await asyncio.to_thread(engine.start, listen=False)
        db = open_store(directory, check=False)  # the engine checked it as it started
    except (EngineError, StoreError) as exc:
        await asyncio.to_thread(engine.stop)
        print(f"hookscope: {exc}", file=sys.stderr)
        if QApplication.platformName() != "offscreen":  # somebody is there to read it
            await tell_and_wait("Hookscope cannot start", str(exc))
        return 1
    try:
        window = MainWindow(engine, db)
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        window.show()
        watch = _close_on_signals(window, signals)
        for warning in engine.warnings:
            window.statusBar().showMessage(warning)
        if await window.start_listener() and sys.stdout is not None:
            # As `serve` does: scripts and terminals learn the port (also with --port 0).
            print(f"listening on {engine.url}", flush=True)
        if await window.start_api() and sys.stdout is not None:
            print(f"kardow api on {engine.api_url}", flush=True)
        window.tray = Tray(window)
        freeze_startup_objects()  # the window is up: what lives on is left out of collections
        if should_welcome(db):
            window.open_welcome()
        await closed.wait()
        await window.settle()
    finally:
        watch.stop()
        # In-flight deliveries are answered and committed before the engine lets go.
        await asyncio.to_thread(engine.stop)
        db.close()
    return 0


def _close_on_signals(window: MainWindow, signals: StopSignals | None) -> QTimer:
    """Ctrl+C in the terminal (or SIGTERM) closes the window as its close button does.

    The signal handler only sets a flag (see hookscope.stopsignals); this timer reads it, and
    also gives Python the chance to run the handler while Qt's loop waits.
    """
    timer = QTimer(window, interval=200)
    if signals is not None:

        def check() -> None:
            if signals.stopping:
                window.close_without_asking()

        timer.timeout.connect(check)
        timer.start()
    return timer


async def tell_and_wait(title: str, text: str) -> None:
    """Show an error and wait until it is dismissed, without blocking the loop."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    done = asyncio.Event()
    box.finished.connect(lambda _: done.set())
    box.open()
    await done.wait()


async def _draw_window(directory: Path) -> tuple[QPixmap, int]:
    """The real window on the store in `directory`, drawn once, then closed: the picture."""
    engine = Engine(directory, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    await asyncio.to_thread(engine.start, listen=False)
    db = open_store(directory)
    try:
        window = MainWindow(engine, db)
        window.resize(1000, 700)
        window.show()
        await asyncio.sleep(0.1)
        picture = window.grab()
        tabs = window.tabs.count()
        window.close_without_asking()
        await window.settle()
        window.deleteLater()
        await asyncio.sleep(0)
    finally:
        db.close()
        await asyncio.to_thread(engine.stop)
    return picture, tabs


def gui_selfcheck() -> str:
    """Build and draw the real window on a throwaway store; what was drawn, or raise.

    For `hookscope selfcheck --gui`: proves Qt, its platform plugin, the icon and the window
    all load from this install (a bundle that lost a Qt plugin fails here, not in a user's
    hands).
    """
    import tempfile

    app = application()
    icon = app.windowIcon()
    if icon.isNull() or not icon.availableSizes():
        raise RuntimeError("the app icon did not load from the packaged PNGs")
    # On the qasync loop, as the app runs it: the window reads and counts on coroutines, and
    # closing it does not stop the loop.
    app.setQuitOnLastWindowClosed(False)
    with (
        tempfile.TemporaryDirectory(prefix="hookscope-selfcheck-") as tmp,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        picture, tabs = runner.run(_draw_window(Path(tmp)))
    if picture.isNull() or picture.width() < 100:
        raise RuntimeError("the window could not be drawn")
    sizes = sorted(size.width() for size in icon.availableSizes())
    return (
        f"Qt {qVersion()} on the {app.platformName()} platform: window drawn at "
        f"{picture.width()}x{picture.height()} with {tabs} tabs; icon sizes {sizes}"
    )
