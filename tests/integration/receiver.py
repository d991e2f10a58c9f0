"""A receiving server for outgoing tests: records every request, misbehaves on request."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Receiver:
    """An aiohttp server on its own thread and loop, on 127.0.0.1 with a free port.

    Paths choose the behaviour: `/ok...` 200, `/status/N` answers N, `/slow` waits 30 s,
    `/redirect` 301, `/garbage` writes bytes that are not HTTP, `/hangup` closes at once,
    `/big` answers 1 MB, `/flaky` answers 503 twice then 200.

    `hold(received)`, when set, is awaited (on the receiver's loop) before answering; while
    it runs the request counts as in flight (`in_flight`, highest so far `most_in_flight`).
    """

    port: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flaky_left: int = 2
    hold: Callable[[Received], Awaitable[None]] | None = None
    in_flight: int = 0
    most_in_flight: int = 0

    scheme: str = "http"

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def of(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.content.read()  # no size cap: big events are tested too
        received = Received(
            request.method, request.path_qs, [(k, v) for k, v in request.headers.items()], body
        )
        with self.lock:
            self.received.append(received)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.hold is not None:
                await self.hold(received)
            return await self._answer(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/status/"):
            return web.Response(status=int(path.rsplit("/", 1)[1]), text="nope")
        if path == "/slow":
            await asyncio.sleep(30)
        if path == "/redirect":
            raise web.HTTPMovedPermanently(location="/ok-elsewhere")
        if path == "/big":
            return web.Response(body=b"x" * 1_000_000)
        if path == "/flaky":
            with self.lock:
                self.flaky_left -= 1
                failing = self.flaky_left >= 0
            if failing:
                return web.Response(status=503, text="busy")
        if path in ("/garbage", "/hangup"):
            transport = request.transport
            assert transport is not None
            if path == "/garbage":
                transport.write(b"this is not HTTP at all\r\n\r\n")
            transport.close()
            return web.Response()
        if path.startswith("/slack"):
            return web.Response(text="ok")
        if path.startswith("/discord"):
            return web.Response(status=204)
        return web.json_response({"ok": True})


@contextmanager
def serving(
    handle: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
    *,
    port: int = 0,
    tls: ssl.SSLContext | None = None,
    name: str = "test-server",
) -> Iterator[int]:
    """`handle` answering on 127.0.0.1 (`port`, 0: a free one) from a loop on its own thread;
    yields the bound port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    bound: list[int] = []

    async def start() -> web.ServerRunner:
        runner = web.ServerRunner(web.Server(handle), shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=tls, reuse_address=True)
        await site.start()
        bound.append(runner.addresses[0][1])
        return runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        runner = loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield bound[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@contextmanager
def running_receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    receiver = Receiver(scheme="https" if tls else "http")
    with serving(receiver.handle, tls=tls, name="test-receiver") as port:
        receiver.port = port
        yield receiver


def self_signed_context() -> ssl.SSLContext:
    """A server TLS context with a throwaway self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress
    import tempfile
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    with tempfile.TemporaryDirectory() as tmp:
        cert_file = Path(tmp) / "cert.pem"
        key_file = Path(tmp) / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
    return context
