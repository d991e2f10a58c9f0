"""Retention through the engine, the listener and `serve`: real sockets, a real store."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from hookscope.core.model import RetentionPolicy, utc_now
from hookscope.engine import Engine, EngineError
from hookscope.engine.config import SETTINGS
from hookscope.storage import retention
from hookscope.storage.captures import index_pending, set_starred
from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path
from hookscope.storage.settings import load_retention
from hookscope.storage.writer import insert_captures
from tests.conftest import make_capture, running_engine
from tests.integration.conftest import Serve, http, listener_port, wait_for


def _prefill(data_dir: Path, count: int, *, days_old: float = 0.0, size: int = 0) -> list[int]:
    """`count` captures already in the store, `days_old` days old, indexed for search."""
    db = open_store(data_dir)
    try:
        at = utc_now() - timedelta(days=days_old)
        ids = insert_captures(
            db,
            [
                replace(
                    make_capture(body=b'{"text": "%s"}' % (b"word " * (size // 5))), received_at=at
                )
                for _ in range(count)
            ],
        )
        while index_pending(db, 500):
            pass
        return ids
    finally:
        db.close()


def _stored_ids(data_dir: Path) -> set[int]:
    db = open_store(data_dir, check=False)
    try:
        return {row[0] for row in db.execute("SELECT id FROM captures")}
    finally:
        db.close()


def _file(data_dir: Path) -> tuple[int, int]:
    db = open_store(data_dir, check=False)
    try:
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        (free,) = db.execute("PRAGMA freelist_count").fetchone()
        (size,) = db.execute("PRAGMA page_size").fetchone()
        return pages * size, free
    finally:
        db.close()


def test_settings_round_trip_through_the_engine(engine: Engine, data_dir: Path) -> None:
    announced: list[frozenset[str]] = []
    engine.on_config(announced.append)
    assert engine.retention() == RetentionPolicy()  # off by default
    policy = RetentionPolicy(max_captures=5000, max_days=14)
    engine.call(engine.save_retention(policy)).result(10)
    assert engine.retention() == policy
    assert SETTINGS in announced[-1]
    db = open_store(data_dir, check=False)
    try:
        assert load_retention(db) == policy
    finally:
        db.close()
    with pytest.raises(EngineError, match="days to keep captures must be a whole number"):
        engine.call(engine.save_retention(RetentionPolicy(max_days=-1))).result(10)


@pytest.mark.slow
def test_pruning_never_races_the_listener(data_dir: Path) -> None:
    old = _prefill(data_dir, 3000, days_old=30)
    db = open_store(data_dir)
    set_starred(db, [old[0], old[1500]], True)
    db.close()
    with running_engine(data_dir) as engine:
        port = listener_port(engine)
        engine.call(engine.save_retention(RetentionPolicy(max_days=7))).result(10)

        def send(n: int) -> int:
            reply = http(port, "POST", f"/hooks/{n}", body=b'{"n": %d}' % n)
            assert reply.status == 200
            return int(reply.json()["capture_id"])

        with ThreadPoolExecutor(4) as pool:  # while the old ones are being pruned
            acknowledged = set(pool.map(send, range(400)))
        assert len(acknowledged) == 400
        assert wait_for(lambda: len(_stored_ids(data_dir)) == 402, timeout=60)
    assert _stored_ids(data_dir) == acknowledged | {old[0], old[1500]}


def test_a_store_past_its_limit_is_pruned_when_the_engine_starts(data_dir: Path) -> None:
    ids = _prefill(data_dir, 50)
    with running_engine(data_dir) as engine:
        engine.call(engine.save_retention(RetentionPolicy(max_captures=20))).result(10)
        assert wait_for(lambda: _stored_ids(data_dir) == set(ids[-20:]), timeout=20)


@pytest.mark.slow
def test_delete_all_gives_the_space_back(data_dir: Path) -> None:
    _prefill(data_dir, 400, size=4000)
    before, _ = _file(data_dir)
    with running_engine(data_dir) as engine:
        done: list[tuple[int, int]] = []
        assert engine.call(engine.delete_all(lambda *p: done.append(p))).result(60) == 400
        assert done[-1] == (400, 400)
        assert db_path(data_dir).stat().st_size < before / 10  # at once, while running
        port = listener_port(engine)
        assert http(port, "POST", "/after", body=b'{"text": "still searchable"}').status == 200
    after, free = _file(data_dir)
    assert after < before / 10
    assert free < retention.VACUUM_PAGES
    db = open_store(data_dir, check=False)
    assert retention.incremental(db)
    (found,) = db.execute("SELECT count(*) FROM captures WHERE path = '/after'").fetchone()
    db.close()
    assert found == 1


@pytest.mark.slow
def test_serve_keeps_captures_by_its_flags(data_dir: Path) -> None:
    ids = _prefill(data_dir, 30)
    child = Serve(data_dir, "--port", "0", "--keep-captures", "10")
    try:
        assert child.first_line.startswith("listening on")
        assert wait_for(lambda: _stored_ids(data_dir) == set(ids[-10:]), timeout=20)
        assert child.stop(signal.SIGTERM) == 0
    finally:
        if child.process.poll() is None:
            child.process.kill()
        child.process.wait(10)
        for stream in (child.process.stdout, child.process.stderr):
            if stream is not None:
                stream.close()
    db = open_store(data_dir, check=False)
    assert load_retention(db) == RetentionPolicy()  # a flag is for that run only
    db.close()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--keep-captures", "ten"], "argument --keep-captures: 'ten' is not a whole number"),
        (["--keep-days", "-3"], "argument --keep-days: -3 must be 0 or more"),
        (
            ["--keep-days", "100000"],
            "The days to keep captures must be a whole number from 0 (no limit) to 36,500,"
            " not 100000.",
        ),
    ],
)
def test_bad_serve_flags_are_one_sentence(data_dir: Path, flags: list[str], message: str) -> None:
    child = Serve(data_dir, "--port", "0", *flags)
    try:
        assert child.process.wait(30) != 0
        err = child.stderr()
        assert message in err
        assert "Traceback" not in err
        assert child.first_line == ""
    finally:
        for stream in (child.process.stdout, child.process.stderr):
            if stream is not None:
                stream.close()


def test_delete_all_after_one_cut_short_drops_the_index_it_set_aside(data_dir: Path) -> None:
    _prefill(data_dir, 40)
    db = open_store(data_dir)
    retention.retire_index(db)  # as if the app stopped before dropping it
    db.close()
    fresh = _prefill(data_dir, 10)
    with running_engine(data_dir) as engine:
        assert engine.call(engine.delete_all()).result(60) == 50
    db = open_store(data_dir, check=False)
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "captures_fts" in tables
        assert not [name for name in tables if "retired" in name]
        assert not set(fresh) & {row[0] for row in db.execute("SELECT id FROM captures")}
    finally:
        db.close()
