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
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
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
from hookscope.ui.settings.common import (
    SettingsTab,
    fit_columns,
    select,
    selected,
    settings_table,
)
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import monospace, show_text
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.records import RecordTableModel

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ANY_METHOD = "Any method"
BODY_PREVIEW = 200
NO_RULES = 'No rules: every request is answered 200 {"ok": true, "capture_id": N}.'


class RulesModel(RecordTableModel[ResponseRule]):
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
    """Adds or edits one response rule; validated with check_rule, saved through the writes.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        saved(int): the rule was saved (its id); the dialog then closes.

    Attributes:
        pattern_edit, method_combo, status_spin, headers_edit, body_edit, delay_spin,
        position_spin: the form.
        error_label: why the rule cannot be saved (hidden when it can).
        buttons: Save and Cancel.
    """

    saved = Signal(int)

    def __init__(
        self,
        writes: SettingsWrites,
        rule: ResponseRule | None = None,
        *,
        position: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._writes = writes
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
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
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

    def save(self) -> bool:
        """Validate and save; on a problem, say it in the dialog and keep it open."""
        rule = self.read_form()
        if isinstance(rule, str):
            show_text(self.error_label, rule)
            return False
        try:
            rule_id = self._writes.save_rule(rule)
        except WRITE_ERRORS as exc:
            show_text(self.error_label, f"The rule cannot be saved: {exc}.")
            return False
        show_text(self.error_label, "")
        self.saved.emit(rule_id)
        self.accept()
        return True


class RulesTab(SettingsTab):
    """The response rules, in match order: add, edit, remove.

    Attributes:
        rules_model, rules_view: the rules.
        rules_empty: said when there is none (every request gets the default answer).
        add_rule_button, edit_rule_button, remove_rule_button: the actions.
        rules_error: why the last action failed, hidden when it did not.
        rule_editor: the editor open now, if any.
    """

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self.rule_editor: RuleEditor | None = None
        self._build()

    def _build(self) -> None:
        self.rules_model = RulesModel(self)
        self.rules_view = settings_table(self.rules_model, stretch=5)
        self.rules_view.doubleClicked.connect(lambda _index: self.edit_rule())
        self.rules_view.selectionModel().selectionChanged.connect(self._rules_selected)
        self.rules_empty = plain_label(NO_RULES)
        self.add_rule_button = QPushButton("Add…")
        self.add_rule_button.clicked.connect(self.add_rule)
        self.edit_rule_button = QPushButton("Edit…")
        self.edit_rule_button.clicked.connect(self.edit_rule)
        self.remove_rule_button = QPushButton("Remove")
        self.remove_rule_button.clicked.connect(self.remove_rule)
        self.rules_error = plain_label(tone="error")
        self.rules_error.hide()
        buttons = QHBoxLayout()
        for button in (self.add_rule_button, self.edit_rule_button, self.remove_rule_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "The listener answers each request with the first enabled rule whose glob "
                "matches its path (lower positions first); otherwise with 200 "
                '{"ok": true, "capture_id": N}.'
            )
        )
        layout.addWidget(self.rules_view, 1)
        layout.addWidget(self.rules_empty)
        layout.addLayout(buttons)
        layout.addWidget(self.rules_error)

    def load(self) -> None:
        self.rules_model.set_rows(reads.list_rules(self._db))
        fit_columns(self.rules_view)
        self.rules_empty.setVisible(self.rules_model.rowCount() == 0)
        self._rules_selected()

    def selected_rule(self) -> ResponseRule | None:
        return selected(self.rules_view, self.rules_model)

    def _rules_selected(self) -> None:
        why = None if self.selected_rule() else "Select a rule first."
        for button in (self.edit_rule_button, self.remove_rule_button):
            button.setEnabled(why is None)
            button.setToolTip(why or "")

    def add_rule(self) -> RuleEditor:
        rules = self.rules_model.rows()
        position = max(r.position for r in rules) + 1 if rules else 0
        return self._open_rule_editor(RuleEditor(self._writes, position=position, parent=self))

    def edit_rule(self) -> RuleEditor | None:
        rule = self.selected_rule()
        if rule is None:
            return None
        return self._open_rule_editor(RuleEditor(self._writes, rule, parent=self))

    def _open_rule_editor(self, editor: RuleEditor) -> RuleEditor:
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.saved.connect(self._rule_saved)
        editor.finished.connect(self._rule_editor_closed)
        self.rule_editor = editor
        show_text(self.rules_error, "")
        editor.open()
        return editor

    def _rule_saved(self, rule_id: int) -> None:
        self.load()
        select(self.rules_view, self.rules_model, lambda r: r.id == rule_id)

    def _rule_editor_closed(self) -> None:
        self.rule_editor = None

    def remove_rule(self) -> QMessageBox | None:
        rule = self.selected_rule()
        if rule is None or rule.id is None:
            return None
        rule_id = rule.id
        return self._confirm_removal(
            "Remove response rule",
            f"Remove the rule for {rule.pattern} (position {rule.position})? Requests it "
            "answered will get the next matching rule, or the default 200.",
            remove=lambda: self._writes.delete_rule(rule_id),
            what="The rule",
            gone=f"No rule with id {rule_id}: it was already removed.",
            error_label=self.rules_error,
            reload=self.load,
        )
