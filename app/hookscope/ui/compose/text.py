"""What the sending side says and checks, as plain functions: no Qt.

The request preview's text, the event editor's JSON check, a fire's summary and what of a
capture's body can be edited for a replay.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from hookscope.core.contentviews import hexdump
from hookscope.core.fire import wire_headers
from hookscope.core.model import Attempt, Capture, Outgoing
from hookscope.ui.formats import human_size

TEXT_LIMIT = 256 * 1024  # characters of a body shown as text (the rest is said, not shown)
HEX_LIMIT = 64 * 1024  # bytes of a binary body shown as a hex dump
EDIT_LIMIT = 1024 * 1024  # larger bodies are replayed as captured: an editor would crawl


def body_text(body: bytes) -> tuple[str, str]:
    """A body as the preview shows it, and a note on what the text is when it is not just it.

    UTF-8 text is shown as is (never re-indented: the bytes are the truth); anything else as a
    hex dump. Long bodies are cut for display only.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        shown = hexdump(body[:HEX_LIMIT])
        note = f"Binary body ({human_size(len(body))}, not UTF-8 text): shown as a hex dump"
        if len(body) > HEX_LIMIT:
            note += f" of its first {human_size(HEX_LIMIT)}"
        return shown, note + "."
    if len(text) > TEXT_LIMIT:
        return text[:TEXT_LIMIT], (
            f"Showing the first {TEXT_LIMIT:,} characters of the {human_size(len(body))} body; "
            "all of it is sent."
        )
    return text, ""


def request_text(request: Outgoing) -> tuple[str, str]:
    """One request as it goes out: request line, headers as on the wire, a blank line, the body.

    Returns the text and a note about the body (see `body_text`).
    """
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{request.method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in wire_headers(request)]
    body, note = body_text(request.body)
    return "\n".join(lines) + "\n\n" + body, note


def summary(attempts: Sequence[Attempt]) -> str:
    """ "3 delivered, 1 failed"."""
    delivered = sum(1 for attempt in attempts if attempt.ok)
    failed = len(attempts) - delivered
    return f"{delivered} delivered, {failed} failed" if failed else f"{delivered} delivered"


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON (JavaScript accepts it, JSON does not)")


def parse_data(text: str) -> dict[str, Any] | str:
    """The editor's text as a JSON object, or why it is not one (a sentence naming the place)."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        return f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
    except ValueError as error:
        return f"Invalid JSON: {error}."
    if not isinstance(value, dict):
        return f"The data must be a JSON object ({{…}}), not {_json_type(value)}."
    return value


def editable_text(capture: Capture) -> str | None:
    """The body as text to edit, or None when it cannot be (binary, or too large)."""
    if capture.body_size > EDIT_LIMIT:
        return None
    try:
        text = capture.body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def can_edit_body(capture: Capture | None, capture_id: int) -> str | None:
    """Why a capture's body cannot be edited as text for a replay, or None when it can."""
    if capture is None:
        return f"There is no capture #{capture_id}."
    if capture.body_size > EDIT_LIMIT:
        return (
            f"The body is too large to edit here ({human_size(capture.body_size)}; "
            f"up to {human_size(EDIT_LIMIT)}); it can be replayed as captured."
        )
    if editable_text(capture) is None:
        return (
            f"The body is binary ({human_size(capture.body_size)}, not UTF-8 text), so "
            "it cannot be edited here; it can be replayed as captured."
        )
    return None
