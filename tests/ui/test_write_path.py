"""One write path: what the settings dialog changes is applied by the engine at once, with
no polling timer anywhere (the engine's watcher for other processes is off here too)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.engine import Engine
from hookscope.storage.db import open_store
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.targets.panel import TargetsPanel
from tests.conftest import running_engine
from tests.ui.test_settings import OK, fill_rule, fill_secret, show_tab


@pytest.fixture
def quiet_engine(data_dir: Path) -> Iterator[Engine]:
    """No watcher: only what goes through the engine can change what is in force."""
    with running_engine(data_dir, watch=False) as running:
        yield running


@pytest.fixture
def quiet_db(quiet_engine: Engine) -> Iterator[Database]:
    db = open_store(quiet_engine.directory)
    try:
        yield db
    finally:
        db.close()


def running_timers(*widgets: object) -> list[QTimer]:
    found: list[QTimer] = []
    for widget in widgets:
        found += [t for t in widget.findChildren(QTimer) if t.isActive()]  # type: ignore[attr-defined]
    return found


@pytest.mark.asyncio
async def test_a_setting_a_secret_a_rule_and_a_key_are_applied_by_the_engine_at_once(
    quiet_engine: Engine, quiet_db: Database, qtbot: QtBot
) -> None:
    engine = quiet_engine
    dialog = SettingsDialog(engine, quiet_db)
    qtbot.addWidget(dialog)
    dialog.show()

    # A setting: the body deadline, applied (the listener restarts with it).
    dialog.listener.deadline_spin.setValue(42)
    assert await dialog.save()
    assert engine.config.saved_listener_settings().body_deadline == 42.0
    assert engine.listener is not None
    assert engine.listener.settings.body_deadline == 42.0

    # A secret: the engine can sign and verify with it straight away.
    show_tab(dialog, "Secrets")
    editor = dialog.secrets.add_kardow()
    fill_secret(editor, "main", "whsec-0123456789abcdef")
    editor.buttons.button(OK).click()
    assert await dialog.save()
    assert engine.credential("main", "kardow").secret == "whsec-0123456789abcdef"

    # A rule: the next request to its path gets its answer.
    show_tab(dialog, "Response rules")
    rule_editor = dialog.rules.add_rule()
    fill_rule(rule_editor, "/teapot/*", 418)
    rule_editor.buttons.button(OK).click()
    assert await dialog.save()
    assert engine.config.rule_for("POST", "/teapot/pot").status == 418

    # An API key: the emulator accepts it.
    show_tab(dialog, "Kardow API")
    key = dialog.api_keys.generate_key()
    assert await dialog.save()
    assert engine.api_key_state(key) is None

    assert engine._watcher is None  # the engine's look at other processes is off
    assert running_timers(dialog) == []


@pytest.mark.asyncio
async def test_the_targets_panel_follows_the_engines_announcements_without_a_timer(
    quiet_engine: Engine, quiet_db: Database, qtbot: QtBot
) -> None:
    from hookscope.core.registration import Registration

    bridge = EngineBridge(quiet_engine)
    panel = TargetsPanel(quiet_engine, quiet_db, bridge)
    qtbot.addWidget(panel)
    panel.show()
    announced = asyncio.get_running_loop().create_future()
    bridge.config_changed.connect(lambda kinds: announced.done() or announced.set_result(kinds))

    registration = Registration("*", "webhook", "https://example.com/hook")
    await asyncio.wrap_future(quiet_engine.call(quiet_engine.register(registration)))

    assert await asyncio.wait_for(announced, 5) == ["targets"]
    assert panel.model.rowCount() == 1
    assert running_timers(panel) == []
    bridge.detach()
