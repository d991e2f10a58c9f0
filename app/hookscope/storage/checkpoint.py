"""WAL checkpoints on a thread of their own, so no commit waits for one.

SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: copying the pages
back and syncing the file stalled that group's acknowledgements for 44-58 ms. The writer turns
that off on its connection (`wal_autocheckpoint=0`); this thread checkpoints PASSIVE (it never
waits for the writer or a reader, and the writer keeps committing meanwhile) shortly after
commits. Durability is unchanged: in WAL with synchronous=NORMAL a commit is in the WAL when
COMMIT returns, checkpointed or not. If the WAL still grows past WAL_LIMIT (a long read holding
old pages, or commits that never pause), the writer checkpoints itself between two groups.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from hookscope.storage.db import connect
from hookscope.storage.paths import db_path

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between two checkpoints while commits keep coming
# Under steady commits a PASSIVE checkpoint never quite catches up, so the WAL never starts
# over and grows. Past this size, right after a PASSIVE one has copied nearly everything, a
# RESTART checkpoint copies the rest (holding the writer only for that short remainder) and
# lets the next commit start the WAL from its beginning.
RESTART_AT = 16 * 1024 * 1024
WAL_LIMIT = 64 * 1024 * 1024  # bytes of WAL past which the writer checkpoints itself


def defer_checkpoints(conn: sqlite3.Connection) -> None:
    """No checkpoint inside this connection's commits: they are the Checkpointer's work."""
    conn.execute("PRAGMA wal_autocheckpoint=0")


def wal_too_large(directory: Path, limit: int | None = None) -> bool:
    """Whether the store's WAL passed `limit` bytes (WAL_LIMIT by default)."""
    try:
        size = Path(f"{db_path(directory)}-wal").stat().st_size
    except OSError:
        return False
    return size > (WAL_LIMIT if limit is None else limit)


def checkpoint(conn: sqlite3.Connection, mode: str = "PASSIVE") -> None:
    """One checkpoint; PASSIVE goes as far as it can without waiting for anyone."""
    try:
        conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
    except sqlite3.Error as exc:  # a busy or full disk: the next one tries again
        log.warning("WAL checkpoint not done (tried again later): %s", exc)


class Checkpointer:
    """A thread with its own connection that checkpoints the WAL after commits."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._committed = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._restarts_held = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hookscope-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called by the writer after a commit: a checkpoint is due soon."""
        self._committed.set()

    def hold_restarts(self, hold: bool) -> None:
        """No RESTART checkpoint while `hold`: a long read is running (the store's background
        check), and a RESTART would keep the writer waiting for it up to the busy timeout."""
        self._restarts_held = hold

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        self._committed.set()
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            conn = connect(db_path(self._directory))
        except sqlite3.Error as exc:
            log.warning("no WAL checkpoints off the commit path: %s", exc)
            return
        try:
            while not self._stopping.is_set():
                self._committed.wait()
                self._committed.clear()
                if self._stopping.is_set():
                    return
                checkpoint(conn)
                if not self._restarts_held and wal_too_large(self._directory, RESTART_AT):
                    checkpoint(conn, "RESTART")
                self._stopping.wait(INTERVAL)  # commits meanwhile: the next checkpoint
        finally:
            conn.close()
