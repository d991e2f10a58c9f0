"""Live forwarding, decided here (pure): which rules forward a capture, where to, the request
that goes out byte for byte, and the answer a proxied sender gets.

Every enabled rule whose path glob (and provider and event, when set) matches a committed
capture forwards it: one capture may go to several apps, and routing by event is two rules
with two events. Only the first matching `proxy` rule, in position order, answers the sender
with its app's answer; any other matching rule forwards in the background (`async`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from fnmatch import fnmatchcase
from urllib.parse import urlsplit, urlunsplit

from hookscope.core.checks import check_target_url
from hookscope.core.fire import HOP_BY_HOP, FireError
from hookscope.core.http import Headers, Request, Response
from hookscope.core.model import Capture, Credential, utc_now
from hookscope.core.providers.base import Provider
from hookscope.core.rules import as_sent
from hookscope.core.sending import Attempt, Outgoing

ASYNC = "async"
PROXY = "proxy"
MODES = (ASYNC, PROXY)
KIND = "forward"  # the delivery log's kind for a forward's attempts
# What of an app's answer describes its connection to us, not the answer: the listener frames
# the answer it passes on itself (RFC 9110 7.6.1; Content-Length is worked out again).
ANSWER_HOP_BY_HOP = (
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
)
MAX_GLOB = 1024


@dataclass(frozen=True, slots=True)
class ForwardRule:
    """Where captures whose path matches `pattern` are sent on to.

    Attributes:
        pattern: a path glob (`*` matches every path, `/kardow/*` one folder).
        url: the app's base URL; the capture's path (without `strip_prefix`) and query follow it.
        mode: `async` (the sender is answered at once, the forward follows) or `proxy` (the
            sender gets the app's answer).
        provider: only captures judged of this provider (None: any).
        event: only captures of this event, a glob (None: any).
        strip_prefix: taken off the front of the path before it is put after the URL's.
        resign: the stored secret each forward is signed with again as it leaves (None: the
            sender's own headers go as they came).
        position: lower positions are tried first (it decides which proxy rule answers).
    """

    pattern: str
    url: str
    mode: str = ASYNC
    provider: str | None = None
    event: str | None = None
    strip_prefix: str = ""
    resign: str | None = None
    enabled: bool = True
    position: int = 0
    id: int | None = None

    def matches(self, capture: Capture) -> bool:
        if not self.enabled or not fnmatchcase(capture.path, self.pattern):
            return False
        verdict = capture.verdict
        if self.provider is not None and verdict.provider != self.provider:
            return False
        return self.event is None or (
            verdict.event is not None and fnmatchcase(verdict.event, self.event)
        )


@dataclass(frozen=True, slots=True)
class Forward:
    """One capture sent on to one app, as decided when it arrived (stored with the capture).

    Attributes:
        url: the whole URL it goes to (the rule's, with the capture's path and query).
        mode: how it went: `proxy` for the one whose answer the sender got, else `async`.
        resign: the secret it is signed with again as each attempt leaves (None: as captured).
        rule_id: the rule that made it (None: `serve --forward-to`, for that run only).
    """

    url: str
    mode: str = ASYNC
    resign: str | None = None
    rule_id: int | None = None
    capture_id: int | None = None
    id: int | None = None
    created_at: datetime = field(default_factory=utc_now)

    @property
    def fire_id(self) -> str:
        """What every attempt of this forward is logged under in the delivery log."""
        return f"forward-{self.id}"


@dataclass(frozen=True, slots=True)
class ForwardState:
    """A forward and how it went so far: its last attempt (None: not sent yet) and their count.

    The last attempt's request and answer carry their bodies only when they were read with them.
    """

    forward: Forward
    last: Attempt | None = None
    attempts: int = 0

    @property
    def state(self) -> str:
        """`delivered` (a 2xx), `failed` (any other answer, or none), or `not sent yet`."""
        if self.last is None:
            return "not sent yet"
        return "delivered" if self.last.ok else "failed"

    @property
    def label(self) -> str:
        """A few words for a list's column: "200", "HTTP 502", "refused", "not sent yet"."""
        last = self.last
        if last is None:
            return "not sent yet"
        if last.error is not None:
            return "not sent" if last.error.startswith("not sent") else "failed"
        return str(last.status) if last.ok else f"HTTP {last.status}"

    def as_json(self) -> dict[str, object]:
        """The shape of `captures show --json`'s `forwards` items."""
        last = self.last
        return {
            "id": self.forward.id,
            "url": self.forward.url,
            "mode": self.forward.mode,
            "state": self.state,
            "status": None if last is None else last.status,
            "latency_ms": None if last is None else round(last.latency_ms, 3),
            "error": None if last is None else last.error,
            "attempts": self.attempts,
        }


def plan_forwards(
    rules: Iterable[ForwardRule], capture: Capture, extra: Sequence[str] = ()
) -> tuple[Forward, ...]:
    """The forwards of a capture that just arrived: one per matching rule (position order),
    then one to each of `extra` (every path, async: `serve --forward-to`).

    A refused capture (its body cut) is never forwarded: the app would get half a request.
    """
    if capture.body_truncated:
        return ()
    forwards: list[Forward] = []
    proxied = False
    for rule in sorted(rules, key=lambda r: (r.position, r.id or 0)):
        if not rule.matches(capture):
            continue
        mode = ASYNC
        if rule.mode == PROXY and not proxied:
            mode, proxied = PROXY, True
        url = target_url(rule.url, capture.path, capture.query, rule.strip_prefix)
        forwards.append(Forward(url, mode, rule.resign, rule.id))
    for base in extra:
        forwards.append(Forward(target_url(base, capture.path, capture.query)))
    return tuple(forwards)


def target_url(base: str, path: str, query: str, strip_prefix: str = "") -> str:
    """The app's URL for a request to `path?query`: the base URL's path, then the request's
    path without `strip_prefix`, then the query (after the base URL's own, if it has one).

    A request to the root (or to exactly the stripped prefix) goes to the base URL itself, so
    `--forward-to http://localhost:3000/webhook` delivers `POST /` to `/webhook`.
    """
    if strip_prefix and path.startswith(strip_prefix):
        path = path[len(strip_prefix) :]
    parts = urlsplit(base)
    if path in ("", "/") and parts.path not in ("", "/"):
        joined = parts.path
    else:
        joined = parts.path.rstrip("/") + (path if path.startswith("/") else "/" + path)
    queries = "&".join(q for q in (parts.query, query) if q)
    return urlunsplit((parts.scheme, parts.netloc, joined, queries, ""))


def forward_request(capture: Capture, forward: Forward) -> Outgoing:
    """The capture as it goes to the app: its method, headers in order (without the hop-by-hop
    ones; the client sets Host for the app and frames the body) and body bytes, unchanged."""
    assert capture.id is not None
    note = "as captured" if forward.resign is None else f"re-signed with {forward.resign!r}"
    return Outgoing(
        url=forward.url,
        body=capture.body,
        headers=capture.headers.without(*HOP_BY_HOP),
        method=capture.method,
        kind=KIND,
        event=capture.verdict.event,
        note=f"forward of capture {capture.id}, {note}",
        replay_of=capture.id,
        forward_id=forward.id,
    )


def resigned(
    request: Outgoing,
    credential: Credential,
    signer: Provider | None,
    *,
    now: float,
    delivery_id: str,
) -> Outgoing:
    """`request` signed again with `credential` its scheme's way (each header it sets replaces
    the one of the same name); FireError, a phrase for the log, when it cannot be."""
    if signer is None:
        raise FireError(f"no scheme called {credential.provider!r} can sign it")
    try:
        pairs = signer.sign_headers(
            credential,
            method=request.method,
            path=urlsplit(request.url).path or "/",
            body=request.body,
            headers=tuple(request.headers),
            now=now,
            delivery_id=delivery_id,
        )
    except ValueError as exc:
        raise FireError(str(exc).rstrip(".")) from None
    headers = request.headers
    for name, value in pairs:
        headers = headers.replaced(name, value)
    return replace(request, headers=headers)


def proxied_answer(
    attempt: Attempt, capture: Request, capture_id: int, *, limit: int, date: str
) -> Response:
    """What a proxied sender gets: the app's status, headers (without the hop-by-hop ones) and
    body, with the headers the listener adds (as `rules.as_sent`), so what is stored is what
    was sent; a 502 (or 504 when the app was too slow) with a JSON reason when it gave none."""
    response = attempt.response
    if response is not None and not attempt.response_truncated:
        headers = response.headers.without(*ANSWER_HOP_BY_HOP)
        return as_sent(Response(response.status, headers, response.body), capture, date)
    url = attempt.request.url
    error = attempt.error or ""
    if response is not None:
        status, code = 502, "app_answer_too_large"
        message = f"The app at {url} answered with a body over {limit} bytes; it was not passed on."
    elif error.startswith("timed out"):
        status, code = 504, "app_timeout"
        message = f"The app at {url} {error}."
    elif error.startswith("not sent"):
        status, code = 502, "not_forwarded"
        message = f"The delivery was not forwarded to {url}: {error.removeprefix('not sent: ')}."
    else:
        status, code = 502, "app_unreachable"
        message = f"The app at {url} could not be reached: {error}."
    body = json.dumps({"error": {"code": code, "message": message}, "capture_id": capture_id})
    answer = Response(status, Headers((("Content-Type", "application/json"),)), body.encode())
    return as_sent(answer, capture, date)


def check_forward_rule(
    rule: ForwardRule, credentials: Mapping[str, str], providers: Sequence[str]
) -> str | None:
    """Why `rule` cannot forward, in one sentence, or None.

    `credentials` maps each stored secret's name to its provider; `providers` names every
    provider a capture can be judged of.
    """
    if not rule.pattern.strip():
        return "The path glob is empty; * forwards every path."
    if len(rule.pattern) > MAX_GLOB or any(ord(ch) < 0x20 for ch in rule.pattern):
        return "The path glob must be at most 1024 characters, without control characters."
    if problem := check_target_url(rule.url):
        return f"The forward URL {problem}."
    if rule.mode not in MODES:
        return f"Unknown mode {rule.mode!r}; use async or proxy."
    if rule.provider is not None and rule.provider not in providers:
        return f"Unknown provider {rule.provider!r}; use one of {', '.join(providers)}."
    if rule.event is not None and not rule.event.strip():
        return "The event is empty; leave it out to forward every event."
    if rule.strip_prefix and not rule.strip_prefix.startswith("/"):
        return f"The prefix to strip must start with / (got {rule.strip_prefix!r})."
    return _check_resign(rule, credentials)


def _check_resign(rule: ForwardRule, credentials: Mapping[str, str]) -> str | None:
    if rule.resign is None:
        return None
    scheme = credentials.get(rule.resign)
    if scheme is None:
        known = ", ".join(repr(name) for name in credentials)
        listed = f"stored: {known}" if known else "none is stored"
        return f"No secret is called {rule.resign!r} ({listed})."
    if rule.provider is not None and scheme != rule.provider:
        return (
            f"The secret {rule.resign!r} is a {scheme} secret, but the rule forwards"
            f" {rule.provider} deliveries."
        )
    return None
