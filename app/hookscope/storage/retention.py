"""Retention: the oldest captures past the limits deleted in small batches, and the space
given back to the file in small steps, so the writer never stalls long.

Captures are id-ordered by arrival, so "the oldest" is a range of ids: a batch is the next
few ids after a cursor, and never a scan of the table. Starred captures are never deleted.
The age limit reads `received_at` by a binary search over ids (an imported capture keeps its
own time, so one older than its neighbours waits for them). The delivery log is not pruned:
it has its own Clear, and holds one row per send the user made, not per delivery received.

Space: a store made since retention exists has auto_vacuum=INCREMENTAL (set before its first
table), so freed pages are handed back to the file system by `PRAGMA incremental_vacuum` a
step at a time. An older store keeps auto_vacuum=NONE (switching needs a VACUUM, which
rewrites the whole file: far too long a stall on a large store): its freed pages are reused by
new captures, so it stops growing; Delete all converts it when little is left to rewrite.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from hookscope.core.model import RetentionPolicy, iso_utc, utc_now
from hookscope.storage.captures import delete_oldest
from hookscope.storage.db import write_transaction
from hookscope.storage.search import create_index, has_index

log = logging.getLogger(__name__)

# A step aims at this long a hold of the writer: taking a capture out of the search index costs
# about 0.6 ms (its text's trigrams are written as delete markers), one never indexed 0.06 ms,
# so the batch follows what the last one cost.
STEP_TARGET = 0.010
PRUNE_BATCH = 16  # captures in the first batch; then between MIN_BATCH and MAX_BATCH
MIN_BATCH = 4
MAX_BATCH = 1000
VACUUM_PAGES = 256  # pages handed back per step (1 MiB with 4 KiB pages, about 15 ms)
MERGE_PAGES = 16  # search index pages merged per step (about 10 ms): a delete leaves markers
ROUND_INTERVAL = 10.0  # seconds between two looks at the limits once nothing is left to do
BUSY_GAP = 0.1  # while captures keep arriving, at most one step this often
# Delete all converts a store without incremental vacuum when no more than this is left.
CONVERT_LIMIT = 64 * 1024 * 1024
INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL


@dataclass(frozen=True, slots=True)
class StoreSize:
    """The store's size and what the retention policy would remove now.

    Attributes:
        file_bytes: the main file's size (pages in use and free ones).
        free_bytes: the part of it that is free (reused, or given back step by step).
        captures: how many captures are stored.
        removable: how many of them the policy would delete now (never starred ones).
    """

    file_bytes: int
    free_bytes: int
    captures: int
    removable: int


@dataclass(frozen=True, slots=True)
class _Plan:
    """One round of pruning: delete unstarred captures below `below`, then `excess` more."""

    below: int
    excess: int


def age_boundary(db: Database, max_days: int, now: datetime) -> int:
    """The first id received less than `max_days` ago (every id before it is older).

    A binary search over ids, a few index lookups at any size.
    """
    cutoff = iso_utc(now - timedelta(days=max_days))
    row = db.execute("SELECT min(id), max(id) FROM captures").fetchone()
    if row[0] is None:
        return 0
    low, high = int(row[0]), int(row[1]) + 1  # the answer is in [low, high]
    while low < high:
        middle = (low + high) // 2
        found = db.execute(
            "SELECT id, received_at FROM captures WHERE id >= ? ORDER BY id LIMIT 1", [middle]
        ).fetchone()
        if found[1] < cutoff:
            low = int(found[0]) + 1
        else:
            high = middle
    return low


def _plan(db: Database, policy: RetentionPolicy, now: datetime) -> _Plan:
    below = age_boundary(db, policy.max_days, now) if policy.max_days else 0
    excess = 0
    if policy.max_captures:
        (total,) = db.execute("SELECT count(*) FROM captures").fetchone()
        excess = max(0, int(total) - policy.max_captures)
    return _Plan(below, excess)


def prune_batch(db: Database, cursor: int, plan: _Plan, batch: int) -> tuple[int, list[int], _Plan]:
    """Delete the next unstarred captures the plan removes, up to `batch` ids after `cursor`.

    Returns the new cursor, the ids deleted and the plan left (done when its `below` is at or
    under the cursor and its `excess` is 0).
    """
    deleted: list[int] = []
    with write_transaction(db):
        ids = [
            int(row[0])
            for row in db.execute(
                "SELECT id FROM captures WHERE id > ? ORDER BY id LIMIT ?", [cursor, batch]
            )
        ]
        if not ids:
            return cursor, [], _Plan(0, 0)
        old = [i for i in ids if i < plan.below]
        excess = plan.excess
        if old:
            gone = _delete_range(db, cursor, old[-1])
            deleted += gone
            excess = max(0, excess - len(gone))
            cursor = old[-1]
        rest = ids[len(old) :]
        if rest and excess > 0:
            upto = rest[min(excess, len(rest)) - 1]
            gone = _delete_range(db, cursor, upto)
            deleted += gone
            excess -= len(gone)
            cursor = upto
    end = len(ids) < batch and cursor == ids[-1]  # no capture left after this batch
    below = plan.below if not rest and not end else 0
    return cursor, deleted, _Plan(below, 0 if end else excess)


def _delete_range(db: Database, after: int, upto: int) -> list[int]:
    # The search index's delete trigger takes each capture out of the index as it goes.
    cursor = db.execute(
        "DELETE FROM captures WHERE id > ? AND id <= ? AND NOT starred RETURNING id",
        [after, upto],
    )
    return [int(row[0]) for row in cursor.fetchall()]


RETIRED = "captures_fts_retired"  # the index Delete all set aside, dropped in small pieces
RETIRED_ROWS = 100  # rows of it deleted per step (each about 4 KiB)


def retire_index(db: Database) -> None:
    """Set the search index aside and start an empty one, before every capture is deleted.

    Taking captures out of the index one by one is most of a delete's cost, and emptying a
    large index at once holds the writer for many seconds (23 s for 200,000 captures here).
    So Delete all renames it, makes a new empty one (the indexer starts again from the first
    capture: one that stays, arriving meanwhile, is indexed again and searched by its text
    until then), and `drop_retired_step` deletes the old one a few pages at a time.
    """
    with write_transaction(db):
        if has_index(db) and not _has_table(db, RETIRED):
            db.execute("DROP TRIGGER captures_ad")
            db.execute(f"ALTER TABLE captures_fts RENAME TO {RETIRED}")
            create_index(db)
        else:
            db.execute("UPDATE fts_progress SET upto = 0")


def drop_retired_step(db: Database, rows: int = RETIRED_ROWS) -> bool:
    """Delete a few rows of the retired index (the whole of it once small); True if more."""
    if not _has_table(db, RETIRED):
        return False
    with write_transaction(db):
        # Not the rows FTS5 reads to open the table (its averages, 1, and structure, 10), or
        # DROP TABLE could not open it to drop it.
        for part, key, where in (
            ("data", "id", "id NOT IN (1, 10)"),
            ("idx", "segid, term", "1"),
            ("docsize", "id", "1"),
        ):
            table = f"{RETIRED}_{part}"
            if _has_table(db, table):
                gone = db.execute(
                    f"DELETE FROM {table} WHERE ({key}) IN"
                    f" (SELECT {key} FROM {table} WHERE {where} LIMIT ?)",
                    [rows],
                ).rowcount
                if gone:
                    return True
        db.execute(f"DROP TABLE {RETIRED}")
    return False


def _has_table(db: Database, name: str) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone()
    return found is not None


def merge_step(db: Database, pages: int = MERGE_PAGES) -> bool:
    """Merge some of the search index's segments; True if there may be more to merge.

    A capture taken out of the index leaves delete markers in a new segment, so the index
    grows on a delete until a merge drops them with the entries they cancel.
    """
    if not has_index(db):
        return False
    before = db.conn.total_changes
    db.execute("INSERT INTO captures_fts (captures_fts, rank) VALUES ('merge', ?)", [pages])
    # FTS5's documented test: fewer than 2 rows changed means there was nothing to merge.
    return db.conn.total_changes - before >= 2


def incremental(db: Database) -> bool:
    """Whether the store gives freed pages back to the file system (auto_vacuum=INCREMENTAL)."""
    (mode,) = db.execute("PRAGMA auto_vacuum").fetchone()
    return int(mode) == INCREMENTAL


def vacuum_step(db: Database, pages: int = VACUUM_PAGES) -> bool:
    """Give up to `pages` free pages back to the file system; True if more are free."""
    if not incremental(db):
        return False
    (free,) = db.execute("PRAGMA freelist_count").fetchone()
    if not free:
        return False
    # Each step of this statement frees one page, and Python's execute() steps a statement
    # without result columns only once: executescript() runs it to its end.
    assert not db.conn.in_transaction, "executescript() would commit the open transaction"
    db.conn.executescript(f"PRAGMA incremental_vacuum({int(pages)})")
    return int(free) > pages


def compact_if_small(db: Database, limit: int = CONVERT_LIMIT) -> bool:
    """Rewrite the store when what is in use is small and much is free (after Delete all).

    VACUUM rewrites only the pages in use, so then it is short; giving a huge free list back
    step by step is not (each page taken off the list searches it). It also turns an older
    store to incremental vacuum. True if the store was rewritten.
    """
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    (free,) = db.execute("PRAGMA freelist_count").fetchone()
    (size,) = db.execute("PRAGMA page_size").fetchone()
    used = pages - free
    if used * size > limit or not free or (incremental(db) and free < used):
        return False
    started = time.monotonic()
    try:
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("VACUUM")  # needs room for a copy of what is in use
        # In WAL mode the file shrinks when the rewrite is checkpointed: now, not at the next
        # automatic checkpoint (an idle store would keep its size). PASSIVE never waits.
        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:
        log.warning("the store was not rewritten to give free space back: %s", exc)
        return False
    log.info(
        "the store was rewritten without its %d free pages in %.1f s",
        free,
        time.monotonic() - started,
    )
    return True


def store_size(db: Database, policy: RetentionPolicy, now: datetime | None = None) -> StoreSize:
    """The file's size, the captures stored, and how many the policy would delete now."""
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    (free,) = db.execute("PRAGMA freelist_count").fetchone()
    (size,) = db.execute("PRAGMA page_size").fetchone()
    (total,) = db.execute("SELECT count(*) FROM captures").fetchone()
    (starred,) = db.execute("SELECT count(*) FROM captures WHERE starred").fetchone()
    removable = 0
    if policy.active and total:
        plan = _plan(db, policy, now or utc_now())
        old = 0
        if plan.below:
            (older,) = db.execute(
                "SELECT count(*) FROM captures WHERE id < ?", [plan.below]
            ).fetchone()
            (kept,) = db.execute(
                "SELECT count(*) FROM captures WHERE starred AND id < ?", [plan.below]
            ).fetchone()
            old = int(older) - int(kept)
        removable = max(old, min(plan.excess, int(total) - int(starred)))
    return StoreSize(pages * size, free * size, int(total), removable)


class Pruner:
    """The writer's pruning and space giving: one short step at a time, when it is due.

    Used only on the writer thread. `set_policy` takes effect at the next step.
    """

    def __init__(self, batch: int = PRUNE_BATCH, *, adapt: bool = True) -> None:
        self.policy = RetentionPolicy()
        self._batch = batch
        self._adapt = adapt  # the batch follows STEP_TARGET
        self._plan: _Plan | None = None  # the round under way
        self._cursor = 0
        self._vacuum = True  # free pages may be left (a crash, an earlier run)
        self._merge = False  # deletes left markers in the search index
        self._retired = True  # Delete all may have left an index to drop
        self._pages = VACUUM_PAGES  # pages per vacuum step: follows STEP_TARGET
        self._deleted_last = False  # the last step deleted: upkeep's turn next
        self._next_round = 0.0  # time.monotonic()
        self._last_step = 0.0

    def set_policy(self, policy: RetentionPolicy) -> None:
        if policy != self.policy:
            self.policy = policy
            self._plan = None
            self._next_round = 0.0

    def wait(self, busy: bool = False) -> float:
        """Seconds until a step is due (0: now); while captures arrive (`busy`), steps come
        no more often than BUSY_GAP, so they never take most of the writer's time.

        Even without limits a look comes every ROUND_INTERVAL: captures deleted by the user,
        a cleared delivery log, free pages a crash left, all get their space given back.
        """
        now = time.monotonic()
        if self._plan is not None or self._vacuum or self._merge or self._retired:
            return max(0.0, self._last_step + BUSY_GAP - now) if busy else 0.0
        return max(0.0, self._next_round - now)

    def due(self, busy: bool) -> bool:
        """Whether to take a step now (a millisecond early counts: a queue's timeout)."""
        return self.wait(busy) <= 0.001

    def failed(self) -> None:
        """A step failed (a full disk, a lock): try again at the next round."""
        self._plan = None
        self._vacuum = self._merge = self._retired = False
        self._next_round = time.monotonic() + ROUND_INTERVAL

    def step(self, db: Database) -> list[int]:
        """One short step: a batch of deletes, or of pages given back. The ids deleted."""
        now = self._last_step = time.monotonic()
        if self._plan is None and now >= self._next_round:
            self._next_round = now + ROUND_INTERVAL
            self._vacuum = self._retired = True
            if self.policy.active:
                self._plan = _plan(db, self.policy, utc_now())
                self._cursor = 0
        if self._plan is not None:
            # Deletes and the upkeep after them take turns: under a steady stream the next
            # round's deletes would otherwise never leave the index merges and the space a step.
            upkeep = self._retired or self._merge or self._vacuum
            if (self._plan.below or self._plan.excess) and not (upkeep and self._deleted_last):
                self._deleted_last = True
                return self._prune(db)
            if not (self._plan.below or self._plan.excess):
                self._plan = None
        self._deleted_last = False
        if self._retired:
            self._retired = drop_retired_step(db)
            self._vacuum = True
        elif self._merge:
            self._merge = merge_step(db)
        elif self._vacuum:
            self._vacuum = vacuum_step(db, self._pages)
            took = time.monotonic() - now
            if self._adapt and self._vacuum:
                fit = int(STEP_TARGET * self._pages / max(took, 1e-6))
                self._pages = max(MIN_BATCH, min(VACUUM_PAGES, fit, self._pages * 2))
        return []

    def _prune(self, db: Database) -> list[int]:
        assert self._plan is not None
        self._cursor, deleted, self._plan = prune_batch(db, self._cursor, self._plan, self._batch)
        if deleted and self._adapt:
            took = time.monotonic() - self._last_step
            fit = int(STEP_TARGET * len(deleted) / max(took, 1e-6))
            self._batch = max(MIN_BATCH, min(MAX_BATCH, fit, self._batch * 2))
        if deleted:
            self._vacuum = self._merge = True
        return deleted


class DeleteAll:
    """Delete every capture stored so far and give the space back, one short step at a time.

    Each `step(db)` is a writer job of its own, so captures arriving meanwhile are committed
    (and kept) between two steps: first what an earlier Delete all set aside is dropped (only
    one index is set aside at once), then the search index is set aside, the captures are
    deleted `batch` at a time, the set-aside index is dropped in pieces, and a store left
    mostly free is rewritten (else the writer gives the space back in the background).

    Attributes:
        total: how many captures there were to delete (known after the first step).
        deleted: how many are deleted so far.
    """

    def __init__(self, batch: int = 250) -> None:
        self.total = 0
        self.deleted = 0
        self._batch = batch
        self._upto: int | None = None  # the newest capture to delete
        self._deleting = True

    def step(self, db: Database) -> bool:
        """One short step; False once everything is done."""
        if self._upto is None:
            if drop_retired_step(db):
                return True
            row = db.execute("SELECT max(id), count(*) FROM captures").fetchone()
            self._upto, self.total = int(row[0] or 0), int(row[1])
            if self.total:
                retire_index(db)
            return True
        if self._deleting and self.deleted < self.total:
            gone = delete_oldest(db, self._upto, self._batch)
            self.deleted += gone
            self._deleting = gone > 0  # 0: someone else deleted some meanwhile
            return True
        if drop_retired_step(db):
            return True
        compact_if_small(db)
        return False


def prune_all(db: Database, policy: RetentionPolicy, batch: int = 200) -> int:
    """Apply `policy` now, batch after batch, then give the space back; how many deleted.

    What the writer does in the background, in one call (for a store nobody else writes:
    a benchmark, a test). Nothing waits between steps.
    """
    pruner = Pruner(batch, adapt=False)
    pruner.set_policy(policy)
    deleted = 0
    while pruner.wait() == 0.0:
        deleted += len(pruner.step(db))
    return deleted
