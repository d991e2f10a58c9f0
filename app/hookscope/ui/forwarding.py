"""Forwarding in the window: Forward to… (every capture to a URL, this session only) and the
line above the list that says it is on; sending failed forwards again, one capture's or a
period's (with progress and Cancel)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, QObject, Signal
from PySide6.QtGui import QAction, QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.model import Attempt
from hookscope.engine import EngineError
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.captures.forwards import SEND_AGAIN_KEYS
from hookscope.ui.captures.model import ListedCapture
from hookscope.ui.captures.page import CapturesPage
from hookscope.ui.client import EngineClient
from hookscope.ui.style import say
from hookscope.ui.widgets.fields import RunRow, no_default_buttons
from hookscope.ui.widgets.labels import plain_label

RECENT = "ui.forward_to.recent"  # the URLs Forward to… offers, newest first
RECENT_KEPT = 8
FORWARD_TO_KEYS = "Ctrl+Shift+F"
RETRY_FAILED_KEYS = "Ctrl+Shift+G"
PERIODS = ("The last hour", "Today", "From… to…")


def attempts_summary(attempts: list[Attempt]) -> str:
    """ "2 delivered, 1 failed" of the last attempt of each forward sent."""
    delivered = sum(1 for attempt in attempts if attempt.ok)
    failed = len(attempts) - delivered
    parts = [f"{delivered} delivered"] if delivered else []
    parts += [f"{failed} failed"] if failed else []
    return ", ".join(parts) or "none sent"


def forwards_phrase(n: int) -> str:
    return "1 forward" if n == 1 else f"{n:,} forwards"


class ForwardToDialog(QDialog):
    """Forward every capture to one URL as it arrives, until Stop or until Hookscope quits.

    Modeless; Start (Ctrl+Return or Enter) asks the engine, which checks the URL; the URLs
    used are remembered and offered again.

    Signals:
        changed(str): forwarding now goes to this URL ("": stopped).

    Attributes:
        url_box: the URL (typed, or one used before).
        start_button, stop_button: turn it on (or to another URL) and off.
        status_label: why the URL cannot be used, in one sentence.
    """

    changed = Signal(str)

    def __init__(self, client: EngineClient, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._db = db
        self._work = Background(
            self, "forward-to", lambda exc: say(self.status_label, f"{exc}", "error")
        )
        self.setWindowTitle("Forward to")
        self.setMinimumWidth(560)
        about = plain_label(
            "Every capture from now on is sent on to this URL too, byte for byte, in the"
            " background (its path and query follow the URL's path). For this session only:"
            " it stops when Hookscope quits. Settings > Forwarding keeps rules."
        )
        self.url_box = QComboBox()
        self.url_box.setEditable(True)
        self.url_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.url_box.setMinimumContentsLength(48)
        self.url_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        line = self.url_box.lineEdit()
        assert line is not None  # an editable box has one
        line.setPlaceholderText("http://localhost:3000/webhooks")
        line.setClearButtonEnabled(True)
        line.returnPressed.connect(self._start_clicked)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&URL", self.url_box)
        self.status_label = plain_label(tone="error")
        self.status_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.start_button = self.buttons.addButton("&Start", QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.start_button.setToolTip("Forward every capture to this URL (Ctrl+Return)")
        self.start_button.clicked.connect(self._start_clicked)
        self.stop_button = self.buttons.addButton("S&top", QDialogButtonBox.ButtonRole.ActionRole)
        self.stop_button.setToolTip("Stop forwarding to it")
        self.stop_button.clicked.connect(lambda: self._work.run(self.stop()))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        no_default_buttons(self)

    def refresh(self, current: str) -> None:
        """Offer the URLs used before; show the one forwarded to now, if any."""
        recent = reads.get_setting(self._db, RECENT, [])
        urls = [u for u in recent if isinstance(u, str)] if isinstance(recent, list) else []
        typed = self.url_box.currentText()
        self.url_box.clear()
        self.url_box.addItems(urls)
        self.url_box.setCurrentText(current or typed or (urls[0] if urls else ""))
        self.stop_button.setEnabled(bool(current))
        say(self.status_label, "")

    def _start_clicked(self) -> None:
        self._work.run(self.start())

    async def start(self) -> bool:
        """Forward to the URL in the box; False (and why, in one sentence) when it cannot."""
        url = self.url_box.currentText().strip()
        if not url:
            say(self.status_label, "Enter the URL of your app.", "error")
            return False
        try:
            await self._client.set_forward_to([url])
        except EngineError as exc:
            say(self.status_label, str(exc), "error")
            return False
        recent = reads.get_setting(self._db, RECENT, [])
        kept = (
            [u for u in recent if isinstance(u, str) and u != url]
            if isinstance(recent, list)
            else []
        )
        await self._client.set_setting(RECENT, [url, *kept][:RECENT_KEPT])
        if Shiboken.isValid(self):
            self.changed.emit(url)
            self.accept()
        return True

    async def stop(self) -> None:
        await self._client.set_forward_to([])
        if Shiboken.isValid(self):
            self.stop_button.setEnabled(False)
            self.changed.emit("")

    async def settle(self) -> None:
        await self._work.settle()


class ForwardingLine(QWidget):
    """One line above the capture list while Forward to… is on: where to, and Stop.

    Attributes:
        label: "Forwarding every capture to URL (this session only)".
        stop_button: turns it off.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = plain_label(tone="ok", wrap=False)
        self.stop_button = QPushButton("Stop &forwarding")
        self.stop_button.setToolTip("Stop sending captures to this URL")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.stop_button)
        self.show_url("")

    def show_url(self, url: str) -> None:
        self.label.setText(f"⇢ Forwarding every capture to {url}  (this session only)")
        self.label.setToolTip(url)
        self.setVisible(bool(url))


class RetryFailedDialog(QDialog):
    """Send failed forwards again: every forward of a period whose last attempt failed or that
    was never sent. Modeless; the bar says how many are done; Cancel (or closing) leaves the
    ones not started yet as they were.

    Attributes:
        period_box: the last hour, today, or from… to… (since_edit, until_edit, local time).
        send_button, cancel_button, progress_bar, status_label: run it, stop it, how far, and
            the result ("3 forwards sent again: 2 delivered, 1 failed.").
        last_result: the last run's attempts (the last of each forward), or None.
    """

    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._cancel: threading.Event | None = None
        self.last_result: list[Attempt] | None = None
        self._work = Background(
            self, "retry-failed", lambda exc: say(self.status_label, f"{exc}", "error")
        )
        self.setWindowTitle("Send failed forwards again")
        self.setMinimumWidth(520)
        about = plain_label(
            "Sends again every forward made in the period whose last attempt failed (your app"
            " was down, or answered an error) or that was never sent, by the sending policy."
        )
        self.period_box = QComboBox()
        self.period_box.addItems(PERIODS)
        self.period_box.currentIndexChanged.connect(lambda _: self._period_changed())
        now = QDateTime.currentDateTime()
        self.since_edit = QDateTimeEdit(now.addSecs(-3600))
        self.until_edit = QDateTimeEdit(now)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        form = QFormLayout()
        form.addRow("&Period", self.period_box)
        form.addRow("&From", self.since_edit)
        form.addRow("&To", self.until_edit)
        row = RunRow("&Send again  (Ctrl+Return)", "Leave the forwards not sent yet as they are")
        self.send_button, self.progress_bar = row.start_button, row.progress_bar
        self.cancel_button = row.cancel_button
        self.send_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.send_button.clicked.connect(self._send_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.status_label = plain_label()
        self.status_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        no_default_buttons(self)
        self._set_running(False)
        self._period_changed()

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def _period_changed(self) -> None:
        custom = self.period_box.currentIndex() == len(PERIODS) - 1
        self.since_edit.setEnabled(custom and not self.running)
        self.until_edit.setEnabled(custom and not self.running)

    def period(self) -> tuple[datetime | None, datetime | None] | str:
        """The period chosen, in UTC, or why it is not one (a sentence)."""
        choice = self.period_box.currentIndex()
        now = datetime.now(UTC)
        if choice == 0:
            return now - timedelta(hours=1), None
        if choice == 1:
            midnight = datetime.now().astimezone().replace(hour=0, minute=0, second=0)
            return midnight.replace(microsecond=0).astimezone(UTC), None
        since = _utc(self.since_edit.dateTime())
        until = _utc(self.until_edit.dateTime())
        if until <= since:
            return "The end of the period must come after its start."
        return since, until

    def _set_running(self, running: bool) -> None:
        self.send_button.setEnabled(not running)
        self.period_box.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self._period_changed()

    def _send_clicked(self) -> None:
        if not self.running:
            self._work.run(self.run())

    async def run(self) -> list[Attempt] | None:
        """Send the period's failed forwards again; the last attempt of each, or None when the
        period is not one."""
        period = self.period()
        if isinstance(period, str):
            say(self.status_label, period, "error")
            return None
        cancel = threading.Event()
        self._cancel = cancel
        self._set_running(True)
        self.progress_bar.setRange(0, 0)  # busy until the engine says how many
        say(self.status_label, "Sending failed forwards again… Cancel leaves the rest.")
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:  # on the engine loop
            loop.call_soon_threadsafe(self._progressed, done, total)

        try:
            attempts = await self._client.retry_failed_forwards(*period, report, cancel)
        except EngineError as exc:
            say(self.status_label, str(exc), "error")
            return None
        finally:
            self._cancel = None
            if Shiboken.isValid(self):
                self._set_running(False)
        self.last_result = attempts
        if Shiboken.isValid(self):
            self._finished(attempts, cancelled=cancel.is_set())
        return attempts

    def _progressed(self, done: int, total: int) -> None:
        if Shiboken.isValid(self) and self.running:
            self.progress_bar.setRange(0, max(total, 1))
            self.progress_bar.setValue(done)
            self.progress_bar.setFormat(f"{done} of {total}")

    def _finished(self, attempts: list[Attempt], *, cancelled: bool) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.progress_bar.setFormat("done" if not cancelled else "cancelled")
        summary = attempts_summary(attempts)
        if cancelled:
            text = f"Cancelled: {forwards_phrase(len(attempts))} sent again ({summary});"
            say(self.status_label, f"{text} the others are as they were.", "warning")
        elif not attempts:
            say(self.status_label, "No failed or unsent forward was made in that period.", "ok")
        else:
            failed = any(not attempt.ok for attempt in attempts)
            text = f"{forwards_phrase(len(attempts))} sent again: {summary}."
            say(self.status_label, text, "warning" if failed else "ok")

    def cancel(self) -> None:
        if self._cancel is not None and not self._cancel.is_set():
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            say(self.status_label, "Cancelling… the forwards under way finish first.")

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel()  # closed (or the window closing): nothing goes on unseen
        super().hideEvent(event)

    async def settle(self) -> None:
        await self._work.settle()


def _utc(moment: QDateTime) -> datetime:
    local = moment.toPython()
    assert isinstance(local, datetime)
    return local.astimezone(UTC)


class ForwardingActions(QObject):
    """The window's forwarding actions, their dialogs, and the line above the capture list.

    Signals:
        message(str, int): a sentence for the status bar, and for how many ms.

    Attributes:
        forward_to_action: Listener > Forward to… (Ctrl+Shift+F), also the bar's button.
        send_again_action: Send > Send failed forwards of selected again (Ctrl+G).
        retry_failed_action: Send > Send failed forwards again… (Ctrl+Shift+G).
        line: the bar's "Forwarding every capture to …" line.
        forward_to_dialog, retry_dialog: the dialogs once opened.
    """

    message = Signal(str, int)

    def __init__(
        self,
        client: EngineClient,
        db: Database,
        captures: CapturesPage,
        show: Callable[[QDialog], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._db = db
        self._captures = captures
        self._show = show
        self._parent = parent
        self.forward_to_dialog: ForwardToDialog | None = None
        self.retry_dialog: RetryFailedDialog | None = None
        self._work = Background(
            self, "forwarding", lambda exc: self.message.emit(f"That did not work: {exc}", 10000)
        )
        self.forward_to_action = _action(
            "&Forward to…",
            FORWARD_TO_KEYS,
            "Send every capture on to your app, for this session only",
            parent,
        )
        self.forward_to_action.triggered.connect(lambda _=False: self.open_forward_to())
        self.send_again_action = _action(
            "Send &failed forwards of selected again",
            SEND_AGAIN_KEYS,
            "Send the selected captures' failed or unsent forwards to your app again",
            parent,
        )
        self.send_again_action.triggered.connect(lambda _=False: self.send_selected_again())
        self.retry_failed_action = _action(
            "Send failed forwards &again…",
            RETRY_FAILED_KEYS,
            "Send again every failed or unsent forward of a period",
            parent,
        )
        self.retry_failed_action.triggered.connect(lambda _=False: self.open_retry_failed())
        self.line = ForwardingLine()
        self.line.stop_button.clicked.connect(lambda: self._work.run(self.stop_forward_to()))
        captures.filters.add_line(self.line)
        captures.filters.forward_button.setDefaultAction(self.forward_to_action)
        captures.filters.forward_button.setText("Forward to…")
        captures.detail.forwards.send_again.connect(
            lambda ids: self._work.run(self.send_again(ids))
        )

    def open_forward_to(self) -> ForwardToDialog:
        if self.forward_to_dialog is None:
            self.forward_to_dialog = ForwardToDialog(self._client, self._db, self._parent)
            self.forward_to_dialog.changed.connect(self._forwarding_to)
        forward_to = self._client.engine.forwarding.forward_to
        self.forward_to_dialog.refresh(forward_to[0] if forward_to else "")
        self._show(self.forward_to_dialog)
        return self.forward_to_dialog

    def _forwarding_to(self, url: str) -> None:
        self.line.show_url(url)
        said = f"Forwarding every capture to {url}." if url else "Forwarding stopped."
        self.message.emit(said, 5000)

    async def stop_forward_to(self) -> None:
        await self._client.set_forward_to([])
        self._forwarding_to("")

    def open_retry_failed(self) -> RetryFailedDialog:
        if self.retry_dialog is None:
            self.retry_dialog = RetryFailedDialog(self._client, self._parent)
        self._show(self.retry_dialog)
        return self.retry_dialog

    def send_selected_again(self) -> None:
        """Send again the failed or unsent forwards of the selected captures."""
        ids: list[int] = []
        for capture_id in self._captures.selected_ids():
            row = self._captures.model.row_of(capture_id)
            record = None if row is None else self._captures.model.record(row)
            if isinstance(record, ListedCapture):
                ids += [
                    s.forward.id
                    for s in record.forwards
                    if s.state != "delivered" and s.forward.id is not None
                ]
        if not ids:
            self.message.emit("The selected captures have no failed or unsent forward.", 5000)
            return
        self._work.run(self.send_again(ids))

    async def send_again(self, forward_ids: list[int]) -> list[Attempt]:
        """Send these forwards again and say how it went (in the status bar)."""
        self.message.emit(f"Sending {forwards_phrase(len(forward_ids))} again…", 5000)
        try:
            attempts = await self._client.retry_forwards(forward_ids)
        except EngineError as exc:
            self.message.emit(str(exc), 10000)
            return []
        said = f"Sent {forwards_phrase(len(attempts))} again: {attempts_summary(attempts)}."
        self.message.emit(said, 8000)
        return attempts

    def close_dialogs(self) -> None:
        for dialog in (self.forward_to_dialog, self.retry_dialog):
            if dialog is not None and dialog.isVisible():
                dialog.hide()

    async def settle(self) -> None:
        await self._work.settle()
        for dialog in (self.forward_to_dialog, self.retry_dialog):
            if dialog is not None:
                await dialog.settle()


def _action(text: str, keys: str, tip: str, parent: QWidget) -> QAction:
    action = QAction(text, parent)
    action.setShortcut(QKeySequence(keys))
    action.setStatusTip(tip)
    action.setToolTip(f"{tip} ({keys})")
    return action
