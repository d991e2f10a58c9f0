"""`hookscope bench --hostile`: what attackers cost the deliveries that matter.

Two measurements against a `hookscope serve` child with its default limits:
- the latency of normal deliveries while more slow connections than the cap trickle a byte
  now and then on the capture port, and idle ones crowd the emulator's port;
- the peak memory (RSS) of `serve` while 40 senders upload 24 MiB bodies at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from hookscope.core.tasks import spawn

SLOW_CONNECTIONS = 600  # more than the capture listener's default cap of 512
IDLE_API_CONNECTIONS = 200  # more than the emulator's default cap of 128
PROBES = 200
PROBE_TIMEOUT = 10.0
UPLOADS = 40
UPLOAD_SIZE = 24 * 1024 * 1024


@dataclass
class HostileResult:
    slow_connections: int
    idle_api_connections: int
    probes: int
    probes_answered_2xx: int
    probe_p50_ms: float
    probe_p99_ms: float
    probe_max_ms: float
    api_answered: int
    uploads: int
    upload_size_mib: int
    uploads_answered_2xx: int
    upload_seconds: float
    peak_rss_mb: float | None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _serve(data: Path, pythonpath: str | None) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """serve with its default limits; the process, the capture port, the emulator's port."""
    env = dict(os.environ)
    if pythonpath:  # measure another checkout's serve (a "before" figure) with this client
        env["PYTHONPATH"] = pythonpath
    api_port = _free_port()
    command = [sys.executable, "-m", "hookscope", "serve", "--port", "0"]
    command += ["--api-port", str(api_port), "--data-dir", str(data)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on"):
            raise RuntimeError(f"serve did not start: {line!r}")
        api = process.stdout.readline().strip()
        yield process, int(line.rsplit(":", 1)[1]), int(api.rsplit(":", 1)[1]) if api else 0
    finally:
        process.terminate()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


async def _exchange(port: int, request: bytes, wait: float) -> bytes:
    """Send one request on a new connection; the status line ("" when none came)."""
    try:
        async with asyncio.timeout(wait):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(request)
                await writer.drain()
                return await reader.readline()
            finally:
                writer.close()
    except (OSError, TimeoutError):
        return b""


class _Trickle:
    """Connections that send a byte of their request every two seconds and never finish."""

    def __init__(self) -> None:
        self.writers: list[asyncio.StreamWriter] = []

    async def open(self, port: int, count: int, head: bytes) -> None:
        for _ in range(count):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(head)
                self.writers.append(writer)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await stop.wait()
            for writer in list(self.writers):
                if writer.is_closing():
                    self.writers.remove(writer)
                else:
                    writer.write(b"x")

    def close(self) -> None:
        for writer in self.writers:
            writer.close()


async def _slowloris(port: int, api_port: int) -> tuple[list[float], int, int]:
    """Normal deliveries (latency, answered 2xx) and emulator answers, under a flood."""
    trickle = _Trickle()
    half = SLOW_CONNECTIONS // 2
    await trickle.open(port, half, b"POST /slow HTTP/1.1\r\nHost: x\r\n")
    body_head = b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 9999\r\n\r\n"
    await trickle.open(port, SLOW_CONNECTIONS - half, body_head)
    if api_port:
        await trickle.open(api_port, IDLE_API_CONNECTIONS, b"")
    stop = asyncio.Event()
    keeper = spawn(trickle.run(stop), name="bench-trickle")
    await asyncio.sleep(1.5)  # every attacker is now older than the guard's grace
    body = b'{"event": "probe"}'
    latencies: list[float] = []
    answered = api_answered = 0
    for n in range(PROBES):
        request = (
            b"POST /probe/%d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (n, len(body), body)
        )
        started = time.perf_counter()
        status = await _exchange(port, request, PROBE_TIMEOUT)
        latencies.append(time.perf_counter() - started)
        answered += status[9:10] == b"2"
        if api_port and n % 10 == 0:
            answer = await _exchange(
                api_port, b"GET /webhooks HTTP/1.1\r\nHost: x\r\n\r\n", PROBE_TIMEOUT
            )
            api_answered += answer[9:10] == b"4"  # 401: no key configured, and said so
        await asyncio.sleep(0.02)
    stop.set()
    await keeper
    trickle.close()
    return latencies, answered, api_answered


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # not Linux
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


async def _uploads(port: int) -> tuple[int, float]:
    item = b'{"a": 1, "b": "xxxxxxxx"},'
    json_body = (b'{"event": "job.created", "data": [' + item * (UPLOAD_SIZE // len(item)))[
        : UPLOAD_SIZE - 2
    ] + b"]}"
    bodies = [os.urandom(UPLOAD_SIZE), json_body]
    started = time.perf_counter()

    async def one(n: int) -> bool:
        head = b"POST /big/%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (n, UPLOAD_SIZE)
        status = await _exchange(port, head + bodies[n % 2], 300)
        return status[9:10] == b"2"

    results = await asyncio.gather(*(one(n) for n in range(UPLOADS)))
    return sum(results), time.perf_counter() - started


def run(pythonpath: str | None = None) -> HostileResult:
    with tempfile.TemporaryDirectory(prefix="hookscope-bench-") as tmp:
        with _serve(Path(tmp) / "flood", pythonpath) as (_, port, api_port):
            latencies, answered, api_answered = asyncio.run(_slowloris(port, api_port))
        with _serve(Path(tmp) / "uploads", pythonpath) as (process, port, _api):
            uploaded, seconds = asyncio.run(_uploads(port))
            peak = _peak_rss_mb(process.pid)
    latencies.sort()
    return HostileResult(
        slow_connections=SLOW_CONNECTIONS,
        idle_api_connections=IDLE_API_CONNECTIONS if api_port else 0,
        probes=PROBES,
        probes_answered_2xx=answered,
        probe_p50_ms=round(statistics.median(latencies) * 1000, 1),
        probe_p99_ms=round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        probe_max_ms=round(latencies[-1] * 1000, 1),
        api_answered=api_answered,
        uploads=UPLOADS,
        upload_size_mib=UPLOAD_SIZE // (1024 * 1024),
        uploads_answered_2xx=uploaded,
        upload_seconds=round(seconds, 1),
        peak_rss_mb=peak,
    )


def report(result: HostileResult, as_json: bool) -> str:
    if as_json:
        return json.dumps(asdict(result), indent=2)
    peak = f"{result.peak_rss_mb:.0f} MB" if result.peak_rss_mb is not None else "not measured"
    return "\n".join(
        [
            f"slow-loris: {result.slow_connections} connections trickling a byte every 2 s",
            f"  normal deliveries answered 2xx: {result.probes_answered_2xx}/{result.probes}",
            f"  latency p50 {result.probe_p50_ms} ms, p99 {result.probe_p99_ms} ms,"
            f" max {result.probe_max_ms} ms (a failure counts as its time until it failed)",
            f"  with {result.idle_api_connections} idle connections on the emulator's port,"
            f" it answered {result.api_answered}/{result.probes // 10} requests",
            f"large uploads: {result.uploads} x {result.upload_size_mib} MiB at once",
            f"  answered 2xx: {result.uploads_answered_2xx}/{result.uploads}"
            f" in {result.upload_seconds} s; peak RSS of serve: {peak}",
        ]
    )
