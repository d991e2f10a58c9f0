"""`hookscope bench`: the speeds the README's Speed section names, against the baselines.

The baselines (a bare aiohttp handler, a server doing only group commit) are in `benchbase`; the
load (wrk when it is on PATH) in `benchload`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
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

from hookscope.benchload import CONNECTIONS, THREADS, Round, lua_script, run_python, run_wrk, wrk
from hookscope.core.model import Credential, SendPolicy
from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.load import BENCH_SECRET, kardow_delivery, paced
from hookscope.storage.credentials import add_credential
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.storage.paths import key_path

SERVERS = ("app", "server", "commit-loop", "commit-thread", "hookscope")
LABELS = {
    "app": "bare aiohttp handler, web.Application route",
    "server": "bare aiohttp handler, low-level web.Server",
    "commit-loop": "group commit only, commits on the loop",
    "commit-thread": "group commit only, commits on a thread",
    "hookscope": "hookscope serve, verified, committed before ack",
}


@dataclass
class BenchResult:
    load: str  # "wrk" or "python"
    load_note: str
    network_loop: str  # the loop `hookscope serve` captured on: "uvloop" or "asyncio"
    seconds: float  # of each wrk run (wrk); 0 with the Python client
    requests: int  # per run with the Python client; 0 with wrk
    rounds: int
    rps: dict[str, float]  # the best round of each server
    cpu_us: dict[str, float | None]  # the server's CPU per request, over all its rounds
    load_p99_ms: dict[str, float | None]  # under full load (wrk only)
    failed: dict[str, int]  # non-2xx answers and socket errors
    ratio_to_app: float
    ratio_to_server: float
    ratio_to_commit_loop: float
    ratio_to_commit_thread: float
    ratio_to_durable: float  # to the better of the two group-commit servers
    paced_rate: int
    # On a fresh serve, before the throughput rounds: capture at a steady pace.
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    # Right after the throughput rounds, while the search index catches up with them.
    ack_after_burst_p50_ms: float
    ack_after_burst_p99_ms: float
    ack_after_burst_max_ms: float
    stored: int
    verified: int
    fanout_targets: int
    fanout_best_ms: float
    fanout_median_ms: float
    fanout_bare_median_ms: float
    fanout_delivered: int


@contextmanager
def _child(*args: str) -> Iterator[tuple[int, int]]:
    """A server process: its port and pid."""
    process = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on"):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        yield int(line.rsplit(":", 1)[1]), process.pid
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


@dataclass
class Plan:
    """How hard and how long to measure (the defaults are the README's figures)."""

    seconds: float = 5.0  # each wrk run
    requests: int = 4000  # each Python-client run
    rounds: int = 2
    rate: int = 500
    paced_seconds: float = 4.0
    fanout_targets: int = 200
    fanout_rounds: int = 7


def run(plan: Plan | None = None) -> BenchResult:
    """Measure every server with the same client, in turn, best of `rounds` each."""
    plan = plan or Plan()
    with tempfile.TemporaryDirectory(prefix="hookscope-bench-") as tmp:
        data = Path(tmp) / "data"
        with open_store(data) as db:  # a stored secret, so every delivery is really verified
            vault = load_vault(key_path(data), create=True)
            assert vault is not None
            add_credential(db, vault, Credential("kardow", "bench", BENCH_SECRET.decode()))
        ours = ("-m", "hookscope", "serve", "--port", "0", "--api-port", "0")
        with contextlib.ExitStack() as stack:
            children = {
                name: stack.enter_context(
                    _child(*ours, "--data-dir", str(data))
                    if name == "hookscope"
                    # In the bench's own folder: removed with it, whatever becomes of the child.
                    else _child("-m", "hookscope.benchbase", name, str(Path(tmp) / name))
                )
                for name in SERVERS
            }
            url = f"http://127.0.0.1:{children['hookscope'][0]}/hook"
            asyncio.run(paced(url, plan.rate, min(1.0, plan.paced_seconds)))  # warm up
            steady = asyncio.run(paced(url, plan.rate, plan.paced_seconds))
            rounds = _measure(children, plan, Path(tmp))
            after_burst = asyncio.run(paced(url, plan.rate, plan.paced_seconds))
            fanout = _fanout(
                Path(tmp) / "fanout", children["server"][0], plan.fanout_targets, plan.fanout_rounds
            )
        stored, verified = _count(data)
    return _result(
        plan,
        rounds,
        (steady, after_burst),
        stored=stored,
        verified=verified,
        fanout=fanout,
    )


def _measure(children: dict[str, tuple[int, int]], plan: Plan, tmp: Path) -> dict[str, list[Round]]:
    body, headers = kardow_delivery()
    script = tmp / "post.lua"
    script.write_text(lua_script(body, headers))
    use_wrk = wrk() is not None

    def once(name: str, seconds: float, requests: int) -> Round:
        port, pid = children[name]
        url = f"http://127.0.0.1:{port}/hook"
        if use_wrk:
            return run_wrk(url, script, seconds, pid)
        return run_python(url, body, headers, requests, pid)

    for name in SERVERS:  # warm up: imports, WAL, caches
        once(name, 1, 300)
    rounds: dict[str, list[Round]] = {name: [] for name in SERVERS}
    for _ in range(plan.rounds):  # in turn, so a noisy moment does not favour one side
        for name in SERVERS:
            rounds[name].append(once(name, plan.seconds, plan.requests))
    return rounds


def _result(
    plan: Plan,
    rounds: dict[str, list[Round]],
    paced_runs: tuple[list[float], list[float]],
    *,
    stored: int,
    verified: int,
    fanout: dict[str, Any],
) -> BenchResult:
    use_wrk = wrk() is not None
    best = {name: max(r.rps for r in runs) for name, runs in rounds.items()}
    ours = best["hookscope"]
    steady, after_burst = (_latencies(run) for run in paced_runs)
    return BenchResult(
        load="wrk" if use_wrk else "python",
        network_loop=_network_loop(),
        load_note=(
            f"wrk, {THREADS} thread, {CONNECTIONS} connections"
            if use_wrk
            else f"Python aiohttp client, {CONNECTIONS} connections (wrk is not on PATH: it"
            " shares the cores with the servers and caps the fast ones, so ratios read high)"
        ),
        seconds=plan.seconds if use_wrk else 0.0,
        requests=0 if use_wrk else plan.requests,
        rounds=plan.rounds,
        rps={name: round(rps, 1) for name, rps in best.items()},
        cpu_us={name: _cpu(runs) for name, runs in rounds.items()},
        load_p99_ms={name: _p99(runs) for name, runs in rounds.items()},
        failed={name: sum(r.failed for r in runs) for name, runs in rounds.items()},
        ratio_to_app=round(ours / best["app"], 3),
        ratio_to_server=round(ours / best["server"], 3),
        ratio_to_commit_loop=round(ours / best["commit-loop"], 3),
        ratio_to_commit_thread=round(ours / best["commit-thread"], 3),
        ratio_to_durable=round(ours / max(best["commit-loop"], best["commit-thread"]), 3),
        paced_rate=plan.rate,
        ack_p50_ms=steady[0],
        ack_p99_ms=steady[1],
        ack_max_ms=steady[2],
        ack_after_burst_p50_ms=after_burst[0],
        ack_after_burst_p99_ms=after_burst[1],
        ack_after_burst_max_ms=after_burst[2],
        stored=stored,
        verified=verified,
        **fanout,
    )


def _latencies(run: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max of one paced run, in ms."""
    ordered = sorted(run)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        round(statistics.median(ordered) * 1000, 2),
        round(p99 * 1000, 2),
        round(ordered[-1] * 1000, 2),
    )


def _network_loop() -> str:
    """The loop the measured serve ran on (see net.runtime.new_network_loop)."""
    uvloop = importlib.util.find_spec("uvloop") is not None
    return "uvloop" if uvloop and os.environ.get("HOOKSCOPE_LOOP") != "asyncio" else "asyncio"


def _cpu(runs: list[Round]) -> float | None:
    figures = [r.cpu_us for r in runs if r.cpu_us is not None]
    return round(statistics.fmean(figures), 1) if figures else None


def _p99(runs: list[Round]) -> float | None:
    best = max(runs, key=lambda r: r.rps)
    return None if best.p99_ms is None else round(best.p99_ms, 2)


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
    how = (
        f"{result.seconds:g} s each" if result.load == "wrk" else f"{result.requests} requests each"
    )
    lines = [
        f"capture throughput, 1 KB signed Kardow delivery, servers in turn ({how},"
        f" best of {result.rounds}); load: {result.load_note}; hookscope's network loop:"
        f" {result.network_loop}:",
        f"  {'server':<48} {'req/s':>9} {'CPU us/req':>11} {'p99 ms':>8}",
    ]
    for name in SERVERS:
        cpu = result.cpu_us[name]
        p99 = result.load_p99_ms[name]
        failed = f"   {result.failed[name]} failed" if result.failed[name] else ""
        lines.append(
            f"  {LABELS[name]:<48} {result.rps[name]:>9.1f}"
            f" {'-' if cpu is None else f'{cpu:.0f}':>11} {'-' if p99 is None else p99:>8}{failed}"
        )
    lines += [
        f"  ratio to the Application handler {result.ratio_to_app:>6.3f}   (target >= 0.6)",
        f"  ratio to the low-level handler   {result.ratio_to_server:>6.3f}",
        f"  ratio to group commit on the loop   {result.ratio_to_commit_loop:>6.3f}",
        f"  ratio to group commit on a thread   {result.ratio_to_commit_thread:>6.3f}",
        f"  ratio to the durable limit (the better of the two) {result.ratio_to_durable:>6.3f}"
        "   (target >= 0.85)",
        f"ack latency at {result.paced_rate} req/s (paced, counted from when each was due):",
        f"  steady capture     p50 {result.ack_p50_ms} ms   p99 {result.ack_p99_ms} ms"
        f"   (target p99 < 25 ms)   max {result.ack_max_ms} ms",
        f"  after the rounds   p50 {result.ack_after_burst_p50_ms} ms"
        f"   p99 {result.ack_after_burst_p99_ms} ms   max {result.ack_after_burst_max_ms} ms"
        "   (the search index catching up with them)",
        f"captures stored: {result.stored} ({result.verified} verified)",
        f"fan-out of one Kardow event to {result.fanout_targets} local webhook targets,"
        " each signed, every attempt logged:",
        f"  median {result.fanout_median_ms} ms   best {result.fanout_best_ms} ms"
        f"   (target < 1000 ms)   delivered {result.fanout_delivered}",
        f"  bare aiohttp client, same {result.fanout_targets} POSTs at once:"
        f" median {result.fanout_bare_median_ms} ms",
    ]
    return "\n".join(lines)
