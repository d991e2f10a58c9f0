"""The memory budget and spooled bodies: what keeps many large uploads from filling memory."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from hookscope.core.tasks import spawn
from hookscope.net.bodies import MemoryBudget, SpooledBody

pytestmark = pytest.mark.asyncio


async def test_small_bodies_stay_in_memory_and_hold_the_budget_until_released() -> None:
    budget = MemoryBudget(1000)
    body = SpooledBody(budget, threshold=100, spool_dir=None)
    body.add(b"a" * 40)
    body.add(b"b" * 40)
    assert not body.spooled
    assert budget.used == 80
    assert await body.whole(1.0) == b"a" * 40 + b"b" * 40
    body.release()
    assert budget.used == 0


async def test_a_body_past_the_threshold_spills_to_disk_and_comes_back_exact(
    tmp_path: Path,
) -> None:
    budget = MemoryBudget(10_000)
    body = SpooledBody(budget, threshold=100, spool_dir=tmp_path / "spool")
    chunks = [os.urandom(64) for _ in range(50)]
    for chunk in chunks:
        body.add(chunk)
    assert body.spooled
    assert budget.used == 0  # while on disk, it holds no memory
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700
    assert await body.whole(1.0) == b"".join(chunks)
    assert budget.used == 3200  # now in memory: counted until released
    body.release()
    assert budget.used == 0


async def test_a_full_budget_sends_new_bodies_to_disk_at_once(tmp_path: Path) -> None:
    budget = MemoryBudget(100)
    first = SpooledBody(budget, threshold=1000, spool_dir=tmp_path)
    first.add(b"x" * 90)
    second = SpooledBody(budget, threshold=1000, spool_dir=tmp_path)
    second.add(b"y" * 20)
    assert not first.spooled
    assert second.spooled
    first.release()
    second.release()


async def test_takers_wait_in_order_and_a_timeout_takes_nothing() -> None:
    budget = MemoryBudget(100)
    assert await budget.take(80, 1.0) == 80
    assert await budget.take(50, 0.05) == 0  # timed out: nothing held, nobody left waiting
    assert budget.used == 80
    waiting = spawn(budget.take(50, 5.0), name="waiting")
    await asyncio.sleep(0)
    assert not budget.try_take(10)  # someone is waiting: no overtaking
    budget.give(80)
    assert await waiting == 50
    assert budget.used == 50


async def test_a_body_larger_than_the_whole_budget_still_passes_alone(tmp_path: Path) -> None:
    budget = MemoryBudget(100)
    body = SpooledBody(budget, threshold=10, spool_dir=tmp_path)
    body.add(b"z" * 500)
    assert await body.whole(1.0) == b"z" * 500
    assert budget.used == 100
    body.release()
    assert budget.used == 0


async def test_a_cancelled_wait_gives_back_what_it_was_granted() -> None:
    budget = MemoryBudget(100)
    assert await budget.take(100, 1.0) == 100
    waiting = spawn(budget.take(60, 5.0), name="waiting")
    await asyncio.sleep(0)
    budget.give(100)  # grants the waiter...
    waiting.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert budget.used == 0
