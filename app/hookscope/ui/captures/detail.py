"""One capture in detail: its overview, headers, body, verification, our answer, and its
forwards with the app's answer."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.forwarding import ForwardState
from hookscope.core.model import Capture, Check
from hookscope.ui.captures.forwards import ForwardsView
from hookscope.ui.formats import human_size, local_time
from hookscope.ui.style import verdict_colour
from hookscope.ui.widgets.badges import Badge
from hookscope.ui.widgets.bodyview import BodyView
from hookscope.ui.widgets.fields import ValueField
from hookscope.ui.widgets.headers import HeadersTable, headers_text
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.message import MessageView
from hookscope.ui.widgets.records import RecordTableModel


class ChecksModel(RecordTableModel[Check]):
    """The steps a verification tried, with their outcomes."""

    COLUMNS = ("Step", "Outcome", "Result")

    def _text(self, item: Check, column: int) -> str:
        if column == 0:
            return item.step
        if column == 1:
            return item.outcome
        return result_text(item)

    def _tooltip(self, item: Check, column: int) -> str | None:
        if item.assumed:
            return "Assumed: the provider's documentation does not say this; Hookscope assumes it."
        return None


def result_text(check: Check) -> str:
    mark = {True: "✓ pass", False: "✗ fail", None: "· info"}[check.ok]
    return f"{mark} (assumed)" if check.assumed else mark


class DetailPane(QTabWidget):
    """Everything about the selected capture, in six tabs.

    Signals:
        star_toggled(int, bool): the user starred or unstarred the capture with that id.
        note_edited(int, str): the user changed the note of the capture with that id.
        reverify_requested(int): the user asked to verify this capture again.

    Attributes:
        capture: the capture shown, or None.
        forwards: the Forwards tab (its send_again signal asks to send forwards again).
    """

    star_toggled = Signal(int, bool)
    note_edited = Signal(int, str)
    reverify_requested = Signal(int)

    OVERVIEW, HEADERS, BODY, VERIFICATION, RESPONSE, FORWARDS = range(6)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capture: Capture | None = None
        self.setDocumentMode(True)
        self.addTab(self._build_overview(), "Overview")
        self.addTab(self._build_headers(), "Headers")
        self.body = BodyView(self)
        self.addTab(self.body, "Body")
        self.addTab(self._build_verification(), "Verification")
        self.addTab(self._build_response(), "Response")
        self.forwards = ForwardsView(self)
        self.addTab(self.forwards, "Forwards")
        self._note_timer = QTimer(self, singleShot=True, interval=600)
        self._note_timer.timeout.connect(self._save_note)
        self.show_capture(None)

    # -- building -----------------------------------------------------------------------------

    def _build_overview(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.empty = plain_label("Select a capture to see it here.", selectable=False, wrap=False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty)
        self.form_widget = QWidget()
        form = QFormLayout(self.form_widget)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.fields: dict[str, ValueField] = {}
        # Said beside the capture's number: an imported capture never reached this listener.
        self.imported_badge = Badge(imported_colour, hints=None)
        self.imported_badge.set_word("imported")
        for name in (
            "Capture",
            "Received",
            "Request",
            "From",
            "Content type",
            "Body",
            "Provider",
            "Event",
            "Answered",
        ):
            self.fields[name] = ValueField()
            if name == "Capture":
                row = QHBoxLayout()
                row.addWidget(self.fields[name], 1)
                row.addWidget(self.imported_badge)
                form.addRow(name, row)
            else:
                form.addRow(name, self.fields[name])
        self.overview_badge = Badge()
        badge_row = QHBoxLayout()
        badge_row.addWidget(self.overview_badge)
        self.overview_verdict = plain_label()
        badge_row.addWidget(self.overview_verdict, 1)
        form.addRow("Verdict", badge_row)
        self.star_button = QPushButton("☆ Star")
        self.star_button.setCheckable(True)
        self.star_button.setToolTip("Star this capture (S)")
        self.star_button.toggled.connect(self._star_clicked)
        form.addRow("", self.star_button)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("A note for this capture (saved as you type)")
        self.note.setMaximumHeight(90)
        self.note.textChanged.connect(self._note_changed)
        form.addRow("Note", self.note)
        layout.addWidget(self.form_widget)
        layout.addStretch(1)
        return page

    def _build_headers(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.headers = HeadersTable()
        layout.addWidget(self.headers)
        row = QHBoxLayout()
        self.headers_count = plain_label(selectable=False, wrap=False)
        row.addWidget(self.headers_count, 1)
        copy = QPushButton("Copy all")
        copy.setToolTip("Copy every header as Name: value lines (select rows and Ctrl+C for some)")
        copy.clicked.connect(self._copy_all_headers)
        row.addWidget(copy)
        layout.addLayout(row)
        return page

    def _build_verification(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        self.badge = Badge()
        top.addWidget(self.badge)
        self.provider_label = plain_label(wrap=False)
        top.addWidget(self.provider_label, 1)
        self.reverify_button = QPushButton("Verify again")
        self.reverify_button.setToolTip("Judge this capture again with the secrets stored now")
        self.reverify_button.clicked.connect(self._reverify_clicked)
        top.addWidget(self.reverify_button)
        layout.addLayout(top)
        self.verdict_detail = plain_label()
        layout.addWidget(self.verdict_detail)
        self.matched = plain_label()
        layout.addWidget(self.matched)
        self.checks_model = ChecksModel(self)
        self.checks = QTableView()
        self.checks.setModel(self.checks_model)
        self.checks.verticalHeader().hide()
        self.checks.setWordWrap(True)
        self.checks.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.checks.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.checks.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.checks.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.ResizeToContents
        )
        layout.addWidget(self.checks, 1)
        self.assumed_note = plain_label(
            "Steps marked (assumed) rest on what the provider does not document; "
            "Hookscope assumes the most likely reading.",
            selectable=False,
        )
        layout.addWidget(self.assumed_note)
        return page

    def _build_response(self) -> QWidget:
        # What the listener answered: the same message view as a delivery's answer.
        self.response_view = MessageView(request=False)
        return self.response_view

    # -- showing ------------------------------------------------------------------------------

    def show_capture(
        self,
        capture: Capture | None,
        replays: Sequence[int] = (),
        forwards: Sequence[ForwardState] = (),
    ) -> None:
        """Fill every tab with this capture and its forwards (None: the empty state)."""
        if self._note_timer.isActive():
            self._note_timer.stop()
            self._save_note()
        self.capture = capture
        self.empty.setVisible(capture is None)
        self.form_widget.setVisible(capture is not None)
        for index in range(1, self.count()):
            self.setTabEnabled(index, capture is not None)
        if capture is None:
            self.headers.headers_model.set_rows(())
            self.body.clear()
            self.checks_model.set_rows(())
            self.show_forwards(())
            return
        self.show_forwards(forwards)
        verdict = capture.verdict
        self.fields["Capture"].set_value(capture_links(capture, replays))
        self.imported_badge.setVisible(capture.imported_from is not None)
        self.imported_badge.setToolTip(
            f"Imported from {capture.imported_from}: not received by the listener"
        )
        self.fields["Received"].set_value(local_time(capture.received_at, date=True))
        self.fields["Request"].set_value(
            f"{capture.method} {capture.target} HTTP/{capture.http_version}"
        )
        self.fields["From"].set_value(capture.remote)
        self.fields["Content type"].set_value(capture.content_type or "(none)")
        size = human_size(capture.body_size)
        if capture.body_truncated:
            size += " — cut at the size limit (the request was refused)"
        self.fields["Body"].set_value(size)
        self.fields["Provider"].set_value((verdict.provider or "none recognised").capitalize())
        self.fields["Event"].set_value(verdict.event or "")
        self.fields["Answered"].set_value(
            str(capture.response.status) if capture.response else "(no answer recorded)"
        )
        self.overview_badge.set_word(verdict.verdict)
        self.overview_verdict.setText(verdict.detail)
        self.show_starred(capture.starred)
        self.note.blockSignals(True)
        self.note.setPlainText(capture.note)
        self.note.blockSignals(False)

        self.headers.headers_model.set_rows(capture.headers)
        self.headers_count.setText(f"{len(capture.headers)} headers, in the order received")
        self.body.set_body(capture.body, capture.content_type, truncated=capture.body_truncated)

        self.badge.set_word(verdict.verdict)
        provider = (verdict.provider or "no provider").capitalize()
        self.provider_label.setText(
            f"{provider}" + (f" · {verdict.event}" if verdict.event else "")
        )
        self.verdict_detail.setText(verdict.detail)
        matched = next((check.step for check in verdict.checks if check.ok), None)
        self.matched.setText(f"Matched by: {matched}" if matched else "")
        self.matched.setVisible(matched is not None)
        self.checks_model.set_rows(verdict.checks)
        self.checks.resizeRowsToContents()
        self.assumed_note.setVisible(any(check.assumed for check in verdict.checks))
        self.reverify_button.setEnabled(capture.id is not None)

        response = capture.response
        line = (
            "No answer was recorded for this request."
            if response is None
            else f"Answered {response.status}"
        )
        self.response_view.show_response(response, line=line)

    def show_forwards(self, forwards: Sequence[ForwardState]) -> None:
        """The capture's forwards (read again when one of their attempts lands)."""
        self.forwards.show_forwards(forwards)
        failed = sum(1 for state in forwards if state.state != "delivered")
        # The title stays short (six tabs share the pane); the tooltip counts.
        self.setTabToolTip(
            self.FORWARDS,
            f"{len(forwards)} forward{'s' * (len(forwards) != 1)} of this capture,"
            f" {failed} not delivered"
            if forwards
            else "Not forwarded",
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.capture is not None:
            # Light or dark changed: the badges pick colours for the new palette.
            self.badge.restyle()
            self.overview_badge.restyle()
            self.imported_badge.restyle()

    # -- user actions -------------------------------------------------------------------------

    def _copy_all_headers(self) -> None:
        if self.capture is not None:
            QGuiApplication.clipboard().setText(headers_text(self.capture.headers))

    def show_starred(self, starred: bool) -> None:
        """Show the star as stored, without it counting as the user's click."""
        self.star_button.blockSignals(True)
        self.star_button.setChecked(starred)
        self.star_button.setText("★ Starred" if starred else "☆ Star")
        self.star_button.blockSignals(False)

    def _star_clicked(self, starred: bool) -> None:
        self.star_button.setText("★ Starred" if starred else "☆ Star")
        if self.capture is not None and self.capture.id is not None:
            self.star_toggled.emit(self.capture.id, starred)

    def _note_changed(self) -> None:
        self._note_timer.start()

    def _save_note(self) -> None:
        if self.capture is not None and self.capture.id is not None:
            self.note_edited.emit(self.capture.id, self.note.toPlainText())

    def flush_note(self) -> None:
        """Save a note still being typed (the window is closing or the selection moves)."""
        if self._note_timer.isActive():
            self._note_timer.stop()
            self._save_note()

    def _reverify_clicked(self) -> None:
        if self.capture is not None and self.capture.id is not None:
            self.reverify_requested.emit(self.capture.id)


def imported_colour(word: str, palette: QPalette) -> QColor:
    """The imported badge borrows a calm verdict colour: it is a fact, not a warning."""
    return verdict_colour("no-secret", palette)


def capture_links(capture: Capture, replays: Sequence[int]) -> str:
    """ "#12 (replay of #7) · replayed as #15, #18": a capture and its replays, both ways."""
    text = f"#{capture.id}"
    if capture.imported_from is not None:
        text += f" · imported from {capture.imported_from}"
    if capture.replay_of:
        text += f" (replay of #{capture.replay_of})"
    if replays:
        text += " · replayed as " + ", ".join(f"#{replay}" for replay in replays)
    return text
