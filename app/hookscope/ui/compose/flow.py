"""The one flow of composing and replaying: plan as the input settles, show it, send exactly it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel
from shiboken6 import Shiboken

from hookscope.core.fire import FireError
from hookscope.core.model import Attempt, Plan
from hookscope.engine import Engine, EngineError
from hookscope.ui.background import Background
from hookscope.ui.client import EngineClient
from hookscope.ui.compose.preview import RequestPreview
from hookscope.ui.style import say

log = logging.getLogger(__name__)

PREVIEW_PAUSE_MS = 150  # input settles this long before it is validated and planned again
FIRE_KEYS = ("Ctrl+Return", "Ctrl+Enter")
PREPARING = "Preparing the preview…"

# What the input asks to plan (the client's planning coroutine, not yet started), or why
# nothing can be planned (a sentence shown in the preview).
Planning = Coroutine[Any, Any, Plan] | str


class SendFlow(QObject):
    """Plans what its owner's input describes, shows the plan, and sends that very plan.

    The preview is a kept Plan: rebuilt whenever the input settles (`changed()`), sent as shown,
    then spent (a plan never goes out twice: the next send gets fresh ids). Planning and sending
    run on the engine's loop; nothing here blocks the GUI. The owner (the composer, the replay
    dialog) reads its own input: `replan()` reads it and calls `plan()`.

    Signals:
        updated(): the plan shown, a problem or the sending state changed (the owner's send
            button follows `problem()`).

    Attributes:
        preview: the RequestPreview showing the plan.
        input_problem: why the owner's input cannot be planned, or None (the owner sets it).
        sending: a send is under way.
    """

    updated = Signal()

    def __init__(
        self,
        engine: Engine,
        preview: RequestPreview,
        status: QLabel,
        work: Background,
        replan: Callable[[], Coroutine[Any, Any, Plan | None]],
        *,
        name: str,
        busy: str,
        nothing: Callable[[Plan], str],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self.preview = preview
        self.input_problem: str | None = None
        self.sending = False
        self._engine = engine
        self.client = EngineClient(engine)
        self._status = status
        self._work = work
        self._replan = replan
        self._name = name
        self._busy = busy
        self._nothing = nothing
        self._dirty = True
        self._pause = QTimer(self, singleShot=True, interval=PREVIEW_PAUSE_MS)
        self._pause.timeout.connect(self._due)

    @property
    def plan_shown(self) -> Plan | None:
        """The plan the preview shows, which `send()` sends."""
        return self.preview.plan

    # -- planning -------------------------------------------------------------------------------

    def changed(self) -> None:
        """The input changed: plan it again once it settles."""
        self._dirty = True
        self._pause.start()

    def _due(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # Qt delivered the timer outside the loop: the app is closing
            return
        self._work.run(self._replan())

    async def plan(self, planning: Planning) -> Plan | None:
        """Plan on the engine and show the result (or why nothing can be sent); the plan."""
        self._pause.stop()
        self._dirty = False
        ticket = self.preview.start()
        if isinstance(planning, str):
            self._offer(ticket, None, None, planning)
            return None
        try:
            plan = await planning
        except (FireError, EngineError) as error:
            self._offer(ticket, None, str(error), "Nothing can be sent as it is.")
            return None
        self._offer(ticket, plan, None, "")
        return plan

    def _offer(self, ticket: int, plan: Plan | None, error: str | None, why: str) -> None:
        # The owner may be gone, or a newer refresh started meanwhile (the input changed).
        if Shiboken.isValid(self) and self.preview.offer(ticket, plan, error, why):
            self.updated.emit()

    def problem(self) -> str | None:
        """Why nothing can be sent now, or None when it can (the send button's tooltip)."""
        if self.sending:
            return self._busy
        if self.input_problem:
            return self.input_problem
        if self.preview.plan_error:
            return self.preview.plan_error
        plan = self.plan_shown
        if plan is None:
            return PREPARING
        if not plan.requests:
            return self._nothing(plan)
        return None

    # -- sending --------------------------------------------------------------------------------

    async def send(
        self, begin: Callable[[Plan], str], done: Callable[[Plan, list[Attempt]], None]
    ) -> list[Attempt] | None:
        """Send the plan shown, exactly; None when nothing was sent (why is said in `status`).

        `begin(plan)` runs as sending starts and says what is under way; `done(plan, attempts)`
        shows the results (unless the owner is gone by then). Then a fresh plan is made for the
        next send. Never raises for the user.
        """
        if self.sending:
            return None
        if self._dirty or not self.preview.current:
            await self._replan()  # the input changed since: what is sent is shown first
        why = self.problem()
        plan = self.plan_shown
        if why is not None or plan is None:
            say(self._status, why or "Nothing to send.", "error")
            return None
        text = begin(plan)
        self.sending = True
        self.updated.emit()
        say(self._status, text)
        try:
            attempts = await self.client.send(plan)
        except Exception as error:  # the engine stopped, ...: said, not raised
            log.exception(self._name)
            if Shiboken.isValid(self):
                self.sending = False
                say(self._status, f"Nothing was sent: {error}", "error")
                self.updated.emit()
            return None
        if not Shiboken.isValid(self):
            return attempts
        self.sending = False
        done(plan, attempts)
        self.preview.spend()  # never the same ids twice: the next send gets a plan of its own
        await self._replan()
        return attempts

    # -- plumbing -------------------------------------------------------------------------------

    def stop(self) -> None:
        """The window is closing: nothing may read the store after it closes."""
        self._pause.stop()

    def flush(self) -> None:
        """Start a refresh still waiting for the input to settle (tests, and closing)."""
        # (A closing window may already have deleted the owner: then nothing is pending.)
        if Shiboken.isValid(self) and self._pause.isActive():
            self._pause.stop()
            self._due()
