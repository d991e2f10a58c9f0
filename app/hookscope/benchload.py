"""Throughput load for `hookscope bench`: `wrk` when it is on PATH, else a Python client.

wrk (a C load generator) is used when present because a Python client shares the cores with
the server it measures and caps a fast one: ratios measured with it flatter a slow server.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

CONNECTIONS = 32
THREADS = 1

_RPS = re.compile(r"Requests/sec:\s*([0-9.]+)")
_TOTAL = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_P99 = re.compile(r"^\s*99%\s+([0-9.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True, slots=True)
class Round:
    """One server under load for a while: what it answered and what it cost."""

    rps: float
    requests: int
    failed: int  # non-2xx answers and socket errors
    p99_ms: float | None
    cpu_us: float | None  # the server process's CPU per request (user + system)


def wrk() -> str | None:
    """The wrk executable, when it is on PATH."""
    return shutil.which("wrk")


def lua_script(body: bytes, headers: dict[str, str]) -> str:
    """A wrk script that POSTs `body` with `headers` on every request."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body)}"]
    lines += [
        f"wrk.headers[{_lua_string(k.encode())}] = {_lua_string(v.encode())}"
        for k, v in headers.items()
    ]
    return "\n".join(lines) + "\n"


def _lua_string(data: bytes) -> str:
    """A Lua string literal of exactly these bytes (every unsafe byte as a decimal escape)."""
    safe = {*range(0x20, 0x7F)} - {ord('"'), ord("\\")}
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in data) + '"'


def cpu_seconds(pid: int) -> float | None:
    """The process's CPU time so far (all its threads); None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of stat (utime, stime); [0] here is field 3, the state.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_wrk(output: str) -> tuple[float, int, int, float | None]:
    """Requests per second, requests, failed requests and the p99 latency from wrk's report."""
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None:
        raise RuntimeError(f"wrk gave no figures: {output.strip()[-300:]!r}")
    non_2xx = _NON_2XX.search(output)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    errors = _ERRORS.search(output)
    if errors is not None:
        failed += sum(int(n) for n in errors.groups())
    p99 = _P99.search(output)
    p99_ms = float(p99.group(1)) * _UNIT_MS[p99.group(2)] if p99 else None
    return float(rps.group(1)), int(total.group(1)), failed, p99_ms


def run_wrk(url: str, script: Path, seconds: float, pid: int) -> Round:
    """One wrk run against `url`; `pid` is the server's process, for its CPU time."""
    command = [
        wrk() or "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    before = cpu_seconds(pid)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    after = cpu_seconds(pid)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {(done.stderr or done.stdout).strip()[-300:]}")
    rps, total, failed, p99 = parse_wrk(done.stdout)
    return Round(rps, total, failed, p99, _per_request(before, after, total))


def _per_request(before: float | None, after: float | None, total: int) -> float | None:
    if before is None or after is None or total == 0:
        return None
    return round((after - before) / total * 1e6, 1)


def run_python(url: str, body: bytes, headers: dict[str, str], total: int, pid: int) -> Round:
    """The fallback: `total` POSTs from an aiohttp client over CONNECTIONS connections."""
    before = cpu_seconds(pid)
    rps, failed = asyncio.run(_throughput(url, body, headers, total))
    after = cpu_seconds(pid)
    return Round(rps, total, failed, None, _per_request(before, after, total))


async def _throughput(
    url: str, body: bytes, headers: dict[str, str], total: int
) -> tuple[float, int]:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    failed = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        queue = iter(range(total))

        async def worker() -> None:
            nonlocal failed
            for _ in queue:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    failed += not 200 <= response.status < 300

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return total / (time.perf_counter() - started), failed
