"""Two captures compared, as text for a terminal (`hookscope captures diff A B`)."""

from __future__ import annotations

from hookscope.core.diff import BodyDiff, CaptureDiff, HeaderChange, Side
from hookscope.core.jsondiff import ValueChange
from hookscope.core.model import iso_utc


def render(result: CaptureDiff) -> str:
    """The comparison for a terminal: the two captures, a sentence, then each difference."""
    lines = [_side_line("A", result.a), _side_line("B", result.b), "", result.summary()]
    if result.request_line:
        lines += ["", "Request line"]
        lines += [f"  ~ {c.part}: {c.a} -> {c.b}" for c in result.request_line]
    if result.headers:
        lines += ["", "Headers"]
        lines += [f"  {header_text(change)}" for change in result.headers]
    if result.body.mode != "same":
        lines += ["", body_title(result.body)]
        lines += [f"  {line}" for line in body_text(result.body)]
    lines += ["", "Verdicts"]
    for name, side in (("A", result.a), ("B", result.b)):
        lines.append(f"  {name} {side.verdict:<9}  {side.verdict_detail}")
    return "\n".join(lines)


def _side_line(name: str, side: Side) -> str:
    return (
        f"{name} #{side.id}  {side.request_line}  received {iso_utc(side.received_at)}"
        f" from {side.remote or '?'}"
    )


def _ordinal(index: int | None) -> str:
    return "-" if index is None else str(index + 1)


def header_text(change: HeaderChange) -> str:
    """One header change as a line: `+ X-New: 2`, `~ X-Sig: abc -> def`, `> Host moved ...`."""
    which = f" (#{change.occurrence})" if change.occurrence > 1 else ""
    name = change.name + which
    if change.change == "added":
        return f"+ {name}: {change.b}"
    if change.change == "removed":
        return f"- {name}: {change.a}"
    where = f"header {_ordinal(change.a_index)} -> {_ordinal(change.b_index)}"
    if change.change == "moved":
        return f"> {name} moved: {where}"
    text = f"~ {name}: {change.a} -> {change.b}"
    if change.a_name != change.b_name:
        text += f" (name written {change.a_name} -> {change.b_name})"
    return text + (f" (moved: {where})" if change.moved else "")


def body_title(body: BodyDiff) -> str:
    what = {"json": "JSON, by path", "text": "line by line", "binary": "bytes"}[body.mode]
    encoding = f"; {body.encoding}" if body.encoding else ""
    return f"Body ({what}{encoding}): A {body.a_size:,} bytes, B {body.b_size:,} bytes"


def value_text(change: ValueChange) -> str:
    """One JSON change as a line: `~ data.title: "A" -> "B"`, `+ data.tags[2]: "x"`."""
    if change.change == "added":
        return f"+ {change.where}: {change.b}"
    if change.change == "removed":
        return f"- {change.where}: {change.a}"
    types = f"  ({change.a_type} -> {change.b_type})" if change.type_changed else ""
    return f"~ {change.where}: {change.a} -> {change.b}{types}"


def body_text(body: BodyDiff) -> list[str]:
    """The lines under the body's title: notes, then the changes (bounded)."""
    lines = list(body.notes)
    if body.mode == "json":
        lines += [value_text(change) for change in body.changes]
    elif body.mode == "text":
        lines += [f"{line.op if line.op != '@' else ''}{line.text}" for line in body.lines]
    elif body.binary is not None:
        found = body.binary
        lines.append(f"first difference at byte {found.offset:,} (0x{found.offset:x})")
        lines.append(f"A {found.start:08x}  {found.a_hex}")
        lines.append(f"B {found.start:08x}  {found.b_hex}")
        lines.append(" " * (12 + 3 * (found.offset - found.start)) + "^^")
    if body.omitted:
        unit = "change" if body.mode == "json" else "line"
        lines.append(f"... and {body.omitted:,} more {unit}{'s' if body.omitted > 1 else ''}")
    return lines
