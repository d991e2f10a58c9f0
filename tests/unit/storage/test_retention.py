"""Retention: the oldest captures past the limits go, starred ones stay, the file shrinks."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from hookscope.core.model import CaptureQuery, RetentionPolicy, utc_now
from hookscope.storage import retention
from hookscope.storage.captures import count, index_pending, list_summaries, nth_id, set_starred
from hookscope.storage.db import open_store
from hookscope.storage.settings import load_retention, save_retention
from hookscope.storage.writer import insert_captures
from tests.conftest import make_capture


def _ids(db: Database) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM captures ORDER BY id")]


def _fill(db: Database, count: int, *, days_apart: float = 0.0, size: int = 0) -> list[int]:
    """`count` captures, the first the oldest (`days_apart` days between two), all indexed."""
    now = utc_now()
    captures = [
        replace(
            make_capture(body=b'{"tag": "tag%03d", "text": "%s"}' % (n, b"word " * (size // 5))),
            received_at=now - timedelta(days=days_apart * (count - n)),
        )
        for n in range(count)
    ]
    ids = insert_captures(db, captures)
    while index_pending(db, 500):
        pass
    return ids


def _file_bytes(db: Database) -> tuple[int, int]:
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    (free,) = db.execute("PRAGMA freelist_count").fetchone()
    (size,) = db.execute("PRAGMA page_size").fetchone()
    return pages * size, free


def test_off_by_default(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    _fill(db, 30)
    assert load_retention(db) == RetentionPolicy()
    assert not load_retention(db).active
    assert retention.prune_all(db, load_retention(db)) == 0
    assert len(_ids(db)) == 30


def test_policy_round_trip_and_hand_edits(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    save_retention(db, RetentionPolicy(max_captures=1000, max_days=30))
    assert load_retention(db) == RetentionPolicy(max_captures=1000, max_days=30)
    db.execute("UPDATE settings SET value = '-5' WHERE key = 'retention.max_days'")
    db.execute("UPDATE settings SET value = '\"many\"' WHERE key = 'retention.max_captures'")
    assert load_retention(db) == RetentionPolicy()


def test_keeps_the_newest_n_and_every_starred_one(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 50)
    set_starred(db, [ids[2], ids[6]], True)
    deleted = retention.prune_all(db, RetentionPolicy(max_captures=20), batch=7)
    assert deleted == 30
    # Starred captures count toward the limit: 2 starred and the 18 newest others are kept.
    assert _ids(db) == [ids[2], ids[6], *ids[-18:]]


def test_more_starred_than_the_limit_keeps_them_all(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 12)
    set_starred(db, ids[:8], True)
    retention.prune_all(db, RetentionPolicy(max_captures=5))
    assert _ids(db) == ids[:8]


def test_removes_captures_older_than_the_days(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 40, days_apart=1.0)  # the newest is 1 day old, the oldest 40
    set_starred(db, [ids[0]], True)
    deleted = retention.prune_all(db, RetentionPolicy(max_days=10), batch=5)
    assert _ids(db) == [ids[0], *ids[-9:]]  # 1..9 days old; the 10-day-old one is past it
    assert deleted == 30


def test_both_limits_the_stricter_wins(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 40, days_apart=1.0)
    retention.prune_all(db, RetentionPolicy(max_captures=5, max_days=10))
    assert _ids(db) == ids[-5:]
    retention.prune_all(db, RetentionPolicy(max_captures=100, max_days=3))
    assert _ids(db) == ids[-2:]


def test_what_it_would_remove_is_what_it_removes(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 40, days_apart=1.0)
    set_starred(db, [ids[1], ids[35]], True)
    for policy in (
        RetentionPolicy(max_captures=10),
        RetentionPolicy(max_days=20),
        RetentionPolicy(max_captures=30, max_days=5),
    ):
        before = retention.store_size(db, policy)
        assert before.captures == len(_ids(db))
        deleted = retention.prune_all(db, policy)
        assert before.removable == deleted
        assert retention.store_size(db, policy).removable == 0


def test_pruned_captures_leave_the_search_index(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 30)
    retention.prune_all(db, RetentionPolicy(max_captures=10))
    found = list_summaries(db, CaptureQuery(search="tag003", limit=100))
    assert [s.id for s in found] == []
    found = list_summaries(db, CaptureQuery(search="tag025", limit=100))
    assert [s.id for s in found] == [ids[25]]
    (indexed,) = db.execute(
        "SELECT count(*) FROM captures_fts WHERE captures_fts MATCH 'tag'"
    ).fetchone()
    assert indexed == 10
    # A count (and a jump) with nothing but a search reads the index alone: a pruned
    # capture left in it would be counted.
    assert count(db, CaptureQuery(search="tag")) == 10
    assert count(db, CaptureQuery(search="tag003")) == 0
    assert nth_id(db, CaptureQuery(search="tag"), 9) == ids[20]
    assert nth_id(db, CaptureQuery(search="tag"), 10) is None


def test_new_stores_give_space_back(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    assert retention.incremental(db)
    _fill(db, 300, size=4000)
    before, _ = _file_bytes(db)
    retention.prune_all(db, RetentionPolicy(max_captures=30))
    after, free = _file_bytes(db)
    assert after < before * 0.35
    assert free < retention.VACUUM_PAGES


def test_delete_all_empties_the_index_first_and_search_still_finds_newcomers(
    tmp_path: Path,
) -> None:
    db = open_store(tmp_path)
    ids = _fill(db, 20)
    retention.retire_index(db)
    db.execute("DELETE FROM captures WHERE id <= ?", [ids[-1]])
    steps = 0
    while retention.drop_retired_step(db, rows=2):
        steps += 1
    assert steps > 3  # in small pieces
    assert db.execute("SELECT name FROM sqlite_master WHERE name LIKE '%retired%'").fetchall() == []
    (newcomer,) = insert_captures(db, [make_capture(body=b'{"text": "arrived meanwhile"}')])
    found = list_summaries(db, CaptureQuery(search="meanwhile", limit=10))
    assert [s.id for s in found] == [newcomer]
    while index_pending(db, 500):
        pass
    found = list_summaries(db, CaptureQuery(search="meanwhile", limit=10))
    assert [s.id for s in found] == [newcomer]


def test_an_older_store_is_converted_once_little_is_left(tmp_path: Path) -> None:
    db = open_store(tmp_path)
    db.execute("PRAGMA auto_vacuum=NONE")
    db.execute("VACUUM")  # as a store made before retention existed
    assert not retention.incremental(db)
    _fill(db, 200, size=4000)
    assert not retention.vacuum_step(db)  # nothing to give back step by step
    assert not retention.compact_if_small(db, limit=1024)  # too much left to rewrite now
    retention.retire_index(db)  # as Delete all does
    db.execute("DELETE FROM captures")
    while retention.drop_retired_step(db):
        pass
    before, _ = _file_bytes(db)
    assert retention.compact_if_small(db)
    after, free = _file_bytes(db)
    assert retention.incremental(db)
    assert after < before / 4
    assert free == 0
