"""What the settings tabs share: the draft every tab edits until Save, forms, and tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.ui.client import EngineClient
from hookscope.ui.settings.writes import SettingsWrites
from hookscope.ui.widgets.records import RecordTableModel

T = TypeVar("T")

COLUMN_CHARS = 36


class SettingsTab(QWidget):
    """One tab of the settings dialog. Every tab works the same way: it edits a draft of what
    is stored, says when the draft differs (`is_dirty`), and writes it only when the dialog
    saves (`save`); `load` reads the store again and forgets the draft.

    Editors open without blocking (`open()`, never `exec()`: the app runs on qasync); the one
    open now is kept in an attribute, so tests can answer it.

    Signals:
        edited(): the draft changed (the dialog then updates its unsaved-changes markers).

    Attributes:
        TITLE: the tab's title in the dialog.
    """

    TITLE = ""
    edited = Signal()

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._client = EngineClient(engine)
        self._db = db
        self._writes = writes

    def load(self) -> None:
        """Show what is stored now (another process may have changed it); forget the draft."""
        raise NotImplementedError

    def is_dirty(self) -> bool:
        """True while the draft holds changes that are not saved."""
        raise NotImplementedError

    def problem(self) -> str | None:
        """Why the draft cannot be saved as it is (a sentence, also shown in the tab), or None."""
        return None

    async def save(self) -> str | None:
        """Write the draft through the engine; None when done, else why not (a sentence, also
        shown in the tab). What could not be written stays in the draft."""
        raise NotImplementedError


class FormTab(SettingsTab):
    """A tab that is one form: its draft is the form itself, dirty while it differs from what
    was loaded. Subclasses say what the form holds (`values`) and call `loaded()` after
    filling it from the store, and `watch(...)` on their fields."""

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self._loaded_values: tuple[object, ...] = ()

    def values(self) -> tuple[object, ...]:
        raise NotImplementedError

    def loaded(self) -> None:
        self._loaded_values = self.values()
        self.edited.emit()

    def is_dirty(self) -> bool:
        return self.values() != self._loaded_values

    def watch(self, *fields: QWidget) -> None:
        """Every change to these fields is an edit of the draft."""
        for field in fields:
            if isinstance(field, QLineEdit):
                field.textChanged.connect(lambda _text: self.edited.emit())
            elif isinstance(field, QSpinBox | QDoubleSpinBox):
                field.valueChanged.connect(lambda _value: self.edited.emit())
            elif isinstance(field, QAbstractButton):
                field.toggled.connect(lambda _on: self.edited.emit())


def settings_table(model: QAbstractTableModel, *, stretch: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def fit_columns(view: QTableView, chars: int = COLUMN_CHARS) -> None:
    """Size columns to their contents, none wider than ~36 characters (long globs, keys)."""
    header = view.horizontalHeader()
    widest = view.fontMetrics().averageCharWidth() * chars
    for column in range(header.count()):
        if header.sectionResizeMode(column) == QHeaderView.ResizeMode.Stretch:
            continue
        view.resizeColumnToContents(column)
        view.setColumnWidth(column, min(view.columnWidth(column), widest))


def selected(view: QTableView, model: RecordTableModel[T]) -> T | None:
    rows = view.selectionModel().selectedRows()
    if not rows or not 0 <= rows[0].row() < model.rowCount():
        return None
    return model.item(rows[0].row())


def selected_row(view: QTableView) -> int | None:
    rows = view.selectionModel().selectedRows()
    return rows[0].row() if rows else None


def select(view: QTableView, model: RecordTableModel[T], which: Callable[[T], bool]) -> None:
    for row, item in enumerate(model.rows()):
        if which(item):
            view.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            view.setCurrentIndex(model.index(row, 0))
            return


def beside_problems(form: QLayout, error_label: QLabel) -> QHBoxLayout:
    """An editor's form with its problems in a column to its right: the sentence wraps there
    instead of widening the dialog as it changes."""
    beside = QHBoxLayout()
    beside.addLayout(form, 1)
    problems = QVBoxLayout()
    problems.addWidget(error_label)
    problems.addStretch(1)
    error_label.setFixedWidth(error_label.fontMetrics().averageCharWidth() * 32)
    beside.addLayout(problems)
    return beside
