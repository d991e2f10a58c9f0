"""What the settings forms accept, as plain functions: no Qt.

Each returns the value the form describes, or why it cannot be used (one sentence, shown in
the dialog). Kept apart from the widgets so the command line can share them.
"""

from __future__ import annotations

from hookscope.core.model import Credential, SendPolicy
from hookscope.core.providers.kudoz import DEFAULT_TEMPLATE, check_template

KB = 1024
MB = 1024 * KB
KARDOW_MIN_SECRET = 16
MAX_RETRIES = 10
MAX_RESPONSE_LIMIT = 100 * MB


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
        if 0 < len(secret) < KARDOW_MIN_SECRET:
            return (
                f"Kardow requires secrets of at least {KARDOW_MIN_SECRET} characters; "
                "it will be stored anyway."
            )
        return ""
    template = read_template(template_text)
    if template and ("{uuid}" not in template or "{timestamp}" not in template):
        return "A template without {uuid} and {timestamp} leaves the token open to replays."
    return ""


def read_credential(
    provider: str, name: str, secret: str, api_key: str = "", template_text: str = ""
) -> Credential | str:
    """The credential a form describes (`name` and `api_key` stripped already), or why not."""
    if not name:
        return "The name is empty."
    if provider == "kardow":
        return Credential("kardow", name, secret) if secret else "The secret is empty."
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


def check_policy(policy: SendPolicy) -> str | None:
    """Why these timeouts and retries cannot be used (a sentence), or None."""
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
        return f"The response body limit must be between 1 byte and {MAX_RESPONSE_LIMIT // MB} MB."
    return None
