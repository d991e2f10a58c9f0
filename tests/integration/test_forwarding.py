"""Live forwarding over real sockets: a sender, the engine, and the developer's own app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from hookscope.core.forwarding import ForwardRule, ForwardState
from hookscope.core.model import Credential, SendPolicy, utc_now
from hookscope.engine import Engine, EngineError
from hookscope.engine import forwarding as engine_forwarding
from hookscope.storage.db import open_store
from hookscope.storage.forwards import forwards_of
from tests.conftest import running_engine
from tests.integration.apps import App, free_port, kardow_signature, running_app
from tests.integration.conftest import http, listener_port, stored, wait_for

SENDERS_SECRET = "the-senders-secret-0123"
LOCAL_SECRET = "the-apps-local-secret-0123"
EVENT = b'{"event":"job.created","organization_id":42,"data":{"id":7,"title":"M\xc3\xbcnchen"}}'


@pytest.fixture
def engine(data_dir: Path) -> Iterator[Engine]:
    with running_engine(data_dir) as running:
        fast = SendPolicy(connect_timeout=1.0, total_timeout=2.0, retries=0)
        running.call(running.config.save_send_policy(fast)).result(10)
        yield running


@pytest.fixture
def app() -> Iterator[App]:
    with running_app(SENDERS_SECRET) as running:
        yield running


def add_rule(engine: Engine, **fields: object) -> int:
    rule = ForwardRule(**fields)  # type: ignore[arg-type]
    return int(engine.call(engine.save_forward_rule(rule)).result(10))


def kardow(port: int, path: str, body: bytes = EVENT, secret: str = SENDERS_SECRET) -> int:
    headers = [
        ("Content-Type", "application/json"),
        ("X-Kardow-Signature", kardow_signature(secret, body)),
        ("X-Trace", "one"),
        ("X-Trace", "two"),
    ]
    reply = http(port, "POST", path, headers, body)
    assert reply.status in (200, 201, 401), reply
    return int(reply.json().get("capture_id", 0)) if reply.status == 200 else 0


def forwards(data_dir: Path, capture_id: int) -> list[ForwardState]:
    db = open_store(data_dir)
    try:
        return forwards_of(db, [capture_id], bodies=True).get(capture_id, [])
    finally:
        db.close()


def settled(data_dir: Path, capture_id: int, count: int = 1) -> list[ForwardState]:
    """The capture's forwards once each has a final attempt logged (or what there is by then)."""

    def done() -> list[ForwardState]:
        found = forwards(data_dir, capture_id)
        ready = len(found) == count and all(s.last is not None and s.last.final for s in found)
        return found if ready else []

    return wait_for(done, timeout=10) or forwards(data_dir, capture_id)


def test_a_forward_keeps_the_senders_kardow_signature_valid(
    engine: Engine, app: App, data_dir: Path
) -> None:
    add_rule(engine, pattern="/kardow/*", url=app.url("/app"), strip_prefix="/kardow")
    capture_id = kardow(listener_port(engine), "/kardow/jobs?tenant=9")

    (state,) = settled(data_dir, capture_id)
    assert state.state == "delivered", state.last
    assert state.last is not None
    assert state.last.response_body == b'{"verified": true}'
    (received,) = app.requests()
    assert received.method == "POST"
    assert received.path == "/app/jobs?tenant=9"
    assert received.body == EVENT
    # The sender's headers in their order (duplicates kept) without its hop-by-hop ones (Host,
    # Connection: close, Content-Length): the client sets Host for the app and frames the body.
    assert received.headers == [
        ("Host", f"127.0.0.1:{app.port}"),
        ("Content-Type", "application/json"),
        ("X-Kardow-Signature", kardow_signature(SENDERS_SECRET, EVENT)),
        ("X-Trace", "one"),
        ("X-Trace", "two"),
        ("Content-Length", str(len(EVENT))),
    ]
    assert state.forward.url == app.url("/app/jobs?tenant=9")


def test_proxy_mode_gives_the_sender_the_apps_answer_and_stores_it(
    engine: Engine, app: App, data_dir: Path
) -> None:
    add_rule(engine, pattern="*", url=app.url("/answer"), mode="proxy")
    reply = http(listener_port(engine), "POST", "/", [("Content-Type", "text/plain")], b"hi")

    assert reply.status == 201
    assert reply.body == b'{"created": "by the app"}'
    assert reply.header("X-App") == "yes"
    assert reply.header("Content-Type") == "application/json"
    (capture_id,) = [s.forward.capture_id for s in settled(data_dir, 1)]
    assert capture_id == 1
    capture = stored(data_dir, 1)
    assert capture.response is not None
    assert capture.response.status == 201
    assert capture.response.body == reply.body
    assert capture.response.header("X-App") == "yes"
    (state,) = forwards(data_dir, 1)
    assert state.forward.mode == "proxy"
    assert state.last is not None
    assert state.last.status == 201


def test_app_down_in_async_mode_the_sender_is_acknowledged_and_the_error_recorded(
    engine: Engine, data_dir: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    add_rule(engine, pattern="*", url=down)
    reply = http(listener_port(engine), "POST", "/hook", body=b"{}")

    assert reply.status == 200
    capture_id = reply.json()["capture_id"]
    (state,) = settled(data_dir, capture_id)
    assert state.state == "failed"
    assert state.last is not None
    assert state.last.error is not None
    assert "connection refused" in state.last.error
    assert state.as_json()["error"] == state.last.error


def test_app_down_in_proxy_mode_gives_502_with_a_json_reason(
    engine: Engine, data_dir: Path
) -> None:
    port = free_port()
    add_rule(engine, pattern="*", url=f"http://127.0.0.1:{port}", mode="proxy")
    reply = http(listener_port(engine), "POST", "/hook", body=b"{}")

    assert reply.status == 502
    error = reply.json()["error"]
    assert error["code"] == "app_unreachable"
    assert f"127.0.0.1:{port}" in error["message"]
    assert "connection refused" in error["message"]
    capture_id = reply.json()["capture_id"]
    capture = stored(data_dir, capture_id)  # stored all the same, with what the sender got
    assert capture.body == b"{}"
    assert capture.response is not None
    assert capture.response.status == 502
    assert capture.response.body == reply.body


def test_a_slow_app_in_proxy_mode_gives_504_within_the_policy(
    engine: Engine, app: App, data_dir: Path
) -> None:
    policy = SendPolicy(connect_timeout=0.3, total_timeout=0.5)
    engine.call(engine.config.save_send_policy(policy)).result(10)
    add_rule(engine, pattern="*", url=app.url("/slow"), mode="proxy")
    reply = http(listener_port(engine), "POST", "/hook", body=b"{}")

    assert reply.status == 504
    assert reply.json()["error"]["code"] == "app_timeout"
    assert "0.5 s" in reply.json()["error"]["message"]
    assert stored(data_dir, reply.json()["capture_id"]).response.status == 504  # type: ignore[union-attr]


def test_re_signed_forwards_verify_with_the_apps_local_secret(
    engine: Engine, data_dir: Path
) -> None:
    engine.call(engine.config.add_credential(Credential("kardow", "local", LOCAL_SECRET))).result(
        10
    )
    with running_app(LOCAL_SECRET) as local:
        add_rule(engine, pattern="*", url=local.url(), resign="local")
        capture_id = kardow(listener_port(engine), "/hook")  # signed with the sender's secret

        (state,) = settled(data_dir, capture_id)
        assert state.state == "delivered", state.last
        (received,) = local.requests()
        assert received.header("X-Kardow-Signature") == kardow_signature(LOCAL_SECRET, EVENT)
        assert received.body == EVENT


def test_a_rule_re_signing_with_a_secret_that_is_not_stored_is_refused(engine: Engine) -> None:
    with pytest.raises(EngineError, match=r"No secret is called 'nope' \(none is stored\)\."):
        add_rule(engine, pattern="*", url="http://127.0.0.1:1/", resign="nope")


def test_routing_by_event_sends_two_events_to_two_urls(engine: Engine, data_dir: Path) -> None:
    with running_app(SENDERS_SECRET) as created, running_app(SENDERS_SECRET) as deleted:
        add_rule(engine, pattern="*", url=created.url("/c"), event="job.created")
        add_rule(engine, pattern="*", url=deleted.url("/d"), event="job.deleted", provider="kardow")
        port = listener_port(engine)
        first = kardow(port, "/kardow")
        other = EVENT.replace(b"job.created", b"job.deleted")
        second = kardow(port, "/kardow", other)

        assert settled(data_dir, first)[0].forward.url == created.url("/c/kardow")
        assert settled(data_dir, second)[0].forward.url == deleted.url("/d/kardow")
        assert [r.body for r in created.requests()] == [EVENT]
        assert [r.body for r in deleted.requests()] == [other]


def test_a_5_mb_body_is_forwarded_whole(engine: Engine, app: App, data_dir: Path) -> None:
    add_rule(engine, pattern="*", url=app.url())
    body = bytes(range(256)) * (5 * 1024 * 1024 // 256)
    capture_id = kardow(listener_port(engine), "/big", body)

    (state,) = settled(data_dir, capture_id)
    assert state.state == "delivered", state.last
    (received,) = app.requests()
    assert received.body == body


def test_a_huge_answer_in_proxy_mode_is_refused_in_one_sentence_and_the_log_cut(
    engine: Engine, app: App, data_dir: Path
) -> None:
    add_rule(engine, pattern="*", url=app.url("/huge"), mode="proxy")
    reply = http(listener_port(engine), "POST", "/hook", body=b"{}")

    assert reply.status == 502
    assert reply.json()["error"]["code"] == "app_answer_too_large"
    (state,) = forwards(data_dir, reply.json()["capture_id"])
    assert state.last is not None
    assert state.last.status == 200
    assert state.last.response_truncated
    assert len(state.last.response_body) == SendPolicy().response_limit


def test_a_failed_forward_is_sent_again_once_the_app_is_up(engine: Engine, data_dir: Path) -> None:
    port = free_port()
    add_rule(engine, pattern="*", url=f"http://127.0.0.1:{port}/in")
    capture_id = kardow(listener_port(engine), "/hook")
    (failed,) = settled(data_dir, capture_id)
    assert failed.state == "failed"
    assert engine.call(engine.retry_failed_forwards(utc_now())).result(10) == []  # not that late

    with running_app(SENDERS_SECRET, port) as app:
        assert failed.forward.id is not None
        (attempt,) = engine.call(engine.retry_forwards([failed.forward.id])).result(10)
        assert attempt.ok, attempt.outcome
        assert [r.body for r in app.requests()] == [EVENT]
        (state,) = forwards(data_dir, capture_id)
        assert state.state == "delivered"
        assert state.attempts == 2
        # Nothing failed is left: the period's retry sends nothing more.
        since = utc_now() - timedelta(minutes=5)
        assert engine.call(engine.retry_failed_forwards(since)).result(10) == []


def test_every_failed_forward_of_a_period_is_sent_again(engine: Engine, data_dir: Path) -> None:
    port = free_port()
    add_rule(engine, pattern="*", url=f"http://127.0.0.1:{port}")
    ids = [kardow(listener_port(engine), f"/n/{n}") for n in range(3)]
    for capture_id in ids:
        settled(data_dir, capture_id)

    with running_app(SENDERS_SECRET, port) as app:
        attempts = engine.call(engine.retry_failed_forwards(utc_now() - timedelta(hours=1)))
        assert [a.ok for a in attempts.result(10)] == [True, True, True]
        assert sorted(r.path for r in app.requests()) == ["/n/0", "/n/1", "/n/2"]


def test_retrying_an_unknown_forward_says_so(engine: Engine) -> None:
    with pytest.raises(EngineError, match=r"^There is no forward 99\.$"):
        engine.call(engine.retry_forwards([99])).result(10)


def test_a_refused_capture_is_not_forwarded(data_dir: Path, app: App) -> None:
    with running_engine(data_dir, body_limit=10) as small:
        add_rule(small, pattern="*", url=app.url())
        reply = http(listener_port(small), "POST", "/hook", body=b"x" * 100)
        assert reply.status == 413
        assert forwards(data_dir, reply.json()["capture_id"]) == []


def test_session_forwards_go_to_every_path_and_are_not_stored(data_dir: Path, app: App) -> None:
    with running_engine(data_dir) as running:
        running.forwarding.set_forward_to([app.url("/base")])
        capture_id = kardow(listener_port(running), "/any/where")
        (state,) = settled(data_dir, capture_id)
        assert state.forward.rule_id is None
        assert state.forward.url == app.url("/base/any/where")
        assert json.loads(state.last.response_body if state.last else b"null") == {"verified": True}
    with pytest.raises(EngineError, match="must use http or https"):
        running.forwarding.set_forward_to(["ftp://example.com"])


def test_a_forward_cut_off_by_a_stop_is_sent_by_the_next_run(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_forwarding, "STOP_GRACE", 0.2)
    with running_app(SENDERS_SECRET) as app:
        with running_engine(data_dir) as first:
            add_rule(first, pattern="*", url=app.url("/slow"))
            capture_id = kardow(listener_port(first), "/held")
            assert wait_for(app.requests, timeout=5)
            (state,) = forwards(data_dir, capture_id)
            assert state.forward.id is not None
            with pytest.raises(EngineError, match=rf"^Forward {state.forward.id} is being sent"):
                first.call(first.retry_forwards([state.forward.id])).result(10)
        (cut,) = forwards(data_dir, capture_id)  # stopped within the grace, nothing logged
        assert cut.state == "not sent yet"

        app.release.set()
        with running_engine(data_dir):
            (state,) = settled(data_dir, capture_id)
            assert state.state == "delivered"
            assert [r.path for r in app.requests()] == ["/slow/held", "/slow/held"]


def test_a_forward_whose_capture_was_deleted_cannot_be_sent_again(
    engine: Engine, data_dir: Path
) -> None:
    add_rule(engine, pattern="*", url=f"http://127.0.0.1:{free_port()}")
    capture_id = kardow(listener_port(engine), "/hook")
    assert settled(data_dir, capture_id)[0].state == "failed"
    engine.call(engine.delete_captures([capture_id])).result(10)

    with pytest.raises(EngineError, match=rf"^Capture {capture_id} of forward 1 was deleted;"):
        engine.call(engine.retry_forwards([1])).result(10)
    assert engine.call(engine.retry_failed_forwards()).result(10) == []


def test_a_re_sign_secret_removed_since_means_not_forwarded_in_words(
    engine: Engine, app: App, data_dir: Path
) -> None:
    engine.call(engine.config.add_credential(Credential("kardow", "local", LOCAL_SECRET))).result(
        10
    )
    add_rule(engine, pattern="*", url=app.url(), mode="proxy", resign="local")
    engine.call(engine.config.remove_credential("local")).result(10)
    reply = http(listener_port(engine), "POST", "/hook", body=b"{}")

    assert reply.status == 502
    assert reply.json()["error"] == {
        "code": "not_forwarded",
        "message": f"The delivery was not forwarded to {app.url('/hook')}: the secret 'local'"
        " is no longer stored.",
    }
    assert app.requests() == []
    (state,) = forwards(data_dir, reply.json()["capture_id"])
    assert state.label == "not sent"
