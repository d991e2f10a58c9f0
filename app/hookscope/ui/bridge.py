"""The engine's notifications, re-emitted as Qt signals on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from hookscope.engine import Engine


class EngineBridge(QObject):
    """Turns the engine's callbacks (on its writer thread) into queued Qt signals.

    The engine calls back once per committed group, so a burst costs one signal per group,
    not one per request; the window then reads what is new at most every 50 ms.

    Signals:
        captured(int, int): the newest committed id, and how many were committed in that group.
        pruned(list): the ids of captures retention deleted (one batch, a few milliseconds' work).
        delivered(int, int): the newest logged delivery attempt's id, and how many were logged
            together (the engine logs each attempt as it ends).
        config_changed(list): what kinds of configuration changed ("rules", "credentials",
            "targets", "api_keys", "settings"), in this process or another, or "listeners":
            the capture listener or the emulator started or stopped.
    """

    captured = Signal(int, int)
    pruned = Signal(list)
    delivered = Signal(int, int)
    config_changed = Signal(list)

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._attached = True
        self._lock = threading.Lock()
        engine.on_captures(self._committed)
        engine.on_pruned(self._pruned)
        engine.on_deliveries(self._logged)
        engine.on_config(self._configured)

    def detach(self) -> None:
        """Stop forwarding (the window is going away; the engine may still commit or send)."""
        with self._lock:
            self._attached = False

    def _committed(self, ids: list[int]) -> None:
        # On the writer thread: the signal is queued to the thread this object lives in.
        with self._lock:
            if self._attached and ids:
                self.captured.emit(max(ids), len(ids))

    def _pruned(self, ids: list[int]) -> None:
        # On the writer thread, as _committed.
        with self._lock:
            if self._attached and ids:
                self.pruned.emit(ids)

    def _logged(self, ids: list[int]) -> None:
        # On the engine thread, as _committed: queued to this object's thread.
        with self._lock:
            if self._attached and ids:
                self.delivered.emit(max(ids), len(ids))

    def _configured(self, kinds: frozenset[str]) -> None:
        # On the engine thread, as _logged: queued to this object's thread.
        with self._lock:
            if self._attached and kinds:
                self.config_changed.emit(sorted(kinds))
