"""Text the body view shows around a body: limit sizes, and one-line JSON summaries for the
tree. (What a body is and its pretty, raw and hex text come from core.contentviews, shared with
the command line.)"""

from __future__ import annotations

import json
import re
from typing import Any

from hookscope.core.contentviews import KB, MB, human_size

VALUE_CHARS = 300  # characters of a string shown in a tree cell

# The tokens of indented JSON that are coloured, one group each: a key, a string, a number and
# true/false/null. One pass per line, left to right: a string is consumed whole, so digits in
# it are not numbers.
JSON_TOKENS = (
    r'("(?:[^"\\]|\\.)*"(?=\s*:))'
    r'|("(?:[^"\\]|\\.)*")'
    r"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|\b(true|false|null)\b"
)
JSON_GROUPS = ("key", "string", "number", "literal")
# A line this long (a huge string value) is not worth colouring.
HIGHLIGHT_LINE_LIMIT = 20_000
_JSON_TOKENS = re.compile(JSON_TOKENS, re.ASCII)  # as QRegularExpression: ASCII digits


def json_tokens(line: str) -> list[tuple[int, int, str]]:
    """Where the coloured tokens of one line of indented JSON are: (start, length, group)."""
    if len(line) > HIGHLIGHT_LINE_LIMIT:
        return []
    found: list[tuple[int, int, str]] = []
    for match in _JSON_TOKENS.finditer(line):
        group = match.lastindex or 1
        found.append(
            (match.start(group), match.end(group) - match.start(group), JSON_GROUPS[group - 1])
        )
    return found


def limit_size(size: int) -> str:
    """256 KB, 1 MB: limits read better without the decimal human_size() gives."""
    if size % MB == 0:
        return f"{size // MB} MB"
    if size < MB and size % KB == 0:
        return f"{size // KB} KB"
    return human_size(size)


def json_summary(value: Any) -> str:
    """One line for a tree cell: containers are counted, strings quoted and escaped."""
    if isinstance(value, dict):
        count = len(value)
        return f"{{{count:,} key{'' if count == 1 else 's'}}}" if count else "{}"
    if isinstance(value, list):
        count = len(value)
        return f"[{count:,} item{'' if count == 1 else 's'}]" if count else "[]"
    if isinstance(value, str) and len(value) > VALUE_CHARS:
        return json.dumps(value[:VALUE_CHARS], ensure_ascii=False) + "…"
    return json.dumps(value, ensure_ascii=False)
