"""Request bodies under a memory budget: small ones in memory, large ones spooled to disk."""

from __future__ import annotations

import asyncio
import collections
import tempfile
from pathlib import Path
from typing import IO


class MemoryBudget:
    """Bytes of request bodies held in memory at once, across every connection.

    Takers wait in arrival order; a request for more than the whole budget waits until the
    budget is free and then takes all of it, so one body larger than the budget still passes.

    Attributes:
        limit: the budget in bytes.
        used: bytes taken now.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.used = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def try_take(self, size: int) -> bool:
        """Take `size` bytes now if they are free and nobody is waiting before us."""
        if self._waiters or self.used + size > self.limit:
            return False
        self.used += size
        return True

    async def take(self, size: int, wait: float) -> int:
        """Wait up to `wait` seconds for `size` bytes; what was taken (0 when it timed out)."""
        size = min(size, self.limit)
        if self.try_take(size):
            return size
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((size, waiter))
        try:
            async with asyncio.timeout(wait):
                await waiter
        except TimeoutError:
            self._abandon(size, waiter)
            return 0
        except asyncio.CancelledError:
            self._abandon(size, waiter)
            raise
        return size

    def _abandon(self, size: int, waiter: asyncio.Future[None]) -> None:
        if waiter.done() and not waiter.cancelled():  # granted just as the wait ended
            self.give(size)
        else:
            waiter.cancel()
            self._wake()

    def give(self, size: int) -> None:
        self.used -= size
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            size, waiter = self._waiters[0]
            if waiter.done():
                self._waiters.popleft()
                continue
            if self.used + size > self.limit:
                return
            self.used += size
            self._waiters.popleft()
            waiter.set_result(None)


class SpooledBody:
    """One request body as it arrives: in memory while small and the budget allows, then in an
    unnamed temporary file (gone with the process, even a killed one).

    Attributes:
        size: bytes received so far.
    """

    def __init__(self, budget: MemoryBudget, threshold: int, spool_dir: Path | None) -> None:
        self._budget = budget
        self._threshold = threshold
        self._spool_dir = spool_dir
        self._parts: list[bytes] = []
        self._held = 0  # bytes of the budget this body holds
        self._file: IO[bytes] | None = None
        self.size = 0

    @property
    def spooled(self) -> bool:
        return self._file is not None

    def add(self, chunk: bytes) -> None:
        """Keep `chunk`; raises OSError when it must go to disk and the disk refuses."""
        self.size += len(chunk)
        if self._file is None:
            if self._held + len(chunk) <= self._threshold and self._budget.try_take(len(chunk)):
                self._parts.append(chunk)
                self._held += len(chunk)
                return
            self._spill()
        assert self._file is not None
        self._file.write(chunk)

    def head(self, limit: int) -> bytes:
        """What is still in memory, at most `limit` bytes (evidence when the rest is lost)."""
        return b"".join(self._parts)[:limit]

    async def whole(self, wait: float) -> bytes | None:
        """The body as bytes, within the memory budget; None when the budget stayed full."""
        if self._file is None:
            return b"".join(self._parts)
        taken = await self._budget.take(self.size, wait)
        if not taken:
            return None
        self._held += taken
        file, self._file = self._file, None
        # Off the network loop: reading tens of megabytes back would hold every other delivery.
        return await asyncio.to_thread(_read_and_close, file)

    def release(self) -> None:
        """Give back the memory and the file; call once the body is stored (or refused)."""
        self._parts.clear()
        if self._held:
            self._budget.give(self._held)
            self._held = 0
        if self._file is not None:
            self._file.close()
            self._file = None

    def _spill(self) -> None:
        if self._spool_dir is not None:
            self._spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Kept open across reads until the body is stored: no context manager fits.
        file = tempfile.TemporaryFile(dir=self._spool_dir, prefix="body-")  # noqa: SIM115
        try:
            for part in self._parts:
                file.write(part)
        except OSError:
            file.close()
            raise
        self._file = file
        self._parts.clear()
        if self._held:
            self._budget.give(self._held)
            self._held = 0


def _read_and_close(file: IO[bytes]) -> bytes:
    try:
        file.seek(0)
        return file.read()
    finally:
        file.close()
