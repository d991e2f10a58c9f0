"""Commands that write beside a `serve` busy capturing: they wait their turn, never "locked"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Serve, hookscope, http, wait_for

pytestmark = pytest.mark.slow

FLOOD_LIMIT = 60.0  # seconds: the flood stops by then whatever happens
PREFILL = 1200  # captures stored before the commands run: reverify then has several batches


class Flood:
    """Threads posting deliveries to a listener until stopped (or FLOOD_LIMIT passes)."""

    def __init__(self, port: int, threads: int = 3) -> None:
        self.port = port
        self.sent = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + FLOOD_LIMIT
        while not self._stop.is_set() and time.monotonic() < deadline:
            reply = http(self.port, "POST", "/flood", [("Content-Type", "application/json")], b"{}")
            with self._lock:
                if reply.status == 200:
                    self.sent += 1
                else:
                    self.errors.append(f"{reply.status} {reply.body!r}")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(FLOOD_LIMIT)


def test_cli_writes_succeed_while_serve_is_receiving(
    serve: Callable[..., Serve], data_dir: Path
) -> None:
    child = serve("--port", "0")
    flood = Flood(child.port)
    try:
        assert wait_for(lambda: flood.sent >= PREFILL, timeout=30), "the flood never got going"
        before = flood.sent
        results = [
            hookscope(data_dir, "captures", "reverify"),
            hookscope(data_dir, "secrets", "add", "kardow", "busy", "--secret", "s" * 24),
            hookscope(data_dir, "captures", "reverify"),
            hookscope(data_dir, "paths", "set", "/flood", "kardow"),
            hookscope(data_dir, "rules", "add", "/elsewhere", "--status", "202"),
            hookscope(
                *(data_dir, "schemes", "add", "busy-scheme", "--header", "X-Busy-Sig"),
                *("--algorithm", "sha256", "--encoding", "hex"),
            ),
            hookscope(data_dir, "secrets", "add", "busy-scheme", "busy2", "--secret", "s"),
        ]
        during = flood.sent - before
    finally:
        flood.stop()

    assert during > 0, "nothing was captured while the commands ran: the test proved nothing"
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "locked" not in result.stderr
        assert "Traceback" not in result.stderr
    assert flood.errors == []
    assert child.stop() == 0
