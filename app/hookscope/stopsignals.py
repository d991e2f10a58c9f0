"""SIGINT and SIGTERM as a request to stop: the handler only sets a flag, nothing else.

A handler that takes a lock (``threading.Event.set()``) can deadlock when a second signal lands
while the first holds it: Python runs handlers between two bytecodes of the main thread, even
inside another handler. Setting an attribute cannot block, however many signals come, in any
rhythm. The main thread is woken through ``signal.set_wakeup_fd``, which the interpreter writes
from its C-level handler.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import threading
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Catches SIGINT and SIGTERM for the rest of the process's life.

    The handlers stay installed after the work is done: a signal that arrives while the
    process is already stopping must not turn a clean exit into a kill.

    Attributes:
        received: the signal numbers caught so far.
        stopped: `stop()` was called (the process has a reason of its own to stop).
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self.stopped = False
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None

    def install(self) -> None:
        """Install the handlers (main thread only; elsewhere signals are left as they are)."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for number in STOP_SIGNALS:
            signal.signal(number, self._caught)

    def _caught(self, signum: int, _frame: FrameType | None) -> None:
        # Only this: a list append never blocks and is safe to interrupt.
        self.received.append(signum)

    def stop(self) -> None:
        """End `wait()` as a signal would, from any thread (never from a signal handler)."""
        self.stopped = True
        if self._writer is not None:
            with contextlib.suppress(OSError):  # a full buffer: the waiter wakes anyway
                self._writer.send(b"\0")

    @property
    def stopping(self) -> bool:
        return bool(self.received) or self.stopped

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop signal came (True) or `timeout` passed (False)."""
        if self._reader is None:
            return self.stopping
        while not self.stopping:
            readable, _, _ = select.select([self._reader], [], [], timeout)
            with contextlib.suppress(BlockingIOError, InterruptedError):
                while self._reader.recv(512):
                    pass
            if not readable and timeout is not None:
                break
        return self.stopping
