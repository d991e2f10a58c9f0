"""The tray icon: Hookscope keeps capturing with the window hidden, and says so (and, if the
user asked, tells failed verifications as desktop notifications)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from hookscope.ui.icons import app_icon
from hookscope.ui.notify import Notifier
from hookscope.ui.window import MainWindow


class Tray(QObject):
    """The icon in the system tray, where the desktop has one.

    Clicking it shows or hides the window; its menu shows the listener, and quits. Its tooltip
    tells where Hookscope listens and how many deliveries it holds.

    Notifications (Settings, Notifications) show as the tray's messages; clicking one shows
    the window on the capture it counts. Without a tray (or messages), the window's taskbar
    entry asks for attention instead.

    Attributes:
        icon: the QSystemTrayIcon (None when the desktop has no tray).
        notifier: decides when a failed or stale verification is worth a notification.
        notified: the capture the last notification counts (a click shows it), or None.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.icon: QSystemTrayIcon | None = None
        self.notified: int | None = None
        self.notifier = Notifier(window, window.db, window.bridge, self)
        self.notifier.requested.connect(self.notify)
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.messageClicked.connect(self.show_notified)
        menu = QMenu()
        self._toggle = QAction("Show Hookscope", menu)
        self._toggle.triggered.connect(self.toggle_window)
        menu.addAction(self._toggle)
        menu.addSeparator()
        menu.addAction(window.quit_action)
        self._menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()
        self.icon.show()

    def tooltip(self) -> str:
        engine = self._window.engine
        where = f"listening on {engine.url}" if engine.url else "not listening"
        return f"Hookscope — {where} · {self._window.stats.text() or 'no captures'}"

    def refresh(self) -> None:
        if self.icon is not None:
            self.icon.setToolTip(self.tooltip())
            hidden = not self._window.isVisible()
            self._toggle.setText("Show Hookscope" if hidden else "Hide Hookscope")

    def notify(self, title: str, text: str, capture_id: int) -> None:
        self.notified = capture_id
        if self.icon is not None and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 10_000)
        else:
            QApplication.alert(self._window)  # the taskbar entry asks for attention

    def show_notified(self) -> None:
        """The notification was clicked: the window, on the capture it counts."""
        self.show_window()
        if self.notified is not None:
            self._window.show_capture(self.notified)

    def show_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
        self.refresh()

    def toggle_window(self) -> None:
        if self._window.isVisible():
            self._window.hide()
            self.refresh()
        else:
            self.show_window()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()
