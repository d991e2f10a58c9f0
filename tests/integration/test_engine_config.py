"""The one write path: what the window changes goes through the engine, is in force at once,
and is announced; what another process changes is noticed through SQLite's data_version."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hookscope.core.model import Credential, ListenerSettings, ResponseRule, SendPolicy
from hookscope.core.registration import Registration
from hookscope.engine import Engine, EngineError
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store
from tests.conftest import running_engine
from tests.integration.conftest import http, listener_port

SECRET = "engine-config-secret-0123456789"


class Announced:
    """Collects the engine's configuration events; waits for one without polling."""

    def __init__(self, engine: Engine) -> None:
        self.kinds: list[frozenset[str]] = []
        self._arrived = threading.Condition()
        engine.on_config(self._record)

    def _record(self, kinds: frozenset[str]) -> None:
        with self._arrived:
            self.kinds.append(kinds)
            self._arrived.notify_all()

    def wait_for(self, kind: str, timeout: float = 10.0) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: any(kind in k for k in self.kinds), timeout)


@pytest.fixture
def quiet_engine(data_dir: Path) -> Iterator[Engine]:
    """No watcher: only what goes through the engine can change what is in force."""
    with running_engine(data_dir, watch=False) as running:
        yield running


def run(engine: Engine, coro: object) -> object:
    return engine.call(coro).result(10)  # type: ignore[arg-type]


def test_a_rule_saved_through_the_engine_answers_the_next_delivery(quiet_engine: Engine) -> None:
    announced = Announced(quiet_engine)
    rule = ResponseRule(pattern="/teapot", status=418, body='{"short": "and stout"}')
    run(quiet_engine, quiet_engine.config.save_rule(rule))

    assert announced.kinds == [frozenset({"rules"})]
    reply = http(listener_port(quiet_engine), "POST", "/teapot", body=b"{}")
    assert reply.status == 418


def test_a_rule_that_cannot_answer_is_refused_with_the_reason(quiet_engine: Engine) -> None:
    with pytest.raises(EngineError, match="informational"):
        run(quiet_engine, quiet_engine.config.save_rule(ResponseRule(pattern="/", status=101)))


def test_a_secret_added_through_the_engine_verifies_the_next_delivery(
    quiet_engine: Engine,
) -> None:
    import hashlib
    import hmac

    announced = Announced(quiet_engine)
    run(quiet_engine, quiet_engine.config.add_credential(Credential("kardow", "main", SECRET)))
    assert announced.kinds == [frozenset({"credentials"})]
    body = b'{"event": "job.created", "organization_id": 1, "data": {}}'
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    reply = http(
        listener_port(quiet_engine),
        "POST",
        "/hooks/kardow",
        [("X-Kardow-Signature", signature)],
        body,
    )
    assert reply.status == 200
    db = open_store(quiet_engine.directory)
    try:
        (verdict,) = db.execute(
            "SELECT verdict FROM captures WHERE id = ?", [reply.json()["capture_id"]]
        ).fetchone()
    finally:
        db.close()
    assert verdict == "verified"


def test_an_api_key_added_and_removed_through_the_engine(quiet_engine: Engine) -> None:
    announced = Announced(quiet_engine)
    info = run(quiet_engine, quiet_engine.config.add_api_key("key-" + "k" * 28))
    assert quiet_engine.api_key_state("key-" + "k" * 28) is None
    run(quiet_engine, quiet_engine.config.remove_api_key(info.digest))  # type: ignore[attr-defined]
    assert quiet_engine.api_key_state("key-" + "k" * 28) == "unconfigured"
    assert announced.kinds == [frozenset({"api_keys"}), frozenset({"api_keys"})]


def test_settings_and_send_policy_saved_through_the_engine(quiet_engine: Engine) -> None:
    announced = Announced(quiet_engine)
    saved = replace(ListenerSettings(), body_deadline=42.0)
    run(quiet_engine, quiet_engine.config.save_listener_settings(saved))
    run(quiet_engine, quiet_engine.config.save_send_policy(SendPolicy(retries=3)))

    assert quiet_engine.config.saved_listener_settings().body_deadline == 42.0
    assert run(quiet_engine, quiet_engine.send_policy()) == SendPolicy(retries=3)
    assert announced.kinds == [frozenset({"settings"}), frozenset({"settings"})]


def test_a_registered_target_is_announced(quiet_engine: Engine) -> None:
    announced = Announced(quiet_engine)
    registration = Registration("job.created", "webhook", "http://127.0.0.1:9/hook", None)
    run(quiet_engine, quiet_engine.register(registration))
    assert announced.kinds == [frozenset({"targets"})]
    assert [t.target_url for t in quiet_engine.targets()] == ["http://127.0.0.1:9/hook"]


def test_what_another_process_saves_is_noticed_and_announced(engine: Engine) -> None:
    announced = Announced(engine)
    # Captures commit meanwhile: they move data_version, but only a real change is announced.
    for n in range(20):
        assert http(listener_port(engine), "POST", f"/busy/{n}", body=b"{}").status == 200
    other = open_store(engine.directory)
    try:
        settings_store.save_rule(other, ResponseRule(pattern="/from-the-cli", status=202))
    finally:
        other.close()

    assert announced.wait_for("rules")
    assert announced.kinds == [frozenset({"rules"})]
    assert http(listener_port(engine), "POST", "/from-the-cli", body=b"{}").status == 202
