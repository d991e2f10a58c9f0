"""Captures imported from a HAR file: read, judged as live ones are, stored in one commit."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from hookscope.core.harimport import IMPORT_LIMIT, HarError, read_har, too_large
from hookscope.core.model import Capture
from hookscope.core.providers import Verifier
from hookscope.engine.config import Configuration
from hookscope.engine.runtime import Runtime
from hookscope.storage.writer import insert_captures


class CaptureImports:
    """Brings requests recorded elsewhere (or exported earlier) into the store."""

    def __init__(self, runtime: Runtime, config: Configuration) -> None:
        self._runtime = runtime
        self._config = config

    async def import_har(self, source: Path | bytes, name: str = "the file") -> list[int]:
        """Import every request of a HAR file (a path, or its bytes named `name`); their ids.

        Each is judged with the secrets live verification uses, as of its recorded arrival,
        then all are committed together by the one writer, or none is (HarError, one
        sentence, when the file cannot be read or any entry is not a request). The window
        hears of them as of any new captures.
        """
        self._config.reload_if_changed()
        judge = self._config.verifier()
        if isinstance(source, Path):
            name = source.name
        # Reading, parsing and judging a large file would hold up the listener: off this loop.
        captures = await asyncio.to_thread(_read_and_judge, source, name, judge)
        if not captures:
            return []
        ids = await self._runtime.write(lambda db: insert_captures(db, captures))
        self._runtime.announce_captures(ids)
        return ids


def _read_and_judge(source: Path | bytes, name: str, judge: Verifier) -> list[Capture]:
    data = read_limited(source) if isinstance(source, Path) else source
    # Oldest first, as re-verification judges: a Kudoz token used twice is then the replay.
    captures = read_har(data, name)
    order = sorted(range(len(captures)), key=lambda i: captures[i].received_at)
    verdicts = {i: judge(captures[i]) for i in order}
    # A nonce found here is not remembered for live deliveries: an import is history.
    return [replace(c, verdict=replace(verdicts[i], nonce=None)) for i, c in enumerate(captures)]


def read_limited(path: Path, limit: int = IMPORT_LIMIT) -> bytes:
    """The file's bytes, refused past `limit` without reading it all (HarError)."""
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            if problem := too_large(path.name, size, limit):
                raise HarError(problem)
            data = handle.read(limit + 1)  # a pipe or a growing file has no size to trust
    except OSError as exc:
        raise HarError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if problem := too_large(path.name, len(data), limit):
        raise HarError(problem)
    return data
