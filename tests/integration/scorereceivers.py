"""Two receivers for the scorecard's tests, on 127.0.0.1 with a free port each.

`strict`: verifies the way a safe receiver does, with its own code per scheme (the services'
own libraries where they are test extras: standardwebhooks, stripe, slack_sdk), a 1 MiB body
limit (aiohttp's default `client_max_size`), a time window both ways and remembered ids.
`lax`: accepts anything, whatever its size. Written here, not taken from Hookscope, so the
scorecard is checked against verification it does not share.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from stripe import WebhookSignature

WINDOW = 300
Check = Callable[[bytes, dict[str, str]], bool]  # body, headers (lowercase names) -> accept


@dataclass
class Seen:
    """Ids already accepted (the replay memory a safe receiver keeps)."""

    ids: set[str] = field(default_factory=set)

    def first_time(self, key: str | None) -> bool:
        if not key or key in self.ids:
            return False
        self.ids.add(key)
        return True


def _hmac(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def _fresh(stamp: str | None) -> bool:
    return stamp is not None and stamp.isdigit() and abs(time.time() - int(stamp)) <= WINDOW


def kardow(secret: str) -> Check:
    # Kardow's own sample: createHmac('sha256', secret).update(body).digest('hex'), compared
    # with timingSafeEqual: exactly 64 lowercase hex characters, no prefix.
    def check(body: bytes, headers: dict[str, str]) -> bool:
        expected = _hmac(secret.encode(), body).hex()
        return hmac.compare_digest(
            headers.get("x-kardow-signature", "").encode(), expected.encode()
        )

    return check


_KUDOZ = re.compile(r"TOKEN ([^:]+):([^:]+):([0-9]{10}):([^:]+)", re.IGNORECASE)


def kudoz(api_key: str, secret: str, seen: Seen) -> Check:
    def check(body: bytes, headers: dict[str, str]) -> bool:
        match = _KUDOZ.fullmatch(headers.get("authorization", ""))
        if match is None or match.group(1) != api_key or not _fresh(match.group(3)):
            return False
        key, nonce, stamp, token = match.groups()
        message = f"{key}:{nonce}:{stamp}".encode()
        expected = base64.b64encode(_hmac(secret.encode(), message)).decode()
        return hmac.compare_digest(token.encode(), expected.encode()) and seen.first_time(nonce)

    return check


def stripe(secret: str) -> Check:
    def check(body: bytes, headers: dict[str, str]) -> bool:
        header = headers.get("stripe-signature", "")
        WebhookSignature.verify_header(body, header, secret, tolerance=WINDOW)  # raises
        # Stripe's library checks only that the time is not too old: the other side here.
        stamps = [v for k, _, v in (p.partition("=") for p in header.split(",")) if k == "t"]
        return bool(stamps) and _fresh(stamps[0])

    return check


def standard_webhooks(secret: str, seen: Seen) -> Check:
    def check(body: bytes, headers: dict[str, str]) -> bool:
        Webhook(secret).verify(body, headers, json_parse=False)  # raises; both time limits
        return seen.first_time(headers.get("webhook-id"))

    return check


def github(secret: str, seen: Seen) -> Check:
    def check(body: bytes, headers: dict[str, str]) -> bool:
        expected = "sha256=" + _hmac(secret.encode(), body).hex()
        given = headers.get("x-hub-signature-256", "")
        ok = hmac.compare_digest(given.encode(), expected.encode())
        return ok and seen.first_time(headers.get("x-github-delivery"))

    return check


def slack(secret: str) -> Check:
    def check(body: bytes, headers: dict[str, str]) -> bool:
        return SignatureVerifier(secret).is_valid_request(body, headers)

    return check


def shopify(secret: str, seen: Seen) -> Check:
    def check(body: bytes, headers: dict[str, str]) -> bool:
        expected = base64.b64encode(_hmac(secret.encode(), body)).decode()
        given = headers.get("x-shopify-hmac-sha256", "")
        ok = hmac.compare_digest(given.encode(), expected.encode())
        return ok and seen.first_time(headers.get("x-shopify-webhook-id"))

    return check


@dataclass
class Server:
    """A running receiver: its URL, and what it answered (the case header, the status)."""

    port: int = 0
    answered: list[tuple[str, int]] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)  # cases whose request head came in

    def url(self, path: str = "/hooks/in") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def strict_app(
    check: Check, server: Server, *, delay: float = 0.0, slow_case: str = ""
) -> web.Application:
    """`delay` seconds before answering the case `slow_case` (every case when "")."""

    async def handle(request: web.Request) -> web.Response:
        case = request.headers.get("X-Hookscope-Scorecard", "")
        server.arrived.append(case)
        try:
            body = await request.read()  # over client_max_size: 413 before any check
        except web.HTTPRequestEntityTooLarge:
            server.answered.append((case, 413))
            raise
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            accepted = check(body, headers)
        except Exception:  # a refusal of anything unreadable, never a crash
            accepted = False
        if delay and slow_case in ("", case):
            await asyncio.sleep(delay)
        status = 200 if accepted else 401
        server.answered.append((case, status))
        return web.json_response({"ok": accepted}, status=status)

    app = web.Application()  # client_max_size: 1 MiB, aiohttp's default
    app.router.add_post("/{tail:.*}", handle)
    return app


def lax_app(server: Server) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_any():  # any size, all of it
            size += len(chunk)
        server.answered.append((request.headers.get("X-Hookscope-Scorecard", ""), 200))
        return web.json_response({"ok": True, "size": size})

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    return app


@contextmanager
def serving(make: Callable[[Server], web.Application]) -> Iterator[Server]:
    """Run `make(server)`'s app on its own thread and loop until the block ends."""
    server = Server()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner = web.AppRunner(make(server), shutdown_timeout=0.1)

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server.port = runner.addresses[0][1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        left = asyncio.all_tasks(loop)  # a handler still reading a refused body
        for task in left:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.close()

    thread = threading.Thread(target=run, name="scorecard-receiver", daemon=True)
    thread.start()
    assert ready.wait(10), "the receiver did not start"
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
