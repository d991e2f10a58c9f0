"""File > Import HAR…: a HAR file's requests become captures, with progress in the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QProgressBar, QStatusBar, QWidget

from hookscope.core.harimport import HarError
from hookscope.engine import EngineError
from hookscope.ui.background import Background
from hookscope.ui.client import EngineClient
from hookscope.ui.formats import captures_phrase
from hookscope.ui.widgets.labels import plain_label


class HarImport(QObject):
    """Chooses a HAR file and imports it through the engine; the window is never blocked.

    The engine reads, judges and stores the file off the GUI thread; meanwhile the status bar
    shows a busy bar. The new captures reach the list as any new captures do.

    Signals:
        message(str, int): how it went, in one sentence, for the status bar (and for how long).
        imported(list): the new captures' ids.

    Attributes:
        busy: the status bar's progress while a file is imported.
        chooser: the open file chooser, if any.
    """

    message = Signal(str, int)
    imported = Signal(list)

    def __init__(self, client: EngineClient, status_bar: QStatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self._client = client
        self._parent = parent
        self._work = Background(
            self, "ui-import", lambda exc: self.message.emit(f"Not imported: {exc}", 10000)
        )
        self.chooser: QFileDialog | None = None
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # a busy bar: one file is read and stored in one step
        self.busy.setMaximumWidth(160)
        self._busy_text: QLabel = plain_label(selectable=False, wrap=False)
        for widget in (self._busy_text, self.busy):
            status_bar.addPermanentWidget(widget)
            widget.hide()

    def choose(self) -> None:
        """A file chooser (opened with open(), never exec()); importing starts on a choice."""
        chooser = QFileDialog(self._parent, "Import HAR", str(Path.home()))
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setNameFilters(["HAR files (*.har)", "All files (*)"])
        chooser.fileSelected.connect(lambda path: self.start(Path(path)))
        self.chooser = chooser
        chooser.open()

    def start(self, path: Path) -> None:
        self._work.run(self.run(path))

    async def run(self, path: Path) -> list[int]:
        """Import one file; the new ids ([] when it was refused, said in the status bar)."""
        self._busy_text.setText(f"Importing {path.name}…")
        for widget in (self._busy_text, self.busy):
            widget.show()
        try:
            ids = await self._client.import_har(path)
        except (HarError, EngineError) as exc:
            self.message.emit(str(exc), 15000)
            return []
        finally:
            for widget in (self._busy_text, self.busy):
                widget.hide()
        if not ids:
            self.message.emit(f"{path.name} holds no requests: nothing was imported.", 8000)
            return []
        self.message.emit(f"Imported {captures_phrase(len(ids))} from {path.name}.", 8000)
        self.imported.emit(ids)
        return ids

    async def settle(self) -> None:
        await self._work.settle()
