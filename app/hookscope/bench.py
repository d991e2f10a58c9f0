"""`hookscope bench`: the speeds the README's Speed section names, against a bare baseline."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from hookscope.core.model import Credential, SendPolicy
from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.load import BENCH_SECRET, kardow_delivery, paced
from hookscope.storage.credentials import add_credential
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.storage.paths import key_path

CONCURRENCY = 32


@dataclass
class BenchResult:
    requests: int
    bare_app_rps: float
    bare_server_rps: float
    hookscope_rps: float
    ratio_to_app: float
    ratio_to_server: float
    paced_rate: int
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    stored: int
    verified: int
    fanout_targets: int
    fanout_best_ms: float
    fanout_median_ms: float
    fanout_bare_median_ms: float
    fanout_delivered: int


async def _throughput(url: str, total: int) -> float:
    body, headers = kardow_delivery()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        queue = iter(range(total))

        async def worker() -> None:
            for _ in queue:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url} answered {response.status}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return total / (time.perf_counter() - started)


def _bare_server(kind: str = "server") -> None:
    """A bare aiohttp handler: read the body, answer JSON. The baseline Hookscope is held to.

    kind "app": the handler as most aiohttp code has it, a route of a web.Application.
    kind "server": the same handler on aiohttp's low-level web.Server (no router, no
    middlewares), which is what the capture listener itself is built on: the stricter baseline.
    """

    async def handle(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    async def main() -> None:
        runner: web.BaseRunner
        if kind == "app":
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            runner = web.AppRunner(app, shutdown_timeout=1, access_log=None)
        else:
            runner = web.ServerRunner(web.Server(handle), shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"listening on {runner.addresses[0][0]}:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@contextmanager
def _child(*args: str) -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on"):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        yield int(line.rsplit(":", 1)[1])
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def run(requests: int = 4000, rate: int = 500, seconds: float = 4.0) -> BenchResult:
    """Measure both servers with the same client, alternating, best of two rounds each."""
    with tempfile.TemporaryDirectory(prefix="hookscope-bench-") as tmp:
        data = Path(tmp) / "data"
        with open_store(data) as db:  # a stored secret, so every delivery is really verified
            vault = load_vault(key_path(data), create=True)
            assert vault is not None
            add_credential(db, vault, Credential("kardow", "bench", BENCH_SECRET.decode()))
        bare = "from hookscope.bench import _bare_server; _bare_server({!r})"
        with (
            _child("-c", bare.format("app")) as app_port,
            _child("-c", bare.format("server")) as server_port,
            _child("-m", "hookscope", "serve", "--port", "0", "--data-dir", str(data)) as ours,
        ):
            urls = {
                name: f"http://127.0.0.1:{port}/hook"
                for name, port in (("app", app_port), ("server", server_port), ("ours", ours))
            }
            best = dict.fromkeys(urls, 0.0)
            for url in urls.values():  # warm up: imports, WAL, caches
                asyncio.run(_throughput(url, 300))
            for _ in range(2):  # alternate, so a noisy moment does not favour one side
                for name, url in urls.items():
                    best[name] = max(best[name], asyncio.run(_throughput(url, requests)))
            latencies = sorted(asyncio.run(paced(urls["ours"], rate, seconds)))
            fanout = _fanout(Path(tmp) / "fanout", server_port)
        stored, verified = _count(data)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return BenchResult(
        requests=requests,
        bare_app_rps=round(best["app"], 1),
        bare_server_rps=round(best["server"], 1),
        hookscope_rps=round(best["ours"], 1),
        ratio_to_app=round(best["ours"] / best["app"], 3),
        ratio_to_server=round(best["ours"] / best["server"], 3),
        paced_rate=rate,
        ack_p50_ms=round(statistics.median(latencies) * 1000, 2),
        ack_p99_ms=round(p99 * 1000, 2),
        ack_max_ms=round(latencies[-1] * 1000, 2),
        stored=stored,
        verified=verified,
        **fanout,
    )


def _fanout(data: Path, port: int, targets: int = 200, rounds: int = 7) -> dict[str, Any]:
    """One Kardow event to `targets` local webhook targets, each with its own secret.

    Timed from planning (the composer's Fire) until every attempt is answered and logged;
    against a bare aiohttp client posting the same body to the same URLs at once.
    """
    engine = Engine(data, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start(listen=False)
    try:
        for n in range(targets):
            url = f"http://127.0.0.1:{port}/target/{n}"
            registration = Registration("job.created", "webhook", url, f"bench-secret-{n:04d}")
            engine.call(engine.register(registration)).result(30)
        data_json = {"job_id": "abc-123", "title": "Senior Engineer"}
        took: list[float] = []
        delivered = 0
        for _ in range(rounds):
            started = time.perf_counter()
            plan = engine.call(engine.plan_kardow("job.created", data_json, 42)).result(30)
            attempts = engine.call(engine.send(plan, SendPolicy())).result(60)
            took.append(time.perf_counter() - started)
            delivered = sum(attempt.ok for attempt in attempts)
        urls = [f"http://127.0.0.1:{port}/target/{n}" for n in range(targets)]
        bare = [asyncio.run(_bare_fanout(urls, plan.payload)) for _ in range(rounds)]
    finally:
        engine.stop()
    return {
        "fanout_targets": targets,
        "fanout_best_ms": round(min(took[1:]) * 1000, 1),  # the first round warms up
        "fanout_median_ms": round(statistics.median(took[1:]) * 1000, 1),
        "fanout_bare_median_ms": round(statistics.median(bare[1:]) * 1000, 1),
        "fanout_delivered": delivered,
    }


async def _bare_fanout(urls: list[str], body: bytes) -> float:
    """The baseline: the same POSTs, all at once, with a fresh aiohttp session."""
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            async with session.post(url, data=body) as response:
                await response.read()

        await asyncio.gather(*(one(url) for url in urls))
    return time.perf_counter() - started


def _count(data: Path) -> tuple[int, int]:
    with open_store(data) as db:
        (total, verified) = db.execute(
            "SELECT count(*), count(*) FILTER (WHERE verdict = 'verified') FROM captures"
        ).fetchone()
    return int(total), int(verified)


def report(result: BenchResult, as_json: bool) -> str:
    if as_json:
        return json.dumps(asdict(result), indent=2)
    return "\n".join(
        [
            f"capture throughput, 1 KB signed Kardow delivery, {CONCURRENCY} connections, "
            f"{result.requests} requests (best of 2):",
            f"  bare aiohttp handler, web.Application route  {result.bare_app_rps:>9.1f} req/s",
            f"  bare aiohttp handler, low-level web.Server   {result.bare_server_rps:>9.1f} req/s",
            f"  hookscope, each capture committed before ack {result.hookscope_rps:>9.1f} req/s",
            f"  ratio to the Application handler {result.ratio_to_app:>6.3f}   (target >= 0.8)",
            f"  ratio to the low-level handler   {result.ratio_to_server:>6.3f}",
            f"ack latency at {result.paced_rate} req/s:",
            f"  p50 {result.ack_p50_ms} ms   p99 {result.ack_p99_ms} ms   (target p99 < 25 ms)"
            f"   max {result.ack_max_ms} ms",
            f"captures stored: {result.stored} ({result.verified} verified)",
            f"fan-out of one Kardow event to {result.fanout_targets} local webhook targets,"
            " each signed, every attempt logged:",
            f"  median {result.fanout_median_ms} ms   best {result.fanout_best_ms} ms"
            f"   (target < 1000 ms)   delivered {result.fanout_delivered}",
            f"  bare aiohttp client, same {result.fanout_targets} POSTs at once:"
            f" median {result.fanout_bare_median_ms} ms",
        ]
    )
