"""The single writer: one thread, one connection, captures committed in groups."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future as ThreadFuture
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from hookscope.core.forwarding import PROXY, Forward
from hookscope.core.http import Headers
from hookscope.core.model import (
    Capture,
    Response,
    ResponseRule,
    RetentionPolicy,
    Stored,
    Verdict,
    utc_now,
)
from hookscope.core.rules import Answers
from hookscope.storage.captures import headers_json, index_pending
from hookscope.storage.checkpoint import Checkpointer, checkpoint, defer_checkpoints, wal_too_large
from hookscope.storage.credentials import forget_nonces
from hookscope.storage.db import disk_full, open_deferring_check, text_param
from hookscope.storage.forwards import insert_forwards
from hookscope.storage.pagecheck import PageCheck
from hookscope.storage.retention import Pruner
from hookscope.storage.rows import FTS_BODY_LIMIT as FTS_BODY_LIMIT  # re-exported
from hookscope.storage.rows import GUARDED_ROWS, insert_guarded, insert_rows, row_values
from hookscope.storage.rows import insert_captures as insert_captures  # re-exported
from hookscope.storage.rows import text_prefix_len as text_prefix_len  # re-exported

log = logging.getLogger(__name__)

T = TypeVar("T")
Judge = Callable[[Capture], Verdict]

MAX_GROUP = 512
# Rows per indexing transaction while quiet: a delivery that arrives meanwhile waits for it.
# Trigram indexing costs 120-200 us of CPU per 1 KB capture here: 32 rows take 4-6 ms.
FTS_BATCH = 32
INDEX_AFTER_QUIET = 0.25  # seconds without a capture before indexing starts
MAX_UNINDEXED = 5000  # past this, index a batch even while busy (search scans the rest)
# While busy, indexing takes at most 1/BUSY_INDEX_SHARE of the writer's time, in small batches:
# a backlog of thousands must not stand between each delivery and its acknowledgement (16 rows
# hold the deliveries that arrive meanwhile for 2-3 ms).
BUSY_FTS_BATCH = 16
BUSY_INDEX_SHARE = 10
WAL_CHECK_EVERY = 64  # groups between two looks at the WAL's size
# After the disk was found full, the index waits this long: space freed goes to captures first,
# and search still finds what is not indexed yet (it scans the rest).
INDEX_BACKOFF = 60.0
# Kudoz nonces are kept until their tokens would be stale anyway; the expired ones are deleted
# when the writer starts and then at most this often (seconds), after a group that added some.
NONCE_PRUNE_INTERVAL = 60.0


@dataclass(slots=True)
class _Pending:
    capture: Capture
    rule: ResponseRule
    future: asyncio.Future[Stored]
    loop: asyncio.AbstractEventLoop
    forwards: tuple[Forward, ...] = ()
    judge: Judge | None = None  # the capture's verdict is still to be set, by this


@dataclass(slots=True)
class _Job:
    fn: Callable[[Database], Any]
    future: ThreadFuture[Any]


_STOP = object()


class CaptureWriter:
    """Owns the only connection that writes captures.

    Requests submit captures from the event loop; the writer thread commits everything queued
    in one transaction and then resolves each request's future with the stored capture (its id
    and the response it must get). A request is acknowledged only after that commit.
    """

    def __init__(
        self,
        directory: Path,
        on_committed: Callable[[list[int]], None] | None = None,
        on_pruned: Callable[[list[int]], None] | None = None,
    ) -> None:
        self._directory = directory
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._on_committed = on_committed
        self._on_pruned = on_pruned  # the ids retention deleted, after each batch
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._index_paused_until = 0.0  # time.monotonic(); only the writer thread uses it
        self._nonces_pruned_until = 0.0  # time.monotonic(); only the writer thread uses it
        self._busy_index_at = 0.0  # time.monotonic(); only the writer thread uses it
        self._groups = 0  # committed groups; only the writer thread uses it
        self._checkpointer = Checkpointer(directory)
        self._pruner = Pruner()  # only the writer thread uses it
        self._last_group = 0.0  # time.monotonic() of the last group committed
        self._answers = Answers()  # only the writer thread uses it
        self._answer_json: dict[Headers, str] = {}  # the answers' headers as stored, by value
        # The last capture id this writer handed out, while no other writer is known to have
        # written since (only the writer thread uses it; None: read the sequence first).
        self._last_id: int | None = None
        self._check_later = False  # a large store: its whole check is left to `check_pages`
        self._page_check: PageCheck | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hookscope-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def submit(
        self,
        capture: Capture,
        rule: ResponseRule,
        forwards: tuple[Forward, ...] = (),
        *,
        judge: Judge | None = None,
    ) -> asyncio.Future[Stored]:
        """Queue a capture; the future gives its id and answer once committed. Call on a loop.

        `forwards` are stored in the same commit (their ids come back in `Stored.forwards`).
        When one is a proxy, the app's answer is the sender's: the capture is stored with no
        answer yet, and the engine records the answer once the app gave it.

        With `judge`, the capture's verdict is set here, on the writer thread, in the order the
        captures were queued, just before its group is written. Judging a group in one loop
        costs a third of judging each delivery between the listener's other work (the same
        code, run while it is still in the processor's caches).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        self._queue.put(_Pending(capture, rule, future, loop, forwards, judge))
        return future

    def call(self, fn: Callable[[Database], T]) -> ThreadFuture[T]:
        """Run `fn(db)` on the writer thread (for other writes that must not race captures)."""
        future: ThreadFuture[T] = ThreadFuture()
        self._queue.put(_Job(fn, future))
        return future

    def set_retention(self, policy: RetentionPolicy) -> None:
        """Keep captures by this policy from now on (pruned between groups, in small steps)."""
        self.call(lambda _db: self._pruner.set_policy(policy))

    def check_pages(self, on_damage: Callable[[str], None]) -> PageCheck | None:
        """Start the whole check the open left to later, on its own thread; None when the
        store was checked whole as it opened (see db.open_deferring_check).

        `on_damage(sentence)` is called on that thread if the store is damaged. While the
        check reads (its snapshot holds the WAL), no checkpoint waits for it.
        """
        if not self._check_later or self._page_check is not None:
            return None
        self._checkpointer.hold_restarts(True)
        self._page_check = PageCheck(
            self._directory, on_damage, on_end=lambda: self._checkpointer.hold_restarts(False)
        )
        self._page_check.start()
        return self._page_check

    def stop_page_check(self) -> None:
        """Interrupt the background check if it still runs."""
        if self._page_check is not None:
            self._page_check.stop()

    def close(self, timeout: float = 30.0) -> None:
        """Commit everything queued, then stop the thread."""
        self.stop_page_check()
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            db, self._check_later = open_deferring_check(self._directory)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        defer_checkpoints(db.conn)
        self._checkpointer.start()
        self._ready.set()
        try:
            self._loop(db)
        finally:
            self._checkpointer.stop()
            db.close()

    def _loop(self, db: Database) -> None:
        self._forget_nonces(db)  # what earlier runs left behind
        # Full-text indexing waits for a quiet moment, so it never sits between a burst of
        # deliveries and their acknowledgements; a long busy spell still indexes now and then.
        behind = True  # the index may lag after a crash or a restart
        quiet = False
        unindexed = 0
        while True:
            pause = self._index_paused_until - time.monotonic()
            # Retention's next step: while captures arrive, spaced out (see Pruner.wait).
            busy = time.monotonic() - self._last_group < INDEX_AFTER_QUIET
            wake = self._pruner.wait(busy)
            try:
                if not behind:
                    item = self._queue.get(timeout=wake)
                elif pause > 0:
                    item = self._queue.get(timeout=min(pause, wake))
                elif quiet:
                    item = self._queue.get_nowait()
                else:
                    item = self._queue.get(timeout=min(INDEX_AFTER_QUIET, wake))
            except queue.Empty:
                if self._pruner.due(busy):
                    self._prune(db)
                    continue
                if pause > 0:
                    continue  # the pause is over: index at the next quiet moment
                quiet = True
                behind = self._index(db)
                unindexed = 0 if not behind else max(0, unindexed - FTS_BATCH)
                continue
            quiet = False
            if unindexed > MAX_UNINDEXED and self._busy_index_due():
                behind = self._index_while_busy(db)
                unindexed = 0 if not behind else unindexed - BUSY_FTS_BATCH
            group, stop = self._take_group(db, item)
            self._flush(db, group)
            self._last_group = time.monotonic()
            if self._pruner.due(busy=True):
                self._prune(db)
            behind = True
            unindexed += len(group)
            if stop:
                return

    def _take_group(self, db: Database, item: object) -> tuple[list[_Pending], bool]:
        """The captures queued from `item` on, up to MAX_GROUP, and whether to stop after them.

        Other jobs met on the way run in their turn: the captures queued before one are
        committed first.
        """
        group: list[_Pending] = []
        while True:
            if item is _STOP:
                return group, True
            if isinstance(item, _Job):
                self._flush(db, group)
                group = []
                self._run_job(db, item)
            elif isinstance(item, _Pending):
                group.append(item)
            if len(group) >= MAX_GROUP:
                return group, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return group, False

    def _busy_index_due(self) -> bool:
        now = time.monotonic()
        return self._index_paused_until <= now and self._busy_index_at <= now

    def _index_while_busy(self, db: Database) -> bool:
        """A small batch of indexing between two groups; the next waits in proportion."""
        started = time.monotonic()
        behind = self._index(db, BUSY_FTS_BATCH)
        took = time.monotonic() - started
        self._busy_index_at = max(self._busy_index_at, started + took * BUSY_INDEX_SHARE)
        return behind

    def _index(self, db: Database, batch: int = FTS_BATCH) -> bool:
        """One batch of full-text indexing, done only while no capture waits."""
        try:
            return index_pending(db, batch)
        except Exception as exc:
            if disk_full(exc):
                self._pause_indexing()
                return True  # still behind: resumed after the pause
            log.exception("full-text indexing")
            return False

    def _prune(self, db: Database) -> None:
        """One short step of retention, between two groups or while idle."""
        try:
            pruned = self._pruner.step(db)
        except Exception as exc:
            self._pruner.failed()
            if disk_full(exc) or isinstance(exc, sqlite3.OperationalError):
                log.warning("old captures not pruned (tried again later): %s", exc)
            else:
                log.exception("pruning old captures")
            return
        if pruned and self._on_pruned is not None:
            self._on_pruned(pruned)

    def _pause_indexing(self) -> None:
        """The disk is full: leave what space comes back to captures for a while."""
        if self._index_paused_until <= time.monotonic():
            log.warning(
                "the disk is full: full-text indexing paused for %.0f s so captures come first",
                INDEX_BACKOFF,
            )
        self._index_paused_until = time.monotonic() + INDEX_BACKOFF

    def _run_job(self, db: Database, job: _Job) -> None:
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            job.future.set_result(job.fn(db))
        except BaseException as exc:
            job.future.set_exception(exc)

    def _flush(self, db: Database, group: list[_Pending]) -> None:
        if not group:
            return
        _judge_group(group)
        try:
            stored = self._commit(db, group)
        except Exception as exc:
            if len(group) > 1:
                # One bad capture must not cost the others their commit: retry one by one.
                for pending in group:
                    self._flush(db, [pending])
                return
            if disk_full(exc):
                self._pause_indexing()
                log.warning("could not store a capture: %s", exc)
            else:
                log.exception("could not store a capture")
            with contextlib.suppress(RuntimeError):
                group[0].loop.call_soon_threadsafe(_fail, group[0].future, exc)
            return
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Stored]]] = {}
        for pending, capture in zip(group, stored, strict=True):
            by_loop.setdefault(pending.loop, []).append((pending, capture))
        for loop, results in by_loop.items():
            # RuntimeError: that loop is closed, so nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, results)
        self._checkpointer.committed()
        self._groups += 1
        if self._groups % WAL_CHECK_EVERY == 0 and wal_too_large(self._directory):
            checkpoint(db.conn)  # answers are on their way: only the next group waits
        if self._on_committed is not None:
            self._on_committed([result.id for result in stored])
        if any(pending.capture.verdict.nonce is not None for pending in group):
            self._forget_nonces(db)

    def _forget_nonces(self, db: Database) -> None:
        """Delete the Kudoz nonces whose tokens would be stale by now (at most once a minute).

        Only those: a token past its timestamp's window is `stale` whatever its UUID, so a
        forgotten nonce can never hide a replay, and the ones still live stay for a restart.
        Done after the group's answers are on their way, in a transaction of its own: a failure
        here (a full disk) never costs a capture its commit.
        """
        if time.monotonic() < self._nonces_pruned_until:
            return
        self._nonces_pruned_until = time.monotonic() + NONCE_PRUNE_INTERVAL
        try:
            forget_nonces(db)
        except sqlite3.Error as exc:
            log.warning("expired nonces not deleted (tried again later): %s", exc)

    def _headers_json(self, response: Response) -> str:
        """The answer's headers as stored: the same few header lists come back capture after
        capture (see Answers), so their JSON is kept too."""
        text = self._answer_json.get(response.headers)
        if text is None:
            if len(self._answer_json) >= Answers.LIMIT:
                self._answer_json.clear()
            text = self._answer_json[response.headers] = headers_json(response.headers)
        return text

    def _commit(self, db: Database, group: list[_Pending]) -> list[Stored]:
        conn = db.conn
        last = self._last_id
        if (
            last is not None
            and len(group) <= GUARDED_ROWS
            and not any(pending.forwards or pending.capture.verdict.nonce for pending in group)
        ):
            # Most groups: one statement, guarded by the id sequence (see insert_guarded).
            stored, params = self._rows(conn, group, last + 1)
            self._last_id = None  # unknown until the statement went through
            if insert_guarded(conn, params, last):
                self._last_id = last + len(group)
                return stored
        # IMMEDIATE: take the write lock before reading the id sequence, so ids handed out
        # here cannot collide with another writer's.
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'captures'").fetchone()
            first = (row[0] if row else 0) + 1
            stored, params = self._rows(conn, group, first)
            insert_rows(conn, params)
            nonces = [
                (text_param(n.api_key), text_param(n.uuid), n.expires)
                for n in (pending.capture.verdict.nonce for pending in group)
                if n is not None
            ]
            if nonces:  # in the same commit: a replay after a crash is still caught
                conn.executemany(
                    "INSERT OR REPLACE INTO nonces (api_key, uuid, expires) VALUES (?, ?, ?)",
                    nonces,
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._last_id = first + len(group) - 1
        return stored

    def _rows(
        self, conn: sqlite3.Connection, group: list[_Pending], first: int
    ) -> tuple[list[Stored], list[tuple[Any, ...]]]:
        """Each capture's answer and row, with ids from `first` on (its forwards are inserted
        too: only inside a transaction)."""
        stored: list[Stored] = []
        params: list[tuple[Any, ...]] = []
        now = utc_now()
        date = formatdate(now.timestamp(), usegmt=True)
        for offset, pending in enumerate(group):
            capture_id = first + offset
            capture = pending.capture
            decided = capture.response
            response = decided or self._answers.answer(
                pending.rule, capture.request, capture_id, date
            )
            # A rule's delay is spent before its answer; an answer already decided goes now.
            delay_ms = pending.rule.delay_ms if decided is None else 0
            kept: Response | None = response
            forward_ids: tuple[int, ...] = ()
            if pending.forwards:
                forward_ids = insert_forwards(conn, capture_id, pending.forwards)
                if any(forward.mode == PROXY for forward in pending.forwards):
                    kept = None  # the app's answer is the sender's: recorded once given
            stored.append(Stored(capture_id, response, delay_ms, forward_ids))
            answer_ms = None
            if capture.receive_ms is not None:
                # From the whole request to the answer: judging, the queue, this commit
                # (nearly all of it by now), and the rule's delay still to come.
                elapsed = (now - capture.received_at).total_seconds() * 1000
                answer_ms = max(0.0, elapsed - capture.receive_ms) + delay_ms
            headers = None if kept is None else self._headers_json(kept)
            params.append(row_values(capture, capture_id, kept, answer_ms, headers))
        return stored, params


def _judge_group(group: list[_Pending]) -> None:
    """Set the verdict of each capture left to the writer, once (a group retried one by one is
    not judged again)."""
    for pending in group:
        judge, pending.judge = pending.judge, None
        if judge is not None:
            judge_in_place(pending.capture, judge)


def judge_in_place(capture: Capture, judge: Judge) -> None:
    """Set the capture's verdict from `judge`, or an `n/a` one saying why verification could
    not run: a verifier bug must never lose a delivery. Only before the capture is stored:
    nobody else reads the verdict yet, so it is set in place instead of copying the capture."""
    try:
        verdict = judge(capture)
    except Exception as exc:
        log.exception("verification failed")
        verdict = Verdict(verdict="n/a", detail=f"Verification could not run: {exc}")
    object.__setattr__(capture, "verdict", verdict)


def _resolve(results: list[tuple[_Pending, Stored]]) -> None:
    for pending, result in results:
        if not pending.future.done():
            pending.future.set_result(result)


def _fail(future: asyncio.Future[Stored], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
