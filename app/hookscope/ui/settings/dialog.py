"""The settings dialog: listeners, response rules, secrets, the emulator's API keys, sending."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.ui.settings.apikeys import ApiKeysTab
from hookscope.ui.settings.listener import ListenerTab
from hookscope.ui.settings.rules import RulesTab
from hookscope.ui.settings.secrets import SecretsTab
from hookscope.ui.settings.sending import SendingTab
from hookscope.ui.settings.writes import SettingsWrites
from hookscope.ui.style import retint


class SettingsDialog(QDialog):
    """Listeners, response rules, stored secrets, the emulator's API keys and the send policy.

    Every tab saves through one SettingsWrites, that is through the engine, which applies the
    change at once and announces it. Open with `.open()` or `.show()`, never `.exec()`.

    Signals:
        listener_changed(str): the listener restarted (its URL), or is stopped ("") because the
            new address could not be bound.
        api_changed(str): the Kardow API emulator restarted (its URL), or is off or stopped ("").

    Attributes:
        tabs: the "Listener", "Response rules", "Secrets", "Kardow API" and "Sending" tabs.
        listener, rules, secrets, api_keys, sending: the tabs' widgets, in that order.
    """

    listener_changed = Signal(str)
    api_changed = Signal(str)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(780, 540)
        writes = SettingsWrites(engine)
        self.listener = ListenerTab(engine, db, writes)
        self.rules = RulesTab(engine, db, writes)
        self.secrets = SecretsTab(engine, db, writes)
        self.api_keys = ApiKeysTab(engine, db, writes)
        self.sending = SendingTab(engine, db, writes)
        self.listener.listener_changed.connect(self.listener_changed)
        self.listener.api_changed.connect(self.api_changed)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.listener, "Listener")
        self.tabs.addTab(self.rules, "Response rules")
        self.tabs.addTab(self.secrets, "Secrets")
        self.tabs.addTab(self.api_keys, "Kardow API")
        self.tabs.addTab(self.sending, "Sending")
        self.tabs.currentChanged.connect(lambda _index: self._hide_shown())
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(close)
        # Enter in a field must not close the dialog through a default button.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.reload()

    def reload(self) -> None:
        """Show what is stored now (another process may have changed it)."""
        self.listener.load()
        self.rules.load()
        self.secrets.load()
        self.api_keys.hide_new_key()
        self.api_keys.load()
        self.sending.load()

    def _hide_shown(self) -> None:
        """Nothing secret stays on screen: a revealed secret, a generated key."""
        self.secrets.hide_secret()
        self.api_keys.hide_new_key()

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():
            self.reload()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._hide_shown()  # a revealed secret or new key does not outlive the dialog on screen
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)
