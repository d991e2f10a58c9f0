"""Helpers for talking to a real listener over real sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hookscope.core.model import Capture
from hookscope.engine import Engine
from hookscope.storage.captures import get_capture
from hookscope.storage.db import open_store
from tests.conftest import running_engine


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def read_reply(sock: socket.socket) -> Reply:
    """Read one HTTP/1.1 response (Content-Length framed) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full response head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
    reply = Reply(status, [(k, v) for k, v in headers], b"")
    length = int(reply.header("Content-Length") or 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    reply.body = rest[:length]
    return reply


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> Reply:
    """Send exactly `data` on a fresh connection and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_reply(sock)


def http(
    port: int,
    method: str,
    target: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> Reply:
    """A well-formed HTTP/1.1 request with a Content-Length, headers sent in the given order."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers or []]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return raw_request(port, ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)


def stored(data_dir: Path, capture_id: int) -> Capture:
    db = open_store(data_dir)
    try:
        capture = get_capture(db, capture_id)
    finally:
        db.close()
    assert capture is not None, f"capture {capture_id} is not in the store"
    return capture


def listener_port(engine: Engine) -> int:
    assert engine.listener is not None
    return engine.listener.port


@pytest.fixture
def port(engine: Engine) -> int:
    return listener_port(engine)


@pytest.fixture
def small_engine(data_dir: Path) -> Iterator[Engine]:
    """An engine with tiny limits, so every limit can be reached quickly."""
    with running_engine(
        data_dir,
        body_limit=1024,
        header_timeout=0.5,
        body_timeout=0.5,
        max_connections=4,
        max_field_size=1024,
        max_headers=20,
    ) as running:
        yield running


class Serve:
    """`hookscope serve` in a child process."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if not any(arg.startswith("--api-port") for arg in args):
            args = (*args, "--api-port", "0")  # the emulator only where a test asks for it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hookscope", "serve", "--data-dir", str(data_dir), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        self.first_line = self.process.stdout.readline().strip()
        self.port = int(self.first_line.rsplit(":", 1)[1]) if self.first_line else 0

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read()


@pytest.fixture
def serve(data_dir: Path) -> Iterator[Callable[..., Serve]]:
    """Start `hookscope serve` children on the test's data dir; all are killed at the end."""
    started: list[Serve] = []

    def start(*args: str) -> Serve:
        child = Serve(data_dir, *args)
        started.append(child)
        return child

    yield start
    for child in started:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(10)
        for stream in (child.process.stdout, child.process.stderr):
            if stream is not None:
                stream.close()


def hookscope(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A `hookscope` command in a child process, on the test's data dir."""
    return subprocess.run(
        [sys.executable, "-m", "hookscope", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=90,
    )


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
