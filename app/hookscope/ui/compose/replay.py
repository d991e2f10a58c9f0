"""The replay dialog: send a capture again, as captured, with an edited body, or re-signed."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core.fire import can_resign, provider_of, title
from hookscope.core.model import Attempt, Capture, Credential, Plan
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background, async_slot
from hookscope.ui.compose.flow import FIRE_KEYS, PREPARING, Planning, SendFlow
from hookscope.ui.compose.preview import RequestPreview
from hookscope.ui.compose.text import can_edit_body, editable_text
from hookscope.ui.formats import human_size
from hookscope.ui.style import monospace, retint, say
from hookscope.ui.widgets.fields import no_default_buttons
from hookscope.ui.widgets.labels import heading, plain_label

log = logging.getLogger(__name__)

AUTOMATIC = "Automatic: the secret that verified it, or the only one"
# The last URL a replay was sent to in this session: the next replay offers it first.
_memory: dict[str, str] = {}


def forget_last_url() -> None:
    """Forget the URL remembered from the last replay (a new session, or a test)."""
    _memory.clear()


def last_url() -> str:
    """The URL the last replay of this session went to, or ""."""
    return _memory.get("url", "")


def remember_url(url: str) -> None:
    """Offer `url` first to the next replay of this session."""
    _memory["url"] = url


def default_url(engine: Engine, capture: Capture) -> str:
    """The last replay URL of this session, else the listener's URL with the capture's path."""
    remembered = _memory.get("url")
    if remembered:
        return remembered
    return f"{engine.url}{capture.target}" if engine.url else ""


class ReplayDialog(QDialog):
    """Sends one capture again: to any URL, as captured, with an edited body, and/or re-signed.

    Open it with `.open()` (never `.exec()`: the app runs on qasync). The preview is the kept
    Plan; Send sends that very plan, then a new one is made (a new fire id; a re-signed Kudoz
    token gets a fresh nonce and timestamp). Keyboard: Ctrl+Return (or Ctrl+Enter) sends.

    Signals:
        sent(str): a replay went out (its fire_id): the window may show its delivery.

    Attributes:
        capture: the capture replayed (None when it no longer exists).
        plan: the plan the preview shows and Send sends, or None.
        url_edit: where the replay goes.
        as_captured_radio, edit_body_radio: the body sent (the second enables body_edit).
        body_edit: the body as text, for editing.
        body_label: why the body cannot be edited (binary) or what was kept of it (cut).
        resign_check, credential_combo: re-sign with a secret of the capture's provider
            (Automatic lets the engine choose); disabled with the reason when impossible.
        resign_label: why re-signing is impossible, or a warning that an edited body breaks
            the old signature.
        preview: the RequestPreview of `plan`.
        flow: plans the form as it settles, and sends the plan shown.
        send_button: sends `plan`; disabled with the reason as its tooltip.
        result_label: "Sending…", then the outcome, status and latency in words; cleared as
            soon as the form changes (the outcome was about what the form said then).
        buttons: Close.
    """

    sent = Signal(str)

    def __init__(
        self, engine: Engine, db: Database, capture_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.db = db
        self.capture_id = capture_id
        self.capture = reads.get_capture(db, capture_id)
        self._original_text = ""
        self._resign_problem: str | None = None
        self._edited_while_sending = False
        self._work = Background(
            self,
            "replay-action",
            lambda exc: say(self.result_label, f"That did not work: {exc}", "error"),
        )
        self.setWindowTitle(f"Replay capture #{capture_id}")
        self.resize(1000, 680)
        self._build()
        self.flow = SendFlow(
            engine,
            self.preview,
            self.result_label,
            self._work,
            self.refresh_preview,
            name="replay",
            busy="Sending… wait for the result.",
            nothing=lambda _plan: PREPARING,
            parent=self,
        )
        self.flow.updated.connect(self._update_send)
        for keys in FIRE_KEYS:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self._send_clicked)
        self._load()

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.about_label = plain_label()
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://where.to/send/it")
        self.as_captured_radio = QRadioButton("As captured")
        self.as_captured_radio.setToolTip("Send the body byte for byte as it was received")
        self.edit_body_radio = QRadioButton("Edit body")
        self.edit_body_radio.setToolTip("Send the text in the editor below instead")
        self._body_group = QButtonGroup(self)
        self._body_group.addButton(self.as_captured_radio)
        self._body_group.addButton(self.edit_body_radio)
        self.as_captured_radio.setChecked(True)
        self.body_label = plain_label()
        self.body_label.hide()
        self.resign_check = QCheckBox("Re-sign with")
        self.credential_combo = QComboBox()
        self.credential_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.resign_label = plain_label()
        self.resign_label.hide()

        body_row = QHBoxLayout()
        body_row.addWidget(self.as_captured_radio)
        body_row.addWidget(self.edit_body_radio)
        body_row.addStretch(1)
        resign_row = QHBoxLayout()
        resign_row.addWidget(self.resign_check)
        resign_row.addWidget(self.credential_combo)
        resign_row.addStretch(1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Send to", self.url_edit)
        form.addRow("Body", body_row)
        form.addRow(self.body_label)
        form.addRow("Signature", resign_row)
        form.addRow(self.resign_label)

        self.body_edit = QPlainTextEdit()
        self.body_edit.setFont(monospace())
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(heading("Body to send"))
        left_layout.addWidget(self.body_edit, 1)
        self.preview = RequestPreview(show_list=False)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(heading("Preview: exactly what will be sent"))
        right_layout.addWidget(self.preview, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)

        self.send_button = QPushButton("Send  (Ctrl+Return)")
        self.send_button.clicked.connect(self._send_clicked)
        self.result_label = plain_label()
        self.result_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.send_button)
        bottom.addWidget(self.result_label, 1)
        bottom.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.about_label)
        layout.addLayout(form)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        no_default_buttons(self)

        self.url_edit.textChanged.connect(lambda _: self._changed())
        self._body_group.buttonToggled.connect(lambda _button, _on: self._mode_changed())
        self.body_edit.textChanged.connect(self._changed)
        self.resign_check.toggled.connect(lambda _: self._mode_changed())
        self.credential_combo.currentIndexChanged.connect(lambda _: self._changed())

    def _load(self) -> None:
        capture = self.capture
        if capture is None:
            say(self.about_label, f"There is no capture #{self.capture_id}: it was deleted.")
            for widget in (self.url_edit, self.as_captured_radio, self.edit_body_radio):
                widget.setEnabled(False)
            self.resign_check.setEnabled(False)
            self.credential_combo.setEnabled(False)
            self.body_edit.setEnabled(False)
            self.flow.input_problem = f"There is no capture #{self.capture_id}."
            self._update_send()
            return
        verdict = capture.verdict
        provider = title(verdict.provider) if verdict.provider else "No provider"
        event = f" {verdict.event}" if verdict.event else ""
        self.about_label.setText(
            f"Capture #{self.capture_id}: {capture.method} {capture.target} · {provider}{event}"
            f" · {verdict.verdict} · {human_size(capture.body_size)}"
        )
        self.url_edit.setText(default_url(self.engine, capture))
        text = editable_text(capture)
        if text is None:
            why = self.can_edit_body() or ""
            self.edit_body_radio.setEnabled(False)
            self.edit_body_radio.setToolTip(why)
            say(self.body_label, why, "warning")
            self.body_edit.setPlaceholderText("(replayed as captured)")
        else:
            self.body_edit.blockSignals(True)
            self.body_edit.setPlainText(text)
            self.body_edit.blockSignals(False)
            # Compared with what the editor holds (it turns \r\n into \n): unchanged text is
            # replayed as the exact bytes captured.
            self._original_text = self.body_edit.toPlainText()
            if capture.body_truncated:
                say(
                    self.body_label,
                    "The body was cut at the size limit when received: only the "
                    f"{human_size(capture.body_size)} kept are sent.",
                    "warning",
                )
        self._load_credentials()
        self._mode_changed()

    def _load_credentials(self) -> None:
        assert self.capture is not None
        schemes = reads.list_schemes(self.db)  # a custom scheme is recognised by its header
        provider = provider_of(self.capture, schemes)
        names = [
            info.name
            for info in reads.list_credentials(self.db)
            if provider is not None and info.provider == provider
        ]
        self.credential_combo.blockSignals(True)
        self.credential_combo.clear()
        self.credential_combo.addItem(AUTOMATIC, None)
        for name in names:
            self.credential_combo.addItem(name, name)
        self.credential_combo.blockSignals(False)
        # can_resign only looks at the provider and whether a secret exists: names are enough
        # here (the GUI never needs the secret itself; the engine signs).
        stand_in = Credential(provider, names[0], "") if provider and names else None
        why = can_resign(self.capture, stand_in, schemes)
        self.resign_check.setEnabled(why is None)
        self.resign_check.setToolTip(why or "Sign the request again, as the provider would")
        self.credential_combo.setToolTip(why or "Which stored secret signs it")
        self._resign_problem = why

    # -- input ----------------------------------------------------------------------------------

    def can_edit_body(self) -> str | None:
        """Why the body cannot be edited as text, or None when it can."""
        return can_edit_body(self.capture, self.capture_id)

    def _mode_changed(self) -> None:
        editing = self.edit_body_radio.isChecked()
        self.body_edit.setEnabled(editing)
        resign = self.resign_check.isChecked()
        self.credential_combo.setEnabled(resign and self._resign_problem is None)
        if self._resign_problem is not None:
            say(self.resign_label, self._resign_problem)
        elif editing and not resign and self.capture is not None and self.capture.verdict.provider:
            say(
                self.resign_label,
                "An edited body no longer matches the captured signature: re-sign to send a "
                "valid one.",
                "warning",
            )
        else:
            say(self.resign_label, "")
        self._changed()

    def _changed(self) -> None:
        if self.flow.sending:
            self._edited_while_sending = True
        else:
            say(self.result_label, "")  # an outcome is about the form as it was sent
        self.flow.changed()

    def _body(self) -> bytes | None:
        if not self.edit_body_radio.isChecked():
            return None
        text = self.body_edit.toPlainText()
        return None if text == self._original_text else text.encode("utf-8")

    async def refresh_preview(self) -> Plan | None:
        """Plan the replay as the form says; the plan kept (and shown), or None."""
        return await self.flow.plan(self._planning())

    def _planning(self) -> Planning:
        if self.capture is None:
            return self.flow.input_problem or ""
        url = self.url_edit.text().strip()
        self.flow.input_problem = None if url else "Enter the URL to send the replay to."
        if self.flow.input_problem:
            return self.flow.input_problem
        resign = self.resign_check.isChecked() and self._resign_problem is None
        credential = self.credential_combo.currentData() if resign else None
        return self.flow.client.plan_replay(
            self.capture_id,
            url,
            resign=resign,
            credential=None if credential is None else str(credential),
            body=self._body(),
        )

    @property
    def plan(self) -> Plan | None:
        """The plan the preview shows, which Send sends."""
        return self.preview.plan

    # -- sending --------------------------------------------------------------------------------

    def send_problem(self) -> str | None:
        """Why Send cannot send now, or None (also the disabled button's tooltip)."""
        return self.flow.problem()

    def _update_send(self) -> None:
        why = self.send_problem()
        self.send_button.setEnabled(why is None)
        self.send_button.setToolTip(why or "Send exactly the previewed request (Ctrl+Return)")

    @async_slot()
    async def _send_clicked(self) -> None:
        await self.send()

    async def send(self) -> Attempt | None:
        """Send the kept plan, exactly; the result is shown in the dialog (never raised)."""
        attempts = await self.flow.send(self._begin_send, self._sent)
        return attempts[0] if attempts else None

    def _begin_send(self, plan: Plan) -> str:
        request = plan.requests[0]
        _memory["url"] = request.url
        self._edited_while_sending = False
        return f"Sending to {request.url}…"

    def _sent(self, plan: Plan, attempts: list[Attempt]) -> None:
        # Edited while it was on its way: the outcome says which request it is about.
        about = plan.requests[0].url if self._edited_while_sending else None
        self._edited_while_sending = False
        self._show_result(attempts[0] if attempts else None, about)
        self.sent.emit(plan.fire_id)

    def _show_result(self, attempt: Attempt | None, about: str | None = None) -> None:
        if attempt is None:
            say(self.result_label, "Nothing was sent.", "error")
            return
        took = f"{attempt.latency_ms:.0f} ms"
        if attempt.ok:
            text, tone = f"✓ {attempt.outcome.capitalize()} in {took}.", "ok"
        elif attempt.error is not None:
            text, tone = f"✗ Failed after {took}: {attempt.error}", "error"
        else:
            text, tone = f"✗ Not accepted: {attempt.outcome}, in {took}.", "error"
        if about is not None:
            text += f" (The request to {about}, sent before the last edit.)"
        say(self.result_label, text, tone)

    # -- plumbing -------------------------------------------------------------------------------

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    async def settle(self) -> None:
        """Wait for background refreshes and sends (tests, and closing)."""
        await self._work.settle()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)
