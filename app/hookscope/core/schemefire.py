"""Firing any signing scheme but Kardow's and Kudoz's: a raw body, sent byte for byte, signed
the scheme's way (pure).

Kardow and Kudoz events are built from the catalogue (fire.py); the other schemes' senders
(Standard Webhooks, Stripe, GitHub, Slack, Shopify, the user's own) have no envelope of ours:
what is sent is exactly the body given, with the scheme's event header where it has one, and
its signature made again, with a new delivery id and timestamp, as each attempt leaves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from hookscope.core.checks import check_target_url
from hookscope.core.fire import (
    DELIVERY_HEADER,
    USER_AGENT,
    FireError,
    made_words,
    new_fire_id,
    sign,
    signer_of,
    title,
)
from hookscope.core.http import Headers, Request
from hookscope.core.model import Capture, Credential, Header, Outgoing, Plan, Signing
from hookscope.core.providers import Scheme, kardow, kudoz, names, provider

# Schemes whose event travels in a header, not in the body: the header and the event sent when
# none is given (GitHub's first delivery to a new hook is a `ping`).
EVENT_HEADERS = {
    "github": ("X-GitHub-Event", "ping"),
    "shopify": ("X-Shopify-Topic", "orders/create"),
}

# A body each scheme's senders might send, for when none is given (compact JSON, sent as is).
SAMPLES = {
    "standard-webhooks": {
        "type": "user.created",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {"id": "user_1", "email": "ada@example.com"},
    },
    "stripe": {
        "id": "evt_test_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_test_1", "object": "payment_intent", "amount": 2000}},
    },
    "github": {"zen": "Keep it logically awesome.", "hook_id": 1},
    "slack": {
        "type": "event_callback",
        "event": {"type": "app_mention", "text": "<@U0LAN0Z89> hello", "user": "U061F7AUR"},
    },
    "shopify": {"id": 820982911946154508, "email": "jon@example.com", "total_price": "10.00"},
}
OTHER_SAMPLE = {"event": "test", "data": {"id": 1}}


def sample_body(scheme: str) -> bytes:
    """The body sent for `scheme` when none is given (JSON)."""
    return json.dumps(SAMPLES.get(scheme, OTHER_SAMPLE), separators=(",", ":")).encode("utf-8")


def content_type(body: bytes) -> str:
    """`application/json` when the bytes are JSON (UTF-8), else `application/octet-stream`."""
    try:
        json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "application/octet-stream"
    return "application/json"


def firable(scheme: str, schemes: Sequence[Scheme] = ()) -> str | None:
    """Why `scheme` cannot be fired as a raw body, or None (Kardow and Kudoz have their own)."""
    if scheme in (kardow.name, kudoz.name):
        return f"{scheme.capitalize()} events are fired from their templates, not as a raw body."
    if provider(scheme, schemes) is None:
        known = [n for n in names(schemes) if n not in (kardow.name, kudoz.name)]
        return f"There is no signing scheme named {scheme!r}: use one of {', '.join(known)}."
    return None


def plan_scheme(
    scheme: str,
    body: bytes,
    *,
    url: str,
    credential: Credential,
    now: datetime,
    event: str | None = None,
    schemes: Sequence[Scheme] = (),
    fire_id: str | None = None,
) -> Plan:
    """`body` to `url`, exactly, signed with `credential` the way `scheme` signs.

    The signature shown is made at `now` (sample values for the preview); it is made again with
    a new id and timestamp as each attempt leaves. `event` goes in the scheme's event header
    (GitHub, Shopify; their default when None); other schemes carry their event in the body.
    Raises FireError (one sentence) when nothing can be sent.
    """
    if why := firable(scheme, schemes):
        raise FireError(why)
    found = signer_of(scheme, schemes)
    named = title(scheme, schemes)
    if problem := check_target_url(url):
        raise FireError(f"The URL {problem}.")
    if credential.provider != scheme:
        raise FireError(
            f"The secret {credential.name!r} is for {credential.provider}, not {scheme}."
        )
    headers: list[Header] = [("Content-Type", content_type(body)), ("User-Agent", USER_AGENT)]
    event_header = EVENT_HEADERS.get(scheme)
    if event_header is not None:
        header, default = event_header
        chosen = (event or default).strip()
        if not chosen or any(ord(c) < 0x20 or ord(c) == 0x7F for c in chosen):
            raise FireError(f"The {named} event must be a word such as {default!r}.")
        headers.append((header, chosen))
    elif event is not None:
        raise FireError(
            f"{named} carries its event in the body, not in a header: leave the event out."
        )
    fire_id = fire_id or new_fire_id()
    headers.append((DELIVERY_HEADER, fire_id))
    signed = sign(
        found,
        credential,
        method="POST",
        url=url,
        body=body,
        headers=Headers(headers),
        now=now.timestamp(),
    )
    path = urlsplit(url).path or "/"
    named_event = found.event(Capture(Request("POST", path, signed, body))) or ""
    outgoing = Outgoing(
        url=url,
        body=body,
        headers=signed,
        kind="webhook",
        event=named_event or None,
        note=f"signed the {named} way with {credential.name!r}",
        signing=Signing(scheme, credential.name, made_words(found)),
    )
    return Plan(fire_id, scheme, named_event, body, (outgoing,))
