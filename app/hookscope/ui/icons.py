"""The app icon as Qt sees it, built from the packaged PNGs (no file paths involved)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon, QPixmap

from hookscope import resources

DESKTOP_ID = "io.github.hookscope.Hookscope"


@cache
def app_icon() -> QIcon:
    """Every size of the icon in one QIcon: window, task bar, tray and dialogs pick theirs."""
    icon = QIcon()
    for size in resources.ICON_SIZES:
        pixmap = QPixmap()
        if pixmap.loadFromData(resources.icon_png(size), "PNG"):
            icon.addPixmap(pixmap)
    return icon
