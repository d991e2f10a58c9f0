"""The Listener tab: where captures and the Kardow API emulator listen, and body limits."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.checks import check_host, is_loopback
from hookscope.engine import Engine, EngineError
from hookscope.storage import reads
from hookscope.ui.settings.checks import MB
from hookscope.ui.settings.common import FormTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import show_text
from hookscope.ui.widgets.labels import plain_label


class ListenerTab(FormTab):
    """The capture listener's address and limits, and the emulator's port: saved, then applied
    by restarting both (when the dialog saves).

    Signals:
        listener_changed(str): the listener restarted (its URL), or is stopped ("") because the
            new address could not be bound.
        api_changed(str): the Kardow API emulator restarted (its URL), or is off or stopped ("").

    Attributes:
        host_edit, port_spin, limit_spin, deadline_spin, api_port_spin: the form
            (the emulator listens on the same host, on api_port_spin; 0 turns it off).
        status_label: where the listener listens now.
        api_status_label: where the emulator listens now, or that it is off.
        api_error: why the emulator could not be (re)started.
        exposure_label: the warning shown when the host is not a loopback address.
        overrides_label: said when this run uses command-line flags instead of the saved settings.
        listener_error: why the listener could not be (re)started.
    """

    TITLE = "Listener"
    listener_changed = Signal(str)
    api_changed = Signal(str)

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self._loaded_limit = 0
        self._shown_limit = 0.0
        self._applying = False
        self._build()
        self.watch(
            self.host_edit, self.port_spin, self.limit_spin, self.deadline_spin, self.api_port_spin
        )

    def _build(self) -> None:
        self.host_edit = QLineEdit()
        self.host_edit.setPlaceholderText("127.0.0.1")
        self.host_edit.textChanged.connect(self._host_changed)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("0 (any free port)")
        self.limit_spin = QDoubleSpinBox()
        self.limit_spin.setDecimals(2)
        self.limit_spin.setRange(0.01, 900.0)
        self.limit_spin.setSuffix(" MB")
        self.limit_spin.setToolTip("Larger bodies are refused with 413 (and still recorded, cut).")
        self.deadline_spin = QSpinBox()
        self.deadline_spin.setRange(5, 3600)
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setToolTip(
            "A body still arriving after this long is answered 408 and recorded as cut, so a"
            " sender trickling bytes cannot hold a connection forever."
        )
        self.api_port_spin = QSpinBox()
        self.api_port_spin.setRange(0, 65535)
        self.api_port_spin.setSpecialValueText("0 (off)")
        self.api_port_spin.setToolTip(
            "The Kardow API emulator (POST /webhooks) listens on the same host, on this port; "
            "0 turns it off."
        )
        self.status_label = plain_label()
        self.api_status_label = plain_label()
        self.exposure_label = plain_label(tone="warning")
        self.overrides_label = plain_label()
        self.listener_error = plain_label(tone="error")
        self.api_error = plain_label(tone="error")
        for label in (
            self.exposure_label,
            self.overrides_label,
            self.listener_error,
            self.api_error,
        ):
            label.hide()

        form = QFormLayout()
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_spin)
        form.addRow("Body limit", self.limit_spin)
        form.addRow("Body deadline", self.deadline_spin)
        form.addRow("Kardow API port", self.api_port_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.api_status_label)
        layout.addLayout(form)
        layout.addWidget(self.exposure_label)
        layout.addWidget(self.overrides_label)
        layout.addWidget(self.listener_error)
        layout.addWidget(self.api_error)
        layout.addWidget(
            plain_label("Saving restarts the listener and the Kardow API emulator with these.")
        )
        layout.addStretch(1)

    def load(self) -> None:
        effective = self._engine.listener_settings(self._db)
        saved = reads.load_listener_settings(self._db)
        self.host_edit.setText(effective.host)
        self.port_spin.setValue(effective.port)
        self._loaded_limit = effective.body_limit
        self.limit_spin.setValue(effective.body_limit / MB)
        self._shown_limit = self.limit_spin.value()
        self.deadline_spin.setValue(round(effective.body_deadline))
        self.api_port_spin.setValue(effective.api_port)
        same = (effective.host, effective.port, effective.api_port) == (
            saved.host,
            saved.port,
            saved.api_port,
        )
        show_text(
            self.overrides_label,
            ""
            if same
            else f"This run uses the address given on the command line; the saved one is "
            f"{saved.host}:{saved.port} (Kardow API port {saved.api_port or 'off'}). "
            "Apply saves the form and uses it from now on.",
        )
        self._show_status()
        self._host_changed(self.host_edit.text())
        show_text(self.listener_error, "")
        show_text(self.api_error, "")
        self.loaded()

    def values(self) -> tuple[object, ...]:
        return (
            self.host_edit.text().strip(),
            self.port_spin.value(),
            self.limit_spin.value(),
            self.deadline_spin.value(),
            self.api_port_spin.value(),
        )

    def problem(self) -> str | None:
        problem = check_host(self.host_edit.text().strip())
        if problem:
            show_text(self.listener_error, problem)
        return problem

    async def save(self) -> str | None:
        if not await self.apply_listener():
            return self.listener_error.text() or self.api_error.text() or None
        return None

    def _show_status(self) -> None:
        url = self._engine.url
        self.status_label.setText(f"Listening on {url}" if url else "The listener is stopped.")
        api_url = self._engine.api_url
        if api_url:
            api = f"Kardow API emulator on {api_url}"
        elif self._engine.listener_settings(self._db).api_port == 0:
            api = "The Kardow API emulator is off."
        else:
            api = "The Kardow API emulator is stopped."
        self.api_status_label.setText(api)

    def _host_changed(self, text: str) -> None:
        host = text.strip()
        show_text(
            self.exposure_label,
            ""
            if not host or is_loopback(host)
            else f"{host} is not a loopback address: the listener will accept deliveries from "
            "other machines, and captures (with the secrets senders put in them) are exposed to "
            "the network.",
        )

    def _limit_bytes(self) -> int:
        """The limit in the form; the loaded one, exact, when the user left it as shown."""
        if self.limit_spin.value() == self._shown_limit:
            return self._loaded_limit
        return round(self.limit_spin.value() * MB)

    async def apply_listener(self) -> bool:
        """Save the form, then restart the listener with it; False (and why, shown) if not."""
        if self._applying:  # a second save while one is under way
            return False
        host = self.host_edit.text().strip()
        if problem := check_host(host):
            show_text(self.listener_error, problem)
            return False
        self._applying = True
        try:
            return await self._apply(host)
        finally:
            self._applying = False

    async def _apply(self, host: str) -> bool:
        settings = replace(
            reads.load_listener_settings(self._db),  # keeps the other fields
            host=host,
            port=self.port_spin.value(),
            body_limit=self._limit_bytes(),
            body_deadline=float(self.deadline_spin.value()),
            api_port=self.api_port_spin.value(),
        )
        try:
            await self._writes.save_listener(settings)
        except WRITE_ERRORS as exc:
            if Shiboken.isValid(self):
                show_text(self.listener_error, f"The settings cannot be saved: {exc}.")
            return False
        self._engine.forget_overrides()
        if not Shiboken.isValid(self):  # the dialog was deleted while the engine was busy
            return False
        show_text(self.listener_error, "")
        show_text(self.overrides_label, "")
        self._loaded_values = self.values()  # saved: no longer an unsaved change
        self.edited.emit()
        self.status_label.setText("Restarting the listener…")
        problem = api_problem = ""
        try:
            await self._client.start_listener()
        except EngineError as exc:
            problem = f"{exc} The settings are saved: change them and save again."
        # The emulator on its own: a taken API port must not keep captures from arriving.
        try:
            await self._client.start_api()
        except EngineError as exc:
            api_problem = f"{exc} The settings are saved: change them and save again."
        if not Shiboken.isValid(self):
            return False
        self._show_status()
        show_text(self.listener_error, problem)
        show_text(self.api_error, api_problem)
        self.listener_changed.emit(self._engine.url)
        self.api_changed.emit(self._engine.api_url)
        return not problem and not api_problem
