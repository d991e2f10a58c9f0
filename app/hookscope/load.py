"""Load for the measurements: signed Kardow deliveries, sent at a fixed rate.

Shared by `hookscope bench` and the window's measurement (`bench --gui`, which runs `paced` in a
child process), so both sign with the same secret and measure latency the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import aiohttp

BENCH_SECRET = b"bench-secret-0123456789abcdef"


def kardow_delivery(size: int = 1024) -> tuple[bytes, dict[str, str]]:
    """A signed Kardow `job.created` delivery of about `size` bytes."""
    envelope = {
        "event": "job.created",
        "organization_id": 42,
        "timestamp": "2025-07-19T12:00:00.000Z",
        "data": {
            "job_id": "abc-123",
            "title": "Senior Engineer",
            "company_name": "Acme Inc",
            "status": "active",
            "location": "Remote",
            "description": "",
        },
    }
    base = len(json.dumps(envelope).encode())
    envelope["data"]["description"] = "x" * max(0, size - base)  # type: ignore[index]
    body = json.dumps(envelope).encode()
    signature = hmac.new(BENCH_SECRET, body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Kardow-Signature": signature}


async def paced(url: str, rate: int, seconds: float) -> list[float]:
    """Send at a fixed rate; latency counts from when each request was due (no omission)."""
    body, headers = kardow_delivery()
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.1

        async def one(due: float) -> None:
            await asyncio.sleep(max(0.0, due - loop.time()))
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            latencies.append(loop.time() - due)

        count = int(rate * seconds)
        await asyncio.gather(*(one(start + i / rate) for i in range(count)))
    return latencies
