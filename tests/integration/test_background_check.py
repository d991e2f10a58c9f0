"""A large store opens for writing without its whole check, which runs once the engine runs:
damage it finds stops capture and is said in one sentence; small tables are still checked
before anything is written, and small stores are still checked whole at open."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hookscope.engine import Engine, EngineError
from hookscope.engine.config import DAMAGE
from hookscope.storage import db as db_module
from hookscope.storage import pagecheck
from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path
from tests.conftest import make_capture, running_engine
from tests.integration.largestore import damage_old_captures, damage_table, large_store
from tests.unit.test_cli import store

pytestmark = pytest.mark.slow

LOCAL = {"host": "127.0.0.1", "port": 0, "api_port": 0}
LOCAL_FLAGS = ("--port", "0", "--api-port", "0")


def damage_event(engine: Engine) -> threading.Event:
    found = threading.Event()
    engine.on_config(lambda kinds: found.set() if DAMAGE in kinds else None)
    return found


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_damage_found_in_the_background_stops_capture(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = large_store(data_dir, monkeypatch)
    damage_old_captures(path)
    engine = Engine(data_dir, overrides=LOCAL)
    found = damage_event(engine)

    engine.start()  # the store opens: its small tables are sound
    try:
        assert engine.listener is not None
        port = engine.listener.port
        assert found.wait(30), "the background check reported nothing"
        assert engine.damage.startswith(f"The store {path} is damaged (")
        assert "hookscope backup" in engine.damage
        assert engine.damage in engine.warnings
        assert engine.url == ""
        assert refused(port), "a sender could still deliver into the damaged store"
        with pytest.raises(EngineError, match="is damaged"):
            engine.call(engine.start_listener()).result(10)
        assert engine.url == ""
    finally:
        engine.stop()


def test_a_large_store_opens_before_its_whole_check(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_store(data_dir, monkeypatch)
    events: list[str] = []
    engine = Engine(data_dir, overrides=LOCAL)
    checked = threading.Event()
    small_check = db_module._check_small_tables
    whole = pagecheck.whole_check

    def small_tables(conn: sqlite3.Connection, path: Path) -> None:
        events.append("small tables")
        small_check(conn, path)

    def whole_check(conn: sqlite3.Connection, path: Path) -> str | None:
        events.append(f"whole check, listening: {bool(engine.url)}")
        try:
            return whole(conn, path)
        finally:
            checked.set()

    monkeypatch.setattr(db_module, "_quick_check", lambda conn, path: events.append("blocking"))
    monkeypatch.setattr(db_module, "_check_small_tables", small_tables)
    monkeypatch.setattr(pagecheck, "whole_check", whole_check)

    engine.start()
    try:
        assert checked.wait(30)
        assert events == ["small tables", "whole check, listening: True"]
        assert engine.damage == ""
        assert engine.url != ""
    finally:
        engine.stop()


def test_the_small_tables_are_all_but_those_that_grow_with_captures(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_store(data_dir, monkeypatch)
    db = open_store(data_dir, check=False)
    try:
        small = db_module._small_tables(db.conn)
    finally:
        db.close()
    for table in ("settings", "credentials", "schemes", "rules", "targets", "forward_rules"):
        assert table in small
    for table in ("captures", "captures_fts_data", "deliveries", "forwards", "nonces"):
        assert table not in small


@pytest.mark.parametrize("table", ["settings", "credentials", "forward_rules"])
def test_a_damaged_small_table_is_refused_at_open(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    path = large_store(data_dir, monkeypatch)
    damage_table(path, table)
    started: list[object] = []
    monkeypatch.setattr(pagecheck.PageCheck, "start", lambda check: started.append(check))

    engine = Engine(data_dir, overrides=LOCAL)
    with pytest.raises(EngineError) as refusal:
        engine.start()
    assert str(refusal.value).startswith(f"The store {path} is damaged (")
    assert started == []


def test_a_small_store_is_still_checked_whole_at_open(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(data_dir, make_capture())
    blocking: list[Path] = []
    started: list[object] = []
    monkeypatch.setattr(db_module, "_quick_check", lambda conn, path: blocking.append(path))
    monkeypatch.setattr(pagecheck.PageCheck, "start", lambda check: started.append(check))

    with running_engine(data_dir) as engine:
        assert engine.url != ""
    assert blocking == [db_path(data_dir)]
    assert started == []  # started synchronously by Engine.start when it is due


def test_stopping_the_engine_interrupts_the_check(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    large_store(data_dir, monkeypatch)
    running = threading.Event()
    ended: list[str] = []

    def endless(conn: sqlite3.Connection, path: Path) -> str | None:
        running.set()
        try:  # a check that would never end by itself
            conn.execute(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
                " SELECT count(*) FROM n"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            ended.append(str(exc))
            raise
        return None

    monkeypatch.setattr(pagecheck, "whole_check", endless)
    engine = Engine(data_dir, overrides=LOCAL)
    engine.start()
    try:
        assert running.wait(30)
    finally:
        engine.stop()
    assert ended == ["interrupted"]
    assert engine.damage == ""


PATCHED_SERVE = (
    "import sys\n"
    "from hookscope.storage import db\n"
    "db.READ_CHECK_BYTES = 0  # every store counts as large\n"
    "from hookscope.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_serve_stops_with_the_sentence_when_the_background_check_finds_damage(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = large_store(data_dir, monkeypatch)
    damage_old_captures(path)
    child = subprocess.Popen(
        [sys.executable, "-c", PATCHED_SERVE, "serve", "--data-dir", str(data_dir), *LOCAL_FLAGS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert out.startswith("listening on http://127.0.0.1:"), out
    assert child.returncode == 1
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"hookscope: The store {path} is damaged ("), err
    assert "hookscope backup" in last
