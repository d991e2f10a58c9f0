"""Rows of a huge text or hexdump, made on demand: the same text as cutting it all at once."""

from __future__ import annotations

import random

import pytest

from hookscope.core.contentviews import Superseded, hexdump
from hookscope.ui.widgets import bodyrows
from hookscope.ui.widgets.bodyrows import HexRows, LineIndex, TextRows, text_rows
from hookscope.ui.widgets.bodytext import json_tokens


def cut(text: str, width: int) -> list[tuple[int, str]]:
    """Every row as (start, text), cut the slow and obvious way."""
    rows: list[tuple[int, str]] = []
    start = 0
    for line in text.split("\n"):
        pieces = [line[i : i + width] for i in range(0, len(line), width)] or [""]
        for number, piece in enumerate(pieces):
            rows.append((start + number * width, piece))
        start += len(line) + 1
    return rows


def texts() -> list[str]:
    chance = random.Random(7)
    made = ["", "\n", "\n\n", "a", "ab\n", "é🙂\n\nxyz", "x" * 50, "short\n" + "y" * 47 + "\nz"]
    for _ in range(40):
        lines = ["".join(chance.choices("ab😀 ", k=chance.randrange(0, 40))) for _ in range(9)]
        made.append("\n".join(lines))
    return made


@pytest.mark.parametrize("width", [1, 3, 10, 1000])
def test_text_rows_are_the_text_cut_at_the_width(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small slices, so that lines run over the slices the index is built from.
    monkeypatch.setattr(bodyrows, "SLICE_CHARS", 7)
    monkeypatch.setattr(bodyrows, "SLICE_LINES", 2)
    for text in texts():
        rows = TextRows(LineIndex(text), width)
        expected = cut(text, width)
        assert len(rows) == len(expected), text
        assert rows.size == len(text)
        assert rows.widest == max(len(row) for _, row in expected)
        for number, (start, row) in enumerate(expected):
            assert rows.row(number) == row
            assert rows.position(number, 0) == start
            assert rows.place(start) == (number, 0)
            assert rows.place(start + len(row)) in ((number, len(row)), (number + 1, 0))
            line, shift = rows.line_of(number)
            assert line[shift : shift + width] == row
        assert rows.copy(0, rows.size) == text


def test_a_position_inside_a_long_line_is_found_in_its_row() -> None:
    text = "head\n" + "0123456789" * 3 + "\ntail"
    rows = TextRows(LineIndex(text), 8)
    assert [rows.row(n) for n in range(len(rows))] == [
        "head",
        "01234567",
        "89012345",
        "67890123",
        "456789",
        "tail",
    ]
    assert rows.place(text.index("2345678")) == (1, 2)
    assert rows.place(text.index("tail") + 2) == (5, 2)
    assert rows.copy(rows.position(2, 6), rows.position(5, 2)) == "4567890123456789\nta"


def test_building_the_index_stops_when_no_longer_wanted() -> None:
    with pytest.raises(Superseded):
        LineIndex("line\n" * 300_000, lambda: True)
    with pytest.raises(Superseded):
        TextRows(LineIndex("x" * 100 + "\n" + "y" * 100), 10, lambda: True)


def test_short_texts_stay_in_a_plain_editor() -> None:
    assert text_rows("x" * bodyrows.PLAIN_LIMIT, 80) is None
    rows = text_rows("x" * (bodyrows.PLAIN_LIMIT + 1), 80)
    assert rows is not None
    assert len(rows) == -(-(bodyrows.PLAIN_LIMIT + 1) // 80)


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100, 4096 + 3])
def test_hex_rows_are_the_lines_of_the_hexdump(size: int) -> None:
    data = bytes((n * 37) % 256 for n in range(size))
    dump = hexdump(data)
    rows = HexRows(data)
    lines = dump.split("\n") if dump else []
    assert [rows.row(n) for n in range(len(rows))] == lines
    assert rows.size == len(dump)
    assert rows.copy(0, rows.size) == dump
    if lines:
        assert rows.widest == len(lines[0])
        last = len(lines) - 1
        start = rows.position(last, 10)
        assert rows.place(start) == (last, 10)
        assert rows.copy(start, rows.size) == lines[-1][10:]
        assert rows.copy(rows.position(0, 3), rows.position(0, 9)) == lines[0][3:9]
        middle = dump[rows.position(0, 70) : rows.position(last, 12)]
        assert rows.copy(rows.position(0, 70), rows.position(last, 12)) == middle


def test_json_tokens_are_found_as_the_highlighter_finds_them() -> None:
    line = '  "id": 7, "name": "a \\"b\\" 12", "ok": true, "x": -1.5e3, "n": null'
    found = [(line[start : start + length], group) for start, length, group in json_tokens(line)]
    assert found == [
        ('"id"', "key"),
        ("7", "number"),
        ('"name"', "key"),
        ('"a \\"b\\" 12"', "string"),
        ('"ok"', "key"),
        ("true", "literal"),
        ('"x"', "key"),
        ("-1.5e3", "number"),
        ('"n"', "key"),
        ("null", "literal"),
    ]
    assert json_tokens('"' + "x" * 30_000 + '"') == []
