"""The Forwarding tab: forward rules, which send captures on to the app being written; and the
rule editor, checked by the engine as it is typed (the sentence `hookscope forward add` gives)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.forwarding import ASYNC, PROXY, ForwardRule
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.client import EngineClient
from hookscope.ui.settings.checks import scheme_title
from hookscope.ui.settings.common import beside_problems
from hookscope.ui.settings.drafts import DraftModel, ListTab
from hookscope.ui.settings.writes import SettingsWrites
from hookscope.ui.style import say
from hookscope.ui.widgets.labels import plain_label

NO_FORWARDS = (
    "No forward rules: captures are stored and answered, and go no further. Add… (Ins) sends"
    " the matching ones on to your app."
)
MODES = (
    (ASYNC, "async: the sender is answered at once, the forward follows"),
    (PROXY, "proxy: the sender gets your app's answer"),
)
ANY_PROVIDER = "Any provider"
AS_CAPTURED = "No: as captured (the sender's own signature)"
CHECK_MS = 150  # the pause in typing before the engine checks the rule
CHECKING = "Checking…"


def only_text(rule: ForwardRule) -> str:
    """The rule's narrowing in a few words: "kardow · job.*", "any"."""
    parts = [scheme_title(rule.provider) if rule.provider else "", rule.event or ""]
    return " · ".join(p for p in parts if p) or "any"


def rule_text(rule: ForwardRule) -> str:
    """The whole rule in one sentence (a row's tooltip, however narrow the columns)."""
    only = "" if only_text(rule) == "any" else f" ({only_text(rule)} only)"
    strip = f", without the prefix {rule.strip_prefix}" if rule.strip_prefix else ""
    sign = f", signed again with {rule.resign!r}" if rule.resign else ", as captured"
    state = "" if rule.enabled else " Disabled: it forwards nothing."
    return f"{rule.pattern}{only} → {rule.url}{strip}{sign}, {rule.mode}.{state}"


class ForwardRulesModel(DraftModel[ForwardRule]):
    """The forward rules in the order they are tried; a ForwardRule per row."""

    COLUMNS = ("Position", "Path glob", "URL", "Mode", "Only", "Strip prefix", "Re-sign", "On")
    URL = 2
    RIGHT = frozenset({0})

    def _text(self, item: ForwardRule, column: int) -> str:
        texts = (
            str(item.position),
            item.pattern,
            item.url,
            item.mode,
            only_text(item),
            item.strip_prefix,
            item.resign or "",
            "yes" if item.enabled else "no",
        )
        return texts[column]

    def _foreground(self, item: ForwardRule, column: int) -> QColor | None:
        if item.enabled:
            return None
        return QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
        )

    def _tooltip(self, item: ForwardRule, column: int) -> str | None:
        return rule_text(item)


class ForwardRuleEditor(QDialog):
    """Adds a forward rule to the draft, or edits one. The engine checks each change after a
    short pause (the same check as Save and `hookscope forward add`): the problem is said beside
    the form, and OK stays disabled until there is none.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        chosen(ForwardRule): the rule the form describes; the editor then closes.

    Attributes:
        pattern_edit, url_edit, mode_combo, provider_combo, event_edit, strip_edit,
        resign_combo, enabled_check, position_spin: the form.
        error_label: why the rule cannot forward ("Checking…" while the engine looks).
        buttons: OK and Cancel; ok_button.
    """

    chosen = Signal(object)

    def __init__(
        self,
        client: EngineClient,
        rule: ForwardRule | None = None,
        *,
        position: int = 0,
        providers: Sequence[str] = (),
        credentials: Sequence[tuple[str, str]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._rule = rule or ForwardRule(pattern="*", url="", position=position)
        self._ticket = 0  # the newest check: older answers are dropped
        self._work = Background(self, "forward-check", lambda exc: self._said(f"{exc}"))
        self.setWindowTitle("Add forward rule" if rule is None else "Edit forward rule")
        self.setMinimumWidth(760)
        self._make_fields(providers, credentials)
        self._lay_out()
        self._pause = QTimer(self, singleShot=True, interval=CHECK_MS)
        self._pause.timeout.connect(lambda: self._work.run(self.check()))
        for edit in (self.pattern_edit, self.url_edit, self.event_edit, self.strip_edit):
            edit.textChanged.connect(self._edited)
        for combo in (self.mode_combo, self.provider_combo, self.resign_combo):
            combo.currentIndexChanged.connect(self._edited)
        self.enabled_check.toggled.connect(self._edited)
        self.position_spin.valueChanged.connect(self._edited)
        self._edited()

    def _make_fields(
        self, providers: Sequence[str], credentials: Sequence[tuple[str, str]]
    ) -> None:
        rule = self._rule
        self.pattern_edit = QLineEdit(rule.pattern)
        self.pattern_edit.setPlaceholderText("/kardow/*   (* forwards every path)")
        self.url_edit = QLineEdit(rule.url)
        self.url_edit.setPlaceholderText("http://localhost:3000/webhooks")
        self.mode_combo = _combo([(text, mode) for mode, text in MODES], rule.mode)
        choices: list[tuple[str, str | None]] = [(ANY_PROVIDER, None)]
        choices += [(scheme_title(name), name) for name in providers]
        self.provider_combo = _combo(choices, rule.provider)
        self.event_edit = QLineEdit(rule.event or "")
        self.event_edit.setPlaceholderText("job.*   (empty: every event)")
        self.strip_edit = QLineEdit(rule.strip_prefix)
        self.strip_edit.setPlaceholderText("/kardow   (empty: the path as it came)")
        signers: list[tuple[str, str | None]] = [(AS_CAPTURED, None)]
        signers += [
            (f"{name}  ({scheme_title(scheme)} secret)", name) for name, scheme in credentials
        ]
        self.resign_combo = _combo(signers, rule.resign)
        self.enabled_check = QCheckBox("&Forward with this rule")
        self.enabled_check.setChecked(rule.enabled)
        self.position_spin = QSpinBox()
        self.position_spin.setRange(-1_000_000, 1_000_000)
        self.position_spin.setValue(rule.position)
        self.position_spin.setToolTip(
            "Lower positions are tried first; the first proxy rule answers."
        )
        self.error_label = plain_label(tone="error", wrap=True)
        self.error_label.hide()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Path glob", self.pattern_edit)
        form.addRow("&URL", self.url_edit)
        form.addRow(
            "",
            plain_label("The capture's path (without the prefix) and query follow it.", wrap=False),
        )
        form.addRow("&Mode", self.mode_combo)
        form.addRow("Pro&vider", self.provider_combo)
        form.addRow("&Event", self.event_edit)
        form.addRow("&Strip prefix", self.strip_edit)
        form.addRow("&Re-sign with", self.resign_combo)
        form.addRow("P&osition", self.position_spin)
        form.addRow("", self.enabled_check)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(lambda: self._work.run(self.submit()))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(beside_problems(form, self.error_label))
        layout.addWidget(self.buttons)

    def read_form(self) -> ForwardRule:
        """The rule the form describes (not checked: `check` asks the engine)."""
        return replace(
            self._rule,
            pattern=self.pattern_edit.text().strip(),
            url=self.url_edit.text().strip(),
            mode=self.mode_combo.currentData(),
            provider=self.provider_combo.currentData(),
            event=self.event_edit.text().strip() or None,
            strip_prefix=self.strip_edit.text().strip(),
            resign=self.resign_combo.currentData(),
            enabled=self.enabled_check.isChecked(),
            position=self.position_spin.value(),
        )

    def _edited(self) -> None:
        self._ticket += 1
        self.ok_button.setEnabled(False)
        self.ok_button.setToolTip(CHECKING)
        self._pause.start()

    def _said(self, problem: str) -> None:
        say(self.error_label, problem, "error")
        self.ok_button.setEnabled(not problem)
        self.ok_button.setToolTip(problem)

    async def check(self) -> str | None:
        """Ask the engine whether the form's rule can forward; say the answer (if no newer
        change came meanwhile). The problem, or None."""
        ticket = self._ticket
        problem = await self._client.check_forward_rule(self.read_form())
        if Shiboken.isValid(self) and ticket == self._ticket:
            self._said(problem or "")
        return problem

    async def submit(self) -> bool:
        """Hand the rule to the draft; False (the form stays open, saying why) when it cannot
        forward."""
        self._pause.stop()
        if await self.check() is not None or not Shiboken.isValid(self):
            return False
        self.chosen.emit(self.read_form())
        self.accept()
        return True

    async def settle(self) -> None:
        """Wait for the check under way (tests)."""
        if self._pause.isActive():
            self._pause.stop()
            self._work.run(self.check())
        await self._work.settle()


def _combo(choices: Sequence[tuple[str, str | None]], current: str | None) -> QComboBox:
    combo = QComboBox()
    for text, data in choices:
        combo.addItem(text, data)
    found = combo.findData(current)
    if found < 0:  # written by another process, or a secret removed since: shown as it is
        combo.addItem(str(current), current)
        found = combo.count() - 1
    combo.setCurrentIndex(found)
    return combo


class ForwardingTab(ListTab[ForwardRule]):
    """The forward rules: add (Ins), edit (Enter), remove (Del); in the draft until Save.

    Attributes:
        add_forward_button, edit_forward_button, remove_forward_button: the actions.
        forward_editor: the editor open now, if any.
    """

    TITLE = "Forwarding"
    NOUN = "The forward rule"
    EMPTY = NO_FORWARDS
    STRETCH = ForwardRulesModel.URL
    FIT = 24

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, ForwardRulesModel(), parent)
        self.forward_editor: ForwardRuleEditor | None = None
        self.view.doubleClicked.connect(lambda _index: self.edit_forward())
        self.view.activated.connect(lambda _index: self.edit_forward())
        self.add_forward_button = QPushButton("&Add…")
        self.add_forward_button.setToolTip("Forward the captures of a path to your app (Ins)")
        self.add_forward_button.clicked.connect(self.add_forward)
        self.edit_forward_button = QPushButton("&Edit…")
        self.edit_forward_button.clicked.connect(self.edit_forward)
        self.remove_forward_button = QPushButton("Re&move")
        self.remove_forward_button.clicked.connect(self.remove_forward)
        self.add_buttons(
            self.add_forward_button, self.edit_forward_button, self.remove_forward_button
        )
        self.extra.addWidget(
            plain_label(
                "Forward to… above the capture list (Ctrl+Shift+F) sends every capture to a URL"
                " for this session only, without a rule."
            )
        )
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, action in (
            (Qt.Key.Key_Insert, self.add_forward),
            (Qt.Key.Key_Delete, self.remove_forward),
        ):
            QShortcut(QKeySequence(key), self, action).setContext(context)

    def intro(self) -> str:
        return (
            "Every enabled rule whose glob matches a capture's path (and provider and event,"
            " when set) sends it on to your app, byte for byte: its signature stays valid."
            " Each attempt is in Deliveries, and the app's answer in the capture's Forwards tab."
        )

    def _stored(self) -> list[ForwardRule]:
        return reads.list_forward_rules(self._db)

    async def _write(self, item: ForwardRule, saved: ForwardRule | None) -> ForwardRule:
        return replace(item, id=await self._writes.save_forward_rule(item))

    async def _delete(self, saved: ForwardRule) -> None:
        if saved.id is not None:
            await self._writes.delete_forward_rule(saved.id)  # already gone: as the draft wants

    def selection_changed(self) -> None:
        why = None if self.current_row() is not None else "Select a forward rule first."
        self.edit_forward_button.setEnabled(why is None)
        self.edit_forward_button.setToolTip(why or "Change the rule (Enter)")
        self.remove_forward_button.setEnabled(why is None)
        self.remove_forward_button.setToolTip(why or "Remove it (Del)")

    def _editor(self, rule: ForwardRule | None, position: int = 0) -> ForwardRuleEditor:
        credentials = [(c.name, c.provider) for c in reads.list_credentials(self._db)]
        editor = ForwardRuleEditor(
            self._client,
            rule,
            position=position,
            providers=reads.scheme_names(self._db),
            credentials=credentials,
            parent=self,
        )
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(self._editor_closed)
        self.forward_editor = editor
        return editor

    def add_forward(self) -> ForwardRuleEditor:
        rules = self.items()
        editor = self._editor(None, max((r.position for r in rules), default=-1) + 1)
        editor.chosen.connect(self.add)
        editor.open()
        return editor

    def edit_forward(self) -> ForwardRuleEditor | None:
        row = self.current_row()
        if row is None:
            return None
        entry = self.entries[row]
        editor = self._editor(entry.item)

        def edited(rule: ForwardRule) -> None:
            if entry in self.entries:  # not removed while the editor was open
                self.replace(self.entries.index(entry), rule)

        editor.chosen.connect(edited)
        editor.open()
        return editor

    def _editor_closed(self) -> None:
        self.forward_editor = None

    def remove_forward(self) -> ForwardRule | None:
        """Take the selected rule out of the draft (Save removes it from the store)."""
        row = self.current_row()
        return None if row is None else self.remove(row)
