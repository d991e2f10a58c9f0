"""The listener's answers written as stored, without aiohttp's Response working them out again.

A stored answer already holds every header the server adds on its own (`core.rules.as_sent`:
Content-Length, Content-Type, Date, Server, Connection where it differs from the default). Going
through `web.Response` for each delivery still re-derived all of them: a header multidict, the
keep-alive and framing rules, the serialisation. That was about a fifth of the listener's time
per delivery under load. Here the head is serialised once per header list (the same few lists
come back capture after capture: see `core.rules.Answers`) and written with the body in one
piece through the request's own writer, which keeps aiohttp's flow control.

The bytes are those aiohttp's Response writes for the same answer: the tests hold the two side
by side for every status class, method, HTTP version and keep-alive. An answer that is not
complete in that sense (a header the server would still add or change, a character aiohttp
refuses) is left to `web.Response`, so nothing changes for it.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict

from hookscope.core.http import HEADER_ENCODING, HEADER_ERRORS, Headers, Response

# As aiohttp (helpers.must_be_empty_body): no body for these statuses, nor to HEAD.
_EMPTY_STATUSES = frozenset((204, 304, *range(100, 200)))
# As aiohttp's header serialiser: control characters other than tab are refused.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_HEADS_KEPT = 64  # serialised heads kept; past it, the cache starts again

Key = tuple[Headers, int, int, int, bool, str, int]
_heads: dict[Key, bytes | None] = {}


def empty_body(method: str, status: int) -> bool:
    """Whether aiohttp sends no body (and, but for HEAD, no Content-Length) for this answer."""
    return status in _EMPTY_STATUSES or method == "HEAD" or (method == "CONNECT" and status < 300)


def wire_head(
    response: Response, method: str, version: tuple[int, int], keep_alive: bool
) -> bytes | None:
    """The status line and headers aiohttp would write for `response` (None: ask aiohttp)."""
    empty = empty_body(method, response.status)
    # Only HEAD and CONNECT change what is written (see _serialise): other methods share heads.
    key = (
        response.headers,
        response.status,
        version[0],
        version[1],
        keep_alive,
        method if method in ("HEAD", "CONNECT") else "",
        len(response.body),
    )
    head = _heads.get(key, b"")
    if head == b"":
        if len(_heads) >= _HEADS_KEPT:
            _heads.clear()
        head = _heads[key] = _serialise(response, method, version, keep_alive, empty)
    return head


def _serialise(
    response: Response, method: str, version: tuple[int, int], keep_alive: bool, empty: bool
) -> bytes | None:
    status = response.status
    lines = [f"HTTP/{version[0]}.{version[1]} {status} {_REASONS.get(status, '')}"]
    # As aiohttp (helpers.should_remove_content_length): these answers lose a Content-Length.
    unframed = status in _EMPTY_STATUSES or (method == "CONNECT" and 200 <= status < 300)
    kept = _header_lines(response.headers, unframed, lines)
    if kept is None:
        return None
    present, length = kept
    if not _complete(
        response, method, empty=empty, unframed=unframed, present=present, length=length
    ):
        return None
    if "connection" not in present:
        if keep_alive and version == (1, 0):
            lines.append("Connection: keep-alive")
        elif not keep_alive and version == (1, 1):
            lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(HEADER_ENCODING, HEADER_ERRORS)


def _header_lines(
    headers: Headers, unframed: bool, lines: list[str]
) -> tuple[set[str], str | None] | None:
    """Add the header lines aiohttp writes; the names present and the Content-Length value.
    None when aiohttp would frame the body itself or refuse a header."""
    present: set[str] = set()
    length: str | None = None
    for name, value in headers:
        lower = name.lower()
        if lower == "transfer-encoding" or (lower == "content-length" and lower in present):
            return None
        present.add(lower)
        if _FORBIDDEN.search(name) or _FORBIDDEN.search(value):
            return None  # aiohttp refuses it with its own error
        if lower == "content-length":
            if unframed:
                continue
            length = value
        lines.append(f"{name}: {value}")
    return present, length


def _complete(
    response: Response,
    method: str,
    *,
    empty: bool,
    unframed: bool,
    present: set[str],
    length: str | None,
) -> bool:
    """Whether aiohttp would add or change nothing in these headers for this answer."""
    if "date" not in present or "server" not in present:
        return False  # aiohttp adds its own (Date changes every second: not kept here)
    body = len(response.body)
    if length is None:
        # aiohttp works the length out and adds it, unless the answer has no body anyway.
        return unframed or (not body and (response.status == 304 or method == "HEAD"))
    if not (length.isascii() and length.isdigit()) or (not empty and int(length) != body):
        return False  # aiohttp refuses the value, or cuts the body to it
    return empty or not body or "content-type" in present  # else aiohttp names a type


class WireAnswer(web.StreamResponse):
    """The answer as stored, written in one piece: head and body, then end of message."""

    def __init__(self, response: Response, *, close: bool = False) -> None:
        super().__init__(status=response.status)
        self._answer = response
        self._close = close
        self._keeps: bool | None = None

    @property
    def keep_alive(self) -> bool | None:
        return self._keeps

    def force_close(self) -> None:
        self._close = True

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        answer = self._answer
        keep_alive = not self._close and request.keep_alive
        head = wire_head(answer, request.method, request.version, keep_alive)
        if head is None:
            return await self._by_aiohttp(request)
        self._keeps = keep_alive
        writer = request.writer
        body = b"" if empty_body(request.method, answer.status) else answer.body
        # One write, then aiohttp's own end of message (it waits while the sender's side of
        # the connection is full, as for any answer).
        await writer.write_eof(head + body)
        return writer

    async def write_eof(self, data: bytes = b"") -> None:
        return None  # written whole by prepare

    async def _by_aiohttp(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        answer = self._answer
        fallback = web.Response(
            status=answer.status, body=answer.body, headers=CIMultiDict(answer.headers)
        )
        if self._close:
            fallback.force_close()
        writer = await fallback.prepare(request)
        await fallback.write_eof()
        self._keeps = fallback.keep_alive
        return writer
