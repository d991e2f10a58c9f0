"""Standard Webhooks, Stripe, GitHub, Slack, Shopify and a custom scheme: every verdict, through
the registry as the listener computes it. Signatures here are made with the stdlib, not the app."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from hookscope.core import providers
from hookscope.core.model import Capture, Credential, Verdict
from hookscope.core.providers import Scheme, Verifier, VerifyContext
from tests.conftest import make_capture

NOW = 1_760_000_000
BODY = b'{"type":"invoice.paid","action":"opened","id":"evt_1","data":{"amount":4200}}'
KEY = bytes(range(32))
ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha256=",
    signed="{timestamp}.{body}",
    timestamp_header="X-Acme-Time",
    id_header="X-Acme-Id",
)


def mac(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def hexed(digest: bytes) -> str:
    return digest.hex()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Spec:
    """How one scheme signs, written out independently of the app."""

    name: str
    secret: str
    key: bytes
    content: Callable[[str, str, bytes], bytes]  # (timestamp, id, body) -> signed bytes
    encoding: Callable[[bytes], str]
    headers: Callable[[str, str, str], list[tuple[str, str]]]  # (signature, timestamp, id)
    prefix: str = ""
    timed: bool = True
    has_id: bool = True
    event: str | None = "invoice.paid"
    markers: list[tuple[str, str]] = field(default_factory=list)
    schemes: tuple[Scheme, ...] = ()

    def capture(
        self,
        *,
        key: bytes | None = None,
        body: bytes = BODY,
        signed_body: bytes | None = None,
        stamp: str = str(NOW),
        signed_stamp: str | None = None,
        ident: str = "d-1",
        algorithm: str = "sha256",
        encoding: Callable[[bytes], str] | None = None,
    ) -> Capture:
        message = self.content(
            stamp if signed_stamp is None else signed_stamp,
            ident,
            body if signed_body is None else signed_body,
        )
        signature = (encoding or self.encoding)(
            mac(self.key if key is None else key, message, algorithm)
        )
        headers = self.headers(signature, stamp, ident)
        return make_capture(
            path="/hooks/in", headers=(("Content-Type", "application/json"), *headers), body=body
        )


SPECS = [
    Spec(
        "standard-webhooks",
        "whsec_" + base64.b64encode(KEY).decode(),
        KEY,
        lambda t, i, b: f"{i}.{t}.".encode() + b,
        b64,
        lambda s, t, i: [
            ("webhook-id", i),
            ("webhook-timestamp", t),
            ("webhook-signature", "v1," + s),
        ],
        prefix="v1,",
    ),
    Spec(
        "stripe",
        "whsec_stripe_endpoint_secret",
        b"whsec_stripe_endpoint_secret",
        lambda t, i, b: f"{t}.".encode() + b,
        hexed,
        lambda s, t, i: [("Stripe-Signature", f"t={t},v1={s}")],
        prefix="v1=",
        has_id=False,
    ),
    Spec(
        "github",
        "It's a Secret to Everybody",
        b"It's a Secret to Everybody",
        lambda t, i, b: b,
        hexed,
        lambda s, t, i: [
            ("X-GitHub-Event", "issues"),
            ("X-GitHub-Delivery", i),
            ("X-Hub-Signature-256", "sha256=" + s),
        ],
        prefix="sha256=",
        timed=False,
        event="issues.opened",
        markers=[("X-GitHub-Event", "issues")],
    ),
    Spec(
        "slack",
        "8f742231b10e8888abcd99yyyzzz85a5",
        b"8f742231b10e8888abcd99yyyzzz85a5",
        lambda t, i, b: f"v0:{t}:".encode() + b,
        hexed,
        lambda s, t, i: [("X-Slack-Request-Timestamp", t), ("X-Slack-Signature", "v0=" + s)],
        prefix="v0=",
        has_id=False,
        markers=[("X-Slack-Request-Timestamp", str(NOW))],
    ),
    Spec(
        "shopify",
        "shpss_shopify_secret",
        b"shpss_shopify_secret",
        lambda t, i, b: b,
        b64,
        lambda s, t, i: [
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Webhook-Id", i),
            ("X-Shopify-Hmac-Sha256", s),
        ],
        timed=False,
        event="orders/create",
        markers=[("X-Shopify-Topic", "orders/create")],
    ),
    Spec(
        "acme",
        "acme-signing-secret",
        b"acme-signing-secret",
        lambda t, i, b: f"{t}.".encode() + b,
        hexed,
        lambda s, t, i: [("X-Acme-Time", t), ("X-Acme-Id", i), ("X-Acme-Signature", "sha256=" + s)],
        prefix="sha256=",
        schemes=(ACME,),
    ),
]
IDS = [spec.name for spec in SPECS]
TIMED = [spec for spec in SPECS if spec.timed]
WITH_ID = [spec for spec in SPECS if spec.has_id]
PREFIXED = [spec for spec in SPECS if spec.prefix]


def judge(
    spec: Spec,
    capture: Capture,
    *,
    secrets: list[str] | None = None,
    at: float = NOW + 5,
    overrides: dict[str, str] | None = None,
) -> Verdict:
    """The verdict through the registry, explained as docs/architecture.md requires."""
    stored = [spec.secret] if secrets is None else secrets
    credentials = [Credential(spec.name, f"s{n}", s) for n, s in enumerate(stored)]
    context = VerifyContext(credentials, now=datetime.fromtimestamp(at, UTC))
    verdict = providers.verify(capture, context, overrides, spec.schemes)
    assert verdict.provider == spec.name, verdict.detail
    assert verdict.detail.endswith("."), verdict.detail
    assert verdict.checks
    return verdict


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_signed_request_is_verified_with_its_event(spec: Spec) -> None:
    verdict = judge(spec, spec.capture())
    assert verdict.verdict == "verified", verdict.detail
    assert "'s0'" in verdict.detail
    assert verdict.event == spec.event


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_the_right_secret_among_several_is_found(spec: Spec) -> None:
    verdict = judge(spec, spec.capture(), secrets=["whsec_" + b64(b"x" * 24), spec.secret])
    assert verdict.verdict == "verified"
    assert "'s1'" in verdict.detail


@pytest.mark.parametrize("spec", [s for s in SPECS if s.markers], ids=lambda s: s.name)
def test_the_senders_headers_without_a_signature_are_unsigned(spec: Spec) -> None:
    capture = make_capture(path="/hooks/in", headers=tuple(spec.markers), body=BODY)
    verdict = judge(spec, capture)
    assert verdict.verdict == "unsigned"
    assert verdict.checks[0].ok is False


def test_a_path_assigned_to_a_custom_scheme_without_its_header_is_unsigned() -> None:
    spec = SPECS[-1]
    capture = make_capture(path="/hooks/in", body=BODY)
    verdict = judge(spec, capture, overrides={"/hooks/*": "acme"})
    assert verdict.verdict == "unsigned"
    assert "X-Acme-Signature" in verdict.detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_signature_without_a_stored_secret_is_no_secret(spec: Spec) -> None:
    verdict = judge(spec, spec.capture(), secrets=[])
    assert verdict.verdict == "no-secret"
    assert "no " in verdict.detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_another_secret_fails_and_names_what_was_tried(spec: Spec) -> None:
    verdict = judge(spec, spec.capture(key=b"the sender's other secret"))
    assert verdict.verdict == "failed"
    assert "tried 's0'" in verdict.detail


@pytest.mark.parametrize("spec", TIMED, ids=lambda s: s.name)
@pytest.mark.parametrize(("late", "way"), [(900, "behind"), (-420, "ahead of")])
def test_a_matching_signature_out_of_the_window_is_stale_with_the_skew(
    spec: Spec, late: int, way: str
) -> None:
    verdict = judge(spec, spec.capture(), at=NOW + late)
    assert verdict.verdict == "stale"
    assert f"{abs(late)} s {way}" in verdict.detail
    assert "±300 s" in verdict.detail


@pytest.mark.parametrize("spec", TIMED, ids=lambda s: s.name)
def test_a_timestamp_in_milliseconds_is_stale_and_says_so(spec: Spec) -> None:
    verdict = judge(spec, spec.capture(stamp=str(NOW * 1000)))
    assert verdict.verdict == "stale"
    assert "milliseconds" in verdict.detail


@pytest.mark.parametrize("spec", WITH_ID, ids=lambda s: s.name)
def test_the_same_delivery_id_again_is_replayed_and_a_new_one_is_not(spec: Spec) -> None:
    credentials = [Credential(spec.name, "s0", spec.secret)]
    judge_all = Verifier(credentials, schemes=spec.schemes)

    def at(capture: Capture) -> Capture:
        return capture.__class__(capture.request, received_at=datetime.fromtimestamp(NOW + 1, UTC))

    first = judge_all(at(spec.capture(ident="d-7")))
    again = judge_all(at(spec.capture(ident="d-7")))
    other = judge_all(at(spec.capture(ident="d-8")))

    assert (first.verdict, again.verdict, other.verdict) == ("verified", "replayed", "verified")
    assert "d-7" in again.detail


@pytest.mark.parametrize(
    ("spec", "headers", "said"),
    [
        (
            SPECS[0],
            [("webhook-signature", "v2,abc"), ("webhook-id", "x"), ("webhook-timestamp", "1")],
            "no v1, or v1a, entry",
        ),
        (SPECS[0], [("webhook-signature", "v1,abc"), ("webhook-timestamp", "1")], "no webhook-id"),
        (
            SPECS[0],
            [("webhook-signature", "v1,abc"), ("webhook-id", "x"), ("webhook-timestamp", "soon")],
            "not Unix seconds",
        ),
        (SPECS[1], [("Stripe-Signature", "v1=abc")], "no t= timestamp"),
        (SPECS[1], [("Stripe-Signature", "t=1700000000")], "no v1= signature"),
        (SPECS[1], [("Stripe-Signature", "t=yesterday,v1=ab")], "not Unix seconds"),
        (SPECS[2], [("X-Hub-Signature-256", "  ")], "empty"),
        (SPECS[3], [("X-Slack-Signature", "v0=ab")], "no X-Slack-Request-Timestamp"),
        (SPECS[5], [("X-Acme-Signature", "sha256=ab"), ("X-Acme-Time", "²")], "not Unix seconds"),
    ],
    ids=lambda v: v.name if isinstance(v, Spec) else None,
)
def test_a_malformed_signature_header_fails_with_the_reason(
    spec: Spec, headers: list[tuple[str, str]], said: str
) -> None:
    verdict = judge(spec, make_capture(path="/hooks/in", headers=tuple(headers), body=BODY))
    assert verdict.verdict == "failed"
    assert said in verdict.detail


def test_standard_webhooks_ed25519_is_verified_with_the_public_key_only() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signed = f"msg_1.{NOW}.".encode() + BODY
    headers = (
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", str(NOW)),
        ("webhook-signature", "v1a," + b64(private.sign(signed))),
    )
    capture = make_capture(path="/hooks/in", headers=headers, body=BODY)
    credential = Credential("standard-webhooks", "pk", "", api_key="whpk_" + b64(public))
    context = VerifyContext([credential], now=datetime.fromtimestamp(NOW, UTC))

    assert providers.verify(capture, context).verdict == "verified"
    tampered = make_capture(path="/hooks/in", headers=headers, body=BODY + b" ")
    assert providers.verify(tampered, context).verdict == "failed"


def test_a_custom_scheme_is_recognised_by_its_header_after_the_built_ins() -> None:
    spec = SPECS[-1]
    capture = spec.capture()
    assert providers.detect(capture) is None
    found = providers.detect(capture, schemes=[ACME])
    assert found is not None
    assert found.name == "acme"
    # A custom scheme may not take a built-in's name.
    clash = Scheme("github", "X-Acme-Signature")
    assert providers.names([clash]) == providers.names()
    assert providers.detect(capture, schemes=[clash]) is None


def test_kardow_and_kudoz_still_come_first() -> None:
    capture = make_capture(
        headers=(("X-Kardow-Signature", "ab" * 32), ("X-GitHub-Event", "push")), body=BODY
    )
    assert providers.detect(capture) is providers.REGISTRY["kardow"]
