"""Response rules: which rule answers a request, and the exact response it renders."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from hookscope.core.model import DEFAULT_RULE, Response, ResponseRule

CAPTURE_ID = "{capture_id}"
# Headers that frame the message: the listener computes them, a rule must not contradict them.
FRAMING_HEADERS = ("content-length", "transfer-encoding")


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
    """The response a rule gives for one capture; `{capture_id}` is the only placeholder."""
    body = rule.body.replace(CAPTURE_ID, str(capture_id)).encode("utf-8")
    return Response(status=rule.status, headers=rule.headers, body=body, delay_ms=rule.delay_ms)


def check_rule(rule: ResponseRule) -> str | None:
    """Why a rule cannot be saved, or None when it can."""
    if not rule.pattern:
        return "The path pattern is empty; use * to match every path."
    if not 100 <= rule.status <= 599:
        return f"Status {rule.status} is not an HTTP status (100 to 599)."
    if not 0 <= rule.delay_ms <= 600_000:
        return "The delay must be between 0 and 600000 ms."
    for name, value in rule.headers:
        if not name or any(c in name for c in ":\r\n ") or any(c in value for c in "\r\n"):
            return f"Header {name!r} is not a valid header line."
        if name.lower() in FRAMING_HEADERS:
            return f"{name} is set by the listener from the body; leave it out of the rule."
    return None
