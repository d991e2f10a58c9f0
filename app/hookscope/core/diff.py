"""Two captures compared: request line, headers (order-aware), bodies and verdicts.

`compare(a, b)` gives a `CaptureDiff` that the window and `hookscope captures diff` both show;
`CaptureDiff.as_json()` is the stable shape `--json` prints (README, "Comparing two
captures"). Line and sequence matching use the standard library's difflib (the matcher behind
`diff -u` output in Python; no dependency to add). Bodies are compared after their
Content-Encoding is undone (core/contentviews.py): JSON by path, text line by line, anything
else byte by byte. Every list is bounded, with the number left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from hookscope.core import contentviews
from hookscope.core.contentviews import Analysis, Cancelled, Superseded
from hookscope.core.http import Headers
from hookscope.core.jsondiff import ValueChange, json_changes
from hookscope.core.model import Capture, iso_utc

MAX_LINES = 400  # text diff lines listed (context included)
CONTEXT = 3  # unchanged lines around each changed group, as `diff -u`
LINE_MATCH_LIMIT = 20_000  # lines of each side past the common start and end, matched at most
HEX_BEFORE = 8  # bytes of context shown before the first differing byte
HEX_WIDTH = 24  # bytes of context shown in all


def _never() -> bool:
    return False


# -- the result --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    """One of the two captures, as the comparison names it (A or B)."""

    id: int | None
    received_at: datetime
    remote: str
    method: str
    target: str
    http_version: str
    verdict: str
    verdict_detail: str
    provider: str | None
    event: str | None
    body_size: int
    content_encoding: str

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target} HTTP/{self.http_version}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": iso_utc(self.received_at),
            "remote": self.remote,
            "method": self.method,
            "target": self.target,
            "http_version": self.http_version,
            "verdict": self.verdict,
            "verdict_detail": self.verdict_detail,
            "provider": self.provider,
            "event": self.event,
            "body_size": self.body_size,
            "content_encoding": self.content_encoding or None,
        }


@dataclass(frozen=True, slots=True)
class PartChange:
    """A part of the request line that differs: "method", "path", "query" or "http_version"."""

    part: str
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class HeaderChange:
    """One header that differs. Headers of one name are matched by position among themselves
    (the second Set-Cookie of A with the second of B); names are compared ignoring case.

    Attributes:
        change: "added" (only in B), "removed" (only in A), "changed" (value, or the case of
            its name), or "moved" (same value, another place in the order).
        occurrence: 1 for the first header of this name on its side, 2 for the second, ...
        a_index, b_index: its position (0-based) in A's and B's header list, None if absent.
        moved: its place in the order changed too (always True for "moved").
    """

    change: str
    name: str
    occurrence: int
    a: str | None
    b: str | None
    a_name: str | None
    b_name: str | None
    a_index: int | None
    b_index: int | None
    moved: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "name": self.name,
            "occurrence": self.occurrence,
            "a": self.a,
            "b": self.b,
            "a_name": self.a_name,
            "b_name": self.b_name,
            "a_index": self.a_index,
            "b_index": self.b_index,
            "moved": self.moved,
        }


@dataclass(frozen=True, slots=True)
class TextLine:
    """A line of a text diff: op " " (in both), "-" (only A), "+" (only B), "@" (a hunk head)."""

    op: str
    text: str


@dataclass(frozen=True, slots=True)
class BinaryDifference:
    """Where two byte strings first differ, with a little of each around it.

    Attributes:
        offset: the first differing byte (the shorter length when one is the other's start).
        start: the offset of the first byte shown in `a_hex` and `b_hex`.
    """

    offset: int
    start: int
    a_hex: str
    b_hex: str


@dataclass(frozen=True, slots=True)
class BodyDiff:
    """How the two bodies differ.

    Attributes:
        mode: "same" (the same bytes), "json" (compared by path), "text" (line by line), or
            "binary" (size and first differing byte).
        a_kind, b_kind: what each body is once decoded: empty, json, form, text or binary.
        encoding: the Content-Encoding of the two, in words ("both gzip", "A is gzip, B is
            not"); "" when neither has one.
        changes: JSON values added, removed or changed ("json" mode).
        lines: the unified diff of the texts ("text" mode).
        binary: the first difference ("binary" mode).
        omitted: changes or lines left out of the lists (they are bounded).
        notes: sentences about how the bodies were compared.
    """

    mode: str
    a_kind: str
    b_kind: str
    a_size: int
    b_size: int
    encoding: str = ""
    changes: tuple[ValueChange, ...] = ()
    lines: tuple[TextLine, ...] = ()
    binary: BinaryDifference | None = None
    omitted: int = 0
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        binary = self.binary
        return {
            "mode": self.mode,
            "a_kind": self.a_kind,
            "b_kind": self.b_kind,
            "a_size": self.a_size,
            "b_size": self.b_size,
            "encoding": self.encoding or None,
            "changes": [change.as_json() for change in self.changes],
            "lines": [{"op": line.op, "text": line.text} for line in self.lines],
            "binary": None
            if binary is None
            else {
                "offset": binary.offset,
                "start": binary.start,
                "a_hex": binary.a_hex,
                "b_hex": binary.b_hex,
            },
            "omitted": self.omitted,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class CaptureDiff:
    """Two captures compared; ids, arrival times and remote addresses are shown, not compared.

    Attributes:
        a, b: the two captures (A is the first given).
        request_line: the parts of the request line that differ.
        headers: the headers that differ, in B's order (a removed one where it was in A).
    """

    a: Side
    b: Side
    request_line: tuple[PartChange, ...]
    headers: tuple[HeaderChange, ...]
    body: BodyDiff

    @property
    def identical(self) -> bool:
        """The two requests are the same: request line, headers in order, body bytes."""
        return not self.request_line and not self.headers and self.body.mode == "same"

    @property
    def same_verdict(self) -> bool:
        return (self.a.verdict, self.a.verdict_detail) == (self.b.verdict, self.b.verdict_detail)

    def summary(self) -> str:
        """One sentence: identical, or where the two differ."""
        if self.identical:
            if self.a.verdict != self.b.verdict:
                return (
                    "The two requests are identical; their verdicts differ "
                    f"({self.a.verdict} and {self.b.verdict})."
                )
            return "The two requests are identical."
        parts = []
        if self.request_line:
            parts.append("the request line")
        if self.headers:
            count = len(self.headers)
            parts.append("1 header" if count == 1 else f"{count} headers")
        if self.body.mode != "same":
            parts.append("the body")
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"The requests differ in {listed}."

    def as_json(self) -> dict[str, Any]:
        """The shape `hookscope captures diff --json` prints (stable: README)."""
        return {
            "identical": self.identical,
            "summary": self.summary(),
            "a": self.a.as_json(),
            "b": self.b.as_json(),
            "request_line": [
                {"part": change.part, "a": change.a, "b": change.b} for change in self.request_line
            ],
            "headers": [change.as_json() for change in self.headers],
            "body": self.body.as_json(),
            "same_verdict": self.same_verdict,
        }


# -- comparing ---------------------------------------------------------------------------------


def compare(a: Capture, b: Capture, cancelled: Cancelled = _never) -> CaptureDiff:
    """Compare capture A with capture B; `cancelled()` True stops it (raises Superseded)."""
    return CaptureDiff(
        a=_side(a),
        b=_side(b),
        request_line=_request_line(a, b),
        headers=diff_headers(a.headers, b.headers),
        body=diff_bodies(a, b, cancelled),
    )


def _side(capture: Capture) -> Side:
    return Side(
        id=capture.id,
        received_at=capture.received_at,
        remote=capture.remote,
        method=capture.method,
        target=capture.target,
        http_version=capture.http_version,
        verdict=capture.verdict.verdict,
        verdict_detail=capture.verdict.detail,
        provider=capture.verdict.provider,
        event=capture.verdict.event,
        body_size=capture.body_size,
        content_encoding=_content_encoding(capture),
    )


def _content_encoding(capture: Capture) -> str:
    coding = ", ".join(capture.header_values("Content-Encoding")).strip().lower()
    return "" if coding == "identity" else coding


def _request_line(a: Capture, b: Capture) -> tuple[PartChange, ...]:
    parts = (
        ("method", a.method, b.method),
        ("path", a.path, b.path),
        ("query", a.query, b.query),
        ("http_version", a.http_version, b.http_version),
    )
    return tuple(PartChange(name, x, y) for name, x, y in parts if x != y)


# -- headers -----------------------------------------------------------------------------------

Key = tuple[str, int]  # (lowercase name, occurrence among headers of that name)


def _keyed(headers: Headers) -> dict[Key, tuple[int, str, str]]:
    """Each header by its key, with its position, name as spelled, and value (in order)."""
    seen: Counter[str] = Counter()
    keyed: dict[Key, tuple[int, str, str]] = {}
    for index, (name, value) in enumerate(headers):
        lower = name.lower()
        seen[lower] += 1
        keyed[(lower, seen[lower])] = (index, name, value)
    return keyed


def diff_headers(a: Headers, b: Headers) -> tuple[HeaderChange, ...]:
    """The headers that differ between A and B, order-aware (see HeaderChange)."""
    in_a, in_b = _keyed(a), _keyed(b)
    common_a = [key for key in in_a if key in in_b]
    common_b = [key for key in in_b if key in in_a]
    # The longest run of headers kept in the same relative order stays; the others moved.
    matcher = SequenceMatcher(None, common_a, common_b, autojunk=False)
    stayed = {
        key
        for block in matcher.get_matching_blocks()
        for key in common_a[block.a : block.a + block.size]
    }
    changes: list[tuple[int, HeaderChange]] = []
    for key, (index, name, value) in in_a.items():
        if key not in in_b:
            removed = HeaderChange("removed", name, key[1], value, None, name, None, index, None)
            changes.append((index, removed))
    for key, (index, name, value) in in_b.items():
        if key not in in_a:
            added = HeaderChange("added", name, key[1], None, value, None, name, None, index)
            changes.append((index, added))
            continue
        a_index, a_name, a_value = in_a[key]
        moved = key not in stayed
        if a_value == value and a_name == name and not moved:
            continue
        kind = "moved" if a_value == value and a_name == name else "changed"
        change = HeaderChange(
            kind, name, key[1], a_value, value, a_name, name, a_index, index, moved
        )
        changes.append((index, change))
    changes.sort(key=lambda item: item[0])
    return tuple(change for _, change in changes)


# -- bodies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Decoded:
    body: bytes
    analysis: Analysis
    note: str


def _decode(capture: Capture, side: str, coding: str) -> _Decoded:
    """The body with its Content-Encoding undone (as received when that fails, said why)."""
    body, note = capture.body, ""
    if coding:
        try:
            body = contentviews.decode_content(capture.body, coding)
        except contentviews.EncodingError as exc:
            body = capture.body
            note = f"{side}'s body says {coding} but {exc}: compared as received."
    analysis = contentviews.analyse(
        body, capture.content_type, truncated=capture.body_truncated and not coding
    )
    return _Decoded(body, analysis, note)


def _encoding_words(a: str, b: str) -> str:
    if not a and not b:
        return ""
    if a == b:
        return f"both {a}"
    if not b:
        return f"A is {a}, B is not"
    if not a:
        return f"B is {b}, A is not"
    return f"A is {a}, B is {b}"


def diff_bodies(a: Capture, b: Capture, cancelled: Cancelled = _never) -> BodyDiff:
    """How the bodies differ: by JSON path, by line, or by byte (see BodyDiff)."""
    a_coding, b_coding = _content_encoding(a), _content_encoding(b)
    encoding = _encoding_words(a_coding, b_coding)
    left = _decode(a, "A", a_coding)
    if a.body == b.body and a_coding == b_coding:
        kind = left.analysis.kind
        return BodyDiff("same", kind, kind, a.body_size, b.body_size, encoding)
    if cancelled():  # parsing a big body takes a while: look between the two
        raise Superseded
    right = _decode(b, "B", b_coding)
    if cancelled():
        raise Superseded
    notes = _notes(a, b, left, right)
    kinds = (left.analysis.kind, right.analysis.kind)
    mode = "json" if kinds == ("json", "json") else "binary" if "binary" in kinds else "text"
    base = BodyDiff(mode, kinds[0], kinds[1], a.body_size, b.body_size, encoding)
    if left.body == right.body:
        return replace(base, notes=(*notes, "The same content, encoded differently."))
    if mode == "json":
        changes, omitted = json_changes(left.analysis.document, right.analysis.document, cancelled)
        if not changes:
            notes.append("The same JSON, written differently (spacing, escapes or key order).")
        return replace(base, changes=changes, omitted=omitted, notes=tuple(notes))
    if mode == "binary":
        found = first_difference(left.body, right.body)
        return replace(base, binary=found, notes=tuple(notes))
    if kinds[0] != kinds[1] and "empty" not in kinds:
        notes.append(f"A is {kinds[0]} and B is {kinds[1]}: compared line by line.")
    lines, omitted, more_notes = diff_text(_text(left), _text(right), cancelled)
    notes += more_notes
    return replace(base, lines=lines, omitted=omitted, notes=tuple(notes))


def _notes(a: Capture, b: Capture, left: _Decoded, right: _Decoded) -> list[str]:
    """What to know before reading the bodies' differences."""
    notes = [note for note in (left.note, right.note) if note]
    notes += [
        f"{side}'s body was cut at the size limit when it was received."
        for side, capture in (("A", a), ("B", b))
        if capture.body_truncated
    ]
    notes += [
        f"{side}: {decoded.analysis.notice}"
        for side, decoded in (("A", left), ("B", right))
        if decoded.analysis.notice
    ]
    return notes


def _text(decoded: _Decoded) -> str:
    if decoded.analysis.kind == "form":
        return decoded.analysis.form_text
    return decoded.body.decode(decoded.analysis.encoding, errors="replace")


def first_difference(a: bytes, b: bytes) -> BinaryDifference:
    """Where `a` and `b` first differ (they must differ), with a short hex context."""
    shorter = min(len(a), len(b))
    offset, step = 0, 64 * 1024
    while offset < shorter and a[offset : offset + step] == b[offset : offset + step]:
        offset += step
    end = min(offset + step, shorter)
    while offset < end and a[offset] == b[offset]:
        offset += 1
    start = max(0, offset - HEX_BEFORE)
    return BinaryDifference(
        offset,
        start,
        a[start : start + HEX_WIDTH].hex(" "),
        b[start : start + HEX_WIDTH].hex(" "),
    )


def diff_text(
    a: str, b: str, cancelled: Cancelled = _never
) -> tuple[tuple[TextLine, ...], int, list[str]]:
    """A unified diff of two texts (difflib), at most MAX_LINES lines; the lines, how many
    were left out, and notes."""
    a_lines, b_lines = a.splitlines(), b.splitlines()
    notes: list[str] = []
    # The common start and end need no matching: skip them (but for the context).
    prefix = 0
    for x, y in zip(a_lines, b_lines, strict=False):
        if x != y:
            break
        prefix += 1
    suffix = 0
    most = min(len(a_lines), len(b_lines)) - prefix
    while suffix < most and a_lines[-1 - suffix] == b_lines[-1 - suffix]:
        suffix += 1
    low = max(0, prefix - CONTEXT)
    a_high = min(len(a_lines), len(a_lines) - suffix + CONTEXT, low + LINE_MATCH_LIMIT)
    b_high = min(len(b_lines), len(b_lines) - suffix + CONTEXT, low + LINE_MATCH_LIMIT)
    if len(a_lines) - suffix - low > LINE_MATCH_LIMIT or len(b_lines) - suffix - low > (
        LINE_MATCH_LIMIT
    ):
        notes.append(
            f"The texts differ over more than {LINE_MATCH_LIMIT:,} lines: only the first "
            f"{LINE_MATCH_LIMIT:,} after line {low + 1:,} were compared."
        )
    if cancelled():
        raise Superseded
    matcher = SequenceMatcher(None, a_lines[low:a_high], b_lines[low:b_high], autojunk=False)
    out: list[TextLine] = []
    total = 0
    for group in matcher.get_grouped_opcodes(CONTEXT):
        first, last = group[0], group[-1]
        head = (
            f"@@ -{low + first[1] + 1},{last[2] - first[1]} "
            f"+{low + first[3] + 1},{last[4] - first[3]} @@"
        )
        chunk = [TextLine("@", head)]
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                chunk += [TextLine(" ", line) for line in a_lines[low + i1 : low + i2]]
                continue
            chunk += [TextLine("-", line) for line in a_lines[low + i1 : low + i2]]
            chunk += [TextLine("+", line) for line in b_lines[low + j1 : low + j2]]
        total += len(chunk)
        out += chunk[: max(0, MAX_LINES - len(out))]
    if not total and a != b:
        notes.append("The same lines; the texts differ only in line endings or a last newline.")
    return tuple(out), total - len(out), notes
