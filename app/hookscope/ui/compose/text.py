"""What the sending side says and checks, as plain functions: no Qt.

The request preview's text, the event editor's JSON check, a fire's summary and what of a
capture's body can be edited for a replay.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hookscope.core.model import Attempt, Capture
from hookscope.ui.formats import human_size

EDIT_LIMIT = 1024 * 1024  # larger bodies are replayed as captured: an editor would crawl


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
