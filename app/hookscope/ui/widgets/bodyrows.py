"""A huge text or body as rows a view reads only when it shows them (no Qt).

`TextRows` cuts a text into rows of at most `width` characters (a longer line goes on over
several rows); `HexRows` makes `hexdump -C` rows from the bytes. Both answer for any row at
once, so a view lays out and paints only the rows on screen, whatever the size of the body.
A position is an offset into the text the rows show (for hex: into the whole dump, each row
followed by a newline); copying between two positions gives that text exactly.
"""

from __future__ import annotations

import itertools
import operator
from array import array
from bisect import bisect_right
from typing import Protocol

from hookscope.core.contentviews import HEX_ROW, Cancelled, Superseded, hex_row

# Without wrapping, a line longer than this goes on in the next row: laying out one row of
# megabytes is what froze the window.
ROW_LIMIT = 1024
# A text up to this long is shown whole in a plain text editor; a longer one as rows (laying
# out 64 K characters of one long line takes a QPlainTextEdit about 30 ms; 256 K, 170 ms).
PLAIN_LIMIT = 64 * 1024
# Work on a big text is done a slice at a time, asking between slices whether it is still
# wanted (and letting the GUI thread have the interpreter lock).
SLICE_CHARS = 256 * 1024
SLICE_LINES = 16 * 1024


class Rows(Protocol):
    """What a rows view shows: any row computed when asked for."""

    @property
    def size(self) -> int:
        """The length of the whole text (the last position)."""

    @property
    def widest(self) -> int:
        """The most characters in one row."""

    def __len__(self) -> int: ...

    def row(self, number: int) -> str:
        """The text of one row (without a line end)."""

    def position(self, number: int, column: int) -> int:
        """The position of a column of a row."""

    def place(self, position: int) -> tuple[int, int]:
        """The row and column of a position."""

    def copy(self, start: int, end: int) -> str:
        """The text between two positions."""


def _never() -> bool:
    return False


class LineIndex:
    """Where each line of a text starts: built once per text (about a second for 50 MB, so off
    the GUI thread for big texts), whatever width the rows are cut at later.

    Built a slice at a time: a C loop over the whole text would hold the interpreter lock for
    a second, and the GUI thread needs it to paint. `cancelled()` is asked between slices.

    Attributes:
        text: the text.
        starts: the position of each line, and one past the end of the text (as if it ended
            with a line end).
        lengths: the length of each line, without its line end.
        longest: the length of the longest line.
    """

    def __init__(self, text: str, cancelled: Cancelled = _never) -> None:
        self.text = text
        self.lengths = array("q")
        carry = 0
        for begin in range(0, len(text), SLICE_CHARS):
            lengths = list(map(len, text[begin : begin + SLICE_CHARS].split("\n")))
            lengths[0] += carry
            carry = lengths.pop()
            self.lengths.extend(lengths)
            if cancelled():
                raise Superseded
        self.lengths.append(carry)
        self.starts = array("q", [0])
        self.longest = 0
        for begin in range(0, len(self.lengths), SLICE_LINES):
            some = self.lengths[begin : begin + SLICE_LINES]
            # Each line starts after the one before it and its line end.
            sums = itertools.accumulate(map(operator.add, some, ONES), initial=self.starts[-1])
            self.starts.extend(itertools.islice(sums, 1, None))
            self.longest = max(self.longest, max(some))
            if cancelled():
                raise Superseded


ONES = itertools.repeat(1)


class TextRows:
    """A text as rows of at most `width` characters: each line is a row, and a longer line goes
    on over as many rows as it needs.

    Only the lines longer than `width` are remembered (with the row each starts at), so a row
    is found with a binary search; when there are none the rows are the lines.
    """

    def __init__(self, lines: LineIndex, width: int, cancelled: Cancelled = _never) -> None:
        self.lines = lines
        self.width = max(1, width)
        # The long lines, the row each starts at, and the rows of all long lines before each.
        self._long = array("q")
        self._first = array("q")
        extra = 0
        if lines.longest > self.width:
            wider = itertools.repeat(self.width)
            for begin in range(0, len(lines.lengths), SLICE_LINES):
                lengths = lines.lengths[begin : begin + SLICE_LINES]
                flags = map(operator.gt, lengths, wider)
                for line in itertools.compress(itertools.count(begin), flags):
                    self._long.append(line)
                    self._first.append(line + extra)
                    extra += (lines.lengths[line] - 1) // self.width
                if cancelled():
                    raise Superseded
        self._count = len(lines.lengths) + extra

    @property
    def size(self) -> int:
        return len(self.lines.text)

    @property
    def widest(self) -> int:
        return min(self.lines.longest, self.width)

    def __len__(self) -> int:
        return self._count

    def _rows_of(self, line: int) -> int:
        return max(1, -(-self.lines.lengths[line] // self.width))

    def _locate(self, number: int) -> tuple[int, int]:
        """The line of a row, and how many rows of that line come before it."""
        k = bisect_right(self._first, number) - 1
        if k < 0:
            return number, 0
        line, first = self._long[k], self._first[k]
        rows = self._rows_of(line)
        if number < first + rows:
            return line, number - first
        return line + 1 + number - (first + rows), 0

    def span(self, number: int) -> tuple[int, int]:
        """Where a row starts and ends in the text."""
        line, before = self._locate(number)
        start = self.lines.starts[line] + before * self.width
        line_end = self.lines.starts[line] + self.lines.lengths[line]
        return start, min(start + self.width, line_end)

    def row(self, number: int) -> str:
        start, end = self.span(number)
        return self.lines.text[start:end]

    def line_of(self, number: int) -> tuple[str, int]:
        """The whole line a row belongs to, and where the row starts in it (for colouring)."""
        line, before = self._locate(number)
        start = self.lines.starts[line]
        return self.lines.text[start : start + self.lines.lengths[line]], before * self.width

    def position(self, number: int, column: int) -> int:
        start, end = self.span(number)
        return min(start + max(column, 0), end)

    def place(self, position: int) -> tuple[int, int]:
        position = min(max(position, 0), self.size)
        line = bisect_right(self.lines.starts, position) - 1
        column = position - self.lines.starts[line]
        k = bisect_right(self._long, line) - 1
        if k < 0:
            return line, column
        if self._long[k] == line:
            before = min(column // self.width, self._rows_of(line) - 1)
            return self._first[k] + before, column - before * self.width
        # Below the k-th long line: one row per line since.
        after = self._first[k] + self._rows_of(self._long[k])
        return after + line - self._long[k] - 1, column

    def copy(self, start: int, end: int) -> str:
        return self.lines.text[start:end]


class HexRows:
    """`hexdump -C` of some bytes, one row of 16 bytes made when it is asked for."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._count = (len(data) + HEX_ROW - 1) // HEX_ROW
        # Every row is as wide as the first (the hex part of the last one is padded) but for
        # the printable characters at the end of the last one.
        self._width = len(hex_row(data, 0)) if data else 0
        self._last = len(self.row(self._count - 1)) if data else 0

    @property
    def size(self) -> int:
        return max(self._count - 1, 0) * (self._width + 1) + self._last

    @property
    def widest(self) -> int:
        return self._width

    def __len__(self) -> int:
        return self._count

    def row(self, number: int) -> str:
        return hex_row(self.data, number * HEX_ROW)

    def position(self, number: int, column: int) -> int:
        return min(number * (self._width + 1) + min(max(column, 0), self._width), self.size)

    def place(self, position: int) -> tuple[int, int]:
        number, column = divmod(min(max(position, 0), self.size), self._width + 1)
        return number, column

    def copy(self, start: int, end: int) -> str:
        if end <= start:
            return ""
        first, column = self.place(start)
        last, end_column = self.place(end)
        if first == last:
            return self.row(first)[column:end_column]
        rows = [self.row(first)[column:]]
        rows += [self.row(number) for number in range(first + 1, last)]
        rows.append(self.row(last)[:end_column])
        return "\n".join(rows)


def text_rows(text: str, width: int, cancelled: Cancelled = _never) -> TextRows | None:
    """A text longer than PLAIN_LIMIT as rows `width` characters wide; None for a short one."""
    if len(text) <= PLAIN_LIMIT:
        return None
    return TextRows(LineIndex(text, cancelled), width, cancelled)
