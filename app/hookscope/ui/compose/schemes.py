"""What the composer says and offers for the schemes fired as a raw body: no Qt.

Kardow and Kudoz events come from the catalogue; every other scheme (Standard Webhooks,
Stripe, GitHub, Slack, Shopify, the user's own) sends the editor's JSON exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hookscope.core.fire import title
from hookscope.core.providers import REGISTRY, Scheme, kardow, kudoz, names
from hookscope.core.schemefire import EVENT_HEADERS, SAMPLES, sample_body

# Events offered where the scheme carries its event in a header (any other may be typed).
EVENT_CHOICES = {
    "github": ("ping", "push", "pull_request", "issues", "release", "workflow_run"),
    "shopify": (
        "orders/create",
        "orders/paid",
        "products/update",
        "customers/create",
        "app/uninstalled",
    ),
}


def raw_schemes(custom: Sequence[Scheme] = ()) -> list[tuple[str, str]]:
    """(name, title) of every scheme fired as a raw body: the built-in ones, then the user's."""
    return [
        (name, title(name, custom))
        for name in names(custom)
        if name not in (kardow.name, kudoz.name)
    ]


def sample_text(scheme: str) -> str:
    """The editor's starting body for `scheme`: its sample event, indented to be edited."""
    if scheme in SAMPLES:
        return json.dumps(SAMPLES[scheme], indent=2, ensure_ascii=False) + "\n"
    return json.dumps(json.loads(sample_body(scheme)), indent=2) + "\n"


def scheme_note(scheme: str, named: str) -> str:
    """What the composer says about how `scheme` is sent (`named`: its title)."""
    if scheme in EVENT_HEADERS:
        where = f"The event goes in {EVENT_HEADERS[scheme][0]}"
    elif scheme in REGISTRY:
        where = f"{named} names its event in the body"
    else:  # the user's own: its name is a lowercase word
        where = f"The {named} scheme names its event in the body"
    return (
        f"{where}. The body below is sent exactly as written, signed the {named} way with the "
        "credential chosen."
    )


def no_credential(named: str) -> str:
    """Why nothing can sign: no secret of the scheme is stored, and where to add one."""
    return (
        f"No {named} secret is stored, so nothing can sign the request. Add one in "
        "Settings > Secrets."
    )


def body_problem(text: str) -> str | None:
    """Why the editor's text is not a JSON body to send, or None (any JSON value will do)."""
    try:
        json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        return f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
    except (ValueError, RecursionError) as error:
        return f"Invalid JSON: {error}."
    return None


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON (JavaScript accepts it, JSON does not)")
