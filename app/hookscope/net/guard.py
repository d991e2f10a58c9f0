"""Connection budgets for a listening port: a cap that gives way to new senders, deadlines for
slow heads, honest refusals, and answers to senders that half-close.

A cap alone is no defence: an attacker can always open more connections than any cap. So at
the cap the guard closes the connection that has made the least progress (a slow-loris one
trickling a byte every few seconds, an idle keep-alive one) and accepts the new one; only when
every connection is young or has already sent its whole request does a newcomer get a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from hookscope.core.tasks import spawn

log = logging.getLogger(__name__)

REFUSAL_LINGER = 1.0  # seconds a refused connection is read from, so the 503 is not lost to a RST
MAX_LINGERING = 256  # refused connections lingering at once; past it they are dropped at once
MAX_HEAD_LINE = 16 * 1024
_NOT_ASCII = re.compile(rb"[\x80-\xff]")
_REQUEST_LINE = re.compile(rb"[A-Z]{1,20} (?P<target>/[\x21-\xff]*) HTTP/1\.[01]\r?")


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """How many connections a port keeps, and how long a request head may take.

    Attributes:
        max_connections: open connections at most; at the cap the slowest one gives way.
        head_timeout: seconds a connection may take to send a whole request head, counted from
            its opening or the end of its previous request.
        grace: a connection younger than this is never closed to make room.
        retry_after: seconds a refused sender is told to wait.
    """

    max_connections: int = 512
    head_timeout: float = 30.0
    grace: float = 1.0
    retry_after: int = 1


class Connection(asyncio.Protocol):
    """One accepted connection: hands bytes to aiohttp's handler and counts them.

    Attributes:
        handler: aiohttp's protocol for this connection.
        in_flight: requests being handled (their head has arrived, no answer yet).
        received_whole: the current request's body has arrived whole (never evicted then).
        cut_by_eof: the sender half-closed before its body was complete.
    """

    def __init__(self, guard: ConnectionGuard, handler: RequestHandler) -> None:
        self.guard = guard
        self.handler = handler
        self.transport: asyncio.Transport | None = None
        now = guard.now()
        self.opened = now
        self.phase_start = now
        self.phase_bytes = 0
        self.in_flight = 0
        self.received_whole = False
        self.peer_eof = False
        self.cut_by_eof = False
        self.eof_at: float | None = None
        self.expect_head = True
        self._targets: dict[str, str] = {}

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's do not derive from asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.phase_bytes += len(data)
        if self.expect_head:
            data = self._take_head(data)
            if not data:
                return
        self.handler.data_received(data)

    def eof_received(self) -> bool:
        """The sender half-closed: it may still read our answer, so keep our side open."""
        self.peer_eof = True
        self._end_bodies()
        if self.phase_bytes == 0:
            self.close()  # an idle keep-alive connection: nothing to answer
            return True
        # Answer what arrived, then close: aiohttp closes after the current request. A head
        # that can never be completed is closed by the sweeper.
        self.eof_at = self.guard.now()
        self.handler.close()
        return True

    def abandoned(self, now: float) -> bool:
        """Half-closed a while ago with nothing left to answer."""
        handler = self.handler
        return (
            self.eof_at is not None
            and now - self.eof_at > 1.0
            and self.in_flight == 0
            and not getattr(handler, "_messages", ())
            and not getattr(handler, "_request_in_progress", False)
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.removed(self)
        self.handler.connection_lost(exc)

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    # -- what the guard and the request handlers use ------------------------------------------

    def rate(self, now: float) -> float:
        """Bytes per second received since the current request began."""
        return self.phase_bytes / max(now - self.phase_start, 1e-3)

    def begin(self) -> None:
        self.in_flight += 1
        if self.peer_eof:  # the sender half-closed before this request's handler started
            self._end_bodies()

    def _end_bodies(self) -> None:
        """A body still incomplete after the sender half-closed never will be: end it, so its
        reader sees the cut at once instead of waiting out a timeout (aiohttp itself only
        notices a full close)."""
        # aiohttp's own fields (read defensively: they are not public API).
        request = getattr(self.handler, "_current_request", None)
        payloads = [payload for _, payload in getattr(self.handler, "_messages", ())]
        if request is not None:
            payloads.append(request.content)
        for payload in payloads:
            if not payload.is_eof():
                self.cut_by_eof = True
                payload.feed_eof()

    def end(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self.phase_start = self.guard.now()
            self.phase_bytes = 0
            self.received_whole = False
            self.expect_head = True

    def original_target(self, target: str) -> str:
        """The request target as sent, where non-ASCII bytes were escaped for the parser."""
        return self._targets.pop(target, target)

    def close(self) -> None:
        """Drop the connection at once (no lingering: it made no progress worth keeping)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    # -- request lines with raw non-ASCII bytes -----------------------------------------------

    def _take_head(self, data: bytes) -> bytes:
        """Escape raw non-ASCII bytes in the target of a request line starting this chunk.

        aiohttp's parser refuses a target with raw bytes over 0x7f (some senders write UTF-8
        paths unescaped). They are passed to it percent-escaped, and the capture gets the
        target back exactly as sent through `original_target`. Only a whole request line at
        the start of a chunk is touched (nothing is held back waiting for one: that could
        stall a pipelined body), and only one that is unmistakably a request line.
        """
        self.expect_head = False
        end = data.find(b"\n", 0, MAX_HEAD_LINE)
        if end < 0:
            return data
        line = data[:end]
        if line.isascii():
            return data
        match = _REQUEST_LINE.fullmatch(line)
        if match is None:
            return data
        target = match["target"]
        escaped = _NOT_ASCII.sub(lambda m: b"%%%02X" % m.group()[0], target)
        self._targets[escaped.decode("ascii")] = target.decode("utf-8", "surrogateescape")
        return data[: match.start("target")] + escaped + data[match.end("target") :]


class _Refusal(asyncio.Protocol):
    """Answers 503 with Retry-After, then reads what the sender still sends until it hangs up
    (briefly): closing a socket with unread data sends a reset that can erase the answer."""

    def __init__(self, guard: ConnectionGuard) -> None:
        self._guard = guard
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, stream: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's do not derive from asyncio.Transport.
        self._transport = transport = cast(asyncio.Transport, stream)
        body = (
            b'{"error": {"code": "too_many_connections", "message": '
            b'"Too many open connections; try again shortly."}}'
        )
        transport.write(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Retry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
            % (self._guard.limits.retry_after, len(body), body)
        )
        if self._guard.lingering >= MAX_LINGERING:
            transport.close()
            return
        self._guard.lingering += 1
        if transport.can_write_eof():
            transport.write_eof()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(REFUSAL_LINGER, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # the request is not read: it was refused

    def eof_received(self) -> bool:
        assert self._transport is not None
        self._transport.close()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._guard.lingering -= 1


class ConnectionGuard:
    """Counts a port's connections and keeps it answering under a flood of slow ones.

    Attributes:
        limits: the cap and deadlines.
        evicted: connections closed to make room for a newer one.
    """

    def __init__(self, factory: Callable[[], RequestHandler], limits: GuardLimits) -> None:
        self._factory = factory
        self.limits = limits
        self._connections: dict[RequestHandler, Connection] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self.lingering = 0
        self.evicted = 0

    @staticmethod
    def now() -> float:
        return time.monotonic()

    def __len__(self) -> int:
        return len(self._connections)

    def protocol(self) -> asyncio.BaseProtocol:
        """The protocol factory for the listening socket."""
        if len(self._connections) >= self.limits.max_connections:
            victim = self._victim(self.now())
            if victim is None:
                return _Refusal(self)
            self._drop(victim)
            self.evicted += 1
        # Counted from now, not from connection_made: a burst of accepts creates several
        # protocols before the first of them is connected.
        connection = Connection(self, self._factory())
        self._connections[connection.handler] = connection
        return connection

    def connection(self, handler: Any) -> Connection | None:
        return self._connections.get(handler)

    @contextlib.contextmanager
    def active(self, handler: Any) -> Iterator[Connection | None]:
        """Mark a request in flight on its connection while the block runs."""
        connection = self._connections.get(handler)
        if connection is not None:
            connection.begin()
        try:
            yield connection
        finally:
            if connection is not None:
                connection.end()

    def in_flight(self) -> int:
        return sum(c.in_flight for c in self._connections.values())

    def removed(self, connection: Connection) -> None:
        if self._connections.get(connection.handler) is connection:
            del self._connections[connection.handler]

    def start(self) -> None:
        self._sweeper = spawn(self._sweep(), name="connection-guard-sweeper")

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def _victim(self, now: float) -> Connection | None:
        """The connection that has made the least progress and may give way, if any."""
        best: Connection | None = None
        best_key: tuple[float, int, float] | None = None
        for connection in self._connections.values():
            if connection.received_whole or now - connection.opened < self.limits.grace:
                continue
            key = (connection.rate(now), connection.in_flight, connection.phase_start)
            if best_key is None or key < best_key:
                best, best_key = connection, key
        return best

    def _drop(self, connection: Connection) -> None:
        self.removed(connection)
        connection.close()

    async def _sweep(self) -> None:
        """Close connections that have not sent a whole request head in time."""
        limit = self.limits.head_timeout
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            now = self.now()
            for connection in list(self._connections.values()):
                idle = connection.in_flight == 0 and now - connection.phase_start > limit
                if idle or connection.abandoned(now):
                    self._drop(connection)


class GuardedSite(web.BaseSite):
    """A TCP site whose protocol factory can refuse connections over the limit."""

    def __init__(
        self,
        runner: web.BaseRunner,
        factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
    ) -> None:
        super().__init__(runner, backlog=1024)
        self._factory = factory
        self._sock = sock

    @property
    def name(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, sock=self._sock, backlog=1024)
