"""Reads of the store that may be slow, off the GUI thread: the newest of each kind wins."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from hookscope.core.contentviews import Superseded
from hookscope.storage import reads

T = TypeVar("T")


class StoreReader:
    """A thread with its own read connection, for reads that may take long on the GUI thread:
    a capture with a 25 MB body, a count over a million captures.

    `read(kind, work)` runs `work(db)` there. A read of some kind supersedes the ones of the
    same kind asked for before it: those still waiting are skipped, and those done late raise
    Superseded instead of returning, so a slow answer about the previous selection can never
    overwrite the current one. `forget(kind)` supersedes without asking anew.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hookscope-reader")
        self._db: Database | None = None  # opened, used and closed on the reader's thread
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False

    def forget(self, kind: str) -> int:
        """Supersede the reads of this kind under way; the ticket of the next one."""
        with self._lock:
            ticket = self._latest.get(kind, 0) + 1
            self._latest[kind] = ticket
            return ticket

    def _current(self, kind: str, ticket: int) -> bool:
        with self._lock:
            return self._latest.get(kind) == ticket

    async def read(self, kind: str, work: Callable[[Database], T]) -> T:
        """`work(db)` on the reader's thread; Superseded when a newer read of `kind` came first,
        or when the reader is closed."""
        ticket = self.forget(kind)

        def job() -> T:
            if not self._current(kind, ticket):
                raise Superseded
            if self._db is None:
                self._db = reads.open_store(self._directory, check=False)
            return work(self._db)

        if self._closed:
            raise Superseded
        result = await asyncio.wrap_future(self._pool.submit(job))
        if not self._current(kind, ticket):
            raise Superseded
        return result

    def close(self) -> None:
        """Let the reads under way finish, then close the connection (on its own thread)."""
        if self._closed:
            return
        self._closed = True

        def close_db() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        try:
            self._pool.submit(close_db)
        except RuntimeError:
            # The interpreter is shutting down (a widget destroyed at exit): its threads are
            # gone, and SQLite closes the connection with the process.
            return
        self._pool.shutdown(wait=False)
