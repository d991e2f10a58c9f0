"""Coroutines a widget starts from buttons, keys and timers: guarded, referenced, awaitable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject
from qasync import asyncSlot
from shiboken6 import Shiboken

from hookscope.core.tasks import spawn

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def async_slot(*types: type) -> Callable[[F], F]:
    """qasync's asyncSlot with a type (qasync ships no type hints)."""
    decorator: Callable[[F], F] = asyncSlot(*types)
    return decorator


class Background:
    """The background work of one widget.

    `run(coro)` starts a coroutine on the GUI loop; if it fails, the failure is logged and
    `on_error(exc)` tells the user, unless the widget is already gone. `settle()` waits until
    none is left (tests, and closing the window).
    """

    def __init__(self, owner: QObject, name: str, on_error: Callable[[Exception], None]) -> None:
        self._owner = owner
        self._name = name
        self._on_error = on_error
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, coro: Coroutine[Any, Any, Any]) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception as exc:
                log.exception("%s", self._name)
                if Shiboken.isValid(self._owner):
                    self._on_error(exc)

        task = spawn(guarded(), name=self._name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)
