"""The capture listener: any method, any path, stored byte-exact before it is acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from hookscope.core.checks import is_loopback as is_loopback  # re-exported
from hookscope.core.fire import replay_link
from hookscope.core.http import Headers, Request, join_target
from hookscope.core.model import (
    Capture,
    ListenerSettings,
    ResponseRule,
    Stored,
    Verdict,
    utc_now,
)
from hookscope.net.bodies import MemoryBudget, SpooledBody
from hookscope.net.guard import (
    Connection,
    ConnectionGuard,
    GuardedSite,
    GuardLimits,
)
from hookscope.net.runtime import fit_to_file_limit, quiet_parse_errors
from hookscope.net.wire import WireAnswer

log = logging.getLogger(__name__)

StoreFn = Callable[[Capture, ResponseRule], Awaitable[Stored]]
RuleFn = Callable[[str, str], ResponseRule]

READ_CHUNK = 256 * 1024
SHUTDOWN_TIMEOUT = 10.0
RETRY_AFTER = 2  # seconds a sender refused for lack of room is told to wait
_UNJUDGED = Verdict()  # shared until the verdict is set, instead of a new one per capture


class ListenError(Exception):
    """The listener cannot bind; the message is meant for the user."""


def _error_rule(
    status: int, code: str, message: str, *, retry_after: int | None = None
) -> ResponseRule:
    """A refusal that is still recorded: the body names the capture that kept the evidence."""
    body = json.dumps({"error": {"code": code, "message": message}, "capture_id": 0})
    headers = [("Content-Type", "application/json"), ("Connection", "close")]
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    return ResponseRule(
        pattern="*",
        status=status,
        body=body.replace('"capture_id": 0', '"capture_id": {capture_id}'),
        headers=tuple(headers),
    )


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class CaptureServer:
    """The capture listener.

    Captures go to `store` unjudged (their verdict the default): the store sets it (the
    engine's writer judges each group of captures together, in the order they came).

    Attributes:
        port: the bound port (known after `start`, also when 0 was asked for).
        captured: captures committed since start.
        guard: the connection budget (after `start`).
        budget: the memory budget for bodies in flight.
    """

    def __init__(
        self,
        settings: ListenerSettings,
        *,
        store: StoreFn,
        rule_for: RuleFn,
        spool_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._rule_for = rule_for
        self._spool_dir = spool_dir
        self._runner: web.ServerRunner | None = None
        self._site: GuardedSite | None = None
        self.guard: ConnectionGuard | None = None
        self.budget = MemoryBudget(settings.memory_budget)
        self.port = 0
        self.captured = 0

    @property
    def url(self) -> str:
        host = self.settings.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        self.settings = s = fit_to_file_limit(self.settings)
        server = web.Server(
            self._handle,
            # Keep Content-Encoding bodies (gzip, ...) exactly as received; views decode later.
            auto_decompress=False,
            max_field_size=s.max_field_size,
            max_line_size=s.max_field_size,
            max_headers=s.max_headers,
            keepalive_timeout=max(s.idle_timeout, 1.0),
            access_log=None,
        )
        quiet_parse_errors()
        self._runner = web.ServerRunner(server, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        try:
            sock = bind_socket(s.host, s.port)
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            reason = exc.strerror or str(exc)
            raise ListenError(f"Cannot listen on {s.host}:{s.port}: {reason}.") from exc
        self.port = sock.getsockname()[1]
        limits = GuardLimits(max_connections=s.max_connections, head_timeout=s.header_timeout)
        self.guard = ConnectionGuard(server, limits)
        self._site = GuardedSite(self._runner, self.guard.protocol, sock)
        await self._site.start()
        self.guard.start()

    async def stop(self) -> None:
        """Stop accepting, let in-flight captures commit and answer, then close."""
        if self._site is not None:
            # Stop accepting, then let requests already in flight finish arriving: aiohttp's
            # own shutdown stops reading from connections at once, which would cut a body
            # mid-upload and lose a delivery the sender is still sending.
            await self._site.stop()
            self._site = None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SHUTDOWN_TIMEOUT
            # A short poll, only while stopping: the count moves in every handler.
            while self.in_flight() and loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        if self.guard is not None:
            self.guard.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def in_flight(self) -> int:
        """Requests whose head has arrived and which are not answered yet."""
        return self.guard.in_flight() if self.guard is not None else 0

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        assert self.guard is not None
        connection = self.guard.connection(request.protocol)
        if connection is None:  # not one of ours (cannot happen): capture it all the same
            return await self._capture(request, None)
        connection.begin()
        try:
            return await self._capture(request, connection)
        finally:
            connection.end()

    async def _capture(
        self, request: web.BaseRequest, connection: Connection | None
    ) -> web.StreamResponse:
        received_at = utc_now()
        started = time.monotonic()
        body = SpooledBody(self.budget, self.settings.spool_threshold, self._spool_dir)
        try:
            problem = await self._read_body(request, body, connection)
            data = await body.whole(self.settings.memory_wait)
            if data is None:
                data = body.head(self.settings.spool_threshold)
                problem = problem or _busy_rule()
            receive_ms = (time.monotonic() - started) * 1000
            capture = self._record(
                request, connection, received_at, data, problem, receive_ms=receive_ms
            )
            rule = problem or self._rule_for(capture.method, capture.path)
            try:
                stored = await self._store(capture, rule)
            except Exception as exc:  # the store refused: never acknowledge what was not kept
                log.error("capture not stored: %s", exc)
                answer = json_error(503, "not_stored", f"The capture could not be stored: {exc}")
                answer.headers["Retry-After"] = str(RETRY_AFTER)
                return answer
        finally:
            body.release()  # stored (or refused): the memory is free before any rule's delay
        self.captured += 1
        if stored.delay_ms:
            await asyncio.sleep(stored.delay_ms / 1000)
        # The stored answer carries every header (Date, Server, Content-Length, ...: see
        # rules.as_sent), so the server adds none of its own and the sender gets what is kept.
        close = problem is not None or (connection is not None and connection.peer_eof)
        return WireAnswer(stored.response, close=close)

    def _record(
        self,
        request: web.BaseRequest,
        connection: Connection | None,
        received_at: datetime,
        body: bytes,
        problem: ResponseRule | None,
        *,
        receive_ms: float,
    ) -> Capture:
        """The capture of what arrived, its verdict still to be set (see the class)."""
        target = request.raw_path
        if connection is not None:
            target = connection.original_target(target)
        # The store keeps path and query apart: a "?" before an empty query is not kept.
        path, _, query = target.partition("?")
        peer = request.transport.get_extra_info("peername") if request.transport else None
        arrived = Request(
            method=request.method,
            target=join_target(path, query),
            headers=Headers.from_raw(request.raw_headers),
            body=body,
            http_version=f"{request.version.major}.{request.version.minor}",
        )
        return Capture(
            arrived,
            remote=_format_peer(peer),
            body_truncated=problem is not None,
            received_at=received_at,
            # A replay Hookscope sent to its own listener names its original: link them.
            replay_of=replay_link(arrived.headers),
            receive_ms=receive_ms,
            verdict=_UNJUDGED,
        )

    async def _read_body(
        self, request: web.BaseRequest, body: SpooledBody, connection: Connection | None
    ) -> ResponseRule | None:
        """Read the raw body into `body`, bounded in size and time; a rule when refused."""
        limit = self.settings.body_limit
        declared = request.content_length
        if declared is not None and declared > limit:
            return _too_large(declared, limit)
        content = request.content
        if content.is_eof() and not content.exception():
            # The whole body came with the head (most webhooks): no waiting, so no deadlines.
            problem = _keep(body, await content.read(), limit)
        else:
            if request.headers.get("Expect", "").lower() == "100-continue":
                await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            problem = await self._stream_body(request, body)
        if problem is not None or connection is None:
            return problem
        if connection.cut_by_eof or _short(declared, body.size):
            return _cut_by_sender()
        connection.received_whole = True
        return None

    async def _stream_body(
        self, request: web.BaseRequest, body: SpooledBody
    ) -> ResponseRule | None:
        """Read a body that is still arriving, under its deadlines; a rule when refused."""
        s = self.settings
        limit = s.body_limit
        try:
            # One deadline for the whole body, and one for each pause between reads: a sender
            # trickling a byte every few seconds never stalls long, but it cannot take forever.
            async with asyncio.timeout(s.body_deadline):
                while True:
                    # asyncio.timeout, not wait_for: wait_for wraps each read in a new task.
                    async with asyncio.timeout(s.body_timeout):
                        chunk = await request.content.read(READ_CHUNK)
                    if not chunk:
                        return None
                    problem = _keep(body, chunk, limit)
                    if problem is not None:
                        return problem
        except TimeoutError:
            return _error_rule(
                408,
                "body_timeout",
                f"The body did not arrive in time (at most {s.body_deadline:g} s in all, and"
                f" {s.body_timeout:g} s between two reads); what arrived was kept.",
            )
        except OSError as exc:  # the spool file: a full disk, most likely
            log.error("body not spooled: %s", exc)
            return _error_rule(
                503,
                "not_stored",
                f"The body could not be kept ({exc.strerror or exc}); try again later.",
                retry_after=RETRY_AFTER,
            )
        except Exception as exc:  # a broken chunked body or a dropped upload
            # read() raises before handing out what is buffered; keep that evidence too.
            with contextlib.suppress(Exception):
                body.add(request.content._read_nowait(limit - body.size))
            return _error_rule(
                400, "incomplete_body", f"The body could not be read whole ({exc}); kept as cut."
            )


def _keep(body: SpooledBody, chunk: bytes, limit: int) -> ResponseRule | None:
    """Add `chunk` to `body` up to `limit` bytes in all; the refusal when it went past."""
    if body.size + len(chunk) > limit:
        body.add(chunk[: limit - body.size])
        return _too_large(None, limit)
    body.add(chunk)
    return None


def _cut_by_sender() -> ResponseRule:
    return _error_rule(
        400,
        "incomplete_body",
        "The sender stopped sending before the body was complete; kept as cut.",
    )


def _short(declared: int | None, size: int) -> bool:
    return declared is not None and size < declared


def _busy_rule() -> ResponseRule:
    return _error_rule(
        503,
        "busy",
        "Too many large bodies are arriving at once; try again shortly.",
        retry_after=RETRY_AFTER,
    )


def _too_large(declared: int | None, limit: int) -> ResponseRule:
    if declared is not None:
        kept = f"{declared} bytes were announced, so it was not read and nothing of it was kept"
    else:
        kept = f"the first {limit} bytes were kept"
    return _error_rule(413, "body_too_large", f"The body is over the {limit}-byte limit; {kept}.")


def _format_peer(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = peer[0], peer[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return ""


def bind_socket(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
