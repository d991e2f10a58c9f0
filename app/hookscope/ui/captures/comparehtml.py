"""Two captures compared, as the HTML the Compare dialog shows: pure text, no Qt.

Everything a sender wrote is escaped; colours come from the caller (the palette's, light or
dark), and a sign (+ - ~ >) says each change, so colour only helps the eye.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from hookscope.core.diff import BinaryDifference, BodyDiff, CaptureDiff, HeaderChange, TextLine
from hookscope.core.jsondiff import ValueChange


@dataclass(frozen=True, slots=True)
class Colours:
    """Colours as "#rrggbb": text of each kind of change, quiet text, and a heading band."""

    added: str
    removed: str
    changed: str
    moved: str
    muted: str
    band: str
    mono: str  # the monospace font family


SIGNS = {"added": "+", "removed": "−", "changed": "~", "moved": "↕"}
_PART_NAMES = {"method": "Method", "path": "Path", "query": "Query", "http_version": "HTTP version"}


def _text(value: str | None, colours: Colours) -> str:
    if value is None:
        return ""
    if not value:
        return f'<span style="color:{colours.muted}">(empty)</span>'
    return f'<span style="font-family:{colours.mono}">{escape(value)}</span>'


def _row(sign_of: str, name: str, a: str, b: str, colours: Colours) -> str:
    colour = getattr(colours, sign_of)
    return (
        f'<tr><td style="color:{colour}"><b>{SIGNS[sign_of]}</b></td>'
        f'<td style="color:{colour}">{name}</td><td>{a}</td><td>{b}</td></tr>'
    )


def _table(title: str, heads: tuple[str, str, str], rows: list[str], colours: Colours) -> str:
    head = "".join(
        f'<th align=left width="{width}%">{escape(text)}</th>'
        for text, width in zip(heads, (28, 35, 35), strict=True)
    )
    return (
        f"<h3>{escape(title)}</h3>"
        '<table width="100%" cellspacing="0" cellpadding="4">'
        f'<tr style="background-color:{colours.band}"><th width="2%"></th>{head}</tr>'
        + "".join(rows)
        + "</table>"
    )


def _note(text: str, colours: Colours) -> str:
    return f'<p style="color:{colours.muted}">{escape(text)}</p>'


def comparison_html(result: CaptureDiff, colours: Colours) -> str:
    """The sections of the comparison: request line, headers, body; or why there are none."""
    a, b = f"A #{result.a.id}", f"B #{result.b.id}"
    parts: list[str] = []
    if result.request_line:
        rows = [
            _row(
                "changed",
                _PART_NAMES.get(change.part, change.part),
                _text(change.a, colours),
                _text(change.b, colours),
                colours,
            )
            for change in result.request_line
        ]
        parts.append(_table("Request line", ("", a, b), rows, colours))
    if result.headers:
        rows = [_header_row(change, colours) for change in result.headers]
        parts.append(_table("Headers", ("Header", a, b), rows, colours))
    if result.body.mode != "same":
        parts.append(_body_html(result.body, (a, b), colours))
    if not parts:
        parts.append(
            _note(
                "Nothing differs: the same request line, the same headers in the same order, "
                "and the same body bytes.",
                colours,
            )
        )
    # An empty paragraph between sections: Qt's rich text drops a heading's top margin after
    # a table.
    return '<p style="font-size:4pt">&nbsp;</p>'.join(parts)


def _header_row(change: HeaderChange, colours: Colours) -> str:
    name = escape(change.name)
    if change.occurrence > 1:
        name += f' <span style="color:{colours.muted}">(#{change.occurrence})</span>'
    a_value, b_value = _text(change.a, colours), _text(change.b, colours)
    if change.moved:
        where = f"header {_place(change.a_index)} → {_place(change.b_index)}"
        name += f' <span style="color:{colours.muted}">moved: {where}</span>'
    if change.a_name != change.b_name and change.a_name and change.b_name:
        a_value = f"{escape(change.a_name)}: {a_value}"
        b_value = f"{escape(change.b_name)}: {b_value}"
    return _row(change.change, name, a_value, b_value, colours)


def _place(index: int | None) -> str:
    return "-" if index is None else str(index + 1)


def _body_title(body: BodyDiff) -> str:
    what = {"json": "JSON, by path", "text": "line by line", "binary": "bytes"}[body.mode]
    encoding = f", {body.encoding}" if body.encoding else ""
    return f"Body ({what}{encoding}): A {body.a_size:,} bytes, B {body.b_size:,} bytes"


def _body_html(body: BodyDiff, heads: tuple[str, str], colours: Colours) -> str:
    notes = "".join(_note(note, colours) for note in body.notes)
    if body.mode == "json" and body.changes:
        rows = [_value_row(change, colours) for change in body.changes]
        shown = _table(_body_title(body), ("Path", *heads), rows, colours)
    else:
        shown = f"<h3>{escape(_body_title(body))}</h3>"
        if body.mode == "text":
            shown += _lines_html(body.lines, colours)
        elif body.binary is not None:
            shown += _binary_html(body.binary, heads, colours)
    more = ""
    if body.omitted:
        unit = "change" if body.mode == "json" else "line"
        more = _note(
            f"… and {body.omitted:,} more {unit}{'s' if body.omitted > 1 else ''}.", colours
        )
    return shown + notes + more


def _value_row(change: ValueChange, colours: Colours) -> str:
    path = escape(change.where)
    if change.type_changed:
        path += f' <span style="color:{colours.muted}">({change.a_type} → {change.b_type})</span>'
    return _row(change.change, path, _text(change.a, colours), _text(change.b, colours), colours)


def _lines_html(lines: tuple[TextLine, ...], colours: Colours) -> str:
    styles = {
        "+": f"color:{colours.added}",
        "-": f"color:{colours.removed}",
        "@": f"color:{colours.muted}",
        " ": "",
    }
    signs = {"+": "+", "-": "−", "@": "", " ": " "}
    out = [
        f'<span style="{styles[line.op]}">{signs[line.op]}{escape(line.text)}</span>'
        for line in lines
    ]
    return f'<pre style="font-family:{colours.mono}">' + "\n".join(out) + "</pre>"


def _binary_html(found: BinaryDifference, heads: tuple[str, str], colours: Colours) -> str:
    def marked(hexes: str, colour: str) -> str:
        octets = hexes.split()
        at = found.offset - found.start
        cells = [
            f'<b style="color:{colour}">{octet}</b>' if i == at else octet
            for i, octet in enumerate(octets)
        ]
        return " ".join(cells) if at < len(octets) else " ".join(cells) + " (ends)"

    width = max(len(heads[0]), len(heads[1]))
    a_head, b_head = (escape(head.ljust(width)) for head in heads)
    return (
        f"<p>First difference at byte {found.offset:,} (0x{found.offset:x}).</p>"
        f'<pre style="font-family:{colours.mono}">'
        f"{a_head}  {found.start:08x}  {marked(found.a_hex, colours.removed)}\n"
        f"{b_head}  {found.start:08x}  {marked(found.b_hex, colours.added)}</pre>"
    )
