"""Telling the user at once that the background check found the store damaged."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox

from hookscope.engine import Engine
from hookscope.engine.config import DAMAGE
from hookscope.ui.bridge import EngineBridge

WHAT_TO_DO = (
    "Capture has stopped, so that nothing more is written into the damaged file. Quit"
    " Hookscope before you replace the store or move it away."
)


class DamageAlert(QObject):
    """A window-modal message with the engine's sentence, once, when capture stopped for damage.

    Attributes:
        box: the message, once shown (None before).
    """

    def __init__(self, window: QMainWindow, engine: Engine, bridge: EngineBridge) -> None:
        super().__init__(window)
        self._window = window
        self._engine = engine
        self.box: QMessageBox | None = None
        bridge.config_changed.connect(self.config_changed)
        if engine.damage:  # found before the window listened
            QTimer.singleShot(0, self.show)

    def config_changed(self, kinds: list[str]) -> None:
        if DAMAGE in kinds:
            self.show()

    def reason(self) -> str:
        """What the listener bar says while capture is stopped for damage ("" otherwise)."""
        return "capture stopped: the store is damaged" if self._engine.damage else ""

    def show(self) -> None:
        if self.box is not None or not self._engine.damage:
            return
        self._window.statusBar().showMessage("Capture stopped: the store is damaged.")
        # A decision is needed before going on, so this one is window-modal (never app-modal:
        # the engine keeps answering, and other windows keep working).
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "The store is damaged",
            self._engine.damage,
            QMessageBox.StandardButton.Ok,
            self._window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(WHAT_TO_DO)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.box = box
