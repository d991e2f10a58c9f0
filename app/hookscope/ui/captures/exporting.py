"""File > Export…: captures as HAR, NDJSON or curl, written off the GUI thread with Cancel."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.model import CaptureQuery
from hookscope.ui.background import Background
from hookscope.ui.captures.exportjob import ExportCancelled, ExportError, ExportPlan, write_export
from hookscope.ui.captures.page import CapturesPage
from hookscope.ui.formats import captures_phrase
from hookscope.ui.style import retint, set_tone
from hookscope.ui.widgets.labels import plain_label

FORMATS = (
    ("har", "HAR: browsers, proxies and HAR viewers open it", ".har"),
    ("ndjson", "NDJSON: one JSON object per capture, byte-exact", ".ndjson"),
    ("curl", "curl: a sh script that sends each request again", ".sh"),
)
ALL, SELECTED, FILTERED = "all", "selected", "filtered"


@dataclass(frozen=True, slots=True)
class Scope:
    """What the window offers to export when the dialog opens.

    Attributes:
        total: how many captures are stored.
        selected: the ids selected in the list.
        query: the list's filter, and `matching` how many captures it matches (None: no filter).
    """

    total: int
    selected: tuple[int, ...] = ()
    query: CaptureQuery | None = None
    matching: int = 0


class ExportDialog(QDialog):
    """Choose a format, which captures and a file; the export runs on a worker thread.

    Modeless: the window keeps capturing and can be used while a large export runs. Cancel
    stops a running export and leaves no file behind (it is written beside the target and
    renamed only when complete).

    Signals:
        exported(str): a sentence for the status bar once the file is written.

    Attributes:
        form: the format chooser; scopes: all / selected / filtered radio buttons.
        path: the file to write; browse: opens `chooser`, a file chooser.
        progress: the export's progress bar; status: what happened, in one sentence.
        export_button, cancel_button: start, and cancel (or close when idle).
        cancelled: set to stop a running export.
    """

    exported = Signal(str)

    def __init__(self, directory: Path, scope: Scope, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export captures")
        self._directory = directory
        self._scope = scope
        self._running = False
        self.cancelled = threading.Event()
        self._work = Background(
            self, "ui-export", lambda exc: self._finish(f"Not exported: {exc}", "error")
        )
        self.chooser: QFileDialog | None = None
        self._build()
        self.set_scope(scope)

    def _build(self) -> None:
        form = QFormLayout()
        self.form = QComboBox()
        for key, text, _ in FORMATS:
            self.form.addItem(text, key)
        self.form.currentIndexChanged.connect(lambda _: self._suffix_follows_format())
        form.addRow("&Format", self.form)

        self.scopes = QButtonGroup(self)
        scope_box = QVBoxLayout()
        for key in (ALL, SELECTED, FILTERED):
            button = QRadioButton()
            button.setProperty("scope", key)
            self.scopes.addButton(button)
            scope_box.addWidget(button)
        form.addRow("Captures", scope_box)

        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("Where to write the file")
        self.path.setMinimumWidth(360)
        row.addWidget(self.path, 1)
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self.choose_file)
        row.addWidget(self.browse)
        form.addRow("Sa&ve to", row)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = plain_label()
        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(buttons)

    # -- what to export -----------------------------------------------------------------------

    def set_scope(self, scope: Scope) -> None:
        """Offer these captures (the dialog is opened again with a new selection or filter)."""
        self._scope = scope
        selected = len(scope.selected)
        labels = {
            ALL: f"&All {captures_phrase(scope.total)}",
            SELECTED: f"The &selected {captures_phrase(selected)}"
            if selected
            else "The &selected captures (none is selected)",
            FILTERED: self._filtered_label(),
        }
        for button in self.scopes.buttons():
            button.setText(labels[button.property("scope")])
        preferred = SELECTED if scope.selected else FILTERED if scope.query is not None else ALL
        self._button(preferred).setChecked(True)
        if not self.path.text():
            self.path.setText(str(Path.home() / f"hookscope-captures{self._suffix()}"))
        self.show_status("" if scope.total else "There are no captures to export yet.")
        self._enable()

    def _filtered_label(self) -> str:
        scope = self._scope
        if scope.query is None:
            matching = "none is set"
        elif scope.matching < 0:
            matching = "counting…"
        else:
            matching = captures_phrase(scope.matching)
        return f"Those matching the list's fil&ter ({matching})"

    def update_matching(self, matching: int) -> None:
        """The list's filter was counted (off the GUI thread, after the dialog opened): say the
        new count, keeping the user's choice. Negative: still counting."""
        if self._running or self._scope.query is None:
            return
        self._scope = replace(self._scope, matching=matching)
        self._button(FILTERED).setText(self._filtered_label())
        self._enable()

    def _enable(self) -> None:
        scope, running = self._scope, self._running
        counts = {ALL: scope.total, SELECTED: len(scope.selected), FILTERED: scope.matching}
        for button in self.scopes.buttons():
            key = button.property("scope")
            # A filter still being counted (negative) is offered: it may well match some.
            offered = counts[key] != 0 and (key != FILTERED or scope.query is not None)
            button.setEnabled(offered and not running)
        for widget in (self.form, self.path, self.browse):
            widget.setEnabled(not running)
        self.export_button.setEnabled(scope.total > 0 and not running)

    def show_status(self, sentence: str, tone: str | None = None) -> None:
        self.status.setText(sentence)
        set_tone(self.status, tone)

    def _button(self, key: str) -> QRadioButton:
        for button in self.scopes.buttons():
            if button.property("scope") == key and isinstance(button, QRadioButton):
                return button
        raise KeyError(key)

    def choose(self, key: str) -> None:
        self._button(key).setChecked(True)

    def _suffix(self) -> str:
        return next(s for k, _, s in FORMATS if k == self.form.currentData())

    def _suffix_follows_format(self) -> None:
        path = Path(self.path.text())
        if path.suffix in {suffix for _, _, suffix in FORMATS}:
            self.path.setText(str(path.with_suffix(self._suffix())))

    def choose_file(self) -> None:
        """A file chooser beside the dialog (opened with open(), never exec())."""
        chooser = QFileDialog(self, "Export to", self.path.text())
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.setFileMode(QFileDialog.FileMode.AnyFile)
        chooser.fileSelected.connect(self.path.setText)
        self.chooser = chooser
        chooser.open()

    def plan(self) -> ExportPlan | str:
        """What the dialog says to export, or one sentence why it cannot."""
        text = self.path.text().strip()
        if not text:
            return "Choose a file to export to."
        target = Path(text).expanduser()
        if target.is_dir():
            return f"{target} is a folder: choose a file name in it."
        if not target.parent.is_dir():
            return f"The folder {target.parent} does not exist."
        checked = self.scopes.checkedButton()
        key = checked.property("scope") if checked is not None else ALL
        scope = self._scope
        form = str(self.form.currentData())
        if key == SELECTED:
            return ExportPlan(self._directory, form, target, ids=scope.selected)
        if key == FILTERED and scope.query is not None:
            return ExportPlan(self._directory, form, target, query=scope.query)
        return ExportPlan(self._directory, form, target)

    # -- running ------------------------------------------------------------------------------

    def start(self) -> None:
        self._work.run(self.export())

    async def export(self) -> int | None:
        """Write the export; how many captures were written (None: cancelled or refused)."""
        plan = self.plan()
        if isinstance(plan, str):
            self.show_status(plan, "error")
            return None
        self._set_running(True)
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._show_progress, done, total)

        try:
            written = await asyncio.to_thread(write_export, plan, report, self.cancelled)
        except ExportCancelled:
            self._finish("Export cancelled; no file was written.")
            return None
        except ExportError as exc:
            self._finish(str(exc), "error")
            return None
        self._finish("")
        self.exported.emit(f"Exported {captures_phrase(written)} to {plan.target}.")
        self.hide()
        return written

    def _show_progress(self, done: int, total: int) -> None:
        if not self._running:
            return
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(f"{done:,} of {total:,} captures (%p%)")
        self.show_status("Exporting…")

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.cancelled.clear()
        self.progress.setVisible(running)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.cancel_button.setText("Cancel" if running else "Close")
        self._enable()

    def _finish(self, sentence: str, tone: str | None = None) -> None:
        self._set_running(False)
        self.show_status(sentence, tone)

    def cancel_or_close(self) -> None:
        if self._running:
            self.cancelled.set()
            self.show_status("Cancelling…")
        else:
            self.hide()

    @property
    def running(self) -> bool:
        return self._running

    def reject(self) -> None:  # Escape: cancel a running export first, as the button does
        self.cancel_or_close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._running:
            self.cancelled.set()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)

    async def settle(self) -> None:
        await self._work.settle()


def export_scope(page: CapturesPage) -> Scope:
    """What the Captures tab offers to export now: all, its selection, its filter."""
    filters = page.filters
    query = filters.query() if filters.filtered() else None
    return Scope(page.total, tuple(page.selected_ids()), query, page.model.matching)
