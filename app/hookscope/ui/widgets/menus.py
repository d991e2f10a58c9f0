"""Right-click menus on lists: the same actions the keys and menus already offer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QMenu

# One entry of a context menu: an action, or None for a separator.
Entries = Sequence[QAction | None]


def build_menu(parent: QAbstractItemView, entries: Entries) -> QMenu:
    """A menu of `entries` (None draws a separator; no separator leads, trails or doubles)."""
    menu = QMenu(parent)
    pending_separator = False
    for entry in entries:
        if entry is None:
            pending_separator = not menu.isEmpty()
            continue
        if pending_separator:
            menu.addSeparator()
            pending_separator = False
        menu.addAction(entry)
    return menu


def attach_context_menu(view: QAbstractItemView, entries: Callable[[], Entries]) -> None:
    """Right-clicking `view` (or the Menu key) pops up a menu of `entries()`, built then.

    The actions are the ones the view's keys trigger, so a menu entry shows its shortcut and
    is enabled exactly when the key would work. The menu deletes itself when closed.
    """
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show(position: QPoint) -> None:
        menu = build_menu(view, entries())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(view.viewport().mapToGlobal(position))

    view.customContextMenuRequested.connect(show)
