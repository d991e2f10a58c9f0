"""`hookscope captures export --format curl` of hostile captures, run by dash and by bash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from hookscope.core.export import CURL_LEFT_OUT
from hookscope.core.model import Capture, decode_header, header_bytes
from tests.conftest import make_capture
from tests.rawserver import Received, recording_server
from tests.unit.test_cli import store

SHELL_BYTES = b"$(touch pwned) `touch pwned` ; touch pwned ' \" \\ | & > pwned"
TERMINAL_BYTES = b"\x1b[201~; touch pwned\x15\x1b[200~\x07\x7f"


def hostile_captures() -> list[Capture]:
    """One capture per attack on the exported script, each on its own path /cN."""
    return [
        # Written as bash's $'\xff...' before: dash read `$` + a quoted string, then ran touch.
        make_capture(path="/c1", headers=(("X-Bin", decode_header(b"\xff';touch pwned;#")),)),
        make_capture(
            path="/c2",
            headers=(("Content-Type", "text/plain"), ("X-Shell", SHELL_BYTES.decode())),
            body=SHELL_BYTES + b"\n" + SHELL_BYTES,
        ),
        make_capture(
            path="/c3",
            headers=(("X-Term", decode_header(TERMINAL_BYTES)),),
            body=TERMINAL_BYTES + b"\r\n\x00\r",
        ),
        make_capture(path="/c4", body=bytes(range(256))),
        make_capture(
            path="/c5",
            # The store keeps the target as UTF-8 text; the listener takes ASCII targets only.
            query="a=caf\u00e9&b=\u2713&c=';touch${IFS}pwned;'",
            headers=(("X-Latin1", decode_header(b"caf\xe9")),),
            body=b"",
            method="GET",
        ),
        make_capture(
            path="/c6",
            headers=tuple(
                (f"X-B{byte:03d}", decode_header(b"<" + bytes([byte]) + b">"))
                for byte in range(256)
                if byte not in b"\0\r\n"  # no header line can carry these: left out, see /c8
            ),
            body=b"-n %s \\c",
        ),
        make_capture(method="M\u00e9';touch${IFS}pwned;#", path="/c7", body=b"{}"),
        make_capture(
            path="/c8",
            headers=(("X-Lf", "a\nX-Evil: 1"), ("X-Cr", "a\rX-Evil: 1"), ("X-Kept", "yes")),
        ),
    ]


def expected_headers(capture: Capture) -> list[tuple[bytes, bytes]]:
    return [
        (header_bytes(name), header_bytes(value))
        for name, value in capture.headers
        if name.lower() not in CURL_LEFT_OUT and not any(c in name + value for c in "\0\r\n")
    ]


def sent_headers(received: Received) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in received.headers if n.lower() not in (b"host", b"content-length")]


def export_curl(data_dir: Path, out: Path, base_url: str) -> None:
    """The real command, in a child process, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "hookscope", "captures", "export", "--data-dir", str(data_dir),
         "--format", "curl", "--base-url", base_url, "--out", str(out)],
        capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_exported_script_sends_hostile_captures_as_data(
    shell: str, data_dir: Path, tmp_path: Path
) -> None:
    captures = hostile_captures()
    store(data_dir, *captures)
    script = tmp_path / "export.curl"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with recording_server() as server:
        export_curl(data_dir, script, server.base_url)
        done = subprocess.run(
            [shell, str(script)], cwd=scratch, capture_output=True, timeout=60, check=False
        )
    assert list(scratch.iterdir()) == []  # no `touch pwned` ran, no `> pwned` redirected
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    text = script.read_bytes()
    assert text.startswith(b"#!/bin/sh\n")
    assert all(0x20 <= byte < 0x7F or byte == 0x0A for byte in text)

    assert len(server.requests) == len(captures)
    for capture, received in zip(captures, server.requests, strict=True):
        assert received.method == header_bytes(capture.method)
        path, _, query = received.target.partition(b"?")
        assert path == header_bytes(capture.path)
        assert query == header_bytes(capture.query)
        assert sent_headers(received) == expected_headers(capture)
        assert received.body == capture.body


@pytest.mark.slow
def test_path_bytes_above_ascii_arrive_percent_encoded(data_dir: Path, tmp_path: Path) -> None:
    # curl percent-encodes such bytes in a path itself (it keeps them as they are in a query).
    capture = make_capture(path="/caf\u00e9/\u2713';touch${IFS}pwned;#")
    store(data_dir, capture)
    script = tmp_path / "export.curl"
    with recording_server() as server:
        export_curl(data_dir, script, server.base_url)
        subprocess.run(["dash", str(script)], cwd=tmp_path, timeout=60, check=True)
    (received,) = server.requests
    assert unquote_to_bytes(received.target) == header_bytes(capture.path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "export.curl"]
