"""Exports: HAR and NDJSON that parse and keep every byte, curl commands that resend exactly."""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hookscope import __version__
from hookscope.core.export import (
    CURL_LEFT_OUT,
    EXPORTERS,
    capture_url,
    curl,
    curl_command,
    curl_notes,
    har,
    ndjson,
    read_ndjson_line,
)
from hookscope.core.model import Capture, Response, Verdict, decode_header, header_bytes
from tests.conftest import make_capture
from tests.rawserver import Received, RecordingServer, recording_server

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
        head = b"PUT /hooks/k?a=1&b=two%20words&empty= HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\n"
        head += b"Content-Type: text/plain\r\nX-Dup: 2\r\n\r\n"
        assert request["headersSize"] == len(head)
        assert request["bodySize"] == 5
        assert request["postData"] == {"mimeType": "text/plain", "text": "hello"}
        assert entry["cache"] == {}

    def test_cookies_come_from_every_cookie_header_in_order(self) -> None:
        headers = (
            ("Cookie", "sid=abc; theme=dark"),
            ("X-Other", "a=b"),
            ("cookie", 'pref="x y"; flag; weird[1]=v=w; ;'),
        )
        entry = json.loads("".join(har([make_capture(headers=headers)])))["log"]["entries"][0]
        assert entry["request"]["cookies"] == [
            {"name": "sid", "value": "abc"},
            {"name": "theme", "value": "dark"},
            {"name": "pref", "value": '"x y"'},
            {"name": "flag", "value": ""},
            {"name": "weird[1]", "value": "v=w"},
        ]

    def test_timings_are_the_listeners_own_and_minus_one_when_unknown(self) -> None:
        measured = make_capture(receive_ms=12.5, answer_ms=3.25)
        unknown = make_capture()
        entries = json.loads("".join(har([measured, unknown])))["log"]["entries"]
        assert entries[0]["timings"] == {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "send": 12.5,
            "wait": 3.25,
            "receive": -1,
        }
        assert entries[0]["time"] == 15.75
        assert {entries[1]["timings"][k] for k in ("send", "wait", "receive")} == {-1}
        assert entries[1]["time"] == 0

    def test_response_cookies_and_head_sizes(self) -> None:
        response = Response(
            status=302,
            headers=(
                ("Location", "/next"),
                ("Set-Cookie", "sid=abc; Path=/; HttpOnly; Secure"),
                ("Set-Cookie", "theme=dark; Domain=example.org"),
            ),
        )
        entry = json.loads("".join(har([make_capture(response=response)])))["log"]["entries"][0]
        answer = entry["response"]
        assert answer["cookies"] == [
            {"name": "sid", "value": "abc", "path": "/", "httpOnly": True, "secure": True},
            {"name": "theme", "value": "dark", "domain": "example.org"},
        ]
        assert answer["redirectURL"] == "/next"
        head = "HTTP/1.1 302 Found\r\nLocation: /next\r\n"
        head += "Set-Cookie: sid=abc; Path=/; HttpOnly; Secure\r\n"
        head += "Set-Cookie: theme=dark; Domain=example.org\r\n\r\n"
        assert answer["headersSize"] == len(head)

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
            "imported_from": None,
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


PRINTABLE_OR_NEWLINE = {chr(c) for c in range(0x20, 0x7F)} | {"\n"}


def every_byte_captures() -> list[Capture]:
    """Every byte in a header value, a header name, the query and the body, each on its own."""
    captures = []
    for byte in range(256):
        one = bytes([byte])
        captures.append(
            make_capture(
                id=byte,
                path=decode_header(b"/p" + one),
                query=decode_header(b"q=" + one),
                headers=(
                    ("X-Value", decode_header(b"a" + one + b"z")),
                    (decode_header(b"X-Name" + one), "v"),
                ),
                body=one * 3,
            )
        )
    return captures


def command_lines(script: str) -> list[str]:
    return [line for line in script.splitlines() if line and not line.startswith("#")]


class TestCurlText:
    def test_script_starts_with_a_posix_sh_shebang(self) -> None:
        assert "".join(curl([])) == "#!/bin/sh\n"
        assert "".join(curl([make_capture()])).startswith("#!/bin/sh\n\n# capture")

    def test_comment_before_each_command_and_blank_line_between(self) -> None:
        captures = [
            make_capture(id=1, method="POST", path="/a", verdict=Verdict("verified", "ok")),
            make_capture(id=2, method="GET", path="/b", body=b""),
        ]
        text = "".join(curl(captures, "http://h"))
        shebang, first, second = text.split("\n\n")
        assert shebang == "#!/bin/sh"
        assert first.splitlines()[0] == "# capture 1: POST /a (verified)"
        assert first.splitlines()[1].startswith("curl -sS -X POST 'http://h/a' ")
        assert second.splitlines()[0] == "# capture 2: GET /b (n/a)"
        assert text.endswith("\n")

    def test_command_ends_without_newline(self) -> None:
        assert not curl_command(make_capture().request).endswith("\n")

    def test_every_byte_is_written_as_printable_ascii_one_command_per_line(self) -> None:
        captures = every_byte_captures()
        text = "".join(curl(captures, "http://h"))
        assert set(text) <= PRINTABLE_OR_NEWLINE
        assert len(command_lines(text)) == len(captures)
        assert all(line.startswith("curl ") or " | curl " in line for line in command_lines(text))

    def test_bytes_outside_printable_ascii_in_a_header_become_printf_escapes(self) -> None:
        capture = make_capture(headers=(("X-Bin", decode_header(b"\xff';touch pwned;#")),))
        command = curl_command(capture.request, "http://h")
        assert "-H 'X-Bin: '\"$(printf '\\377')\"''\\'';touch pwned;#'" in command

    @pytest.mark.parametrize("body", [b"{\n}", b"\x1b[201~", b"\x15", b"caf\xc3\xa9", b"\x00"])
    def test_body_outside_printable_ascii_is_piped_from_printf(self, body: bytes) -> None:
        command = curl_command(make_capture(body=body).request, "http://h")
        assert command.startswith("printf '")
        assert command.endswith("--data-binary @-")
        assert set(command) <= PRINTABLE_OR_NEWLINE - {"\n"}

    def test_printable_body_stays_readable_in_the_command(self) -> None:
        command = curl_command(make_capture(body=b'{"a": "it\'s"}').request, "http://h")
        assert command.endswith("""--data-binary '{"a": "it'\\''s"}'""")

    @pytest.mark.parametrize(
        "header",
        [
            ("X-Nul", "a\0b"),
            ("X-Cr", "a\rEvil: 1"),
            ("X-Lf", "a\nEvil: 1"),
            ("X-Crlf\r\nEvil", "1"),
            ("@/etc/passwd", "x"),
        ],
    )
    def test_header_curl_cannot_send_is_left_out_with_a_note(self, header: tuple[str, str]) -> None:
        capture = make_capture(headers=(header, ("X-Kept", "1")))
        command = curl_command(capture.request, "http://h")
        assert "Evil" not in command
        assert "passwd" not in command
        assert "-H 'X-Kept: 1'" in command
        (note,) = curl_notes(capture.request)
        assert note.startswith("Left out header ")
        text = "".join(curl([capture], "http://h"))
        assert f"# {note}\n" in text
        assert set(text) <= PRINTABLE_OR_NEWLINE
        assert len(command_lines(text)) == 1

    def test_method_with_a_line_break_is_not_sent(self) -> None:
        command = curl_command(
            make_capture(method="GET / HTTP/1.1\r\nX: y\r\n").request, "http://h"
        )
        assert command.startswith("# Not sent: the method")
        assert "\n" not in command
        assert "\r" not in command

    def test_url_space_controls_and_hash_are_percent_encoded(self) -> None:
        capture = make_capture(path="/a b\x1b#", query="q=\x15&r=#", body=b"")
        command = curl_command(capture.request, "http://h")
        assert "'http://h/a%20b%1B%23?q=%15&r=%23'" in command

    def test_comment_line_shows_only_printable_ascii(self) -> None:
        capture = make_capture(method="POST", path=decode_header(b"/x\x1b[201~\x15\n\xff"))
        first = "".join(curl([capture])).splitlines()[2]
        assert first == "# capture unsaved: POST /x%1B[201~%15%0A%FF (n/a)"

    def test_get_without_body_sends_no_data(self) -> None:
        assert "--data-binary" not in curl_command(make_capture(method="GET", body=b"").request)

    def test_streams_lazily(self) -> None:
        chunks = list(itertools.islice(curl(infinite_captures()), 3))
        assert chunks[0] == "#!/bin/sh\n"
        assert chunks[2].startswith("\n# capture 2:")

    def test_registry(self) -> None:
        assert EXPORTERS["har"] is har
        assert EXPORTERS["ndjson"] is ndjson
        assert EXPORTERS["curl"] is curl


# --- curl, run for real by dash and bash against a server that records the raw request ----------

SHELLS = ["dash", "bash"]


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_server() as running:
        yield running


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(script: str, shell: str, cwd: Path) -> None:
    """Run the script with `shell -s` (as `sh file` does), in `cwd`; it must succeed."""
    done = subprocess.run(
        [shell, "-s"], input=script.encode("ascii"), cwd=cwd, capture_output=True, timeout=30,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def expected_headers(capture: Capture) -> list[tuple[bytes, bytes]]:
    return [
        (header_bytes(name), header_bytes(value))
        for name, value in capture.headers
        if name.lower() not in CURL_LEFT_OUT
    ]


def sent_headers(received: Received) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in received.headers if n.lower() not in (b"host", b"content-length")]


def assert_received(capture: Capture, received: Received) -> None:
    assert received.method == header_bytes(capture.method)
    assert received.target == header_bytes(capture.target)
    assert sent_headers(received) == expected_headers(capture)
    assert received.body == capture.body


def assert_resent(capture: Capture, server: RecordingServer, shell: str, cwd: Path) -> None:
    run(curl_command(capture.request, server.base_url), shell, cwd)
    (received,) = server.requests
    assert_received(capture, received)
    assert list(cwd.iterdir()) == []  # nothing ran that wrote a file


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
    @pytest.fixture(autouse=True)
    def _scratch(self, tmp_path: Path) -> None:
        self.cwd = tmp_path / "scratch"
        self.cwd.mkdir()

    def test_json_body(self, server: RecordingServer, shell: str) -> None:
        capture = make_capture(headers=SIGNED_HEADERS, body=b'{"event": "job.created", "id": 1}')
        assert_resent(capture, server, shell, self.cwd)

    def test_quotes_and_command_substitution_are_sent_not_run(
        self, server: RecordingServer, shell: str
    ) -> None:
        body = b"it's a '$(touch pwned)' and `touch pwned` and \"$HOME\" \\ %s\n"
        headers = (("Content-Type", "text/plain"), ("X-Quote", "it's $(touch pwned) `touch x`"))
        assert_resent(make_capture(headers=headers, body=body), server, shell, self.cwd)

    def test_non_utf8_header_does_not_end_the_quote(
        self, server: RecordingServer, shell: str
    ) -> None:
        # Written as bash's $'\xff...' before, dash read it as `$` + a quoted string and ran touch.
        headers = (("X-Bin", decode_header(b"\xff';touch pwned;#")),)
        assert_resent(make_capture(headers=headers, body=b"x"), server, shell, self.cwd)

    def test_every_byte_in_header_values(self, server: RecordingServer, shell: str) -> None:
        # NUL, CR and LF cannot be sent in a header by curl: they are left out (tested above).
        headers = tuple(
            (f"X-B{byte:03d}", decode_header(b"a" + bytes([byte]) + b"z"))
            for byte in range(256)
            if byte not in (0x00, 0x0A, 0x0D)
        )
        assert_resent(make_capture(headers=headers, body=b"x"), server, shell, self.cwd)

    def test_binary_body(self, server: RecordingServer, shell: str) -> None:
        headers = (("Content-Type", "application/octet-stream"),)
        capture = make_capture(headers=headers, body=bytes(range(256)) * 2)
        assert_resent(capture, server, shell, self.cwd)

    @pytest.mark.parametrize(
        "body", [b"\x00", b"\n\n", b"-n", b"%s%d\\c", b"\x1b[201~; touch pwned\x15\r\n"]
    )
    def test_awkward_bodies(self, server: RecordingServer, shell: str, body: bytes) -> None:
        assert_resent(make_capture(body=body), server, shell, self.cwd)

    def test_body_starting_with_at_is_not_a_file_name(
        self, server: RecordingServer, shell: str
    ) -> None:
        assert_resent(make_capture(body=b"@/etc/passwd"), server, shell, self.cwd)

    def test_large_text_body(self, server: RecordingServer, shell: str) -> None:
        body = ('{"pad": "' + "\u00e9x" * 150_000 + '"}').encode()
        assert_resent(make_capture(body=body), server, shell, self.cwd)

    def test_large_printable_body(self, server: RecordingServer, shell: str) -> None:
        body = b"x'" * 100_000
        assert_resent(make_capture(body=body), server, shell, self.cwd)

    def test_empty_post(self, server: RecordingServer, shell: str) -> None:
        assert_resent(make_capture(method="POST", headers=(), body=b""), server, shell, self.cwd)
        assert (b"Content-Length", b"0") in server.requests[0].headers

    def test_get_with_query_string(self, server: RecordingServer, shell: str) -> None:
        capture = make_capture(
            method="GET", path="/hooks/q", query="a=1&b=x%20y&c[]=2&d={x}", headers=(), body=b""
        )
        assert_resent(capture, server, shell, self.cwd)

    def test_query_bytes_above_ascii_arrive_as_they_were(
        self, server: RecordingServer, shell: str
    ) -> None:
        query = decode_header(b"a=\xff\xfe&b=caf\xc3\xa9&c=';touch${IFS}pwned;`touch${IFS}x`'")
        assert_resent(make_capture(query=query, body=b""), server, shell, self.cwd)

    def test_other_methods(self, server: RecordingServer, shell: str) -> None:
        assert_resent(make_capture(method="PATCH", body=b"{}"), server, shell, self.cwd)
        assert_resent_again = make_capture(method=decode_header(b"M\xff'X"), body=b"{}")
        run(curl_command(assert_resent_again.request, server.base_url), shell, self.cwd)
        assert server.requests[1].method == b"M\xff'X"

    def test_head(self, server: RecordingServer, shell: str) -> None:
        capture = make_capture(method="HEAD", headers=(("X-A", "1"),), body=b"")
        assert_resent(capture, server, shell, self.cwd)

    def test_duplicate_empty_and_non_utf8_headers(
        self, server: RecordingServer, shell: str
    ) -> None:
        assert_resent(make_capture(headers=AWKWARD_HEADERS, body=b"x"), server, shell, self.cwd)

    def test_host_header_gives_the_url_without_base_url(
        self, server: RecordingServer, shell: str
    ) -> None:
        host = server.base_url.removeprefix("http://")
        capture = make_capture(headers=(("Host", host), ("X-A", "1")), body=b"hi")
        run(curl_command(capture.request), shell, self.cwd)
        assert server.requests[0].body == b"hi"
        assert (b"Host", host.encode()) in server.requests[0].headers

    def test_whole_export_as_a_script(self, server: RecordingServer, shell: str) -> None:
        captures = [
            make_capture(id=1, path="/one", body=b"\xff"),
            make_capture(id=2, path="/two", method="GET", body=b""),
            make_capture(id=3, path="/three", headers=AWKWARD_HEADERS, body=b"it's"),
            make_capture(id=4, path="/four", headers=(("X-Lf", "a\nb"),), body=b"left out"),
        ]
        run("".join(curl(captures, server.base_url)), shell, self.cwd)
        assert [r.target for r in server.requests] == [b"/one", b"/two", b"/three", b"/four"]
        assert [r.body for r in server.requests] == [b"\xff", b"", b"it's", b"left out"]
        assert not any(n == b"X-Lf" for n, _ in server.requests[3].headers)
