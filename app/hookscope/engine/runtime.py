"""The engine's runtime: the network thread and its loop, the one writer, the engine's reader."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from hookscope.net.runtime import run_network_loop
from hookscope.storage.db import StoreError
from hookscope.storage.writer import CaptureWriter

log = logging.getLogger(__name__)

T = TypeVar("T")

CapturesListener = Callable[[list[int]], None]


class EngineError(Exception):
    """The engine cannot start or do what was asked; the message is meant for the user."""


class Runtime:
    """Owns the network thread with its event loop, and the single writer.

    Attributes:
        directory: the data directory.
        reader: the engine loop's own read connection (open while running).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.reader: Database | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writer: CaptureWriter | None = None
        self._listeners: list[CapturesListener] = []
        self._pruned_listeners: list[CapturesListener] = []

    @property
    def writer(self) -> CaptureWriter:
        assert self._writer is not None, "the engine is not running"
        return self._writer

    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self, timeout: float) -> None:
        """Start the writer and the network thread; EngineError when the store cannot open."""
        self._writer = CaptureWriter(
            self.directory, on_committed=self._committed, on_pruned=self._pruned
        )
        try:
            self._writer.start()
        except StoreError as exc:
            self._writer = None
            raise EngineError(str(exc)) from exc
        ready: Future[asyncio.AbstractEventLoop] = Future()
        self._thread = threading.Thread(
            target=run_network_loop, args=(ready,), name="hookscope-network", daemon=True
        )
        self._thread.start()
        self._loop = ready.result(timeout)

    def stop(self, shutdown: Coroutine[Any, Any, None] | None, timeout: float) -> None:
        """Run `shutdown` on the loop, stop the loop and the thread, then close the writer."""
        if self._loop is not None and self._thread is not None:
            if shutdown is not None:
                try:
                    self.call(shutdown).result(timeout)
                except Exception:
                    log.exception("engine shutdown")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
        elif shutdown is not None:
            shutdown.close()
        if self._writer is not None:
            self._writer.close(timeout)
        self._loop = None
        self._thread = None
        self._writer = None

    def call(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Run a coroutine on the engine loop, from any thread."""
        if self._loop is None:
            coro.close()
            raise EngineError("The engine is not running.")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def write(self, fn: Callable[[Database], T]) -> T:
        """Run `fn` with the writer's connection, on the writer thread, and wait for it."""
        return await asyncio.wrap_future(self.writer.call(fn))

    def on_captures(self, listener: CapturesListener) -> None:
        """Call `listener(ids)` after each commit of new captures (on the writer thread)."""
        self._listeners.append(listener)

    def on_pruned(self, listener: CapturesListener) -> None:
        """Call `listener(ids)` after each batch of captures retention deleted (writer thread)."""
        self._pruned_listeners.append(listener)

    def _pruned(self, ids: list[int]) -> None:
        for listener in self._pruned_listeners:
            try:
                listener(ids)
            except Exception:
                log.exception("pruned captures listener")

    def announce_captures(self, ids: list[int]) -> None:
        """Tell the listeners of captures committed by a job of their own (an import)."""
        self._committed(ids)

    def _committed(self, ids: list[int]) -> None:
        for listener in self._listeners:
            try:
                listener(ids)
            except Exception:
                log.exception("captures listener")
