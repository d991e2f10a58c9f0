"""The Response rules tab: how the listener answers, rule by rule; and the rule editor."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core.model import ResponseRule
from hookscope.core.rules import CAPTURE_ID, check_rule
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.settings.checks import parse_headers
from hookscope.ui.settings.drafts import DraftModel, ListTab
from hookscope.ui.settings.writes import SettingsWrites
from hookscope.ui.style import monospace, show_text
from hookscope.ui.widgets.labels import plain_label

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ANY_METHOD = "Any method"
BODY_PREVIEW = 200
NO_RULES = 'No rules: every request is answered 200 {"ok": true, "capture_id": N}.'


class RulesModel(DraftModel[ResponseRule]):
    """The response rules in match order (position, then age); a ResponseRule per row."""

    COLUMNS = ("Position", "Method", "Path glob", "Status", "Delay", "Body")
    RIGHT = frozenset({0, 3, 4})

    def _text(self, item: ResponseRule, column: int) -> str:
        if column == 0:
            return str(item.position)
        if column == 1:
            return item.method or "any"
        if column == 2:
            return item.pattern
        if column == 3:
            return str(item.status)
        if column == 4:
            return f"{item.delay_ms} ms"
        preview = item.body[:BODY_PREVIEW]
        return " ".join(preview.split()) if preview.strip() else "(empty)"

    def _foreground(self, item: ResponseRule, column: int) -> QColor | None:
        if item.enabled:
            return None
        return QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
        )

    def _tooltip(self, item: ResponseRule, column: int) -> str | None:
        return None if item.enabled else "This rule is disabled: it answers nothing."


class RuleEditor(QDialog):
    """Adds or edits one response rule in the draft; validated with check_rule.

    Open it with `.open()` (never `.exec()`: the app runs on qasync). OK puts the rule in the
    Settings dialog's draft; the dialog's Save writes it.

    Signals:
        chosen(ResponseRule): the rule as the form describes it; the editor then closes.

    Attributes:
        pattern_edit, method_combo, status_spin, headers_edit, body_edit, delay_spin,
        position_spin: the form.
        error_label: why the rule cannot be saved (hidden when it can).
        buttons: OK and Cancel.
    """

    chosen = Signal(object)

    def __init__(
        self,
        rule: ResponseRule | None = None,
        *,
        position: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._rule = rule or ResponseRule(pattern="", position=position)
        self.setWindowTitle("Add response rule" if rule is None else "Edit response rule")
        self.setMinimumWidth(520)

        self.pattern_edit = QLineEdit(self._rule.pattern)
        self.pattern_edit.setPlaceholderText("/kardow/*   (* matches every path)")
        self.method_combo = QComboBox()
        self.method_combo.addItem(ANY_METHOD)
        self.method_combo.addItems(METHODS)
        method = (self._rule.method or "").upper()
        if method and method not in METHODS:  # written by hand or by the CLI
            self.method_combo.addItem(method)
        self.method_combo.setCurrentIndex(max(0, self.method_combo.findText(method)))
        self.status_spin = QSpinBox()
        self.status_spin.setRange(0, 999)
        self.status_spin.setValue(self._rule.status)
        self.headers_edit = QPlainTextEdit(
            "\n".join(f"{name}: {value}" for name, value in self._rule.headers)
        )
        self.headers_edit.setPlaceholderText("Content-Type: application/json")
        self.headers_edit.setTabChangesFocus(True)
        self.headers_edit.setFont(monospace())
        self.headers_edit.setFixedHeight(self.headers_edit.fontMetrics().lineSpacing() * 4 + 12)
        self.body_edit = QPlainTextEdit(self._rule.body)
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setFont(monospace())
        self.delay_spin = QSpinBox()
        self.delay_spin.setRange(0, 600_000)
        self.delay_spin.setSingleStep(100)
        self.delay_spin.setSuffix(" ms")
        self.delay_spin.setValue(self._rule.delay_ms)
        self.position_spin = QSpinBox()
        self.position_spin.setRange(-1_000_000, 1_000_000)
        self.position_spin.setValue(self._rule.position)
        self.position_spin.setToolTip("Lower positions are tried first.")
        self.error_label = plain_label(tone="error")
        self.error_label.hide()

        form = QFormLayout()
        form.addRow("Path glob", self.pattern_edit)
        form.addRow("Method", self.method_combo)
        form.addRow("Status", self.status_spin)
        form.addRow("Headers", self.headers_edit)
        form.addRow("", plain_label("One Name: value per line."))
        form.addRow("Body", self.body_edit)
        form.addRow(
            "", plain_label(f"Plain text; {CAPTURE_ID} is replaced by the new capture's id.")
        )
        form.addRow("Delay", self.delay_spin)
        form.addRow("Position", self.position_spin)
        form.addRow(
            "",
            plain_label(
                "The first enabled rule whose glob matches the path (and method) answers; "
                "lower positions are tried first."
            ),
        )
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def read_form(self) -> ResponseRule | str:
        """The rule the form describes, or why it cannot be saved (a sentence)."""
        headers = parse_headers(self.headers_edit.toPlainText())
        if isinstance(headers, str):
            return headers
        method = self.method_combo.currentText()
        rule = replace(
            self._rule,
            pattern=self.pattern_edit.text().strip(),
            method=None if method == ANY_METHOD else method,
            status=self.status_spin.value(),
            headers=headers,
            body=self.body_edit.toPlainText(),
            delay_ms=self.delay_spin.value(),
            position=self.position_spin.value(),
        )
        return check_rule(rule) or rule

    def submit(self) -> bool:
        """Validate, then hand the rule to the draft; on a problem, say it and stay open."""
        rule = self.read_form()
        if isinstance(rule, str):
            show_text(self.error_label, rule)
            return False
        show_text(self.error_label, "")
        self.chosen.emit(rule)
        self.accept()
        return True


class RulesTab(ListTab[ResponseRule]):
    """The response rules, in match order: add, edit, remove (in the draft, until Save).

    Attributes:
        add_rule_button, edit_rule_button, remove_rule_button: the actions.
        rule_editor: the editor open now, if any.
    """

    TITLE = "Response rules"
    NOUN = "The rule"
    EMPTY = NO_RULES
    STRETCH = 5

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, RulesModel(), parent)
        self.rule_editor: RuleEditor | None = None
        self.view.doubleClicked.connect(lambda _index: self.edit_rule())
        self.add_rule_button = QPushButton("&Add…")
        self.add_rule_button.clicked.connect(self.add_rule)
        self.edit_rule_button = QPushButton("&Edit…")
        self.edit_rule_button.clicked.connect(self.edit_rule)
        self.remove_rule_button = QPushButton("Re&move")
        self.remove_rule_button.clicked.connect(self.remove_rule)
        self.add_buttons(self.add_rule_button, self.edit_rule_button, self.remove_rule_button)

    def intro(self) -> str:
        return (
            "The listener answers each request with the first enabled rule whose glob "
            "matches its path (lower positions first); otherwise with 200 "
            '{"ok": true, "capture_id": N}.'
        )

    def _stored(self) -> list[ResponseRule]:
        return reads.list_rules(self._db)

    async def _write(self, item: ResponseRule, saved: ResponseRule | None) -> ResponseRule:
        return replace(item, id=await self._writes.save_rule(item))

    async def _delete(self, saved: ResponseRule) -> None:
        if saved.id is not None:
            await self._writes.delete_rule(saved.id)  # already gone: what the draft wants

    def selection_changed(self) -> None:
        why = None if self.current_row() is not None else "Select a rule first."
        for button in (self.edit_rule_button, self.remove_rule_button):
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def add_rule(self) -> RuleEditor:
        rules = self.items()
        position = max(r.position for r in rules) + 1 if rules else 0
        editor = RuleEditor(position=position, parent=self)
        editor.chosen.connect(self.add)
        return self._open_rule_editor(editor)

    def edit_rule(self) -> RuleEditor | None:
        row = self.current_row()
        if row is None:
            return None
        editor = RuleEditor(self.entries[row].item, parent=self)
        entry = self.entries[row]

        def edited(rule: ResponseRule) -> None:
            if entry in self.entries:  # not removed while the editor was open
                self.replace(self.entries.index(entry), rule)

        editor.chosen.connect(edited)
        return self._open_rule_editor(editor)

    def _open_rule_editor(self, editor: RuleEditor) -> RuleEditor:
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(self._rule_editor_closed)
        self.rule_editor = editor
        editor.open()
        return editor

    def _rule_editor_closed(self) -> None:
        self.rule_editor = None

    def remove_rule(self) -> ResponseRule | None:
        """Take the selected rule out of the draft (Save removes it from the store)."""
        row = self.current_row()
        return None if row is None else self.remove(row)
