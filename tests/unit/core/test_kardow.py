"""Kardow verdicts: each reachable, with a detail and checks that explain it (docs/protocols.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from hookscope.core import providers
from hookscope.core.model import Capture, Check, Credential, Verdict
from hookscope.core.providers import VerifyContext, base, kardow
from tests.conftest import make_capture

SECRET = "kardow-test-secret-alpha"
OTHER = "kardow-test-secret-bravo-2025"
DELIVERY = {
    "event": "job.created",
    "organization_id": 42,
    "timestamp": "2025-07-19T12:00:00.000Z",
    "data": {
        "job_id": "abc-123",
        "title": "Senior Engineer",
        "company_name": "Acme Inc",
        "status": "active",
        "location": "Remote",
    },
}
COMPACT = json.dumps(DELIVERY, separators=(",", ":")).encode()
PRETTY = json.dumps(DELIVERY, indent=2).encode()
SORTED_COMPACT = json.dumps(DELIVERY, separators=(",", ":"), sort_keys=True).encode()
ONE_LINE = json.dumps(DELIVERY).encode()  # the documented example, as written


def hmac_hex(secret: str, body: bytes) -> str:
    """Independent of the app: what Kardow's own sample computes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(body: bytes = COMPACT, signature: str | None = None) -> Capture:
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    if signature is not None:
        headers += (("X-Kardow-Signature", signature),)
    return make_capture(path="/hooks/kardow", headers=headers, body=body)


def secrets(*pairs: tuple[str, str]) -> VerifyContext:
    return VerifyContext([Credential("kardow", name, secret) for name, secret in pairs])


def judge(capture: Capture, context: VerifyContext) -> Verdict:
    """The verdict through the registry, as the listener computes it; explained as
    docs/architecture.md requires (a detail sentence and at least one check)."""
    verdict = providers.verify(capture, context)
    assert verdict.provider == "kardow"
    assert verdict.detail.endswith("."), verdict.detail
    assert verdict.checks
    return verdict


class TestSign:
    def test_is_64_lowercase_hex_of_the_raw_body(self) -> None:
        signature = kardow.sign(SECRET, COMPACT)
        assert signature == hmac_hex(SECRET, COMPACT)
        assert len(signature) == 64
        assert signature == signature.lower()
        assert not signature.startswith("sha256=")

    def test_depends_on_every_byte_of_the_body(self) -> None:
        assert kardow.sign(SECRET, COMPACT) != kardow.sign(SECRET, COMPACT + b"\n")


class TestUnsignedAndNoSecret:
    def test_recognised_body_without_header_is_unsigned(self) -> None:
        verdict = judge(delivery(COMPACT), secrets(("main", SECRET)))
        assert verdict.verdict == "unsigned"
        assert "X-Kardow-Signature" in verdict.detail
        assert verdict.checks[0].ok is False
        assert verdict.event == "job.created"

    def test_signed_delivery_without_any_kardow_secret_is_no_secret(self) -> None:
        # A Kudoz credential is no Kardow secret.
        context = VerifyContext([Credential("kudoz", "kz", SECRET, api_key="k")])
        verdict = judge(delivery(COMPACT, hmac_hex(SECRET, COMPACT)), context)
        assert verdict.verdict == "no-secret"
        assert "no Kardow secret" in verdict.detail
        assert any(c.step == "stored Kardow secrets" and c.ok is False for c in verdict.checks)


class TestVerified:
    def test_the_right_secret_verifies_and_is_named(self) -> None:
        verdict = judge(delivery(COMPACT, hmac_hex(SECRET, COMPACT)), secrets(("main", SECRET)))
        assert verdict.verdict == "verified"
        assert "'main'" in verdict.detail
        assert verdict.nonce is None  # Kardow has no nonce to remember

    def test_rotation_second_secret_matches_and_is_named(self) -> None:
        context = secrets(("old", OTHER), ("new", SECRET))
        verdict = judge(delivery(COMPACT, hmac_hex(SECRET, COMPACT)), context)
        assert verdict.verdict == "verified"
        assert "'new'" in verdict.detail
        assert "'old'" not in verdict.detail
        outcomes = {c.step: c for c in verdict.checks if "HMAC" in c.step}
        assert outcomes["HMAC-SHA256 of the raw body with 'old'"].ok is False
        assert outcomes["HMAC-SHA256 of the raw body with 'new'"].ok is True

    @pytest.mark.parametrize(
        ("signature", "variant"),
        [
            ("sha256=" + hmac_hex(SECRET, COMPACT), "sha256= prefix"),
            ("SHA256=" + hmac_hex(SECRET, COMPACT), "sha256= prefix"),
            (hmac_hex(SECRET, COMPACT).upper(), "uppercase hex"),
            ("sha256=" + hmac_hex(SECRET, COMPACT).upper(), "uppercase hex"),
        ],
        ids=["sha256-prefix", "SHA256-prefix", "uppercase", "prefix-and-uppercase"],
    )
    def test_accepted_variants_verify_but_are_reported_as_assumed(
        self, signature: str, variant: str
    ) -> None:
        verdict = judge(delivery(COMPACT, signature), secrets(("main", SECRET)))
        assert verdict.verdict == "verified"
        assert "'main'" in verdict.detail
        assert variant in verdict.detail
        assert "lowercase hex" in verdict.detail
        assumed = [c for c in verdict.checks if c.assumed]
        assert assumed, "an accepted variant rests on our assumption"
        assert any(variant in c.outcome for c in assumed)

    def test_surrounding_whitespace_in_the_header_is_ignored(self) -> None:
        signature = f"  {hmac_hex(SECRET, COMPACT)} "
        verdict = judge(delivery(COMPACT, signature), secrets(("main", SECRET)))
        assert verdict.verdict == "verified"

    def test_empty_body_signed_verifies(self) -> None:
        capture = delivery(b"", hmac_hex(SECRET, b""))
        verdict = judge(capture, secrets(("main", SECRET)))
        assert verdict.verdict == "verified"
        assert verdict.event is None

    def test_binary_body_signed_verifies(self) -> None:
        body = bytes(range(256))
        verdict = judge(delivery(body, hmac_hex(SECRET, body)), secrets(("main", SECRET)))
        assert verdict.verdict == "verified"
        assert verdict.event is None


class TestFailed:
    def test_another_secret_fails_and_the_detail_lists_what_was_tried(self) -> None:
        capture = delivery(COMPACT, hmac_hex("some-secret-we-do-not-have", COMPACT))
        verdict = judge(capture, secrets(("main", SECRET), ("backup", OTHER)))
        assert verdict.verdict == "failed"
        assert "'main'" in verdict.detail
        assert "'backup'" in verdict.detail
        assert "another secret" in verdict.detail
        tried = [c for c in verdict.checks if c.step.startswith("HMAC-SHA256 of the raw body")]
        assert [c.ok for c in tried] == [False, False]

    def test_one_byte_changed_in_the_body_fails(self) -> None:
        signature = hmac_hex(SECRET, COMPACT)
        tampered = COMPACT.replace(b'"organization_id":42', b'"organization_id":43')
        assert len(tampered) == len(COMPACT)
        verdict = judge(delivery(tampered, signature), secrets(("main", SECRET)))
        assert verdict.verdict == "failed"
        assert "'main'" in verdict.detail
        assert "changed after signing" in verdict.detail

    def test_tampered_binary_body_fails_without_json_forensics(self) -> None:
        body = bytes(range(256))
        signature = hmac_hex(SECRET, body)
        verdict = judge(delivery(body[:-1] + b"\x00", signature), secrets(("main", SECRET)))
        assert verdict.verdict == "failed"
        assert "'main'" in verdict.detail

    def test_empty_body_with_a_wrong_signature_fails(self) -> None:
        verdict = judge(delivery(b"", hmac_hex(OTHER, b"")), secrets(("main", SECRET)))
        assert verdict.verdict == "failed"

    @pytest.mark.parametrize(
        ("signed", "delivered", "form"),
        [
            (COMPACT, PRETTY, "compact form"),
            (COMPACT, ONE_LINE, "compact form"),
            (PRETTY, COMPACT, "indented by 2"),
            (ONE_LINE, COMPACT, "spaces after separators"),
            (SORTED_COMPACT, COMPACT, "sorted keys"),
            (SORTED_COMPACT, PRETTY, "sorted keys"),
        ],
        ids=[
            "compact-signed-pretty-delivered",
            "compact-signed-spaced-delivered",
            "pretty-signed-compact-delivered",
            "spaced-signed-compact-delivered",
            "sorted-signed-reordered-delivered",
            "sorted-signed-pretty-reordered-delivered",
        ],
    )
    def test_reserialised_json_is_explained(
        self, signed: bytes, delivered: bytes, form: str
    ) -> None:
        assert signed != delivered
        assert json.loads(signed) == json.loads(delivered)
        context = secrets(("decoy", OTHER), ("main", SECRET))
        verdict = judge(delivery(delivered, hmac_hex(SECRET, signed)), context)
        assert verdict.verdict == "failed"
        assert "changed after signing" in verdict.detail
        assert "'main'" in verdict.detail
        assert "'decoy'" not in verdict.detail
        assert form in verdict.detail
        assert any(c.step.startswith("HMAC over the JSON") for c in verdict.checks)

    def test_non_ascii_json_escaped_by_a_proxy_is_explained(self) -> None:
        data = {**DELIVERY, "data": {"title": "Ingénieur ✓"}}
        signed = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        delivered = json.dumps(data, separators=(",", ":")).encode()  # \u00e9 escapes
        verdict = judge(delivery(delivered, hmac_hex(SECRET, signed)), secrets(("main", SECRET)))
        assert verdict.verdict == "failed"
        assert "changed after signing" in verdict.detail
        assert "'main'" in verdict.detail

    def test_base64_of_the_right_hmac_is_explained(self) -> None:
        digest = hmac.new(SECRET.encode(), COMPACT, hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
        context = secrets(("decoy", OTHER), ("main", SECRET))
        verdict = judge(delivery(COMPACT, signature), context)
        assert verdict.verdict == "failed"
        assert "base64" in verdict.detail
        assert "hex" in verdict.detail
        assert "'main'" in verdict.detail
        assert any("base64" in c.step for c in verdict.checks)

    @pytest.mark.parametrize(
        "signature",
        [
            "deadbeef",
            hmac_hex(SECRET, COMPACT)[:-1],
            hmac_hex(SECRET, COMPACT) + "0",
            "g" * 64,
            "sha1=" + hashlib.sha1(COMPACT).hexdigest(),
        ],
        ids=["short", "63-hex", "65-hex", "not-hex", "sha1-prefix"],
    )
    def test_a_signature_that_is_not_64_hex_characters_fails_and_says_so(
        self, signature: str
    ) -> None:
        verdict = judge(delivery(COMPACT, signature), secrets(("main", SECRET)))
        assert verdict.verdict == "failed"
        assert "not 64 hex characters" in verdict.detail
        assert f"({len(signature)} characters)" in verdict.detail
        assert "'main'" in verdict.detail
        assert "not 64 hex characters" in verdict.checks[0].outcome


class TestEvent:
    @pytest.mark.parametrize("event", kardow.EVENTS)
    def test_event_is_read_from_the_body(self, event: str) -> None:
        body = json.dumps({**DELIVERY, "event": event}).encode()
        verdict = judge(delivery(body, hmac_hex(SECRET, body)), secrets(("main", SECRET)))
        assert verdict.verdict == "verified"
        assert verdict.event == event

    @pytest.mark.parametrize(
        "body",
        [b"", b"not json", b"[1, 2]", b'{"event": 7}', b'{"other": "x"}', bytes(range(256))],
        ids=["empty", "text", "array", "non-string", "no-event", "binary"],
    )
    def test_no_event_when_the_body_does_not_name_one(self, body: bytes) -> None:
        assert kardow.event(delivery(body)) is None


class TestDetection:
    def test_the_signature_header_wins_whatever_the_body(self) -> None:
        capture = make_capture(
            path="/anything",
            headers=(("x-kardow-signature", "abc"),),
            body=b"plain text",
        )
        assert providers.detect(capture) is kardow

    @pytest.mark.parametrize("event", kardow.EVENTS)
    def test_body_shape_detects_each_event(self, event: str) -> None:
        body = json.dumps({"event": event, "organization_id": 1, "data": {}}).encode()
        assert providers.detect(delivery(body)) is kardow

    @pytest.mark.parametrize(
        "data",
        [
            {"event": "*", "organization_id": 1, "data": {}},
            {"event": "job.cancelled", "organization_id": 1, "data": {}},
            {"event": "subscription.cancelled", "organization_id": 1, "data": {}},
            {"event": "job.created", "data": {}},
            {"event": "job.created", "organization_id": 1},
            {"organization_id": 1, "data": {}},
            {"hello": "world"},
        ],
        ids=[
            "wildcard",
            "unknown-event",
            "double-l-canceled",
            "no-organization",
            "no-data",
            "no-event",
            "other-json",
        ],
    )
    def test_other_json_is_not_kardow(self, data: dict[str, object]) -> None:
        capture = delivery(json.dumps(data).encode())
        assert providers.detect(capture) is None
        assert providers.verify(capture, secrets(("main", SECRET))).verdict == "n/a"

    def test_path_override_recognises_an_unsigned_delivery_of_another_shape(self) -> None:
        capture = make_capture(path="/hooks/kardow/1", headers=(), body=b"{}")
        assert providers.detect(capture) is None
        overrides = {"/hooks/kardow/*": "kardow"}
        verdict = providers.verify(capture, secrets(("main", SECRET)), overrides)
        assert verdict.verdict == "unsigned"
        assert verdict.provider == "kardow"


def test_a_blank_signature_header_is_unsigned_like_a_missing_one() -> None:
    body = b'{"event": "job.created", "organization_id": 1, "data": {}}'
    capture = make_capture(headers=(("X-Kardow-Signature", "  "),), body=body)
    verdict = kardow.verify(capture, VerifyContext([Credential("kardow", "k", "s" * 16)]))
    assert verdict.verdict == "unsigned"
    assert verdict.checks[0].outcome == "empty"


def test_a_huge_signed_body_is_verified_over_its_bytes_without_being_parsed() -> None:
    # Parsing 24 MB of a stranger's JSON on the listener's loop would stall every other
    # delivery: past the parse limit, only the HMAC over the raw bytes is computed.
    big = dict(DELIVERY, data={"blob": "x" * (3 * 1024 * 1024)})
    body = json.dumps(big).encode()
    verdict = judge(delivery(body, hmac_hex(SECRET, body)), secrets(("main", SECRET)))
    assert verdict.verdict == "verified"
    assert verdict.event is None  # the event is read from bodies up to the parse limit only


def test_a_huge_unsigned_body_is_not_parsed_to_guess_its_sender() -> None:
    big = dict(DELIVERY, data={"blob": "x" * (3 * 1024 * 1024)})
    capture = delivery(json.dumps(big).encode())
    assert providers.detect(capture) is None
    assert providers.detect(delivery(COMPACT)) is kardow


# A lone surrogate as a JSON escape: valid JSON, yet json.loads gives text no UTF-8 encoder takes.
LONE_SURROGATE = b'{"event": "\\ud800", "organization_id": 1, "data": {"x": "\\udcff"}}'


def test_an_event_that_is_a_lone_surrogate_is_verified_and_shown_replaced() -> None:
    capture = delivery(LONE_SURROGATE, hmac_hex(SECRET, LONE_SURROGATE))
    verdict = providers.verify(capture, secrets(("main", SECRET)))
    assert (verdict.verdict, verdict.provider, verdict.event) == ("verified", "kardow", "\ufffd")


def test_a_mismatch_over_a_lone_surrogate_body_still_gets_its_forensics() -> None:
    capture = delivery(LONE_SURROGATE, hmac_hex(OTHER, LONE_SURROGATE))
    verdict = providers.verify(capture, secrets(("main", SECRET)))
    assert verdict.verdict == "failed"
    assert "No stored Kardow secret produces this signature" in verdict.detail
    assert verdict.checks[-1] == Check("HMAC over re-serialised JSON", "no match", None)


def test_a_re_serialised_lone_surrogate_body_is_still_recognised() -> None:
    signed = json.dumps(json.loads(LONE_SURROGATE), separators=(",", ":")).encode()
    capture = delivery(LONE_SURROGATE, hmac_hex(SECRET, signed))
    verdict = providers.verify(capture, secrets(("main", SECRET)))
    assert verdict.verdict == "failed"
    assert "with non-ASCII escaped" in verdict.detail


def test_the_checks_of_two_alike_deliveries_are_the_same_objects_and_still_each_its_own() -> None:
    """A Check is shared between verdicts that have it (it is immutable), never confused."""
    context = VerifyContext([Credential("kardow", "main", SECRET)])
    first = kardow.verify(delivery(COMPACT, hmac_hex(SECRET, COMPACT)), context)
    second = kardow.verify(delivery(COMPACT, hmac_hex(SECRET, COMPACT)), context)
    wrong = kardow.verify(delivery(COMPACT, hmac_hex(OTHER, COMPACT)), context)
    assert first.verdict == second.verdict == "verified"
    assert all(a is b for a, b in zip(first.checks, second.checks, strict=True))
    assert wrong.verdict == "failed"
    assert [c.ok for c in wrong.checks if "HMAC-SHA256" in c.step] == [False]
    assert [c.ok for c in first.checks if "HMAC-SHA256" in c.step] == [True]


def test_checks_quoting_what_senders_sent_are_kept_for_a_bounded_number() -> None:
    context = VerifyContext([Credential("kardow", "main", SECRET)])
    for n in range(3 * base._CHECKS_KEPT):
        capture = delivery(COMPACT, "x" * (n % 500 + 1) + str(n))
        assert kardow.verify(capture, context).verdict == "failed"
    assert 0 < len(base._CHECKS) <= base._CHECKS_KEPT
