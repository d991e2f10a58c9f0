"""Load for the measurements: signed Kardow deliveries, sent at a fixed rate.

Shared by `hookscope bench` and the window's measurement (`bench --gui`, which runs `paced` in a
child process), so both sign with the same secret and measure latency the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections import deque
from typing import cast
from urllib.parse import urlsplit

import httptools

BENCH_SECRET = b"bench-secret-0123456789abcdef"


def kardow_delivery(size: int = 1024) -> tuple[bytes, dict[str, str]]:
    """A signed Kardow `job.created` delivery of about `size` bytes."""
    envelope = {
        "event": "job.created",
        "organization_id": 42,
        "timestamp": "2025-07-19T12:00:00.000Z",
        "data": {
            "job_id": "abc-123",
            "title": "Senior Engineer",
            "company_name": "Acme Inc",
            "status": "active",
            "location": "Remote",
            "description": "",
        },
    }
    base = len(json.dumps(envelope).encode())
    envelope["data"]["description"] = "x" * max(0, size - base)  # type: ignore[index]
    body = json.dumps(envelope).encode()
    signature = hmac.new(BENCH_SECRET, body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Kardow-Signature": signature}


async def paced(url: str, rate: int, seconds: float) -> list[float]:
    """Send at a fixed rate; latency counts from when each request was due (no omission).

    A lean sender (pre-encoded requests on kept-alive connections, llhttp parsing the answers):
    on a 2-core machine a general HTTP client at 500 req/s takes a quarter of a core from the
    server it measures; this one a few percent. A request that is due while every connection
    waits for its answer opens another connection (at most MAX_CONNECTIONS).
    """
    body, headers = kardow_delivery()
    pacer = _Pacer(url, body, headers, int(rate * seconds))
    async with asyncio.timeout(seconds + ANSWER_TIMEOUT):
        return await pacer.run(rate)


MAX_CONNECTIONS = 256
ANSWER_TIMEOUT = 30.0  # seconds past the last due request before giving up on answers


class _Pacer:
    """Sends one pre-encoded request at each due time and collects the answers' latencies."""

    def __init__(self, url: str, body: bytes, headers: dict[str, str], count: int) -> None:
        target = urlsplit(url)
        self._host, self._port = target.hostname or "127.0.0.1", target.port or 80
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        head = [f"POST {path} HTTP/1.1", f"Host: {target.netloc}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        self._request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        self._count = count
        self._loop = asyncio.get_running_loop()
        self._finished: asyncio.Future[None] = self._loop.create_future()
        self._idle: list[_Connection] = []
        self._live: set[_Connection] = set()  # open, or being opened
        self._waiting: deque[float] = deque()  # dues no connection could take yet
        self._resent: set[float] = set()  # dues sent again after their connection was lost
        self._sending: set[asyncio.Task[None]] = set()
        self.latencies: list[float] = []

    async def run(self, rate: int) -> list[float]:
        start = self._loop.time() + 0.1
        timers = [
            self._loop.call_at(start + i / rate, self._fire, start + i / rate)
            for i in range(self._count)
        ]
        try:
            if self._count:
                await self._finished
        finally:  # failed or done: nothing more is sent
            for timer in timers:
                timer.cancel()
            for task in list(self._sending):
                task.cancel()
            for connection in list(self._live):
                connection.close()
        return self.latencies

    def _fire(self, due: float) -> None:
        while self._idle:
            connection = self._idle.pop()
            if connection.open:
                connection.send(self._request, due)
                return
        if len(self._live) >= MAX_CONNECTIONS:
            self._waiting.append(due)
            return
        connection = _Connection(self)
        self._live.add(connection)
        task = self._loop.create_task(self._open(connection, due))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _open(self, connection: _Connection, due: float) -> None:
        try:
            await self._loop.create_connection(lambda: connection, self._host, self._port)
        except OSError as exc:
            self._live.discard(connection)
            self.fail(exc)
            return
        connection.send(self._request, due)

    def answered(self, connection: _Connection, due: float, status: int) -> None:
        if not 200 <= status < 300:
            self.fail(ConnectionError(f"the server answered {status}, not 2xx"))
            return
        self.latencies.append(self._loop.time() - due)
        if len(self.latencies) == self._count and not self._finished.done():
            self._finished.set_result(None)
        if self._waiting and connection.open:
            connection.send(self._request, self._waiting.popleft())
        elif connection.open:
            self._idle.append(connection)
        elif self._waiting:  # the server closed it after answering: another takes the next
            self._fire(self._waiting.popleft())

    def lost(self, connection: _Connection, due: float | None, *, answering: bool) -> None:
        """`connection` closed; `due`: the request it carried, unanswered (None: none)."""
        self._live.discard(connection)
        if due is not None:
            if answering or due in self._resent:
                self.fail(ConnectionError("the connection closed before the answer came"))
                return
            # Closed as the request went out (an idle connection the server was closing):
            # sent again once, still counted from when it was due.
            self._resent.add(due)
            self._fire(due)
        if self._waiting and len(self._live) < MAX_CONNECTIONS:
            self._fire(self._waiting.popleft())

    def fail(self, error: Exception) -> None:
        if not self._finished.done():
            self._finished.set_exception(error)


class _Connection(asyncio.Protocol):
    """One kept-alive connection of `paced`: a request at a time, its answer parsed by llhttp."""

    def __init__(self, pacer: _Pacer) -> None:
        self._pacer = pacer
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._due: float | None = None  # the request in flight, if any
        self._answering = False  # bytes of its answer have come
        self.open = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self.open = True

    def send(self, request: bytes, due: float) -> None:
        assert self._transport is not None
        self._due = due
        self._answering = False
        self._transport.write(request)

    def data_received(self, data: bytes) -> None:
        self._answering = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.close()
            self._pacer.fail(ConnectionError(f"a malformed answer: {exc}"))

    def on_message_complete(self) -> None:  # called by the parser
        due, self._due = self._due, None
        if not self._parser.should_keep_alive():
            self.close()
        if due is not None:
            self._pacer.answered(self, due, self._parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        due, self._due = self._due, None
        self._pacer.lost(self, due, answering=self._answering)

    def close(self) -> None:
        self.open = False
        if self._transport is not None:
            self._transport.close()
