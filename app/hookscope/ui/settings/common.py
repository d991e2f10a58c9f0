"""What the settings tabs share: a tab that opens editors and asks before removing, and tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableView,
    QWidget,
)
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.ui.client import EngineClient
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import show_text
from hookscope.ui.widgets.records import RecordTableModel

T = TypeVar("T")

COLUMN_CHARS = 36


class SettingsTab(QWidget):
    """One tab of the settings dialog: it reads the store, and saves through `writes`.

    Editors and questions open without blocking (`open()`, never `exec()`: the app runs on
    qasync); the one open now is kept in an attribute, so tests can answer it.

    Attributes:
        confirmation: the removal question open now, if any.
    """

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._client = EngineClient(engine)
        self._db = db
        self._writes = writes
        self.confirmation: QMessageBox | None = None

    def load(self) -> None:
        """Show what is stored now (another process may have changed it)."""
        raise NotImplementedError

    def _confirm_removal(
        self,
        title: str,
        question: str,
        *,
        remove: Callable[[], bool],
        what: str,
        gone: str,
        error_label: QLabel,
        reload: Callable[[], None],
    ) -> QMessageBox:
        """Ask, then remove; a store error or a row already gone is said, then the list reloads."""

        def answered(yes: bool) -> None:
            if not yes:
                return
            try:
                removed = remove()
            except WRITE_ERRORS as exc:
                show_text(error_label, f"{what} cannot be removed: {exc}.")
                return
            if not removed:
                show_text(error_label, gone)
            reload()

        return self._confirm(title, question, answered)

    def _confirm(self, title: str, text: str, answered: Callable[[bool], None]) -> QMessageBox:
        """Ask without blocking (`open()`, not `exec()`); `answered(yes)` runs on the reply."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the text carries user data
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished() -> None:
            self.confirmation = None
            clicked = box.clickedButton()
            yes = (
                clicked is not None
                and box.standardButton(clicked) == QMessageBox.StandardButton.Yes
            )
            answered(yes)

        box.finished.connect(finished)
        self.confirmation = box
        box.open()
        return box


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


def fit_columns(view: QTableView) -> None:
    """Size columns to their contents, none wider than ~36 characters (long globs, keys)."""
    header = view.horizontalHeader()
    widest = view.fontMetrics().averageCharWidth() * COLUMN_CHARS
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
