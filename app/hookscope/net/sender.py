"""Sending planned requests: concurrent, bounded in time, retried by policy, every try logged."""

from __future__ import annotations

import asyncio
import io
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import aiohttp
from multidict import CIMultiDict

from hookscope.core.fire import FireError
from hookscope.core.http import Headers, Response
from hookscope.core.model import Attempt, Outgoing, Plan, SendPolicy, utc_now

log = logging.getLogger(__name__)

Record = Callable[[Attempt], Awaitable[Attempt]]  # stores an attempt, gives it back with its id
# Makes a request ready the moment before each attempt leaves (a fresh signature or token);
# raises FireError, a phrase for the log, when it cannot be sent.
Prepare = Callable[[Outgoing], Outgoing]
MAX_CONNECTIONS = 256
# Retried: the target may well answer next time. Other answers (4xx, 3xx) will not change.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Sender:
    """Sends the requests of a plan at once, each on its own clock, on the engine loop.

    One slow, refusing or misbehaving target never holds up another: every request has its own
    connect and total timeouts, and they all run concurrently (up to MAX_CONNECTIONS at once).
    """

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._rng = rng or random.Random()

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, limit_per_host=0)
            # No cookie jar: one target's cookies must not ride along to another.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, plan: Plan, policy: SendPolicy, record: Record, prepare: Prepare | None = None
    ) -> list[Attempt]:
        """Send every request of `plan`; the last attempt of each, in plan order.

        `prepare(request)` makes each attempt's request right before it leaves (a retry gets
        its own); the attempt carries, and `record(attempt)` logs, exactly what left.
        `record` is awaited for every attempt (retries included) as soon as it ends.
        """
        tries = [
            self._deliver(plan.fire_id, request, policy, record, prepare)
            for request in plan.requests
        ]
        return list(await asyncio.gather(*tries))

    async def _deliver(
        self,
        fire_id: str,
        request: Outgoing,
        policy: SendPolicy,
        record: Record,
        prepare: Prepare | None,
    ) -> Attempt:
        number = 1
        while True:
            try:
                ready = request if prepare is None else prepare(request)
            except FireError as exc:
                attempt = Attempt(fire_id, request, number, error=f"not sent: {exc}")
            else:
                attempt = await self.attempt(fire_id, ready, policy, number)
            again = number <= policy.retries and retryable(attempt)
            attempt = await record(replace(attempt, final=not again))
            if not again:
                return attempt
            await asyncio.sleep(policy.delay(number, self._rng.random()))
            number += 1

    async def attempt(
        self, fire_id: str, request: Outgoing, policy: SendPolicy, number: int = 1
    ) -> Attempt:
        """One try: an HTTP answer (any status) or the reason there was none. Never raises."""
        session = await self._client()
        timeout = aiohttp.ClientTimeout(
            total=policy.total_timeout, sock_connect=policy.connect_timeout
        )
        started_at = utc_now()
        start = time.perf_counter()
        result = Attempt(fire_id=fire_id, request=request, number=number, started_at=started_at)
        try:
            async with session.request(
                request.method,
                request.url,
                # A file-like body: aiohttp refuses to write megabytes of raw bytes in one go.
                data=io.BytesIO(request.body),
                headers=CIMultiDict(request.headers),
                # What the preview shows is what goes out: no default Accept, Accept-Encoding
                # or User-Agent of the client's own.
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                allow_redirects=False,
                timeout=timeout,
                auto_decompress=False,
            ) as response:
                body, truncated = await _read_limited(response.content, policy.response_limit)
                answer = Response(response.status, Headers.from_raw(response.raw_headers), body)
                result = replace(result, response=answer, response_truncated=truncated)
        except Exception as exc:  # every failure is a result for the user, never a crash
            result = replace(result, error=describe_error(exc, policy))
        return replace(result, latency_ms=(time.perf_counter() - start) * 1000)


async def _read_limited(stream: aiohttp.StreamReader, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of the answer; True when there was more (left unread)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:limit], len(body) > limit


def retryable(attempt: Attempt) -> bool:
    if attempt.error is not None:
        return not attempt.error.startswith("not sent")
    return attempt.status in RETRY_STATUSES


def describe_error(exc: BaseException, policy: SendPolicy) -> str:
    """One phrase saying why no answer came, for the delivery log."""
    # Order matters: aiohttp's exceptions inherit from each other.
    phrase = _connection_error(exc, policy) or _exchange_error(exc)
    if phrase is not None:
        return phrase
    log.exception("unexpected send failure", exc_info=exc)
    return f"failed unexpectedly: {type(exc).__name__}: {exc}"


def _connection_error(exc: BaseException, policy: SendPolicy) -> str | None:
    """Why no connection came to be (or none in time), or None."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"timed out connecting after {policy.connect_timeout:g} s"
    if isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError | TimeoutError):
        return f"timed out: no full answer within {policy.total_timeout:g} s"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS error: the certificate was rejected ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS error: {_reason(exc)}"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"could not resolve the host {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"could not connect to {exc.host}:{exc.port}: {_connect_reason(exc.os_error)}"
    return None


def _exchange_error(exc: BaseException) -> str | None:
    """Why the request could not be sent or its answer not read, or None."""
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the target closed the connection without answering"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"the answer is not valid HTTP: {exc.message}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer's body was cut short"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"not sent: the URL is not valid ({exc})"
    if isinstance(exc, ValueError | UnicodeEncodeError):
        return f"not sent: {exc}"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return f"failed: {_reason(exc)}"
    return None


def _connect_reason(cause: BaseException) -> str:
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    return str(cause) or type(cause).__name__


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
