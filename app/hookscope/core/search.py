"""The search language of the capture list and `captures list --search`, and the text it reads.

A search is words, "quoted phrases" and field filters, all required:

- A word or a phrase is found anywhere inside the path, the headers or the body (inside words
  too: `nich` finds `Munich`), case-insensitively, punctuation included. JSON bodies are
  searched as decoded text: `é` finds a body that wrote it `\\u00e9`.
- `path.to.field:value` keeps the JSON bodies whose field has that value: `data.status:active`,
  `items[0].id:7`, `a.b:"two words"`. A path is names separated by dots, each name made of
  letters, digits, `_`, `-`, `$` or `@`, the first not starting with a digit, each optionally
  followed by array indexes `[N]` (a path may also start with one: `[0].id:7`). The value is
  compared with the field as a JSON scalar: a string equal to it (case-insensitively), a
  number equal to it as a number (`count:3` finds 3, 3.0 and "3"), or `true`, `false`,
  `null`. Objects and arrays match no value.
- Anything else with a colon is text: `http://x`, `12:30`, `x-tenant:` (nothing after the
  colon), and any quoted phrase (`"localhost:8080"`).
- Inside a phrase, `\\"` is a quote and `\\\\` a backslash; elsewhere a quote or a backslash
  is an ordinary character. An opening quote without its closing one is the one mistake.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

Step = str | int  # an object member's name, or an array index


class SearchError(ValueError):
    """The search cannot be read; the message is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """`path:value`: the JSON body's field at `path` equals `value` (see the module docs)."""

    path: tuple[Step, ...]
    value: str

    @property
    def number(self) -> int | float | None:
        """The value as a JSON number, when it is one."""
        if not _NUMBER.fullmatch(self.value):
            return None
        if _INTEGER.fullmatch(self.value):
            return int(self.value)
        return float(self.value)

    @property
    def literal(self) -> str | None:
        """`true`, `false` or `null` when the value is one of them (in any case)."""
        folded = self.value.lower()
        return folded if folded in ("true", "false", "null") else None


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search: texts to find anywhere, and field filters, all required."""

    texts: tuple[str, ...] = ()
    fields: tuple[FieldFilter, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.texts or self.fields)


_NAME = r"[^\W\d][\w$@-]*|[$@][\w$@-]*"
_INDEX = r"\[\d{1,9}\]"
_PATH = re.compile(rf"(?:{_NAME}|{_INDEX})(?:{_INDEX})*(?:\.(?:[\w$@-]+)(?:{_INDEX})*)*")
_STEP = re.compile(r"\[(\d+)\]|\.?([\w$@-]+)")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"-?(?:0|[1-9]\d{0,17})")
_SPACE = re.compile(r"\s+")

UNCLOSED = 'The search has a quote that is not closed: end the phrase with ", or remove the quote.'


def parse(text: str) -> Search:
    """The search in `text`; SearchError (one sentence) when a quote is left open."""
    text = text.replace("\x00", "")
    texts: list[str] = []
    fields: list[FieldFilter] = []
    at = 0
    while True:
        space = _SPACE.match(text, at)
        if space:
            at = space.end()
        if at >= len(text):
            break
        if text[at] == '"':
            phrase, at = _phrase(text, at)
            if phrase:
                texts.append(phrase)
            continue
        end = _word_end(text, at)
        word = text[at:end]
        field = _field(word)
        if field is not None and end < len(text) and text[end] == '"' and not field[1]:
            value, at = _phrase(text, end)  # `path:"two words"`
            fields.append(FieldFilter(field[0], value))
            continue
        at = end
        if field is not None and field[1]:
            fields.append(FieldFilter(*field))
        else:
            texts.append(word)
    return Search(tuple(texts), tuple(fields))


def problem(text: str) -> str | None:
    """Why `text` is not a search, or None."""
    try:
        parse(text)
    except SearchError as exc:
        return str(exc)
    return None


def _word_end(text: str, at: int) -> int:
    """Where the word starting at `at` ends: at a space, or at a quote that opens a value."""
    space = _SPACE.search(text, at)
    end = space.start() if space else len(text)
    colon = text.find(':"', at, end)
    if colon != -1 and _PATH.fullmatch(text, at, colon):
        return colon + 1
    return end


def _phrase(text: str, at: int) -> tuple[str, int]:
    """The phrase whose opening quote is at `at`, and where it ends."""
    chars: list[str] = []
    i = at + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            chars.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise SearchError(UNCLOSED)


def _field(word: str) -> tuple[tuple[Step, ...], str] | None:
    """`(path, value)` when `word` is a field filter (the value may be empty), else None."""
    name, colon, value = word.partition(":")
    if not colon or not _PATH.fullmatch(name) or value.startswith("//"):
        return None
    steps: list[Step] = []
    for index, key in _STEP.findall(name):
        steps.append(int(index) if index else key)
    return tuple(steps), value


def fold(text: str) -> str:
    """Text as search compares it: case folded the way the index folds it (to lower case)."""
    return text.lower()


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def decoded_json(text: str) -> str:
    """`text` with the escapes in its JSON strings decoded, when it is JSON; else `text`.

    The layout stays as it was, so a piece copied from the raw body is still found; only
    the strings that hold an escape (`\\u00e9`, `\\n`, `\\"`) are written out as the
    characters they stand for. The index and the search of what it has not reached yet both
    read this text, and the index's delete trigger reads it again: change it only with a
    migration that rebuilds the index.
    """
    if "\\" not in text:
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return text
    return _STRING.sub(_decode_string, text)


def _decode_string(match: re.Match[str]) -> str:
    literal = match.group()
    if "\\" not in literal:
        return literal
    value: str = json.loads(literal)
    if not value.isascii() and _LONE_SURROGATE.search(value):
        return literal  # no UTF-8 form: keep the escape
    return '"' + value.replace("\x00", " ") + '"'


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def header_text(headers: list[tuple[str, str]]) -> str:
    """Headers as the detail shows them and as search finds them: `Name: value` lines."""
    return "\n".join(f"{name}: {value}" for name, value in headers)
