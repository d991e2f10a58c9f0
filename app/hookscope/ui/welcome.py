"""The first-run welcome: where to point Kardow, how to reach it from outside, a test delivery."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.engine import Engine, EngineError
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.client import EngineClient
from hookscope.ui.icons import app_icon
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import monospace, say
from hookscope.ui.widgets.labels import heading, plain_label

log = logging.getLogger(__name__)

WELCOMED = "ui.welcomed"  # setting: the welcome was shown (and should not open by itself)


def tunnel_commands(port: int) -> str:
    """A few common tunnels to port `port`; the user picks theirs (none is required)."""
    return "\n".join(
        [
            f"cloudflared tunnel --url http://127.0.0.1:{port}",
            f"ngrok http {port}",
            f"tailscale funnel {port}",
            f"ssh -R 80:127.0.0.1:{port} <your server>",
        ]
    )


def should_welcome(db: Database) -> bool:
    return not reads.get_setting(db, WELCOMED, False)


class WelcomeDialog(QDialog):
    """Three steps from a fresh install to a verified delivery.

    Signals:
        delivered(int): the test delivery arrived as this capture id.

    Attributes:
        url: the capture URL to paste into Kardow (or a Kudoz callback setting).
        tunnels: tunnel commands for the listener's port.
        test_button, outcome: the one-click test delivery and what became of it.
        show_at_start: unchecked once seen; checking it shows the welcome again next time.
    """

    delivered = Signal(int)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._db = db
        self._work = Background(
            self,
            "welcome-test-delivery",
            lambda exc: say(self.outcome, f"That did not work: {exc}", "error"),
        )
        self.setWindowTitle("Welcome")
        self.setWindowIcon(app_icon())
        layout = QVBoxLayout(self)
        layout.setSpacing(8)

        layout.addWidget(heading("1. Give Kardow your capture URL"))
        layout.addWidget(
            plain_label(
                "Every request to this address is stored exactly as it arrives, on any path "
                "and method. Use it as target_url when you register a Kardow webhook, or as "
                "your Kudoz callback URL; a path such as /kardow or /kudoz keeps them apart."
            )
        )
        row = QHBoxLayout()
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setFont(monospace())
        row.addWidget(self.url, 1)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy_url)
        row.addWidget(self.copy_button)
        layout.addLayout(row)

        layout.addWidget(heading("2. Let the internet reach it"))
        layout.addWidget(
            plain_label(
                "Kardow and Kudoz cannot reach 127.0.0.1 on your machine. Start a tunnel of "
                "your choice to the listener's port, then give them the tunnel's https address "
                "followed by your path. For example, any one of:"
            )
        )
        self.tunnels = QPlainTextEdit()
        self.tunnels.setReadOnly(True)
        self.tunnels.setFont(monospace())
        self.tunnels.setMaximumHeight(self.fontMetrics().height() * 6)
        layout.addWidget(self.tunnels)
        layout.addWidget(
            plain_label(
                "Hookscope stays bound to 127.0.0.1: only the tunnel exposes it, and only "
                "while it runs.",
                tone="warning",
            )
        )

        layout.addWidget(heading("3. Prove the loop"))
        layout.addWidget(
            plain_label(
                "Send a Kardow job.created event to your own listener. Signed with your first "
                "stored Kardow secret, it should arrive verified."
            )
        )
        test_row = QHBoxLayout()
        self.test_button = QPushButton("Send a test delivery")
        self.test_button.setDefault(True)
        self.test_button.clicked.connect(self._test_clicked)
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        layout.addLayout(test_row)
        self.outcome = plain_label()
        self.outcome.hide()
        layout.addWidget(self.outcome)

        self.emulator = plain_label()
        layout.addWidget(self.emulator)

        bottom = QHBoxLayout()
        self.show_at_start = QCheckBox("Show this welcome when Hookscope starts")
        bottom.addWidget(self.show_at_start, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.finished.connect(lambda _: self._remember())
        self.resize(640, 560)
        self.refresh()

    def refresh(self, *, keep_outcome: bool = False) -> None:
        """Show the listener's address and port as they are now; the last test's outcome is
        forgotten (it said what was true then: a secret may have been added since) unless
        `keep_outcome`."""
        if not keep_outcome:
            say(self.outcome, "")
        url = self._engine.url
        self.url.setText(url or "(not listening: start the listener, Ctrl+L)")
        self.copy_button.setEnabled(bool(url))
        port = urlsplit(url).port if url else None
        self.tunnels.setPlainText(tunnel_commands(port or 8787))
        why = None if url else "The listener is not running: start it first (Ctrl+L)."
        self.test_button.setEnabled(why is None)
        self.test_button.setToolTip(why or "Send a signed Kardow event to the capture URL")
        api = self._engine.api_url
        say(
            self.emulator,
            f"Integrations that register webhooks through Kardow's API can use {api} as its "
            "base URL: Hookscope emulates POST /webhooks (see the Targets tab)."
            if api
            else "",
        )

    def copy_url(self) -> None:
        if self._engine.url:
            QGuiApplication.clipboard().setText(self._engine.url)
            say(self.outcome, f"Copied {self._engine.url}", "ok")

    def _remember(self) -> None:
        self._work.run(self.remember())

    async def remember(self) -> None:
        """Save whether to show this at start (through the engine, without blocking)."""
        show = self.show_at_start.isChecked()
        try:
            await SettingsWrites(self._engine).set_setting(WELCOMED, not show)
        except WRITE_ERRORS as exc:
            if Shiboken.isValid(self):
                say(self.outcome, f"Your choice could not be saved: {exc}", "error")

    def _test_clicked(self) -> None:
        self._work.run(self.send_test())

    async def send_test(self) -> int | None:
        """Deliver a test event to our own listener; the capture id, and a sentence shown."""
        self.test_button.setEnabled(False)
        say(self.outcome, "Sending…")
        try:
            attempt, capture_id = await EngineClient(self._engine).test_delivery()
        except EngineError as exc:
            say(self.outcome, str(exc), "error")
            return None
        finally:
            self.test_button.setEnabled(bool(self._engine.url))
        if not attempt.ok or capture_id is None:
            say(self.outcome, f"The test delivery did not arrive: {attempt.outcome}.", "error")
            return None
        capture = reads.get_capture(self._db, capture_id)
        verdict = capture.verdict if capture is not None else None
        if verdict is not None and verdict.verdict == "verified":
            say(
                self.outcome,
                f"Capture #{capture_id} arrived and was verified: {verdict.detail} "
                "It is selected in the list.",
                "ok",
            )
        elif verdict is not None and verdict.verdict == "unsigned":
            say(
                self.outcome,
                f"Capture #{capture_id} arrived, unsigned: no Kardow secret is stored yet. Add "
                "yours in Settings > Secrets and send again to see it verified.",
                "warning",
            )
        else:
            detail = verdict.detail if verdict is not None else "it is not in the store"
            say(self.outcome, f"Capture #{capture_id} arrived, but: {detail}", "warning")
        self.delivered.emit(capture_id)
        return capture_id

    async def settle(self) -> None:
        await self._work.settle()
