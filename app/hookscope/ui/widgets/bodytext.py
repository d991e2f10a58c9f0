"""A body as text: what it is (JSON, form, text, binary), pretty, raw and hex; pure, no Qt.

Bounded: every view is cut at a limit the caller gives, and long work checks `cancelled()` so a
newer body can replace it. The body view shows these in the window.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from hookscope.ui.formats import human_size

KB = 1024
MB = 1024 * KB
# A tree row shows this many characters of a string value; the tree keeps all of it.
VALUE_CHARS = 300

Kind = Literal["empty", "json", "form", "text", "binary"]

_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))
_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False)
_CHECK_EVERY = 4096


class Superseded(Exception):
    """A newer body or limit replaced the one being formatted; its work is thrown away."""


@dataclass(frozen=True)
class Analysis:
    """What a body is; computed once per body (the JSON parse is the expensive part)."""

    kind: Kind
    size: int
    document: Any = None
    # The decoded pairs of a form body; the charset of a text body.
    form_text: str = ""
    encoding: str = "utf-8"
    notice: str = ""
    mime: str = ""


@dataclass(frozen=True)
class Rendering:
    """The text of each view for one set of display limits."""

    pretty: str
    raw: str
    hex: str
    pretty_cut: bool
    raw_cut: bool
    hex_cut: bool


def _parse_content_type(content_type: str) -> tuple[str, str]:
    """The lowercase media type and the charset parameter ("" when absent or unknown)."""
    mime, _, params = content_type.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = ""
    return mime.strip().lower(), charset


def _decode_prefix(data: bytes, limit: int | None, encoding: str) -> tuple[str, bool]:
    """The first `limit` bytes as text, never ending in half a character; and whether cut."""
    if limit is None or len(data) <= limit:
        return data.decode(encoding, errors="replace"), False
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[:limit], final=False), True


def _decode_strict(body: bytes, encoding: str, *, final: bool) -> str | None:
    """The body as text, or None when it is not text in that encoding."""
    try:
        # A body cut on receipt may end in half a character: that alone does not make it binary.
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(body, final=final)
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _form_text(text: str, encoding: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="replace")
    return "\n".join(f"{name} = {value}" for name, value in pairs)


def analyse(body: bytes, content_type: str = "", *, truncated: bool = False) -> Analysis:
    """Decide what `body` is: JSON (parsed), a form, text in some charset, binary, or empty."""
    size = len(body)
    mime, charset = _parse_content_type(content_type)
    if not body:
        return Analysis("empty", size, mime=mime)
    encoding = charset or "utf-8"
    text = _decode_strict(body, encoding, final=not truncated)
    if text is None and charset and charset != "utf-8":
        encoding = "utf-8"
        text = _decode_strict(body, encoding, final=not truncated)
    if text is None:
        return Analysis("binary", size, mime=mime)
    notice = ""
    if "json" in mime or _JSON_START.match(body):
        duplicates = False

        def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            nonlocal duplicates
            obj = dict(pairs)
            duplicates = duplicates or len(obj) != len(pairs)
            return obj

        try:
            document = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=pairs_hook)
        except json.JSONDecodeError as error:
            notice = (
                f"Not valid JSON ({error.msg} at line {error.lineno} column {error.colno}): "
                "shown as text."
            )
            if truncated:
                notice += " The body was cut when it was received."
        except RecursionError:
            notice = "JSON nested too deeply to show as a tree: shown as text."
        else:
            if duplicates:
                notice = (
                    "Some objects repeat a key: the tree and the pretty text show only the last "
                    "value of each; Raw shows the body as received."
                )
            return Analysis("json", size, document=document, notice=notice, mime=mime)
    if mime == "application/x-www-form-urlencoded":
        return Analysis("form", size, form_text=_form_text(text, encoding), mime=mime)
    return Analysis("text", size, encoding=encoding, notice=notice, mime=mime)


def _cut_text(parts: list[str], limit: int) -> str:
    text = "".join(parts)[:limit]
    # End on a whole line when there is one.
    end = text.rfind("\n")
    return text[:end] if end > 0 else text


def pretty_json(
    document: Any, limit: int | None = None, cancelled: Callable[[], bool] = lambda: False
) -> tuple[str, bool]:
    """Indented JSON, at most `limit` characters (ending on a whole line); and whether cut."""
    parts: list[str] = []
    length = 0
    # With indent set, json's encoder is the pure-Python generator: stopping early is cheap.
    for count, chunk in enumerate(_ENCODER.iterencode(document)):
        parts.append(chunk)
        length += len(chunk)
        if limit is not None and length > limit:
            return _cut_text(parts, limit), True
        if count % _CHECK_EVERY == 0 and cancelled():
            raise Superseded
    return "".join(parts), False


def hexdump(data: bytes, cancelled: Callable[[], bool] = lambda: False) -> str:
    """`hexdump -C` lines: offset, 16 bytes in two groups of 8, and the printable ASCII."""
    lines: list[str] = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = chunk[:8].hex(" ")
        if len(chunk) > 8:
            hexes += "  " + chunk[8:].hex(" ")
        ascii_ = chunk.translate(_PRINTABLE).decode("ascii")
        lines.append(f"{offset:08x}  {hexes:<48}  |{ascii_}|")
        if offset % (16 * _CHECK_EVERY) == 0 and cancelled():
            raise Superseded
    return "\n".join(lines)


def render(
    body: bytes,
    analysis: Analysis,
    text_limit: int | None,
    hex_limit: int | None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Rendering:
    """The text of every view of `body`, cut at the limits (None: everything)."""
    raw, raw_cut = _decode_prefix(body, text_limit, "utf-8")
    if cancelled():
        raise Superseded
    pretty_cut = False
    if analysis.kind == "json":
        try:
            pretty, pretty_cut = pretty_json(analysis.document, text_limit, cancelled)
        except RecursionError:
            # Parsing nests in C, encoding in Python generators: a little less deep.
            pretty, pretty_cut = raw, raw_cut
    elif analysis.kind == "form":
        pretty = analysis.form_text
        if text_limit is not None and len(pretty) > text_limit:
            pretty, pretty_cut = _cut_text([pretty], text_limit), True
    elif analysis.kind == "text":
        if analysis.encoding == "utf-8":
            pretty, pretty_cut = raw, raw_cut
        else:
            pretty, pretty_cut = _decode_prefix(body, text_limit, analysis.encoding)
    elif analysis.kind == "binary":
        what = f" ({analysis.mime})" if analysis.mime else ""
        pretty = f"Binary body{what}, {human_size(len(body))} — see Hex"
    else:
        pretty = ""
    shown = body if hex_limit is None else body[:hex_limit]
    return Rendering(
        pretty=pretty,
        raw=raw,
        hex=hexdump(shown, cancelled),
        pretty_cut=pretty_cut,
        raw_cut=raw_cut,
        hex_cut=len(shown) < len(body),
    )


def limit_size(size: int) -> str:
    """256 KB, 1 MB: limits read better without the decimal human_size() gives."""
    if size % MB == 0:
        return f"{size // MB} MB"
    if size < MB and size % KB == 0:
        return f"{size // KB} KB"
    return human_size(size)


def json_type(value: Any) -> str:
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
