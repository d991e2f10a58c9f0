"""The listener's answers written as stored are the bytes aiohttp's Response writes for them.

aiohttp is the judge: each answer goes through `web.Response` and through `WireAnswer` into
the same kind of writer, for every status class, method, HTTP version and keep-alive.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from aiohttp import web
from aiohttp.http_writer import HttpVersion, StreamWriter
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from hookscope.core.http import Headers, Request, Response
from hookscope.core.rules import as_sent
from hookscope.net import wire
from hookscope.net.wire import WireAnswer, wire_head

DATE = "Sun, 29 Nov 2026 15:00:00 GMT"


class _Transport:
    def __init__(self) -> None:
        self.sent = bytearray()

    def write(self, data: bytes) -> None:
        self.sent += data

    def writelines(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.sent += chunk

    def is_closing(self) -> bool:
        return False


class _Protocol:
    def __init__(self) -> None:
        self.transport = _Transport()
        self._paused = False


async def _written(
    answer: web.StreamResponse, method: str, version: tuple[int, int], closing: bool
) -> tuple[bytes, bool | None]:
    protocol = _Protocol()
    writer = StreamWriter(protocol, asyncio.get_running_loop())  # type: ignore[arg-type]
    request = make_mocked_request(method, "/hook", writer=writer)
    # The mock closes every HTTP/1.0 request; a real one keeps it when it asked to.
    request._message = request._message._replace(
        version=HttpVersion(*version), should_close=closing
    )
    await answer.prepare(request)
    await answer.write_eof()
    return bytes(protocol.transport.sent), answer.keep_alive


async def _both(
    response: Response, method: str, version: tuple[int, int], *, close: bool, closing: bool
) -> tuple[tuple[bytes, bool | None], tuple[bytes, bool | None]]:
    theirs = web.Response(
        status=response.status, body=response.body, headers=CIMultiDict(response.headers)
    )
    if close:
        theirs.force_close()
    ours = WireAnswer(response, close=close)
    return (
        await _written(theirs, method, version, closing),
        await _written(ours, method, version, closing),
    )


def _stored(status: int, body: bytes, method: str, headers: tuple[tuple[str, str], ...] = ()):
    """The answer as the listener stores it (see rules.as_sent)."""
    request = Request(method=method, target="/hook", headers=Headers(()), body=b"")
    return as_sent(Response(status, Headers(headers), body), request, DATE)


CASES = list(
    itertools.product(
        ("GET", "POST", "HEAD", "CONNECT"),
        (100, 101, 200, 201, 204, 299, 304, 404, 599),
        ((1, 0), (1, 1)),
        (b"", b'{"received": true}'),
    )
)


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "status", "version", "body"), CASES)
async def test_a_stored_answer_goes_out_as_aiohttp_writes_it(
    method: str, status: int, version: tuple[int, int], body: bytes
) -> None:
    response = _stored(status, body, method, (("X-Capture", "1"),))
    for close, closing in ((False, False), (True, False), (False, True)):
        theirs, ours = await _both(response, method, version, close=close, closing=closing)
        assert ours == theirs, (close, closing)


@pytest.mark.asyncio
async def test_the_head_is_written_from_the_stored_headers_not_worked_out_again() -> None:
    response = _stored(200, b"ok", "POST", (("Content-Type", "text/plain"),))
    assert wire_head(response, "POST", (1, 1), True) is not None
    (sent, keep), _ = await _both(response, "POST", (1, 1), close=False, closing=False)
    assert sent.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n")
    assert sent.endswith(b"\r\n\r\nok")
    assert keep is True


@pytest.mark.asyncio
async def test_head_and_connect_answers_with_the_same_headers_are_written_each_their_way() -> None:
    """A HEAD keeps its Content-Length, a 2xx to CONNECT loses it: one must not borrow the
    other's head."""
    headers = (("Content-Type", "application/json"), ("X-Capture", "1"))
    response = _stored(200, b'{"ok": true}', "GET", headers)
    for method in ("HEAD", "CONNECT", "HEAD", "GET"):
        theirs, ours = await _both(response, method, (1, 1), close=False, closing=False)
        assert ours == theirs, method


# Answers the listener never stores, but which must still go out exactly as before: each is
# left to aiohttp, which adds, frames or refuses as it always did.
INCOMPLETE: list[tuple[str, tuple[tuple[str, str], ...], bytes]] = [
    ("no Content-Length", (("Content-Type", "a/b"), ("Date", DATE), ("Server", "s")), b"x"),
    ("no Content-Type", (("Content-Length", "1"), ("Date", DATE), ("Server", "s")), b"x"),
    ("no Server", (("Content-Type", "a/b"), ("Content-Length", "1"), ("Date", DATE)), b"x"),
    (
        "a shorter length",
        (("Content-Type", "a/b"), ("Content-Length", "1"), ("Date", DATE), ("Server", "s")),
        b"xyz",
    ),
    (
        "two lengths",
        (
            ("Content-Type", "a/b"),
            ("Content-Length", "1"),
            ("Content-Length", "1"),
            ("Date", DATE),
            ("Server", "s"),
        ),
        b"x",
    ),
    (
        "chunked",
        (
            ("Content-Type", "a/b"),
            ("Transfer-Encoding", "chunked"),
            ("Date", DATE),
            ("Server", "s"),
        ),
        b"x",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("why", "headers", "body"), INCOMPLETE, ids=[c[0] for c in INCOMPLETE])
async def test_an_answer_aiohttp_would_change_is_left_to_aiohttp(
    why: str, headers: tuple[tuple[str, str], ...], body: bytes
) -> None:
    response = Response(200, Headers(headers), body)
    assert wire_head(response, "POST", (1, 1), True) is None
    for version in ((1, 0), (1, 1)):
        theirs, ours = await _both(response, "POST", version, close=False, closing=False)
        assert ours == theirs


@pytest.mark.asyncio
async def test_an_answer_without_a_date_gets_the_servers_own() -> None:
    response = Response(200, Headers((("Content-Length", "0"), ("Server", "s"))), b"")
    assert wire_head(response, "GET", (1, 1), True) is None
    (sent, _), _ = await _both(response, "GET", (1, 1), close=False, closing=False)
    assert b"\r\nDate: " in sent


@pytest.mark.asyncio
async def test_a_header_with_a_line_break_is_refused_as_aiohttp_refuses_it() -> None:
    headers = Headers((("Content-Length", "0"), ("Date", DATE), ("Server", "s"), ("X", "a\nb")))
    response = Response(200, headers, b"")
    assert wire_head(response, "GET", (1, 1), True) is None
    for answer in (
        WireAnswer(response),
        web.Response(status=200, headers=CIMultiDict(headers)),
    ):
        with pytest.raises(ValueError, match="header"):
            await _written(answer, "GET", (1, 1), False)


@pytest.mark.asyncio
async def test_a_header_byte_that_is_not_utf8_goes_out_as_it_was_received() -> None:
    """A proxied app's header value keeps its bytes (aiohttp's own serialiser would fail)."""
    value = b"caf\xe9".decode("utf-8", "surrogateescape")
    response = _stored(200, b"", "GET", (("X-Name", value),))
    sent, _ = await _written(WireAnswer(response), "GET", (1, 1), False)
    assert b"\r\nX-Name: caf\xe9\r\n" in sent


def test_heads_are_kept_for_a_bounded_number_of_answers(monkeypatch: Any) -> None:
    monkeypatch.setattr(wire, "_heads", {})
    for status in range(200, 200 + 3 * wire._HEADS_KEPT):
        assert wire_head(_stored(status, b"", "GET"), "GET", (1, 1), True) is not None
    assert 0 < len(wire._heads) <= wire._HEADS_KEPT
