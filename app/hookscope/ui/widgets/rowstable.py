"""A list table that paints its visible rows itself, in one pass.

Qt's own table asks the model, for every cell it paints, for an index and then for its roles:
two calls into Python per cell, about 600 for one repaint of the capture list. Each call
takes the interpreter lock, and while the engine's threads capture they hold it often: a
repaint that costs 17 ms with the app idle took about 60 ms at 500 captures a second, and a
list that follows new captures repaints every time rows arrive. Painted here, the rows cost
one call into Python for the whole repaint: 11 ms idle, 27-35 ms under the same load.

Everything else is Qt's: scrolling, selection, keyboard, tooltips, accessibility, headers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionFocusRect, QStyleOptionViewItem, QTableView

from hookscope.ui.widgets.badges import BadgeDelegate
from hookscope.ui.widgets.paging import PLACEHOLDER
from hookscope.ui.widgets.records import RecordRole, RecordTableModel

_RECORD = int(RecordRole)
# Styles whose item views paint plain rows (fills and text): the rows are painted here for
# them. Native styles (Windows, macOS) draw their own selection and hover: Qt paints those.
PLAIN_STYLES = frozenset({"fusion"})
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class RowsTable(QTableView):
    """A QTableView that paints each visible row from its model in one pass.

    What it draws is what Qt's delegate draws for these lists: the row backgrounds (base,
    alternate, selected), each cell's display text elided as the view says, aligned and
    coloured as the model says, the badge columns through their BadgeDelegate, and the
    focus frame of the current cell while the list has the focus. A row whose record is not
    in memory yet shows the model's placeholder (asking for it, as a view's data() call does).
    Under a native style (not in PLAIN_STYLES) Qt paints instead.
    """

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if (
            not isinstance(model, RecordTableModel)
            or model.rowCount() == 0
            or self.style().name().lower() not in PLAIN_STYLES
        ):
            super().paintEvent(event)
            return
        area = event.rect()
        first = self.rowAt(area.top())
        if first < 0:
            return  # below the last row
        last = self.rowAt(area.bottom())
        if last < 0:
            last = model.rowCount() - 1
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        colours = _Colours(self.palette(), _colour_group(option))
        cells = _Cells(self, model, option, colours)
        selection = self.selectionModel()
        root = QModelIndex()
        height = self.verticalHeader().defaultSectionSize()
        painter = QPainter(self.viewport())
        try:
            for row in range(first, last + 1):
                top = self.rowViewportPosition(row)
                selected = selection is not None and selection.isRowSelected(row, root)
                painter.fillRect(0, top, cells.right, height, colours.background(row, selected))
                # Asked as a view asks (a row not in memory is then read).
                record = model.data(model.index(row, 0), _RECORD)
                cells.paint_row(painter, record, top, height, selected)
            self._paint_focus(painter, option)
        finally:
            painter.end()

    def painted_columns(self) -> list[tuple[int, int, int]]:
        """The columns in view: (column, left edge in the viewport, width)."""
        model = self.model()
        right = self.viewport().width()
        found: list[tuple[int, int, int]] = []
        for column in range(model.columnCount()):
            if self.isColumnHidden(column):
                continue
            left, span = self.columnViewportPosition(column), self.columnWidth(column)
            if span > 0 and left + span > 0 and left < right:
                found.append((column, left, span))
        return found

    def _paint_focus(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        """The current cell's focus frame, drawn as Qt's table draws it (QCommonStyle)."""
        current = self.currentIndex()
        if not (current.isValid() and (self.hasFocus() or self.viewport().hasFocus())):
            return
        frame = QStyleOptionFocusRect()
        frame.initFrom(self)
        frame.rect = self.visualRect(current)
        frame.state = (
            option.state
            | QStyle.StateFlag.State_HasFocus
            | QStyle.StateFlag.State_KeyboardFocusChange
            | QStyle.StateFlag.State_Item
        )
        selected = self.selectionModel().isSelected(current)
        role = QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Window
        frame.backgroundColor = self.palette().color(_colour_group(option), role)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, frame, painter, self)


def _colour_group(option: QStyleOptionViewItem) -> QPalette.ColorGroup:
    """The palette's group for the view's state, as Qt's delegate picks it: Inactive when
    the list has not the focus (initViewItemOption drops State_Active then)."""
    if not option.state & QStyle.StateFlag.State_Enabled:
        return QPalette.ColorGroup.Disabled
    if option.state & QStyle.StateFlag.State_Active:
        return QPalette.ColorGroup.Active
    return QPalette.ColorGroup.Inactive


def _one_line(text: str) -> str:
    """A cell shows one line: what follows a line break is left out, as Qt's delegate
    leaves it (a sender chooses event names, and may put newlines in them)."""
    line, brk, _ = text.replace("\r", "\n").partition("\n")
    return line.replace("\t", " ") + ("…" if brk else "")


class _Cells:
    """The columns of one repaint and how their cells are drawn."""

    def __init__(
        self,
        table: RowsTable,
        model: RecordTableModel[Any],
        option: QStyleOptionViewItem,
        colours: _Colours,
    ) -> None:
        self._model = model
        self._option = option
        self._colours = colours
        self._columns = table.painted_columns()
        # Rows are painted as far as their last column, as Qt paints them.
        self.right = max((left + span for _, left, span in self._columns), default=0)
        self._badges = {
            column: delegate
            for column, _, _ in self._columns
            if isinstance(delegate := table.itemDelegateForColumn(column), BadgeDelegate)
        }
        self._metrics = table.fontMetrics()
        self._elide = table.textElideMode()
        style = table.style()
        self._margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1

    def paint_row(
        self, painter: QPainter, record: Any, top: int, height: int, selected: bool
    ) -> None:
        model = self._model
        for column, left, span in self._columns:
            cell = QRect(left, top, span, height)
            if record is None:  # its page is being read
                if column == getattr(model, "PLACEHOLDER_COLUMN", 0):
                    self._text(
                        painter, cell, PLACEHOLDER, column=column, colour=None, selected=selected
                    )
                continue
            text = model.cell_text(record, column)
            if not text:
                continue
            badge = self._badges.get(column)
            if badge is not None:
                badge.paint_word(painter, self._option, text, cell)
                continue
            colour = model.cell_colour(record, column)
            self._text(painter, cell, text, column=column, colour=colour, selected=selected)

    def _text(
        self,
        painter: QPainter,
        cell: QRect,
        text: str,
        *,
        column: int,
        colour: QColor | None,
        selected: bool,
    ) -> None:
        painter.setPen(self._colours.text(selected, colour))
        inner = cell.adjusted(self._margin, 0, -self._margin, 0)
        shown = self._metrics.elidedText(_one_line(text), self._elide, inner.width())
        painter.drawText(inner, _RIGHT if column in self._model.RIGHT else _LEFT, shown)


class _Colours:
    """The brushes and pens of one repaint, looked up once."""

    def __init__(self, palette: QPalette, group: QPalette.ColorGroup) -> None:
        self._base = palette.brush(group, QPalette.ColorRole.Base)
        self._alternate = palette.brush(group, QPalette.ColorRole.AlternateBase)
        self._highlight = palette.brush(group, QPalette.ColorRole.Highlight)
        self._text = palette.color(group, QPalette.ColorRole.Text)
        self._highlighted_text = palette.color(group, QPalette.ColorRole.HighlightedText)

    def background(self, row: int, selected: bool) -> QBrush:
        if selected:
            return self._highlight
        return self._alternate if row % 2 else self._base

    def text(self, selected: bool, own: QColor | None) -> QColor:
        if selected:
            return self._highlighted_text
        return own if own is not None else self._text
