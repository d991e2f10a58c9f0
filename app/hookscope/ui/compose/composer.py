"""Compose and fire: an event from the catalogue (Kardow, Kudoz) or a raw JSON body signed the way
any other scheme signs, edited, previewed byte-exact, then sent."""

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
from hookscope.core.fire import title
from hookscope.core.model import Attempt, Plan
from hookscope.core.providers import kardow, kudoz
from hookscope.core.schemefire import EVENT_HEADERS
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background, async_slot
from hookscope.ui.compose.flow import FIRE_KEYS, Planning, SendFlow
from hookscope.ui.compose.preview import RequestPreview
from hookscope.ui.compose.results import FireResults
from hookscope.ui.compose.schemes import (
    EVENT_CHOICES,
    body_problem,
    no_credential,
    raw_schemes,
    sample_text,
    scheme_note,
)
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
    """Compose an event from the catalogue, or a raw JSON body for any other signing scheme,
    see exactly what will go out, fire it.

    The preview is a kept Plan, rebuilt whenever the input settles; Fire sends that very plan,
    its time-bound values (placeholders, timestamps, signatures and tokens) made as it leaves
    and named under the preview, then a new one is made for the next fire (fresh ids).
    Nothing here blocks the GUI: planning and sending run on the engine's loop.

    Keyboard: Ctrl+Return (or Ctrl+Enter) fires; Alt+P, Alt+T, Alt+O, Alt+U and Alt+R go to
    the provider, event, organization id, URL and credential.

    Signals:
        fired(str): a fire went out (its fire_id): the window may show its deliveries.

    Attributes:
        plan: the plan the preview shows and Fire sends, or None when there is none.
        template: the catalogue template of the chosen event.
        provider_combo, event_combo: the provider (Kardow, Kudoz, or a scheme fired as a raw
            body: the built-in ones, then the user's) and the event (Kardow), kind (Kudoz) or
            the event sent in the scheme's header (GitHub, Shopify: any may be typed).
        assumed_badge: "shape assumed", shown when the provider does not document the data.
        note_label: the template's note (what is documented, what is assumed).
        org_spin: Kardow's organization id.
        url_edit, credential_combo, credential_hint: where a Kudoz callback or a scheme's body
            goes and the stored secret that signs it, of that provider only (the hint says how
            to add one when none is stored).
        editor: the event's `data` as JSON, placeholders included; for a scheme fired as a raw
            body, the body itself, sent exactly as written.
        reset_button: puts the template (or the scheme's sample body) back in the editor.
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
        for name, named in (*PROVIDERS, *raw_schemes()):
            self.provider_combo.addItem(named, name)
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
        self._event_row = event_row
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.addRow("&Provider", self.provider_combo)
        self.form.addRow("Even&t", event_row)
        event_label = self.form.labelForField(event_row)
        if isinstance(event_label, QLabel):  # a row of a layout has no buddy of its own
            event_label.setBuddy(self.event_combo)
        self.form.addRow(self.note_label)
        self.form.addRow("&Organization id", self.org_spin)
        self.form.addRow("Callback &URL", self.url_edit)
        self.form.addRow("C&redential", self.credential_combo)
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
        self.data_heading = heading("Event data (JSON object)")
        data_row.addWidget(self.data_heading, 1)
        data_row.addWidget(self.reset_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addLayout(self.form)
        left_layout.addSpacing(4)
        left_layout.addLayout(data_row)
        left_layout.addWidget(self.editor, 1)
        left_layout.addWidget(self.error_label)
        self.placeholders_label = plain_label(
            f"{placeholders} are filled as the event is sent (the preview shows sample values)."
        )
        left_layout.addWidget(self.placeholders_label)

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
        self.event_combo.editTextChanged.connect(lambda _: self._changed())
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

    @property
    def raw(self) -> bool:
        """The provider is a scheme fired as a raw body (not Kardow's or Kudoz's event)."""
        return self.provider not in (kardow.name, kudoz.name)

    @property
    def chosen_event(self) -> str:
        """The event chosen (or typed, for a scheme that carries it in a header)."""
        if self.raw:
            return self.event_combo.currentText().strip()
        return self.template.event

    def set_provider(self, provider: str) -> None:
        self.provider_combo.setCurrentIndex(self.provider_combo.findData(provider))

    def set_event(self, event: str) -> None:
        """Choose the event (Kardow) or kind (Kudoz) of the current provider; loads its template.
        For a scheme with an event header, any event may be set."""
        if self.raw:
            self.event_combo.setCurrentText(event)
            return
        self.event_combo.setCurrentIndex(self.event_combo.findData(event))

    async def reload_schemes(self) -> None:
        """List the user's custom schemes after the built-in ones (the choice is kept)."""
        custom = await self.flow.client.signing_schemes()
        chosen = self.provider
        offered = [*PROVIDERS, *raw_schemes(custom)]
        if [self.provider_combo.itemData(i) for i in range(self.provider_combo.count())] == [
            name for name, _ in offered
        ]:
            return
        self.provider_combo.blockSignals(True)
        self.provider_combo.clear()
        for name, named in offered:
            self.provider_combo.addItem(named, name)
        found = self.provider_combo.findData(chosen)
        self.provider_combo.setCurrentIndex(max(found, 0))
        self.provider_combo.blockSignals(False)
        if found < 0:  # the scheme chosen was removed
            self._provider_changed()

    def _provider_changed(self) -> None:
        provider, raw = self.provider, self.raw
        signs = raw or provider == kudoz.name  # to a URL, with a stored secret
        self._fill_events()
        for widget in (self.url_edit, self.credential_combo):
            self.form.setRowVisible(widget, signs)
        self.form.setRowVisible(self.org_spin, provider == kardow.name)
        label = self.form.labelForField(self.url_edit)
        if isinstance(label, QLabel):
            label.setText("&URL" if raw else "Callback &URL")
        self.data_heading.setText(
            "Body (JSON, sent exactly as written)" if raw else "Event data (JSON object)"
        )
        self.reset_button.setText("Reset to sample" if raw else "Reset to template")
        self.placeholders_label.setVisible(not raw)
        if signs:
            self.reload_credentials()
        else:
            self.form.setRowVisible(self.credential_hint, False)
        self._event_changed(provider_changed=True)

    def _fill_events(self) -> None:
        """The events of the provider: its templates, or the scheme's usual header events."""
        provider = self.provider
        header = EVENT_HEADERS.get(provider)
        self.event_combo.blockSignals(True)
        self.event_combo.clear()
        self.event_combo.setEditable(self.raw and header is not None)
        if self.raw:
            for event in EVENT_CHOICES.get(provider, ()):
                self.event_combo.addItem(event, event)
        else:
            for found in catalogue.templates(provider):
                self.event_combo.addItem(found.event, found.event)
                self.event_combo.setItemData(
                    self.event_combo.count() - 1, found.note, Qt.ItemDataRole.ToolTipRole
                )
        self.event_combo.setCurrentIndex(0)
        self.event_combo.blockSignals(False)
        tip = f"Sent in {header[0]}; type any event" if header else ""
        self.event_combo.setToolTip(tip)
        self.form.setRowVisible(self._event_row, not self.raw or header is not None)

    def _event_changed(self, *, provider_changed: bool = False) -> None:
        if self.raw:
            self.note_label.setText(scheme_note(self.provider, title(self.provider)))
            self.assumed_badge.setVisible(False)
            if provider_changed:
                self.reset_to_template()
            else:  # another event in the header keeps the body as edited
                self._changed()
            return
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
        """Put the chosen event's template (placeholders and all) in the editor; for a scheme
        fired as a raw body, its sample body."""
        text = sample_text(self.provider) if self.raw else self.template.text()
        self.editor.setPlainText(text)

    def reload_credentials(self) -> None:
        """List the stored secrets of the provider (names only), keeping the chosen one if it
        is there."""
        chosen = self.credential_combo.currentData()
        provider = self.provider
        names = [info.name for info in reads.list_credentials(self.db) if info.provider == provider]
        self.credential_combo.blockSignals(True)
        self.credential_combo.clear()
        for name in names:
            self.credential_combo.addItem(name, name)
        if names:  # (with a placeholder text, a combo box selects nothing by itself)
            self.credential_combo.setCurrentIndex(names.index(chosen) if chosen in names else 0)
        self.credential_combo.setEnabled(bool(names))
        self.credential_combo.blockSignals(False)
        missing = self._no_credential()
        if provider == kudoz.name:
            tip = "The Kudoz credential whose API secret signs the token"
        else:
            tip = f"The {title(provider)} secret that signs the request"
        self.credential_combo.setToolTip(tip if names else missing)
        say(self.credential_hint, "" if names else missing, "warning")
        signs = self.raw or provider == kudoz.name
        self.form.setRowVisible(self.credential_hint, not names and signs)
        if not self._url_edited:
            self.url_edit.setText(self._default_url())
        self._changed()

    def _no_credential(self) -> str:
        return (
            NO_KUDOZ_CREDENTIAL
            if self.provider == kudoz.name
            else no_credential(title(self.provider))
        )

    def _default_url(self) -> str:
        """Our own listener, on a path of the provider's: what is fired there is captured."""
        if not self.engine.url:
            return ""
        path = "/kudoz" if self.provider == kudoz.name else f"/hooks/{self.provider}"
        return f"{self.engine.url}{path}"

    def _url_typed(self, text: str) -> None:
        self._url_edited = bool(text)  # emptied: the listener's URL may come back as default

    # -- validation and preview -----------------------------------------------------------------

    def _changed(self) -> None:
        self.flow.changed()

    def schedule_refresh(self) -> None:
        """Rebuild the preview shortly (targets or the listener changed: the window says so)."""
        self._changed()

    def _read_input(self) -> dict[str, Any] | bytes | None:
        """The data to send (for a scheme fired as a raw body, the body's bytes), or None with
        the reason in the flow's `input_problem` (and shown)."""
        text = self.editor.toPlainText()
        data = (body_problem(text) or text.encode("utf-8")) if self.raw else parse_data(text)
        problem = data if isinstance(data, str) else None
        say(self.error_label, problem or "", "error")
        if problem is None and (self.raw or self.provider == kudoz.name):
            if self.credential_combo.count() == 0:
                problem = self._no_credential()
            elif not self.url_edit.text().strip():
                problem = (
                    "Enter the URL the request is sent to."
                    if self.raw
                    else "Enter the callback URL the Kudoz callback is sent to."
                )
            elif self.event_combo.isEditable() and not self.chosen_event:
                problem = f"Enter the event sent in {EVENT_HEADERS[self.provider][0]}."
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
        url = self.url_edit.text().strip()
        credential = str(self.credential_combo.currentData())
        if isinstance(data, bytes):  # sent exactly; signed again as it leaves
            event = self.chosen_event if self.provider in EVENT_HEADERS else None
            return self.flow.client.plan_scheme(self.provider, data, url, credential, event)
        # The engine fills the placeholders: with sample values now, afresh as it is sent.
        event = self.template.event
        if self.provider == kudoz.name:
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

    def settings_changed(self) -> None:
        """Secrets or custom schemes may have changed: offer them as they are now."""
        if self.raw or self.provider == kudoz.name:
            self.reload_credentials()
        else:
            self._changed()
        self._background(self.reload_schemes())

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous():
            # Secrets, schemes, the listener's URL and the targets may have changed while hidden.
            self.settings_changed()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
            self._style_badge()
        super().changeEvent(event)
