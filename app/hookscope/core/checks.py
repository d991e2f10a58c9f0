"""Every rule on what a user types, once: `check_x(...) -> str | None`.

The sentence a check returns is the GUI's field error or tooltip, the CLI's error and the
emulator's 422 reason alike, so the three can never disagree.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from hookscope.core import jsontext, providers
from hookscope.core.model import ANY_EVENT, TARGET_TYPES, ResponseRule, SendPolicy
from hookscope.core.providers import kardow
from hookscope.core.providers.kudoz import PLACEHOLDERS
from hookscope.core.providers.scheme import Scheme
from hookscope.core.sending import MAX_CONCURRENCY

MIN_SECRET = 16  # Kardow's documented minimum for a webhook secret
MAX_URL = 2048
MAX_API_KEY = 256
MAX_RETRIES = 10
MAX_RESPONSE_LIMIT = 100 * 1024 * 1024
MAX_DELAY_MS = 600_000

# JSON may spell a lone surrogate ("\ud800"); it is no character, and cannot be stored or sent.
NOT_UNICODE = "must be valid Unicode text (it holds a lone \\ud800-\\udfff escape)"

# Headers that frame the message: the listener computes them, a rule must not contradict them.
FRAMING_HEADERS = ("content-length", "transfer-encoding")
# Hop-by-hop headers (RFC 9110 7.6.1) describe this connection, which the listener manages: a
# rule's "Connection: keep-alive" or "Upgrade" would promise what the listener does not do.
HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade")
# A header name is an RFC 9110 token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Control characters other than tab end or corrupt a header line (CR, LF, NUL, ...).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


# -- ports and addresses ---------------------------------------------------------------------


def check_port(value: int) -> str | None:
    if not 0 <= value <= 65535:
        return f"{value} is not a port number (0 to 65535)"
    return None


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> str | None:
    if not host.strip():
        return "The host is empty; 127.0.0.1 listens on this machine only."
    return None


# -- Kardow registrations (the emulator's fields, `targets add`, the Targets panel) ----------


def check_event(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if value != ANY_EVENT and value not in kardow.EVENTS:
        return f"must be one of {', '.join(kardow.EVENTS)}, or * for all events"
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
    """A Kardow webhook secret. None (no secret) passes: whether an explicit JSON null may
    stand for "none" is the caller's decision."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a string"
    if len(value) < MIN_SECRET:
        return f"must be at least {MIN_SECRET} characters (got {len(value)})"
    if not jsontext.encodable(value):
        return NOT_UNICODE
    return None


def check_kardow_event(event: str) -> str | None:
    if event not in kardow.EVENTS:
        return f"Unknown Kardow event {event!r}; use one of {', '.join(kardow.EVENTS)}."
    return None


def check_org_id(org_id: object) -> str | None:
    if not isinstance(org_id, int) or isinstance(org_id, bool):
        return "The organization id must be an integer, as in Kardow's API."
    return None


# -- keys and templates ----------------------------------------------------------------------


def check_api_key(key: str) -> str | None:
    """An API key the emulator accepts."""
    if not key:
        return "An API key must not be empty."
    if len(key) > MAX_API_KEY:
        return f"An API key must be at most {MAX_API_KEY} characters."
    if any(ch.isspace() or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in key):
        return "An API key must not contain spaces or control characters (it travels in a header)."
    if not key.isascii():
        return "An API key must be ASCII (it travels in a header)."
    return None


def check_template(template: str) -> str | None:
    """A Kudoz signed-string template."""
    if not template:
        return "The template is empty."
    unknown = [m for m in re.findall(r"\{([^{}]*)\}", template) if m not in PLACEHOLDERS]
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        return f"Unknown placeholder {{{unknown[0]}}} in the template; use {known}."
    return None


# -- signing schemes -------------------------------------------------------------------------


def built_in_schemes() -> list[str]:
    """The names of the schemes Hookscope knows itself, in the registry's order."""
    return providers.names()


def check_scheme(scheme: Scheme, taken: Collection[str] = ()) -> str | None:
    """A custom scheme: the first of its problems, or a name a built-in scheme or another
    custom scheme (`taken`) already has."""
    if problems := scheme.problems():
        return problems[0]
    if scheme.name in built_in_schemes():
        return f"{scheme.name!r} is a built-in scheme: choose another name."
    if scheme.name in taken:
        return f"A scheme named {scheme.name!r} already exists."
    return None


def check_public_key(key: str) -> str | None:
    """A Standard Webhooks ed25519 public key: 32 bytes of base64, with or without `whpk_`."""
    try:
        raw = base64.b64decode(key.removeprefix("whpk_"), validate=True)
    except (binascii.Error, ValueError):
        return "The public key is not base64 (a Standard Webhooks key, with or without whpk_)."
    if len(raw) != 32:
        return f"The public key must be 32 bytes of base64 (ed25519); this one is {len(raw)}."
    return None


# -- sending ---------------------------------------------------------------------------------


def check_policy(policy: SendPolicy) -> str | None:
    """Timeouts and retries for fires and replays (the Sending settings, the CLI's flags)."""
    if policy.connect_timeout <= 0:
        return "The connect timeout must be more than 0 seconds."
    if policy.total_timeout <= 0:
        return "The total timeout must be more than 0 seconds."
    if policy.total_timeout < policy.connect_timeout:
        return (
            f"The total timeout ({policy.total_timeout:g} s) must be at least the connect "
            f"timeout ({policy.connect_timeout:g} s): it includes connecting."
        )
    if not 0 <= policy.retries <= MAX_RETRIES:
        return f"Retries must be between 0 and {MAX_RETRIES}."
    if policy.backoff < 0:
        return "The first wait must not be negative."
    if policy.max_backoff < policy.backoff:
        return (
            f"The longest wait ({policy.max_backoff:g} s) must be at least the first wait "
            f"({policy.backoff:g} s)."
        )
    if not 0 <= policy.jitter <= 1:
        return "Jitter must be between 0 and 100 %."
    if not 0 < policy.response_limit <= MAX_RESPONSE_LIMIT:
        limit = MAX_RESPONSE_LIMIT // (1024 * 1024)
        return f"The response body limit must be between 1 byte and {limit} MB."
    return None


MAX_KEEP_CAPTURES = 1_000_000_000
MAX_KEEP_DAYS = 100 * 365


def check_retention(max_captures: int, max_days: int) -> str | None:
    """How many captures to keep and for how many days (0: no limit; Settings, `serve`)."""
    if not 0 <= max_captures <= MAX_KEEP_CAPTURES:
        return (
            f"The number of captures to keep must be a whole number from 0 (no limit) to "
            f"{MAX_KEEP_CAPTURES:,}, not {max_captures}."
        )
    if not 0 <= max_days <= MAX_KEEP_DAYS:
        return (
            f"The days to keep captures must be a whole number from 0 (no limit) to "
            f"{MAX_KEEP_DAYS:,}, not {max_days}."
        )
    return None


def check_concurrency(value: int) -> str | None:
    """How many replays of a bulk replay may be in flight at once."""
    if not 1 <= value <= MAX_CONCURRENCY:
        return f"The concurrency must be a whole number from 1 to {MAX_CONCURRENCY}, not {value}."
    return None


# -- response rules --------------------------------------------------------------------------


def check_rule(rule: ResponseRule) -> str | None:
    """Why a rule cannot be saved, or None when it can.

    Also the engine's guard on stored rules: whatever passes renders a well-formed answer that
    the sender can read to its end.
    """
    if not rule.pattern:
        return "The path pattern is empty; use * to match every path."
    for what, text in (("path pattern", rule.pattern), ("body", rule.body)):
        if not jsontext.encodable(text):
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
    if not 0 <= rule.delay_ms <= MAX_DELAY_MS:
        return f"The delay must be between 0 and {MAX_DELAY_MS} ms."
    return _check_rule_headers(rule.headers)


def _check_rule_headers(headers: tuple[tuple[str, str], ...]) -> str | None:
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            return (
                f"Header {name!r} is not a valid header line: a name is letters, digits and "
                "!#$%&'*+-.^_`|~ only."
            )
        if _CONTROL.search(value) or not jsontext.encodable(value):
            return (
                f"Header {name!r} is not a valid header line: its value holds a line break, "
                "a control character or text that is not valid Unicode."
            )
        if name.lower() in FRAMING_HEADERS:
            return f"{name} is set by the listener from the body; leave it out of the rule."
        if name.lower() in HOP_BY_HOP:
            return f"{name} describes the connection, which the listener manages; leave it out."
    return None
