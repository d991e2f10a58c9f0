"""The Notifications tab: whether a failed or stale verification is told on the desktop."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.notify import NOTIFY, NOTIFY_DEFAULT
from hookscope.ui.settings.common import FormTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import show_text
from hookscope.ui.widgets.labels import plain_label


class NotificationsTab(FormTab):
    """Desktop notifications while the window is hidden or minimised (off unless turned on).

    Attributes:
        notify_check: "Notify me of failed or stale verifications while the window is hidden".
        notify_error: why the choice could not be saved, hidden when it was.
    """

    TITLE = "Notifications"

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self.notify_check = QCheckBox(
            "&Notify me of failed or stale verifications while the window is hidden"
        )
        self.notify_error = plain_label(tone="error")
        self.notify_error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.notify_check)
        layout.addWidget(
            plain_label(
                "While the window is hidden or minimised, a delivery whose signature fails or "
                "whose timestamp is stale raises a desktop notification (at most one every few "
                "seconds, counting what arrived meanwhile); clicking it shows that capture. "
                "Off unless you turn it on: failing deliveries are often sent on purpose while "
                "testing."
            )
        )
        layout.addWidget(self.notify_error)
        layout.addStretch(1)
        self.watch(self.notify_check)

    def load(self) -> None:
        self.notify_check.setChecked(reads.get_setting(self._db, NOTIFY, NOTIFY_DEFAULT) is True)
        show_text(self.notify_error, "")
        self.loaded()

    def values(self) -> tuple[object, ...]:
        return (self.notify_check.isChecked(),)

    async def save(self) -> str | None:
        try:
            await self._writes.set_setting(NOTIFY, self.notify_check.isChecked())
        except WRITE_ERRORS as exc:
            problem = f"The choice cannot be saved: {exc}."
            if Shiboken.isValid(self):
                show_text(self.notify_error, problem)
            return problem
        if Shiboken.isValid(self):
            self.load()
        return None
