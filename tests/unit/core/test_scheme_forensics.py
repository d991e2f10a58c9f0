"""Why a signature of the new schemes matches no secret: every cause the forensics name, for
every scheme it applies to, through the registry (docs/protocols.md)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from hookscope.core.http import Headers
from hookscope.core.model import Capture
from tests.conftest import make_capture
from tests.unit.core.test_schemes import (
    BODY,
    KEY,
    NOW,
    PREFIXED,
    SPECS,
    TIMED,
    Spec,
    b64,
    hexed,
    judge,
    mac,
)

IDS = [spec.name for spec in SPECS]
HEX = [spec for spec in SPECS if spec.encoding is hexed]


def failed(spec: Spec, capture: Capture) -> str:
    verdict = judge(spec, capture)
    assert verdict.verdict == "failed", verdict.detail
    return verdict.detail


def edited(capture: Capture, name: str, value: str) -> Capture:
    headers = Headers(capture.headers).replaced(name, value)
    return make_capture(path=capture.path, headers=tuple(headers), body=capture.body)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_the_other_encoding_is_named(spec: Spec) -> None:
    other = b64 if spec.encoding is hexed else hexed
    detail = failed(spec, spec.capture(encoding=other))
    assert "right HMAC-SHA256 with 's0'" in detail
    assert ("base64-encoded" if other is b64 else "hex-encoded") in detail


@pytest.mark.parametrize("spec", HEX, ids=lambda s: s.name)
def test_uppercase_hex_is_named(spec: Spec) -> None:
    detail = failed(spec, spec.capture(encoding=lambda d: d.hex().upper()))
    assert "uppercase hex" in detail


# Standard Webhooks and Stripe label each entry (`v1,`, `v1=`): without it the header is
# malformed, and the malformed-header test says so.
@pytest.mark.parametrize(
    "spec",
    [s for s in PREFIXED if s.name not in ("standard-webhooks", "stripe")],
    ids=lambda s: s.name,
)
def test_a_missing_prefix_is_named(spec: Spec) -> None:
    capture = spec.capture()
    header = next(n for n, v in capture.headers if spec.prefix in v)
    value = capture.header(header) or ""
    detail = failed(spec, edited(capture, header, value.replace(spec.prefix, "", 1)))
    assert f"without the {spec.prefix!r} prefix" in detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_another_hash_is_named(spec: Spec) -> None:
    detail = failed(spec, spec.capture(algorithm="sha1"))
    assert "HMAC-SHA1 of the same content with 's0'" in detail
    assert "carries HMAC-SHA256" in detail


def test_the_legacy_sha1_value_in_githubs_sha256_header_is_named() -> None:
    github = SPECS[2]
    legacy = "sha1=" + mac(github.key, BODY, "sha1").hex()
    capture = edited(github.capture(), "X-Hub-Signature-256", legacy)
    detail = failed(github, capture)
    assert "the HMAC-SHA1 of the same content with 's0' (20 bytes)" in detail
    assert "legacy sha1 X-Hub-Signature" in detail


@pytest.mark.parametrize(
    ("spec", "key", "said"),
    [
        (SPECS[0], SPECS[0].secret.encode(), "keyed with the whole secret as text"),
        (SPECS[0], SPECS[0].secret[6:].encode(), "without its whsec_ prefix, as text"),
        (SPECS[1], SPECS[1].secret[6:].encode(), "without its whsec_ prefix, as text"),
    ],
    ids=["standard, whole", "standard, no prefix", "stripe, no prefix"],
)
def test_the_secret_read_another_way_is_named(spec: Spec, key: bytes, said: str) -> None:
    detail = failed(spec, spec.capture(key=key))
    assert said in detail
    assert "keys the HMAC with" in detail


def test_a_base64_secret_used_decoded_is_named() -> None:
    github = SPECS[2]
    secret = base64.b64encode(b"decoded github key").decode()
    capture = github.capture(key=b"decoded github key")
    verdict = judge(github, capture, secrets=[secret])
    assert verdict.verdict == "failed"
    assert "the base64-decoded secret" in verdict.detail


@pytest.mark.parametrize("spec", TIMED, ids=lambda s: s.name)
def test_milliseconds_in_the_signed_content_are_named(spec: Spec) -> None:
    detail = failed(spec, spec.capture(signed_stamp=str(NOW * 1000)))
    assert f"in milliseconds ({NOW * 1000})" in detail
    assert f"carries {NOW} in seconds" in detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_newline_added_after_signing_is_named(spec: Spec) -> None:
    detail = failed(spec, spec.capture(body=BODY + b"\n", signed_body=BODY))
    assert "without the trailing newline it arrived with" in detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_newline_removed_after_signing_is_named(spec: Spec) -> None:
    detail = failed(spec, spec.capture(signed_body=BODY + b"\n"))
    assert "with a trailing newline (it was removed after signing)" in detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize(
    ("options", "label"),
    [
        ({"indent": 2}, "indented by 2"),
        ({"separators": (",", ":"), "sort_keys": True}, "in compact form with sorted keys"),
    ],
)
def test_a_re_serialised_body_is_named(spec: Spec, options: dict[str, object], label: str) -> None:
    signed = json.dumps(json.loads(BODY), **options).encode()  # type: ignore[arg-type]
    detail = failed(spec, spec.capture(body=BODY, signed_body=signed))
    assert f"as the same JSON {label}" in detail


def test_a_github_style_signature_in_stripes_header_is_named() -> None:
    stripe = SPECS[1]
    github_way = "sha256=" + mac(stripe.key, BODY).hex()
    capture = make_capture(path="/h", headers=(("Stripe-Signature", github_way),), body=BODY)
    detail = failed(stripe, capture)
    assert "made the GitHub way" in detail
    assert "signs for GitHub, not Stripe" in detail


def test_another_schemes_header_signed_with_the_secret_is_named() -> None:
    stripe = SPECS[1]
    headers = (
        ("Stripe-Signature", f"t={NOW},v1={'0' * 64}"),
        ("X-Hub-Signature-256", "sha256=" + mac(stripe.key, BODY).hex()),
    )
    detail = failed(stripe, make_capture(path="/h", headers=headers, body=BODY))
    assert "also carries GitHub's X-Hub-Signature-256" in detail


def test_an_unsigned_request_names_another_schemes_header_it_carries() -> None:
    github = SPECS[2]
    headers = (("X-GitHub-Event", "push"), ("X-Slack-Signature", "v0=ab"))
    verdict = judge(github, make_capture(path="/h", headers=headers, body=BODY))
    assert verdict.verdict == "unsigned"
    assert "Slack's X-Slack-Signature" in verdict.detail


def test_a_standard_webhooks_key_that_is_not_base64_is_a_check_not_a_crash() -> None:
    standard = SPECS[0]
    verdict = judge(standard, standard.capture(), secrets=["whsec_not base64!"])
    assert verdict.verdict == "failed"
    assert any("not the base64-decoded part" in c.outcome for c in verdict.checks)


def test_forensics_over_a_large_body_stay_bounded() -> None:
    github = SPECS[2]
    body = b'{"a":"' + b"x" * (12 * 1024 * 1024) + b'"}'
    capture = github.capture(key=b"unknown", body=body)
    started = time.perf_counter()
    verdict = judge(github, capture)
    elapsed = time.perf_counter() - started
    assert verdict.verdict == "failed"
    assert any("too large" in c.outcome for c in verdict.checks)
    assert elapsed < 2.0, elapsed  # 16 MiB of hashing at most, not one HMAC per variant


def test_standard_webhooks_secret_of_the_right_scheme_needs_no_forensics() -> None:
    standard = SPECS[0]
    verdict = judge(standard, standard.capture(key=KEY))
    assert verdict.verdict == "verified"
