"""How a delivery attempt reads in words: its result, its try, its fire; pure, no Qt."""

from __future__ import annotations

from http import HTTPStatus

from hookscope.core.export import curl_command, outgoing_as_capture
from hookscope.core.model import Attempt, Outgoing

DELIVERED, FAILED = "delivered", "failed"
RETRIED_HINT = "A retry followed this try; the request's result is its last try."

# What the tries of one request share (a fire sends each request once, maybe retried).
RequestKey = tuple[str, str, str | None, str, str]


def result_word(attempt: Attempt) -> str:
    return DELIVERED if attempt.ok else FAILED


def short_fire(fire_id: str) -> str:
    return fire_id[:8]


def request_key(attempt: Attempt) -> RequestKey:
    """What the tries of one request share (a fire sends each request once, maybe retried)."""
    request = attempt.request
    return (attempt.fire_id, request.kind, request.target_id, request.method, request.url)


def try_text(attempt: Attempt, tries: int | None) -> str:
    """ "1"; "3 of 3" for a retried request's last try; "1 of 3, retried" for the others.

    `tries`: how many tries the request had in the end, when its last try is known.
    """
    if attempt.final:
        return "1" if attempt.number == 1 else f"{attempt.number} of {attempt.number}"
    of = f" of {tries}" if tries else ""
    return f"{attempt.number}{of}, retried"


def curl_for(request: Outgoing) -> str:
    """A curl command that sends exactly this request again: the export's code and quoting."""
    return curl_command(*outgoing_as_capture(request))


def status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
