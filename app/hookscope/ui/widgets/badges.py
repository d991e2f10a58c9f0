"""Badges: a word on a soft colour (a verdict, a delivery's result), as a label or in a cell.

The word says it; the colour only helps the eye (never colour alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from hookscope.ui.style import VERDICT_HINTS, pill_style, verdict_colour

ColourOf = Callable[[str, QPalette], QColor]
BADGE_PADDING = 18  # what a badge in a cell adds to its word's width


class Badge(QLabel):
    """One word on its colour: a capture's verdict, or a delivery attempt's result.

    `restyle()` picks the colours again for the application's palette (call it when the
    palette turns light or dark).

    Attributes:
        word: the word shown ("" before the first `set_word`).
    """

    def __init__(
        self,
        colour_of: ColourOf = verdict_colour,
        hints: Mapping[str, str] | None = VERDICT_HINTS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._colour_of = colour_of
        self._hints = hints
        self.word = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMargin(4)
        # A pill the size of its word: beside a long, wrapped detail it must not grow with
        # the row into a tall blob.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_word(self, word: str) -> None:
        self.word = word
        self.setText(word)
        self.restyle()
        if self._hints is not None:
            self.setToolTip(self._hints.get(word, ""))

    def restyle(self) -> None:
        if not self.word:
            return
        # The application's palette: a widget with a style sheet keeps the palette it had.
        palette = QGuiApplication.palette()
        colour = self._colour_of(self.word, palette)
        self.setStyleSheet(pill_style(colour, palette.color(QPalette.ColorRole.Text)))


class BadgeDelegate(QStyledItemDelegate):
    """Draws a cell's word as a rounded badge: the word says it, the colour only helps the eye.

    Each badge is drawn once into a pixmap, kept for its word, palette, font and height: a
    list repaints every row each time captures arrive at the top, and the same few words
    recur.
    """

    def __init__(self, colour_of: ColourOf, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._colour_of = colour_of
        self._pills: dict[tuple[str, int, str, int, float], QPixmap] = {}

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # The selection and focus background first, as any cell.
        self.initStyleOption(option, index)
        word = option.text
        option.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        if word:
            self.paint_word(painter, option, word, option.rect)

    def paint_word(
        self, painter: QPainter, option: QStyleOptionViewItem, word: str, cell: QRect
    ) -> None:
        """The badge of `word` in `cell` (its background already painted), in `option`'s
        palette and font."""
        height = min(cell.height() - 4, option.fontMetrics.height() + 4)
        pill = self._pill(word, option, height, painter.device().devicePixelRatioF())
        width = round(pill.width() / pill.devicePixelRatio())
        top = cell.top() + (cell.height() - height) // 2
        if width <= cell.width() - 8:
            painter.drawPixmap(cell.left() + 4, top, pill)
        else:  # a column narrower than the word: the badge fills it, its word centred
            self._draw(painter, option, word, QRect(cell.left() + 4, top, cell.width() - 8, height))

    def _pill(self, word: str, option: QStyleOptionViewItem, height: int, ratio: float) -> QPixmap:
        key = (word, option.palette.cacheKey(), option.font.key(), height, ratio)
        pill = self._pills.get(key)
        if pill is None:
            if len(self._pills) > 256:  # palettes and fonts changed many times: start again
                self._pills.clear()
            width = option.fontMetrics.horizontalAdvance(word) + 14
            pill = QPixmap(round(width * ratio), round(height * ratio))
            pill.setDevicePixelRatio(ratio)
            pill.fill(Qt.GlobalColor.transparent)
            on_pill = QPainter(pill)
            on_pill.setFont(option.font)
            self._draw(on_pill, option, word, QRect(0, 0, width, height))
            on_pill.end()
            self._pills[key] = pill
        return pill

    def _draw(
        self, painter: QPainter, option: QStyleOptionViewItem, word: str, rect: QRect
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour_of(word, option.palette))
        radius = rect.height() / 2
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, word)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + BADGE_PADDING, hint.height())


class VerdictDelegate(BadgeDelegate):
    """The verdict column's badge."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(verdict_colour, parent)
