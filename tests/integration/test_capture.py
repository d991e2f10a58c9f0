"""Every kind of request round-trips byte-exact through a real listener into a real store."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest

from hookscope.core.model import ResponseRule
from hookscope.engine import Engine
from hookscope.storage.db import open_store
from hookscope.storage.settings import save_rule
from tests.integration.conftest import http, listener_port, raw_request, stored, wait_for


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("method", "content_type", "body"),
    [
        ("POST", "application/json", b'{"event": "job.created", "organization_id": 42}'),
        ("PUT", "application/x-www-form-urlencoded", b"a=1&b=%C3%A9&a=2"),
        ("PATCH", "text/plain; charset=utf-8", "héllo wörld ✓".encode()),
        ("DELETE", "application/octet-stream", bytes(range(256)) * 4),
        ("POST", "application/json", b'{"bad": "\xff\xfe utf-8"}'),
        ("POST", "multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n"),
        ("POST", "application/json", b""),
    ],
    ids=["json", "form", "text", "binary", "invalid-utf8", "multipart", "empty"],
)
def test_body_is_stored_byte_exact(
    port: int, data_dir: Path, method: str, content_type: str, body: bytes
) -> None:
    reply = http(port, method, "/hooks/in", [("Content-Type", content_type)], body)

    assert reply.status == 200
    capture = stored(data_dir, reply.json()["capture_id"])
    assert sha(capture.body) == sha(body)
    assert capture.method == method
    assert capture.content_type == content_type
    assert capture.body_truncated is False


def test_get_keeps_path_and_raw_query(port: int, data_dir: Path) -> None:
    reply = http(port, "GET", "/a%20b/c;x?q=%E2%9C%93&empty=&flag&q=2")

    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.method == "GET"
    assert capture.path == "/a%20b/c;x"
    assert capture.query == "q=%E2%9C%93&empty=&flag&q=2"
    assert capture.body == b""
    assert capture.http_version == "1.1"
    assert capture.remote.startswith("127.0.0.1:")


def test_header_order_case_and_duplicates_are_kept(port: int, data_dir: Path) -> None:
    headers = [
        ("X-Zeta", "1"),
        ("x-alpha", "first"),
        ("X-Kardow-Signature", "ab" * 32),
        ("X-ALPHA", "second"),
        ("Set-Thing", "a, b"),
    ]
    reply = http(port, "POST", "/h", headers, b"{}")

    capture = stored(data_dir, reply.json()["capture_id"])
    sent = [("Host", "127.0.0.1"), *headers, ("Content-Length", "2"), ("Connection", "close")]
    assert list(capture.headers) == sent
    assert capture.header_values("x-alpha") == ["first", "second"]


def test_non_utf8_header_bytes_round_trip(port: int, data_dir: Path) -> None:
    request = b"POST /h HTTP/1.1\r\nHost: x\r\nX-Raw: caf\xe9\r\nContent-Length: 0\r\n\r\n"
    reply = raw_request(port, request)

    capture = stored(data_dir, reply.json()["capture_id"])
    name, value = capture.headers[1]
    assert name == "X-Raw"
    from hookscope.core.model import header_bytes

    assert header_bytes(value) == b"caf\xe9"


def test_chunked_body_is_stored_dechunked(port: int, data_dir: Path) -> None:
    body = b'{"event": "job.updated"}' * 100
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 333]), body[i : i + 333])
        for i in range(0, len(body), 333)
    )
    request = (
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    reply = raw_request(port, request)

    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == body
    assert ("Transfer-Encoding", "chunked") in capture.headers


def test_gzip_body_is_kept_as_received(port: int, data_dir: Path) -> None:
    original = json.dumps({"event": "job.created", "data": {"title": "x" * 500}}).encode()
    compressed = gzip.compress(original)
    reply = http(
        port,
        "POST",
        "/gz",
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        compressed,
    )

    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.body == compressed
    assert gzip.decompress(capture.body) == original


def test_http_1_0_and_keep_alive_requests(port: int, data_dir: Path) -> None:
    reply = raw_request(port, b"GET /old HTTP/1.0\r\n\r\n")
    assert stored(data_dir, reply.json()["capture_id"]).http_version == "1.0"

    import socket

    from tests.integration.conftest import read_reply

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        ids = []
        for n in range(3):
            body = f'{{"n": {n}}}'.encode()
            sock.sendall(b"POST /ka HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
            sock.sendall(body)
            ids.append(read_reply(sock).json()["capture_id"])
    assert ids == sorted(ids)
    assert [stored(data_dir, i).body for i in ids] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']


def test_large_body_round_trips(port: int, data_dir: Path) -> None:
    body = os.urandom(5 * 1024 * 1024)
    reply = http(port, "POST", "/big", [("Content-Type", "application/octet-stream")], body)

    capture = stored(data_dir, reply.json()["capture_id"])
    assert sha(capture.body) == sha(body)


def test_default_answer_names_the_committed_capture(port: int, data_dir: Path) -> None:
    first = http(port, "POST", "/a", body=b"1")
    second = http(port, "POST", "/b", body=b"2")

    assert first.header("Content-Type") == "application/json"
    assert first.json() == {"ok": True, "capture_id": first.json()["capture_id"]}
    assert second.json()["capture_id"] == first.json()["capture_id"] + 1
    capture = stored(data_dir, second.json()["capture_id"])
    assert capture.response is not None
    assert capture.response.status == 200
    assert json.loads(capture.response.body) == second.json()


def test_response_rules_apply_and_reload_while_running(engine: Engine, data_dir: Path) -> None:
    assert engine.listener is not None
    port = engine.listener.port
    db = open_store(data_dir)
    save_rule(
        db,
        ResponseRule(
            pattern="/slow/*",
            status=202,
            headers=(("Content-Type", "text/plain"), ("X-Hookscope-Test", "yes")),
            body="queued {capture_id}",
            delay_ms=200,
        ),
    )
    save_rule(db, ResponseRule(pattern="*", method="DELETE", status=500, body="nope", position=1))
    db.close()

    reply = wait_for(lambda: (r := http(port, "POST", "/slow/x", body=b"x")).status == 202 and r)
    assert reply, "the listener never picked up the new rule"
    capture_id = int(reply.body.decode().split()[1])
    assert reply.header("X-Hookscope-Test") == "yes"
    assert reply.body == f"queued {capture_id}".encode()
    assert stored(data_dir, capture_id).response.status == 202  # type: ignore[union-attr]

    assert http(port, "DELETE", "/any").status == 500
    assert http(port, "POST", "/other", body=b"x").status == 200


def test_an_invalid_stored_rule_is_skipped_not_sent(engine: Engine, data_dir: Path) -> None:
    port = listener_port(engine)
    db = open_store(data_dir)
    with db.atomic():  # written around check_rule, as a hand edit or an old version might
        db.execute(
            "INSERT INTO rules (pattern, status, headers, body) VALUES ('*', 99, ?, ?)",
            [json.dumps([["Content-Length", "3"]]), "x"],
        )
    save_rule(db, ResponseRule(pattern="/marker", status=202, position=1))
    db.close()
    # The valid rule saved after it answering proves the engine has read both.
    assert wait_for(lambda: http(port, "POST", "/marker", body=b"{}").status == 202)

    reply = http(port, "POST", "/still-fine", body=b"{}")
    assert reply.status == 200
    assert reply.json()["ok"] is True


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (101, [["Upgrade", "websocket"]]),
        (100, []),
        (200, [["X-A", "a\u0000b"]]),
        (200, [["X-Bad Name", "v"]]),
        (200, [["Connection", "keep-alive"]]),
    ],
    ids=["101-upgrade", "100", "nul-in-value", "space-in-name", "hop-by-hop"],
)
def test_a_stored_rule_that_would_hang_or_break_the_answer_is_skipped(
    engine: Engine, data_dir: Path, status: int, headers: list[list[str]]
) -> None:
    port = listener_port(engine)
    db = open_store(data_dir)
    with db.atomic():  # written around check_rule, as a hand edit or an old version might
        db.execute(
            "INSERT INTO rules (pattern, status, headers, body, position) VALUES (?, ?, ?, ?, 0)",
            ["/bad", status, json.dumps(headers), "x"],
        )
    save_rule(db, ResponseRule(pattern="/marker", status=202, position=1))
    db.close()
    # The valid rule saved with it answering proves the engine has read both.
    assert wait_for(lambda: http(port, "POST", "/marker", body=b"{}").status == 202)

    reply = http(port, "POST", "/bad", body=b"{}")  # a final answer, not a hang or a reset
    assert reply.status == 200
    assert reply.json()["ok"] is True


@pytest.mark.parametrize("status", [204, 304])
def test_a_no_body_status_answers_completely_and_stores_no_body(
    engine: Engine, data_dir: Path, status: int
) -> None:
    port = listener_port(engine)
    db = open_store(data_dir)
    save_rule(db, ResponseRule(pattern="/empty", status=status))
    db.close()

    reply = wait_for(lambda: (r := http(port, "POST", "/empty", body=b"{}")).status == status and r)
    assert reply, "the listener never picked up the rule"
    assert reply.body == b""
    capture_id = stored_ids(data_dir)[-1]
    response = stored(data_dir, capture_id).response
    assert response is not None
    assert (response.status, response.body) == (status, b"")


def stored_ids(data_dir: Path) -> list[int]:
    db = open_store(data_dir)
    try:
        return [row[0] for row in db.execute("SELECT id FROM captures ORDER BY id")]
    finally:
        db.close()
