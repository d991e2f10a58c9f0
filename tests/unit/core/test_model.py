"""Core records: lossless header text, header lookup, targets, timestamps, the list JSON shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hookscope.core.http import Headers, Request
from hookscope.core.model import (
    Check,
    Response,
    Verdict,
    decode_header,
    display_text,
    header_bytes,
    iso_utc,
    parse_iso_utc,
)
from tests.conftest import make_capture

# `captures list --json`: its contract (docs/architecture.md) names at least these keys.
LIST_JSON_KEYS = {
    "id",
    "received_at",
    "method",
    "path",
    "query",
    "remote",
    "provider",
    "event",
    "verdict",
    "verdict_detail",
    "body_size",
    "response_status",
}

AWKWARD_HEADER_BYTES = [
    b"",
    b"plain ascii",
    "caf\u00e9 \u2713 \U0001f600".encode(),  # valid UTF-8, 2-, 3- and 4-byte characters
    "caf\u00e9".encode("latin-1"),  # b"caf\xe9": Latin-1, invalid UTF-8
    b"\xff\xfe\xfd",
    b"\x80",  # a lone continuation byte
    b"\xc3",  # a 2-byte character cut short
    b"\xe2\x9c",  # a 3-byte character cut short
    b"\xed\xa0\x80",  # an encoded UTF-16 surrogate: not valid UTF-8
    b"\xc0\xaf",  # an overlong encoding of "/"
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\x00\x01\x7f",
    b"sha256=\xde\xad\xbe\xef",
    bytes(range(256)),
]


class TestHeaderText:
    @pytest.mark.parametrize("raw", AWKWARD_HEADER_BYTES)
    def test_round_trip_is_lossless(self, raw: bytes) -> None:
        text = decode_header(raw)
        assert isinstance(text, str)
        assert header_bytes(text) == raw

    def test_every_single_byte_and_byte_pair_round_trips(self) -> None:
        # Exhaustive over short inputs instead of random examples (hypothesis is not installed).
        for first in range(256):
            assert header_bytes(decode_header(bytes([first]))) == bytes([first])
            for second in range(256):
                raw = bytes([first, second])
                assert header_bytes(decode_header(raw)) == raw

    def test_valid_utf8_reads_naturally(self) -> None:
        assert decode_header("Zürich ✓".encode()) == "Zürich ✓"

    def test_invalid_bytes_do_not_turn_into_replacement_characters(self) -> None:
        text = decode_header(b"a\xffb")
        assert "\ufffd" not in text
        assert text != decode_header(b"a\xfeb")


class TestCaptureHeaders:
    HEADERS = (
        ("Host", "example.test"),
        ("X-Kardow-Signature", "first"),
        ("Set-Cookie", "a=1"),
        ("x-kardow-signature", "second"),
        ("SET-COOKIE", "b=2"),
        ("Set-Cookie", "a=1"),
    )

    @pytest.mark.parametrize(
        "name", ["x-kardow-signature", "X-KARDOW-SIGNATURE", "X-Kardow-Signature"]
    )
    def test_header_is_the_first_value_by_case_insensitive_name(self, name: str) -> None:
        assert make_capture(headers=self.HEADERS).header(name) == "first"

    def test_header_missing_is_none(self) -> None:
        assert make_capture(headers=self.HEADERS).header("Authorization") is None

    def test_header_values_keeps_duplicates_in_order(self) -> None:
        capture = make_capture(headers=self.HEADERS)
        assert capture.header_values("set-cookie") == ["a=1", "b=2", "a=1"]
        assert capture.header_values("X-Kardow-Signature") == ["first", "second"]
        assert capture.header_values("Authorization") == []

    def test_empty_header_value_is_a_value(self) -> None:
        capture = make_capture(headers=(("X-Empty", ""), ("X-Empty", "later")))
        assert capture.header("x-empty") == ""

    def test_content_type_comes_from_the_headers(self) -> None:
        assert make_capture(headers=(("content-type", "text/plain"),)).content_type == "text/plain"
        assert make_capture(headers=()).content_type == ""


class TestCapture:
    def test_the_request_and_our_answer_are_messages(self) -> None:
        answer = Response(202, Headers((("Content-Type", "application/json"),)), b"{}")
        capture = make_capture(
            method="PUT", path="/in", query="a=1", http_version="1.0", response=answer
        )
        assert capture.request == Request(
            "PUT",
            "/in?a=1",
            Headers((("Host", "127.0.0.1"), ("Content-Type", "application/json"))),
            b'{"event": "job.created", "organization_id": 42}',
            "1.0",
        )
        assert capture.response is answer
        request = capture.request
        assert (capture.method, capture.path, capture.query, capture.http_version) == (
            request.method,
            request.path,
            request.query,
            request.http_version,
        )
        assert (capture.headers, capture.body) == (request.headers, request.body)

    def test_target_without_query_is_the_path(self) -> None:
        assert make_capture(path="/hooks/kardow", query="").target == "/hooks/kardow"

    def test_target_with_query_joins_with_a_question_mark(self) -> None:
        capture = make_capture(path="/hooks", query="a=1&b=%20x")
        assert capture.target == "/hooks?a=1&b=%20x"

    def test_body_size_counts_bytes_not_characters(self) -> None:
        assert make_capture(body="é✓".encode()).body_size == 5
        assert make_capture(body=b"").body_size == 0


class TestTimestamps:
    def test_iso_utc_format(self) -> None:
        moment = datetime(2024, 3, 9, 7, 5, 4, 123, tzinfo=UTC)
        assert iso_utc(moment) == "2024-03-09T07:05:04.000123Z"

    def test_iso_utc_converts_other_zones_to_utc(self) -> None:
        india = timezone(timedelta(hours=5, minutes=30))
        moment = datetime(2024, 1, 1, 0, 15, tzinfo=india)
        assert iso_utc(moment) == "2023-12-31T18:45:00.000000Z"

    @pytest.mark.parametrize(
        "moment",
        [
            datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
            datetime(1999, 12, 31, 0, 0, 0, 0, tzinfo=UTC),
            datetime(2030, 6, 15, 12, 0, 0, 1, tzinfo=timezone(timedelta(hours=-7))),
        ],
    )
    def test_round_trip_keeps_the_instant_to_the_microsecond(self, moment: datetime) -> None:
        back = parse_iso_utc(iso_utc(moment))
        assert back == moment
        assert back.utcoffset() == timedelta(0)

    def test_text_order_is_time_order(self) -> None:
        base = datetime(2024, 5, 1, 9, 59, 59, 999_999, tzinfo=UTC)
        moments = [base + timedelta(microseconds=n) for n in (0, 1, 2, 10**6, 10**9)]
        texts = [iso_utc(m) for m in moments]
        assert sorted(texts) == texts


class TestSummaryJson:
    def test_as_json_has_the_keys_the_cli_contract_requires(self) -> None:
        summary = make_capture(id=3).summary()
        assert summary.as_json().keys() >= LIST_JSON_KEYS

    def test_as_json_values(self) -> None:
        moment = datetime(2024, 3, 9, 7, 5, 4, 500, tzinfo=UTC)
        capture = make_capture(
            id=17,
            method="PUT",
            path="/hooks/kudoz",
            query="x=1",
            remote="10.0.0.2:4000",
            body=b"12345",
            received_at=moment,
            verdict=Verdict(
                verdict="failed",
                detail="The signature matches no stored secret.",
                provider="kudoz",
                event="application.created",
                checks=(Check("hmac", "mismatch", False),),
            ),
            response=Response(status=201),
        )
        data = capture.summary().as_json()
        assert {key: data[key] for key in LIST_JSON_KEYS} == {
            "id": 17,
            "received_at": "2024-03-09T07:05:04.000500Z",
            "method": "PUT",
            "path": "/hooks/kudoz",
            "query": "x=1",
            "remote": "10.0.0.2:4000",
            "provider": "kudoz",
            "event": "application.created",
            "verdict": "failed",
            "verdict_detail": "The signature matches no stored secret.",
            "body_size": 5,
            "response_status": 201,
        }

    def test_unrecognised_unanswered_capture_has_nulls(self) -> None:
        data = make_capture(id=1).summary().as_json()
        assert data["provider"] is None
        assert data["event"] is None
        assert data["verdict"] == "n/a"
        assert data["response_status"] is None

    def test_as_json_is_serialisable_and_id_is_an_integer(self) -> None:
        data = json.loads(json.dumps(make_capture(id=5).summary().as_json()))
        assert data["id"] == 5
        assert isinstance(data["id"], int)
        assert parse_iso_utc(data["received_at"]).tzinfo is UTC


def test_display_text_replaces_every_surrogate_and_keeps_the_rest() -> None:
    text = "ok ✓ " + decode_header(b"\xff") + " \ud800 𝄞"
    assert display_text(text) == "ok ✓ \ufffd \ufffd 𝄞"
    assert display_text("plain") == "plain"


def test_a_verdict_and_its_checks_always_encode() -> None:
    verdict = Verdict("failed", "UUID \udcff.", "kudoz", "\ud800", (Check("u\udcfe", "\ud800"),))
    assert (verdict.detail, verdict.event) == ("UUID \ufffd.", "\ufffd")
    assert verdict.checks == (Check("u\ufffd", "\ufffd"),)
    assert Verdict.checks_from_json(verdict.checks_json()) == verdict.checks
