"""The window's sending side: tabs, the emulator at start, fire to Deliveries, replay."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest
from pytestqt.qtbot import QtBot

from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.ui.compose.replay import forget_last_url
from hookscope.ui.window import MainWindow
from tests.integration.conftest import http
from tests.ui.conftest import SECRET, wait_until
from tests.ui.test_window import kardow_body, post, signed

pytestmark = pytest.mark.asyncio


async def test_the_four_tabs_are_one_keystroke_away(window: MainWindow, qtbot: QtBot) -> None:
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Captures",
        "Compose && fire",
        "Targets",
        "Deliveries",
    ]
    for index, action in enumerate(window.tab_actions):
        assert action.shortcut().toString() == f"Ctrl+{index + 1}"
        action.trigger()
        assert window.tabs.currentIndex() == index


async def test_the_tab_is_remembered(window: MainWindow) -> None:
    window.tabs.setCurrentIndex(3)
    window.close()
    state = settings_store.get_setting(window.db, "ui.window")
    assert state["tab"] == 3


async def test_a_fire_from_the_composer_lands_in_deliveries(
    window: MainWindow, live_engine: Engine
) -> None:
    url = live_engine.url + "/kardow/in"
    registration = Registration("job.created", "webhook", url, SECRET)
    await asyncio.wrap_future(live_engine.call(live_engine.register(registration)))
    window.tabs.setCurrentWidget(window.composer)
    plan = await window.composer.refresh_preview()
    assert plan is not None
    assert len(plan.requests) == 1
    (attempt,) = await window.composer.fire()
    assert attempt.ok
    await wait_until(lambda: window.deliveries.model.rowCount() == 1)
    assert window.deliveries.fire_only.isChecked()
    (request,) = plan.requests
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.header("X-Kardow-Signature") == expected
    await wait_until(lambda: window.captures.model.rowCount() == 1)  # our own listener captured it
    assert window.captures.model.summary(0).verdict == "verified"
    assert window.statusBar().currentMessage() == (
        "1 delivered; every attempt is in Deliveries (Ctrl+4)."
    )


async def test_a_failed_replay_is_not_reported_as_sent(
    window: MainWindow, live_engine: Engine
) -> None:
    await post(live_engine, "/kardow", b"{}", [])
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    window.captures.table.selectRow(0)
    dialog = window.open_replay()
    assert dialog is not None
    try:
        dialog.url_edit.setText("http://127.0.0.1:9/refused")
        attempt = await dialog.send()
        assert attempt is not None
        assert not attempt.ok
        assert window.statusBar().currentMessage() == (
            "0 delivered, 1 failed; every attempt is in Deliveries (Ctrl+4)."
        )
    finally:
        dialog.close()
        forget_last_url()  # the dialog remembers the URL for the next replay, not for other tests


async def test_replay_opens_for_the_selected_capture_and_re_signs(
    window: MainWindow, live_engine: Engine
) -> None:
    body = kardow_body(title="Welder")
    await post(live_engine, "/kardow", body, signed(body, "wrong-secret-0123456"))
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    assert window.open_replay() is None  # nothing selected yet: said in the status bar
    window.captures.table.selectRow(0)
    dialog = window.open_replay()
    assert dialog is not None
    assert window.replay_dialog is dialog
    dialog.resign_check.setChecked(True)
    attempt = await dialog.send()
    assert attempt is not None
    assert attempt.ok
    await wait_until(lambda: window.captures.model.rowCount() == 2)
    assert window.captures.model.summary(0).verdict == "verified"
    assert window.captures.model.summary(1).verdict == "failed"
    dialog.close()


async def test_the_emulator_starts_with_the_window_and_shows_in_targets(
    window: MainWindow, live_engine: Engine
) -> None:
    await asyncio.wrap_future(live_engine.call(live_engine.start_api(port=0)))
    target_store.add_api_key(window.db, "kd_window-key-1234")
    assert live_engine.api is not None
    port = live_engine.api.port
    register = json.dumps(
        {"event": "*", "target_type": "slack", "target_url": "https://hooks.example/s"}
    ).encode()
    headers = [("Content-Type", "application/json"), ("x-api-key", "kd_window-key-1234")]

    async def registered() -> int:
        reply = await asyncio.to_thread(http, port, "POST", "/webhooks", headers, register)
        return reply.status

    window.tabs.setCurrentWidget(window.targets)
    await wait_until(lambda: live_engine.api_key_state("kd_window-key-1234") is None)
    assert await registered() == 201
    await wait_until(lambda: window.targets.model.rowCount() == 1)
    assert window.targets.model.item(0).target_type == "slack"


async def test_window_start_api_reports_a_taken_port(
    window: MainWindow, live_engine: Engine
) -> None:
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        live_engine._overrides["api_port"] = taken.getsockname()[1]
        assert await window.start_api() is False
        assert "Kardow API emulator not running" in window.statusBar().currentMessage()
    finally:
        taken.close()
        live_engine._overrides["api_port"] = 0
