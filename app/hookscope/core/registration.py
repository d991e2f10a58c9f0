"""Kardow's `POST /webhooks` body, validated field by field as the documented API does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hookscope.core import jsontext
from hookscope.core.model import ANY_EVENT, TARGET_TYPES
from hookscope.core.providers.kardow import EVENTS

MIN_SECRET = 16
MAX_URL = 2048
# JSON may spell a lone surrogate ("\ud800"); it is no character, and cannot be stored or sent.
NOT_UNICODE = "must be valid Unicode text (it holds a lone \\ud800-\\udfff escape)"
NULL_SECRET = (
    f"must be a string of at least {MIN_SECRET} characters; leave it out to register without one"
)


@dataclass(frozen=True, slots=True)
class Registration:
    """A valid subscription request: what `POST /webhooks` (or `targets add`) asked for."""

    event: str
    target_type: str
    target_url: str
    secret: str | None = None

    def __repr__(self) -> str:  # never let a secret reach a log or a traceback
        return f"Registration({self.event!r}, {self.target_type!r}, {self.target_url!r})"


def check_event(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if value != ANY_EVENT and value not in EVENTS:
        return f"must be one of {', '.join(EVENTS)}, or * for all events"
    return None


def check_target_type(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str) or value not in TARGET_TYPES:
        return f"must be one of {', '.join(TARGET_TYPES)}"
    return None


def check_target_url(value: Any) -> str | None:
    """An absolute URI; only http and https can be delivered to, so only those are taken."""
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    if len(value) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "must not contain spaces or control characters"
    if not jsontext.encodable(value):
        return NOT_UNICODE
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"is not a valid URI ({exc})"
    if not parts.scheme:
        return "must be an absolute URI with a scheme, e.g. https://example.com/hook"
    if parts.scheme.lower() not in ("http", "https"):
        return f"must use http or https, not {parts.scheme}"
    if not parts.hostname:
        return "must name a host"
    return None


def check_secret(value: Any) -> str | None:
    """None (no secret) passes: `validate_request` decides what an explicit JSON null means."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a string"
    if len(value) < MIN_SECRET:
        return f"must be at least {MIN_SECRET} characters (got {len(value)})"
    if not jsontext.encodable(value):
        return NOT_UNICODE
    return None


CHECKS = {
    "event": check_event,
    "target_type": check_target_type,
    "target_url": check_target_url,
    "secret": check_secret,
}


def validate(body: Any) -> Registration | dict[str, str]:
    """The registration, or the reason for each invalid field (the 422 `fields`)."""
    if not isinstance(body, dict):
        return {"body": "must be a JSON object with event, target_type and target_url"}
    problems = {name: why for name, check in CHECKS.items() if (why := check(body.get(name)))}
    if problems:
        return problems
    return Registration(
        event=body["event"],
        target_type=body["target_type"],
        target_url=body["target_url"],
        secret=body.get("secret"),
    )


def validate_request(body: Any) -> Registration | dict[str, str]:
    """`POST /webhooks`: as `validate`, and `"secret": null` is refused.

    Kardow documents the secret as optional and as a string of at least 16 characters; null is
    neither a string nor an absent field. Taking it as "no secret" would register an unsigned
    target for a client that meant to send one (a variable left unset), and nothing would say so.
    """
    result = validate(body)
    if isinstance(body, dict) and "secret" in body and body["secret"] is None:
        fields = result if isinstance(result, dict) else {}
        return {**fields, "secret": NULL_SECRET}
    return result


def parse_body(raw: bytes) -> Any:
    """The request's JSON, or raise ValueError with a sentence saying why it is not JSON."""
    return jsontext.parse(raw, "The request body")
