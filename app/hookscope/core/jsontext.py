"""JSON from outside: read with one sentence for each way it can be wrong, written as UTF-8."""

from __future__ import annotations

import json
import re
from typing import Any

# Deeper than any webhook payload needs, and well inside what the recursive code that walks a
# value (templates, chat formatting, json.dumps) can follow before Python's recursion limit.
MAX_DEPTH = 100

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse(raw: bytes, what: str) -> Any:
    """The JSON value in `raw`, or ValueError with one sentence about `what` (its subject).

    Strict where Python's json module is lenient: NaN and Infinity are refused (no other JSON
    reader takes them, and they could not be sent on), and so is nesting over MAX_DEPTH.
    """
    if not raw.strip():
        raise ValueError(f"{what} is empty; it must hold a JSON object.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        raise ValueError(
            f"{what} is not UTF-8 text (byte 0x{byte:02x} at offset {exc.start})."
        ) from exc
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from exc
    except RecursionError as exc:
        raise ValueError(f"{what} is nested more than {MAX_DEPTH} levels deep.") from exc
    except ValueError as exc:  # NaN, or an integer longer than Python converts (4300 digits)
        raise ValueError(f"{what} is not valid JSON: {exc}.") from exc
    if too_deep(value):
        raise ValueError(f"{what} is nested more than {MAX_DEPTH} levels deep.")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when arrays and objects nest more than `limit` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


def dumps_utf8(value: Any, **options: Any) -> bytes:
    """`json.dumps(value, ensure_ascii=False, **options)` as UTF-8 bytes, whatever it holds.

    A lone surrogate (JSON allows "\\ud800", and json.loads returns it as is) has no UTF-8
    form: it is written as its \\uXXXX escape, as JavaScript's JSON.stringify does, so the
    value read back is the same and every other character stays readable.
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_escape, text).encode("utf-8")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def encodable(text: str) -> bool:
    """True when `text` can be written as UTF-8 (it holds no lone surrogate)."""
    return text.isascii() or _LONE_SURROGATE.search(text) is None


def json_type(value: Any) -> str:
    """JSON's name for the type of a parsed value: object, array, string, boolean, null, number."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
