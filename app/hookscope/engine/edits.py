"""What the user says of stored captures (stars, notes, deletes, verdicts), through the writer."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from hookscope.engine.config import Configuration
from hookscope.engine.runtime import Runtime
from hookscope.storage import captures as capture_store
from hookscope.storage import retention

DELETE_BATCH = 500  # captures per commit: deliveries keep flowing between two batches
# Delete all: captures per commit once the search index is emptied (about 0.06 ms each).
DELETE_ALL_BATCH = 250


class CaptureEdits:
    """Changes to captures; captured data itself is never edited in place."""

    def __init__(self, runtime: Runtime, config: Configuration) -> None:
        self._runtime = runtime
        self._config = config

    async def set_starred(self, ids: list[int], starred: bool) -> None:
        await self._runtime.write(lambda db: capture_store.set_starred(db, ids, starred))

    async def set_note(self, capture_id: int, note: str) -> None:
        await self._runtime.write(lambda db: capture_store.set_note(db, capture_id, note))

    async def delete_captures(self, ids: list[int]) -> int:
        """Delete these captures, DELETE_BATCH per commit."""
        deleted = 0
        for start in range(0, len(ids), DELETE_BATCH):
            chunk = ids[start : start + DELETE_BATCH]
            deleted += await self._runtime.write(partial(capture_store.delete_captures, ids=chunk))
        return deleted

    async def delete_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Delete every capture stored so far (not those arriving meanwhile), in batches, and
        give the space back to the file system, a step at a time.

        `progress(done, total)` is called on the engine loop after each batch.
        """
        job = retention.DeleteAll(DELETE_ALL_BATCH)
        reported = -1
        while await self._runtime.write(job.step):  # captures arriving meanwhile go between
            if progress is not None and job.total and job.deleted != reported:
                reported = job.deleted
                progress(job.deleted, job.total)
        return job.deleted

    async def reverify(self, ids: list[int] | None = None) -> dict[str, int]:
        """Judge stored captures again with the current secrets; counts per verdict."""
        # The same secrets live verification uses, target secrets included: a capture verified
        # on arrival with a registered target's secret must not turn "failed" when judged again.
        self._config.reload_if_changed()
        judge = self._config.verifier()
        counts = await self._runtime.write(lambda db: capture_store.update_verdicts(db, judge, ids))
        return dict(counts)
