"""The delivery log on a real SQLite file: attempts stored whole, listed light, filtered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import Attempt, DeliveryQuery, Outgoing
from hookscope.storage import deliveries as delivery_store
from hookscope.storage.db import open_store


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    store = open_store(tmp_path / "data")
    yield store
    store.close()


def attempt(fire: str = "f1", status: int | None = 200, **overrides: object) -> Attempt:
    request = Outgoing(
        url="http://127.0.0.1:9/x",
        body=b"\x00\xffbinary and \xe2\x9c\x93" * 1000,
        headers=(("Content-Type", "application/json"), ("X-Dup", "1"), ("X-Dup", "2")),
        target_id="t-1",
        event="job.created",
        note="signed with the target's secret",
    )
    answered = status is not None  # no status: no response, so no headers or body either
    fields: dict[str, object] = {
        "fire_id": fire,
        "request": request,
        "status": status,
        "response_headers": (("Server", "test"),) if answered else (),
        "response_body": b"ok" if answered else b"",
        "latency_ms": 12.5,
    }
    fields.update(overrides)
    return Attempt(**fields)  # type: ignore[arg-type]


def test_an_attempt_round_trips_byte_for_byte(db: Database) -> None:
    original = attempt()
    (attempt_id,) = delivery_store.insert_attempts(db, [original])
    stored = delivery_store.get_attempt(db, attempt_id)
    assert stored is not None
    assert stored.request == original.request
    assert (stored.status, stored.response_body, stored.latency_ms) == (200, b"ok", 12.5)
    assert stored.response_headers == original.response_headers


def test_pages_can_leave_the_bodies_out(db: Database) -> None:
    delivery_store.insert_attempts(db, [attempt()])
    (light,) = delivery_store.list_attempts(db, DeliveryQuery(), bodies=False)
    assert light.request.body == b""
    assert light.response_body == b""
    assert light.request.headers == attempt().request.headers
    (whole,) = delivery_store.list_attempts(db, DeliveryQuery())
    assert whole.request.body == attempt().request.body


def test_filters_and_keyset_pages(db: Database) -> None:
    ids = delivery_store.insert_attempts(
        db,
        [
            attempt("a"),
            attempt("a", status=500),
            attempt("b", status=None, error="timed out"),
            attempt("b", status=301),
        ],
    )
    newest_first = [a.id for a in delivery_store.list_attempts(db, DeliveryQuery())]
    assert newest_first == list(reversed(ids))
    failed = delivery_store.list_attempts(db, DeliveryQuery(failed=True))
    assert [a.id for a in failed] == [ids[3], ids[2], ids[1]]
    assert delivery_store.count(db, DeliveryQuery(fire_id="b")) == 2
    page = delivery_store.list_attempts(db, DeliveryQuery(before_id=ids[2], limit=1))
    assert [a.id for a in page] == [ids[1]]
    assert [a.id for a in delivery_store.attempts_of(db, [ids[0], ids[3]])] == [ids[3], ids[0]]
    assert delivery_store.delete_all(db) == 4
    assert delivery_store.list_attempts(db, DeliveryQuery()) == []
