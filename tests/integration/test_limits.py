"""Every limit answers clearly, keeps what it can, and never stops the listener."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from hookscope.core.model import CaptureQuery
from hookscope.engine import Engine
from hookscope.storage.captures import list_summaries
from hookscope.storage.db import open_store
from tests.integration.conftest import http, listener_port, raw_request, read_reply, stored


@pytest.fixture
def port(small_engine: Engine) -> int:
    return listener_port(small_engine)


def assert_still_captures(port: int, data_dir: Path) -> None:
    reply = http(port, "POST", "/after", body=b'{"still": "alive"}')
    assert reply.status == 200
    assert stored(data_dir, reply.json()["capture_id"]).body == b'{"still": "alive"}'


def all_captures(data_dir: Path) -> list[tuple[str, int | None, int, bool]]:
    db = open_store(data_dir)
    try:
        rows = list_summaries(db, CaptureQuery(limit=1000))
    finally:
        db.close()
    return [(r.path, r.response_status, r.body_size, r.body_truncated) for r in rows]


def test_declared_oversized_body_is_refused_and_recorded(port: int, data_dir: Path) -> None:
    reply = http(port, "POST", "/too-big", [("Content-Type", "application/json")], b"x" * 5000)

    assert reply.status == 413
    error = reply.json()
    assert error["error"]["code"] == "body_too_large"
    assert "1024-byte limit" in error["error"]["message"]
    capture = stored(data_dir, error["capture_id"])
    assert capture.body_truncated is True
    assert capture.response is not None
    assert capture.response.status == 413
    assert_still_captures(port, data_dir)


def test_chunked_oversized_body_is_cut_at_the_limit(port: int, data_dir: Path) -> None:
    body = bytes(range(256)) * 20  # 5120 bytes, no Content-Length
    chunk = b"%x\r\n%s\r\n" % (len(body), body)
    request = b"POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request + b"0\r\n\r\n")
        reply = read_reply(sock)

    assert reply.status == 413
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == body[:1024]
    assert capture.body_truncated is True
    assert_still_captures(port, data_dir)


def test_body_exactly_at_the_limit_is_accepted(port: int, data_dir: Path) -> None:
    reply = http(port, "POST", "/edge", body=b"y" * 1024)
    assert reply.status == 200
    assert stored(data_dir, reply.json()["capture_id"]).body == b"y" * 1024


def test_oversized_header_line_is_a_400_not_a_crash(port: int, data_dir: Path) -> None:
    reply = http(port, "POST", "/h", [("X-Huge", "v" * 5000)], b"{}")
    assert reply.status == 400
    assert_still_captures(port, data_dir)


def test_too_many_headers_is_a_400(port: int, data_dir: Path) -> None:
    reply = http(port, "POST", "/h", [(f"X-H{i}", "v") for i in range(50)], b"{}")
    assert reply.status == 400
    assert_still_captures(port, data_dir)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS ClientHello
        b"NOT HTTP AT ALL\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        b"GET /\x00nul HTTP/1.1\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ],
    ids=["tls", "not-http", "negative-length", "two-lengths", "bad-chunk", "nul", "version"],
)
def test_malformed_requests_never_500_and_never_stop_the_listener(
    port: int, data_dir: Path, garbage: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(garbage)
        try:
            reply = read_reply(sock)
        except (ConnectionError, OSError):
            reply = None  # hanging up is an acceptable answer to garbage
    if reply is not None:
        assert reply.status < 500, reply
    assert all(status is None or status < 500 for _, status, _, _ in all_captures(data_dir))
    assert_still_captures(port, data_dir)


def test_slow_request_head_is_disconnected(port: int, data_dir: Path) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /slowloris HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the listener, not by our timeout
        assert time.monotonic() - started < 4
    assert_still_captures(port, data_dir)


def test_idle_connection_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        assert sock.recv(1024) == b""


def test_stalled_body_gets_408_and_what_arrived_is_kept(port: int, data_dir: Path) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
        reply = read_reply(sock)

    assert reply.status == 408
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == b"half"
    assert capture.body_truncated is True
    assert_still_captures(port, data_dir)


def test_dropped_upload_is_recorded_as_cut(port: int, data_dir: Path) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /dropped HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial")
    # The client is gone; the evidence must still be there.
    from tests.integration.conftest import wait_for

    rows = wait_for(lambda: [r for r in all_captures(data_dir) if r[0] == "/dropped"])
    assert rows, "a dropped upload left no capture"
    assert rows[0][2] == len(b"partial")
    assert rows[0][3] is True


def test_connection_limit_answers_503(port: int, data_dir: Path) -> None:
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.1)
        reply = raw_request(port, b"GET /one-too-many HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reply.status == 503
        assert json.loads(reply.body)["error"]["code"] == "too_many_connections"
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert_still_captures(port, data_dir)


def test_expect_100_continue_over_the_limit_is_refused_before_the_body(
    port: int, data_dir: Path
) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        reply = read_reply(sock)
    assert reply.status == 413


def test_expect_100_continue_within_the_limit(port: int, data_dir: Path) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        reply = read_reply(sock)
    assert reply.status == 200
    assert stored(data_dir, reply.json()["capture_id"]).body == b"hello"
