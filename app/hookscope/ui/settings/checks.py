"""What the settings forms accept, as plain functions: no Qt.

Each returns the value the form describes, or why it cannot be used (one sentence, shown in
the dialog). The rules themselves are core/checks, shared with the command line and the emulator.
"""

from __future__ import annotations

from collections.abc import Collection

from hookscope.core.checks import MAX_RESPONSE_LIMIT as MAX_RESPONSE_LIMIT  # re-exported
from hookscope.core.checks import MAX_RETRIES as MAX_RETRIES  # re-exported
from hookscope.core.checks import MIN_SECRET, check_public_key, check_scheme, check_template
from hookscope.core.checks import check_policy as check_policy  # re-exported
from hookscope.core.contentviews import KB as KB  # re-exported
from hookscope.core.contentviews import MB as MB  # re-exported
from hookscope.core.model import Credential
from hookscope.core.providers.kudoz import DEFAULT_TEMPLATE
from hookscope.core.providers.scheme import Scheme

STANDARD_WEBHOOKS = "standard-webhooks"  # its secrets may have an ed25519 public key instead
# How the window names the built-in schemes; a custom scheme is shown by its own name.
TITLES = {
    "kardow": "Kardow",
    "kudoz": "Kudoz",
    "standard-webhooks": "Standard Webhooks",
    "stripe": "Stripe",
    "github": "GitHub",
    "slack": "Slack",
    "shopify": "Shopify",
}


def scheme_title(name: str) -> str:
    return TITLES.get(name, name)


def parse_headers(text: str) -> tuple[tuple[str, str], ...] | str:
    """`Name: value` lines as header pairs (blank lines skipped), or why a line is not one."""
    headers: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return f"The header line {line.strip()!r} is not Name: value."
        headers.append((name.strip(), value.strip()))
    return tuple(headers)


def show_template(template: str) -> str:
    """A Kudoz signed-string template on one line: newlines written as \\n."""
    return template.replace("\n", "\\n")


def read_template(text: str) -> str:
    """A template as typed on one line, \\n back to newlines."""
    return text.replace("\\n", "\n")


def secret_advice(provider: str, secret: str, template_text: str) -> str:
    """Advice on a secret that does not prevent storing it ("" when there is none)."""
    if provider == "kardow":
        if 0 < len(secret) < MIN_SECRET:
            return (
                f"Kardow requires secrets of at least {MIN_SECRET} characters; "
                "it will be stored anyway."
            )
        return ""
    if provider != "kudoz":
        return ""
    template = read_template(template_text)
    if template and ("{uuid}" not in template or "{timestamp}" not in template):
        return "A template without {uuid} and {timestamp} leaves the token open to replays."
    return ""


def read_credential(
    provider: str, name: str, secret: str, api_key: str = "", template_text: str = ""
) -> Credential | str:
    """The credential a form describes (`name` and `api_key` stripped already), or why not.

    `api_key` is Kudoz's API key, or Standard Webhooks' public key; other schemes have none.
    """
    if not name:
        return "The name is empty."
    if provider == "kudoz":
        return _kudoz_credential(name, secret, api_key, template_text)
    if provider == STANDARD_WEBHOOKS and api_key:
        return check_public_key(api_key) or Credential(provider, name, secret, api_key)
    if not secret:
        if provider == STANDARD_WEBHOOKS:
            return "Give the secret, the public key or both."
        return "The secret is empty."
    return Credential(provider, name, secret)


def _kudoz_credential(name: str, secret: str, api_key: str, template_text: str) -> Credential | str:
    if not api_key or ":" in api_key:
        return "The API key must be non-empty and contain no colon."
    if not secret:
        return "The API secret is empty."
    template = read_template(template_text)
    problem = check_template(template)
    if problem:
        return problem
    # The default is stored as "none given": verification then tries every known template.
    chosen = None if template == DEFAULT_TEMPLATE else template
    return Credential("kudoz", name, secret, api_key, chosen)


def read_scheme(
    fields: dict[str, str], tolerance: int, taken: Collection[str] = ()
) -> Scheme | str:
    """The custom scheme a form describes, or the first thing wrong with it (a sentence).

    `fields` holds the form's texts by Scheme field name; an empty timestamp or id header is
    none, and \\n in the signed template is a newline.
    """
    timestamp_header = fields.get("timestamp_header", "").strip()
    id_header = fields.get("id_header", "").strip()
    scheme = Scheme(
        name=fields.get("name", "").strip(),
        header=fields.get("header", "").strip(),
        prefix=fields.get("prefix", ""),
        algorithm=fields.get("algorithm", ""),
        encoding=fields.get("encoding", ""),
        signed=read_template(fields.get("signed", "")),
        timestamp_header=timestamp_header or None,
        tolerance=tolerance,
        id_header=id_header or None,
    )
    return check_scheme(scheme, taken) or scheme
