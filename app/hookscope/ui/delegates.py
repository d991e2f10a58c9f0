"""Painting that a plain text cell cannot do: the verdict badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from hookscope.ui.style import verdict_colour


class VerdictDelegate(QStyledItemDelegate):
    """Draws the verdict as a rounded badge: its word, on a colour that only helps the eye."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        verdict = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        # The selection and focus background first, as any cell.
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        if not verdict:
            return
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(verdict) + 14
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
        painter.setBrush(verdict_colour(verdict, option.palette))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(option.palette.color(option.palette.ColorRole.Text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, verdict)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 18, hint.height())
