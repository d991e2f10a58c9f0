"""The capture listener: any method, any path, stored byte-exact before it is acknowledged."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from hookscope.core.model import (
    Capture,
    ListenerSettings,
    ResponseRule,
    Stored,
    Verdict,
    decode_header,
    utc_now,
)
from hookscope.core.tasks import spawn

log = logging.getLogger(__name__)

StoreFn = Callable[[Capture, ResponseRule], Awaitable[Stored]]
RuleFn = Callable[[str, str], ResponseRule]
VerifyFn = Callable[[Capture], Verdict]

READ_CHUNK = 256 * 1024
SHUTDOWN_TIMEOUT = 10.0


class ListenError(Exception):
    """The listener cannot bind; the message is meant for the user."""


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_rule(status: int, code: str, message: str) -> ResponseRule:
    """A refusal that is still recorded: the body names the capture that kept the evidence."""
    body = json.dumps({"error": {"code": code, "message": message}, "capture_id": 0})
    return ResponseRule(
        pattern="*",
        status=status,
        body=body.replace('"capture_id": 0', '"capture_id": {capture_id}'),
        headers=(("Content-Type", "application/json"), ("Connection", "close")),
    )


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class _Refuse(asyncio.Protocol):
    """Answers 503 and hangs up: the connection limit is reached."""

    BODY = json.dumps(
        {"error": {"code": "too_many_connections", "message": "Too many open connections."}}
    ).encode()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(self.BODY), self.BODY)
        )
        transport.close()


class _Site(web.BaseSite):
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


@dataclass(slots=True)
class _Activity:
    last: float
    in_flight: int = 0


class CaptureServer:
    """The capture listener.

    Attributes:
        port: the bound port (known after `start`, also when 0 was asked for).
        captured: captures committed since start.
    """

    def __init__(
        self,
        settings: ListenerSettings,
        *,
        store: StoreFn,
        rule_for: RuleFn,
        verify: VerifyFn,
    ) -> None:
        self.settings = settings
        self._store = store
        self._rule_for = rule_for
        self._verify = verify
        self._runner: web.ServerRunner | None = None
        self._site: _Site | None = None
        self._server: web.Server | None = None
        self._activity: dict[RequestHandler, _Activity] = {}
        self._sweeper: asyncio.Task[None] | None = None
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
        s = self.settings
        self._server = web.Server(
            self._handle,
            # Keep Content-Encoding bodies (gzip, ...) exactly as received; views decode later.
            auto_decompress=False,
            max_field_size=s.max_field_size,
            max_line_size=s.max_field_size,
            max_headers=s.max_headers,
            keepalive_timeout=max(s.header_timeout, 1.0),
            access_log=None,
        )
        self._runner = web.ServerRunner(self._server, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        try:
            sock = bind_socket(s.host, s.port)
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            reason = exc.strerror or str(exc)
            raise ListenError(f"Cannot listen on {s.host}:{s.port}: {reason}.") from exc
        self.port = sock.getsockname()[1]
        self._site = _Site(self._runner, self._make_protocol, sock)
        await self._site.start()
        self._sweeper = spawn(self._sweep(), name="capture-idle-sweeper")

    async def stop(self) -> None:
        """Stop accepting, let in-flight captures commit and answer, then close."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
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
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._activity.clear()

    def in_flight(self) -> int:
        """Requests whose head has arrived and which are not answered yet."""
        return sum(activity.in_flight for activity in self._activity.values())

    def _make_protocol(self) -> asyncio.BaseProtocol:
        assert self._server is not None
        if len(self._server.connections) >= self.settings.max_connections:
            return _Refuse()
        handler = self._server()
        self._activity[handler] = _Activity(asyncio.get_running_loop().time())
        return handler

    async def _sweep(self) -> None:
        """Close connections that sent no complete request head in time (slow or idle)."""
        loop = asyncio.get_running_loop()
        limit = self.settings.header_timeout
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            assert self._server is not None
            live = set(self._server.connections)
            now = loop.time()
            for handler, activity in list(self._activity.items()):
                if handler not in live and now - activity.last > 1.0:
                    del self._activity[handler]
                elif activity.in_flight == 0 and now - activity.last > limit:
                    del self._activity[handler]
                    handler.force_close()
                    if handler.transport is not None:
                        handler.transport.close()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        activity = self._activity.setdefault(request.protocol, _Activity(loop.time()))
        activity.in_flight += 1
        try:
            return await self._capture(request)
        finally:
            activity.in_flight -= 1
            activity.last = loop.time()

    async def _capture(self, request: web.BaseRequest) -> web.StreamResponse:
        received_at = utc_now()
        body, problem = await self._read_body(request)
        path, _, query = request.raw_path.partition("?")
        peer = request.transport.get_extra_info("peername") if request.transport else None
        capture = Capture(
            method=request.method,
            path=path,
            query=query,
            http_version=f"{request.version.major}.{request.version.minor}",
            remote=_format_peer(peer),
            headers=tuple((decode_header(k), decode_header(v)) for k, v in request.raw_headers),
            body=body,
            body_truncated=problem is not None,
            received_at=received_at,
        )
        capture = replace(capture, verdict=self._safe_verify(capture))
        rule = problem or self._rule_for(capture.method, capture.path)
        try:
            stored = await self._store(capture, rule)
        except Exception as exc:  # the store refused: never acknowledge what was not kept
            log.exception("capture not stored")
            return json_error(503, "not_stored", f"The capture could not be stored: {exc}")
        self.captured += 1
        response = stored.response
        if response.delay_ms:
            await asyncio.sleep(response.delay_ms / 1000)
        answer = web.Response(status=response.status, body=response.body)
        for name, value in response.headers:
            answer.headers.add(name, value)
        if problem is not None:
            answer.force_close()
        return answer

    async def _read_body(self, request: web.BaseRequest) -> tuple[bytes, ResponseRule | None]:
        """The raw body, bounded; a problem rule when the request must be refused."""
        limit = self.settings.body_limit
        declared = request.content_length
        if declared is not None and declared > limit:
            return b"", _too_large(declared, limit)
        if request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                # asyncio.timeout, not wait_for: wait_for wraps each read in a new task.
                async with asyncio.timeout(self.settings.body_timeout):
                    chunk = await request.content.read(READ_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    parts.append(chunk[: len(chunk) - (size - limit)])
                    return b"".join(parts), _too_large(None, limit)
                parts.append(chunk)
        except TimeoutError:
            return b"".join(parts), _error_rule(
                408,
                "body_timeout",
                f"The body stalled for {self.settings.body_timeout:g} s; what arrived was kept.",
            )
        except Exception as exc:  # a broken chunked body or a dropped upload
            # read() raises before handing out what is buffered; keep that evidence too.
            parts.append(request.content._read_nowait(limit - size))
            return b"".join(parts), _error_rule(
                400, "incomplete_body", f"The body could not be read whole ({exc}); kept as cut."
            )
        return b"".join(parts), None

    def _safe_verify(self, capture: Capture) -> Verdict:
        try:
            return self._verify(capture)
        except Exception as exc:  # a verifier bug must never lose a delivery
            log.exception("verification failed")
            return Verdict(verdict="n/a", detail=f"Verification could not run: {exc}")


def _too_large(declared: int | None, limit: int) -> ResponseRule:
    size = f"{declared} bytes" if declared is not None else "more than that"
    return _error_rule(
        413,
        "body_too_large",
        f"The body is over the {limit}-byte limit ({size}); the first {limit} bytes were kept.",
    )


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
