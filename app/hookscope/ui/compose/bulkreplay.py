"""The bulk replay dialog: many captures to one URL, in arrival order, with progress and Cancel."""

from __future__ import annotations

import asyncio
import threading

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QColor, QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.http import join_target
from hookscope.core.sending import (
    MAX_CONCURRENCY,
    BulkOutcome,
    BulkProgress,
    BulkReplay,
    BulkResult,
)
from hookscope.engine import Engine, EngineError
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.client import EngineClient
from hookscope.ui.compose.flow import FIRE_KEYS
from hookscope.ui.compose.replay import last_url, remember_url
from hookscope.ui.style import retint, say, tone_colour
from hookscope.ui.widgets.fields import RunRow, no_default_buttons
from hookscope.ui.widgets.labels import heading, plain_label
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip


class OutcomesModel(RecordTableModel[BulkOutcome]):
    """What each capture of a bulk replay got, in capture order; a BulkOutcome per row."""

    COLUMNS = ("Capture", "Outcome", "Status", "Latency")
    OUTCOME = 1
    RIGHT = frozenset({0, 2, 3})

    def _text(self, item: BulkOutcome, column: int) -> str:
        attempt = item.attempt
        if column == 0:
            return f"#{item.capture_id}"
        if column == 1:
            return ("✓ " if item.ok else "✗ ") + item.outcome
        if attempt is None:
            return "—"
        if column == 2:
            return "—" if attempt.status is None else str(attempt.status)
        return f"{attempt.latency_ms:.0f} ms"

    def _foreground(self, item: BulkOutcome, column: int) -> QColor | None:
        return tone_colour("ok" if item.ok else "error") if column == self.OUTCOME else None

    def _tooltip(self, item: BulkOutcome, column: int) -> str | None:
        return plain_tooltip(item.outcome) if column == self.OUTCOME else None


class BulkReplayDialog(QDialog):
    """Replays the selected captures to one URL, in the order they arrived, N at a time.

    Modeless: open it with `show()` (never `exec()`). Start (Ctrl+Return) sends through the
    engine; the bar says "7 of 20 sent, 1 failed"; Cancel (or closing the dialog) stops new
    replays from starting while those in flight finish. Every attempt is in Deliveries.

    Signals:
        sent(str): a run ended having sent something (its fire_id): the window shows it.

    Attributes:
        capture_ids: the captures to replay, in arrival order.
        about_label: how many captures, which, and that they go in arrival order.
        url_edit: where they go (the last replay URL of the session is offered first).
        resign_check: re-sign each with a secret of its provider.
        concurrency_spin: how many at a time (1: one after another).
        start_button, cancel_button: start a run; stop one.
        progress_bar: "7 of 20 sent, 1 failed".
        status_label: one sentence: a refusal, "Cancelling…", or how the run ended.
        model, results: each capture's outcome after a run; `empty` says so before.
        buttons: Close.
        last_result: the last run's result, or None.
    """

    sent = Signal(str)

    def __init__(
        self,
        engine: Engine,
        db: Database,
        capture_ids: list[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.client = EngineClient(engine)
        self.capture_ids = sorted(set(capture_ids))
        self.last_result: BulkResult | None = None
        self._cancel: threading.Event | None = None
        self._work = Background(
            self,
            "bulk-replay",
            lambda exc: say(self.status_label, f"That did not work: {exc}", "error"),
        )
        self.setWindowTitle(f"Replay {len(self.capture_ids)} captures")
        self.resize(760, 520)
        self._build()
        for keys in FIRE_KEYS:
            QShortcut(QKeySequence(keys), self).activated.connect(self._start_clicked)
        self._load(db)
        self._set_running(False)

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.about_label = plain_label()
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://where.to/send/them")
        self.resign_check = QCheckBox("Re-si&gn each with its provider's secret")
        self.resign_check.setToolTip(
            "Kardow: a new signature; Kudoz: a fresh token. Each is signed with the secret that"
            " verified it, or the only one stored for its provider."
        )
        self.concurrency_spin = QSpinBox()
        self.concurrency_spin.setRange(1, MAX_CONCURRENCY)
        self.concurrency_spin.setSuffix(" at a time")
        self.concurrency_spin.setToolTip(
            "How many replays may be in flight at once; 1 sends them one after another,"
            " strictly in the order they arrived"
        )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Send &to", self.url_edit)
        form.addRow("Signature", self.resign_check)
        form.addRow("C&oncurrency", self.concurrency_spin)

        run_row = RunRow("&Start  (Ctrl+Return)", "Start no more replays; those in flight finish")
        self.start_button, self.progress_bar = run_row.start_button, run_row.progress_bar
        self.cancel_button = run_row.cancel_button
        self.start_button.clicked.connect(self._start_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.status_label = plain_label()

        self._build_results()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.about_label)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.status_label)
        layout.addWidget(heading("Results"))
        layout.addWidget(self.results, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)
        no_default_buttons(self)

    def _build_results(self) -> None:
        self.model = OutcomesModel(self)
        self.results = QTableView()
        self.results.setModel(self.model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setWordWrap(False)
        self.results.verticalHeader().hide()
        self.results.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.results.horizontalHeader()
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.empty = plain_label("Each capture's outcome is listed here when the run ends.")
        self.empty.setEnabled(False)

    def _load(self, db: Database) -> None:
        found = reads.summaries_of(db, self.capture_ids)
        ids = self.capture_ids
        which = f"#{ids[0]} to #{ids[-1]}" if len(ids) > 1 else f"#{ids[0]}" if ids else "none"
        gone = len(ids) - len(found)
        missing = f" {gone} of them no longer exist." if gone else ""
        self.about_label.setText(
            f"{len(ids)} captures ({which}) are sent again to one URL, in the order they"
            f" arrived, each as a single replay would be.{missing}"
        )
        first = min(found, key=lambda summary: summary.id, default=None)
        listener = self.engine.url
        suggested = listener + join_target(first.path, first.query) if listener and first else ""
        self.url_edit.setText(last_url() or suggested)
        self.progress_bar.setRange(0, max(len(ids), 1))
        self._show_progress(BulkProgress(0, len(ids)))

    # -- running --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def _set_running(self, running: bool) -> None:
        for widget in (self.url_edit, self.resign_check, self.concurrency_spin):
            widget.setEnabled(not running)
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _start_clicked(self) -> None:
        if not self.running:
            self._work.run(self.start())

    async def start(self) -> BulkResult | None:
        """Run the replays as the form says; the result (also shown), or None when refused."""
        job = BulkReplay(
            tuple(self.capture_ids),
            self.url_edit.text().strip(),
            resign=self.resign_check.isChecked(),
            concurrency=self.concurrency_spin.value(),
        )
        if not job.url:
            say(self.status_label, "Enter the URL to send the replays to.", "error")
            return None
        cancel = threading.Event()
        self._cancel = cancel
        self._set_running(True)
        self.model.set_rows(())
        say(self.status_label, "Sending… Cancel stops it after the replays in flight.")
        loop = asyncio.get_running_loop()

        def report(progress: BulkProgress) -> None:  # on the engine loop
            loop.call_soon_threadsafe(self._progressed, progress)

        try:
            result = await self.client.replay_many(job, report, cancel)
        except EngineError as exc:
            say(self.status_label, str(exc), "error")
            return None
        finally:
            self._cancel = None
            if Shiboken.isValid(self):
                self._set_running(False)
        remember_url(job.url)
        self._finished(result)
        return result

    def cancel(self) -> None:
        """Start no more replays; those in flight finish and are logged."""
        if self._cancel is not None and not self._cancel.is_set():
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            say(self.status_label, "Cancelling: the replays in flight finish, no new one starts…")

    def _progressed(self, progress: BulkProgress) -> None:  # queued from the engine loop
        if Shiboken.isValid(self) and self.running:
            self._show_progress(progress)

    def _show_progress(self, progress: BulkProgress) -> None:
        self.progress_bar.setValue(progress.done)
        self.progress_bar.setFormat(progress.text)

    def _finished(self, result: BulkResult) -> None:
        self.last_result = result
        self._show_progress(result.progress)
        self.model.set_rows(result.outcomes)
        self.empty.setVisible(not result.outcomes)
        first_failure = next((n for n, o in enumerate(result.outcomes) if not o.ok), None)
        if first_failure is not None:
            self.results.scrollTo(self.model.index(first_failure, 0))
        where = " Every attempt is in the Deliveries tab (Ctrl+4)." if result.outcomes else ""
        done = "Cancelled" if result.cancelled else "Done"
        tone = "error" if result.progress.failed else "warning" if result.cancelled else "ok"
        say(self.status_label, f"{done}: {result.summary}.{where}", tone)
        if result.outcomes:
            self.sent.emit(result.fire_id)

    # -- plumbing -------------------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel()  # closed (or the window closing): no new replays start unseen
        super().hideEvent(event)

    async def settle(self) -> None:
        """Wait for the run, if any (tests, and closing)."""
        await self._work.settle()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)
