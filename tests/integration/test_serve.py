"""`hookscope serve` as a user runs it: a separate process, signals, and a shared data dir."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from hookscope.storage.captures import get_capture
from hookscope.storage.db import open_store
from tests.integration.conftest import Serve, hookscope, http, stored

pytestmark = pytest.mark.slow

StartServe = Callable[..., Serve]


def test_serve_prints_the_url_and_stops_cleanly_on_sigterm(serve: StartServe) -> None:
    child = serve("--port", "0")

    assert child.first_line == f"listening on http://127.0.0.1:{child.port}"
    assert http(child.port, "POST", "/x", body=b"{}").status == 200
    assert child.stop(signal.SIGTERM) == 0
    assert "Traceback" not in child.stderr()


def test_sigint_commits_in_flight_captures_before_exiting(
    serve: StartServe, data_dir: Path
) -> None:
    child = serve("--port", "0")
    sock = socket.create_connection(("127.0.0.1", child.port), timeout=10)
    # A first request answered proves the connection is accepted (a signal that came before
    # the accept would leave nothing in flight, and the test would race).
    sock.sendall(b"POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert b" 200 " in sock.recv(4096)
    # A request whose body is still arriving when the signal comes.
    sock.sendall(b"POST /in-flight HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
    time.sleep(0.2)  # let the listener read the head: the request is now in flight
    child.process.send_signal(signal.SIGINT)
    sock.sendall(b"67890")
    answer = sock.recv(4096)
    sock.close()

    assert child.process.wait(30) == 0
    assert b" 200 " in answer.split(b"\r\n")[0]
    capture_id = json.loads(answer.split(b"\r\n\r\n", 1)[1])["capture_id"]
    db = open_store(data_dir)
    capture = get_capture(db, capture_id)
    db.close()
    assert capture is not None
    assert capture.body == b"1234567890"


def test_port_in_use_is_one_clear_sentence(serve: StartServe, data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = hookscope(data_dir, "serve", "--port", str(port))

    assert result.returncode == 1
    assert result.stderr.startswith(f"hookscope: Cannot listen on 127.0.0.1:{port}:")
    assert "Traceback" not in result.stderr


def test_non_loopback_bind_warns(serve: StartServe) -> None:
    child = serve("--host", "0.0.0.0", "--port", "0")
    assert child.first_line.startswith("listening on http://0.0.0.0:")
    assert child.stop() == 0
    assert "exposed to the network" in child.stderr()


def test_loopback_bind_does_not_warn(serve: StartServe) -> None:
    child = serve("--port", "0")
    assert child.stop() == 0
    assert "warning" not in child.stderr()


def test_cli_reads_while_serve_runs(serve: StartServe, data_dir: Path) -> None:
    child = serve("--port", "0")
    ids = [http(child.port, "POST", f"/p/{n}", body=b'{"n": %d}' % n).json() for n in range(3)]

    listed = hookscope(data_dir, "captures", "list", "--json")
    shown = hookscope(data_dir, "captures", "show", str(ids[1]["capture_id"]), "--json")

    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["path"] for r in rows] == ["/p/2", "/p/1", "/p/0"]
    for key in ("id", "received_at", "method", "query", "remote", "provider", "event"):
        assert key in rows[0]
    assert rows[0]["verdict"] == "n/a"
    assert rows[0]["response_status"] == 200
    assert json.loads(shown.stdout)["body_text"] == '{"n": 1}'
    assert child.stop() == 0


async def _burst(port: int, total: int, kill_after: int, pid: int) -> list[tuple[int, str]]:
    """Fire `total` concurrent requests; SIGKILL the server after `kill_after` 2xx answers."""
    acked: list[tuple[int, str]] = []
    connector = aiohttp.TCPConnector(limit=64, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int) -> None:
            body = json.dumps({"n": n, "pad": "x" * 512}).encode()
            try:
                async with session.post(f"http://127.0.0.1:{port}/burst/{n}", data=body) as r:
                    if 200 <= r.status < 300:
                        answer = await r.json()
                        acked.append((answer["capture_id"], hashlib.sha256(body).hexdigest()))
                        if len(acked) == kill_after:
                            os.kill(pid, signal.SIGKILL)
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                pass  # the server died under this request: it was never acknowledged

        await asyncio.gather(*(one(n) for n in range(total)))
    return acked


def test_sigkill_mid_burst_loses_no_acknowledged_capture(serve: StartServe, data_dir: Path) -> None:
    child = serve("--port", "0")
    acked = asyncio.run(_burst(child.port, total=3000, kill_after=400, pid=child.process.pid))
    assert child.process.wait(10) == -signal.SIGKILL
    assert 400 <= len(acked) < 3000, "the kill did not land mid-burst"

    restarted = serve("--port", "0")
    db = open_store(data_dir)
    try:
        for capture_id, digest in acked:
            capture = get_capture(db, capture_id)
            assert capture is not None, f"capture {capture_id} was acknowledged, then lost"
            assert hashlib.sha256(capture.body).hexdigest() == digest
        newest = max(capture_id for capture_id, _ in acked)
    finally:
        db.close()
    after = http(restarted.port, "POST", "/after-restart", body=b"{}")
    assert after.json()["capture_id"] > newest
    assert restarted.stop() == 0


def _storm(pid: int, rhythm: str) -> None:
    """Signals as an impatient user or a process manager sends them."""
    if rhythm == "pairs":  # two SIGTERMs about 100 µs apart, again and again
        for _ in range(20):
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.0001)
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.003)
    elif rhythm == "burst":
        for _ in range(200):
            os.kill(pid, signal.SIGTERM)
    else:  # SIGINT and SIGTERM interleaved, with pauses of every length
        for n in range(60):
            os.kill(pid, signal.SIGINT if n % 2 else signal.SIGTERM)
            time.sleep((n % 7) * 0.0005)


@pytest.mark.parametrize("rhythm", ["pairs", "burst", "mixed"])
def test_any_rhythm_of_signals_ends_in_exit_0_with_in_flight_captures_committed(
    serve: StartServe, data_dir: Path, rhythm: str
) -> None:
    for attempt in range(4):
        child = serve("--port", "0")
        sock = socket.create_connection(("127.0.0.1", child.port), timeout=10)
        sock.sendall(b"POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        assert b" 200 " in sock.recv(4096)
        body = f"{rhythm}-{attempt}".encode()
        sock.sendall(
            b"POST /in-flight HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body[:3]
        )
        time.sleep(0.2)  # let the listener read the head: the request is now in flight
        # It may finish stopping while the storm goes on: what the test wants.
        with contextlib.suppress(ProcessLookupError):
            _storm(child.process.pid, rhythm)
        sock.sendall(body[3:])
        answer = sock.recv(4096)
        sock.close()

        assert child.process.wait(30) == 0, child.stderr()
        assert b" 200 " in answer.split(b"\r\n")[0]
        capture_id = json.loads(answer.split(b"\r\n\r\n", 1)[1])["capture_id"]
        assert stored(data_dir, capture_id).body == body
        assert "Traceback" not in child.stderr()


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM line")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_forty_concurrent_24_mib_uploads_stay_within_600_mb(
    serve: StartServe, data_dir: Path
) -> None:
    size = 24 * 1024 * 1024
    child = serve("--port", "0")
    # Half random bytes, half one large JSON document (parsing costs many times its size).
    item = b'{"a": 1, "b": "xxxxxxxx"},'
    json_body = (b'{"event": "job.created", "data": [' + item * (size // len(item)))[: size - 2]
    json_body += b"]}"
    bodies = [os.urandom(size), json_body]
    answers: dict[int, bytes] = {}

    def upload(n: int) -> None:
        body = bodies[n % 2]
        with socket.create_connection(("127.0.0.1", child.port), timeout=120) as sock:
            sock.sendall(
                b"POST /big/%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (n, size) + body
            )
            answers[n] = sock.recv(4096)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    peak_mb = _peak_rss_kb(child.process.pid) / 1024
    assert child.stop() == 0

    assert sorted(answers) == list(range(40))
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers.values())
    assert peak_mb < 600, f"peak RSS {peak_mb:.0f} MB"
    db = open_store(data_dir)
    try:
        rows = db.execute("SELECT path, length(body), hex(substr(body, 1, 8)) FROM captures")
        kept = {path: (length, head) for path, length, head in rows.fetchall()}
    finally:
        db.close()
    for n in range(40):
        assert kept[f"/big/{n}"] == (size, bodies[n % 2][:8].hex().upper())
