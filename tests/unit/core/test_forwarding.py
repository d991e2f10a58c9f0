"""Forwarding decided without sockets: matching, URLs, the request, re-signing, proxied answers."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from hookscope.core.fire import FireError
from hookscope.core.forwarding import (
    ASYNC,
    PROXY,
    Forward,
    ForwardRule,
    ForwardState,
    check_forward_rule,
    forward_request,
    plan_forwards,
    proxied_answer,
    resigned,
    target_url,
)
from hookscope.core.http import Headers, Request, Response
from hookscope.core.model import Attempt, Capture, Credential, Verdict
from hookscope.core.providers import REGISTRY, VerifyContext, verify
from tests.conftest import make_capture

DATE = "Sun, 29 Nov 2026 10:00:00 GMT"


def judged(provider: str | None, event: str | None, **fields: object) -> Capture:
    capture = make_capture(**fields)
    return replace(capture, verdict=Verdict("verified", "ok", provider, event), id=5)


@pytest.mark.parametrize(
    ("base", "path", "query", "strip", "expected"),
    [
        ("http://app:3000", "/kardow/jobs", "", "", "http://app:3000/kardow/jobs"),
        ("http://app:3000/", "/kardow/jobs", "a=1", "", "http://app:3000/kardow/jobs?a=1"),
        ("http://app:3000/in", "/kardow/jobs", "", "/kardow", "http://app:3000/in/jobs"),
        ("http://app:3000/webhook", "/", "", "", "http://app:3000/webhook"),
        ("http://app:3000/webhook", "/kardow", "", "/kardow", "http://app:3000/webhook"),
        ("http://app:3000/w?k=v", "/x", "a=%20", "", "http://app:3000/w/x?k=v&a=%20"),
        ("http://app:3000", "/other", "", "/kardow", "http://app:3000/other"),
        ("https://[::1]:8443/a/", "/b%2Fc", "", "", "https://[::1]:8443/a/b%2Fc"),
    ],
)
def test_the_apps_url_follows_the_base_then_the_path_then_the_query(
    base: str, path: str, query: str, strip: str, expected: str
) -> None:
    assert target_url(base, path, query, strip) == expected


def test_every_matching_rule_forwards_and_only_the_first_proxy_answers() -> None:
    rules = [
        ForwardRule("/k/*", "http://b", mode=PROXY, position=2, id=2),
        ForwardRule("/k/*", "http://a", mode=PROXY, position=1, id=1),
        ForwardRule("/k/*", "http://c", provider="kudoz", id=3),
        ForwardRule("/k/*", "http://d", event="job.*", id=4),
        ForwardRule("/k/*", "http://e", event="user.*", id=5),
        ForwardRule("*", "http://f", enabled=False, id=6),
        ForwardRule("/other", "http://g", id=7),
    ]
    capture = judged("kardow", "job.created", path="/k/x")

    planned = plan_forwards(rules, capture, extra=["http://s"])

    assert [(f.url, f.mode, f.rule_id) for f in planned] == [
        ("http://d/k/x", ASYNC, 4),
        ("http://a/k/x", PROXY, 1),
        ("http://b/k/x", ASYNC, 2),  # a second proxy rule cannot answer too: it forwards
        ("http://s/k/x", ASYNC, None),
    ]


def test_an_event_filter_never_matches_a_capture_without_an_event() -> None:
    rule = ForwardRule("*", "http://a", event="*")
    assert not rule.matches(judged(None, None))
    assert rule.matches(judged(None, "anything"))


def test_a_refused_capture_is_never_forwarded() -> None:
    capture = replace(judged(None, None), body_truncated=True)
    assert plan_forwards([ForwardRule("*", "http://a")], capture, ["http://b"]) == ()


def test_the_request_is_the_capture_byte_for_byte_without_hop_by_hop_headers() -> None:
    headers = (
        ("Host", "hooks.example"),
        ("X-Sig", "abc"),
        ("Connection", "keep-alive"),
        ("Content-Length", "3"),
        ("Transfer-Encoding", "chunked"),
        ("x-sig", "second"),
        ("Content-Encoding", "gzip"),
    )
    capture = judged("kardow", "job.created", method="PUT", headers=headers, body=b"\x1f\x8b\x00")
    request = forward_request(capture, Forward("http://app/x", id=9))

    assert request.method == "PUT"
    assert request.body == b"\x1f\x8b\x00"
    assert request.headers == (("X-Sig", "abc"), ("x-sig", "second"), ("Content-Encoding", "gzip"))
    assert (request.kind, request.replay_of, request.forward_id) == ("forward", 5, 9)
    assert request.url == "http://app/x"


def test_re_signing_goes_through_the_schemes_own_signer() -> None:
    capture = judged("stripe", "invoice.paid", body=b'{"type":"invoice.paid"}')
    request = forward_request(capture, Forward("http://app/x", resign="local", id=1))
    credential = Credential("stripe", "local", "whsec_local")
    now = time.time()

    made = resigned(request, credential, REGISTRY["stripe"], now=now, delivery_id="d-1")

    arrived = make_capture(headers=tuple(made.headers), body=made.body)
    verdict = verify(arrived, VerifyContext([credential]))
    assert verdict.verdict == "verified", verdict.detail


def test_re_signing_kudoz_signs_the_apps_path() -> None:
    capture = judged("kudoz", "job_application", path="/kudoz/cb")
    request = forward_request(capture, Forward("http://app/in/cb?x=1", id=1))
    credential = Credential("kudoz", "local", "kudoz-secret", api_key="key")

    made = resigned(request, credential, REGISTRY["kudoz"], now=time.time(), delivery_id="u-1")

    arrived = make_capture(path="/in/cb", headers=tuple(made.headers), body=made.body)
    assert verify(arrived, VerifyContext([credential])).verdict == "verified"


def test_re_signing_without_a_signer_is_a_phrase_for_the_log() -> None:
    request = forward_request(judged(None, None), Forward("http://app", id=1))
    with pytest.raises(FireError, match=r"^no scheme called 'gone' can sign it$"):
        resigned(request, Credential("gone", "x", "s"), None, now=0.0, delivery_id="d")


def _attempt(**fields: object) -> Attempt:
    request = forward_request(judged(None, None), Forward("http://app/x", id=1))
    return Attempt("forward-1", request, **fields)  # type: ignore[arg-type]


SENT = Request("POST", "/x", Headers((("Host", "h"),)), b"{}")


def test_the_apps_answer_is_passed_on_without_its_hop_by_hop_headers() -> None:
    app_headers = (
        ("Content-Type", "text/plain"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "keep-alive"),
        ("X-App", "1"),
        ("Server", "app/1"),
    )
    answer = proxied_answer(
        _attempt(response=Response(202, Headers(app_headers), b"queued")),
        SENT,
        5,
        limit=100,
        date=DATE,
    )

    assert answer.status == 202
    assert answer.body == b"queued"
    assert answer.headers == (
        ("Content-Type", "text/plain"),
        ("X-App", "1"),
        ("Server", "app/1"),
        ("Content-Length", "6"),
        ("Date", DATE),
    )


@pytest.mark.parametrize(
    ("fields", "status", "code", "message"),
    [
        (
            {"error": "could not connect to 127.0.0.1:9: connection refused"},
            502,
            "app_unreachable",
            "The app at http://app/x could not be reached: could not connect to 127.0.0.1:9:"
            " connection refused.",
        ),
        (
            {"error": "timed out: no full answer within 10 s"},
            504,
            "app_timeout",
            "The app at http://app/x timed out: no full answer within 10 s.",
        ),
        (
            {"error": "not sent: the secret 'local' is no longer stored"},
            502,
            "not_forwarded",
            "The delivery was not forwarded to http://app/x: the secret 'local' is no longer"
            " stored.",
        ),
        (
            {"status": 200, "response_body": b"x" * 100, "response_truncated": True},
            502,
            "app_answer_too_large",
            "The app at http://app/x answered with a body over 100 bytes; it was not passed on.",
        ),
    ],
)
def test_without_an_answer_the_sender_gets_a_json_reason(
    fields: dict[str, object], status: int, code: str, message: str
) -> None:
    answer = proxied_answer(_attempt(**fields), SENT, 5, limit=100, date=DATE)

    assert answer.status == status
    assert json.loads(answer.body) == {"error": {"code": code, "message": message}, "capture_id": 5}
    assert answer.header("Content-Type") == "application/json"


def test_a_forwards_state_reads_in_words() -> None:
    forward = Forward("http://app/x", id=3)
    assert ForwardState(forward).state == "not sent yet"
    assert ForwardState(forward).label == "not sent yet"
    done = ForwardState(forward, _attempt(status=200, latency_ms=12.3456), 1)
    assert (done.state, done.label) == ("delivered", "200")
    refused = ForwardState(forward, _attempt(error="could not connect"), 2)
    assert (refused.state, refused.label) == ("failed", "failed")
    assert ForwardState(forward, _attempt(status=500), 1).label == "HTTP 500"
    assert ForwardState(forward, _attempt(error="not sent: gone"), 1).label == "not sent"
    assert done.as_json() == {
        "id": 3,
        "url": "http://app/x",
        "mode": "async",
        "state": "delivered",
        "status": 200,
        "latency_ms": 12.346,
        "error": None,
        "attempts": 1,
    }


CREDENTIALS = {"local": "kardow"}
PROVIDERS = ["kardow", "kudoz"]


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (ForwardRule(" ", "http://a"), "The path glob is empty; * forwards every path."),
        (ForwardRule("/\n", "http://a"), "The path glob must be at most 1024 characters"),
        (ForwardRule("*", "a:3000"), "The forward URL must use http or https, not a."),
        (ForwardRule("*", "http://a", mode="sync"), "Unknown mode 'sync'; use async or proxy."),
        (ForwardRule("*", "http://a", provider="x"), "Unknown provider 'x'; use one of kardow,"),
        (ForwardRule("*", "http://a", event=" "), "The event is empty; leave it out"),
        (ForwardRule("*", "http://a", resign="gone"), "No secret is called 'gone' (stored: 'l"),
        (
            ForwardRule("*", "http://a", provider="kudoz", resign="local"),
            "The secret 'local' is a kardow secret, but the rule forwards kudoz deliveries.",
        ),
    ],
)
def test_a_rule_that_cannot_forward_is_said_in_one_sentence(
    rule: ForwardRule, problem: str
) -> None:
    found = check_forward_rule(rule, CREDENTIALS, PROVIDERS)
    assert found is not None
    assert found.startswith(problem)


def test_a_good_rule_passes() -> None:
    rule = ForwardRule("/k/*", "https://a/b", mode=PROXY, provider="kardow", resign="local")
    assert check_forward_rule(rule, CREDENTIALS, PROVIDERS) is None
