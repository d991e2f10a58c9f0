"""Response rules: which rule answers a request, and the exact response it renders."""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

from hookscope.core.http import Headers, Response
from hookscope.core.jsontext import encodable
from hookscope.core.model import DEFAULT_RULE, ResponseRule

CAPTURE_ID = "{capture_id}"
# Headers that frame the message: the listener computes them, a rule must not contradict them.
FRAMING_HEADERS = ("content-length", "transfer-encoding")
# Hop-by-hop headers (RFC 9110 7.6.1) describe this connection, which the listener manages: a
# rule's "Connection: keep-alive" or "Upgrade" would promise what the listener does not do.
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade")
# A header name is an RFC 9110 token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Control characters other than tab end or corrupt a header line (CR, LF, NUL, ...).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
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
    if rule.status in NO_BODY_STATUSES:
        body = b""
    else:
        body = rule.body.replace(CAPTURE_ID, str(capture_id)).encode("utf-8")
    return Response(status=rule.status, headers=Headers(rule.headers), body=body)


def check_rule(rule: ResponseRule) -> str | None:
    """Why a rule cannot be saved, or None when it can.

    Also the engine's guard on stored rules: whatever passes renders a well-formed answer that
    the sender can read to its end.
    """
    if not rule.pattern:
        return "The path pattern is empty; use * to match every path."
    for what, text in (("path pattern", rule.pattern), ("body", rule.body)):
        if not encodable(text):
            return f"The {what} holds text that is not valid Unicode (a lone surrogate)."
    if rule.method and not _TOKEN.fullmatch(rule.method):
        return f"The method {rule.method!r} is not an HTTP method name."
    if not 200 <= rule.status <= 599:
        if 100 <= rule.status <= 199:
            return (
                f"Status {rule.status} is informational: the sender would keep waiting for a "
                "final answer. Use 200 to 599."
            )
        return f"Status {rule.status} is not an HTTP status a rule can answer with (200 to 599)."
    if not 0 <= rule.delay_ms <= 600_000:
        return "The delay must be between 0 and 600000 ms."
    for name, value in rule.headers:
        if not _TOKEN.fullmatch(name):
            return (
                f"Header {name!r} is not a valid header line: a name is letters, digits and "
                "!#$%&'*+-.^_`|~ only."
            )
        if _CONTROL.search(value) or not encodable(value):
            return (
                f"Header {name!r} is not a valid header line: its value holds a line break, "
                "a control character or text that is not valid Unicode."
            )
        if name.lower() in FRAMING_HEADERS:
            return f"{name} is set by the listener from the body; leave it out of the rule."
        if name.lower() in HOP_BY_HOP:
            return f"{name} describes the connection, which the listener manages; leave it out."
    return None
