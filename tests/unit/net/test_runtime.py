"""Quiet logs under attack, and connection caps that fit the open-file limit."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import pytest

from hookscope.core.model import ListenerSettings
from hookscope.net import runtime


def test_a_malformed_request_is_logged_as_one_short_line() -> None:
    one_line = runtime._OneLine(per_second=5)
    try:
        raise ValueError("Invalid char in url path:\n\n  b'GET /a\\x01'\n        ^")
    except ValueError as exc:
        record = logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (), None
        )
        record.exc_info = (type(exc), exc, exc.__traceback__)
    assert one_line.filter(record)
    assert record.exc_info is None
    assert "\n" not in record.getMessage()
    assert record.getMessage().startswith("Error handling request: ValueError: Invalid char")


def test_a_flood_of_log_lines_is_cut_to_a_few_a_second_and_says_how_many_were_dropped() -> None:
    one_line = runtime._OneLine(per_second=5)

    def record() -> logging.LogRecord:
        return logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "bad", (), None)

    kept = [one_line.filter(record()) for _ in range(100)]
    assert 1 <= sum(kept) <= 6
    one_line._allowance = 5  # a second later
    later = record()
    assert one_line.filter(later)
    assert "similar lines dropped" in later.getMessage()


def test_failed_accepts_are_reported_once_and_other_errors_pass_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = runtime._AcceptErrors()
    loop = asyncio.new_event_loop()
    passed: list[dict[str, Any]] = []
    loop.default_exception_handler = passed.append  # type: ignore[method-assign]
    try:
        caplog.set_level(logging.WARNING, logger="hookscope.net.runtime")
        context = {
            "message": "socket.accept() out of system resource",
            "exception": OSError(24, "Too many open files"),
        }
        for _ in range(50):
            handler(loop, context)
        handler(loop, {"message": "something else"})
    finally:
        loop.close()
    lines = [r for r in caplog.records if r.name == "hookscope.net.runtime"]
    assert len(lines) == 1
    assert "Too many open files" in lines[0].getMessage()
    assert passed == [{"message": "something else"}]


def test_caps_shrink_to_what_the_open_file_limit_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    monkeypatch.setattr(resource, "getrlimit", lambda kind: (256, 256))
    monkeypatch.setattr(resource, "setrlimit", lambda kind, limits: None)
    fitted = runtime.fit_to_file_limit(ListenerSettings())
    # Each capture connection may hold a socket and a spool file; the emulator's a socket.
    used = runtime.FILES_RESERVED + fitted.api_max_connections + 2 * fitted.max_connections
    assert used <= 256
    assert fitted.max_connections >= 16


def test_the_soft_limit_is_raised_before_any_cap_shrinks(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    limits = {"soft": 1024}
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (limits["soft"], 65536))
    monkeypatch.setattr(resource, "setrlimit", lambda kind, pair: limits.update(soft=pair[0]))
    settings = ListenerSettings()
    assert runtime.fit_to_file_limit(settings) == settings
    assert limits["soft"] >= runtime.FILES_RESERVED + 128 + 2 * 512


def test_the_network_loop_is_asyncio_s_own_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKSCOPE_LOOP", "asyncio")
    loop = runtime.new_network_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()


def test_the_network_loop_is_uvloop_s_when_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    uvloop = pytest.importorskip("uvloop")
    monkeypatch.delenv("HOOKSCOPE_LOOP", raising=False)
    loop = runtime.new_network_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_without_uvloop_the_network_loop_is_asyncio_s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKSCOPE_LOOP", raising=False)
    monkeypatch.setitem(sys.modules, "uvloop", None)  # an import of it fails
    loop = runtime.new_network_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
