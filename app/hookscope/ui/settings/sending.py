"""The Sending tab: timeouts, retries and the answer kept, for fires and replays."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.model import SendPolicy
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.settings.checks import KB, MAX_RESPONSE_LIMIT, MAX_RETRIES, check_policy
from hookscope.ui.settings.common import FormTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import show_text
from hookscope.ui.widgets.labels import plain_label


class SendingTab(FormTab):
    """How Hookscope sends fires and replays: timeouts, retries and their waits, answers kept.

    Attributes:
        connect_spin, total_spin, retries_spin, backoff_spin, max_backoff_spin, jitter_spin,
        response_limit_spin: the form.
        policy_error: why the form cannot be saved, hidden when it can.
    """

    TITLE = "Sending"

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self._loaded_response_limit = 0
        self._shown_response_limit = 0
        self._build()
        self._spins = (
            self.connect_spin,
            self.total_spin,
            self.retries_spin,
            self.backoff_spin,
            self.max_backoff_spin,
            self.jitter_spin,
            self.response_limit_spin,
        )
        self.watch(*self._spins)

    def _build(self) -> None:

        def seconds(low: float, high: float, tip: str) -> QDoubleSpinBox:
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setRange(low, high)
            spin.setSuffix(" s")
            spin.setToolTip(tip)
            return spin

        self.connect_spin = seconds(0.0, 600.0, "How long to wait for the connection")
        self.total_spin = seconds(0.0, 3600.0, "How long a whole try may take, connecting included")
        self.retries_spin = QSpinBox()
        self.retries_spin.setRange(0, MAX_RETRIES)
        self.retries_spin.setSpecialValueText("0 (no retries)")
        self.backoff_spin = seconds(0.0, 3600.0, "The wait before the first retry")
        self.max_backoff_spin = seconds(0.0, 3600.0, "No wait between tries is longer than this")
        self.jitter_spin = QSpinBox()
        self.jitter_spin.setRange(0, 100)
        self.jitter_spin.setSuffix(" %")
        self.jitter_spin.setToolTip(
            "Each wait is shortened by a random part of up to this much, so retries to one "
            "target do not arrive in lockstep"
        )
        self.response_limit_spin = QSpinBox()
        self.response_limit_spin.setRange(0, MAX_RESPONSE_LIMIT // KB)
        self.response_limit_spin.setSuffix(" KB")
        self.response_limit_spin.setToolTip("Answers are kept in the delivery log up to this size")
        self.policy_error = plain_label(tone="error")
        self.policy_error.hide()

        form = QFormLayout()
        form.addRow("Connect timeout", self.connect_spin)
        form.addRow("Total timeout", self.total_spin)
        form.addRow("Retries", self.retries_spin)
        form.addRow("First wait", self.backoff_spin)
        form.addRow("Longest wait", self.max_backoff_spin)
        form.addRow("Jitter", self.jitter_spin)
        form.addRow("Response body limit", self.response_limit_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label("How Hookscope sends fires and replays to targets and other URLs.")
        )
        layout.addLayout(form)
        # Sentences under the form, not in it: wrapped labels in form rows get odd heights.
        layout.addWidget(
            plain_label(
                "Retries apply to fires and replays from this window: connection errors, "
                "timeouts, 429 and 5xx answers are tried again, each wait twice the one before "
                "(up to the longest wait). The command line does not retry unless given "
                "--retries."
            )
        )
        layout.addWidget(self.policy_error)
        layout.addStretch(1)

    def load(self) -> None:
        policy = reads.load_send_policy(self._db)
        self.connect_spin.setValue(policy.connect_timeout)
        self.total_spin.setValue(policy.total_timeout)
        self.retries_spin.setValue(policy.retries)
        self.backoff_spin.setValue(policy.backoff)
        self.max_backoff_spin.setValue(policy.max_backoff)
        self.jitter_spin.setValue(round(policy.jitter * 100))
        self._loaded_response_limit = policy.response_limit
        self.response_limit_spin.setValue(max(1, round(policy.response_limit / KB)))
        self._shown_response_limit = self.response_limit_spin.value()
        show_text(self.policy_error, "")
        self.loaded()

    def values(self) -> tuple[object, ...]:
        return tuple(spin.value() for spin in self._spins)

    def read_policy(self) -> SendPolicy | str:
        """The policy the form describes, or why it cannot be used (a sentence)."""
        limit = self.response_limit_spin.value()
        policy = replace(
            reads.load_send_policy(self._db),
            connect_timeout=self.connect_spin.value(),
            total_timeout=self.total_spin.value(),
            retries=self.retries_spin.value(),
            backoff=self.backoff_spin.value(),
            max_backoff=self.max_backoff_spin.value(),
            jitter=self.jitter_spin.value() / 100,
            response_limit=(
                self._loaded_response_limit if limit == self._shown_response_limit else limit * KB
            ),
        )
        return check_policy(policy) or policy

    def problem(self) -> str | None:
        policy = self.read_policy()
        show_text(self.policy_error, policy if isinstance(policy, str) else "")
        return policy if isinstance(policy, str) else None

    async def save(self) -> str | None:
        """Validate and save the sending policy; on a problem, say it and save nothing."""
        policy = self.read_policy()
        if isinstance(policy, str):
            show_text(self.policy_error, policy)
            return policy
        try:
            await self._writes.save_send_policy(policy)
        except WRITE_ERRORS as exc:
            problem = f"The settings cannot be saved: {exc}."
            if Shiboken.isValid(self):
                show_text(self.policy_error, problem)
            return problem
        if Shiboken.isValid(self):
            show_text(self.policy_error, "")
            self.load()
        return None
