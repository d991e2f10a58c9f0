"""Labels for sentences and user data: plain text, never rich; a bold heading."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from hookscope.ui.style import set_tone


def plain_label(
    text: str = "", *, tone: str | None = None, wrap: bool = True, selectable: bool = True
) -> QLabel:
    """A label that never interprets its text (captured data, sentences) as HTML.

    Wrapped and selectable unless told otherwise; `tone` colours it ("error", "warning", "ok").
    """
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if tone is not None:
        set_tone(label, tone)
    return label


def heading(text: str) -> QLabel:
    label = plain_label(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
