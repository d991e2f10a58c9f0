"""A byte-exact HTTP/1.1 recorder for tests that run real clients (curl) against it."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Received:
    """One request as its bytes arrived: header values keep trailing whitespace and any byte."""

    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class RecordingServer:
    base_url: str
    requests: list[Received] = field(default_factory=list)


class _RawHandler(socketserver.StreamRequestHandler):
    """Reads one HTTP/1.1 request byte-exact (no header parsing library) and answers 200."""

    def handle(self) -> None:
        request_line = self.rfile.readline(65536).rstrip(b"\r\n")
        method, target, _version = request_line.split(b" ")
        headers: list[tuple[bytes, bytes]] = []
        for _ in range(1000):  # bounded: curl sends a few dozen at most
            line = self.rfile.readline(65536).removesuffix(b"\n").removesuffix(b"\r")
            if not line:
                break
            name, _, value = line.partition(b":")
            headers.append((name, value.lstrip(b" \t")))
        length = sum(int(v) for n, v in headers if n.lower() == b"content-length")
        body = self.rfile.read(length)
        server = self.server
        assert isinstance(server, _Server)
        server.record.requests.append(Received(method, target, headers, body))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    record: RecordingServer


@contextmanager
def recording_server() -> Iterator[RecordingServer]:
    """A recorder on 127.0.0.1 with a free port, on its own thread, for one test."""
    with _Server(("127.0.0.1", 0), _RawHandler) as running:
        host, port = running.server_address[:2]
        running.record = RecordingServer(f"http://{host!s}:{port}")
        thread = threading.Thread(target=running.serve_forever, name="recording-server")
        thread.start()
        try:
            yield running.record
        finally:
            running.shutdown()
            thread.join(10)
