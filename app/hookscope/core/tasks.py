"""The one way to start a background task: named, and referenced until it finishes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Tasks without a strong reference can be garbage-collected mid-run
# (https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task).
_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Start `coro` as a task called `name` and keep it alive until it is done."""
    task = asyncio.create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task
