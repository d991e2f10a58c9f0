"""Bulk replay through the engine to a real receiver: order, concurrency, cancel, the log."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hookscope.core.fire import REPLAY_HEADER
from hookscope.core.model import DeliveryQuery, SendPolicy
from hookscope.core.sending import BulkProgress, BulkReplay, BulkResult
from hookscope.engine import Engine, EngineError
from hookscope.storage import reads
from tests.conftest import make_capture, running_engine
from tests.integration.receiver import Received, Receiver, running_receiver
from tests.unit.test_cli import store

POLICY = SendPolicy(retries=0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def twenty(data_dir: Path) -> list[int]:
    """Twenty plain captures, committed before the engine starts."""
    bodies = [f'{{"n": {n}}}'.encode() for n in range(20)]
    return store(data_dir, *(make_capture(body=body) for body in bodies))


@pytest.fixture
def bulk_engine(data_dir: Path, twenty: list[int]) -> Iterator[Engine]:
    with running_engine(data_dir) as running:
        yield running


def replay_many(
    engine: Engine,
    job: BulkReplay,
    progress: list[BulkProgress] | None = None,
    cancel: threading.Event | None = None,
) -> BulkResult:
    report = None if progress is None else progress.append
    return engine.call(engine.replay_many(job, POLICY, report, cancel)).result(60)


def replayed_ids(received: list[Received]) -> list[int]:
    return [int(r.header(REPLAY_HEADER) or 0) for r in received]


def logged(data_dir: Path, fire_id: str) -> list[int]:
    """The capture each logged attempt of a fire re-sent, oldest attempt first."""
    with reads.open_store(data_dir) as db:
        attempts = reads.list_attempts(db, DeliveryQuery(fire_id=fire_id, limit=1000))
    return sorted(attempt.request.replay_of or 0 for attempt in attempts)


def test_one_at_a_time_arrives_in_arrival_order_and_each_attempt_is_logged(
    bulk_engine: Engine, twenty: list[int], receiver: Receiver, data_dir: Path
) -> None:
    shuffled = tuple(reversed(twenty[10:])) + tuple(twenty[:10]) + (twenty[3],)
    progress: list[BulkProgress] = []

    async def hold(_: Received) -> None:
        await asyncio.sleep(0.01)  # a receiver that takes a moment: a second request would overlap

    receiver.hold = hold

    result = replay_many(bulk_engine, BulkReplay(shuffled, receiver.url("/ok/bulk")), progress)

    assert replayed_ids(receiver.received) == twenty
    assert receiver.most_in_flight == 1
    assert [outcome.capture_id for outcome in result.outcomes] == twenty
    assert all(outcome.ok for outcome in result.outcomes)
    assert result.summary == "20 delivered, 0 failed"
    assert not result.cancelled
    assert progress[0] == BulkProgress(0, 20)
    assert progress[-1] == BulkProgress(20, 20, 20, 0)
    assert [p.done for p in progress] == list(range(21))
    assert logged(data_dir, result.fire_id) == twenty


def test_four_at_a_time_all_arrive_and_never_more_than_four_are_in_flight(
    bulk_engine: Engine, twenty: list[int], receiver: Receiver, data_dir: Path
) -> None:
    four_in = asyncio.Event()  # used on the receiver's loop only

    async def hold(_: Received) -> None:
        # Nobody is answered until four requests are in flight at once: the run must reach
        # its concurrency (else this times out and the replay fails), never pass it.
        if receiver.in_flight >= 4:
            four_in.set()
        await asyncio.wait_for(four_in.wait(), 20)

    receiver.hold = hold
    result = replay_many(
        bulk_engine, BulkReplay(tuple(twenty), receiver.url("/ok/four"), concurrency=4)
    )

    assert sorted(replayed_ids(receiver.received)) == twenty
    assert receiver.most_in_flight == 4
    assert result.summary == "20 delivered, 0 failed"
    # Started in arrival order: the first four are the four oldest.
    assert sorted(replayed_ids(receiver.received)[:4]) == twenty[:4]
    assert logged(data_dir, result.fire_id) == twenty


def test_cancel_stops_further_sends_and_lets_the_one_in_flight_finish(
    bulk_engine: Engine, twenty: list[int], receiver: Receiver, data_dir: Path
) -> None:
    cancel = threading.Event()
    third_arrived = threading.Event()

    async def hold(received: Received) -> None:
        if len(receiver.received) == 3:  # the third waits until Cancel was pressed
            third_arrived.set()
            await asyncio.to_thread(cancel.wait, 20)

    receiver.hold = hold
    progress: list[BulkProgress] = []
    job = BulkReplay(tuple(twenty), receiver.url("/ok/cancel"))
    running = bulk_engine.call(bulk_engine.replay_many(job, POLICY, progress.append, cancel))
    assert third_arrived.wait(20)
    cancel.set()
    result = running.result(30)

    assert result.cancelled
    assert replayed_ids(receiver.received) == twenty[:3]
    assert [outcome.capture_id for outcome in result.outcomes] == twenty[:3]
    assert all(outcome.ok for outcome in result.outcomes)  # the one in flight finished
    assert result.summary == "3 delivered, 0 failed, 17 not sent (cancelled)"
    assert progress[-1] == BulkProgress(3, 20, 3, 0)
    assert logged(data_dir, result.fire_id) == twenty[:3]


def test_the_result_holds_no_bodies_but_the_log_does(
    bulk_engine: Engine, twenty: list[int], receiver: Receiver, data_dir: Path
) -> None:
    result = replay_many(bulk_engine, BulkReplay(tuple(twenty[:2]), receiver.url("/ok/bodies")))
    assert [outcome.attempt.request.body for outcome in result.outcomes if outcome.attempt] == [
        b"",
        b"",
    ]
    with reads.open_store(data_dir) as db:
        kept = reads.list_attempts(db, DeliveryQuery(fire_id=result.fire_id, limit=10))
    assert sorted(attempt.request.body for attempt in kept) == [b'{"n": 0}', b'{"n": 1}']


def test_failures_are_counted_and_logged(
    bulk_engine: Engine, twenty: list[int], receiver: Receiver, data_dir: Path
) -> None:
    result = replay_many(bulk_engine, BulkReplay(tuple(twenty[:3]), receiver.url("/status/500")))
    assert result.summary == "0 delivered, 3 failed"
    assert [outcome.outcome for outcome in result.outcomes] == ["HTTP 500"] * 3
    assert logged(data_dir, result.fire_id) == twenty[:3]


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (BulkReplay((1, 999), "/ok"), "There is no capture 999."),
        (BulkReplay((998, 1, 999), "/ok"), "There are no captures 998, 999."),
        (BulkReplay((), "/ok"), "Choose at least one capture to replay."),
        (BulkReplay((1, 2), "/ok", concurrency=0), "must be a whole number from 1 to 32, not 0."),
        (BulkReplay((1, 2), "/ok", concurrency=33), "must be a whole number from 1 to 32, not 33."),
        (BulkReplay((1, 2), "hooks"), "The replay URL must be an absolute URI with a scheme"),
    ],
)
def test_an_impossible_job_is_one_sentence_and_sends_nothing(
    bulk_engine: Engine, receiver: Receiver, job: BulkReplay, message: str
) -> None:
    if job.url.startswith("/"):
        job = replace(job, url=receiver.url(job.url))
    with pytest.raises(EngineError) as refused:
        replay_many(bulk_engine, job)
    assert message in str(refused.value)
    assert receiver.received == []


def test_resigning_a_capture_of_no_provider_is_refused_before_anything_is_sent(
    bulk_engine: Engine, twenty: list[int], receiver: Receiver
) -> None:
    job = BulkReplay(tuple(twenty[:2]), receiver.url("/ok/resign"), resign=True)
    with pytest.raises(EngineError) as refused:
        replay_many(bulk_engine, job)
    assert str(refused.value) == (
        f"Capture #{twenty[0]}: Only signed deliveries can be re-signed; "
        "no signing scheme was recognised."
    )
    assert receiver.received == []
