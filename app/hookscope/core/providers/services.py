"""GitHub, Slack and Shopify: schemes that fit the generic HMAC provider (docs/protocols.md)."""

from __future__ import annotations

from hookscope.core.model import Capture
from hookscope.core.providers.base import json_object
from hookscope.core.providers.hmacs import HmacProvider, body_type
from hookscope.core.providers.scheme import Scheme


def github_event(capture: Capture) -> str | None:
    """`X-GitHub-Event`, with the body's `action` when it has one (`issues.opened`), as
    Stripe's and Standard Webhooks' dotted types read; `ping` and `push` have no action."""
    event = capture.header("X-GitHub-Event")
    if not event:
        return None
    data = json_object(capture.body)
    action = data.get("action") if data else None
    return f"{event}.{action}" if isinstance(action, str) and action else event


def slack_event(capture: Capture) -> str | None:
    """An Events API callback's inner `event.type` (`app_mention`), else the body's `type`
    (`url_verification`); slash commands and interactions are forms and name none."""
    data = json_object(capture.body)
    inner = data.get("event") if data else None
    if isinstance(inner, dict) and isinstance(inner.get("type"), str):
        return str(inner["type"])
    return body_type(capture)


def shopify_event(capture: Capture) -> str | None:
    return capture.header("X-Shopify-Topic") or None


github = HmacProvider(
    Scheme(
        "github",
        "X-Hub-Signature-256",
        prefix="sha256=",
        algorithm="sha256",
        encoding="hex",
        id_header="X-GitHub-Delivery",
    ),
    title="GitHub",
    legacy=Scheme(
        "github",
        "X-Hub-Signature",
        prefix="sha1=",
        algorithm="sha1",
        encoding="hex",
        id_header="X-GitHub-Delivery",
    ),
    markers=("X-GitHub-Event",),
    event=github_event,
)

slack = HmacProvider(
    Scheme(
        "slack",
        "X-Slack-Signature",
        prefix="v0=",
        algorithm="sha256",
        encoding="hex",
        signed="v0:{timestamp}:{body}",
        timestamp_header="X-Slack-Request-Timestamp",
        tolerance=300,
    ),
    title="Slack",
    markers=("X-Slack-Request-Timestamp",),
    event=slack_event,
)

shopify = HmacProvider(
    Scheme(
        "shopify",
        "X-Shopify-Hmac-Sha256",
        algorithm="sha256",
        encoding="base64",
        id_header="X-Shopify-Webhook-Id",
    ),
    title="Shopify",
    markers=("X-Shopify-Topic",),
    event=shopify_event,
)
