"""Painting that a plain text cell cannot do: badges (a verdict, a delivery result)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from hookscope.ui.style import verdict_colour

ColourOf = Callable[[str, QPalette], QColor]


class BadgeDelegate(QStyledItemDelegate):
    """Draws a cell's word as a rounded badge: the word says it, the colour only helps the eye."""

    def __init__(self, colour_of: ColourOf, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._colour_of = colour_of

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        word = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        # The selection and focus background first, as any cell.
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        if not word:
            return
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(word) + 14
        height = min(option.rect.height() - 4, metrics.height() + 4)
        rect = QRect(
            option.rect.left() + 4,
            option.rect.top() + (option.rect.height() - height) // 2,
            min(width, option.rect.width() - 8),
            height,
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour_of(word, option.palette))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(option.palette.color(option.palette.ColorRole.Text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, word)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 18, hint.height())


class VerdictDelegate(BadgeDelegate):
    """The verdict column's badge."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(verdict_colour, parent)
