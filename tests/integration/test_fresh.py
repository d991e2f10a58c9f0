"""Fresh at the moment of sending: a preview left for minutes still arrives verified.

The engine's clock is moved by hand between the preview and the fire (never slept); the
listener judges the token against the real time, as any receiver would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hookscope.core.fire import wire_headers
from hookscope.core.model import Attempt, Capture, Credential, Plan, SendPolicy
from hookscope.core.providers import kudoz
from hookscope.engine import Engine
from hookscope.storage import credentials as credential_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from tests.conftest import Clock
from tests.integration.conftest import http, listener_port, stored, wait_for
from tests.integration.receiver import Receiver, running_receiver
from tests.integration.test_fanout import QUICK, SECRET, add, independent_hmac, logged

LEFT_FOR = timedelta(minutes=6)  # longer than Kudoz's 300 s window
DATA = {"sent_at": "{{now}}", "unix": "{{unix}}", "ref": "{{uuid}}", "note": "as written"}
KUDOZ = Credential("kudoz", "main", "kudoz-api-secret", api_key="key-1")


@pytest.fixture
def clock(engine: Engine) -> Clock:
    """The engine's clock for plans and sends, started as far back as the preview was left."""
    moved = Clock(start=engine.sending.clock() - LEFT_FOR)
    engine.sending.clock = moved
    return moved


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def store(engine: Engine, data_dir: Path, credential: Credential) -> None:
    vault = load_vault(engine.key_file, create=True)
    assert vault is not None
    with open_store(data_dir) as db:
        credential_store.add_credential(db, vault, credential)
    assert wait_for(lambda: any(c.name == credential.name for c in engine.credentials()), 3)


def plan_kudoz(engine: Engine, url: str, data: Any = DATA) -> Plan:
    return engine.call(engine.plan_kudoz("job_application", data, url, "main")).result(10)


def send(engine: Engine, plan: Plan, policy: SendPolicy = QUICK) -> list[Attempt]:
    return engine.call(engine.send(plan, policy)).result(30)


def arrived(data_dir: Path, attempt: Attempt) -> Capture:
    return stored(data_dir, json.loads(attempt.response_body)["capture_id"])


def token_fields(request: Any) -> list[str]:
    value = request.header(kudoz.HEADER) or ""
    fields: list[str] = value[6:].split(":")
    return fields


def assert_logged_is_what_arrived(data_dir: Path, plan: Plan, capture: Capture) -> None:
    """The delivery log holds the very bytes and headers the listener received."""
    (entry,) = logged(data_dir, fire_id=plan.fire_id)
    assert entry.request.body == capture.body
    assert list(wire_headers(entry.request)) == list(capture.headers)


def test_a_kudoz_callback_left_six_minutes_arrives_verified_with_fresh_values(
    engine: Engine, data_dir: Path, clock: Clock
) -> None:
    store(engine, data_dir, KUDOZ)
    plan = plan_kudoz(engine, engine.url + "/kudoz/cb")
    (previewed,) = plan.requests
    shown = json.loads(previewed.body)
    clock.advance(LEFT_FOR)

    (attempt,) = send(engine, plan)

    capture = arrived(data_dir, attempt)
    assert capture.verdict.verdict == "verified", capture.verdict.detail
    assert_logged_is_what_arrived(data_dir, plan, capture)
    sent = json.loads(capture.body)
    assert sent["id"] == shown["id"]  # the callback keeps its name
    assert sent["data"]["note"] == "as written"
    for key in ("sent_at", "unix", "ref"):
        assert sent["data"][key] != shown["data"][key], key
    assert sent["data"]["unix"] - shown["data"]["unix"] == LEFT_FOR.total_seconds()
    _, uuid, stamp, _ = token_fields(capture)
    _, old_uuid, old_stamp, _ = token_fields(previewed)
    assert uuid != old_uuid
    assert int(stamp) - int(old_stamp) == LEFT_FOR.total_seconds()


def test_the_preview_as_it_was_drawn_would_have_arrived_stale(
    engine: Engine, data_dir: Path, clock: Clock
) -> None:
    """The bug this guards against: the token made with the preview is too old by now."""
    store(engine, data_dir, KUDOZ)
    plan = plan_kudoz(engine, engine.url + "/kudoz/cb")
    clock.advance(LEFT_FOR)
    frozen = Plan(
        plan.fire_id,
        plan.provider,
        plan.event,
        plan.payload,
        tuple(replace(request, signing=None) for request in plan.requests),
    )
    (attempt,) = send(engine, frozen)
    assert arrived(data_dir, attempt).verdict.verdict == "stale"


def test_a_kardow_event_left_six_minutes_carries_the_time_it_was_sent(
    engine: Engine, data_dir: Path, clock: Clock
) -> None:
    add(engine, "job.created", "webhook", engine.url + "/kardow", SECRET)
    plan = engine.call(engine.plan_kardow("job.created", DATA, 42)).result(10)
    shown = json.loads(plan.payload)
    clock.advance(LEFT_FOR)

    (attempt,) = send(engine, plan)

    capture = arrived(data_dir, attempt)
    assert capture.verdict.verdict == "verified", capture.verdict.detail
    assert capture.header("X-Kardow-Signature") == independent_hmac(SECRET, capture.body)
    assert_logged_is_what_arrived(data_dir, plan, capture)
    sent = json.loads(capture.body)
    assert sent["timestamp"] == clock().isoformat(timespec="milliseconds")[:23] + "Z"
    assert sent["timestamp"] != shown["timestamp"]
    assert sent["data"]["sent_at"] == sent["timestamp"]
    assert sent["data"]["ref"] != shown["data"]["ref"]
    assert sent["data"]["note"] == "as written"
    assert attempt.request.body == capture.body  # what the window shows as sent


def test_every_retry_of_a_kudoz_callback_carries_its_own_token(
    engine: Engine, data_dir: Path, clock: Clock, receiver: Receiver
) -> None:
    store(engine, data_dir, KUDOZ)
    plan = plan_kudoz(engine, receiver.url("/flaky"))
    clock.advance(LEFT_FOR)
    clock.tick = timedelta(seconds=10)  # each reading ten seconds after the last

    (attempt,) = send(engine, plan, replace(QUICK, retries=2, backoff=0.01))

    assert attempt.ok
    assert attempt.number == 3
    received = receiver.of("/flaky")
    tries = sorted(logged(data_dir, fire_id=plan.fire_id), key=lambda a: a.number)
    assert [t.request.header(kudoz.HEADER) for t in tries] == [
        r.header(kudoz.HEADER) for r in received
    ]
    tokens = [token_fields(r) for r in received]
    assert len({uuid for _, uuid, _, _ in tokens}) == 3
    stamps = [int(stamp) for _, _, stamp, _ in tokens]
    assert stamps[1] - stamps[0] >= 10
    assert stamps[2] - stamps[1] >= 10
    assert {r.body for r in received} == {received[0].body}  # the same callback each time
    for (_, uuid, stamp, _), got in zip(tokens, received, strict=True):
        expected = kudoz.sign(KUDOZ, method="POST", path="/flaky", body=got.body, uuid=uuid,
                              timestamp=stamp)  # fmt: skip
        assert got.header(kudoz.HEADER) == expected


def test_a_target_removed_after_the_preview_is_not_sent_and_says_why(
    engine: Engine, data_dir: Path, receiver: Receiver
) -> None:
    target_id = add(engine, "job.created", "webhook", receiver.url("/ok/gone"), SECRET)
    plan = engine.call(engine.plan_kardow("job.created", {}, 42)).result(10)
    assert engine.call(engine.remove_target(target_id)).result(10)

    (attempt,) = send(engine, plan)

    assert attempt.error == "not sent: the target was removed since the preview"
    assert receiver.of("/ok/gone") == []
    assert [a.error for a in logged(data_dir, fire_id=plan.fire_id)] == [attempt.error]


class TestReplays:
    BODY = b'{"id":"5d0c7d8e-2f7a-4b8e-9a59-3d1f4f7c1a2b","kind":"job_application","data":{}}'

    def captured(self, engine: Engine, data_dir: Path) -> tuple[int, str]:
        """A verified Kudoz callback in the store, and its Authorization header."""
        store(engine, data_dir, KUDOZ)
        token = kudoz.sign(KUDOZ, method="POST", path="/in", body=self.BODY)
        headers = [("Content-Type", "application/json"), (kudoz.HEADER, token)]
        reply = http(listener_port(engine), "POST", "/in", headers, self.BODY)
        capture_id: int = reply.json()["capture_id"]
        assert stored(data_dir, capture_id).verdict.verdict == "verified"
        return capture_id, token

    def test_as_captured_goes_out_byte_for_byte_however_late(
        self, engine: Engine, data_dir: Path, clock: Clock, receiver: Receiver
    ) -> None:
        original, token = self.captured(engine, data_dir)
        plan = engine.call(engine.plan_replay(original, receiver.url("/ok/again"))).result(10)
        clock.advance(LEFT_FOR)
        (attempt,) = send(engine, plan)
        (got,) = receiver.of("/ok/again")
        assert attempt.request == plan.requests[0]
        assert got.header(kudoz.HEADER) == token
        assert got.body == self.BODY

    def test_re_signed_gets_its_token_as_it_leaves(
        self, engine: Engine, data_dir: Path, clock: Clock
    ) -> None:
        original, token = self.captured(engine, data_dir)
        plan = engine.call(engine.plan_replay(original, engine.url + "/again", resign=True)).result(
            10
        )
        clock.advance(LEFT_FOR)
        (attempt,) = send(engine, plan)
        copy = arrived(data_dir, attempt)
        assert copy.verdict.verdict == "verified", copy.verdict.detail
        assert copy.body == self.BODY
        assert copy.header(kudoz.HEADER) not in (token, plan.requests[0].header(kudoz.HEADER))
        assert_logged_is_what_arrived(data_dir, plan, copy)
