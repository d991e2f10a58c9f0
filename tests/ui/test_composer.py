"""The compose-and-fire panel against a real engine: fires land in its own capture listener."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core import catalogue
from hookscope.core.fire import wire_headers
from hookscope.core.model import Capture, CaptureQuery, Credential, Target
from hookscope.core.registration import Registration
from hookscope.core.tasks import spawn
from hookscope.engine import Engine
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.ui.compose.composer import ComposerPanel
from hookscope.ui.compose.text import parse_data
from tests.ui.conftest import wait_until
from tests.ui.palettes import dark_palette

SECRET = "s" * 16
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


# -- helpers (test_replay uses some) ------------------------------------------------------------


@pytest.fixture
def gui_db(engine: Engine) -> Iterator[Database]:
    """The GUI's own connection to the engine's store."""
    db = open_store(engine.directory)
    try:
        yield db
    finally:
        db.close()


@pytest_asyncio.fixture
async def panel(engine: Engine, gui_db: Database, qtbot: QtBot) -> AsyncIterator[ComposerPanel]:
    shown = ComposerPanel(engine, gui_db)
    qtbot.addWidget(shown)
    shown.resize(1280, 780)
    shown.show()
    await shown.refresh_preview()
    yield shown
    await shown.settle()


async def add_target(
    engine: Engine,
    url: str,
    target_type: str = "webhook",
    event: str = "job.created",
    secret: str | None = SECRET,
) -> Target:
    registration = Registration(event, target_type, url, secret)
    target, _created = await asyncio.wrap_future(engine.call(engine.register(registration)))
    return target


def stored_captures(engine: Engine) -> list[Capture]:
    """Every capture, newest first, read on a connection of the test's own."""
    db = open_store(engine.directory)
    try:
        summaries = capture_store.list_summaries(db, CaptureQuery(limit=1000))
        found = [capture_store.get_capture(db, summary.id) for summary in summaries]
    finally:
        db.close()
    return [capture for capture in found if capture is not None]


def store_secret(db: Database, engine: Engine, credential: Credential) -> None:
    vault = load_vault(engine.key_file, create=True)
    assert vault is not None
    credential_store.add_credential(db, vault, credential)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone"


class HeldTarget:
    """A target that takes a request and answers only when released (a slow receiver)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/slow"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self._server.accept()
        with connection:
            connection.recv(65536)
            self.arrived.set()
            self.release.wait(30)
            connection.sendall(ANSWER)

    def close(self) -> None:
        self.release.set()
        self._thread.join(5)
        self._server.close()


def press_ctrl_return(qtbot: QtBot, widget: QWidget) -> None:
    """Ctrl+Return as a user types it: Ctrl is let go afterwards.

    QTest's keyClick with a modifier leaves Ctrl held in QGuiApplication's state, which would
    turn a later test's selectRow() into a toggle.
    """
    qtbot.keyClick(widget, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyRelease(widget, Qt.Key.Key_Control)
    assert QGuiApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier


@contextmanager
def app_palette(palette: QPalette) -> Iterator[None]:
    before = QApplication.palette()
    QApplication.setPalette(palette)
    try:
        yield
    finally:
        QApplication.setPalette(before)


def shots_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $HOOKSCOPE_SHOTS (e.g. /tmp/hookscope-shots) or the test's tmp."""
    directory = Path(os.environ.get("HOOKSCOPE_SHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def shoot(widget: QWidget, path: Path) -> None:
    QApplication.sendPostedEvents()
    assert widget.grab().save(str(path))


# -- validation ---------------------------------------------------------------------------------


def test_the_data_must_be_one_json_object() -> None:
    assert parse_data('{"a": 1}') == {"a": 1}
    assert parse_data("[1, 2]") == "The data must be a JSON object ({…}), not an array."
    assert parse_data('"text"') == "The data must be a JSON object ({…}), not a string."
    assert parse_data("null") == "The data must be a JSON object ({…}), not null."
    assert parse_data('{\n  "a": 1\n  "b": 2\n}') == (
        "Invalid JSON at line 3, column 3: Expecting ',' delimiter."
    )
    assert "NaN is not JSON" in str(parse_data('{"a": NaN}'))


@pytest.mark.asyncio
async def test_broken_json_disables_fire_with_line_and_column(
    panel: ComposerPanel, engine: Engine
) -> None:
    await add_target(engine, engine.url + "/in")
    await panel.refresh_preview()
    assert panel.fire_button.isEnabled()

    panel.editor.setPlainText('{\n  "title": "Welder"\n  "status": "active"\n}')
    await wait_until(panel.error_label.isVisible)  # validated as typed, after a short pause
    reason = "Invalid JSON at line 3, column 3: Expecting ',' delimiter."
    assert panel.error_label.text() == reason
    assert panel.fire_problem() == reason
    assert not panel.fire_button.isEnabled()
    assert panel.fire_button.toolTip() == reason
    assert panel.plan is None

    panel.editor.setPlainText('{\n  "title": "Welder",\n  "status": "active"\n}')
    await wait_until(panel.fire_button.isEnabled)
    assert not panel.error_label.isVisible()
    assert panel.fire_problem() is None
    assert panel.plan is not None
    assert json.loads(panel.plan.payload)["data"] == {"title": "Welder", "status": "active"}


@pytest.mark.asyncio
async def test_a_json_value_that_is_not_an_object_is_refused(
    panel: ComposerPanel, engine: Engine
) -> None:
    await add_target(engine, engine.url + "/in")
    panel.editor.setPlainText('["job", "created"]')
    assert await panel.refresh_preview() is None
    assert panel.fire_problem() == "The data must be a JSON object ({…}), not an array."
    assert not panel.fire_button.isEnabled()
    assert await panel.fire() == []
    assert panel.status_label.text() == panel.fire_problem()
    assert stored_captures(engine) == []


# -- the catalogue ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_switching_event_loads_its_template_note_and_assumed_badge(
    panel: ComposerPanel,
) -> None:
    documented = catalogue.template("kardow", "job.created")
    assert panel.editor.toPlainText() == documented.text()
    assert panel.note_label.text() == documented.note
    assert not panel.assumed_badge.isVisible()

    panel.set_event("user.created")
    assumed = catalogue.template("kardow", "user.created")
    assert assumed.assumed
    assert panel.editor.toPlainText() == assumed.text()
    assert panel.note_label.text() == assumed.note
    assert panel.assumed_badge.isVisible()
    assert panel.assumed_badge.text() == "shape assumed"

    panel.editor.setPlainText('{"edited": true}')
    panel.reset_button.click()
    assert panel.editor.toPlainText() == assumed.text()

    panel.set_provider("kudoz")
    kind = catalogue.template("kudoz", "job_application")
    assert [panel.event_combo.itemText(i) for i in range(panel.event_combo.count())] == [
        "job_application"
    ]
    assert panel.editor.toPlainText() == kind.text()
    assert not panel.assumed_badge.isVisible()
    assert not panel.org_spin.isVisible()
    assert panel.url_edit.isVisible()


# -- firing Kardow events -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_kardow_fire_sends_the_preview_signed_with_its_fresh_values_made_as_it_left(
    panel: ComposerPanel, engine: Engine, qtmodeltester: ModelTester
) -> None:
    await add_target(engine, engine.url + "/in")
    plan = await panel.refresh_preview()
    assert plan is not None
    assert panel.plan is plan
    (request,) = plan.requests
    shown = panel.preview.message
    assert shown.line.text() == f"POST {engine.url}/in"
    headers = shown.headers.headers_model.rows()
    assert headers == list(wire_headers(request))  # Host first, Content-Length last
    assert headers[0] == ("Host", engine.url.removeprefix("http://"))
    assert shown.body.views.tabText(shown.body.views.currentIndex()) == "Raw"
    assert shown.body.raw.toPlainText() == request.body.decode()  # as sent, not re-indented
    assert panel.fire_button.toolTip() == "Send the previewed requests to 1 target (Ctrl+Return)"
    fired: list[str] = []
    panel.fired.connect(fired.append)

    attempts = await panel.fire()

    assert attempts[0].ok
    left = attempts[0].request
    (capture,) = stored_captures(engine)
    assert capture.body == left.body
    assert list(capture.headers) == list(wire_headers(left))  # what the results show, exactly
    expected = hmac.new(SECRET.encode(), capture.body, hashlib.sha256).hexdigest()
    assert capture.header("X-Kardow-Signature") == expected
    assert capture.verdict.verdict == "verified"
    # Only what the preview names as made on sending differs from what it showed.
    assert left.url == request.url
    assert left.headers.without("X-Kardow-Signature") == request.headers.without(
        "X-Kardow-Signature"
    )
    shown, sent = json.loads(request.body), json.loads(left.body)
    assert list(sent) == list(shown)
    assert sent["data"]["job_id"] != shown["data"]["job_id"]  # {{uuid}}
    assert {k: v for k, v in sent["data"].items() if k != "job_id"} == {
        k: v for k, v in shown["data"].items() if k != "job_id"
    }
    assert fired == [plan.fire_id]
    assert panel.status_label.text() == "1 delivered."
    assert panel.results.model.index(0, 2).data() == "✓ delivered (200)"
    assert panel.results.model.index(0, 3).data() == "200"
    assert panel.results.model.index(0, 4).data().endswith(" ms")
    qtmodeltester.check(panel.results.model)
    qtmodeltester.check(panel.preview.requests_model)
    # A fresh plan is ready for the next fire: never the same ids twice.
    assert panel.plan is not None
    assert panel.plan.fire_id != plan.fire_id


@pytest.mark.asyncio
async def test_two_fires_carry_fresh_ids_and_timestamps(
    panel: ComposerPanel, engine: Engine
) -> None:
    await add_target(engine, engine.url + "/in")
    await panel.refresh_preview()
    await panel.fire()
    await panel.fire()
    second, first = stored_captures(engine)
    one, two = json.loads(first.body), json.loads(second.body)
    assert one["data"]["job_id"] != two["data"]["job_id"]
    assert one["timestamp"] <= two["timestamp"]
    assert first.header("X-Hookscope-Delivery") != second.header("X-Hookscope-Delivery")
    assert "{{" not in first.body.decode()


@pytest.mark.asyncio
async def test_fan_out_previews_every_target(panel: ComposerPanel, engine: Engine) -> None:
    await add_target(engine, engine.url + "/hooks")
    await add_target(engine, engine.url + "/discord", "discord", secret=None)
    await add_target(engine, engine.url + "/slack", "slack", secret=None)
    plan = await panel.refresh_preview()
    assert plan is not None
    model = panel.preview.requests_model
    assert [model.index(row, 0).data() for row in range(model.rowCount())] == [
        "webhook",
        "discord",
        "slack",
    ]
    panel.preview.requests_view.selectRow(1)
    assert panel.preview.message.line.text() == f"POST {plan.requests[1].url}"
    assert panel.preview.message.body.raw.toPlainText() == plan.requests[1].body.decode()
    attempts = await panel.fire()
    assert [attempt.ok for attempt in attempts] == [True, True, True]
    assert panel.status_label.text() == "3 delivered."
    assert sorted(c.path for c in stored_captures(engine)) == ["/discord", "/hooks", "/slack"]


@pytest.mark.asyncio
async def test_without_a_subscribed_target_fire_is_disabled_with_the_reason(
    panel: ComposerPanel, engine: Engine
) -> None:
    await add_target(engine, engine.url + "/in", event="job.deleted")
    await panel.refresh_preview()
    problem = panel.preview.problems_label.text()
    assert problem.startswith("No enabled target is subscribed to job.created or *.")
    assert panel.preview.problems_label.isVisible()
    assert panel.fire_problem() == problem
    assert not panel.fire_button.isEnabled()
    assert panel.fire_button.toolTip() == problem
    assert panel.preview.placeholder.text() == "Nothing will be sent."
    assert panel.preview.placeholder.isVisible()
    assert not panel.preview.message.isVisible()

    panel.set_event("job.deleted")
    await panel.refresh_preview()
    assert panel.fire_button.isEnabled()
    assert not panel.preview.problems_label.isVisible()


@pytest.mark.asyncio
async def test_a_failing_target_is_said_in_words_while_the_gui_keeps_working(
    panel: ComposerPanel, engine: Engine
) -> None:
    held = HeldTarget()
    try:
        await add_target(engine, held.url)
        await add_target(engine, closed_port_url())
        await panel.refresh_preview()
        firing = spawn(panel.fire(), name="test-fire")
        await wait_until(lambda: panel.status_label.text() == "Sending to 2 targets…")
        await wait_until(held.arrived.is_set)
        assert not panel.fire_button.isEnabled()
        assert panel.fire_problem() == "Sending… wait for the results of this fire."
        # While a target holds the fire, the panel still validates what the user types.
        panel.editor.setPlainText("{")
        await wait_until(panel.error_label.isVisible)
        assert not firing.done()
        held.release.set()
        attempts = await firing
    finally:
        held.close()
    assert [attempt.ok for attempt in attempts] == [True, False]
    failed = panel.results.model.index(1, 2).data()
    assert failed.startswith("✗ could not connect to 127.0.0.1:")
    assert panel.results.model.index(1, 3).data() == "—"
    assert panel.status_label.text() == "1 delivered, 1 failed."


@pytest.mark.asyncio
async def test_ctrl_return_fires(panel: ComposerPanel, engine: Engine, qtbot: QtBot) -> None:
    await add_target(engine, engine.url + "/in")
    await panel.refresh_preview()
    panel.activateWindow()
    panel.editor.setFocus()
    press_ctrl_return(qtbot, panel.editor)
    await wait_until(lambda: panel.results.model.rowCount() == 1)
    await panel.settle()
    assert len(stored_captures(engine)) == 1


# -- firing Kudoz callbacks ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_kudoz_callback_arrives_verified(
    panel: ComposerPanel, engine: Engine, gui_db: Database
) -> None:
    store_secret(gui_db, engine, Credential("kudoz", "kz", "api-secret-1", "key-1"))
    panel.set_provider("kudoz")
    assert panel.url_edit.text() == engine.url + "/kudoz"
    assert panel.credential_combo.currentText() == "kz"
    assert not panel.credential_hint.isVisible()
    plan = await panel.refresh_preview()
    assert plan is not None
    assert panel.fire_button.isEnabled()
    (request,) = plan.requests
    assert (request.header("Authorization") or "").startswith("TOKEN key-1:")

    attempts = await panel.fire()

    assert attempts[0].ok
    (capture,) = stored_captures(engine)
    assert capture.path == "/kudoz"
    assert capture.body == attempts[0].request.body
    assert json.loads(capture.body)["id"] == json.loads(request.body)["id"]
    assert capture.verdict.provider == "kudoz"
    assert capture.verdict.verdict == "verified"


@pytest.mark.asyncio
async def test_without_a_kudoz_credential_it_says_how_to_add_one(panel: ComposerPanel) -> None:
    panel.set_provider("kudoz")
    assert await panel.refresh_preview() is None
    hint = panel.credential_hint.text()
    assert "No Kudoz credential is stored" in hint
    assert "Settings > Secrets" in hint
    assert panel.credential_hint.isVisible()
    assert not panel.fire_button.isEnabled()
    assert panel.fire_button.toolTip() == hint


# -- how it looks -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_renders_readably_in_light_and_dark(
    panel: ComposerPanel, engine: Engine, tmp_path: Path
) -> None:
    """Saves PNGs to look at (set HOOKSCOPE_SHOTS=/tmp/hookscope-shots to keep them)."""
    out = shots_dir(tmp_path)
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        with app_palette(palette):
            panel.set_event("job.created")
            await panel.refresh_preview()
            shoot(panel, out / f"composer-empty-{name}.png")
    await add_target(engine, engine.url + "/hooks/kardow", event="*")
    await add_target(engine, engine.url + "/discord", "discord", event="*", secret=None)
    await add_target(engine, engine.url + "/slack", "slack", event="*", secret=None)
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        with app_palette(palette):
            panel.set_event("user.created")
            panel.reset_to_template()
            await panel.refresh_preview()
            shoot(panel, out / f"composer-preview-{name}.png")
            panel.editor.setPlainText('{\n  "user_id": "{{uuid}}"\n  "email": 3\n}')
            await panel.refresh_preview()
            assert not panel.fire_button.isEnabled()
            shoot(panel, out / f"composer-broken-{name}.png")
    await add_target(engine, closed_port_url(), event="*")
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        with app_palette(palette):
            panel.set_event("job.created")
            panel.reset_to_template()
            await panel.refresh_preview()
            attempts = await panel.fire()
            assert len(attempts) == 4
            shoot(panel, out / f"composer-results-{name}.png")
    panel.set_provider("kudoz")
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        with app_palette(palette):
            await panel.refresh_preview()
            shoot(panel, out / f"composer-kudoz-{name}.png")
    assert len(list(out.glob("composer-*.png"))) >= 10
