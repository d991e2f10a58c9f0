"""Sending one scorecard request and timing the answer: a fresh connection for each, the body
streamed in pieces, every failure an `Answer` in words (never an exception)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
from multidict import CIMultiDict

from hookscope.core.model import Outgoing, SendPolicy
from hookscope.core.scoreboard import Answer
from hookscope.net.sender import describe_error

CHUNK = 64 * 1024  # the body goes out in pieces this size: the client never copies it whole
ANSWER_TEXT = 300  # characters of the answer's body kept for the report


class Prober:
    """An HTTP client for the scorecard; use as `async with Prober(...) as prober`.

    Each request gets its own connection (`force_close`): a receiver that closes one after
    refusing a body must not make the next case fail.
    """

    def __init__(self, *, timeout: float, connect_timeout: float = 5.0) -> None:
        self._policy = SendPolicy(
            connect_timeout=min(connect_timeout, timeout), total_timeout=timeout
        )
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Prober:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(self, *failure: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, request: Outgoing) -> Answer:
        """Send `request` once; the receiver's status and latency, or why there was none."""
        assert self._session is not None, "use the prober inside `async with`"
        policy = self._policy
        timeout = aiohttp.ClientTimeout(
            total=policy.total_timeout, sock_connect=policy.connect_timeout
        )
        body = memoryview(request.body)
        sent = 0

        async def pieces() -> AsyncIterator[bytes]:
            nonlocal sent
            for start in range(0, len(body), CHUNK):
                piece = body[start : start + CHUNK]
                sent += len(piece)
                yield bytes(piece)

        headers = CIMultiDict(request.headers)
        headers["Content-Length"] = str(len(body))  # streamed, yet not chunked: as senders do
        start = time.perf_counter()
        try:
            async with self._session.request(
                request.method,
                request.url,
                data=pieces(),
                headers=headers,
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                allow_redirects=False,
                timeout=timeout,
                auto_decompress=False,
            ) as response:
                latency = (time.perf_counter() - start) * 1000
                text = await _beginning(response)
                return Answer(response.status, latency, text=text)
        except Exception as exc:  # every failure is a result for the user, never a crash
            latency = (time.perf_counter() - start) * 1000
            unreachable = isinstance(
                exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError
            )
            return Answer(
                None,
                latency,
                describe_error(exc, policy),
                unreachable=unreachable,
                cut_short=not unreachable and sent < len(body),
            )


async def _beginning(response: aiohttp.ClientResponse) -> str:
    """The first characters of the answer's body; what cannot be read is left unread."""
    try:
        raw = await response.content.read(ANSWER_TEXT * 4)
    except (aiohttp.ClientError, TimeoutError):
        return ""
    return raw.decode("utf-8", "replace")[:ANSWER_TEXT]
