"""What a stranger on the internet can do to the listening ports, replayed on loopback."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookscope.core.model import CaptureQuery
from hookscope.engine import Engine
from hookscope.storage.captures import list_summaries
from hookscope.storage.db import open_store
from tests.conftest import running_engine
from tests.integration.conftest import http, listener_port, raw_request, read_reply, stored

GRACE = 1.2  # a little over the guard's grace: older connections may be made to give way


@pytest.fixture
def guarded(data_dir: Path) -> Iterator[Engine]:
    """An engine with a small connection cap on both ports, and the emulator on."""
    with running_engine(
        data_dir,
        max_connections=8,
        api_max_connections=8,
        body_limit=64 * 1024,
        body_timeout=2.0,
        body_deadline=3.0,
    ) as running:
        running.call(running.start_api(0)).result(10)
        yield running


class Trickle:
    """Slow-loris connections: each sends a byte of its request now and then, never finishing."""

    def __init__(self, port: int, count: int, *, in_body: bool) -> None:
        self.sockets: list[socket.socket] = []
        self.port = port
        self.in_body = in_body
        self.closed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.open(count)

    def open(self, count: int) -> None:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if self.in_body:
                sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nx")
            else:
                sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\n")
            self.sockets.append(sock)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.3):
            for sock in list(self.sockets):
                try:
                    sock.send(b"x" if self.in_body else b"X-Slow: 1\r\n")
                except OSError:
                    self.sockets.remove(sock)
                    sock.close()
                    self.closed += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        for sock in self.sockets:
            sock.close()


def deliver(port: int, n: int) -> int:
    reply = http(port, "POST", f"/probe/{n}", [("Content-Type", "application/json")], b"{}")
    return reply.status


@pytest.mark.parametrize("in_body", [False, True], ids=["slow-head", "slow-body"])
def test_more_slow_connections_than_the_cap_cannot_keep_deliveries_out(
    guarded: Engine, data_dir: Path, in_body: bool
) -> None:
    port = listener_port(guarded)
    attack = Trickle(port, 8, in_body=in_body)
    try:
        time.sleep(GRACE)  # the first wave is now old enough to give way
        attack.open(8)  # twice the cap: each newcomer pushes out an old, slow one
        attack.start()
        time.sleep(GRACE)

        statuses = [deliver(port, n) for n in range(10)]
    finally:
        attack.stop()

    assert statuses == [200] * 10
    assert guarded.listener is not None
    assert guarded.listener.guard is not None
    assert guarded.listener.guard.evicted >= 8
    assert_probes_stored(data_dir, 10)


def assert_probes_stored(data_dir: Path, count: int) -> None:
    db = open_store(data_dir)
    try:
        paths = {row.path for row in list_summaries(db, CaptureQuery(limit=1000))}
    finally:
        db.close()
    assert {f"/probe/{n}" for n in range(count)} <= paths


def test_idle_connections_to_the_emulator_cannot_starve_either_port(guarded: Engine) -> None:
    assert guarded.api is not None
    api_port = guarded.api.port
    idle = [socket.create_connection(("127.0.0.1", api_port), timeout=5) for _ in range(8)]
    try:
        time.sleep(GRACE)
        idle += [socket.create_connection(("127.0.0.1", api_port), timeout=5) for _ in range(12)]
        time.sleep(GRACE)

        reply = http(api_port, "POST", "/webhooks", [("Content-Type", "application/json")], b"{}")
        assert reply.status == 401
        assert reply.json()["error"]["code"] == "unauthorized" or "error" in reply.json()
        assert deliver(listener_port(guarded), 0) == 200
    finally:
        for sock in idle:
            sock.close()
    assert guarded.api.guard is not None
    assert guarded.api.guard.evicted >= 8


def test_at_the_cap_with_only_new_connections_the_503_arrives_whole(guarded: Engine) -> None:
    port = listener_port(guarded)
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(8)]
    try:
        assert guarded.listener is not None
        assert guarded.listener.guard is not None
        guard = guarded.listener.guard
        deadline = time.monotonic() + 5
        while len(guard) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        # A sender that writes its whole request at once, body included: closing on unread
        # data would reset the connection and erase the answer.
        body = b"x" * 60_000
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                b"POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
                + body
            )
            reply = read_reply(sock)
    finally:
        for sock in held:
            sock.close()
    assert reply.status == 503
    assert reply.header("Retry-After") == "1"
    assert json.loads(reply.body)["error"]["code"] == "too_many_connections"


def test_a_body_that_never_ends_is_cut_at_the_whole_body_deadline(
    guarded: Engine, data_dir: Path
) -> None:
    port = listener_port(guarded)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /trickle HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        sock.settimeout(0.2)
        reply = None
        deadline = time.monotonic() + 8
        # One byte every 0.2 s never stalls the 2 s read timeout; only the 3 s deadline ends it.
        while reply is None and time.monotonic() < deadline:
            try:
                sock.send(b"y")
                data = sock.recv(65536, socket.MSG_PEEK)
                if data:
                    sock.settimeout(5)
                    reply = read_reply(sock)
            except TimeoutError:
                continue
    assert reply is not None, "the listener never answered a body that never ends"
    assert reply.status == 408
    error = reply.json()
    assert error["error"]["code"] == "body_timeout"
    capture = stored(data_dir, error["capture_id"])
    assert capture.body_truncated is True
    assert 0 < len(capture.body) < 1000
    assert set(capture.body) == {ord("y")}


def test_a_half_closed_sender_still_gets_its_answer(guarded: Engine, data_dir: Path) -> None:
    port = listener_port(guarded)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        sock.shutdown(socket.SHUT_WR)
        reply = read_reply(sock)
    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == b"{}"
    assert capture.response is not None
    assert capture.response.status == 200


def test_a_sender_that_half_closes_mid_body_is_told_and_recorded(
    guarded: Engine, data_dir: Path
) -> None:
    port = listener_port(guarded)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        sock.shutdown(socket.SHUT_WR)
        reply = read_reply(sock)
    assert reply.status == 400
    error = reply.json()
    assert error["error"]["code"] == "incomplete_body"
    capture = stored(data_dir, error["capture_id"])
    assert capture.body == b"12345"
    assert capture.body_truncated is True


def test_a_declared_oversize_body_does_not_claim_bytes_were_kept(guarded: Engine) -> None:
    port = listener_port(guarded)
    reply = raw_request(
        port, b"POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"
    )
    assert reply.status == 413
    message = reply.json()["error"]["message"]
    assert "nothing of it was kept" in message
    assert "bytes were kept" not in message


def test_a_raw_utf8_path_is_captured_as_sent(guarded: Engine, data_dir: Path) -> None:
    port = listener_port(guarded)
    reply = raw_request(
        port,
        "POST /café/ünïcode?q=naïve&x=%41 HTTP/1.1\r\n".encode()
        + b"Host: x\r\nContent-Length: 2\r\n\r\n{}",
    )
    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.path == "/café/ünïcode"
    assert capture.query == "q=naïve&x=%41"


def test_malformed_requests_log_one_short_line_each_at_most(
    guarded: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    port = listener_port(guarded)
    caplog.set_level(logging.WARNING, logger="aiohttp.server")
    for n in range(60):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /a\x01b%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            assert b" 400 " in sock.recv(4096)
    assert deliver(port, 0) == 200
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert records, "a malformed request should still be logged"
    assert len(records) < 30  # rate-limited: a stranger cannot fill the log at will
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)


@pytest.mark.slow
def test_the_hostile_benchmark_measures_real_deliveries_and_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hookscope import benchhostile

    # Smaller than the real thing, so the test stays short; the figures are still real.
    monkeypatch.setattr(benchhostile, "SLOW_CONNECTIONS", 20)
    monkeypatch.setattr(benchhostile, "IDLE_API_CONNECTIONS", 10)
    monkeypatch.setattr(benchhostile, "PROBES", 20)
    monkeypatch.setattr(benchhostile, "UPLOADS", 4)
    monkeypatch.setattr(benchhostile, "UPLOAD_SIZE", 2 * 1024 * 1024)
    result = benchhostile.run()
    assert result.probes_answered_2xx == 20
    assert result.api_answered == 2
    assert result.uploads_answered_2xx == 4
    assert 0 < result.probe_p50_ms <= result.probe_p99_ms <= result.probe_max_ms
    assert result.peak_rss_mb is not None
    assert result.peak_rss_mb > 20
    assert "normal deliveries answered 2xx: 20/20" in benchhostile.report(result, False)
    assert json.loads(benchhostile.report(result, True))["uploads"] == 4


def test_raw_non_utf8_bytes_in_a_path_are_captured_exactly(guarded: Engine, data_dir: Path) -> None:
    port = listener_port(guarded)
    reply = raw_request(
        port, b"POST /bin/\xff\xfe/x?k=\x80v HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.path.encode("utf-8", "surrogateescape") == b"/bin/\xff\xfe/x"
    assert capture.query.encode("utf-8", "surrogateescape") == b"k=\x80v"


def test_a_pipelined_request_after_a_raw_byte_path_is_captured_too(
    guarded: Engine, data_dir: Path
) -> None:
    port = listener_port(guarded)
    first = b"POST /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na"
    second = b"POST /plain HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nb"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(first + second)
        stream = b""
        while chunk := sock.recv(65536):  # both answers, then the close the second asked for
            stream += chunk
    answers = [part for part in stream.split(b"HTTP/1.1 ") if part]
    assert [answer[:3] for answer in answers] == [b"200", b"200"]
    ids = [json.loads(answer.rsplit(b"\r\n\r\n", 1)[1])["capture_id"] for answer in answers]
    assert [stored(data_dir, capture_id).path for capture_id in ids] == ["/café", "/plain"]
