"""The Schemes tab: signing schemes the user describes (an HMAC of the request), beside the
built-in ones; and their editor, checked as it is typed."""

from __future__ import annotations

from collections.abc import Callable, Collection

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.core.checks import built_in_schemes
from hookscope.core.providers.scheme import ALGORITHMS, ENCODINGS, PLACEHOLDERS, Scheme
from hookscope.core.schemetext import describe
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage.reads import SchemeError
from hookscope.ui.settings.checks import read_scheme, scheme_title, show_template
from hookscope.ui.settings.common import beside_problems
from hookscope.ui.settings.drafts import DraftModel, ListTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import monospace, show_text
from hookscope.ui.widgets.labels import plain_label

NO_SCHEMES = "No custom schemes: Add… describes how a sender signs, if no built-in scheme fits it."


class SchemesModel(DraftModel[Scheme]):
    """The custom schemes; a Scheme per row."""

    COLUMNS = ("Name", "Signature", "Signed content", "Timestamp", "Id header")

    def _text(self, item: Scheme, column: int) -> str:
        if column == 0:
            return item.name
        if column == 1:
            return f"{item.header}: {item.prefix}<{item.encoding} {item.algorithm}>"
        if column == 2:
            return show_template(item.signed)
        if column == 3:
            if item.timestamp_header is None:
                return ""
            return f"{item.timestamp_header} (±{item.tolerance} s)"
        return item.id_header or ""

    def _tooltip(self, item: Scheme, column: int) -> str | None:
        return describe(item)  # the whole scheme, however narrow the columns


class SchemeEditor(QDialog):
    """Adds a custom scheme to the draft, or edits one (its name then stays: its secrets and
    path overrides name it). Every change is checked at once: the first problem is said beside
    the form and OK stays disabled until there is none.

    Open it with `.open()` (never `.exec()`: the app runs on qasync).

    Signals:
        chosen(Scheme): the scheme the form describes; the editor then closes.

    Attributes:
        name_edit, header_edit, prefix_edit, algorithm_combo, encoding_combo, signed_edit,
        timestamp_edit, tolerance_spin, id_edit: the form.
        preview_label: the scheme in one line, as `hookscope schemes list` shows it.
        error_label: why it cannot be used (hidden when it can).
        buttons: OK and Cancel; ok_button.
    """

    chosen = Signal(object)

    def __init__(
        self,
        scheme: Scheme | None = None,
        taken: Collection[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._taken = taken
        start = scheme or Scheme("", "", signed="{body}")
        self.setWindowTitle("Add signing scheme" if scheme is None else "Edit signing scheme")
        self.setMinimumWidth(760)
        self._make_fields(start, editing=scheme is not None)
        self._lay_out()
        for edit in (
            self.name_edit,
            self.header_edit,
            self.prefix_edit,
            self.signed_edit,
            self.timestamp_edit,
            self.id_edit,
        ):
            edit.textChanged.connect(self._check)
        for combo in (self.algorithm_combo, self.encoding_combo):
            combo.currentTextChanged.connect(self._check)
        self.tolerance_spin.valueChanged.connect(self._check)
        self._check()

    def _make_fields(self, start: Scheme, *, editing: bool) -> None:
        self.name_edit = QLineEdit(start.name)
        self.name_edit.setPlaceholderText("acme")
        self.name_edit.setReadOnly(editing)
        if editing:
            self.name_edit.setToolTip(
                "Its secrets and path overrides name it: to rename, add a new scheme."
            )
        self.header_edit = QLineEdit(start.header)
        self.header_edit.setPlaceholderText("X-Acme-Signature")
        self.prefix_edit = QLineEdit(start.prefix)
        self.prefix_edit.setPlaceholderText("sha256=   (empty: none)")
        self.algorithm_combo = _combo(ALGORITHMS, start.algorithm)
        self.encoding_combo = _combo(ENCODINGS, start.encoding)
        self.signed_edit = QLineEdit(show_template(start.signed))
        self.signed_edit.setFont(monospace())
        self.timestamp_edit = QLineEdit(start.timestamp_header or "")
        self.timestamp_edit.setPlaceholderText("(none)")
        self.tolerance_spin = QSpinBox()
        self.tolerance_spin.setRange(1, 86_400)
        self.tolerance_spin.setSuffix(" s")
        self.tolerance_spin.setValue(start.tolerance)
        self.id_edit = QLineEdit(start.id_header or "")
        self.id_edit.setPlaceholderText("(none)")
        self.preview_label = plain_label(wrap=True)
        self.preview_label.setFont(monospace())
        self.error_label = plain_label(tone="error", wrap=True)
        self.error_label.hide()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("&Name", self.name_edit)
        form.addRow("Signature &header", self.header_edit)
        form.addRow("&Prefix", self.prefix_edit)
        how = QHBoxLayout()
        how.addWidget(self.algorithm_combo)
        how.addWidget(self.encoding_combo)
        how.addStretch(1)
        how_label = QLabel("&Algorithm, encoding")
        how_label.setBuddy(self.algorithm_combo)
        form.addRow(how_label, how)
        form.addRow("&Signed content", self.signed_edit)
        placeholders = " ".join("{" + p + "}" for p in PLACEHOLDERS)
        form.addRow("", plain_label(f"{placeholders} {{header:Name}}; \\n is a newline."))
        form.addRow("&Timestamp header", self.timestamp_edit)
        form.addRow("To&lerance", self.tolerance_spin)
        form.addRow("&Id header", self.id_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(beside_problems(form, self.error_label))
        layout.addWidget(self.preview_label)
        layout.addWidget(self.buttons)

    def read_form(self) -> Scheme | str:
        """The scheme the form describes, or the first thing wrong with it (a sentence)."""
        texts = {
            "name": self.name_edit.text(),
            "header": self.header_edit.text(),
            "prefix": self.prefix_edit.text(),
            "algorithm": self.algorithm_combo.currentText(),
            "encoding": self.encoding_combo.currentText(),
            "signed": self.signed_edit.text(),
            "timestamp_header": self.timestamp_edit.text(),
            "id_header": self.id_edit.text(),
        }
        return read_scheme(texts, self.tolerance_spin.value(), self._taken)

    def _check(self) -> None:
        self.tolerance_spin.setEnabled(bool(self.timestamp_edit.text().strip()))
        scheme = self.read_form()
        problem = scheme if isinstance(scheme, str) else ""
        show_text(self.error_label, problem)
        self.ok_button.setEnabled(not problem)
        self.ok_button.setToolTip(problem)
        self.preview_label.setText("" if isinstance(scheme, str) else describe(scheme))

    def submit(self) -> bool:
        """Hand the scheme to the draft; False (the form stays open) while it has a problem."""
        scheme = self.read_form()
        if isinstance(scheme, str):
            show_text(self.error_label, scheme)
            return False
        self.chosen.emit(scheme)
        self.accept()
        return True


def _combo(choices: tuple[str, ...], current: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(choices)
    if current not in choices:  # a hand-edited store: shown, and said to be wrong
        combo.addItem(current)
    combo.setCurrentText(current)
    return combo


# What uses a scheme besides the store: the Secrets tab's draft (names of its secrets).
SecretsOf = Callable[[str], list[str]]


class SchemesTab(ListTab[Scheme]):
    """The custom schemes: add (Ins), edit (Enter), remove (Del); in the draft until Save.

    A scheme is removed only when nothing names it: its secrets (those in the Secrets tab,
    saved or not) and the path overrides set with `hookscope paths set`.

    Attributes:
        add_scheme_button, edit_scheme_button, remove_scheme_button: the actions.
        in_use_label: why the selected scheme cannot be removed, hidden when it can.
        scheme_editor: the editor open now, if any.
        secrets_of: the names of the Secrets tab's secrets of a scheme (the dialog sets it).
    """

    TITLE = "Schemes"
    NOUN = "The scheme"
    EMPTY = NO_SCHEMES
    STRETCH = 2
    FIT = 24  # five columns of long header names: the signed content keeps room
    ERRORS = (SchemeError, *WRITE_ERRORS)

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, SchemesModel(), parent)
        self.scheme_editor: SchemeEditor | None = None
        self.secrets_of: SecretsOf = lambda name: []
        self.view.doubleClicked.connect(lambda _index: self.edit_scheme())
        self.view.activated.connect(lambda _index: self.edit_scheme())
        self.add_scheme_button = QPushButton("&Add…")
        self.add_scheme_button.setToolTip("Describe a new scheme (Ins)")
        self.add_scheme_button.clicked.connect(self.add_scheme)
        self.edit_scheme_button = QPushButton("&Edit…")
        self.edit_scheme_button.clicked.connect(self.edit_scheme)
        self.remove_scheme_button = QPushButton("Re&move")
        self.remove_scheme_button.clicked.connect(self.remove_scheme)
        self.add_buttons(self.add_scheme_button, self.edit_scheme_button, self.remove_scheme_button)
        self.in_use_label = plain_label(tone="warning", wrap=True)
        self.in_use_label.hide()
        self.extra.addWidget(self.in_use_label)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, action in ((Qt.Key.Key_Insert, self.add_scheme), (Qt.Key.Key_Delete, self._del)):
            shortcut = QShortcut(QKeySequence(key), self, action)
            shortcut.setContext(context)

    def intro(self) -> str:
        built_in = ", ".join(scheme_title(name) for name in built_in_schemes())
        return (
            f"Built in: {built_in}. Describe here any other sender that signs with an HMAC "
            "of the request; give it secrets in the Secrets tab."
        )

    def _stored(self) -> list[Scheme]:
        return reads.list_schemes(self._db)

    async def _write(self, item: Scheme, saved: Scheme | None) -> Scheme:
        if saved is None:
            await self._writes.add_scheme(item)
        else:
            await self._writes.update_scheme(item)
        return item

    async def _delete(self, saved: Scheme) -> None:
        await self._writes.remove_scheme(saved.name)

    def _failure(self, exc: Exception) -> str:
        return str(exc) if isinstance(exc, SchemeError) else super()._failure(exc)

    def names(self) -> list[str]:
        """The custom schemes of the draft, by name."""
        return [scheme.name for scheme in self.items()]

    def in_use(self, name: str) -> str | None:
        """Why the scheme `name` cannot be removed (what names it), or None."""
        secrets = self.secrets_of(name)
        paths = [glob for glob, scheme in reads.provider_paths(self._db).items() if scheme == name]
        if secrets:
            listed = ", ".join(repr(secret) for secret in secrets)
            one = len(secrets) == 1
            said = "secret {} uses {}: remove it" if one else "secrets {} use {}: remove them"
            return f"The {said.format(listed, repr(name))} in the Secrets tab first."
        if paths:
            listed = ", ".join(repr(glob) for glob in paths)
            said = "path override {} assumes" if len(paths) == 1 else "path overrides {} assume"
            return f"The {said.format(listed)} {name!r}: clear with `hookscope paths clear GLOB`."
        return None

    def selection_changed(self) -> None:
        current = self.current()
        why = None if current is not None else "Select a scheme first."
        self.edit_scheme_button.setEnabled(why is None)
        self.edit_scheme_button.setToolTip(why or "Change the description (Enter)")
        in_use = None if current is None else self.in_use(current.name)
        self.remove_scheme_button.setEnabled(why is None and in_use is None)
        self.remove_scheme_button.setToolTip(why or in_use or "Remove it (Del)")
        show_text(self.in_use_label, in_use or "")

    def refresh_uses(self) -> None:
        """The Secrets tab's draft changed: whether the selected scheme is in use may too."""
        self.selection_changed()

    def add_scheme(self) -> SchemeEditor:
        editor = SchemeEditor(taken=self.names(), parent=self)
        editor.chosen.connect(self.add)
        return self._open_scheme_editor(editor)

    def edit_scheme(self) -> SchemeEditor | None:
        row = self.current_row()
        if row is None:
            return None
        entry = self.entries[row]
        editor = SchemeEditor(entry.item, parent=self)

        def edited(scheme: Scheme) -> None:
            if entry in self.entries:  # not removed while the editor was open
                self.replace(self.entries.index(entry), scheme)

        editor.chosen.connect(edited)
        return self._open_scheme_editor(editor)

    def _open_scheme_editor(self, editor: SchemeEditor) -> SchemeEditor:
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.finished.connect(self._scheme_editor_closed)
        self.scheme_editor = editor
        editor.open()
        return editor

    def _scheme_editor_closed(self) -> None:
        self.scheme_editor = None

    def _del(self) -> None:
        if self.remove_scheme_button.isEnabled():
            self.remove_scheme()

    def remove_scheme(self) -> Scheme | None:
        """Take the selected scheme out of the draft (Save removes it from the store); None
        when nothing is selected or something still names it."""
        current = self.current()
        row = self.current_row()
        if row is None or current is None or self.in_use(current.name):
            return None
        return self.remove(row)
