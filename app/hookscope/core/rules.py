"""Response rules: which rule answers a request, and the exact response it renders."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from hookscope.core.checks import check_rule as check_rule  # re-exported
from hookscope.core.http import Headers, Response
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
    if rule.status in NO_BODY_STATUSES:
        body = b""
    else:
        body = rule.body.replace(CAPTURE_ID, str(capture_id)).encode("utf-8")
    return Response(status=rule.status, headers=Headers(rule.headers), body=body)
