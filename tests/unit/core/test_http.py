"""The one HTTP message type: header pairs kept exactly, looked up by any case."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle

import pytest

from hookscope.core.http import (
    Headers,
    Request,
    Response,
    decode_header,
    header_bytes,
    join_target,
)
from tests.unit.core.test_model import AWKWARD_HEADER_BYTES

PAIRS = (
    ("Host", "hooks.example"),
    ("Set-Cookie", "a=1"),
    ("X-Kardow-Signature", "first"),
    ("set-cookie", "b=2"),
    ("X-KARDOW-SIGNATURE", "second"),
    ("X-Empty", ""),
)


class TestHeaders:
    def test_order_case_and_duplicates_are_kept(self) -> None:
        headers = Headers(PAIRS)
        assert list(headers) == list(PAIRS)
        assert len(headers) == 6
        assert headers[3] == ("set-cookie", "b=2")

    def test_equals_the_plain_pairs_and_hashes_like_them(self) -> None:
        headers = Headers(PAIRS)
        assert headers == PAIRS
        assert hash(headers) == hash(PAIRS)
        assert Headers(reversed(PAIRS)) != headers

    def test_get_is_the_first_value_by_any_case(self) -> None:
        headers = Headers(PAIRS)
        for name in ("x-kardow-signature", "X-Kardow-Signature", "X-KARDOW-SIGNATURE"):
            assert headers.get(name) == "first"
        assert headers.get("Authorization") is None
        assert headers.get("x-empty") == ""  # an empty value is a value

    def test_get_all_keeps_every_value_in_order(self) -> None:
        headers = Headers(PAIRS)
        assert headers.get_all("SET-COOKIE") == ["a=1", "b=2"]
        assert headers.get_all("authorization") == []

    def test_in_asks_for_a_name_in_any_case_or_for_an_exact_pair(self) -> None:
        headers = Headers(PAIRS)
        assert "host" in headers
        assert "X-EMPTY" in headers
        assert "Authorization" not in headers
        assert ("Set-Cookie", "a=1") in headers
        assert ("set-cookie", "a=1") not in headers

    @pytest.mark.parametrize("raw", AWKWARD_HEADER_BYTES)
    def test_raw_bytes_survive_through_surrogate_escapes(self, raw: bytes) -> None:
        headers = Headers.from_raw([(b"X-Raw-" + raw, raw), (b"X-Raw-" + raw, b"\xff" + raw)])
        assert [(header_bytes(n), header_bytes(v)) for n, v in headers] == [
            (b"X-Raw-" + raw, raw),
            (b"X-Raw-" + raw, b"\xff" + raw),
        ]
        assert headers.get(decode_header(b"x-raw-" + raw.lower())) == decode_header(raw)

    def test_pairs_read_from_json_come_back_as_pairs(self) -> None:
        stored = json.loads(json.dumps(Headers(PAIRS)))
        assert stored[0] == ["Host", "hooks.example"]
        assert Headers(stored) == PAIRS

    def test_bytes_are_refused_with_a_pointer_to_from_raw(self) -> None:
        with pytest.raises(TypeError, match="from_raw"):
            Headers([(b"Host", b"x")])  # type: ignore[list-item]

    def test_it_cannot_be_changed_in_place(self) -> None:
        headers = Headers(PAIRS)
        with pytest.raises(TypeError):
            headers[0] = ("Host", "elsewhere")  # type: ignore[index]
        with pytest.raises(AttributeError):
            headers.extra = 1  # type: ignore[attr-defined]

    def test_headers_given_as_headers_are_not_copied(self) -> None:
        headers = Headers(PAIRS)
        assert Headers(headers) is headers

    def test_without_drops_every_header_of_those_names(self) -> None:
        kept = Headers(PAIRS).without("SET-COOKIE", "host")
        assert kept == (
            ("X-Kardow-Signature", "first"),
            ("X-KARDOW-SIGNATURE", "second"),
            ("X-Empty", ""),
        )

    def test_replaced_puts_one_value_where_the_first_was(self) -> None:
        headers = Headers(PAIRS).replaced("x-kardow-signature", "new")
        assert headers.get_all("X-Kardow-Signature") == ["new"]
        assert headers[2] == ("X-Kardow-Signature", "new")  # the first one's place and case
        assert len(headers) == 5

    def test_replaced_appends_a_header_that_was_not_there(self) -> None:
        headers = Headers(PAIRS).replaced("Authorization", "token")
        assert headers[-1] == ("Authorization", "token")
        assert headers[:-1] == PAIRS

    def test_appended_adds_one_last_even_a_duplicate(self) -> None:
        headers = Headers(PAIRS).appended("Host", "second.example")
        assert headers[-1] == ("Host", "second.example")
        assert headers.get_all("host") == ["hooks.example", "second.example"]

    def test_edits_leave_the_original_alone(self) -> None:
        headers = Headers(PAIRS)
        headers.without("Host")
        headers.replaced("Host", "x")
        headers.appended("X-New", "1")
        assert headers == PAIRS

    def test_copies_and_pickles_stay_headers(self) -> None:
        headers = Headers(PAIRS)
        for again in (copy.deepcopy(headers), pickle.loads(pickle.dumps(headers))):
            assert type(again) is Headers
            assert again == headers
            assert again.get("SET-COOKIE") == "a=1"


class TestRequest:
    def test_path_and_query_split_the_target_at_its_first_question_mark(self) -> None:
        request = Request("GET", "/hooks?a=1&next=/x?y")
        assert (request.path, request.query) == ("/hooks", "a=1&next=/x?y")
        assert (Request("GET", "/plain").path, Request("GET", "/plain").query) == ("/plain", "")

    def test_join_target_is_the_inverse_of_the_split(self) -> None:
        for path, query in (("/hooks", "a=1"), ("/hooks", ""), ("/", "a=b?c")):
            request = Request("GET", join_target(path, query))
            assert (request.path, request.query) == (path, query)

    def test_plain_pairs_become_headers(self) -> None:
        request = Request("POST", "/", headers=(("Content-Type", "text/plain"),))  # type: ignore[arg-type]
        assert type(request.headers) is Headers
        assert request.header("content-type") == "text/plain"
        assert request.content_type == "text/plain"

    def test_body_size_counts_bytes(self) -> None:
        assert Request("POST", "/", body="é✓".encode()).body_size == 5
        assert Request("GET", "/").content_type == ""

    def test_it_is_a_frozen_value(self) -> None:
        request = Request("POST", "/x", Headers(PAIRS), b"{}", "1.0")
        assert request == Request("POST", "/x", Headers(PAIRS), b"{}", "1.0")
        assert request != dataclasses.replace(request, body=b"[]")
        with pytest.raises(dataclasses.FrozenInstanceError):
            request.body = b""  # type: ignore[misc]


class TestResponse:
    def test_reason_is_the_standard_phrase(self) -> None:
        assert Response(200).reason == "OK"
        assert Response(503).reason == "Service Unavailable"
        assert Response(599).reason == ""

    def test_headers_and_body_read_as_on_a_request(self) -> None:
        response = Response(201, Headers((("Location", "/1"), ("content-type", "text/plain"))))
        assert response.header("LOCATION") == "/1"
        assert response.content_type == "text/plain"
        assert Response(200, body=b"abc").body_size == 3
        assert Response(204).headers == ()
