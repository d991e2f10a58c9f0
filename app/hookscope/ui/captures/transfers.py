"""The selected captures out of the window: as curl commands on the clipboard, a body to a file.

Both read the captures on the page's reader thread (a body may be megabytes) and write files
off the GUI thread, replacing the target only once the whole body is written.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget
from sqlite_utils import Database

from hookscope.core import export
from hookscope.core.contentviews import Superseded
from hookscope.core.model import Capture, CaptureSummary
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.formats import captures_phrase, human_size
from hookscope.ui.reader import StoreReader

# Copy as curl puts at most this many captures on the clipboard (File > Export writes more).
CURL_LIMIT = 200


def body_file_name(capture_id: int, content_type: str | None) -> str:
    """ "capture-12-body.json": the capture's id and a suffix its Content-Type suggests."""
    media = (content_type or "").split(";")[0].strip().lower()
    suffix = ".json" if media.endswith("json") else mimetypes.guess_extension(media) or ".bin"
    return f"capture-{capture_id}-body{suffix}"


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it: never a partial file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CaptureTransfers(QObject):
    """Copy as curl and Save body as… for a list's selected captures.

    Signals:
        message(str, int): what an action did, and for how long to show it (ms).

    Attributes:
        chooser: the Save body file chooser while it is open (tests answer it).
    """

    message = Signal(str, int)

    def __init__(self, reader: StoreReader, parent: QWidget) -> None:
        super().__init__(parent)
        self._reader = reader
        self._parent = parent
        self._work = Background(self, "capture-transfer", self._failed)
        self.chooser: QFileDialog | None = None

    def _failed(self, exc: Exception) -> None:
        self.message.emit(f"That did not work: {exc}", 10000)

    async def _read(self, ids: list[int]) -> list[Capture]:
        def work(db: Database) -> list[Capture]:
            return [c for c in (reads.get_capture(db, i) for i in ids) if c is not None]

        return await self._reader.read("transfer", work)

    # -- copy as curl -------------------------------------------------------------------------

    def copy_curl(self, ids: list[int]) -> None:
        if ids:
            self._work.run(self.copy_curl_now(ids))

    async def copy_curl_now(self, ids: list[int]) -> None:
        """The captures as curl commands on the clipboard (one command, or a commented script)."""
        chosen = ids[:CURL_LIMIT]
        try:
            captures = await self._read(chosen)
        except Superseded:
            return
        if not captures:
            self.message.emit("Those captures are gone.", 5000)
            return
        if len(captures) == 1:
            text = export.curl_command(captures[0].request)
            notes = export.curl_notes(captures[0].request)
        else:
            text = "".join(export.curl(captures)).removeprefix(export.SHEBANG)
            notes = []
        QGuiApplication.clipboard().setText(text)
        said = (
            f"Copied #{captures[0].id} as a curl command."
            if len(captures) == 1
            else f"Copied {captures_phrase(len(captures))} as curl commands."
        )
        if len(ids) > CURL_LIMIT:
            said += f" Only the first {CURL_LIMIT}: File > Export (Ctrl+E) writes them all."
        self.message.emit(" ".join([said, *notes]), 8000)

    # -- save body as -------------------------------------------------------------------------

    def ask_save_body(self, chosen: CaptureSummary | None, folder: Path) -> QFileDialog | None:
        """A file chooser for the capture's body (opened with open(), never exec())."""
        if chosen is None:
            self.message.emit("Select a capture first.", 3000)
            return None
        capture_id = chosen.id
        name = body_file_name(capture_id, chosen.content_type)
        chooser = QFileDialog(self._parent, f"Save the body of #{capture_id}", str(folder / name))
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.setFileMode(QFileDialog.FileMode.AnyFile)
        chooser.fileSelected.connect(
            lambda path: self._work.run(self.save_body(capture_id, Path(path)))
        )
        chooser.finished.connect(lambda _: setattr(self, "chooser", None))
        self.chooser = chooser
        chooser.open()
        return chooser

    async def save_body(self, capture_id: int, path: Path) -> Path | None:
        """Write the body's bytes, exactly as captured, to `path`; say where and how much."""
        try:
            found = await self._read([capture_id])
        except Superseded:
            return None
        if not found:
            self.message.emit(f"#{capture_id} is gone.", 5000)
            return None
        capture = found[0]
        try:
            await asyncio.to_thread(write_whole, path, capture.body)
        except OSError as exc:
            self.message.emit(f"Could not save the body to {path}: {exc.strerror or exc}.", 10000)
            return None
        said = f"Saved the body of #{capture_id} ({human_size(len(capture.body))}) to {path}."
        if capture.body_truncated:
            said += (
                f" It was cut at the listener's limit: {human_size(len(capture.body))} of"
                f" {human_size(capture.body_size)}."
            )
        self.message.emit(said, 10000)
        return path

    async def settle(self) -> None:
        await self._work.settle()
