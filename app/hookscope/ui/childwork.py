"""Work that would hold the interpreter lock for long, done in a child process.

`json.loads` of a 25 MB body is C code that holds Python's interpreter lock in long stretches:
on a worker thread it still freezes the window (up to half a second at a time, measured by
`hookscope bench --gui`), and the millions of objects it makes cost the GUI thread's garbage
collector a few hundred ms more. Such work runs here in a child
process, started with "spawn" (forking a process that runs Qt's threads is unsafe), and only a
small result, or bytes, comes back: unpickling a parsed document would hold the lock again.
The worker thread that waits for the child looks at `cancelled()` and the deadline every
POLL_S; a child that is no longer wanted, too slow, or left behind at exit is killed.
"""

from __future__ import annotations

import codecs
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from hookscope.core.contentviews import (
    MB,
    Analysis,
    Cancelled,
    Superseded,
    may_be_json,
    pretty_elsewhere,
)
from hookscope.core.diff import CaptureDiff, compare
from hookscope.core.model import Capture

T = TypeVar("T")

# Bodies up to this size are parsed in the window's process (the JSON tree needs the parsed
# document there): json.loads reads about 40 MB/s on the 2-core machine the targets are set
# on, so 1 MB holds the lock for ~25 ms, a frame or two. Bigger ones go to a child process.
IN_PROCESS_LIMIT = 1 * MB
# A compressed body this big may inflate past IN_PROCESS_LIMIT (64 MB at most).
ENCODED_LIMIT = 64 * 1024
TIMEOUT_S = 300.0  # a child still working after this is stopped (a 64 MB body takes ~10 s)
POLL_S = 0.02
_DECODE_CHUNK = 1 * MB
_SPAWN = multiprocessing.get_context("spawn")


class ChildFailed(RuntimeError):
    """The child process died, failed or took too long: the message is one sentence's end,
    to follow "Could not ...: " ("its process stopped unexpectedly (exit code -9)")."""


class _Apart:
    """Stands for a `bytes` argument sent on its own (see run_in_child)."""


def _serve(
    conn: Connection, inbox: Connection, target: Callable[..., Any], slots: tuple[Any, ...]
) -> None:
    """The child's whole life: take the big arguments, run `target(*args)` and send back its
    result or failure."""
    try:
        args = [inbox.recv_bytes() if isinstance(slot, _Apart) else slot for slot in slots]
        outcome: tuple[bool, Any] = (True, target(*args))
    except Exception as exc:  # reported to the parent, which says it in one sentence
        outcome = (False, f"{type(exc).__name__}: {exc}")
    conn.send(outcome)
    conn.close()


def run_in_child(
    target: Callable[..., T],
    args: tuple[Any, ...],
    cancelled: Cancelled,
    timeout: float | None = None,
) -> T:
    """`target(*args)` in a new child process (both picklable, `target` importable), waited
    for on this (worker) thread. Raises Superseded once `cancelled()` is True, ChildFailed
    when the child dies, fails or passes `timeout` seconds (TIMEOUT_S by default).

    Each `bytes` argument is written to the child as it is: pickled with the others it would
    be copied twice while holding the interpreter lock (20 ms for 25 MB)."""
    deadline = time.monotonic() + (TIMEOUT_S if timeout is None else timeout)
    receiver, sender = _SPAWN.Pipe(duplex=False)
    inbox, outbox = _SPAWN.Pipe(duplex=False)
    slots = tuple(_Apart() if isinstance(arg, bytes) else arg for arg in args)
    process = _SPAWN.Process(
        target=_serve, args=(sender, inbox, target, slots), name="hookscope-child", daemon=True
    )
    try:
        process.start()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a main module without its guard
        receiver.close()
        outbox.close()
        raise ChildFailed(f"its process could not start ({exc})") from exc
    finally:
        sender.close()  # only the child writes: its death shows as the end of the pipe
        inbox.close()
    try:
        _send_apart(outbox, args, process)
        return _wait(process, receiver, cancelled, deadline)  # type: ignore[no-any-return]
    finally:
        receiver.close()
        outbox.close()
        if process.is_alive():
            process.kill()
        process.join(5)


def _send_apart(outbox: Connection, args: tuple[Any, ...], process: Any) -> None:
    try:
        for arg in args:
            if isinstance(arg, bytes):
                outbox.send_bytes(arg)  # written from the bytes themselves, lock released
    except OSError:  # the child died before it read them
        process.join(5)
        raise ChildFailed(
            f"its process stopped unexpectedly (exit code {process.exitcode})"
        ) from None


def _wait(process: Any, receiver: Connection, cancelled: Cancelled, deadline: float) -> Any:
    while not receiver.poll(POLL_S):
        if cancelled():
            raise Superseded
        if time.monotonic() > deadline:
            raise ChildFailed("it took too long and was stopped")
        if not process.is_alive() and not receiver.poll(0):
            break
    if cancelled():
        raise Superseded
    try:
        done, result = receiver.recv()
    except (EOFError, OSError):
        process.join(5)
        raise ChildFailed(
            f"its process stopped unexpectedly (exit code {process.exitcode})"
        ) from None
    if not done:
        raise ChildFailed(f"its process failed ({result})")
    return result


def decode_big(data: bytes, cancelled: Cancelled) -> str:
    """UTF-8 `data` (lone surrogates passed) as text, a megabyte at a time: one decode of
    50 MB would hold the interpreter lock for tens of milliseconds."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    view = memoryview(data)
    parts = []
    for start in range(0, len(data), _DECODE_CHUNK):
        if cancelled():
            raise Superseded
        parts.append(decoder.decode(view[start : start + _DECODE_CHUNK]))
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def parse_elsewhere(body: bytes, content_type: str) -> bool:
    """Whether `body` is big enough, and may be JSON, to be parsed in a child process."""
    return len(body) > IN_PROCESS_LIMIT and may_be_json(body, content_type)


def pretty_in_child(
    body: bytes,
    content_type: str,
    truncated: bool,
    limit: int | None,
    cancelled: Cancelled,
) -> tuple[Analysis, tuple[str, bool] | None]:
    """A huge body's analysis (without its document) and pretty text (None when it is not
    JSON), made in a child process (contentviews.pretty_elsewhere)."""
    analysis, pretty, cut = run_in_child(
        pretty_elsewhere, (body, content_type, truncated, limit), cancelled
    )
    if pretty is None:
        return analysis, None
    return analysis, (decode_big(pretty, cancelled), cut)


def compare_elsewhere(a: Capture, b: Capture) -> bool:
    """Whether comparing these captures means parsing a body too big for this process."""
    return any(
        len(side.body) > IN_PROCESS_LIMIT
        or (len(side.body) > ENCODED_LIMIT and side.header_values("Content-Encoding"))
        for side in (a, b)
    )


def compare_in_child(a: Capture, b: Capture, cancelled: Cancelled) -> CaptureDiff:
    """core.diff.compare(a, b) in a child process: only the bounded differences come back."""
    return run_in_child(_compare_apart, (_bodiless(a), _bodiless(b), a.body, b.body), cancelled)


def _bodiless(capture: Capture) -> Capture:
    return replace(capture, request=replace(capture.request, body=b""))


def _compare_apart(a: Capture, b: Capture, a_body: bytes, b_body: bytes) -> CaptureDiff:
    """In the child: the captures with their bodies back (sent apart), compared."""
    return compare(
        replace(a, request=replace(a.request, body=a_body)),
        replace(b, request=replace(b.request, body=b_body)),
    )
