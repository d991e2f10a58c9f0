"""Firing over real sockets: signed fan-out, chat formats, bad targets, retries, Kudoz, replay."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hookscope.core.model import Credential, DeliveryQuery, SendPolicy
from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.storage import credentials as credential_store
from hookscope.storage import deliveries as delivery_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from tests.integration.conftest import http, listener_port, stored, wait_for
from tests.integration.receiver import Receiver, running_receiver, self_signed_context

SECRET = "whsec-0123456789abcdef"
QUICK = SendPolicy(connect_timeout=1.0, total_timeout=1.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def add(engine: Engine, event: str, kind: str, url: str, secret: str | None = None) -> str:
    target, _ = engine.call(engine.register(Registration(event, kind, url, secret))).result(10)
    return target.id


def fire(
    engine: Engine, event: str, data: dict[str, Any], policy: SendPolicy = QUICK
) -> tuple[Any, list[Any]]:
    plan = engine.call(engine.plan_kardow(event, data, 42)).result(10)
    attempts = engine.call(engine.send(plan, policy)).result(60)
    return plan, attempts


def independent_hmac(secret: str, body: bytes) -> str:
    # Kardow's own sample: createHmac('sha256', secret).update(body).digest('hex')
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def without_timestamp(body: bytes) -> dict[str, Any]:
    """A Kardow event but its timestamp, which is made as it is sent."""
    envelope: dict[str, Any] = json.loads(body)
    assert envelope.pop("timestamp").endswith("Z")
    return envelope


def logged(data_dir: Path, **query: Any) -> list[Any]:
    with open_store(data_dir) as db:
        return delivery_store.list_attempts(db, DeliveryQuery(limit=1000, **query))


class TestFanOut:
    def test_each_webhook_target_gets_the_same_body_signed_with_its_own_secret(
        self, engine: Engine, receiver: Receiver, data_dir: Path
    ) -> None:
        add(engine, "job.created", "webhook", receiver.url("/ok/a"), SECRET)
        add(engine, "*", "webhook", receiver.url("/ok/b"), "another-secret-of-16")
        add(engine, "job.created", "webhook", receiver.url("/ok/unsigned"))
        add(engine, "job.updated", "webhook", receiver.url("/ok/other-event"), SECRET)
        off = add(engine, "job.created", "webhook", receiver.url("/ok/disabled"), SECRET)
        engine.call(engine.set_target_enabled(off, False)).result(10)

        plan, attempts = fire(engine, "job.created", {"job_id": "abc-123", "title": "Engineer"})

        assert [a.ok for a in attempts] == [True, True, True]
        (a,) = receiver.of("/ok/a")
        (b,) = receiver.of("/ok/b")
        (unsigned,) = receiver.of("/ok/unsigned")
        assert a.body == b.body == unsigned.body == attempts[0].request.body
        assert without_timestamp(a.body) == without_timestamp(plan.payload)
        assert a.header("X-Kardow-Signature") == independent_hmac(SECRET, a.body)
        assert b.header("X-Kardow-Signature") == independent_hmac("another-secret-of-16", b.body)
        assert unsigned.header("X-Kardow-Signature") is None
        assert a.header("Content-Type") == "application/json"
        assert receiver.of("/ok/other-event") == []
        assert receiver.of("/ok/disabled") == []
        envelope = json.loads(a.body)
        assert envelope["event"] == "job.created"
        assert envelope["organization_id"] == 42
        assert envelope["timestamp"].endswith("Z")
        assert envelope["data"] == {"job_id": "abc-123", "title": "Engineer"}

    def test_what_goes_out_is_the_preview_with_its_fresh_values_made_as_it_left(
        self, engine: Engine, receiver: Receiver
    ) -> None:
        from hookscope.core.fire import wire_headers

        add(engine, "job.created", "webhook", receiver.url("/ok/exact"), SECRET)
        plan, (attempt,) = fire(engine, "job.created", {"title": "x"})
        (got,) = receiver.of("/ok/exact")
        (previewed,) = plan.requests
        sent = attempt.request
        assert got.body == sent.body
        assert got.headers == list(wire_headers(sent))  # exactly what the attempt holds
        assert [name for name, _ in sent.headers] == [name for name, _ in previewed.headers]
        assert sent.headers.without("X-Kardow-Signature") == previewed.headers.without(
            "X-Kardow-Signature"
        )
        assert without_timestamp(sent.body) == without_timestamp(previewed.body)

    def test_every_attempt_is_logged_with_request_and_response(
        self, engine: Engine, receiver: Receiver, data_dir: Path
    ) -> None:
        add(engine, "job.created", "webhook", receiver.url("/ok/logged"), SECRET)
        plan, sent = fire(engine, "job.created", {"title": "x"})
        (attempt,) = logged(data_dir, fire_id=plan.fire_id)
        assert [a.id for a in sent] == [attempt.id]  # what send() returns names the logged row
        assert attempt.status == 200
        assert attempt.request == sent[0].request
        (got,) = receiver.of("/ok/logged")
        assert attempt.request.body == got.body
        assert attempt.request.header("X-Kardow-Signature") == independent_hmac(SECRET, got.body)
        assert json.loads(attempt.response_body) == {"ok": True}
        assert attempt.latency_ms > 0
        assert attempt.final

    def test_a_fire_to_our_own_listener_is_verified_with_the_targets_secret(
        self, engine: Engine, data_dir: Path
    ) -> None:
        add(engine, "job.created", "webhook", engine.url + "/kardow", SECRET)
        (attempt,) = fire(engine, "job.created", {"title": "loop"})[1]
        capture_id = json.loads(attempt.response_body)["capture_id"]
        assert stored(data_dir, capture_id).verdict.verdict == "verified"

    def test_two_hundred_targets_each_get_their_own_signature(
        self, engine: Engine, receiver: Receiver
    ) -> None:
        for n in range(200):
            add(
                engine, "application.received", "webhook", receiver.url(f"/ok/{n}"), f"{SECRET}-{n}"
            )
        _, attempts = fire(engine, "application.received", {"application_id": "a-1"}, SendPolicy())
        assert len(attempts) == 200
        assert all(a.ok for a in attempts)
        for n in range(200):
            (got,) = receiver.of(f"/ok/{n}")
            assert got.body == attempts[0].request.body
            assert got.header("X-Kardow-Signature") == independent_hmac(f"{SECRET}-{n}", got.body)

    def test_no_matching_target_says_so_and_sends_nothing(self, engine: Engine) -> None:
        plan = engine.call(engine.plan_kardow("job.created", {}, 42)).result(10)
        assert plan.requests == ()
        assert "No enabled target is subscribed to job.created" in plan.problems[0]


class TestBadTargets:
    def test_each_bad_target_gets_its_own_clear_result_and_none_holds_up_the_good_one(
        self, engine: Engine, receiver: Receiver, data_dir: Path
    ) -> None:
        import socket

        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
        closed.close()
        with running_receiver(self_signed_context()) as tls:
            urls = {
                "good": receiver.url("/ok/good"),
                "refused": f"http://127.0.0.1:{refused_port}/x",
                "slow": receiver.url("/slow"),
                "redirect": receiver.url("/redirect"),
                "error": receiver.url("/status/500"),
                "garbage": receiver.url("/garbage"),
                "hangup": receiver.url("/hangup"),
                "tls": tls.url("/ok/tls"),
                "nxdomain": "http://no-such-host.invalid/x",
            }
            for url in urls.values():
                add(engine, "job.created", "webhook", url, SECRET)
            _, attempts = fire(engine, "job.created", {"title": "x"})
        result = {name: attempts[i] for i, name in enumerate(urls)}

        assert result["good"].outcome == "delivered (200)"
        assert result["good"].latency_ms < 900  # answered before the slow one timed out
        assert result["refused"].error is not None
        assert "connection refused" in result["refused"].error
        assert result["slow"].outcome == "timed out: no full answer within 1 s"
        assert result["redirect"].status == 301
        assert result["redirect"].outcome.startswith("redirected (301) to ")
        assert not result["redirect"].ok
        assert result["error"].outcome == "HTTP 500"
        assert result["garbage"].error is not None
        assert "not valid HTTP" in result["garbage"].error
        assert result["hangup"].error == "the target closed the connection without answering"
        assert result["tls"].error is not None
        assert result["tls"].error.startswith("TLS error")
        assert result["nxdomain"].error is not None
        assert "resolve" in result["nxdomain"].error
        assert len(logged(data_dir)) == len(urls)

    def test_a_big_answer_is_kept_up_to_the_limit(self, engine: Engine, receiver: Receiver) -> None:
        add(engine, "job.created", "webhook", receiver.url("/big"))
        (attempt,) = fire(engine, "job.created", {}, replace(QUICK, response_limit=1000))[1]
        assert attempt.ok
        assert attempt.response_body == b"x" * 1000
        assert attempt.response_truncated


def test_a_five_megabyte_event_goes_out_whole(engine: Engine, receiver: Receiver) -> None:
    add(engine, "job.created", "webhook", receiver.url("/ok/big"), SECRET)
    plan, (attempt,) = fire(engine, "job.created", {"blob": "x" * 5_000_000}, SendPolicy())
    assert attempt.ok
    (got,) = receiver.of("/ok/big")
    assert got.body == attempt.request.body
    assert without_timestamp(got.body) == without_timestamp(plan.payload)
    assert got.header("X-Kardow-Signature") == independent_hmac(SECRET, got.body)


class TestRetries:
    def test_off_by_default(self, engine: Engine, receiver: Receiver, data_dir: Path) -> None:
        add(engine, "job.created", "webhook", receiver.url("/flaky"))
        (attempt,) = fire(engine, "job.created", {})[1]
        assert attempt.outcome == "HTTP 503"
        assert attempt.number == 1
        assert len(logged(data_dir)) == 1

    def test_failed_tries_are_retried_and_each_is_logged(
        self, engine: Engine, receiver: Receiver, data_dir: Path
    ) -> None:
        add(engine, "job.created", "webhook", receiver.url("/flaky"))
        policy = replace(QUICK, retries=3, backoff=0.01)
        plan, (attempt,) = fire(engine, "job.created", {}, policy)
        assert attempt.ok
        assert attempt.number == 3
        tries = sorted(logged(data_dir, fire_id=plan.fire_id), key=lambda a: a.number)
        assert [(a.number, a.status, a.final) for a in tries] == [
            (1, 503, False),
            (2, 503, False),
            (3, 200, True),
        ]
        assert len(receiver.of("/flaky")) == 3

    def test_a_client_error_is_not_retried(self, engine: Engine, receiver: Receiver) -> None:
        add(engine, "job.created", "webhook", receiver.url("/status/400"))
        (attempt,) = fire(engine, "job.created", {}, replace(QUICK, retries=3, backoff=0.01))[1]
        assert attempt.number == 1
        assert len(receiver.of("/status/400")) == 1

    def test_backoff_grows_exponentially_with_jitter_under_a_cap(self) -> None:
        policy = SendPolicy(backoff=0.5, max_backoff=3.0, jitter=0.5)
        assert [policy.delay(n, 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
        assert policy.delay(2, 0.999) == pytest.approx(0.5, abs=0.01)
        assert SendPolicy(jitter=0.0).delay(1, 0.9) == 0.5


class TestChatTargets:
    HOSTILE: ClassVar[dict[str, str]] = {
        "job_id": "j-1",
        "title": "@everyone <!channel> " + "T" * 10_240,
        "company_name": "A&B <Corp> @here",
        "location": "x" * 5000,
        **{f"extra_{n}": "<>&" * 400 for n in range(40)},
    }

    def test_discord_gets_an_embed_within_every_limit_and_no_mentions(
        self, engine: Engine, receiver: Receiver
    ) -> None:
        add(engine, "job.created", "discord", receiver.url("/discord/hook"))
        (attempt,) = fire(engine, "job.created", self.HOSTILE)[1]
        assert attempt.outcome == "delivered (204)"
        (got,) = receiver.of("/discord/hook")
        assert got.header("X-Kardow-Signature") is None
        message = json.loads(got.body)
        assert message["allowed_mentions"] == {"parse": []}
        assert len(message.get("content", "")) <= 2000
        embeds = message["embeds"]
        assert 1 <= len(embeds) <= 10
        total = 0
        for embed in embeds:
            assert len(embed["title"]) <= 256
            assert embed["title"].endswith("…")
            assert len(embed.get("description", "")) <= 4096
            assert len(embed["fields"]) <= 25
            for item in embed["fields"]:
                assert 0 < len(item["name"]) <= 256
                assert 0 < len(item["value"]) <= 1024
            assert len(embed["footer"]["text"]) <= 2048
            assert isinstance(embed["color"], int)
            total += len(embed["title"]) + len(embed.get("description", ""))
            total += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
            total += len(embed["footer"]["text"])
        assert total <= 6000
        assert "@everyone" in got.body.decode()  # shown, but unable to ping anyone

    def test_slack_gets_blocks_within_every_limit_with_mrkdwn_escaped(
        self, engine: Engine, receiver: Receiver
    ) -> None:
        add(engine, "job.created", "slack", receiver.url("/slack/hook"))
        (attempt,) = fire(engine, "job.created", self.HOSTILE)[1]
        assert attempt.ok
        assert attempt.response_body == b"ok"
        (got,) = receiver.of("/slack/hook")
        message = json.loads(got.body)
        assert message["text"]
        blocks = message["blocks"]
        assert len(blocks) <= 50
        mrkdwn: list[str] = [message["text"]]
        for block in blocks:
            if block["type"] == "header":
                assert block["text"]["type"] == "plain_text"
                assert len(block["text"]["text"]) <= 150
            if block["type"] == "section":
                if "text" in block:
                    assert len(block["text"]["text"]) <= 3000
                    mrkdwn.append(block["text"]["text"])
                fields = block.get("fields", [])
                assert len(fields) <= 10
                for item in fields:
                    assert len(item["text"]) <= 2000
                    mrkdwn.append(item["text"])
            if block["type"] == "context":
                mrkdwn += [e["text"] for e in block["elements"] if e["type"] == "mrkdwn"]
        for text in mrkdwn:
            unescaped = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
            assert "<" not in unescaped
            assert ">" not in unescaped
            assert "&" not in unescaped
        assert "A&amp;B &lt;Corp&gt;" in got.body.decode()


class TestKudozAndReplay:
    def _kudoz_credential(self, engine: Engine, data_dir: Path) -> None:
        vault = load_vault(engine.key_file, create=True)
        assert vault is not None
        with open_store(data_dir) as db:
            credential_store.add_credential(
                db, vault, Credential("kudoz", "main", "kudoz-api-secret", api_key="key-1")
            )

    def test_a_kudoz_callback_to_our_listener_is_verified(
        self, engine: Engine, data_dir: Path
    ) -> None:
        self._kudoz_credential(engine, data_dir)
        assert wait_for(lambda: engine.credentials(), 3)
        data = {"job_reference": "REF-1", "job_application_id": 7}
        plan = engine.call(
            engine.plan_kudoz("job_application", data, engine.url + "/kudoz/cb", "main")
        ).result(10)
        (attempt,) = engine.call(engine.send(plan, QUICK)).result(30)
        capture = stored(data_dir, json.loads(attempt.response_body)["capture_id"])
        assert capture.verdict.verdict == "verified"
        assert capture.verdict.event == "job_application"
        assert json.loads(capture.body)["data"] == data

    def test_an_unknown_credential_is_named_with_the_known_ones(
        self, engine: Engine, data_dir: Path
    ) -> None:
        from hookscope.engine import EngineError

        self._kudoz_credential(engine, data_dir)
        assert wait_for(lambda: engine.credentials(), 3)
        with pytest.raises(EngineError, match="stored: 'main'"):
            engine.call(engine.plan_kudoz("job_application", {}, engine.url, "nope")).result(10)

    def test_replay_as_captured_and_re_signed(self, engine: Engine, data_dir: Path) -> None:
        vault = load_vault(engine.key_file, create=True)
        assert vault is not None
        with open_store(data_dir) as db:
            credential_store.add_credential(db, vault, Credential("kardow", "k", SECRET))
        assert wait_for(lambda: engine.credentials(), 3)
        body = b'{"event": "job.created", "organization_id": 42, "data": {}}'
        port = listener_port(engine)
        reply = http(port, "POST", "/in", [("X-Kardow-Signature", "0" * 64)], body)
        original = reply.json()["capture_id"]
        assert stored(data_dir, original).verdict.verdict == "failed"

        as_is = engine.call(engine.plan_replay(original, engine.url + "/again")).result(10)
        (first,) = engine.call(engine.send(as_is, QUICK)).result(30)
        copy = stored(data_dir, json.loads(first.response_body)["capture_id"])
        assert copy.body == body
        assert copy.header("X-Kardow-Signature") == "0" * 64
        assert copy.header("X-Hookscope-Replay-Of") == str(original)
        assert copy.verdict.verdict == "failed"

        resigned = engine.call(
            engine.plan_replay(original, engine.url + "/again", resign=True)
        ).result(10)
        (second,) = engine.call(engine.send(resigned, QUICK)).result(30)
        fixed = stored(data_dir, json.loads(second.response_body)["capture_id"])
        assert fixed.verdict.verdict == "verified"
        assert fixed.body == body
        (log,) = logged(data_dir, fire_id=resigned.fire_id)
        assert log.request.replay_of == original


def test_the_fanout_benchmark_measures_real_deliveries(tmp_path: Path, receiver: Receiver) -> None:
    from hookscope.bench import _fanout

    figures = _fanout(tmp_path / "bench", receiver.port, targets=10, rounds=2)
    assert figures["fanout_delivered"] == 10
    assert len(receiver.received) == 2 * 10 + 2 * 10  # two timed rounds, two bare rounds
    signed = [r for r in receiver.received if r.header("X-Kardow-Signature")]
    assert len(signed) == 20
