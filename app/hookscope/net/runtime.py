"""The network thread's runtime: its loop, quiet logs under attack, and file-limit caps."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import time
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from hookscope.core.model import ListenerSettings

log = logging.getLogger(__name__)


FILES_RESERVED = 64  # descriptors kept for the store, the logs and the sender


def fit_to_file_limit(settings: ListenerSettings) -> ListenerSettings:
    """Connection caps that this process's open-file limit can hold.

    Each capture connection may hold a socket and a spooled body file, each emulator
    connection a socket: past the limit, accept() fails and the listener stops answering.
    The soft limit is raised towards the hard one first, as servers do.
    """
    try:
        import resource
    except ImportError:  # not on Windows: its limits are far higher
        return settings
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FILES_RESERVED + settings.api_max_connections + 2 * settings.max_connections
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return settings
    room = max(soft - FILES_RESERVED, 16)
    api = min(settings.api_max_connections, max(room // 8, 4))
    capture = max((room - api) // 2, 4)
    log.warning(
        "the open-file limit (%d) holds %d capture and %d emulator connections at most",
        soft,
        capture,
        api,
    )
    return replace(
        settings,
        max_connections=min(settings.max_connections, capture),
        api_max_connections=api,
    )


class _OneLine(logging.Filter):
    """aiohttp logs every malformed request with a full traceback: a stranger could fill the
    log (and the disk) at will. Keep one line each, and at most a few lines a second."""

    def __init__(self, per_second: float = 5.0) -> None:
        super().__init__()
        self._per_second = per_second
        self._allowance = per_second
        self._last = time.monotonic()
        self._dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        self._allowance = min(
            self._per_second, self._allowance + (now - self._last) * self._per_second
        )
        self._last = now
        if self._allowance < 1:
            self._dropped += 1
            return False
        self._allowance -= 1
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            reason = " ".join(str(error).split())[:200]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {reason}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        if self._dropped:
            record.msg = f"{record.getMessage()} ({self._dropped} similar lines dropped)"
            record.args = None
            self._dropped = 0
        return True


_ONE_LINE = _OneLine()


def quiet_parse_errors() -> None:
    """Install the one-line, rate-limited filter on aiohttp's server log (once)."""
    logger = logging.getLogger("aiohttp.server")
    if _ONE_LINE not in logger.filters:
        logger.addFilter(_ONE_LINE)


class _AcceptErrors:
    """The loop's exception handler: asyncio reports every failed accept() (out of file
    descriptors under a connection flood) with a traceback; say it once a minute instead."""

    def __init__(self) -> None:
        self._last = -60.0
        self._dropped = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != "socket.accept() out of system resource":
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last < 60:
            self._dropped += 1
            return
        self._last = now
        more = f" ({self._dropped} more since the last report)" if self._dropped else ""
        log.warning("cannot accept connections: %s%s", context.get("exception"), more)
        self._dropped = 0


def new_network_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed (a dependency wherever it has wheels), else asyncio's.

    Only the network thread's loop: the window's is qasync's. Set HOOKSCOPE_LOOP=asyncio to
    keep asyncio's loop with uvloop installed.
    """
    if os.environ.get("HOOKSCOPE_LOOP", "") != "asyncio":
        try:
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            pass
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


def run_network_loop(ready: Future[asyncio.AbstractEventLoop]) -> None:
    """Run a new event loop in this thread until stopped; hand it out through `ready`."""
    loop = new_network_loop()
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_AcceptErrors())
    ready.set_result(loop)
    try:
        loop.run_forever()
    finally:
        # As asyncio.run() does: nothing left pending when the loop closes (aiohttp leaves
        # tasks of connections the listener already hung up on).
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())  # spooled bodies' readers
        loop.close()
