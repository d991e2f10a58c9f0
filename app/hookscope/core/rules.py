"""Response rules: which rule answers a request, and the exact response it renders."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from hookscope import __version__
from hookscope.core.checks import check_rule as check_rule  # re-exported
from hookscope.core.http import Header, Headers, Request, Response
from hookscope.core.model import DEFAULT_RULE, ResponseRule

CAPTURE_ID = "{capture_id}"
# Statuses whose answer has no body by definition (RFC 9110 15.3.5, 15.4.5).
NO_BODY_STATUSES = (204, 304)


def match_rule(rules: Iterable[ResponseRule], method: str, path: str) -> ResponseRule:
    """The first enabled rule, in position order, whose glob matches the path (and method)."""
    for rule in sorted(rules, key=lambda r: (r.position, r.id or 0)):
        if not rule.enabled:
            continue
        if rule.method and rule.method.upper() != method.upper():
            continue
        if fnmatchcase(path, rule.pattern):
            return rule
    return DEFAULT_RULE


def render(rule: ResponseRule, capture_id: int) -> Response:
    """The response a rule gives for one capture; `{capture_id}` is the only placeholder.

    The rule's delay is not part of the response: the listener spends it before answering.

    A 204 or 304 answer has no body, so none is kept for it: the stored response is what the
    sender got (the HTTP server would drop it anyway).
    """
    return Response(status=rule.status, headers=Headers(rule.headers), body=_body(rule, capture_id))


def _body(rule: ResponseRule, capture_id: int) -> bytes:
    if rule.status in NO_BODY_STATUSES:
        return b""
    return rule.body.replace(CAPTURE_ID, str(capture_id)).encode("utf-8")


# What the listener names itself: without it the HTTP server would send its own version string,
# and the stored answer would miss a header the sender got.
SERVER = f"Hookscope/{__version__}"


def as_sent(response: Response, request: Request, date: str) -> Response:
    """The answer with every header the HTTP server would add on its own, so that what is
    stored is exactly what the sender gets (the listener then sends these headers as they are).

    The additions follow RFC 9110 and 9112 as aiohttp applies them: `Content-Type` for a body
    without one, `Content-Length` (none for 1xx, 204 and 304, nor for an empty answer to HEAD),
    `Date` (`date`, an IMF-fixdate), `Server`, and `Connection` when the request's own
    `Connection` makes it differ from the version's default. A header the rule already sets is
    kept as it is. On the capture path: one pass over each header list, no more.
    """
    present = {name.lower() for name, _ in response.headers}
    status, body = response.status, response.body
    no_body = 100 <= status < 200 or status in NO_BODY_STATUSES
    added: list[Header] = []
    if body and not no_body and request.method != "HEAD" and "content-type" not in present:
        added.append(("Content-Type", "application/octet-stream"))
    if not no_body and (body or request.method != "HEAD") and "content-length" not in present:
        added.append(("Content-Length", str(len(body))))
    if "date" not in present:
        added.append(("Date", date))
    if "server" not in present:
        added.append(("Server", SERVER))
    if "connection" not in present and (connection := _connection(request)):
        added.append(("Connection", connection))
    if not added:
        return response
    return Response(status=status, headers=Headers((*response.headers, *added)), body=body)


class Answers:
    """`as_sent(render(rule, capture_id), request, date)` for capture after capture, cheaply.

    What as_sent adds depends only on the rule, the body's length, whether the request is a
    HEAD, the Connection it asked for and the date: the headers are worked out once for each
    such combination (a handful while a sender keeps one rule busy), and shared.
    """

    LIMIT = 64  # combinations kept; past it, the cache starts again

    def __init__(self) -> None:
        self._headers: dict[tuple[object, ...], Headers] = {}

    def answer(self, rule: ResponseRule, request: Request, capture_id: int, date: str) -> Response:
        body = _body(rule, capture_id)
        key = (rule, len(body), request.method == "HEAD", _connection(request), date)
        headers = self._headers.get(key)
        if headers is None:
            if len(self._headers) >= self.LIMIT:
                self._headers.clear()
            sent = as_sent(Response(rule.status, Headers(rule.headers), body), request, date)
            headers = self._headers[key] = sent.headers
        return Response(status=rule.status, headers=headers, body=body)


def _connection(request: Request) -> str | None:
    """The Connection header the server adds: `close` when an HTTP/1.1 request asked to close,
    `keep-alive` when an HTTP/1.0 request asked to keep the connection."""
    tokens = {
        token.strip().lower()
        for name, value in request.headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    if request.http_version == "1.0":
        return "keep-alive" if "keep-alive" in tokens else None
    return "close" if "close" in tokens else None
