"""The Storage tab: how many captures to keep and for how long, and what the store holds now."""

from __future__ import annotations

import asyncio

from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QFormLayout, QSpinBox, QVBoxLayout, QWidget
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.checks import MAX_KEEP_CAPTURES, MAX_KEEP_DAYS, check_retention
from hookscope.core.contentviews import Superseded
from hookscope.core.model import RetentionPolicy
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.formats import captures_phrase
from hookscope.ui.reader import StoreReader
from hookscope.ui.settings.common import FormTab
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.style import show_text
from hookscope.ui.widgets.labels import plain_label


def size_text(size: int) -> str:
    """ "812 KB", "3.4 MB", "2.7 GB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{max(1, round(size / 1024)):,} KB" if size else "0 KB"


def describe(size: reads.StoreSize, policy: RetentionPolicy) -> tuple[str, str]:
    """What the store holds, and what these limits would delete now."""
    held = f"The store holds {captures_phrase(size.captures)} in {size_text(size.file_bytes)}"
    if size.free_bytes:
        held += f" ({size_text(size.free_bytes)} of it free, given back in the background)"
    if not policy.active:
        return held + ".", "No limit is set: every capture is kept."
    if not size.removable:
        return held + ".", "Nothing is past these limits now."
    return held + ".", (
        f"Saved, these limits delete the oldest {captures_phrase(size.removable)} in the "
        "background, a few at a time, without holding up deliveries."
    )


class StorageTab(FormTab):
    """How many captures to keep and for how long; the store's size and what would go.

    The size and the count are read off the GUI thread (a count over a million captures takes
    a moment), again whenever a limit changes; a newer read supersedes an older one.

    Attributes:
        keep_spin, days_spin: the limits (0: no limit).
        size_label: what the store holds; removal_label: what the limits would delete now.
        error_label: why the form cannot be saved, hidden when it can.
    """

    TITLE = "Storage"

    def __init__(
        self, engine: Engine, db: Database, writes: SettingsWrites, parent: QWidget | None = None
    ) -> None:
        super().__init__(engine, db, writes, parent)
        self._reader: StoreReader | None = None  # open while the tab is shown
        self._work = Background(self, "storage-size", self._unreadable)
        self._build()
        self.watch(self.keep_spin, self.days_spin)
        self.keep_spin.valueChanged.connect(self.refresh)
        self.days_spin.valueChanged.connect(self.refresh)

    def _build(self) -> None:
        self.keep_spin = QSpinBox()
        self.keep_spin.setRange(0, MAX_KEEP_CAPTURES)
        self.keep_spin.setGroupSeparatorShown(True)
        self.keep_spin.setSpecialValueText("no limit")
        self.keep_spin.setSuffix(" captures")
        self.keep_spin.setToolTip("The oldest captures past this number are deleted")
        self.days_spin = QSpinBox()
        self.days_spin.setRange(0, MAX_KEEP_DAYS)
        self.days_spin.setGroupSeparatorShown(True)
        self.days_spin.setSpecialValueText("no limit")
        self.days_spin.setSuffix(" days")
        self.days_spin.setToolTip("Captures received longer ago than this are deleted")
        self.size_label = plain_label("Reading the store…")
        self.removal_label = plain_label()
        self.error_label = plain_label(tone="error")
        self.error_label.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("&Keep at most", self.keep_spin)
        form.addRow("Keep for at &most", self.days_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("How many captures Hookscope keeps, and for how long."))
        layout.addLayout(form)
        layout.addWidget(
            plain_label(
                "Starred captures are always kept (they count toward the number). The oldest "
                "captures past either limit are deleted in the background, a few at a time, and "
                "their space is given back to the disk. hookscope serve --keep-captures N "
                "--keep-days D sets other limits for one run."
            )
        )
        layout.addWidget(self.size_label)
        layout.addWidget(self.removal_label)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.keep_spin.value(), self.days_spin.value())

    def load(self) -> None:
        saved = reads.load_retention(self._db)
        self.keep_spin.setValue(saved.max_captures)
        self.days_spin.setValue(saved.max_days)
        show_text(self.error_label, "")
        self.loaded()
        self.refresh()

    def values(self) -> tuple[object, ...]:
        return (self.keep_spin.value(), self.days_spin.value())

    def problem(self) -> str | None:
        policy = self.policy()
        problem = check_retention(policy.max_captures, policy.max_days)
        show_text(self.error_label, problem or "")
        return problem

    async def save(self) -> str | None:
        if problem := self.problem():
            return problem
        try:
            await self._writes.save_retention(self.policy())
        except WRITE_ERRORS as exc:
            problem = f"The settings cannot be saved: {exc}."
            if Shiboken.isValid(self):
                show_text(self.error_label, problem)
            return problem
        if Shiboken.isValid(self):
            self.load()
        return None

    # -- the store's size, read off the GUI thread ------------------------------------------

    def refresh(self) -> None:
        """Read the size and what the limits would delete again (only while shown)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # shown before the app's loop runs: read when it is shown again
            return
        if self._reader is not None:
            self._work.run(self.read_size())

    async def read_size(self) -> None:
        reader, policy = self._reader, self.policy()
        if reader is None:
            return
        try:
            size = await reader.read("size", lambda db: reads.store_size(db, policy))
        except Superseded:
            return
        if Shiboken.isValid(self):
            held, removal = describe(size, policy)
            self.size_label.setText(held)
            self.removal_label.setText(removal)

    def _unreadable(self, exc: Exception) -> None:
        self.size_label.setText(f"The store's size cannot be read: {exc}.")
        self.removal_label.setText("")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._reader is None:
            self._reader = StoreReader(self._engine.directory)
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self._reader is not None:
            self._reader.close()
            self._reader = None
