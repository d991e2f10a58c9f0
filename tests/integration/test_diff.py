"""`hookscope captures diff` as a user runs it: deliveries over real sockets, then a child
process comparing them (gzip bodies, binary bodies, duplicate headers)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import hookscope, http, listener_port

pytestmark = pytest.mark.slow  # child processes


def deliver(port: int, headers: list[tuple[str, str]], body: bytes) -> int:
    reply = http(port, "POST", "/hooks/kardow", headers, body)
    assert reply.status == 200
    capture_id: int = reply.json()["capture_id"]
    return capture_id


def compared(data_dir: Path, a: int, b: int) -> tuple[int, dict[str, Any]]:
    done = hookscope(data_dir, "captures", "diff", str(a), str(b), "--json")
    assert done.stderr == ""
    return done.returncode, json.loads(done.stdout)


def test_gzip_bodies_and_duplicate_headers_over_real_sockets(port: int, data_dir: Path) -> None:
    def event(title: str, tags: list[str]) -> bytes:
        document = {"event": "job.updated", "data": {"title": title, "tags": tags}}
        return gzip.compress(json.dumps(document).encode(), mtime=0)

    common = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    a = deliver(
        port,
        [*common, ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2")],
        event("Welder", ["night"]),
    )
    b = deliver(
        port,
        [*common, ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.9")],
        event("Welder (night shift)", ["night", "urgent"]),
    )
    c = deliver(
        port,
        [*common, ("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2")],
        event("Welder", ["night"]),
    )

    code, shape = compared(data_dir, a, b)
    assert code == 1
    assert shape["body"]["encoding"] == "both gzip"
    assert shape["body"]["mode"] == "json"
    assert [(c["change"], c["path"], c["a"], c["b"]) for c in shape["body"]["changes"]] == [
        ("changed", "data.title", '"Welder"', '"Welder (night shift)"'),
        ("added", "data.tags[1]", None, '"urgent"'),
    ]
    changed_headers = [
        (h["change"], h["name"], h["occurrence"], h["a"], h["b"]) for h in shape["headers"]
    ]
    # Content-Length differs too: the compressed bodies have other sizes.
    assert ("changed", "X-Forwarded-For", 2, "10.0.0.2", "10.0.0.9") in changed_headers
    assert all(name != "X-Forwarded-For" or n == 2 for _, name, n, _, _ in changed_headers)

    code, shape = compared(data_dir, a, c)
    assert code == 0
    assert shape["identical"] is True
    assert shape["summary"] == "The two requests are identical."


def test_binary_bodies_over_real_sockets(port: int, data_dir: Path) -> None:
    octets = [("Content-Type", "application/octet-stream")]
    body = bytes(range(256)) * 8
    a = deliver(port, octets, body)
    b = deliver(port, octets, body[:1000] + b"\x00" + body[1001:])
    code, shape = compared(data_dir, a, b)
    assert code == 1
    binary = shape["body"]["binary"]
    assert (shape["body"]["mode"], binary["offset"], binary["start"]) == ("binary", 1000, 992)
    assert binary["a_hex"].split()[8] == f"{1000 % 256:02x}"
    assert binary["b_hex"].split()[8] == "00"

    text = hookscope(data_dir, "captures", "diff", str(a), str(b))
    assert text.returncode == 1
    assert "first difference at byte 1,000 (0x3e8)" in text.stdout


def test_an_unknown_id_exits_2_with_one_sentence(engine: Any, data_dir: Path) -> None:
    a = deliver(listener_port(engine), [], b"{}")
    done = hookscope(data_dir, "captures", "diff", str(a), "4242")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "hookscope: No capture with id 4242.\n"
