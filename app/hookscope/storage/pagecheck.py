"""The whole store's check, on a thread of its own, once the engine runs (large stores only).

`PRAGMA quick_check` reads every page: 6 s on a cached store of a million captures, 42 s from
a cold disk, in one step of SQLite 3.40 that a progress handler cannot stop. The engine's
writer therefore checks only the small tables of a large store as it opens it
(`db.open_deferring_check`) and starts this check once the engine runs. It reads through its
own connection (a snapshot: the writer keeps committing meanwhile) and says what it found
through `on_damage`; stopping interrupts it (`sqlite3.Connection.interrupt`, which SQLite
honours inside the check's walk of a b-tree).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hookscope.storage.db import BUSY_TIMEOUT_MS, check_result, failure
from hookscope.storage.paths import db_path

log = logging.getLogger(__name__)

# The check copies gigabytes out of the page cache: on two cores it took processor time from
# the window's start (1.50 s against 1.34 s without the check, medians of five on a million
# captures; 1.39 s at this niceness).
NICENESS = 19


def whole_check(conn: sqlite3.Connection, path: Path) -> str | None:
    """Every page of the store checked: the sentence for its damage, or None when sound."""
    (result,) = conn.execute("PRAGMA quick_check(1)").fetchone()
    return check_result(path, result)


class PageCheck:
    """Runs `whole_check` once on the thread `hookscope-check`.

    Attributes:
        done: set once the check ended (sound, damaged, failed or stopped).
    """

    def __init__(
        self, directory: Path, on_damage: Callable[[str], None], on_end: Callable[[], None]
    ) -> None:
        self._path = db_path(directory)
        self._on_damage = on_damage
        self._on_end = on_end
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.done = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hookscope-check", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Interrupt the check (it ends within milliseconds) and wait for the thread.

        Interrupted again until it ends: an interrupt reaches only the statement running at
        that moment, and the check may be just about to start its own.
        """
        with self._lock:
            self._stopping = True
        thread, deadline = self._thread, time.monotonic() + timeout
        while thread is not None and thread.is_alive() and time.monotonic() < deadline:
            with self._lock:
                if self._conn is not None:
                    self._conn.interrupt()
            thread.join(0.05)
        self._thread = None

    def _run(self) -> None:
        _yield_processor()
        try:
            problem = self._check()
        finally:
            self._on_end()
            self.done.set()
        if problem is not None:
            self._on_damage(problem)

    def _check(self) -> str | None:
        conn: sqlite3.Connection | None = None
        try:
            with self._lock:
                if self._stopping:
                    return None
                conn = self._conn = sqlite3.connect(
                    self._path, isolation_level=None, check_same_thread=False
                )
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA query_only=ON")
            return whole_check(conn, self._path)
        except sqlite3.OperationalError as exc:  # stopped, or the file could not be read
            if not self._stopping:
                log.warning("the store's pages were not checked: %s", exc)
            return None
        except sqlite3.DatabaseError as exc:  # malformed: the damage itself
            return failure(self._path, exc)
        finally:
            with self._lock:
                self._conn = None
                if conn is not None:
                    conn.close()


def _yield_processor() -> None:
    """Lower this thread's priority: on Linux a thread has its own niceness."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
