"""The first run: the welcome's URL and tunnels, its test delivery, the icon and the tray."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.ui.app import brand
from hookscope.ui.icons import DESKTOP_ID, app_icon
from hookscope.ui.tray import Tray
from hookscope.ui.welcome import should_welcome, tunnel_commands
from hookscope.ui.window import MainWindow
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


async def test_the_welcome_shows_once_unless_asked_again(window: MainWindow) -> None:
    assert should_welcome(window.db)
    dialog = window.open_welcome()
    assert dialog.isVisible()
    assert dialog.url.text() == window.engine.url
    dialog.close()
    await dialog.settle()  # saved through the engine, without blocking the window
    assert not should_welcome(window.db)
    dialog = window.open_welcome()
    dialog.show_at_start.setChecked(True)
    dialog.close()
    await dialog.settle()
    assert should_welcome(window.db)


async def test_tunnels_name_the_listeners_port(window: MainWindow) -> None:
    dialog = window.open_welcome()
    port = window.engine.url.rsplit(":", 1)[1]
    assert f"cloudflared tunnel --url http://127.0.0.1:{port}" in dialog.tunnels.toPlainText()
    assert tunnel_commands(9999).count("9999") == 4
    dialog.copy_url()
    assert QGuiApplication.clipboard().text() == window.engine.url
    dialog.close()


async def test_an_open_welcome_follows_the_listener_to_another_port(window: MainWindow) -> None:
    dialog = window.open_welcome()
    with socket.socket() as probe:  # a free port for the listener to move to
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(window.engine.listener_settings(window.db), port=port)
    await asyncio.wrap_future(window.engine.call(window.engine.start_listener(settings)))
    await wait_until(lambda: f"127.0.0.1:{port}" in dialog.tunnels.toPlainText())
    assert dialog.url.text() == f"http://127.0.0.1:{port}"
    dialog.close()


async def test_a_test_delivery_arrives_verified_and_is_selected(window: MainWindow) -> None:
    # The window fixture's engine knows one Kardow secret ("prod").
    dialog = window.open_welcome()
    capture_id = await dialog.send_test()
    assert capture_id is not None
    assert "verified" in dialog.outcome.text()
    assert "'prod'" in dialog.outcome.text()
    await wait_until(lambda: window.captures.model.row_of(capture_id) is not None)
    current = window.captures.current_id()
    assert current == capture_id
    assert window.captures.model.summary(0).verdict == "verified"
    assert window.captures.model.summary(0).event == "job.created"
    dialog.close()


async def test_without_a_secret_it_arrives_unsigned_and_says_what_to_do(
    engine: Engine, gui_db: Database
) -> None:
    shown = MainWindow(engine, gui_db)
    try:
        dialog = shown.open_welcome()
        assert await dialog.send_test() is not None
        assert "unsigned" in dialog.outcome.text()
        assert "Settings > Secrets" in dialog.outcome.text()
        dialog.close()
        # Reopened later (F1), after a secret may have been added: the old advice is gone.
        assert shown.open_welcome() is dialog
        assert dialog.outcome.text() == ""
        assert not dialog.outcome.isVisible()
        dialog.close()
    finally:
        await shown.settle()
        shown.bridge.detach()
        shown.close()


async def test_with_the_listener_stopped_the_test_button_says_why(window: MainWindow) -> None:
    await window.stop_listener()
    dialog = window.open_welcome()
    assert not dialog.test_button.isEnabled()
    assert "not running" in dialog.test_button.toolTip()
    assert "not listening" in dialog.url.text()
    dialog.close()
    await window.start_listener()


async def test_the_icon_comes_from_the_package_in_every_size(window: MainWindow) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == [16, 24, 32, 48, 64, 128, 256, 512]
    assert window.windowIcon().cacheKey() == icon.cacheKey()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    brand(app)  # what application() does to the app it creates
    assert app.windowIcon().cacheKey() == icon.cacheKey()
    assert QGuiApplication.desktopFileName() == DESKTOP_ID


async def test_the_tray_only_appears_where_there_is_one(window: MainWindow) -> None:
    tray = Tray(window)
    # The offscreen platform has no tray: the app must carry on without one.
    assert tray.icon is None
    assert window.engine.url in tray.tooltip()


async def test_the_welcome_renders(window: MainWindow, tmp_path: Path) -> None:
    dialog = window.open_welcome()
    await dialog.send_test()
    await asyncio.sleep(0.05)
    assert not dialog.grab().isNull()
    dialog.grab().save(str(tmp_path / "welcome.png"))
    dialog.close()
