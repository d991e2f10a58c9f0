"""The list tabs' shared shape (rules, secrets, API keys): stored records, edited as a draft.

Adding, editing and removing change the draft only; the dialog's Save writes it, removals
first, then what was added or changed, each through the engine. What could not be written
stays in the draft, with the sentence that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QVBoxLayout, QWidget
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.ui.settings.common import (
    COLUMN_CHARS,
    SettingsTab,
    fit_columns,
    selected_row,
    settings_table,
)
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import show_text
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.records import Index, RecordTableModel

T = TypeVar("T")

NOT_SAVED = "Not saved yet: Save (Ctrl+S) writes it."


@dataclass(eq=False)
class Entry(Generic[T]):
    """One row of a draft: what it shows now, and what the store holds for it.

    Attributes:
        item: the row as edited.
        saved: the stored version; None for a row added in this draft.
    """

    item: T
    saved: T | None = None

    @property
    def pending(self) -> bool:
        return self.saved is None or self.item != self.saved


class DraftModel(RecordTableModel[T]):
    """A list tab's rows; those not saved yet are in italics, and their tooltip says so.

    Attributes:
        pending: the rows not saved yet.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending: frozenset[int] = frozenset()

    def set_draft(self, rows: list[T], pending: frozenset[int]) -> None:
        self.pending = pending
        self.set_rows(rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.row() in self.pending and index.column() < len(self.COLUMNS):
            if role == Qt.ItemDataRole.FontRole:
                font = QGuiApplication.font()
                font.setItalic(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                return NOT_SAVED
        return super().data(index, role)


class ListTab(SettingsTab, Generic[T]):
    """A tab that lists stored records and edits them as a draft (see the module's docstring).

    Subclasses say what the tab is about (`intro`, EMPTY said when there is no row, STRETCH the
    column that takes the room left), read the store (`_stored`), write one row (`_write`: add
    or replace, giving the row as stored) and delete one (`_delete`); they add their buttons
    with `add_buttons` and may put more under the list in `extra`.

    Attributes:
        model, view: the draft's rows.
        empty_label: said when there is no row.
        error_label: why the last save failed, hidden when it did not.
        extra: a layout under the buttons, for what a tab shows besides its list.
        entries: the draft's rows; removed: the stored rows the draft removes.
    """

    NOUN = "The change"  # how an error names what could not be written: "The rule cannot..."
    EMPTY = ""
    EMPTY_TONE: str | None = None
    STRETCH = 0
    FIT = COLUMN_CHARS  # the widest a column other than STRETCH is made, in characters
    ERRORS: tuple[type[Exception], ...] = WRITE_ERRORS

    def __init__(
        self,
        engine: Engine,
        db: Database,
        writes: SettingsWrites,
        model: DraftModel[T],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self.entries: list[Entry[T]] = []
        self.removed: list[T] = []
        self.model = model
        self.view = settings_table(model, stretch=self.STRETCH)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed())
        self.empty_label = plain_label(self.EMPTY, tone=self.EMPTY_TONE)
        self.error_label = plain_label(tone="error")
        self.error_label.hide()
        self._buttons = QHBoxLayout()
        self.extra = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(self.intro()))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(self._buttons)
        layout.addLayout(self.extra)
        layout.addWidget(self.error_label)

    def add_buttons(self, *buttons: QAbstractButton) -> None:
        for button in buttons:
            self._buttons.addWidget(button)
        self._buttons.addStretch(1)

    def intro(self) -> str:
        """What the list is, said above it."""
        raise NotImplementedError

    # -- the store ------------------------------------------------------------------------------

    def _stored(self) -> list[T]:
        raise NotImplementedError

    async def _write(self, item: T, saved: T | None) -> T:
        raise NotImplementedError

    async def _delete(self, saved: T) -> None:
        raise NotImplementedError

    # -- the draft ------------------------------------------------------------------------------

    def load(self, row: int | None = None) -> None:
        """Read the store again (forgetting the draft); then select `row`, if given."""
        self.entries = [Entry(item, item) for item in self._stored()]
        self.removed = []
        show_text(self.error_label, "")
        self._show(row if row is not None and row < len(self.entries) else None)

    def is_dirty(self) -> bool:
        return bool(self.removed) or any(entry.pending for entry in self.entries)

    def items(self) -> list[T]:
        return [entry.item for entry in self.entries]

    def current_row(self) -> int | None:
        row = selected_row(self.view)
        return row if row is not None and 0 <= row < len(self.entries) else None

    def current(self) -> T | None:
        row = self.current_row()
        return None if row is None else self.entries[row].item

    def add(self, item: T) -> None:
        self.entries.append(Entry(item))
        self._show(len(self.entries) - 1)

    def replace(self, row: int, item: T) -> None:
        self.entries[row].item = item
        self._show(row)

    def remove(self, row: int) -> T:
        entry = self.entries.pop(row)
        if entry.saved is not None:
            self.removed.append(entry.saved)
        self._show(min(row, len(self.entries) - 1) if self.entries else None)
        return entry.item

    def _show(self, row: int | None) -> None:
        pending = frozenset(i for i, entry in enumerate(self.entries) if entry.pending)
        self.model.set_draft(self.items(), pending)
        fit_columns(self.view, self.FIT)
        self.empty_label.setVisible(not self.entries)
        if row is not None:
            self.view.selectRow(row)
        self.selection_changed()
        self.edited.emit()

    def selection_changed(self) -> None:
        """The selection moved: subclasses enable their buttons."""

    async def save(self) -> str | None:
        try:
            while self.removed:
                await self._delete(self.removed[0])
                self.removed.pop(0)
            for entry in self.entries:
                if entry.pending:
                    stored = await self._write(entry.item, entry.saved)
                    entry.item = entry.saved = stored
        except self.ERRORS as exc:
            problem = self._failure(exc)
            if Shiboken.isValid(self):
                show_text(self.error_label, problem)
                self._show(self.current_row())
            return problem
        if Shiboken.isValid(self):
            self.load(self.current_row())  # what the store holds now, the same row selected
        return None

    def _failure(self, exc: Exception) -> str:
        return f"{self.NOUN} cannot be saved: {exc}."
