"""Writing an export file off the GUI thread: streamed, cancellable, never half a file left."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hookscope.core import export
from hookscope.core.model import Capture, CaptureQuery
from hookscope.storage import reads

# Progress is told at most this often (seconds): enough for a bar, not a flood of GUI events.
REPORT_EVERY = 0.05

Progress = Callable[[int, int], None]


class ExportError(Exception):
    """The export could not be written; the message is one sentence for the user."""


class ExportCancelled(Exception):
    """The user cancelled the export; nothing was left behind."""


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """What to export, and where.

    Attributes:
        directory: the data folder (the job reads through its own connection).
        form: a key of `export.EXPORTERS` ("har", "ndjson", "curl").
        target: the file to write (replaced whole, only once the export is complete).
        query: the filter of the captures to export (`CaptureQuery()`: all of them).
        ids: the captures to export instead of a filter (the selection).
    """

    directory: Path
    form: str
    target: Path
    query: CaptureQuery = field(default_factory=CaptureQuery)
    ids: tuple[int, ...] | None = None


def write_export(plan: ExportPlan, progress: Progress, cancelled: threading.Event) -> int:
    """Write the export to a temporary file beside the target, then put it in its place.

    Run on a worker thread. `progress(done, total)` is called from it (at most every
    REPORT_EVERY seconds, and at the end); `cancelled` stops it between two captures, leaving
    no file behind (ExportCancelled). Returns how many captures were written. ExportError when
    the store or the file cannot be used.
    """
    try:
        db = reads.open_store(plan.directory, check=False)
    except reads.StoreError as exc:
        raise ExportError(str(exc)) from exc
    try:
        ids = None if plan.ids is None else sorted(set(plan.ids))
        total = len(ids) if ids is not None else reads.count_captures(db, plan.query)
        progress(0, total)
        counter = _Counter(total, progress, cancelled)
        captures = counter.count(reads.iter_matching(db, plan.query, ids))
        _write_replacing(plan, captures, cancelled)
    finally:
        db.close()
    progress(counter.done, total)
    return counter.done


class _Counter:
    def __init__(self, total: int, progress: Progress, cancelled: threading.Event) -> None:
        self.done = 0
        self._total = total
        self._progress = progress
        self._cancelled = cancelled
        self._told = time.monotonic()

    def count(self, captures: Iterator[Capture]) -> Iterator[Capture]:
        for capture in captures:
            if self._cancelled.is_set():
                raise ExportCancelled
            yield capture
            self.done += 1
            now = time.monotonic()
            if self.done == 1 or now - self._told >= REPORT_EVERY:
                self._told = now
                self._progress(self.done, self._total)


def _write_replacing(
    plan: ExportPlan, captures: Iterator[Capture], cancelled: threading.Event
) -> None:
    exporter = export.EXPORTERS[plan.form]
    target = plan.target
    try:
        # mkstemp: owner-only (captures hold personal data), in the target's folder so the
        # rename is atomic, and never a name an earlier export left behind.
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise ExportError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    try:
        with open(handle, "w", encoding="utf-8", newline="\n") as out:
            for chunk in exporter(captures, None):
                if cancelled.is_set():
                    raise ExportCancelled
                out.write(chunk)
        os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        raise ExportError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
