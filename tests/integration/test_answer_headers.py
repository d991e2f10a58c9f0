"""The answer stored with a capture is the answer the sender got: every header, and timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookscope.core.model import ResponseRule
from hookscope.engine import Engine
from hookscope.storage.captures import newest_id
from hookscope.storage.db import open_store
from hookscope.storage.settings import save_rule
from tests.integration.conftest import Reply, http, raw_request, stored


def add_rule(data_dir: Path, engine: Engine, rule: ResponseRule) -> None:
    db = open_store(data_dir)
    try:
        save_rule(db, rule)
    finally:
        db.close()
    engine.config.reload()


def assert_stored_as_sent(data_dir: Path, reply: Reply, *, head: bool = False) -> None:
    db = open_store(data_dir)
    try:
        capture = stored(data_dir, newest_id(db))
    finally:
        db.close()
    assert capture.response is not None
    assert capture.response.status == reply.status
    assert list(capture.response.headers) == reply.headers
    # An answer to HEAD goes without its body; the body its Content-Length describes is kept.
    assert capture.response.body == reply.body or head


def test_the_default_answer_is_stored_with_every_header_sent(
    port: int, data_dir: Path, engine: Engine
) -> None:
    reply = http(port, "POST", "/hooks/in", [("Content-Type", "application/json")], b"{}")

    names = [name for name, _ in reply.headers]
    assert names == ["Content-Type", "Content-Length", "Date", "Server", "Connection"]
    assert reply.header("Server") == "Hookscope/0.1.0"
    assert_stored_as_sent(data_dir, reply)


@pytest.mark.parametrize(
    "rule",
    [
        ResponseRule(pattern="/r", status=204, body="ignored", headers=()),
        ResponseRule(pattern="/r", status=202, body="", headers=(("X-A", "1"), ("X-A", "2"))),
        ResponseRule(pattern="/r", status=200, body="no type", headers=()),
        ResponseRule(pattern="/r", status=200, headers=(("Server", "mine"), ("Date", "then"))),
    ],
    ids=["204", "empty-202-duplicates", "no-content-type", "rule-sets-server-and-date"],
)
def test_a_rules_answer_is_stored_as_sent(
    port: int, data_dir: Path, engine: Engine, rule: ResponseRule
) -> None:
    add_rule(data_dir, engine, rule)
    reply = http(port, "POST", "/r", [], b"x")
    assert_stored_as_sent(data_dir, reply)


def test_head_and_http_1_0_keep_alive_are_stored_as_sent(port: int, data_dir: Path) -> None:
    head = raw_request(port, b"HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert_stored_as_sent(data_dir, head, head=True)
    old = raw_request(port, b"GET /o HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    assert old.header("Connection") == "keep-alive"
    assert_stored_as_sent(data_dir, old)


def test_a_refusal_is_stored_as_sent(small_engine: Engine, data_dir: Path) -> None:
    assert small_engine.listener is not None
    reply = http(small_engine.listener.port, "POST", "/big", [], b"x" * 2048)
    assert reply.status == 413
    assert_stored_as_sent(data_dir, reply)


def test_receive_and_answer_times_are_stored(port: int, data_dir: Path, engine: Engine) -> None:
    add_rule(data_dir, engine, ResponseRule(pattern="/slow", delay_ms=150))
    reply = http(port, "POST", "/slow", [], b"{}")
    capture = stored(data_dir, reply.json()["capture_id"])
    assert capture.receive_ms is not None
    assert 0 <= capture.receive_ms < 5000
    assert capture.answer_ms is not None
    assert 150 <= capture.answer_ms < 5150  # the rule's delay is part of the wait
