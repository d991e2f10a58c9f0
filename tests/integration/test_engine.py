"""The engine's contract with the GUI: notifications after commit, listener restart, errors."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from hookscope.core.model import CaptureQuery, ListenerSettings
from hookscope.engine import Engine, EngineError
from hookscope.storage.captures import list_summaries
from hookscope.storage.db import open_store
from tests.integration.conftest import http, listener_port, read_reply, stored, wait_for


def test_listeners_hear_of_new_captures_after_they_are_committed(
    engine: Engine, data_dir: Path
) -> None:
    heard: list[int] = []
    visible: list[bool] = []
    done = threading.Event()

    def on_captures(ids: list[int]) -> None:
        db = open_store(data_dir)  # a separate reader, as the GUI has
        found = {s.id for s in list_summaries(db, CaptureQuery(limit=100))}
        db.close()
        visible.append(set(ids) <= found)
        heard.extend(ids)
        if len(heard) >= 3:
            done.set()

    engine.on_captures(on_captures)
    port = listener_port(engine)
    answered = [http(port, "POST", f"/n/{n}", body=b"{}").json()["capture_id"] for n in range(3)]

    assert done.wait(5)
    assert heard == answered
    assert all(visible)


def test_listener_restarts_on_another_port(engine: Engine) -> None:
    assert engine.listener is not None
    old = engine.listener.port
    settings = replace(engine.listener.settings, port=0)
    url = engine.call(engine.start_listener(settings)).result(10)

    new = listener_port(engine)
    assert url == f"http://127.0.0.1:{new}"
    assert http(new, "GET", "/moved").status == 200
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", old), timeout=2),
    ):
        pass


def test_engine_reports_a_taken_port_as_one_sentence(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": port, "api_port": 0})
        with pytest.raises(EngineError, match=f"Cannot listen on 127.0.0.1:{port}"):
            engine.start()


def test_engine_reports_an_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    engine = Engine(blocker / "data", overrides={"port": 0, "api_port": 0})
    with pytest.raises(EngineError, match="Cannot open the data directory"):
        engine.start()


def test_saved_listener_settings_are_used(data_dir: Path) -> None:
    from hookscope.storage.settings import save_listener_settings

    db = open_store(data_dir)
    save_listener_settings(
        db, ListenerSettings(host="127.0.0.1", port=0, body_limit=10, api_port=0)
    )
    db.close()
    engine = Engine(data_dir)
    engine.start()
    try:
        port = listener_port(engine)
        assert http(port, "POST", "/x", body=b"0123456789A").status == 413
        assert http(port, "POST", "/x", body=b"0123456789").status == 200
    finally:
        engine.stop()


def test_stopping_waits_for_a_body_still_arriving(data_dir: Path) -> None:
    running = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    running.start()
    sock = socket.create_connection(("127.0.0.1", listener_port(running)), timeout=10)
    sock.sendall(b"POST /in-flight HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
    wait_for(lambda: running.listener is not None and running.listener.in_flight() == 1)
    stopping = threading.Thread(target=running.stop)
    stopping.start()
    time.sleep(0.2)  # the stop has begun: no new connections
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", listener_port(running)), timeout=2).close()
    sock.sendall(b"67890")
    reply = read_reply(sock)
    sock.close()
    stopping.join(30)

    assert reply.status == 200
    assert stored(data_dir, reply.json()["capture_id"]).body == b"1234567890"
