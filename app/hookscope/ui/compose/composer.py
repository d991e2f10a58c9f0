"""Compose and fire: an event from the catalogue, edited, previewed byte-exact, then sent."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence, QPalette, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core import catalogue
from hookscope.core.catalogue import PLACEHOLDERS, CatalogueError, Template
from hookscope.core.model import Attempt, Plan
from hookscope.core.providers import kardow, kudoz
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background, async_slot
from hookscope.ui.compose.flow import FIRE_KEYS, Planning, SendFlow
from hookscope.ui.compose.preview import RequestPreview
from hookscope.ui.compose.results import FireResults
from hookscope.ui.compose.text import parse_data, summary
from hookscope.ui.formats import targets_phrase
from hookscope.ui.style import is_dark, monospace, pill_style, retint, say
from hookscope.ui.widgets.labels import heading, plain_label

log = logging.getLogger(__name__)

DEFAULT_ORG_ID = 42
PROVIDERS = ((kardow.name, "Kardow"), (kudoz.name, "Kudoz"))
NO_KUDOZ_CREDENTIAL = (
    "No Kudoz credential is stored, so nothing can sign the callback. Add one in "
    "Settings > Secrets (Add Kudoz credential…)."
)

_BADGE = ("#fde7c7", "#6b4413")  # the "shape assumed" badge's background


class ComposerPanel(QWidget):
    """Compose an event from the catalogue, see exactly what will go out, fire it.

    The preview is a kept Plan, rebuilt whenever the input settles; Fire sends that very plan,
    its time-bound values (placeholders, timestamps, signatures and tokens) made as it leaves
    and named under the preview, then a new one is made for the next fire (fresh ids).
    Nothing here blocks the GUI: planning and sending run on the engine's loop.

    Keyboard: Ctrl+Return (or Ctrl+Enter) fires.

    Signals:
        fired(str): a fire went out (its fire_id): the window may show its deliveries.

    Attributes:
        plan: the plan the preview shows and Fire sends, or None when there is none.
        template: the catalogue template of the chosen event.
        provider_combo, event_combo: the provider and the event (Kardow) or kind (Kudoz).
        assumed_badge: "shape assumed", shown when the provider does not document the data.
        note_label: the template's note (what is documented, what is assumed).
        org_spin: Kardow's organization id.
        url_edit, credential_combo, credential_hint: Kudoz's callback URL and signing credential
            (the hint says how to add one when none is stored).
        editor: the event's `data` as JSON, placeholders included.
        reset_button: puts the template back in the editor.
        error_label: why the data cannot be sent (invalid JSON with line and column, ...).
        preview: the RequestPreview of `plan`.
        flow: plans the input as it settles, and sends the plan shown.
        refresh_button: builds the preview again (new sample values, the targets registered now).
        fire_button: sends `plan`; disabled with the reason as its tooltip.
        status_label: "Sending to N targets…", then the summary ("3 delivered, 1 failed").
        results: the last fire's result per request.
    """

    fired = Signal(str)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.db = db
        self.template: Template = catalogue.templates(kardow.name)[0]
        self._url_edited = False
        self._work = Background(
            self,
            "composer-action",
            lambda exc: say(self.status_label, f"That did not work: {exc}", "error"),
        )
        self._build()
        self.flow = SendFlow(
            engine,
            self.preview,
            self.status_label,
            self._work,
            self.refresh_preview,
            name="fire",
            busy="Sending… wait for the results of this fire.",
            nothing=lambda plan: " ".join(plan.problems) or "Nothing would be sent.",
            parent=self,
        )
        self.flow.updated.connect(self._update_fire)
        for keys in FIRE_KEYS:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self._fire_clicked)
        self._provider_changed()

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.provider_combo = QComboBox()
        for name, title in PROVIDERS:
            self.provider_combo.addItem(title, name)
        self.event_combo = QComboBox()
        self.event_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.assumed_badge = QLabel("shape assumed")
        self.assumed_badge.setTextFormat(Qt.TextFormat.PlainText)
        self.assumed_badge.setToolTip(
            "The provider does not document this data: Hookscope assumes this shape."
        )
        self._style_badge()
        self.note_label = plain_label()
        self.note_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.org_spin = QSpinBox()
        self.org_spin.setRange(0, 2**31 - 1)
        self.org_spin.setValue(DEFAULT_ORG_ID)
        self.org_spin.setToolTip("organization_id in the envelope (an integer in Kardow's API)")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://your-app.example/kudoz/callback")
        self.credential_combo = QComboBox()
        self.credential_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.credential_combo.setToolTip("The Kudoz credential whose API secret signs the token")
        self.credential_combo.setPlaceholderText("none stored")
        self.credential_hint = plain_label()
        self.credential_hint.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred
        )
        self.credential_hint.hide()

        event_row = QHBoxLayout()
        event_row.addWidget(self.event_combo)
        event_row.addWidget(self.assumed_badge)
        event_row.addStretch(1)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.addRow("Provider", self.provider_combo)
        self.form.addRow("Event", event_row)
        self.form.addRow(self.note_label)
        self.form.addRow("Organization id", self.org_spin)
        self.form.addRow("Callback URL", self.url_edit)
        self.form.addRow("Credential", self.credential_combo)
        self.form.addRow(self.credential_hint)

        self.editor = QPlainTextEdit()
        self.editor.setFont(monospace())
        self.editor.setTabChangesFocus(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.editor.setMinimumWidth(self.editor.fontMetrics().averageCharWidth() * 48)
        self.reset_button = QPushButton("Reset to template")
        self.reset_button.setToolTip("Put the event's template back in the editor")
        self.reset_button.clicked.connect(self.reset_to_template)
        self.error_label = plain_label()
        self.error_label.hide()
        placeholders = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        data_row = QHBoxLayout()
        data_row.addWidget(heading("Event data (JSON object)"), 1)
        data_row.addWidget(self.reset_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addLayout(self.form)
        left_layout.addSpacing(4)
        left_layout.addLayout(data_row)
        left_layout.addWidget(self.editor, 1)
        left_layout.addWidget(self.error_label)
        left_layout.addWidget(
            plain_label(
                f"{placeholders} are filled as the event is sent (the preview shows sample values)."
            )
        )

        self.preview = RequestPreview()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip(
            "Build the preview again: new sample values, and the targets registered now"
        )
        self.refresh_button.clicked.connect(lambda: self._background(self.refresh_preview()))
        preview_row = QHBoxLayout()
        preview_row.addWidget(heading("Preview: exactly what will go out"), 1)
        preview_row.addWidget(self.refresh_button)
        self.fire_button = QPushButton("Fire  (Ctrl+Return)")
        self.fire_button.clicked.connect(self._fire_clicked)
        self.status_label = plain_label()
        fire_row = QHBoxLayout()
        fire_row.addWidget(self.fire_button)
        fire_row.addWidget(self.status_label, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(4, 0, 0, 4)
        top_layout.addLayout(preview_row)
        top_layout.addWidget(self.preview, 1)
        top_layout.addLayout(fire_row)

        self.results = FireResults()

        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        right.addWidget(top)
        right.addWidget(self.results)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.splitter)

        self.provider_combo.currentIndexChanged.connect(lambda _: self._provider_changed())
        self.event_combo.currentIndexChanged.connect(lambda _: self._event_changed())
        self.editor.textChanged.connect(self._changed)
        self.org_spin.valueChanged.connect(lambda _: self._changed())
        self.url_edit.textEdited.connect(self._url_typed)
        self.url_edit.textChanged.connect(lambda _: self._changed())
        self.credential_combo.currentIndexChanged.connect(lambda _: self._changed())

    def _style_badge(self) -> None:
        palette = QGuiApplication.palette()
        background = QColor(_BADGE[1] if is_dark(palette) else _BADGE[0])
        text = palette.color(QPalette.ColorRole.Text)
        self.assumed_badge.setStyleSheet(pill_style(background, text))

    # -- choosing -------------------------------------------------------------------------------

    @property
    def provider(self) -> str:
        return str(self.provider_combo.currentData())

    def set_provider(self, provider: str) -> None:
        self.provider_combo.setCurrentIndex(self.provider_combo.findData(provider))

    def set_event(self, event: str) -> None:
        """Choose the event (Kardow) or kind (Kudoz) of the current provider; loads its template."""
        self.event_combo.setCurrentIndex(self.event_combo.findData(event))

    def _provider_changed(self) -> None:
        kudoz_chosen = self.provider == kudoz.name
        self.event_combo.blockSignals(True)
        self.event_combo.clear()
        for found in catalogue.templates(self.provider):
            self.event_combo.addItem(found.event, found.event)
            self.event_combo.setItemData(
                self.event_combo.count() - 1, found.note, Qt.ItemDataRole.ToolTipRole
            )
        self.event_combo.blockSignals(False)
        for widget in (self.url_edit, self.credential_combo):
            self.form.setRowVisible(widget, kudoz_chosen)
        self.form.setRowVisible(self.org_spin, not kudoz_chosen)
        if kudoz_chosen:
            self.reload_credentials()
        else:
            self.form.setRowVisible(self.credential_hint, False)
        self.event_combo.setCurrentIndex(0)
        self._event_changed()

    def _event_changed(self) -> None:
        event = self.event_combo.currentData()
        if event is None:
            return
        try:
            self.template = catalogue.template(self.provider, str(event))
        except CatalogueError as error:  # a broken install: say so, keep the panel usable
            say(self.error_label, str(error), "error")
            return
        self.note_label.setText(self.template.note)
        self.assumed_badge.setVisible(self.template.assumed)
        self.reset_to_template()

    def reset_to_template(self) -> None:
        """Put the chosen event's template (placeholders and all) in the editor."""
        self.editor.setPlainText(self.template.text())

    def reload_credentials(self) -> None:
        """List the stored Kudoz credentials (names only), keeping the chosen one if it is there."""
        chosen = self.credential_combo.currentData()
        names = [
            info.name for info in reads.list_credentials(self.db) if info.provider == kudoz.name
        ]
        self.credential_combo.blockSignals(True)
        self.credential_combo.clear()
        for name in names:
            self.credential_combo.addItem(name, name)
        if names:  # (with a placeholder text, a combo box selects nothing by itself)
            self.credential_combo.setCurrentIndex(names.index(chosen) if chosen in names else 0)
        self.credential_combo.setEnabled(bool(names))
        self.credential_combo.blockSignals(False)
        self.credential_combo.setToolTip(
            "The Kudoz credential whose API secret signs the token"
            if names
            else NO_KUDOZ_CREDENTIAL
        )
        say(self.credential_hint, "" if names else NO_KUDOZ_CREDENTIAL, "warning")
        self.form.setRowVisible(self.credential_hint, not names and self.provider == kudoz.name)
        if not self._url_edited:
            self.url_edit.setText(f"{self.engine.url}/kudoz" if self.engine.url else "")
        self._changed()

    def _url_typed(self, text: str) -> None:
        self._url_edited = bool(text)  # emptied: the listener's URL may come back as default

    # -- validation and preview -----------------------------------------------------------------

    def _changed(self) -> None:
        self.flow.changed()

    def schedule_refresh(self) -> None:
        """Rebuild the preview shortly (targets or the listener changed: the window says so)."""
        self._changed()

    def _read_input(self) -> dict[str, Any] | None:
        """The data to send, or None with the reason in the flow's `input_problem` (and shown)."""
        data = parse_data(self.editor.toPlainText())
        problem = data if isinstance(data, str) else None
        say(self.error_label, problem or "", "error")
        if problem is None and self.provider == kudoz.name:
            if self.credential_combo.count() == 0:
                problem = NO_KUDOZ_CREDENTIAL
            elif not self.url_edit.text().strip():
                problem = "Enter the callback URL the Kudoz callback is sent to."
        self.flow.input_problem = problem
        return None if problem or isinstance(data, str) else data

    async def refresh_preview(self) -> Plan | None:
        """Validate the input, fill its placeholders afresh and plan it; the plan kept, or None."""
        return await self.flow.plan(self._planning())

    def _planning(self) -> Planning:
        data = self._read_input()
        if data is None:
            why = self.flow.input_problem if self.error_label.isHidden() else None
            return why or "Fix the data to see what will go out."
        # The engine fills the placeholders: with sample values now, afresh as it is sent.
        event = self.template.event
        if self.provider == kudoz.name:
            url = self.url_edit.text().strip()
            credential = str(self.credential_combo.currentData())
            return self.flow.client.plan_kudoz(event, data, url, credential)
        return self.flow.client.plan_kardow(event, data, self.org_spin.value())

    @property
    def plan(self) -> Plan | None:
        """The plan the preview shows, which Fire sends."""
        return self.preview.plan

    # -- firing ---------------------------------------------------------------------------------

    def fire_problem(self) -> str | None:
        """Why Fire cannot send now, or None when it can (also the disabled button's tooltip)."""
        return self.flow.problem()

    def _update_fire(self) -> None:
        why = self.fire_problem()
        self.fire_button.setEnabled(why is None)
        if why is None and self.plan is not None:
            count = targets_phrase(len(self.plan.requests))
            self.fire_button.setToolTip(f"Send the previewed requests to {count} (Ctrl+Return)")
        else:
            self.fire_button.setToolTip(why or "")

    @async_slot()
    async def _fire_clicked(self) -> None:
        await self.fire()

    async def fire(self) -> list[Attempt]:
        """Send the kept plan, exactly; show each result; a fresh plan follows for the next fire.

        Never raises for the user: why nothing was sent, or what failed, is shown in the panel.
        """
        attempts = await self.flow.send(self._begin_fire, self._fired)
        return attempts if attempts is not None else []

    def _begin_fire(self, plan: Plan) -> str:
        self.results.clear()
        return f"Sending to {targets_phrase(len(plan.requests))}…"

    def _fired(self, plan: Plan, attempts: list[Attempt]) -> None:
        self._show_results(attempts)
        self.fired.emit(plan.fire_id)

    def _show_results(self, attempts: list[Attempt]) -> None:
        self.results.show_attempts(attempts)
        failed = any(not attempt.ok for attempt in attempts)
        say(self.status_label, summary(attempts) + ".", "error" if failed else "ok")

    # -- plumbing -------------------------------------------------------------------------------

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    def stop_timers(self) -> None:
        """The window is closing: nothing may read the store after it closes."""
        self.flow.stop()

    async def settle(self) -> None:
        """Wait for background refreshes and fires (tests, and closing), a pending one too."""
        self.flow.flush()
        await self._work.settle()

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():
            # Secrets, the listener's URL and the targets may have changed while hidden.
            if self.provider == kudoz.name:
                self.reload_credentials()
            else:
                self._changed()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
            self._style_badge()
        super().changeEvent(event)
