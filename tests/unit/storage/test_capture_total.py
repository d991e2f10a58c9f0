"""The total of captures the store keeps as rows come and go, and the counts it answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, RetentionPolicy
from hookscope.storage import captures as capture_store
from hookscope.storage import retention
from hookscope.storage.captures import count, delete_captures, set_starred
from hookscope.storage.db import open_store
from hookscope.storage.writer import insert_captures
from tests.conftest import make_capture


def _counted(db: Database, query: CaptureQuery) -> int:
    """The plain count, as the store would make it without its total."""
    clauses = ["1"]
    params: list[object] = []
    if query.before_id is not None:
        clauses.append("id < ?")
        params.append(query.before_id)
    (n,) = db.execute(
        f"SELECT count(*) FROM captures WHERE {' AND '.join(clauses)}", params
    ).fetchone()
    return int(n)


def _agrees(db: Database) -> None:
    (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM captures").fetchone()
    for before in (None, 1, newest // 2 or None, newest, newest + 1, newest + 10):
        query = CaptureQuery(before_id=before)
        assert count(db, query) == _counted(db, query), before
        assert count(db, query, cap=5) == min(5, _counted(db, query))


def test_the_total_follows_inserts_deletes_pruning_and_delete_all(tmp_path: Path) -> None:
    with open_store(tmp_path) as db:
        _agrees(db)
        ids = insert_captures(db, [make_capture() for _ in range(40)])
        _agrees(db)
        delete_captures(db, ids[5:9])
        _agrees(db)
        set_starred(db, ids[:3], True)
        retention.prune_all(db, RetentionPolicy(max_captures=10))
        _agrees(db)
        job = retention.DeleteAll(batch=7)
        for _ in range(1000):
            if not job.step(db):
                break
            if job.deleted == 7:  # captures keep arriving while it works
                insert_captures(db, [make_capture() for _ in range(3)])
        _agrees(db)
        insert_captures(db, [make_capture() for _ in range(4)])
        _agrees(db)
        # The three that arrived during Delete all are kept, as the app keeps them.
        assert db.execute("SELECT n FROM capture_total").fetchone()[0] == 3 + 4


def test_filters_are_still_counted_from_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path) as db:
        insert_captures(db, [make_capture(method="GET") for _ in range(3)])
        insert_captures(db, [make_capture(method="POST") for _ in range(2)])
        # A wrong total must not leak into a filtered count.
        db.execute("UPDATE capture_total SET n = 1000")
        assert count(db, CaptureQuery(method="GET")) == 3
        assert count(db, CaptureQuery(search="job.created")) == 5
        assert count(db, CaptureQuery(after_id=2)) == 3
        assert count(db, CaptureQuery()) == 1000  # (the total is what the store keeps)


def test_far_below_the_newest_the_rows_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture_store, "NEWER_COUNTED", 3)
    with open_store(tmp_path) as db:
        insert_captures(db, [make_capture() for _ in range(10)])
        db.execute("UPDATE capture_total SET n = 1000")
        assert count(db, CaptureQuery(before_id=9)) == 1000 - 2  # two newer: subtracted
        assert count(db, CaptureQuery(before_id=3)) == 2  # eight newer: counted instead


def test_an_older_store_gets_its_total_when_migrated(tmp_path: Path) -> None:
    with open_store(tmp_path) as db:
        insert_captures(db, [make_capture() for _ in range(12)])
        db.execute("DROP TRIGGER captures_total_ai")
        db.execute("DROP TRIGGER captures_total_ad")
        db.execute("DROP TABLE capture_total")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm012_capture_total'")
    with open_store(tmp_path) as db:
        assert db.execute("SELECT n FROM capture_total").fetchone()[0] == 12
        insert_captures(db, [make_capture()])
        _agrees(db)


def test_a_capture_committed_while_counting_does_not_skew_the_count(tmp_path: Path) -> None:
    """The list counts below a cursor while the writer goes on: the total, the newest id and
    the newer rows must come from one snapshot, or the list shows fewer rows than stored."""
    with open_store(tmp_path) as reader, open_store(tmp_path) as writer:
        insert_captures(writer, [make_capture() for _ in range(2)])

        def commit_one(_: str) -> None:  # called as each statement starts
            insert_captures(writer, [make_capture()])

        reader.conn.set_trace_callback(commit_one)
        try:
            counted = count(reader, CaptureQuery(before_id=3))
        finally:
            reader.conn.set_trace_callback(None)
        assert counted == 2  # the two below the cursor, whenever the third landed
