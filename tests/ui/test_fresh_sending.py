"""Composing and replaying in the window: fresh values when sent, status lines that stay true.

The engine's clock is moved by hand between the preview and the fire (never slept).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.fire import wire_headers
from hookscope.core.model import Attempt, Capture, Credential, DeliveryQuery, Outgoing
from hookscope.core.providers import kardow, kudoz
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.storage.db import open_store
from hookscope.ui.compose.composer import ComposerPanel
from tests.conftest import Clock
from tests.ui.conftest import wait_until
from tests.ui.test_composer import (
    add_target,
    app_palette,
    dark_palette,
    shoot,
    shots_dir,
    store_secret,
    stored_captures,
)

LEFT_FOR = timedelta(minutes=5, seconds=22)  # the 322 s of the report: past Kudoz's window
DATA = '{\n  "sent_at": "{{now}}",\n  "unix": "{{unix}}",\n  "ref": "{{uuid}}",\n  "n": 1\n}\n'


@pytest.fixture
def gui_db(engine: Engine) -> Iterator[Database]:
    db = open_store(engine.directory)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def clock(engine: Engine) -> Clock:
    """The engine's clock, started as far back as the preview was left."""
    moved = Clock(start=engine.sending.clock() - LEFT_FOR)
    engine.sending.clock = moved
    return moved


@pytest_asyncio.fixture
async def panel(engine: Engine, gui_db: Database, qtbot: QtBot) -> AsyncIterator[ComposerPanel]:
    shown = ComposerPanel(engine, gui_db)
    qtbot.addWidget(shown)
    shown.resize(1280, 780)
    shown.show()
    await shown.refresh_preview()
    yield shown
    await shown.settle()


async def preview_then_fire_later(
    panel: ComposerPanel, clock: Clock
) -> tuple[Outgoing, Attempt, Capture]:
    """Preview the editor's data, leave it, fire: the request previewed, the attempt, and
    what the listener got."""
    panel.editor.setPlainText(DATA)
    plan = await panel.refresh_preview()
    assert plan is not None
    fired: list[str] = []
    panel.fired.connect(fired.append)
    clock.advance(LEFT_FOR)
    (attempt,) = await panel.fire()
    assert fired == [plan.fire_id]  # the very plan previewed went out, not a new one
    (capture,) = stored_captures(panel.engine)
    return plan.requests[0], attempt, capture


def assert_logged_as_arrived(db: Database, attempt: Attempt, capture: Capture) -> None:
    (entry,) = reads.list_attempts(db, DeliveryQuery(fire_id=attempt.fire_id))
    assert entry.request == attempt.request
    assert entry.request.body == capture.body
    assert list(wire_headers(entry.request)) == list(capture.headers)


def fresh_values(body: bytes) -> dict[str, object]:
    data: dict[str, object] = json.loads(body)["data"]
    return {key: data[key] for key in ("sent_at", "unix", "ref")}


@pytest.mark.asyncio
async def test_a_kudoz_callback_left_five_minutes_then_fired_arrives_verified(
    panel: ComposerPanel, engine: Engine, gui_db: Database, clock: Clock
) -> None:
    store_secret(gui_db, engine, Credential("kudoz", "kz", "api-secret-1", "key-1"))
    panel.set_provider("kudoz")
    await wait_until(lambda: panel.credential_combo.currentText() == "kz")
    previewed, attempt, capture = await preview_then_fire_later(panel, clock)

    assert capture.verdict.verdict == "verified", capture.verdict.detail
    assert_logged_as_arrived(gui_db, attempt, capture)
    assert panel.results.model.index(0, 2).data() == "✓ delivered (200)"
    assert json.loads(capture.body)["data"]["n"] == 1
    sent, shown = fresh_values(capture.body), fresh_values(previewed.body)
    assert all(sent[key] != shown[key] for key in shown), (sent, shown)
    token = (capture.header(kudoz.HEADER) or "").split(":")
    old = (previewed.header(kudoz.HEADER) or "").split(":")
    assert token[1] != old[1]  # a new UUID
    assert int(token[2]) - int(old[2]) == LEFT_FOR.total_seconds()


@pytest.mark.asyncio
async def test_the_preview_names_what_is_made_as_it_is_sent(
    panel: ComposerPanel, engine: Engine, gui_db: Database, clock: Clock
) -> None:
    await add_target(engine, engine.url + "/in")
    panel.editor.setPlainText(DATA)
    plan = await panel.refresh_preview()
    assert plan is not None
    said = panel.preview.fresh_label.text()
    assert panel.preview.fresh_label.isVisible()
    assert said.startswith("Made as it is sent (shown here with sample values): ")
    for name in ("the envelope's timestamp", "{{now}}", "{{unix}}", "{{uuid}}", kardow.HEADER):
        assert name in said

    store_secret(gui_db, engine, Credential("kudoz", "kz", "api-secret-1", "key-1"))
    panel.set_provider("kudoz")
    await wait_until(lambda: panel.credential_combo.currentText() == "kz")
    panel.editor.setPlainText('{"plain": true}')
    await panel.refresh_preview()
    assert panel.preview.fresh_label.text() == (
        "Made as it is sent (shown here with sample values): the Authorization token"
        " (a new UUID and timestamp for every attempt)."
    )


@pytest.mark.asyncio
async def test_fresh_values_differ_from_the_preview_and_are_what_was_logged(
    panel: ComposerPanel, engine: Engine, gui_db: Database, clock: Clock
) -> None:
    await add_target(engine, engine.url + "/in")
    panel.editor.setPlainText(DATA)
    plan = await panel.refresh_preview()
    assert plan is not None
    shown = fresh_values(plan.requests[0].body)
    shown_at = json.loads(plan.payload)["timestamp"]
    clock.advance(LEFT_FOR)

    (attempt,) = await panel.fire()

    (capture,) = stored_captures(engine)
    assert capture.verdict.verdict == "verified"
    assert_logged_as_arrived(gui_db, attempt, capture)
    sent = fresh_values(capture.body)
    assert all(sent[key] != shown[key] for key in shown), (sent, shown)
    assert sent["unix"] == shown["unix"] + LEFT_FOR.total_seconds()  # type: ignore[operator]
    assert json.loads(capture.body)["timestamp"] == sent["sent_at"] != shown_at
    assert attempt.request.body == capture.body  # the results hold what left, not the preview


# -- the composer's status lines ----------------------------------------------------------------

BROKEN_AT_LINE_8 = '{\n  "a": 1,\n  "b": 2,\n  "c": 3,\n  "d": 4,\n  "e": 5,\n  "f": 6\n  "g": 7\n}'


@pytest.mark.asyncio
async def test_reset_to_template_never_leaves_a_json_error_beside_an_enabled_fire(
    panel: ComposerPanel, engine: Engine
) -> None:
    await add_target(engine, engine.url + "/in")
    seen: list[tuple[bool, bool]] = []
    panel.flow.updated.connect(
        lambda: seen.append((panel.error_label.isVisible(), panel.fire_button.isEnabled()))
    )
    panel.editor.setPlainText(BROKEN_AT_LINE_8)
    await wait_until(panel.error_label.isVisible)
    assert panel.error_label.text().startswith("Invalid JSON at line 8, column 3")
    assert not panel.fire_button.isEnabled()

    panel.reset_button.click()
    await wait_until(panel.fire_button.isEnabled)

    assert not panel.error_label.isVisible()
    assert panel.error_label.text() == ""
    assert (True, True) not in seen
    assert panel.fire_problem() is None


# -- how it looks -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_renders_the_values_made_on_sending_in_light_and_dark(
    panel: ComposerPanel, engine: Engine, gui_db: Database, tmp_path: Path
) -> None:
    """Saves PNGs to look at (set HOOKSCOPE_SHOTS=/tmp/hookscope-shots to keep them)."""
    out = shots_dir(tmp_path)
    store_secret(gui_db, engine, Credential("kudoz", "kz", "api-secret-1", "key-1"))
    panel.set_provider("kudoz")
    await wait_until(lambda: panel.credential_combo.currentText() == "kz")
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        with app_palette(palette):
            await panel.refresh_preview()
            assert panel.preview.fresh_label.isVisible()
            await panel.fire()
            shoot(panel, out / f"fresh-kudoz-{name}.png")
    assert len(list(out.glob("fresh-*.png"))) == 2
