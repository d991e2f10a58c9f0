"""Kudoz tokens: parsing, each verdict and forensic cause, templates, nonces, re-verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from hookscope.core import checks, providers
from hookscope.core.model import Capture, Credential, Nonce, Verdict, decode_header
from hookscope.core.providers import NonceMemory, Verifier, VerifyContext, kudoz
from tests.conftest import make_capture

API_KEY = "kdz_live_key_A1"
SECRET = "kdz-secret-alpha-0123456789"
OTHER_KEY = "kdz_test_key_B2"
OTHER_SECRET = "kdz-secret-bravo-abcdefghij"
UUID = "3b241101-e2bb-4255-8caf-4136c566a962"
T = 1752926400  # 2025-07-19T12:00:00Z
NOW = datetime.fromtimestamp(T, UTC)
PATH = "/callbacks/kudoz"
BODY = json.dumps(
    {
        "id": "7d0c2b1e-3f4a-4c5d-8e9f-0a1b2c3d4e5f",
        "kind": "job_application",
        "data": {"job_reference": "JOB-2025-0042", "job_application_id": 1001},
    },
    separators=(",", ":"),
).encode()

DEFAULT = "{api_key}:{uuid}:{timestamp}"
CONCATENATED = "{api_key}{uuid}{timestamp}"
WITH_BODY = "{method}\n{path}\n{api_key}\n{uuid}\n{timestamp}\n{body}"
WITH_BODY_SHA256 = "{method}\n{path}\n{api_key}\n{uuid}\n{timestamp}\n{body_sha256}"
CUSTOM = "{timestamp}.{uuid}.{body_sha256}"

MAIN = Credential("kudoz", "main", SECRET, api_key=API_KEY)
SECOND = Credential("kudoz", "second", OTHER_SECRET, api_key=OTHER_KEY)


# Independent of the app: the signed string and token as docs/protocols.md describes them.
def signed(
    template: str,
    *,
    api_key: str = API_KEY,
    uuid: str = UUID,
    timestamp: str = str(T),
    method: str = "POST",
    path: str = PATH,
    body: bytes = BODY,
) -> bytes:
    message = template.encode()
    for placeholder, value in (
        ("api_key", api_key.encode()),
        ("uuid", uuid.encode()),
        ("timestamp", timestamp.encode()),
        ("method", method.encode()),
        ("path", path.encode()),
        ("body_sha256", hashlib.sha256(body).hexdigest().encode()),
        ("body", body),
    ):
        message = message.replace(b"{" + placeholder.encode() + b"}", value)
    return message


def digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def authorization(
    secret: str = SECRET,
    *,
    template: str = DEFAULT,
    api_key: str = API_KEY,
    uuid: str = UUID,
    timestamp: str = str(T),
    signed_timestamp: str | None = None,
    encode: str = "base64",
    scheme: str = "TOKEN",
) -> str:
    message = signed(template, api_key=api_key, uuid=uuid, timestamp=signed_timestamp or timestamp)
    raw = digest(secret, message)
    token = base64.b64encode(raw).decode() if encode == "base64" else raw.hex()
    return f"{scheme} {api_key}:{uuid}:{timestamp}:{token}"


def callback(header: str | None, *, received_at: datetime = NOW, body: bytes = BODY) -> Capture:
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    if header is not None:
        headers += (("Authorization", header),)
    return make_capture(
        method="POST", path=PATH, headers=headers, body=body, received_at=received_at
    )


def judge(
    capture: Capture,
    *credentials: Credential,
    now: datetime = NOW,
    seen: bool = False,
) -> Verdict:
    """The verdict through the registry, explained as docs/architecture.md requires."""
    context = VerifyContext(list(credentials), now=now, seen=lambda api_key, uuid: seen)
    verdict = providers.verify(capture, context)
    assert verdict.provider == "kudoz"
    assert verdict.detail.endswith("."), verdict.detail
    assert verdict.checks
    return verdict


def shown(template: str) -> str:
    return template.replace("\n", "\\n")


class TestParse:
    @pytest.mark.parametrize("scheme", ["TOKEN", "token", "Token", "tOkEn"])
    def test_the_scheme_word_in_any_case(self, scheme: str) -> None:
        parsed = kudoz.parse(f"{scheme} key:uuid:1752926400:abc=")
        assert parsed == kudoz.Token("key", "uuid", "1752926400", "abc=")

    @pytest.mark.parametrize("scheme", ["token", "Token"])
    def test_lowercase_scheme_verifies(self, scheme: str) -> None:
        verdict = judge(callback(authorization(scheme=scheme)), MAIN)
        assert verdict.verdict == "verified"

    @pytest.mark.parametrize(
        "header",
        ["Bearer key:uuid:1752926400:abc=", "TOKENkey:uuid:1752926400:abc=", "TOKEN", "Basic a"],
        ids=["bearer", "no-space", "word-only", "basic"],
    )
    def test_another_scheme_is_malformed(self, header: str) -> None:
        assert isinstance(kudoz.parse(header), str)
        verdict = judge(callback(header, body=BODY), MAIN)
        assert verdict.verdict == "failed"
        assert "malformed" in verdict.detail
        assert "TOKEN" in verdict.detail

    @pytest.mark.parametrize(
        ("fields", "count"),
        [("key:uuid:1752926400", 3), ("key:uuid:1752926400:abc:def", 5), ("key", 1)],
    )
    def test_a_wrong_number_of_fields_is_malformed(self, fields: str, count: int) -> None:
        reason = kudoz.parse(f"TOKEN {fields}")
        assert isinstance(reason, str)
        assert f"{count} colon-separated fields" in reason
        verdict = judge(callback(f"TOKEN {fields}"), MAIN)
        assert verdict.verdict == "failed"
        assert "malformed" in verdict.detail
        assert f"{count} colon-separated fields" in verdict.detail
        assert verdict.checks[0].ok is False

    @pytest.mark.parametrize(
        ("fields", "label"),
        [
            (":uuid:1752926400:abc=", "API key"),
            ("key::1752926400:abc=", "UUID"),
            ("key:uuid::abc=", "timestamp"),
            ("key:uuid:1752926400:", "token"),
        ],
    )
    def test_an_empty_field_is_malformed(self, fields: str, label: str) -> None:
        reason = kudoz.parse(f"TOKEN {fields}")
        assert reason == f"its {label} is empty"
        verdict = judge(callback(f"TOKEN {fields}"), MAIN)
        assert verdict.verdict == "failed"
        assert "malformed" in verdict.detail
        assert f"{label} is empty" in verdict.detail

    @pytest.mark.parametrize("timestamp", ["abc", "175292640", "17529264000", "-175292640"])
    def test_a_timestamp_that_is_not_unix_time_fails(self, timestamp: str) -> None:
        verdict = judge(callback(authorization(timestamp=timestamp)), MAIN)
        assert verdict.verdict == "failed"
        assert repr(timestamp) in verdict.detail
        assert "not Unix time" in verdict.detail

    @pytest.mark.parametrize("timestamp", ["²" * 10, "²" * 13], ids=["10", "13"])
    def test_unicode_digit_timestamp_fails_instead_of_raising(self, timestamp: str) -> None:
        verdict = kudoz.verify(
            callback(f"TOKEN {API_KEY}:{UUID}:{timestamp}:abc="), VerifyContext([MAIN], now=NOW)
        )
        assert verdict.verdict == "failed"

    @pytest.mark.parametrize(
        "raw",
        [
            f"TOKEN {API_KEY}:{UUID}:{T}:abc\u00e9".encode(),
            f"TOKEN unknown:{UUID}:{T}:abc\u00e9".encode(),
            f"TOKEN {API_KEY}:{UUID}\xff:{T}:abc=".encode("latin-1"),
            f"TOKEN k\xffy:{UUID}:{T}:abc=".encode("latin-1"),
        ],
        ids=["non-ascii-token", "non-ascii-token-unknown-key", "bad-utf8-uuid", "bad-utf8-key"],
    )
    def test_garbled_header_fields_fail_instead_of_raising(self, raw: bytes) -> None:
        # Header text arrives decoded with surrogateescape (model.decode_header).
        capture = callback(decode_header(raw))
        verdict = kudoz.verify(capture, VerifyContext([MAIN], now=NOW))
        assert verdict.verdict == "failed"


class TestUnsignedAndNoSecret:
    @pytest.mark.parametrize("header", [None, "", "   "], ids=["absent", "empty", "blank"])
    def test_recognised_body_without_a_token_is_unsigned(self, header: str | None) -> None:
        verdict = judge(callback(header), MAIN)
        assert verdict.verdict == "unsigned"
        assert "Authorization" in verdict.detail
        assert verdict.event == "job_application"

    def test_a_token_without_any_kudoz_credential_is_no_secret(self) -> None:
        kardow_only = Credential("kardow", "kd", SECRET)
        verdict = judge(callback(authorization()), kardow_only)
        assert verdict.verdict == "no-secret"
        assert repr(API_KEY) in verdict.detail
        assert verdict.nonce is None


class TestUnknownKey:
    def test_detail_names_the_unknown_key_and_what_is_stored(self) -> None:
        header = authorization("some-unrelated-secret", api_key="kdz_unknown")
        verdict = judge(callback(header), MAIN, SECOND)
        assert verdict.verdict == "failed"
        assert "Unknown API key 'kdz_unknown'" in verdict.detail
        assert repr(API_KEY) in verdict.detail
        assert repr(OTHER_KEY) in verdict.detail

    def test_unknown_key_signed_with_a_stored_secret_names_that_credential(self) -> None:
        header = authorization(OTHER_SECRET, api_key="kdz_unknown")
        verdict = judge(callback(header), MAIN, SECOND)
        assert verdict.verdict == "failed"
        assert "'kdz_unknown'" in verdict.detail
        assert "'second'" in verdict.detail
        assert repr(OTHER_KEY) in verdict.detail
        assert "'main'" not in verdict.detail


class TestWrongSecret:
    def test_known_key_signed_with_another_credentials_secret_names_it(self) -> None:
        verdict = judge(callback(authorization(OTHER_SECRET)), MAIN, SECOND)
        assert verdict.verdict == "failed"
        assert "'second'" in verdict.detail
        assert "wrong secret" in verdict.detail
        assert repr(API_KEY) in verdict.detail

    def test_known_key_nothing_matches_lists_the_templates_tried(self) -> None:
        verdict = judge(callback(authorization("not-the-secret")), MAIN, SECOND)
        assert verdict.verdict == "failed"
        assert "'main'" in verdict.detail
        for template in kudoz.TEMPLATES:
            assert shown(template) in verdict.detail
        assert any(c.step == "token with 'main'" and c.ok is False for c in verdict.checks)

    def test_the_tried_templates_include_the_credentials_custom_template(self) -> None:
        custom = Credential("kudoz", "custom", SECRET, api_key=API_KEY, template=CUSTOM)
        verdict = judge(callback(authorization("not-the-secret", template=CUSTOM)), custom)
        assert verdict.verdict == "failed"
        assert CUSTOM in verdict.detail

    def test_hex_encoded_token_is_explained(self) -> None:
        verdict = judge(callback(authorization(encode="hex")), MAIN)
        assert verdict.verdict == "failed"
        assert "hex" in verdict.detail
        assert "base64" in verdict.detail
        assert "'main'" in verdict.detail

    def test_header_in_milliseconds_over_a_token_of_seconds_is_explained(self) -> None:
        header = authorization(timestamp=f"{T}123", signed_timestamp=str(T))
        verdict = judge(callback(header), MAIN)
        assert verdict.verdict == "failed"
        assert f"in seconds ({T})" in verdict.detail
        assert f"{T}123" in verdict.detail
        assert "mixes seconds and milliseconds" in verdict.detail

    def test_header_in_seconds_over_a_token_of_milliseconds_is_explained(self) -> None:
        header = authorization(timestamp=str(T), signed_timestamp=f"{T}000")
        verdict = judge(callback(header), MAIN)
        assert verdict.verdict == "failed"
        assert f"in milliseconds ({T}000)" in verdict.detail
        assert "mixes seconds and milliseconds" in verdict.detail

    def test_a_tampered_uuid_fails(self) -> None:
        header = authorization().replace(UUID, UUID[:-1] + "3")
        assert judge(callback(header), MAIN).verdict == "failed"


class TestVerified:
    def test_default_template_verifies_and_returns_the_nonce(self) -> None:
        verdict = judge(callback(authorization()), MAIN)
        assert verdict.verdict == "verified"
        assert verdict.detail == "The token matches the credential 'main'."
        assert verdict.nonce == Nonce(API_KEY, UUID, T + 300)
        assert verdict.event == "job_application"

    def test_the_credential_with_the_key_is_used_among_several(self) -> None:
        rotated = Credential("kudoz", "rotated", "kdz-secret-rotated-xyz", api_key=API_KEY)
        verdict = judge(callback(authorization()), SECOND, rotated, MAIN)
        assert verdict.verdict == "verified"
        assert "'main'" in verdict.detail

    def test_milliseconds_timestamp_verifies_and_the_check_says_so(self) -> None:
        header = authorization(timestamp=f"{T}123")
        verdict = judge(callback(header), MAIN)
        assert verdict.verdict == "verified"
        stamp = next(c for c in verdict.checks if c.step == "timestamp")
        assert "milliseconds" in stamp.outcome
        assert stamp.assumed is True
        assert verdict.nonce is not None
        assert (verdict.nonce.api_key, verdict.nonce.uuid) == (API_KEY, UUID)
        assert verdict.nonce.expires == pytest.approx(T + 300.123)

    def test_seconds_timestamp_check_is_documented_not_assumed(self) -> None:
        verdict = judge(callback(authorization()), MAIN)
        stamp = next(c for c in verdict.checks if c.step == "timestamp")
        assert "seconds" in stamp.outcome
        assert stamp.assumed is False

    @pytest.mark.parametrize(
        "template", [CONCATENATED, WITH_BODY, WITH_BODY_SHA256], ids=["concat", "body", "sha256"]
    )
    def test_alternative_templates_verify_and_are_named(self, template: str) -> None:
        verdict = judge(callback(authorization(template=template)), MAIN)
        assert verdict.verdict == "verified"
        assert f"using the template {shown(template)}" in verdict.detail
        match = next(c for c in verdict.checks if c.step == "token with 'main'")
        assert match.ok is True
        assert match.assumed is True
        assert shown(template) in match.outcome

    def test_body_templates_detect_a_changed_body(self) -> None:
        header = authorization(template=WITH_BODY)
        verdict = judge(callback(header, body=BODY + b" "), MAIN)
        assert verdict.verdict == "failed"

    def test_custom_template_configured_on_the_credential_verifies(self) -> None:
        custom = Credential("kudoz", "custom", SECRET, api_key=API_KEY, template=CUSTOM)
        verdict = judge(callback(authorization(template=CUSTOM)), custom)
        assert verdict.verdict == "verified"
        assert verdict.detail == "The token matches the credential 'custom'."
        match = next(c for c in verdict.checks if c.step == "token with 'custom'")
        assert match.assumed is False  # the user configured it: not our assumption

    def test_custom_template_is_not_guessed_without_configuration(self) -> None:
        verdict = judge(callback(authorization(template=CUSTOM)), MAIN)
        assert verdict.verdict == "failed"

    def test_a_credential_with_a_custom_template_still_accepts_the_default(self) -> None:
        custom = Credential("kudoz", "custom", SECRET, api_key=API_KEY, template=CUSTOM)
        verdict = judge(callback(authorization()), custom)
        assert verdict.verdict == "verified"
        assert f"using the template {DEFAULT}" in verdict.detail


class TestWindow:
    @pytest.mark.parametrize("skew", [0, 1, 299, 300, -1, -299, -300])
    def test_within_300_seconds_either_way_is_accepted(self, skew: int) -> None:
        verdict = judge(callback(authorization()), MAIN, now=NOW + timedelta(seconds=skew))
        assert verdict.verdict == "verified"

    def test_301_seconds_in_the_past_is_stale(self) -> None:
        verdict = judge(callback(authorization()), MAIN, now=NOW + timedelta(seconds=301))
        assert verdict.verdict == "stale"
        assert "301 s behind" in verdict.detail
        assert "'main'" in verdict.detail
        assert "±300 s" in verdict.detail
        assert verdict.nonce is None

    def test_301_seconds_in_the_future_is_stale(self) -> None:
        verdict = judge(callback(authorization()), MAIN, now=NOW - timedelta(seconds=301))
        assert verdict.verdict == "stale"
        assert "301 s ahead of" in verdict.detail
        assert verdict.nonce is None

    def test_hours_of_skew_are_reported_in_seconds(self) -> None:
        verdict = judge(callback(authorization()), MAIN, now=NOW + timedelta(hours=2))
        assert verdict.verdict == "stale"
        assert "7200 s behind" in verdict.detail
        window = next(c for c in verdict.checks if c.step == "timestamp window")
        assert window.ok is False

    def test_a_stale_alternative_template_is_named(self) -> None:
        header = authorization(template=CONCATENATED)
        verdict = judge(callback(header), MAIN, now=NOW + timedelta(seconds=301))
        assert verdict.verdict == "stale"
        assert shown(CONCATENATED) in verdict.detail

    def test_a_seen_uuid_is_replayed(self) -> None:
        verdict = judge(callback(authorization()), MAIN, seen=True)
        assert verdict.verdict == "replayed"
        assert UUID in verdict.detail
        assert "'main'" in verdict.detail
        assert verdict.nonce is None

    def test_seen_is_asked_about_the_tokens_key_and_uuid(self) -> None:
        asked: list[tuple[str, str]] = []

        def seen(api_key: str, uuid: str) -> bool:
            asked.append((api_key, uuid))
            return False

        context = VerifyContext([MAIN], now=NOW, seen=seen)
        assert kudoz.verify(callback(authorization()), context).verdict == "verified"
        assert asked == [(API_KEY, UUID)]

    def test_a_stale_token_is_stale_even_if_its_uuid_was_seen(self) -> None:
        header = authorization()
        verdict = judge(callback(header), MAIN, now=NOW + timedelta(seconds=400), seen=True)
        assert verdict.verdict == "stale"


class TestTemplates:
    @pytest.mark.parametrize("template", [*kudoz.TEMPLATES, CUSTOM, "{body}", "static prefix"])
    def test_usable_templates_pass(self, template: str) -> None:
        assert checks.check_template(template) is None

    @pytest.mark.parametrize("unknown", ["secret", "api-key", "API_KEY", "", "timestamp_ms"])
    def test_unknown_placeholders_are_rejected_and_named(self, unknown: str) -> None:
        reason = checks.check_template("{api_key}:{" + unknown + "}")
        assert reason is not None
        assert "{" + unknown + "}" in reason
        assert "{api_key}" in reason  # the message lists the placeholders to use

    def test_an_empty_template_is_rejected(self) -> None:
        reason = checks.check_template("")
        assert reason is not None
        assert "empty" in reason

    def test_sign_uses_the_default_template_for_an_unconfigured_credential(self) -> None:
        header = kudoz.sign(MAIN, method="POST", path=PATH, body=BODY, uuid=UUID, timestamp=str(T))
        assert header == authorization()

    def test_sign_makes_a_fresh_uuid_and_the_current_seconds(self) -> None:
        first = kudoz.parse(kudoz.sign(MAIN, method="POST", path=PATH, body=BODY, now=T))
        second = kudoz.parse(kudoz.sign(MAIN, method="POST", path=PATH, body=BODY, now=T))
        assert isinstance(first, kudoz.Token)
        assert isinstance(second, kudoz.Token)
        assert first.timestamp == str(T)
        assert first.uuid != second.uuid

    def test_what_sign_makes_verifies(self) -> None:
        for template in (*kudoz.TEMPLATES, CUSTOM):
            credential = Credential("kudoz", "c", SECRET, api_key=API_KEY, template=template)
            header = kudoz.sign(credential, method="POST", path=PATH, body=BODY, now=T)
            verdict = judge(callback(header), credential)
            assert verdict.verdict == "verified", (template, verdict.detail)


class TestEventAndDetection:
    def test_the_kind_is_the_event(self) -> None:
        assert kudoz.event(callback(None)) == "job_application"
        assert judge(callback(authorization()), MAIN).event == "job_application"

    def test_the_token_header_detects_kudoz_whatever_the_body(self) -> None:
        capture = make_capture(headers=(("authorization", "token a:b:c:d"),), body=b"")
        assert providers.detect(capture) is kudoz

    def test_a_bearer_token_alone_is_not_kudoz(self) -> None:
        capture = make_capture(headers=(("Authorization", "Bearer abc"),), body=b"{}")
        assert providers.detect(capture) is None

    def test_the_body_shape_detects_kudoz(self) -> None:
        body = json.dumps({"id": "x", "kind": "something_new"}).encode()
        assert providers.detect(make_capture(headers=(), body=body)) is kudoz

    @pytest.mark.parametrize(
        "body", [b'{"kind": "job_application"}', b'{"id": 5, "kind": "job_application"}']
    )
    def test_other_json_is_not_kudoz(self, body: bytes) -> None:
        assert providers.detect(make_capture(headers=(), body=body)) is None


class TestNonceMemory:
    def test_remembers_pairs_per_api_key(self) -> None:
        memory = NonceMemory()
        assert not memory.seen(API_KEY, UUID)
        memory.remember(API_KEY, UUID, expires=T + 300, now=T)
        assert memory.seen(API_KEY, UUID)
        assert not memory.seen(OTHER_KEY, UUID)
        assert not memory.seen(API_KEY, "another-uuid")
        assert len(memory) == 1

    def test_forgets_expired_pairs_and_keeps_live_ones(self) -> None:
        memory = NonceMemory()
        memory.remember(API_KEY, "early", expires=T + 300, now=T)
        memory.remember(API_KEY, "late", expires=T + 900, now=T + 600)
        memory.remember(API_KEY, "newest", expires=T + 1300, now=T + 1000)
        assert not memory.seen(API_KEY, "early")
        assert memory.seen(API_KEY, "newest")
        assert len(memory) == 1

    def test_pairs_are_kept_until_they_expire(self) -> None:
        memory = NonceMemory()
        memory.remember(API_KEY, "a", expires=T + 300, now=T)
        memory.remember(API_KEY, "b", expires=T + 400, now=T + 100)
        memory.remember(API_KEY, "c", expires=T + 600, now=T + 300)
        assert memory.seen(API_KEY, "a")
        assert memory.seen(API_KEY, "b")
        assert len(memory) == 3


def stored(uuid: str, stamp: int, received: int, api_key: str = API_KEY) -> Capture:
    secret = SECRET if api_key == API_KEY else OTHER_SECRET
    header = authorization(secret, api_key=api_key, uuid=uuid, timestamp=str(stamp))
    return callback(header, received_at=datetime.fromtimestamp(received, UTC))


class TestVerifier:
    def test_the_second_use_of_a_uuid_is_replayed(self) -> None:
        judge_all = Verifier([MAIN, SECOND])
        verdicts = [
            judge_all(stored(UUID, T, T)),
            judge_all(stored(UUID, T + 60, T + 60)),
            judge_all(stored("another-uuid", T + 70, T + 70)),
        ]
        assert [v.verdict for v in verdicts] == ["verified", "replayed", "verified"]
        assert UUID in verdicts[1].detail

    def test_the_same_uuid_under_another_key_is_not_a_replay(self) -> None:
        judge_all = Verifier([MAIN, SECOND])
        first = judge_all(stored(UUID, T, T))
        second = judge_all(stored(UUID, T + 5, T + 5, api_key=OTHER_KEY))
        assert (first.verdict, second.verdict) == ("verified", "verified")

    def test_judges_staleness_against_each_captures_arrival(self) -> None:
        # Years later, a capture is still judged as it was when it arrived.
        judge_all = Verifier([MAIN])
        assert judge_all(stored("u1", T, T + 10)).verdict == "verified"
        late = judge_all(stored("u2", T, T + 301))
        assert late.verdict == "stale"
        assert "301 s behind" in late.detail
        early = judge_all(stored("u3", T + 301, T))
        assert early.verdict == "stale"
        assert "301 s ahead of" in early.detail

    def test_a_stale_capture_does_not_burn_its_uuid(self) -> None:
        judge_all = Verifier([MAIN])
        assert judge_all(stored(UUID, T, T + 400)).verdict == "stale"
        assert judge_all(stored(UUID, T + 500, T + 500)).verdict == "verified"

    def test_other_providers_pass_through(self) -> None:
        judge_all = Verifier([MAIN, Credential("kardow", "kd", "kardow-test-secret-alpha")])
        plain = make_capture(headers=(), body=b"hello")
        assert judge_all(plain).verdict == "n/a"
        assert judge_all(callback(None)).verdict == "unsigned"

    def test_a_uuid_reused_after_its_window_is_judged_the_same_either_way(self) -> None:
        alone = Verifier([MAIN])
        alone(stored(UUID, T, T))
        without_other = alone(stored(UUID, T + 400, T + 400)).verdict

        with_other = Verifier([MAIN])
        with_other(stored(UUID, T, T))
        with_other(stored("unrelated", T + 350, T + 350))
        after_other = with_other(stored(UUID, T + 400, T + 400)).verdict

        assert after_other == "verified"  # the first use expired at T + 300
        assert without_other == after_other


def test_a_replayed_uuid_that_is_not_utf8_is_shown_replaced() -> None:
    # The UUID is quoted in the detail: its bytes that are not UTF-8 become U+FFFD there, so
    # the verdict can be stored and shown; the raw header keeps the bytes.
    odd = decode_header(b"u-\xff")
    header = kudoz.sign(MAIN, method="POST", path=PATH, body=BODY, uuid=odd, now=T)
    verdict = judge(callback(header), MAIN, seen=True)
    assert verdict.verdict == "replayed"
    assert "UUID u-\ufffd was already used" in verdict.detail
    assert all(c.outcome.encode() for c in verdict.checks)


def test_a_kind_that_is_a_lone_surrogate_is_shown_replaced() -> None:
    body = b'{"id": "x", "kind": "\\ud800"}'
    verdict = judge(callback(None, body=body), MAIN)
    assert (verdict.verdict, verdict.event) == ("unsigned", "\ufffd")
