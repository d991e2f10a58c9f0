"""Line edits with a job: a read-only value that scrolls, a secret typed hidden; dialogs
whose fields Enter does not close, and the row of controls that runs a dialog's job."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from hookscope.ui.widgets.records import plain_tooltip


class ValueField(QLineEdit):
    """A read-only value in a form: plain text, selectable, scrolls when long."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFrame(False)
        self.setStyleSheet("QLineEdit { background: transparent; }")
        self.setCursorPosition(0)

    def set_value(self, text: str) -> None:
        self.setText(text)
        long = self.fontMetrics().horizontalAdvance(text) > max(self.width(), 300)
        self.setToolTip(plain_tooltip(text) if long else "")
        self.setCursorPosition(0)


class SecretField(QWidget):
    """A password-mode line edit with a Show/Hide toggle.

    Attributes:
        edit: the line edit (password echo until shown).
        toggle: the checkable Show/Hide button.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.toggle = QToolButton()
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show or hide what is typed")
        self.toggle.toggled.connect(self._shown)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def text(self) -> str:
        return self.edit.text()

    def _shown(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)
        self.toggle.setText("Hide" if shown else "Show")


def no_default_buttons(dialog: QWidget) -> None:
    """Enter in one of the dialog's fields presses none of its buttons (a dialog's default
    button would close it, or send, by surprise)."""
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)


class RunRow(QHBoxLayout):
    """A job's controls in one line: the button that starts it, its progress, and Cancel.

    Attributes:
        start_button, progress_bar, cancel_button: the three, for the dialog to wire up.
    """

    def __init__(self, start: str, cancel_tip: str) -> None:
        super().__init__()
        self.start_button = QPushButton(start)
        self.progress_bar = QProgressBar()
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setToolTip(cancel_tip)
        self.addWidget(self.start_button)
        self.addWidget(self.progress_bar, 1)
        self.addWidget(self.cancel_button)
