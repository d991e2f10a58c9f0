"""Reading HAR files back: what `export.har` wrote comes back exact; anything else is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hookscope.core.export import har
from hookscope.core.harimport import HarError, read_har
from hookscope.core.model import Capture, Response, decode_header
from tests.conftest import make_capture
from tests.unit.core.test_export import AWKWARD_BODIES, AWKWARD_HEADERS


def exported(*captures: Capture) -> bytes:
    return "".join(har(list(captures))).encode("utf-8")


def document(*entries: Any) -> bytes:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}}).encode()


def entry(**request: Any) -> dict[str, Any]:
    return {
        "startedDateTime": "2025-03-04T05:06:07.891Z",
        "request": {"method": "POST", "url": "http://h/p", "headers": [], **request},
    }


def same_request(a: Capture, b: Capture) -> None:
    assert (a.method, a.target, tuple(a.headers), a.body, a.http_version) == (
        b.method,
        b.target,
        tuple(b.headers),
        b.body,
        b.http_version,
    )


class TestRoundTrip:
    @pytest.mark.parametrize("body", AWKWARD_BODIES)
    def test_bodies_come_back_byte_exact(self, body: bytes) -> None:
        capture = make_capture(body=body)
        (back,) = read_har(exported(capture), "x.har")
        same_request(back, capture)

    def test_headers_and_target_that_are_not_utf8_come_back_exact(self) -> None:
        capture = make_capture(
            path=decode_header(b"/caf\xe9"), query=decode_header(b"q=\xff"), headers=AWKWARD_HEADERS
        )
        (back,) = read_har(exported(capture), "x.har")
        same_request(back, capture)

    def test_what_else_is_kept(self) -> None:
        received = datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
        response = Response(201, (("Content-Type", "text/plain"), ("X-A", "1")), b"\xff\x00")
        capture = make_capture(
            received_at=received,
            remote="10.0.0.2:4444",
            response=response,
            body_truncated=True,
            receive_ms=4.5,
            answer_ms=1.25,
            http_version="1.0",
        )
        (back,) = read_har(exported(capture), "orders.har")
        assert back.received_at == received
        assert back.remote == "10.0.0.2:4444"
        assert back.response == response
        assert back.body_truncated is True
        assert (back.receive_ms, back.answer_ms) == (4.5, 1.25)
        assert back.http_version == "1.0"
        assert back.imported_from == "orders.har"
        assert back.id is None
        assert back.verdict.verdict == "n/a"  # judged by whoever stores it

    def test_export_import_export_is_the_same_document_but_for_ids(self) -> None:
        captures = [make_capture(id=n, body=body) for n, body in enumerate(AWKWARD_BODIES, 1)]
        first = json.loads(exported(*captures))
        back = read_har(exported(*captures), "x.har")
        second = json.loads(exported(*back))
        for old, new in zip(first["log"]["entries"], second["log"]["entries"], strict=True):
            assert old["request"] == new["request"]
            assert old["response"] == new["response"]
            assert old["timings"] == new["timings"]


class TestOtherTools:
    def test_a_browser_entry(self) -> None:
        data = document(
            {
                "startedDateTime": "2025-03-04T06:06:07.891+01:00",
                "request": {
                    "method": "GET",
                    "url": "https://example.org/a/b?x=1&y=",
                    "httpVersion": "h2",
                    "headers": [
                        {"name": ":authority", "value": "example.org"},
                        {"name": "accept", "value": "*/*"},
                    ],
                },
                "response": {"status": 0},
                "timings": {"send": -1, "wait": 12, "receive": 0},
            }
        )
        (capture,) = read_har(data, "browser.har")
        assert capture.method == "GET"
        assert capture.target == "/a/b?x=1&y="
        assert tuple(capture.headers) == (("accept", "*/*"),)
        assert capture.http_version == "2"
        assert capture.received_at == datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
        assert capture.response is None
        assert (capture.receive_ms, capture.answer_ms) == (None, 12.0)

    def test_form_fields_without_text_become_the_form_body(self) -> None:
        params = [{"name": "a", "value": "1"}, {"name": "b", "value": "x y"}]
        data = document(entry(postData={"mimeType": "application/x-www-form-urlencoded",
                                         "params": params}))  # fmt: skip
        assert read_har(data, "f.har")[0].body == b"a=1&b=x+y"

    def test_an_empty_log_is_no_captures(self) -> None:
        assert read_har(document(), "empty.har") == []


class TestRefused:
    @pytest.mark.parametrize(
        ("data", "sentence"),
        [
            (b"nope", "x.har is not a HAR file: it is not JSON (line 1, column 1: expecting"),
            (b"\xff\xfe\xfa", "x.har is not a HAR file: it is not JSON text."),
            (b"[1, 2]", "x.har is not a HAR file: it has no log with a list of entries."),
            (b'{"log": {"entries": {}}}', "x.har is not a HAR file: it has no log with a list"),
            (document(entry(), {"startedDateTime": "x"}), "Entry 2 of x.har has no request."),
            (document(entry(), 5), "Entry 2 of x.har is not an object."),
            (
                document(entry(postData={"text": "not base64!", "encoding": "base64"})),
                "Entry 1 of x.har has its request body marked base64 that is not valid base64.",
            ),
            (document(entry(method="GET /x")), "Entry 1 of x.har has no valid request method."),
            (document(entry(url=7)), "Entry 1 of x.har has no request URL."),
            (
                document(entry(headers=[{"name": "A"}])),
                "Entry 1 of x.har has a request header without a text name and value.",
            ),
            (
                document({**entry(), "startedDateTime": "yesterday"}),
                "Entry 1 of x.har has no startedDateTime in ISO 8601.",
            ),
            (
                document(entry(postData={"text": "x", "encoding": "rot13"})),
                "Entry 1 of x.har has a request body in an unknown encoding (rot13).",
            ),
            (b"[" * 100_000, "x.har is not a HAR file: it is not JSON"),
        ],
        ids=[
            "not-json", "not-text", "json-not-har", "entries-not-a-list", "no-request",
            "entry-not-object", "bad-base64", "bad-method", "no-url", "bad-header", "bad-date",
            "unknown-encoding", "too-deep",
        ],
    )  # fmt: skip
    def test_one_sentence(self, data: bytes, sentence: str) -> None:
        with pytest.raises(HarError) as caught:
            read_har(data, "x.har")
        message = str(caught.value)
        assert message.startswith(sentence)
        assert message.endswith(".")
        assert "\n" not in message

    def test_a_file_over_the_limit_is_refused_before_parsing(self) -> None:
        with pytest.raises(HarError, match=r"^big\.har is over the 1 MB limit for an import\.$"):
            read_har(b" " * (1024 * 1024 + 1), "big.har", limit=1024 * 1024)

    def test_one_bad_entry_refuses_the_whole_file(self) -> None:
        good = json.loads(exported(make_capture(), make_capture()))["log"]["entries"]
        bad = {**good[1], "request": {**good[1]["request"], "method": ""}}
        with pytest.raises(HarError, match="Entry 2 "):
            read_har(document(good[0], bad), "x.har")

    def test_exact_headers_must_be_base64_pairs(self) -> None:
        data = json.loads(exported(make_capture(headers=AWKWARD_HEADERS)))
        data["log"]["entries"][0]["_hookscope"]["headers_base64"][0][1] = "%%%"
        with pytest.raises(HarError, match="an exact header marked base64"):
            read_har(json.dumps(data).encode(), "x.har")
        data["log"]["entries"][0]["_hookscope"]["headers_base64"] = [["a"]]
        with pytest.raises(HarError, match="exact headers that are not a list of pairs"):
            read_har(json.dumps(data).encode(), "x.har")

    def test_base64_text_is_decoded_strictly(self) -> None:
        good = base64.b64encode(b"\xff\x00").decode()
        data = document(entry(postData={"text": good, "encoding": "base64"}))
        assert read_har(data, "x.har")[0].body == b"\xff\x00"
