"""Signing schemes in words and in JSON, the same for the command line and the window."""

from __future__ import annotations

from typing import Any

from hookscope.core import providers
from hookscope.core.providers.scheme import Scheme


def built_in_scheme(name: str) -> Scheme | None:
    """The description of a built-in provider that is an HMAC scheme (GitHub, Slack, ...);
    None for one with its own rules (Kardow, Kudoz, Standard Webhooks, Stripe)."""
    scheme = getattr(providers.REGISTRY.get(name), "scheme", None)
    return scheme if isinstance(scheme, Scheme) else None


def describe(scheme: Scheme) -> str:
    """One line: the header and what it holds, then the timestamp and id headers if any.

    e.g. `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of {body}>`.
    """
    signed = scheme.signed.replace("\n", "\\n")  # one line, as typed
    text = (
        f"{scheme.header}: {scheme.prefix}<{scheme.encoding} HMAC-{scheme.algorithm.upper()}"
        f" of {signed}>"
    )
    if scheme.timestamp_header:
        text += f"; time in {scheme.timestamp_header} (±{scheme.tolerance} s)"
    if scheme.id_header:
        text += f"; id in {scheme.id_header}"
    return text


def scheme_json(name: str, scheme: Scheme | None, *, built_in: bool) -> dict[str, Any]:
    """A scheme as `schemes list --json` prints it: its fields null when not an HMAC scheme."""
    fields: dict[str, Any] = {
        "header": None,
        "prefix": None,
        "algorithm": None,
        "encoding": None,
        "signed": None,
        "timestamp_header": None,
        "tolerance": None,
        "id_header": None,
    }
    if scheme is not None:
        fields = {key: getattr(scheme, key) for key in fields}
    return {"name": name, "built_in": built_in, **fields}
