"""A developer's own app for forwarding tests: it checks Kardow signatures with its own HMAC code
(not Hookscope's), on its own thread and loop, on 127.0.0.1 (a free port, or one given)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.integration.receiver import Received, serving


def kardow_signature(secret: str, body: bytes) -> str:
    """What Kardow's documentation says the header holds: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class App:
    """Answers by path: `/answer` 201 with its own headers and body, `/slow` after `release`
    is set (at most 30 s), `/huge` 20 MB; anything else 200 when its `X-Kardow-Signature`
    matches `secret`, else 401, each with a JSON body saying which.
    """

    secret: str
    port: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.content.read()  # no size cap: a 5 MB event is tested
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
        with self.lock:
            self.received.append(Received(request.method, request.path_qs, headers, body))
        if request.path.startswith("/answer"):
            return web.Response(
                status=201,
                body=b'{"created": "by the app"}',
                headers={"Content-Type": "application/json", "X-App": "yes"},
            )
        if request.path.startswith("/slow"):
            for _ in range(300):
                if self.release.is_set():
                    break
                await asyncio.sleep(0.1)
            return web.Response(text="late")
        if request.path.startswith("/huge"):
            return web.Response(body=b"h" * 20_000_000)
        given = request.headers.get("X-Kardow-Signature", "")
        good = hmac.compare_digest(given, kardow_signature(self.secret, body))
        return web.Response(
            status=200 if good else 401,
            body=json.dumps({"verified": good}).encode(),
            content_type="application/json",
        )


def free_port() -> int:
    """A port nothing listens on now (the app "down" until started on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(secret: str, port: int = 0) -> Iterator[App]:
    app = App(secret, port)
    with serving(app.handle, port=port, name="test-app") as bound:
        app.port = bound
        try:
            yield app
        finally:
            app.release.set()
