"""Firing and re-signing for every signing scheme: planned, signed as it leaves, verified (pure)."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from stripe import WebhookSignature

from hookscope.core import fresh
from hookscope.core.fire import FireError, can_resign, plan_replay
from hookscope.core.http import Request
from hookscope.core.model import Capture, Credential, Outgoing, Verdict
from hookscope.core.providers import Scheme, Verifier, provider
from hookscope.core.schemefire import content_type, plan_scheme, sample_body
from tests.conftest import make_capture

PREVIEWED = datetime(2025, 7, 19, 12, 0, 0, tzinfo=UTC)
SENT = PREVIEWED + timedelta(minutes=6)
URL = "http://127.0.0.1:9/hooks/in"
ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha512=",
    algorithm="sha512",
    encoding="base64",
    signed="{id}:{timestamp}:{method}:{path}:{body}",
    timestamp_header="X-Acme-Time",
    tolerance=120,
    id_header="X-Acme-Id",
)
SCHEMES = (ACME,)
SECRETS = {
    "standard-webhooks": "whsec_" + base64.b64encode(b"standard webhooks key 01").decode(),
    "stripe": "whsec_stripe_endpoint_secret_0123",
    "github": "github-webhook-secret",
    "slack": "8f742231b10e8888abcd99yyyzzz85a5",
    "shopify": "shpss_shopify_app_secret",
    "acme": "acme-shared-secret",
}
ALL = list(SECRETS)
THEIRS = "whsec_" + base64.b64encode(b"the sender's other key").decode()  # a secret of every kind


def credential(scheme: str, name: str = "main") -> Credential:
    return Credential(scheme, name, SECRETS[scheme])


def arrived(request: Outgoing, at: datetime) -> Capture:
    """The request as a listener at `url` would capture it at `at`."""
    path = request.url.removeprefix("http://127.0.0.1:9")
    return Capture(Request(request.method, path, request.headers, request.body), received_at=at)


def judged(request: Outgoing, at: datetime, *secrets: Credential) -> Verdict:
    return Verifier(list(secrets), schemes=SCHEMES)(arrived(request, at))


@pytest.mark.parametrize("scheme", ALL)
def test_a_fire_is_signed_again_as_it_leaves_and_verifies_then(scheme: str) -> None:
    plan = plan_scheme(
        scheme,
        sample_body(scheme),
        url=URL,
        credential=credential(scheme),
        now=PREVIEWED,
        schemes=SCHEMES,
    )
    (request,) = plan.requests
    assert request.body == sample_body(scheme)  # the bytes given, exactly
    assert request.header("Content-Type") == "application/json"
    # The preview was signed six minutes before it leaves: as it was drawn it would be stale
    # wherever the scheme carries the time; signed as it leaves it is verified.
    leaving = fresh.signed(request, credential(scheme), SENT, SCHEMES)
    verdict = judged(leaving, SENT, credential(scheme))
    assert (verdict.verdict, verdict.provider) == ("verified", scheme), verdict.detail
    if scheme not in ("github", "shopify"):  # no timestamp: a late preview is still valid
        assert judged(request, SENT, credential(scheme)).verdict == "stale"
    again = fresh.signed(request, credential(scheme), SENT, SCHEMES)
    if scheme not in ("stripe", "slack"):  # the others carry a delivery id: new each attempt
        assert again.headers != leaving.headers
    assert fresh.describe(plan, request).startswith("Made as it is sent")


@pytest.mark.parametrize("scheme", ["standard-webhooks", "github", "shopify", "acme"])
def test_each_attempt_carries_a_new_delivery_id_so_a_retry_is_no_replay(scheme: str) -> None:
    plan = plan_scheme(
        scheme, b'{"a":1}', url=URL, credential=credential(scheme), now=SENT, schemes=SCHEMES
    )
    (request,) = plan.requests
    memory = Verifier([credential(scheme)], schemes=SCHEMES)
    first = memory(arrived(fresh.signed(request, credential(scheme), SENT, SCHEMES), SENT))
    second = memory(arrived(fresh.signed(request, credential(scheme), SENT, SCHEMES), SENT))
    assert (first.verdict, second.verdict) == ("verified", "verified")
    assert memory(arrived(request, SENT)).verdict == "verified"
    assert memory(arrived(request, SENT)).verdict == "replayed"  # the same id twice


def test_the_event_goes_in_the_header_of_the_schemes_that_carry_it_there() -> None:
    github = plan_scheme(
        "github", b"{}", url=URL, credential=credential("github"), now=SENT, event="push"
    )
    assert github.requests[0].header("X-GitHub-Event") == "push"
    assert github.event == "push"
    assert plan_scheme("github", b"{}", url=URL, credential=credential("github"), now=SENT).event
    shopify = plan_scheme("shopify", b"{}", url=URL, credential=credential("shopify"), now=SENT)
    assert shopify.requests[0].header("X-Shopify-Topic") == "orders/create"
    stripe = plan_scheme(
        "stripe", sample_body("stripe"), url=URL, credential=credential("stripe"), now=SENT
    )
    assert stripe.event == "payment_intent.succeeded"  # read from the body, as captures are


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": [1, 2]}', "application/json"),
        (b"  42\n", "application/json"),
        (b"a=1&b=2", "application/octet-stream"),
        (b"\xff\xfe{}", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_content_type_says_json_only_for_json(body: bytes, expected: str) -> None:
    assert content_type(body) == expected


def test_non_json_bytes_are_sent_and_signed_exactly() -> None:
    body = b"\x00\xff binary \r\n"
    plan = plan_scheme("shopify", body, url=URL, credential=credential("shopify"), now=SENT)
    (request,) = plan.requests
    assert request.body == body
    assert request.header("Content-Type") == "application/octet-stream"
    assert judged(request, SENT, credential("shopify")).verdict == "verified"


@pytest.mark.parametrize(
    ("scheme", "chosen", "event", "message"),
    [
        ("kardow", None, None, "Kardow events are fired from their templates"),
        ("kudoz", None, None, "Kudoz events are fired from their templates"),
        ("nope", None, None, "There is no signing scheme named 'nope': use one of"),
        ("stripe", Credential("github", "gh", "x"), None, "'gh' is for github, not stripe"),
        (
            "standard-webhooks",
            Credential("standard-webhooks", "pk", "", api_key="whpk_" + "A" * 43 + "="),
            None,
            "'pk' has no usable signing secret",
        ),
        (
            "standard-webhooks",
            Credential("standard-webhooks", "odd", "whsec_not base64!"),
            None,
            "'odd' has no usable signing secret",
        ),
        ("stripe", None, "invoice.paid", "Stripe carries its event in the body"),
        ("github", None, "two\nlines", "The GitHub event must be a word such as 'ping'"),
    ],
)
def test_what_cannot_be_fired_is_one_sentence(
    scheme: str, chosen: Credential | None, event: str | None, message: str
) -> None:
    signer = chosen or Credential(scheme, "main", "secret")
    with pytest.raises(FireError, match=message) as raised:
        plan_scheme(scheme, b"{}", url=URL, credential=signer, now=SENT, event=event)
    sentence = str(raised.value)
    assert sentence.endswith(".")
    assert ". " not in sentence


def test_the_url_is_checked() -> None:
    with pytest.raises(FireError, match="The URL"):
        plan_scheme("github", b"{}", url="ftp://x", credential=credential("github"), now=SENT)


def captured_by(scheme: str, secret: str, at: datetime) -> Capture:
    """A delivery signed the scheme's way with `secret`, as captured (verdict judged)."""
    signer = Credential(scheme, "theirs", secret)
    plan = plan_scheme(scheme, b'{"id":1}', url=URL, credential=signer, now=at, schemes=SCHEMES)
    capture = arrived(plan.requests[0], at)
    return replace(capture, verdict=Verifier([], schemes=SCHEMES)(capture), id=7)


@pytest.mark.parametrize("scheme", ALL)
def test_a_replay_is_re_signed_for_its_scheme_and_again_as_it_leaves(scheme: str) -> None:
    capture = captured_by(scheme, THEIRS, PREVIEWED)
    assert capture.verdict.verdict == "no-secret"
    mine = credential(scheme, "mine")
    assert can_resign(capture, mine, SCHEMES) is None
    plan = plan_replay(capture, url=URL, now=SENT, resign=True, resign_with=mine, schemes=SCHEMES)
    (request,) = plan.requests
    assert plan.provider == scheme
    assert judged(request, SENT, mine).verdict == "verified"
    leaving = fresh.signed(request, mine, SENT + timedelta(minutes=10), SCHEMES)
    verdict = judged(leaving, SENT + timedelta(minutes=10), mine)
    assert verdict.verdict == "verified", verdict.detail
    assert leaving.header("X-Hookscope-Replay-Of") == "7"


def test_re_signing_github_drops_the_legacy_sha1_signature_it_cannot_vouch_for() -> None:
    capture = make_capture(
        headers=(
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature", "sha1=" + "0" * 40),
            ("X-Hub-Signature-256", "sha256=" + "0" * 64),
        ),
        body=b"{}",
        id=3,
    )
    plan = plan_replay(capture, url=URL, now=SENT, resign=True, resign_with=credential("github"))
    (request,) = plan.requests
    assert request.header("X-Hub-Signature") is None
    assert request.header("X-GitHub-Event") == "push"
    assert judged(request, SENT, credential("github")).verdict == "verified"


def test_re_signing_is_refused_in_one_sentence() -> None:
    github = make_capture(headers=(("X-Hub-Signature-256", "sha256=00"),), body=b"{}")
    assert can_resign(github, None) == "Re-signing needs a stored GitHub secret; add one first."
    assert can_resign(github, credential("stripe")) == (
        "The secret 'main' is for stripe, not github."
    )
    plain = make_capture(headers=(), body=b"hello")
    assert can_resign(plain, credential("github")) == (
        "Only signed deliveries can be re-signed; no signing scheme was recognised."
    )
    # A custom scheme's capture is recognised with the stored schemes.
    acme = captured_by("acme", "x", SENT)
    assert can_resign(replace(acme, verdict=Verdict()), credential("acme"), SCHEMES) is None
    public_only = Credential("standard-webhooks", "pk", "", api_key="whpk_x")
    signed = captured_by("standard-webhooks", SECRETS["standard-webhooks"], SENT)
    with pytest.raises(FireError, match="'pk' has no usable signing secret"):
        plan_replay(signed, url=URL, now=SENT, resign=True, resign_with=public_only)


def test_a_removed_custom_scheme_cannot_sign_and_says_so() -> None:
    request = plan_scheme(
        "acme", b"{}", url=URL, credential=credential("acme"), now=SENT, schemes=SCHEMES
    ).requests[0]
    with pytest.raises(FireError, match="no signing scheme named 'acme'"):
        fresh.signed(request, credential("acme"), SENT)


def test_kardow_and_kudoz_names_are_their_own_and_others_are_listed_in_words() -> None:
    assert provider("acme", SCHEMES) is not None
    plan = plan_scheme(
        "acme", b"{}", url=URL, credential=credential("acme"), now=SENT, schemes=SCHEMES
    )
    assert fresh.describe(plan, plan.requests[0]) == (
        "Made as it is sent (shown here with sample values): X-Acme-Signature, X-Acme-Time and"
        " X-Acme-Id (signed again for every attempt, with a new id and the time it leaves)."
    )


# -- the services' own libraries accept what a fire and a re-signed replay send --------------


def _leaving(scheme: str, body: bytes, resign: bool) -> Outgoing:
    if resign:
        capture = captured_by(scheme, THEIRS, PREVIEWED)
        capture = replace(capture, request=replace(capture.request, body=body))
        request = plan_replay(
            capture, url=URL, now=PREVIEWED, resign=True, resign_with=credential(scheme)
        ).requests[0]
    else:
        request = plan_scheme(
            scheme, body, url=URL, credential=credential(scheme), now=PREVIEWED
        ).requests[0]
    return fresh.signed(request, credential(scheme), datetime.now(UTC))


@pytest.mark.parametrize("resign", [False, True], ids=["fire", "replay"])
def test_the_libraries_accept_what_fire_and_replay_send(resign: bool) -> None:
    body = b'{"type":"invoice.paid","text":"Gr\xc3\xbc\xc3\x9fe"}'
    standard = _leaving("standard-webhooks", body, resign)
    headers = {name.lower(): value for name, value in standard.headers}
    Webhook(SECRETS["standard-webhooks"]).verify(body, headers, json_parse=False)
    stripe = _leaving("stripe", body, resign)
    signature = stripe.header("Stripe-Signature") or ""
    assert WebhookSignature.verify_header(body, signature, SECRETS["stripe"], tolerance=300)
    slack = _leaving("slack", body, resign)
    assert SignatureVerifier(SECRETS["slack"]).is_valid_request(body, dict(slack.headers))
