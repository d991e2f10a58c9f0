"""Content views: a body shown as pretty JSON, form fields, text, raw or a hex dump.

Toolkit-free and bounded, so the window's body view and `hookscope captures show --view` show
the same text from the same code. A view is a small object with a name, the kinds of body it
prettifies, and a `render()`; `VIEWS` is the registry. Adding a view (XML, say) is one class.
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl

Kind = Literal["empty", "json", "form", "text", "binary"]
Cancelled = Callable[[], bool]

KB = 1024
MB = 1024 * KB
HEX_ROW = 16  # bytes in a hexdump line

_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))
_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False)
_CHECK_EVERY = 4096


class Superseded(Exception):
    """`cancelled()` said the work is no longer wanted; what was done is thrown away."""


def _never() -> bool:
    return False


def human_size(size: int) -> str:
    if size < KB:
        return f"{size} B"
    if size < MB:
        return f"{size / KB:.1f} KB"
    return f"{size / MB:.1f} MB"


# -- what a body is ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """What a body is; computed once per body (the JSON parse is the expensive part).

    Attributes:
        document: the parsed JSON (kind "json").
        form_text: the decoded fields of a form, one `name = value` a line (kind "form").
        encoding: the charset the text decodes with (kinds "text" and "form").
        notice: a sentence to show above the body (not valid JSON, repeated keys, ...).
        detached: the body is JSON but `document` is not kept: it was parsed in another
            process (a huge body), which gave the pretty text (see `pretty_elsewhere`).
    """

    kind: Kind
    size: int
    document: Any = None
    form_text: str = ""
    encoding: str = "utf-8"
    notice: str = ""
    mime: str = ""
    detached: bool = False


def parse_content_type(content_type: str) -> tuple[str, str]:
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


def _decode_strict(body: bytes, encoding: str, *, final: bool) -> str | None:
    """The body as text, or None when it is not text in that encoding."""
    try:
        # A body cut on receipt may end in half a character: that alone does not make it binary.
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(body, final=final)
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def may_be_json(body: bytes, content_type: str = "") -> bool:
    """Whether `analyse` would try to parse `body` as JSON (cheap: the type and first bytes)."""
    return bool(body) and (
        "json" in parse_content_type(content_type)[0] or bool(_JSON_START.match(body))
    )


def analyse(body: bytes, content_type: str = "", *, truncated: bool = False) -> Analysis:
    """Decide what `body` is: JSON (parsed), a form, text in some charset, binary, or empty."""
    size = len(body)
    mime, charset = parse_content_type(content_type)
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
        document, notice = _parse_json(text, truncated)
        if document is not _NOT_JSON:
            return Analysis("json", size, document=document, notice=notice, mime=mime)
    if mime == "application/x-www-form-urlencoded":
        return Analysis("form", size, form_text=_form_text(text, encoding), mime=mime)
    return Analysis("text", size, encoding=encoding, notice=notice, mime=mime)


_NOT_JSON = object()


def _parse_json(text: str, truncated: bool) -> tuple[Any, str]:
    """The document and a notice; `_NOT_JSON` and why when the text is not JSON."""
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
        return _NOT_JSON, notice
    except RecursionError:
        return _NOT_JSON, "JSON nested too deeply to show as a tree: shown as text."
    if duplicates:
        return document, (
            "Some objects repeat a key: the tree and the pretty text show only the last "
            "value of each; Raw shows the body as received."
        )
    return document, ""


def _form_text(text: str, encoding: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="replace")
    return "\n".join(f"{name} = {value}" for name, value in pairs)


# -- content encodings -------------------------------------------------------------------------

# A compressed body is never inflated past this: a small gzip bomb must not fill the memory.
DECODED_LIMIT = 64 * MB


class EncodingError(ValueError):
    """A body does not decode as its Content-Encoding says (one sentence, without the subject)."""


def decode_content(body: bytes, content_encoding: str, limit: int = DECODED_LIMIT) -> bytes:
    """`body` with its Content-Encoding undone: gzip and deflate, several in the order applied.

    Raises EncodingError when a coding is unknown (br, zstd: not in the standard library), the
    data is not what it claims, or it would inflate past `limit` bytes.
    """
    codings = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
    data = body
    for coding in reversed(codings):  # the last coding listed was applied last
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, coding, limit)
        elif coding == "deflate":
            # RFC 9110 deflate is zlib-wrapped; some senders send raw deflate anyway.
            try:
                data = _inflate(data, zlib.MAX_WBITS, coding, limit)
            except EncodingError:
                data = _inflate(data, -zlib.MAX_WBITS, coding, limit)
        else:
            raise EncodingError(f"{coding} is not an encoding Hookscope can decode")
    return data


def _inflate(data: bytes, wbits: int, coding: str, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise EncodingError(f"it is not valid {coding} data ({exc})") from exc
    if inflater.unconsumed_tail:
        raise EncodingError(f"it inflates past {human_size(limit)}")
    if not inflater.eof:
        raise EncodingError(f"its {coding} data ends early")
    return out


# -- text helpers ------------------------------------------------------------------------------


def decode_prefix(data: bytes, limit: int | None, encoding: str) -> tuple[str, bool]:
    """The first `limit` bytes as text, never ending in half a character; and whether cut."""
    if limit is None or len(data) <= limit:
        return data.decode(encoding, errors="replace"), False
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[:limit], final=False), True


def _cut_text(parts: list[str], limit: int) -> str:
    text = "".join(parts)[:limit]
    # End on a whole line when there is one.
    end = text.rfind("\n")
    return text[:end] if end > 0 else text


def pretty_json(
    document: Any, limit: int | None = None, cancelled: Cancelled = _never
) -> tuple[str, bool]:
    """Indented JSON, at most `limit` characters (ending on a whole line); and whether cut."""
    blocks: list[str] = []
    parts: list[str] = []
    length = 0
    # With indent set, json's encoder is the pure-Python generator: stopping early is cheap.
    for count, chunk in enumerate(_ENCODER.iterencode(document)):
        parts.append(chunk)
        length += len(chunk)
        if limit is not None and length > limit:
            return _cut_text([*blocks, *parts], limit), True
        if count % _CHECK_EVERY == 0:
            if cancelled():
                raise Superseded
            # Joined as it goes: one join (and one free) of the millions of pieces of 50 MB
            # would hold the interpreter lock, and so the window, for half a second.
            blocks.append("".join(parts))
            parts.clear()
    return "".join([*blocks, *parts]), False


def hex_row(data: bytes, offset: int) -> str:
    """One `hexdump -C` line: the offset, 16 bytes from it in two groups of 8, and the
    printable ASCII (a row of the window's Hex view is made alone, when it is shown)."""
    chunk = data[offset : offset + HEX_ROW]
    hexes = chunk[:8].hex(" ")
    if len(chunk) > 8:
        hexes += "  " + chunk[8:].hex(" ")
    ascii_ = chunk.translate(_PRINTABLE).decode("ascii")
    return f"{offset:08x}  {hexes:<48}  |{ascii_}|"


def hexdump(data: bytes, cancelled: Cancelled = _never) -> str:
    """`hexdump -C` lines: offset, 16 bytes in two groups of 8, and the printable ASCII."""
    lines: list[str] = []
    for offset in range(0, len(data), HEX_ROW):
        lines.append(hex_row(data, offset))
        if offset % (HEX_ROW * _CHECK_EVERY) == 0 and cancelled():
            raise Superseded
    return "\n".join(lines)


# -- the views ---------------------------------------------------------------------------------


class ContentView(Protocol):
    """One way to show a body.

    Attributes:
        name: what the view is called (the CLI's `--view`, the GUI's tab).
        kinds: the kinds of body this view is the pretty view of (empty: never pretty).
    """

    name: str
    kinds: tuple[Kind, ...]

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        """The text, at most about `limit` characters (bytes for hex); and whether cut."""


class JsonView:
    name = "json"
    kinds: tuple[Kind, ...] = ("json",)

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        try:
            return pretty_json(analysis.document, limit, cancelled)
        except RecursionError:
            # Parsing nests in C, encoding in Python generators: a little less deep.
            return decode_prefix(body, limit, "utf-8")


class FormView:
    name = "form"
    kinds: tuple[Kind, ...] = ("form",)

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        text = analysis.form_text
        if limit is not None and len(text) > limit:
            return _cut_text([text], limit), True
        return text, False


class TextView:
    name = "text"
    kinds: tuple[Kind, ...] = ("text",)

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        return decode_prefix(body, limit, analysis.encoding)


class BinaryView:
    name = "binary"
    kinds: tuple[Kind, ...] = ("binary", "empty")

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        if analysis.kind == "empty":
            return "", False
        what = f" ({analysis.mime})" if analysis.mime else ""
        return f"Binary body{what}, {human_size(len(body))} — see Hex", False


class RawView:
    """The body as received, decoded as UTF-8 (undecodable bytes shown as U+FFFD)."""

    name = "raw"
    kinds: tuple[Kind, ...] = ()

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        return decode_prefix(body, limit, "utf-8")


class HexView:
    name = "hex"
    kinds: tuple[Kind, ...] = ()

    def render(
        self, body: bytes, analysis: Analysis, limit: int | None, cancelled: Cancelled
    ) -> tuple[str, bool]:
        shown = body if limit is None else body[:limit]
        return hexdump(shown, cancelled), len(shown) < len(body)


VIEWS: dict[str, ContentView] = {
    view.name: view
    for view in (JsonView(), FormView(), TextView(), BinaryView(), RawView(), HexView())
}


def pretty_view(analysis: Analysis) -> ContentView:
    """The view that shows this kind of body best."""
    return next(view for view in VIEWS.values() if analysis.kind in view.kinds)


@dataclass(frozen=True)
class Rendering:
    """The text of the pretty and raw views the window shows, for one display limit (its hex
    view makes each row from the bytes when it shows it: `hex_row`)."""

    pretty: str
    raw: str
    pretty_cut: bool
    raw_cut: bool


def render(
    body: bytes,
    analysis: Analysis,
    text_limit: int | None,
    cancelled: Cancelled = _never,
    pretty_text: tuple[str, bool] | None = None,
) -> Rendering:
    """Pretty and raw text of `body`, cut at the limit (None: everything). `pretty_text`: the
    pretty text and whether cut, when made elsewhere (a detached analysis)."""
    raw, raw_cut = VIEWS["raw"].render(body, analysis, text_limit, cancelled)
    if cancelled():
        raise Superseded
    if analysis.kind == "text" and analysis.encoding == "utf-8":
        pretty, pretty_cut = raw, raw_cut  # the same text: decode it once
    elif pretty_text is not None:
        pretty, pretty_cut = pretty_text
    else:
        pretty, pretty_cut = pretty_view(analysis).render(body, analysis, text_limit, cancelled)
    return Rendering(pretty, raw, pretty_cut, raw_cut)


def pretty_elsewhere(
    body: bytes, content_type: str, truncated: bool, limit: int | None
) -> tuple[Analysis, bytes | None, bool]:
    """What a process other than the window's does with a huge body that may be JSON: parse it
    and make its pretty text. Returns the analysis without its document (`detached` when it is
    JSON), the pretty text as UTF-8 bytes (None when it is not JSON: the text views decode it
    themselves) and whether that text was cut at `limit`.

    Bytes cross between processes as one copy; the parsed document would have to be rebuilt
    object by object, holding the interpreter lock all along. Lone surrogates (from `\\ud800`
    escapes) survive the trip as "surrogatepass" UTF-8.
    """
    analysis = analyse(body, content_type, truncated=truncated)
    if analysis.kind != "json":
        return analysis, None, False
    text, cut = JsonView().render(body, analysis, limit, _never)
    return (
        replace(analysis, document=None, detached=True),
        text.encode("utf-8", "surrogatepass"),
        cut,
    )


# -- one view, for the command line ------------------------------------------------------------

CHOICES = ("pretty", "raw", "hex")
TEXT_LIMIT = 1 * MB  # characters printed by default: a 25 MB body stays readable in a terminal
HEX_LIMIT = 64 * KB  # bytes dumped by default (about 280 KB of text)


def show(
    body: bytes,
    content_type: str = "",
    view: str = "pretty",
    *,
    truncated: bool = False,
    limit: int | None = None,
) -> tuple[str, str]:
    """The body as `view` ("pretty", "raw", "hex", or a registered view's name), bounded;
    and a note to show beside it ("" when there is nothing to say)."""
    analysis = analyse(body, content_type, truncated=truncated)
    chosen = pretty_view(analysis) if view == "pretty" else VIEWS[view]
    bound = limit if limit is not None else (HEX_LIMIT if chosen.name == "hex" else TEXT_LIMIT)
    text, cut = chosen.render(body, analysis, bound, _never)
    notes = [analysis.notice] if analysis.notice and chosen.name != "hex" else []
    if cut:
        unit = "bytes" if chosen.name == "hex" else "characters"
        notes.append(
            f"Shown: the first {bound:,} {unit} of a {human_size(len(body))} body;"
            " `--body` writes all of it."
        )
    return text, " ".join(notes)
