"""A read-only view of a huge text or hexdump that lays out and paints only the rows on screen."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextLayout,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from hookscope.core.contentviews import MB, Superseded
from hookscope.core.tasks import spawn
from hookscope.ui.style import is_dark, monospace
from hookscope.ui.widgets.bodyrows import ROW_LIMIT, HexRows, LineIndex, Rows, TextRows
from hookscope.ui.widgets.jsontree import token_colour

log = logging.getLogger(__name__)

# A copy of more than this many characters is cut here: putting 50 MB on the clipboard holds
# the window for seconds, and "Copy body" copies the whole body as received anyway.
COPY_LIMIT = 8 * MB
# Re-cutting the rows of a text with more lines than this (the width changed) is done on a
# worker thread; the old rows stay on screen until the new ones are ready.
SYNC_LINES = 50_000
MARGIN = 4  # pixels left of the text, as QPlainTextEdit leaves
NARROWEST = 16  # columns: wrapping never cuts rows narrower than this
RELAYOUT_MS = 80  # a resize waits this long for the next before the rows are cut again

Colours = Callable[[str], list[tuple[int, int, str]]]


def _utf16(text: str, index: int) -> int:
    """The UTF-16 offset of a character of `text` (Qt counts in UTF-16 units)."""
    if text.isascii():
        return index
    return len(text[:index].encode("utf-16-le")) // 2


def _from_utf16(text: str, offset: int) -> int:
    if text.isascii():
        return offset
    return len(text.encode("utf-16-le")[: offset * 2].decode("utf-16-le", errors="ignore"))


class RowsView(QAbstractScrollArea):
    """A huge text (cut into rows, `bodyrows.TextRows`) or a hexdump (`bodyrows.HexRows`),
    read-only: only the rows on screen are made, laid out and painted.

    Select with the mouse (Shift+click extends), Ctrl+A selects all, Ctrl+C copies (at most
    COPY_LIMIT characters: `capped` says so); the arrows, Page Up/Down and Ctrl+Home/End scroll.
    With wrapping on, a text's rows are as wide as the view; off, a line longer than ROW_LIMIT
    goes on in the next row.

    Signals:
        capped(str): a copy was cut at COPY_LIMIT; the sentence says what was copied.
        relaid(): the rows were cut again for a new width (wrapping, a resize).

    Attributes:
        rows: what is shown.
        painted: the first and last row the last paint laid out (inclusive).
        colours: gives the coloured spans of a line (JSON), or None for plain text.
    """

    capped = Signal(str)
    relaid = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(monospace())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.rows: Rows = HexRows(b"")
        self.painted = (0, -1)
        self.colours: Colours | None = None
        self._wrap = True
        self._anchor = self._cursor = 0
        self._relayout_task: asyncio.Task[None] | None = None
        self._relayout_generation = 0
        self._relayout_timer = QTimer(self, singleShot=True, interval=RELAYOUT_MS)
        self._relayout_timer.timeout.connect(self._relayout)

    # -- what is shown ----------------------------------------------------------------------

    def columns(self) -> int:
        """How many characters a text's rows hold now: the view's width with wrapping on."""
        if not self._wrap:
            return ROW_LIMIT
        char = self.fontMetrics().horizontalAdvance("0")
        return max(NARROWEST, (self.viewport().width() - 2 * MARGIN) // max(char, 1))

    def set_rows(self, rows: Rows) -> None:
        """Show these rows from the top; a text's are cut again if not as wide as the view."""
        self._supersede_relayout()
        self.rows = rows
        self._anchor = self._cursor = 0
        self._update_scrollbars()
        self.verticalScrollBar().setValue(0)
        self.horizontalScrollBar().setValue(0)
        self.viewport().update()
        if isinstance(rows, TextRows) and rows.width != self.columns():
            self._relayout()

    def set_wrap(self, wrap: bool) -> None:
        if wrap != self._wrap:
            self._wrap = wrap
            self._relayout()

    def wraps(self) -> bool:
        return self._wrap

    # -- cutting a text's rows again for a new width ----------------------------------------

    def _supersede_relayout(self) -> int:
        self._relayout_generation += 1
        self._relayout_timer.stop()
        if self._relayout_task is not None:
            self._relayout_task.cancel()
            self._relayout_task = None
        return self._relayout_generation

    def _relayout(self) -> None:
        rows = self.rows
        generation = self._supersede_relayout()
        if not isinstance(rows, TextRows) or rows.width == self.columns():
            return
        lines, width = rows.lines, self.columns()
        if len(lines.lengths) <= SYNC_LINES:
            self._replace_rows(TextRows(lines, width))
            return
        self._relayout_task = spawn(
            self._relayout_off_thread(generation, lines, width), name="rowsview-relayout"
        )

    async def _relayout_off_thread(self, generation: int, lines: LineIndex, width: int) -> None:
        stale = [False]
        try:
            rows = await asyncio.to_thread(TextRows, lines, width, lambda: stale[0])
        except asyncio.CancelledError:
            stale[0] = True
            raise
        except Superseded:
            return
        if shiboken6.isValid(self) and generation == self._relayout_generation:
            self._relayout_task = None
            self._replace_rows(rows)

    def _replace_rows(self, rows: TextRows) -> None:
        """The same text cut at another width: the row at the top and the selection stay."""
        top = self.rows.position(self.verticalScrollBar().value(), 0)
        self.rows = rows
        self._update_scrollbars()
        self.verticalScrollBar().setValue(rows.place(top)[0])
        self.viewport().update()
        self.relaid.emit()

    # -- selection and copying --------------------------------------------------------------

    def selection(self) -> tuple[int, int]:
        """The selected positions, start and end (equal when nothing is selected)."""
        return min(self._anchor, self._cursor), max(self._anchor, self._cursor)

    def select(self, start: int, end: int) -> None:
        self._anchor, self._cursor = start, end
        self.viewport().update()

    def select_all(self) -> None:
        self.select(0, self.rows.size)

    def selected_text(self) -> str:
        """The selected text, cut at COPY_LIMIT characters (`capped` says when)."""
        start, end = self.selection()
        if end - start > COPY_LIMIT:
            self.capped.emit(
                f"Copied the first {COPY_LIMIT:,} of the {end - start:,} characters selected;"
                " Copy body copies the whole body."
            )
            end = start + COPY_LIMIT
        return self.rows.copy(start, end)

    def copy(self) -> None:
        if self._anchor != self._cursor:
            QGuiApplication.clipboard().setText(self.selected_text())

    # -- geometry ---------------------------------------------------------------------------

    def _row_height(self) -> int:
        return self.fontMetrics().lineSpacing()

    def _visible_rows(self) -> int:
        """Rows wholly on screen (at least one)."""
        return max(1, self.viewport().height() // self._row_height())

    def _update_scrollbars(self) -> None:
        vertical = self.verticalScrollBar()
        visible = self._visible_rows()
        vertical.setRange(0, max(0, len(self.rows) - visible))
        vertical.setPageStep(visible)
        vertical.setSingleStep(1)
        horizontal = self.horizontalScrollBar()
        char = self.fontMetrics().horizontalAdvance("0")
        width = self.rows.widest * char + 2 * MARGIN
        horizontal.setRange(0, max(0, width - self.viewport().width()))
        horizontal.setPageStep(self.viewport().width())
        horizontal.setSingleStep(char)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scrollbars()
        if isinstance(self.rows, TextRows) and self.rows.width != self.columns():
            self._relayout_timer.start()

    def _layout(self, text: str, number: int, skip: int = 0) -> QTextLayout:
        """One row laid out (`text`: the row, less its first `skip` characters)."""
        layout = QTextLayout(text, self.font())
        if self.colours is not None and isinstance(self.rows, TextRows):
            layout.setFormats(self._colour_formats(self.colours, self.rows, text, number, skip))
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(1e9)
        line.setPosition(QPointF(0, 0))
        layout.endLayout()
        return layout

    def _colour_formats(
        self, colours: Colours, rows: TextRows, text: str, number: int, skip: int
    ) -> list[QTextLayout.FormatRange]:
        line, shift = rows.line_of(number)
        shift += skip
        dark = is_dark(self.palette())
        formats: list[QTextLayout.FormatRange] = []
        for start, length, token in colours(line):
            first, last = max(start - shift, 0), min(start + length - shift, len(text))
            if first >= last:
                continue
            span = QTextLayout.FormatRange()
            span.start = _utf16(text, first)
            span.length = _utf16(text, last) - span.start
            span.format = QTextCharFormat()
            span.format.setForeground(token_colour(token, dark))
            formats.append(span)
        return formats

    def _position_at(self, point: QPoint) -> int:
        count = len(self.rows)
        if count == 0:
            return 0
        number = self.verticalScrollBar().value() + max(point.y(), 0) // self._row_height()
        if number >= count:
            return self.rows.size
        text = self.rows.row(number)
        x = point.x() - MARGIN + self.horizontalScrollBar().value()
        # The layout must outlive its line: a QTextLine points into it.
        layout = self._layout(text, number)
        offset = layout.lineAt(0).xToCursor(max(x, 0))
        return self.rows.position(number, _from_utf16(text, offset))

    # -- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        height = self._row_height()
        first = self.verticalScrollBar().value()
        last = min(len(self.rows) - 1, first + self.viewport().height() // height)
        self.painted = (first, last)
        start, end = self.selection()
        selected = QTextCharFormat()
        selected.setBackground(self.palette().color(QPalette.ColorRole.Highlight))
        selected.setForeground(self.palette().color(QPalette.ColorRole.HighlightedText))
        scrolled = self.horizontalScrollBar().value()
        char = max(self.fontMetrics().horizontalAdvance("0"), 1)
        columns = self.viewport().width() // char + 2
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        for number in range(first, last + 1):
            text = self.rows.row(number)
            # Only what is in view of a long row: in a fixed font, ASCII columns are even.
            skip = max(0, scrolled // char - 1) if text.isascii() else 0
            text = text[skip : skip + columns + 1] if text.isascii() else text
            layout = self._layout(text, number, skip)
            selections = []
            row_start = self.rows.position(number, 0) + skip
            lit_from, lit_to = max(start - row_start, 0), min(end - row_start, len(text))
            if start != end and lit_from < lit_to:
                span = QTextLayout.FormatRange()
                span.start = _utf16(text, lit_from)
                span.length = _utf16(text, lit_to) - span.start
                span.format = selected
                selections.append(span)
            x = MARGIN - scrolled + skip * char
            layout.draw(painter, QPointF(x, (number - first) * height), selections)
        painter.end()

    # -- the user ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        position = self._position_at(event.position().toPoint())
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._anchor = position
        self._cursor = position
        self.viewport().update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        point = event.position().toPoint()
        # Dragging past an edge scrolls that way, a row at a time.
        if point.y() < 0:
            self.verticalScrollBar().triggerAction(
                self.verticalScrollBar().SliderAction.SliderSingleStepSub
            )
        elif point.y() > self.viewport().height():
            self.verticalScrollBar().triggerAction(
                self.verticalScrollBar().SliderAction.SliderSingleStepAdd
            )
        self._cursor = self._position_at(point)
        self.viewport().update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        vertical = self.verticalScrollBar()
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        elif (
            event.matches(QKeySequence.StandardKey.MoveToStartOfDocument)
            or event.key() == Qt.Key.Key_Home
        ):
            vertical.setValue(vertical.minimum())
        elif (
            event.matches(QKeySequence.StandardKey.MoveToEndOfDocument)
            or event.key() == Qt.Key.Key_End
        ):
            vertical.setValue(vertical.maximum())
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        copy = menu.addAction("&Copy", self.copy)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setEnabled(self._anchor != self._cursor)
        select = menu.addAction("Select &All", self.select_all)
        select.setShortcut(QKeySequence.StandardKey.SelectAll)
        menu.popup(event.globalPos())
