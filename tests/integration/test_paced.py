"""The measurements' paced sender: every request sent when due, answered, and timed from then."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from aiohttp import web

from hookscope import load
from hookscope.core.tasks import spawn
from hookscope.load import BENCH_SECRET, paced

pytestmark = pytest.mark.asyncio

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/hook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/hook"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_every_request_arrives_signed_and_is_timed(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    bodies: list[bytes] = []
    peers: set[object] = set()

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        signature = hmac.new(BENCH_SECRET, body, hashlib.sha256).hexdigest()
        assert request.headers["X-Kardow-Signature"] == signature
        bodies.append(body)
        peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({"ok": True})

    url = await serve(handler)
    latencies = await paced(url, rate=200, seconds=0.5)
    assert len(latencies) == len(bodies) == 100
    assert all(0 <= latency < 5 for latency in latencies)
    assert len(peers) < 100  # connections are kept alive and used again


async def test_latency_counts_from_when_each_request_was_due_not_when_it_went_out(
    serve: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(0.2)
        return web.Response(text="late")

    # One connection: each request waits for the answers before it, as behind a slow server.
    monkeypatch.setattr(load, "MAX_CONNECTIONS", 1)
    url = await serve(handler)
    latencies = await paced(url, rate=50, seconds=0.2)
    assert len(latencies) == 10
    assert min(latencies) >= 0.2
    assert max(latencies) >= 1.5  # the 10th was due 0.18 s in and answered about 2 s in


async def test_connections_the_server_closes_are_opened_again(
    serve: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        queries.append(request.query_string)
        return web.Response(text="bye", headers={"Connection": "close"})

    monkeypatch.setattr(load, "MAX_CONNECTIONS", 4)  # far fewer than the requests
    url = await serve(handler)
    assert len(await paced(url + "?tenant=7", rate=100, seconds=0.3)) == 30
    assert queries == ["tenant=7"] * 30


async def test_an_answer_other_than_2xx_is_one_clear_error(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=503, text="busy")

    url = await serve(handler)
    with pytest.raises(ConnectionError, match="answered 503"):
        await paced(url, rate=10, seconds=0.1)


async def test_a_server_that_hangs_up_without_answering_is_one_clear_error() -> None:
    # (A request lost with an idle connection the server was closing is sent once more.)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    loop = asyncio.get_running_loop()

    async def hang_up() -> None:
        while True:  # every connection: the request read, then closed unanswered
            connection, _ = await loop.sock_accept(listener)
            await loop.sock_recv(connection, 65536)
            connection.close()

    task = spawn(hang_up(), name="hang-up")
    try:
        with pytest.raises(ConnectionError, match="closed before the answer"):
            await paced(f"http://127.0.0.1:{port}/hook", rate=10, seconds=0.1)
    finally:
        task.cancel()
        listener.close()


async def test_nothing_listening_is_refused_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        await paced(f"http://127.0.0.1:{port}/hook", rate=10, seconds=0.1)
