"""The servers `hookscope bench` holds the capture listener to, each run as its own process.

`python -m hookscope.benchbase KIND [DIR]` prints "listening on 127.0.0.1:PORT" and serves until
terminated; the group-commit servers keep their store in DIR (by default a temporary folder,
removed when the server is terminated or interrupted). The kinds:

- `app`: a bare aiohttp handler, a route of a `web.Application`, as most aiohttp code has it.
- `server`: the same handler on aiohttp's low-level `web.Server` (what the listener is built on).
- `commit-loop`: a `web.Application` that group-commits each raw request into SQLite (WAL,
  synchronous=NORMAL) on the event loop before answering: the durable limit, nothing else.
- `commit-thread`: the same, with the commits on a writer thread, as Hookscope does them.

The group-commit servers deliberately share no code with Hookscope's store: they are the
reference a durable capture server is measured against, not a part of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import signal
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from hookscope.core.tasks import spawn

KINDS = ("app", "server", "commit-loop", "commit-thread")
PREFIX = "hookscope-baseline-"
MAX_GROUP = 512

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
Row = tuple[str, str, str, bytes]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, method TEXT, path TEXT,"
        " headers TEXT, body BLOB)"
    )
    return conn


def _commit(conn: sqlite3.Connection, rows: list[Row]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO requests (method, path, headers, body) VALUES (?, ?, ?, ?)", rows)
    conn.execute("COMMIT")


async def _row(request: web.BaseRequest) -> Row:
    body = await request.read()
    headers = json.dumps(
        [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.raw_headers]
    )
    return (request.method, request.raw_path, headers, body)


def _on_loop(
    conn: sqlite3.Connection,
) -> tuple[Handler, Callable[[], Coroutine[Any, Any, None]]]:
    """A handler and its committer task: the commits block the loop, as one would."""
    waiting: list[tuple[Row, asyncio.Future[None]]] = []
    wake = asyncio.Event()

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        future = asyncio.get_running_loop().create_future()
        waiting.append((await _row(request), future))
        wake.set()
        await future
        return web.json_response({"ok": True})

    async def committer() -> None:
        while True:
            await wake.wait()
            wake.clear()
            group = waiting[:MAX_GROUP]
            del waiting[:MAX_GROUP]
            if len(waiting):
                wake.set()
            _commit(conn, [row for row, _ in group])
            for _, future in group:
                future.set_result(None)

    return handle, committer


def _on_thread(conn: sqlite3.Connection) -> Handler:
    """A handler whose rows a writer thread commits in groups."""
    rows: queue.SimpleQueue[tuple[Row, asyncio.Future[None]]] = queue.SimpleQueue()
    loop = asyncio.get_running_loop()

    def resolve(futures: list[asyncio.Future[None]]) -> None:
        for future in futures:
            future.set_result(None)

    def writer() -> None:
        while True:
            group = [rows.get()]
            while len(group) < MAX_GROUP and not rows.empty():
                group.append(rows.get_nowait())
            _commit(conn, [row for row, _ in group])
            loop.call_soon_threadsafe(resolve, [future for _, future in group])

    threading.Thread(target=writer, name="baseline-writer", daemon=True).start()

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        future = loop.create_future()
        rows.put((await _row(request), future))
        await future
        return web.json_response({"ok": True})

    return handle


async def _bare(request: web.BaseRequest) -> web.StreamResponse:
    await request.read()
    return web.json_response({"ok": True})


async def serve(kind: str, directory: Path) -> None:
    """Serve `kind` on a free loopback port until cancelled."""
    handle: Handler = _bare
    if kind == "commit-loop":
        handle, committer = _on_loop(_connect(directory / "baseline.db"))
        spawn(committer(), name="baseline-committer")
    elif kind == "commit-thread":
        handle = _on_thread(_connect(directory / "baseline.db"))
    runner: web.BaseRunner
    if kind == "server":
        runner = web.ServerRunner(web.Server(handle), shutdown_timeout=1)
    else:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, shutdown_timeout=1, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"listening on {host}:{port}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or argv[0] not in KINDS:
        print(f"usage: python -m hookscope.benchbase {{{','.join(KINDS)}}} [DIR]", file=sys.stderr)
        return 2
    # Terminated is how the bench stops it: leave as on Ctrl+C, so the store is removed.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.ExitStack() as stack:
        if len(argv) == 2:
            directory = Path(argv[1])
            directory.mkdir(parents=True, exist_ok=True)
        else:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=PREFIX)))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(argv[0], directory))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
