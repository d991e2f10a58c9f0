"""Exports: HAR and NDJSON that parse and keep every byte, curl commands that resend exactly."""

from __future__ import annotations

import base64
import itertools
import json
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hookscope import __version__
from hookscope.core.export import (
    EXPORTERS,
    capture_url,
    curl,
    curl_command,
    har,
    ndjson,
    read_ndjson_line,
)
from hookscope.core.model import Capture, Response, Verdict, decode_header
from tests.conftest import make_capture

AWKWARD_BODIES = [
    b"",
    b"\xff\xfe",
    b"\x00",
    b"a\x00b",
    "caf\u00e9".encode(),
    "\U0001f600 \u2713".encode(),
    b'{"event": "job.created"}\r\n',
    bytes(range(256)),
]

# Header text as the listener keeps it: surrogate-escaped where the bytes are not UTF-8.
AWKWARD_HEADERS = (
    ("X-Latin1", decode_header(b"caf\xe9")),
    ("X-Mixed", decode_header("\u2713 ".encode() + b"\xff\xfe")),
    ("X-Emoji", "\U0001f600"),
    ("X-Empty", ""),
    ("X-Dup", "one"),
    ("X-Dup", "two"),
)


def infinite_captures() -> Iterator[Capture]:
    for number in itertools.count(1):
        yield make_capture(id=number)


class TestCaptureUrl:
    def test_base_url_with_or_without_trailing_slash(self) -> None:
        capture = make_capture(path="/hooks/x", query="a=1&b=2")
        expected = "http://127.0.0.1:8787/hooks/x?a=1&b=2"
        assert capture_url(capture, "http://127.0.0.1:8787") == expected
        assert capture_url(capture, "http://127.0.0.1:8787/") == expected

    def test_without_base_url_the_host_header_is_used(self) -> None:
        capture = make_capture(path="/p", headers=(("Host", "hooks.example.org:8080"),))
        assert capture_url(capture) == "http://hooks.example.org:8080/p"

    def test_without_host_header_localhost_is_used(self) -> None:
        assert capture_url(make_capture(path="/p", headers=())) == "http://localhost/p"

    def test_no_question_mark_without_query(self) -> None:
        assert capture_url(make_capture(path="/p", query=""), "http://h") == "http://h/p"

    def test_non_utf8_bytes_in_the_target_are_percent_encoded(self) -> None:
        capture = make_capture(path=decode_header(b"/caf\xe9"), query=decode_header(b"q=\xff"))
        assert capture_url(capture, "http://h") == "http://h/caf%E9?q=%FF"


class TestHar:
    @pytest.mark.parametrize("count", [0, 1, 5])
    def test_valid_json_with_one_entry_per_capture_in_order(self, count: int) -> None:
        captures = [make_capture(id=n, path=f"/hooks/{n}") for n in range(count)]
        document = json.loads("".join(har(captures)))
        log = document["log"]
        assert log["version"] == "1.2"
        assert log["creator"] == {"name": "Hookscope", "version": __version__}
        assert [e["request"]["url"] for e in log["entries"]] == [
            f"http://127.0.0.1/hooks/{n}" for n in range(count)
        ]

    def test_request_fields(self) -> None:
        received = datetime(2025, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
        capture = make_capture(
            method="PUT",
            path="/hooks/k",
            query="a=1&b=two%20words&empty=",
            headers=(("Host", "h"), ("X-Dup", "1"), ("Content-Type", "text/plain"), ("X-Dup", "2")),
            body=b"hello",
            received_at=received,
        )
        entry = json.loads("".join(har([capture], "http://127.0.0.1:9")))["log"]["entries"][0]
        request = entry["request"]
        assert entry["startedDateTime"] == "2025-03-04T05:06:07.891Z"
        assert datetime.fromisoformat(entry["startedDateTime"]) == received
        assert request["method"] == "PUT"
        assert request["url"] == "http://127.0.0.1:9/hooks/k?a=1&b=two%20words&empty="
        assert request["httpVersion"] == "HTTP/1.1"
        assert request["headers"] == [
            {"name": "Host", "value": "h"},
            {"name": "X-Dup", "value": "1"},
            {"name": "Content-Type", "value": "text/plain"},
            {"name": "X-Dup", "value": "2"},
        ]
        assert request["queryString"] == [
            {"name": "a", "value": "1"},
            {"name": "b", "value": "two words"},
            {"name": "empty", "value": ""},
        ]
        assert request["cookies"] == []
        assert request["headersSize"] == -1
        assert request["bodySize"] == 5
        assert request["postData"] == {"mimeType": "text/plain", "text": "hello"}
        assert entry["cache"] == {}
        assert entry["timings"] == {"send": 0, "wait": 0, "receive": 0}

    def test_binary_request_body_is_base64(self) -> None:
        body = b"\xff\xfe\x00binary"
        entry = json.loads("".join(har([make_capture(body=body)])))["log"]["entries"][0]
        post_data = entry["request"]["postData"]
        assert post_data["encoding"] == "base64"
        assert base64.b64decode(post_data["text"]) == body

    def test_text_with_non_ascii_stays_text(self) -> None:
        body = "caf\u00e9 \U0001f600".encode()
        entry = json.loads("".join(har([make_capture(body=body)])))["log"]["entries"][0]
        assert entry["request"]["postData"]["text"] == "caf\u00e9 \U0001f600"
        assert "encoding" not in entry["request"]["postData"]

    def test_response(self) -> None:
        response = Response(
            status=201, headers=(("Content-Type", "application/json"),), body=b'{"ok": true}'
        )
        entry = json.loads("".join(har([make_capture(response=response)])))["log"]["entries"][0]
        assert entry["response"]["status"] == 201
        assert entry["response"]["statusText"] == "Created"
        content_type = {"name": "Content-Type", "value": "application/json"}
        assert entry["response"]["headers"] == [content_type]
        assert entry["response"]["content"] == {
            "size": 12,
            "mimeType": "application/json",
            "text": '{"ok": true}',
        }
        assert entry["response"]["bodySize"] == 12

    def test_binary_response_is_base64(self) -> None:
        response = Response(status=200, body=b"\x89PNG\xff")
        entry = json.loads("".join(har([make_capture(response=response)])))["log"]["entries"][0]
        content = entry["response"]["content"]
        assert content["encoding"] == "base64"
        assert base64.b64decode(content["text"]) == b"\x89PNG\xff"

    def test_no_response_is_status_zero_and_empty_content(self) -> None:
        entry = json.loads("".join(har([make_capture(response=None)])))["log"]["entries"][0]
        assert entry["response"]["status"] == 0
        assert entry["response"]["content"]["size"] == 0
        assert "text" not in entry["response"]["content"]

    def test_hookscope_fields(self) -> None:
        verdict = Verdict("failed", "No secret matches.", provider="kardow", event="job.created")
        capture = make_capture(
            id=7, verdict=verdict, body_truncated=True, replay_of=3, remote="10.0.0.2:4444"
        )
        entry = json.loads("".join(har([capture])))["log"]["entries"][0]
        assert entry["_hookscope"] == {
            "id": 7,
            "verdict": "failed",
            "verdict_detail": "No secret matches.",
            "provider": "kardow",
            "event": "job.created",
            "body_truncated": True,
            "replay_of": 3,
            "remote": "10.0.0.2:4444",
            "starred": False,
            "note": "",
        }

    def test_non_utf8_header_bytes_become_one_character_per_byte(self) -> None:
        capture = make_capture(headers=AWKWARD_HEADERS)
        text = "".join(har([capture]))
        text.encode("utf-8")  # writable to a UTF-8 file
        headers = json.loads(text)["log"]["entries"][0]["request"]["headers"]
        assert headers[0] == {"name": "X-Latin1", "value": "caf\u00e9"}
        assert headers[1]["value"].encode("latin-1") == "\u2713 ".encode() + b"\xff\xfe"
        assert [h["name"] for h in headers] == [name for name, _ in AWKWARD_HEADERS]

    def test_streams_lazily(self) -> None:
        chunks = list(itertools.islice(har(infinite_captures()), 3))
        assert chunks[0].startswith('{"log": ')
        assert json.loads(chunks[1])["_hookscope"]["id"] == 1
        assert json.loads(chunks[2].removeprefix(","))["_hookscope"]["id"] == 2


class TestNdjson:
    def test_one_json_object_per_line(self) -> None:
        captures = [make_capture(id=n, body=body) for n, body in enumerate(AWKWARD_BODIES)]
        text = "".join(ndjson(captures, "http://127.0.0.1:8787"))
        assert text.endswith("\n")
        lines = text.split("\n")[:-1]
        assert len(lines) == len(AWKWARD_BODIES)
        assert [json.loads(line)["id"] for line in lines] == list(range(len(AWKWARD_BODIES)))

    def test_nothing_for_no_captures(self) -> None:
        assert "".join(ndjson([])) == ""

    def test_fields(self) -> None:
        capture = make_capture(
            id=4,
            path="/hooks/k",
            query="a=1",
            received_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
            verdict=Verdict("verified", "Signature matches.", provider="kudoz", event="apply"),
            response=Response(status=202),
            starred=True,
            note="look",
            replay_of=1,
        )
        record = json.loads(next(ndjson([capture], "http://h:1/")))
        assert record == {
            "id": 4,
            "received_at": "2025-01-02T03:04:05.000000Z",
            "method": "POST",
            "path": "/hooks/k",
            "query": "a=1",
            "url": "http://h:1/hooks/k?a=1",
            "http_version": "1.1",
            "remote": "127.0.0.1:50000",
            "headers": [["Host", "127.0.0.1"], ["Content-Type", "application/json"]],
            "body": capture.body.decode(),
            "body_encoding": "utf-8",
            "body_size": len(capture.body),
            "body_truncated": False,
            "provider": "kudoz",
            "event": "apply",
            "verdict": "verified",
            "verdict_detail": "Signature matches.",
            "response_status": 202,
            "starred": True,
            "note": "look",
            "replay_of": 1,
        }

    def test_binary_body_is_base64(self) -> None:
        record = json.loads(next(ndjson([make_capture(body=b"\xff\xfe")])))
        assert record["body_encoding"] == "base64"
        assert base64.b64decode(record["body"]) == b"\xff\xfe"

    def test_non_utf8_header_is_base64_with_a_marker(self) -> None:
        record = json.loads(next(ndjson([make_capture(headers=AWKWARD_HEADERS)])))
        assert record["headers"][0] == [
            base64.b64encode(b"X-Latin1").decode(),
            base64.b64encode(b"caf\xe9").decode(),
            "base64",
        ]
        assert record["headers"][2] == ["X-Emoji", "\U0001f600"]

    @pytest.mark.parametrize("body", AWKWARD_BODIES)
    def test_headers_and_body_round_trip_exactly(self, body: bytes) -> None:
        capture = make_capture(headers=AWKWARD_HEADERS, body=body)
        line = next(ndjson([capture]))
        line.encode("utf-8")  # writable to a UTF-8 file, no lone surrogates
        assert read_ndjson_line(line) == (AWKWARD_HEADERS, body)

    def test_streams_lazily(self) -> None:
        lines = list(itertools.islice(ndjson(infinite_captures()), 2))
        assert [json.loads(line)["id"] for line in lines] == [1, 2]


class TestCurlText:
    def test_comment_before_each_command_and_blank_line_between(self) -> None:
        captures = [
            make_capture(id=1, method="POST", path="/a", verdict=Verdict("verified", "ok")),
            make_capture(id=2, method="GET", path="/b", body=b""),
        ]
        text = "".join(curl(captures, "http://h"))
        first, second = text.split("\n\n")
        assert first.splitlines()[0] == "# capture 1: POST /a (verified)"
        assert first.splitlines()[1].startswith("curl -sS -X POST 'http://h/a' ")
        assert second.splitlines()[0] == "# capture 2: GET /b (n/a)"
        assert text.endswith("\n")

    def test_command_ends_without_newline(self) -> None:
        assert not curl_command(make_capture()).endswith("\n")

    def test_non_utf8_header_notes_that_bash_is_needed(self) -> None:
        text = "".join(curl([make_capture(headers=(("X-A", decode_header(b"\xff")),))]))
        assert "needs bash" in text
        assert "$'X-A: \\xff'" in text

    def test_get_without_body_sends_no_data(self) -> None:
        assert "--data-binary" not in curl_command(make_capture(method="GET", body=b""))

    def test_streams_lazily(self) -> None:
        chunks = list(itertools.islice(curl(infinite_captures()), 2))
        assert chunks[1].startswith("\n# capture 2:")

    def test_registry(self) -> None:
        assert EXPORTERS["har"] is har
        assert EXPORTERS["ndjson"] is ndjson
        assert EXPORTERS["curl"] is curl


# --- curl, run for real against a server that records the raw request ---------------------------


@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class RecordingServer:
    base_url: str
    requests: list[Received] = field(default_factory=list)


class _RawHandler(socketserver.StreamRequestHandler):
    """Reads one HTTP/1.1 request byte-exact (no header parsing library) and answers 200."""

    def handle(self) -> None:
        request_line = self.rfile.readline().rstrip(b"\r\n")
        method, target, _version = request_line.split(b" ")
        headers: list[tuple[bytes, bytes]] = []
        while line := self.rfile.readline().rstrip(b"\r\n"):
            name, _, value = line.partition(b":")
            headers.append((name, value.strip(b" \t")))
        length = sum(int(v) for n, v in headers if n.lower() == b"content-length")
        body = self.rfile.read(length)
        server = self.server
        assert isinstance(server, _Server)
        server.record.requests.append(Received(method.decode(), target.decode(), headers, body))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    record: RecordingServer


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with _Server(("127.0.0.1", 0), _RawHandler) as running:
        host, port = running.server_address[:2]
        running.record = RecordingServer(f"http://{host!s}:{port}")
        thread = threading.Thread(target=running.serve_forever, name="recording-server")
        thread.start()
        try:
            yield running.record
        finally:
            running.shutdown()
            thread.join()


def run(script: str) -> None:
    """Run with bash -c; a script too long for one argument is read from stdin instead."""
    if len(script.encode()) < 100_000:
        args, stdin = ["bash", "-c", script], None
    else:
        args, stdin = ["bash", "-s"], script.encode()
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def _expected_headers(capture: Capture) -> list[tuple[bytes, bytes]]:
    left_out = {"host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive"}
    return [
        (name.encode(), value.encode("utf-8", "surrogateescape"))
        for name, value in capture.headers
        if name.lower() not in left_out
    ]


def _sent_headers(received: Received) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in received.headers if n.lower() not in (b"host", b"content-length")]


def assert_resent(capture: Capture, server: RecordingServer) -> None:
    run(curl_command(capture, server.base_url))
    (received,) = server.requests
    assert received.method == capture.method
    assert received.target == capture.target
    assert _sent_headers(received) == _expected_headers(capture)
    assert received.body == capture.body


SIGNED_HEADERS = (
    ("Host", "hooks.example.org"),
    ("User-Agent", "Kardow-Webhooks/1.0"),
    ("Content-Type", "application/json"),
    ("X-Kardow-Signature", "sha256=abc123"),
    ("Content-Length", "999"),
    ("Connection", "keep-alive"),
)


@pytest.mark.slow
class TestCurlRuns:
    def test_json_body(self, server: RecordingServer) -> None:
        capture = make_capture(headers=SIGNED_HEADERS, body=b'{"event": "job.created", "id": 1}')
        assert_resent(capture, server)

    def test_quotes_and_command_substitution_are_sent_not_run(
        self, server: RecordingServer, tmp_path: Path
    ) -> None:
        marker = tmp_path / "executed"
        body = f"it's a '$(touch {marker})' and `touch {marker}` and \"$HOME\" \\ %s\n".encode()
        headers = (("Content-Type", "text/plain"), ("X-Quote", f"it's $(touch {marker})"))
        assert_resent(make_capture(headers=headers, body=body), server)
        assert not marker.exists()

    def test_binary_body(self, server: RecordingServer) -> None:
        headers = (("Content-Type", "application/octet-stream"),)
        assert_resent(make_capture(headers=headers, body=bytes(range(256))), server)

    def test_body_with_nul_only(self, server: RecordingServer) -> None:
        assert_resent(make_capture(body=b"\x00"), server)

    def test_body_starting_with_at_is_not_a_file_name(self, server: RecordingServer) -> None:
        assert_resent(make_capture(body=b"@/etc/passwd"), server)

    def test_large_text_body(self, server: RecordingServer) -> None:
        body = ('{"pad": "' + "\u00e9x" * 150_000 + '"}').encode()
        assert_resent(make_capture(body=body), server)

    def test_empty_post(self, server: RecordingServer) -> None:
        assert_resent(make_capture(method="POST", headers=(), body=b""), server)
        assert (b"Content-Length", b"0") in server.requests[0].headers

    def test_get_with_query_string(self, server: RecordingServer) -> None:
        capture = make_capture(
            method="GET", path="/hooks/q", query="a=1&b=x%20y&c[]=2&d={x}", headers=(), body=b""
        )
        assert_resent(capture, server)

    def test_other_methods(self, server: RecordingServer) -> None:
        capture = make_capture(method="PATCH", body=b"{}")
        assert_resent(capture, server)

    def test_head(self, server: RecordingServer) -> None:
        assert_resent(make_capture(method="HEAD", headers=(("X-A", "1"),), body=b""), server)

    def test_duplicate_empty_and_non_utf8_headers(self, server: RecordingServer) -> None:
        assert_resent(make_capture(headers=AWKWARD_HEADERS, body=b"x"), server)

    def test_host_header_gives_the_url_without_base_url(self, server: RecordingServer) -> None:
        host = server.base_url.removeprefix("http://")
        capture = make_capture(headers=(("Host", host), ("X-A", "1")), body=b"hi")
        run(curl_command(capture))
        assert server.requests[0].body == b"hi"
        assert (b"Host", host.encode()) in server.requests[0].headers

    def test_whole_export_as_a_script(self, server: RecordingServer) -> None:
        captures = [
            make_capture(id=1, path="/one", body=b"\xff"),
            make_capture(id=2, path="/two", method="GET", body=b""),
            make_capture(id=3, path="/three", headers=AWKWARD_HEADERS, body=b"it's"),
        ]
        run("".join(curl(captures, server.base_url)))
        assert [r.target for r in server.requests] == ["/one", "/two", "/three"]
        assert [r.body for r in server.requests] == [b"\xff", b"", b"it's"]
