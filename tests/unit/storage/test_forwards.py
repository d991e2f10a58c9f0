"""Forwards on a real SQLite file: stored with their capture, their state read from the log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.forwarding import PROXY, Forward, ForwardRule, forward_request
from hookscope.core.model import Attempt, DeliveryQuery, utc_now
from hookscope.storage import forwards as forward_store
from hookscope.storage.db import connect, open_store, write_transaction
from hookscope.storage.deliveries import insert_attempts, list_attempts
from hookscope.storage.migrations import migrations
from hookscope.storage.paths import db_path
from hookscope.storage.writer import insert_captures
from tests.conftest import make_capture


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    store = open_store(tmp_path / "data")
    yield store
    store.close()


def capture_with(db: Database, *forwards: Forward) -> tuple[int, tuple[int, ...]]:
    (capture_id,) = insert_captures(db, [make_capture()])
    with write_transaction(db):
        ids = forward_store.insert_forwards(db.conn, capture_id, forwards)
    return capture_id, ids


def logged(db: Database, forward_id: int, capture_id: int, **fields: object) -> None:
    forward = Forward("http://app/x", id=forward_id)
    request = forward_request(replace(make_capture(), id=capture_id), forward)
    insert_attempts(db, [Attempt(forward.fire_id, request, **fields)])  # type: ignore[arg-type]


def test_rules_round_trip_in_the_order_they_are_tried(db: Database) -> None:
    later = ForwardRule("/b", "http://b", position=5)
    first = ForwardRule("/a", "http://a", PROXY, "kardow", "job.*", "/a", "local", False, 1)
    ids = [forward_store.save_rule(db, rule) for rule in (later, first)]

    assert forward_store.list_rules(db) == [replace(first, id=ids[1]), replace(later, id=ids[0])]
    forward_store.save_rule(db, replace(later, id=ids[0], url="http://c"))
    assert forward_store.list_rules(db)[1].url == "http://c"
    assert forward_store.delete_rule(db, ids[0])
    assert not forward_store.delete_rule(db, ids[0])


def test_a_forwards_state_is_its_last_attempt(db: Database) -> None:
    capture_id, (sent, unsent) = capture_with(
        db, Forward("http://a/x"), Forward("http://b/x", mode=PROXY)
    )
    logged(db, sent, capture_id, error="could not connect", final=True)
    logged(db, sent, capture_id, status=200)

    states = forward_store.forwards_of(db, [capture_id, 999])[capture_id]

    assert [(s.forward.id, s.state, s.attempts) for s in states] == [
        (sent, "delivered", 2),
        (unsent, "not sent yet", 0),
    ]
    assert states[1].forward.mode == PROXY
    assert forward_store.get_forward(db, unsent) == states[1]
    assert forward_store.get_forward(db, 999) is None


def test_failed_and_unsent_forwards_of_a_period_are_found_oldest_first(db: Database) -> None:
    old = Forward("http://a", created_at=utc_now() - timedelta(days=2))
    c1, (failed, delivered, unsent, ancient) = capture_with(
        db, Forward("http://a"), Forward("http://b"), Forward("http://c"), old
    )
    logged(db, failed, c1, status=503)
    logged(db, delivered, c1, status=204)
    c2, (gone,) = capture_with(db, Forward("http://d"))
    db.execute("DELETE FROM captures WHERE id = ?", [c2])  # nothing left to send

    def found(**period: object) -> list[int | None]:
        return [f.id for f in forward_store.failed_forwards(db, **period)]  # type: ignore[arg-type]

    assert found() == [failed, unsent, ancient]
    assert found(since=utc_now() - timedelta(hours=1)) == [failed, unsent]
    assert found(until=utc_now() - timedelta(days=1)) == [ancient]
    assert gone not in found()


def test_a_run_sends_again_only_background_forwards_left_unfinished(db: Database) -> None:
    c1, (unsent, retry_due, done, proxied) = capture_with(
        db,
        Forward("http://a"),
        Forward("http://b"),
        Forward("http://c"),
        Forward("http://d", PROXY),
    )
    logged(db, retry_due, c1, status=503, final=False)  # killed while waiting to retry
    logged(db, done, c1, status=500, final=True)  # failed for good: a retry is the user's call

    left = forward_store.unfinished_forwards(db, utc_now() - timedelta(hours=1))

    assert [f.id for f in left] == [unsent, retry_due]
    assert proxied not in [f.id for f in left]


def test_a_store_from_before_forwarding_keeps_its_delivery_log(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    conn = connect(db_path(folder))
    old = Database(conn, execute_plugins=False)
    migrations.apply(old, stop_before="m011_forwarding")
    old.execute(
        "INSERT INTO deliveries (fire_id, number, final, started_at, kind, method, url,"
        " request_headers, request_body, status, latency_ms) VALUES"
        " ('f', 1, 1, '2026-01-01T00:00:00.000000Z', 'replay', 'POST', 'http://x', '[]', x'',"
        " 200, 1.0)"
    )
    old.close()

    db = open_store(folder)
    try:
        (attempt,) = list_attempts(db, DeliveryQuery())
        assert attempt.request.forward_id is None
        assert attempt.status == 200
        assert forward_store.list_rules(db) == []
    finally:
        db.close()
