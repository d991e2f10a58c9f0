"""Kardow's `POST /webhooks` body, validated field by field as the documented API does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookscope.core import jsontext
from hookscope.core.checks import MIN_SECRET as MIN_SECRET  # re-exported
from hookscope.core.checks import check_event, check_target_type, check_target_url
from hookscope.core.checks import check_secret as check_secret  # re-exported

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
