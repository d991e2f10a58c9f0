"""The scorecard's battery: each case differs from the valid delivery exactly as it says."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

import pytest

from hookscope.core import providers
from hookscope.core.http import Headers
from hookscope.core.model import Credential, Outgoing
from hookscope.core.providers import HmacProvider, Provider, Scheme, VerifyContext
from hookscope.core.scorecard import (
    ACCEPT,
    OVERSIZE,
    REJECT,
    SCORECARD_HEADER,
    Battery,
    base_body,
    cases,
    one_byte_changed,
    reencoded,
    wrong_secret,
)
from tests.conftest import make_capture

NOW = 1_760_000_000.0
ID = "6f1f7c1e-7a3b-4c55-9d2e-0123456789ab"
ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha512=",
    algorithm="sha512",
    encoding="base64",
    signed="{timestamp}.{id}.{body}",
    timestamp_header="X-Acme-Time",
    tolerance=120,
    id_header="X-Acme-Id",
)
CREDENTIALS = {
    "kardow": Credential("kardow", "k", "kardow-secret-0123456789"),
    "kudoz": Credential("kudoz", "z", "kudoz-secret", api_key="ak_live_42"),
    "stripe": Credential("stripe", "s", "whsec_test_secret_abcdefghijklmnop"),
    "standard-webhooks": Credential(
        "standard-webhooks", "w", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ),
    "github": Credential("github", "g", "It's a Secret to Everybody"),
    "slack": Credential("slack", "sl", "8f742231b10e8888abcd99yyyzzz85a5"),
    "shopify": Credential("shopify", "sh", "shpss_0123456789abcdef"),
    "acme": Credential("acme", "a", "acme-secret"),
}
SIGNATURE_HEADERS = {
    "kardow": "X-Kardow-Signature",
    "kudoz": "Authorization",
    "stripe": "Stripe-Signature",
    "standard-webhooks": "webhook-signature",
    "github": "X-Hub-Signature-256",
    "slack": "X-Slack-Signature",
    "shopify": "X-Shopify-Hmac-Sha256",
    "acme": "X-Acme-Signature",
}
SCHEMES = list(CREDENTIALS)


def provider_of(scheme: str) -> Provider:
    found = providers.provider(scheme, [ACME])
    assert found is not None
    return found


def battery(scheme: str, url: str = "https://receiver.example/hooks/in") -> Battery:
    found = provider_of(scheme)
    return Battery(found, CREDENTIALS[scheme], url, cases(found, CREDENTIALS[scheme]))


def made(scheme: str, key: str, *, now: float = NOW, delivery_id: str = ID) -> Outgoing:
    card = battery(scheme)
    return card.request(card.case(key), now=now, delivery_id=delivery_id)


def verdict(scheme: str, request: Outgoing, credential: Credential | None = None) -> str:
    """Hookscope's own verdict on the request, as if it arrived at NOW."""
    capture = make_capture(path="/hooks/in", headers=tuple(request.headers), body=request.body)
    context = VerifyContext(
        [credential or CREDENTIALS[scheme]], now=datetime.fromtimestamp(NOW, UTC)
    )
    return providers.verify(capture, context, schemes=[ACME]).verdict


def without_case(headers: Headers) -> Headers:
    return headers.without(SCORECARD_HEADER)


def signature(scheme: str, request: Outgoing) -> str:
    value = request.headers.get(SIGNATURE_HEADERS[scheme])
    assert value is not None
    return value


def test_the_battery_lists_every_case_in_order_with_what_it_expects() -> None:
    keys = [case.key for case in battery("kardow").cases]
    assert keys == [
        "valid",
        "tampered-body",
        "unsigned",
        "wrong-secret",
        "other-encoding",
        "foreign-prefix",
        "stale",
        "future",
        "replay",
        "malformed",
        "oversized",
        "slow-ack",
    ]
    expects = {case.key: case.expect for case in battery("kardow").cases}
    assert {k for k, e in expects.items() if e == ACCEPT} == {"valid", "slow-ack"}
    assert all(case.why.endswith(".") for case in battery("kardow").cases)
    assert all(case.hole for case in battery("kardow").cases if case.expect == REJECT)


@pytest.mark.parametrize(
    ("scheme", "skipped"),
    [
        ("kardow", {"stale", "future", "replay"}),
        ("kudoz", {"tampered-body"}),
        ("stripe", {"replay"}),
        ("standard-webhooks", set()),
        ("github", {"stale", "future"}),
        ("slack", {"replay"}),
        ("shopify", {"stale", "future"}),
        ("acme", set()),
    ],
)
def test_cases_a_scheme_cannot_have_are_skipped_with_why(scheme: str, skipped: set[str]) -> None:
    found = {case.key: case.skipped for case in battery(scheme).cases if case.skipped}
    assert set(found) == skipped
    assert all(reason.endswith(".") for reason in found.values())


def test_a_kudoz_template_that_signs_the_body_makes_the_tampered_body_a_case() -> None:
    signing = Credential(
        "kudoz", "z", "kudoz-secret", api_key="ak", template="{api_key}:{uuid}:{timestamp}:{body}"
    )
    found = provider_of("kudoz")
    tampered = next(c for c in cases(found, signing) if c.key == "tampered-body")
    assert tampered.skipped == ""


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_valid_delivery_verifies_and_the_same_arguments_give_the_same_bytes(
    scheme: str,
) -> None:
    valid = made(scheme, "valid")
    assert verdict(scheme, valid) == "verified"
    assert made(scheme, "valid") == valid
    assert valid.headers.get(SCORECARD_HEADER) == "valid"
    assert valid.url == "https://receiver.example/hooks/in"
    json.loads(valid.body)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_tampered_body_differs_by_one_byte_and_keeps_the_valid_signature(
    scheme: str,
) -> None:
    valid, tampered = made(scheme, "valid"), made(scheme, "tampered-body")
    assert len(tampered.body) == len(valid.body)
    assert sum(a != b for a, b in zip(valid.body, tampered.body, strict=True)) == 1
    assert without_case(tampered.headers) == without_case(valid.headers)
    json.loads(tampered.body)  # still JSON: a receiver that parses first reaches the check


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_unsigned_delivery_lacks_only_the_signature(scheme: str) -> None:
    valid, unsigned = made(scheme, "valid"), made(scheme, "unsigned")
    assert unsigned.body == valid.body
    header = SIGNATURE_HEADERS[scheme]
    assert header not in unsigned.headers
    assert without_case(unsigned.headers) == without_case(valid.headers).without(header)
    assert verdict(scheme, unsigned) in ("unsigned", "n/a")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_wrong_secret_signs_properly_with_another_secret(scheme: str) -> None:
    forged, valid = made(scheme, "wrong-secret"), made(scheme, "valid")
    assert forged.body == valid.body
    assert signature(scheme, forged) != signature(scheme, valid)
    assert verdict(scheme, forged) == "failed"
    credential = CREDENTIALS[scheme]
    other = Credential(scheme, "other", wrong_secret(credential.secret), credential.api_key)
    assert verdict(scheme, forged, other) == "verified"


def _bare(value: str) -> str:
    """The encoded signature in a header value: after the last `=`-or-`,` label, or `:`."""
    for separator in (":", "v1=", "v0=", "sha256=", "sha1=", "sha512=", "v1,", "v2,"):
        if separator in value:
            value = value.rpartition(separator)[2]
    return value


def _decoded(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return base64.b64decode(text, validate=True)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_other_encoding_carries_the_same_hmac_bytes(scheme: str) -> None:
    valid, other = made(scheme, "valid"), made(scheme, "other-encoding")
    assert other.body == valid.body
    right, given = _bare(signature(scheme, valid)), _bare(signature(scheme, other))
    assert given != right
    assert _decoded(given) == _decoded(right)
    assert signature(scheme, other).replace(given, right) == signature(scheme, valid)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_foreign_prefix_changes_only_the_label(scheme: str) -> None:
    valid, foreign = (
        signature(scheme, made(scheme, "valid")),
        signature(scheme, made(scheme, "foreign-prefix")),
    )
    assert foreign != valid
    assert _bare(foreign) == _bare(valid)  # the same signature under another label
    expected = {
        "kardow": "sha256=" + valid,
        "kudoz": valid.replace("TOKEN ", "Bearer ", 1),
        "stripe": valid.replace(",v1=", ",v0="),
        "standard-webhooks": valid.replace("v1,", "v2,"),
        "github": valid.replace("sha256=", "sha1="),
        "slack": valid.replace("v0=", "v1="),
        "shopify": "sha256=" + valid,
        "acme": valid.replace("sha512=", "sha256="),
    }
    assert foreign == expected[scheme]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_malformed_signature_is_half_of_it_and_a_character_outside_its_encoding(
    scheme: str,
) -> None:
    valid, malformed = (
        signature(scheme, made(scheme, "valid")),
        signature(scheme, made(scheme, "malformed")),
    )
    right = _bare(valid)
    assert malformed == valid.replace(right, right[: len(right) // 2] + "!")


@pytest.mark.parametrize(
    ("scheme", "window"),
    [("kudoz", 300), ("stripe", 300), ("standard-webhooks", 300), ("slack", 300), ("acme", 120)],
)
def test_stale_and_future_are_signed_one_second_outside_the_window(
    scheme: str, window: int
) -> None:
    stale, future = made(scheme, "stale"), made(scheme, "future")
    assert verdict(scheme, stale) == "stale"
    assert verdict(scheme, future) == "stale"
    for request, stamp in ((stale, NOW - window - 1), (future, NOW + window + 1)):
        assert str(int(stamp)) in "".join(value for _, value in request.headers)
        assert request.body == made(scheme, "valid").body


@pytest.mark.parametrize("scheme", ["kudoz", "standard-webhooks", "github", "shopify", "acme"])
def test_the_replay_is_the_valid_delivery_sent_twice(scheme: str) -> None:
    card = battery(scheme)
    assert card.case("replay").twice
    replay, valid = made(scheme, "replay"), made(scheme, "valid")
    assert replay.body == valid.body
    assert without_case(replay.headers) == without_case(valid.headers)
    assert ID in "".join(value for _, value in replay.headers)


@pytest.mark.parametrize("scheme", ["kardow", "stripe", "github"])
def test_the_oversized_body_is_one_byte_over_the_limit_valid_json_and_signed(
    scheme: str,
) -> None:
    case = battery(scheme).case("oversized")
    size = 25 * 1024 * 1024 + 1 if scheme == "github" else OVERSIZE
    assert case.size == size
    request = made(scheme, "oversized")
    assert len(request.body) == size
    assert json.loads(request.body)["padding"].startswith("x")
    assert verdict(scheme, request) == "verified"


def test_the_slow_ack_probe_waits_as_long_as_the_sender_does() -> None:
    assert battery("slack").case("slow-ack").within == 3.0
    assert battery("shopify").case("slow-ack").within == 5.0
    assert battery("github").case("slow-ack").within == 10.0
    assert battery("kardow").case("slow-ack").within == 10.0
    assert verdict("slack", made("slack", "slow-ack")) == "verified"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_case_but_the_replay_gets_its_own_delivery_id(scheme: str) -> None:
    first = made(scheme, "valid", delivery_id=ID)
    second = made(scheme, "valid", delivery_id="00000000-0000-4000-8000-000000000000")
    assert first != second


def test_one_byte_changed_touches_a_letter_inside_the_last_string() -> None:
    assert one_byte_changed(b'{"a":"bc","n":12}') == b'{"a":"bc","o":12}'
    assert one_byte_changed(b'{"a":"bc","n":"12 \xc3\xa9"}') == b'{"a":"bc","n":"13 \xc3\xa9"}'
    assert one_byte_changed(b'{"a":"b\\"9"}') == b'{"a":"b\\"8"}'
    assert one_byte_changed(b'{"k":"Z"}') == b'{"k":"Y"}'
    with pytest.raises(ValueError, match="no letter or digit"):
        one_byte_changed(b"[1, 2, 3]")


def test_reencoded_swaps_hex_and_base64() -> None:
    digest = bytes(range(32))
    assert reencoded(digest.hex(), "hex") == base64.b64encode(digest).decode()
    assert reencoded(base64.b64encode(digest).decode(), "base64") == digest.hex()
    with pytest.raises(ValueError, match="not hex"):
        reencoded("zz", "hex")
    with pytest.raises((ValueError, binascii.Error)):
        reencoded("!!", "base64")


def test_wrong_secret_keeps_the_kind_of_secret() -> None:
    wrong = wrong_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert wrong.startswith("whsec_")
    assert len(base64.b64decode(wrong.removeprefix("whsec_"), validate=True)) == 32
    assert wrong_secret("plain") != "plain"


def test_a_body_padded_to_a_size_smaller_than_the_event_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        base_body("kardow", NOW, ID, size=10)


def test_a_custom_scheme_is_signed_by_its_own_description() -> None:
    found = provider_of("acme")
    assert isinstance(found, HmacProvider)
    valid = made("acme", "valid")
    assert signature("acme", valid).startswith("sha512=")
    assert valid.headers.get("X-Acme-Id") == ID
    assert valid.headers.get("X-Acme-Time") == str(int(NOW))
