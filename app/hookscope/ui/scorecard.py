"""The Scorecard dialog: send a receiver the battery of good and bad deliveries, see case by
case whether it behaved as a safe receiver must, and copy the card as Markdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from hookscope.core.scoreboard import FAIL, PASS, Outcome, Scorecard, markdown
from hookscope.engine import Engine, EngineError
from hookscope.ui.background import Background
from hookscope.ui.client import EngineClient
from hookscope.ui.compose.flow import FIRE_KEYS
from hookscope.ui.style import retint, say, verdict_colour
from hookscope.ui.widgets.badges import BadgeDelegate
from hookscope.ui.widgets.fields import RunRow, no_default_buttons
from hookscope.ui.widgets.labels import heading, plain_label
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip

# A case's result borrows the verdicts' colours: the word says it, the colour helps the eye.
_RESULT_VERDICTS = {PASS: "verified", FAIL: "failed"}


def score_colour(word: str, palette: QPalette | None = None) -> QColor:
    return verdict_colour(_RESULT_VERDICTS.get(word, "n/a"), palette)


class CasesModel(RecordTableModel[Outcome]):
    """The card's cases in the order they were sent; an Outcome per row."""

    COLUMNS = ("Result", "Case", "Expected", "Status", "Latency", "Reason")
    RESULT, CASE, REASON = 0, 1, 5
    RIGHT = frozenset({3, 4})

    def _text(self, item: Outcome, column: int) -> str:
        if column == self.RESULT:
            return item.result
        if column == self.CASE:
            return item.case.title
        if column == 2:
            return item.case.expected
        if column == 3:
            return _status(item)
        if column == 4:
            return "" if item.latency_ms is None else f"{item.latency_ms:.0f} ms"
        return item.reason

    def _tooltip(self, item: Outcome, column: int) -> str | None:
        if column == self.CASE:
            return plain_tooltip(item.case.why)
        if column == self.REASON:
            return plain_tooltip(item.reason)
        return None


def _status(item: Outcome) -> str:
    if item.answer is None:
        return ""
    shown = "—" if item.answer.status is None else str(item.answer.status)
    if item.first is not None:
        first = "—" if item.first.status is None else str(item.first.status)
        return f"{first}, then {shown}"
    return shown


class ScorecardDialog(QDialog):
    """Runs the receiver scorecard against a URL with a stored secret, one case at a time.

    Modeless: open it with `show()` (never `exec()`). Run (Ctrl+Return) sends through the
    engine; the bar says how many cases are done and the table fills as they end; Cancel (or
    closing the dialog) stops the run, the request in flight included.

    Attributes:
        url_edit, scheme_box, credential_box: the receiver, the scheme, the stored secret.
        run_button, cancel_button, progress_bar: start a run, stop one, how far it got.
        status_label: one sentence: a refusal, "Cancelling…", or the card's summary.
        model, results: each case's outcome; `empty` says what appears there before a run.
        detail_label: why the selected case matters, and what the receiver answered.
        copy_button: Copy as Markdown (once there is a card).
        last_card: the last run's card, or None.
    """

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = EngineClient(engine)
        self.last_card: Scorecard | None = None
        self._credentials: list[tuple[str, str]] = []
        self._cancel: threading.Event | None = None
        self._work = Background(
            self,
            "scorecard",
            lambda exc: say(self.status_label, f"That did not work: {exc}", "error"),
        )
        self.setWindowTitle("Receiver scorecard")
        self.resize(980, 620)
        self._build()
        for keys in FIRE_KEYS:
            QShortcut(QKeySequence(keys), self).activated.connect(self._run_clicked)
        self._set_running(False)

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        about = plain_label(
            "Sends your receiver a valid delivery and forged, tampered, stale, replayed and"
            " oversized ones, signed with a stored secret, and says case by case whether it"
            " accepted what it must and refused what a safe receiver refuses."
        )
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://your-app.example/webhooks")
        self.scheme_box = QComboBox()
        self.scheme_box.currentTextChanged.connect(lambda _: self._fill_credentials())
        self.credential_box = QComboBox()
        self.credential_box.setMinimumContentsLength(24)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Receiver &URL", self.url_edit)
        form.addRow("&Scheme", self.scheme_box)
        form.addRow("Cre&dential", self.credential_box)

        run_row = RunRow("&Run  (Ctrl+Return)", "Stop the run now, the request in flight included")
        self.run_button, self.progress_bar = run_row.start_button, run_row.progress_bar
        self.cancel_button = run_row.cancel_button
        self.run_button.clicked.connect(self._run_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.status_label = plain_label()
        self.status_label.hide()

        self._build_results()
        self.detail_label = plain_label()
        self.detail_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = self.buttons.addButton(
            "Copy as &Markdown", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.copy_button.setToolTip("The card as a Markdown table, for a pull request comment")
        self.copy_button.clicked.connect(self.copy_markdown)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.status_label)
        layout.addWidget(heading("Cases"))
        layout.addWidget(self.results, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.buttons)
        no_default_buttons(self)

    def _build_results(self) -> None:
        self.model = CasesModel(self)
        self.results = QTableView()
        self.results.setModel(self.model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setWordWrap(False)
        self.results.verticalHeader().hide()
        self.results.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.results.setItemDelegateForColumn(
            CasesModel.RESULT, BadgeDelegate(score_colour, self.results)
        )
        header = self.results.horizontalHeader()
        for column in range(CasesModel.REASON):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CasesModel.REASON, QHeaderView.ResizeMode.Stretch)
        self.results.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_detail(current)
        )
        self.empty = plain_label(
            "Each case is listed here as it ends: what was sent, what a safe receiver does,"
            " what yours answered."
        )
        self.empty.setEnabled(False)

    # -- choices --------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read the schemes and stored credentials again (keeping what is chosen)."""
        schemes, self._credentials = await self.client.scorecard_choices()
        if not Shiboken.isValid(self):
            return
        chosen = self.scheme_box.currentText()
        if not chosen:  # the first time: the scheme of the first stored secret
            chosen = self._credentials[0][1] if self._credentials else ""
        self.scheme_box.blockSignals(True)
        self.scheme_box.clear()
        self.scheme_box.addItems(schemes)
        self.scheme_box.blockSignals(False)
        if chosen in schemes:
            self.scheme_box.setCurrentText(chosen)
        self._fill_credentials()

    def _fill_credentials(self) -> None:
        scheme = self.scheme_box.currentText()
        chosen = self.credential_box.currentText()
        mine = [name for name, of in self._credentials if of == scheme]
        self.credential_box.clear()
        self.credential_box.addItems(mine)
        if chosen in mine:
            self.credential_box.setCurrentText(chosen)
        self.credential_box.setEnabled(bool(mine) and not self.running)
        self.credential_box.setToolTip(
            "" if mine else f"No {scheme} secret is stored: add one in Settings > Secrets"
        )
        self.run_button.setEnabled(bool(mine) and not self.running)
        self.run_button.setToolTip(self.credential_box.toolTip())

    # -- running --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def _set_running(self, running: bool) -> None:
        for widget in (self.url_edit, self.scheme_box):
            widget.setEnabled(not running)
        self.credential_box.setEnabled(not running and self.credential_box.count() > 0)
        self.run_button.setEnabled(not running and self.credential_box.count() > 0)
        self.cancel_button.setEnabled(running)
        self.copy_button.setEnabled(not running and self.last_card is not None)

    def _run_clicked(self) -> None:
        if not self.running and self.run_button.isEnabled():
            self._work.run(self.run())

    async def run(self) -> Scorecard | None:
        """Run the battery as the form says; the card (also shown), or None when refused."""
        url = self.url_edit.text().strip()
        scheme = self.scheme_box.currentText()
        credential = self.credential_box.currentText()
        if not url:
            say(self.status_label, "Enter the URL of the receiver to test.", "error")
            return None
        if not credential:
            say(self.status_label, f"Store a {scheme} secret first (Settings > Secrets).", "error")
            return None
        cancel = threading.Event()
        self._cancel = cancel
        self.last_card = None
        self._set_running(True)
        self.model.set_rows(())
        self._show_detail(QModelIndex())
        self.empty.show()
        self.progress_bar.setRange(0, 1)
        self._show_progress(0, 0)
        say(self.status_label, "Sending the cases one after another… Cancel stops the run.")
        loop = asyncio.get_running_loop()

        def report(outcomes: tuple[Outcome, ...], total: int) -> None:  # on the engine loop
            loop.call_soon_threadsafe(self._progressed, outcomes, total)

        try:
            card = await self.client.scorecard(url, scheme, credential, report, cancel)
        except EngineError as exc:
            say(self.status_label, str(exc), "error")
            return None
        finally:
            self._cancel = None
            if Shiboken.isValid(self):
                self._set_running(False)
        if Shiboken.isValid(self):
            self._finished(card)
        return card

    def cancel(self) -> None:
        """Stop the run now; the request in flight is abandoned."""
        if self._cancel is not None and not self._cancel.is_set():
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            say(self.status_label, "Cancelling…")

    def _progressed(self, outcomes: tuple[Outcome, ...], total: int) -> None:
        if Shiboken.isValid(self) and self.running:
            self.model.set_rows(outcomes)
            self.empty.hide()
            self._show_progress(len(outcomes), total)

    def _show_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"{done} of {total} cases" if total else "Starting…")

    def _finished(self, card: Scorecard) -> None:
        self.last_card = card
        self.model.set_rows(card.outcomes)
        self.empty.setVisible(not card.outcomes)
        self._show_progress(len(card.outcomes), card.total)
        first_failure = next((n for n, o in enumerate(card.outcomes) if o.result == FAIL), None)
        if first_failure is not None:
            self.results.selectRow(first_failure)
        say(self.status_label, *_verdict(card))
        self._set_running(False)

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid():
            self.detail_label.hide()
            return
        outcome = self.model.item(index.row())
        lines = [f"{outcome.case.title}: {outcome.reason}", f"Why it matters: {outcome.case.why}"]
        if outcome.answer is not None and outcome.answer.text:
            lines.append(f"The receiver answered: {' '.join(outcome.answer.text.split())[:200]}")
        self.detail_label.setText("\n".join(lines))
        self.detail_label.show()

    def copy_markdown(self) -> None:
        if self.last_card is not None:
            QGuiApplication.clipboard().setText(markdown(self.last_card))
            text, tone = _verdict(self.last_card)
            say(self.status_label, f"{text} Copied as Markdown.", tone)

    # -- plumbing -------------------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        self.cancel()  # closed (or the window closing): no case goes on unseen
        super().hideEvent(event)

    async def settle(self) -> None:
        """Wait for the run and the reads, if any (tests, and closing)."""
        await self._work.settle()

    def start_refresh(self) -> None:
        self._work.run(self.refresh())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)


def _verdict(card: Scorecard) -> tuple[str, str]:
    """The card's summary line for the dialog, and its tone."""
    tone = "ok" if card.passed else "warning" if card.cancelled else "error"
    verdict = "Passed" if card.passed else "Not passed" if card.cancelled else "Failed"
    return f"{verdict}: {card.summary}", tone


class ScorecardOpener(QObject):
    """Send > Receiver scorecard… (Ctrl+K): the action, and the one dialog it opens.

    Attributes:
        action: the menu entry.
        dialog: the dialog once opened, else None.
    """

    def __init__(self, engine: Engine, show: Callable[[QDialog], None], parent: QWidget) -> None:
        super().__init__(parent)
        self._engine = engine
        self._show = show
        self._parent = parent
        self.dialog: ScorecardDialog | None = None
        self.action = QAction("Receiver &scorecard…", parent)
        self.action.setShortcut(QKeySequence("Ctrl+K"))
        self.action.setStatusTip(
            "Check that a receiver accepts valid deliveries and refuses forged, tampered, stale,"
            " replayed and oversized ones"
        )
        self.action.triggered.connect(lambda _=False: self.open())

    def open(self) -> ScorecardDialog:
        if self.dialog is None:
            self.dialog = ScorecardDialog(self._engine, self._parent)
        if not self.dialog.running:
            self.dialog.start_refresh()  # a secret stored since it was last open is offered
        self._show(self.dialog)
        return self.dialog

    def config_changed(self, kinds: list[str]) -> None:
        dialog = self.dialog
        if dialog is not None and not dialog.running and {"credentials", "schemes"} & set(kinds):
            dialog.start_refresh()

    async def settle(self) -> None:
        if self.dialog is not None:
            await self.dialog.settle()
