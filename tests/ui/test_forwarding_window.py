"""Forwarding in the window, driven as a user drives it, against a real engine and a local app:
rules in Settings, Forward to…, the list's Forward column, the detail's Forwards tab, and
sending failed forwards again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication
from sqlite_utils import Database

from hookscope.core.forwarding import ForwardRule
from hookscope.core.model import SendPolicy
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.captures.model import CaptureTableModel
from hookscope.ui.forwarding import RECENT, ForwardToDialog, RetryFailedDialog
from hookscope.ui.settings.forwarding import ForwardRuleEditor
from hookscope.ui.window import MainWindow
from tests.integration.apps import App, free_port, running_app
from tests.integration.conftest import http
from tests.ui.conftest import SECRET, wait_until
from tests.ui.test_composer import app_palette, dark_palette, shoot, shots_dir

pytestmark = pytest.mark.asyncio

FAST = SendPolicy(connect_timeout=1.0, total_timeout=2.0, retries=0)


@pytest.fixture
def app() -> Iterator[App]:
    with running_app(SECRET) as running:
        yield running


@pytest_asyncio.fixture
async def fast(window: MainWindow, live_engine: Engine) -> AsyncIterator[MainWindow]:
    """The window over an engine that gives up on an app at once (no retries)."""
    await window.client.save_send_policy(FAST)
    yield window


def post(engine: Engine, path: str = "/hooks/kardow", body: bytes = b'{"id": 7}') -> int:
    assert engine.listener is not None
    reply = http(engine.listener.port, "POST", path, [("Content-Type", "application/json")], body)
    assert reply.status == 200, reply
    return int(reply.json()["capture_id"])


def forward_cell(window: MainWindow, capture_id: int) -> str:
    model = window.captures.model
    row = model.row_of(capture_id)
    if row is None:
        return ""
    return str(model.data(model.index(row, CaptureTableModel.FORWARD)))


async def shown(window: MainWindow, capture_id: int, text: str) -> None:
    await wait_until(lambda: forward_cell(window, capture_id) == text)


async def selected(window: MainWindow, capture_id: int) -> None:
    """Select the capture and wait for its detail, Forwards tab included."""
    assert window.show_capture(capture_id)
    detail = window.captures.detail
    await wait_until(lambda: detail.capture is not None and detail.capture.id == capture_id)


def add_rule(engine: Engine, url: str, **fields: object) -> None:
    rule = ForwardRule(pattern="*", url=url, **fields)  # type: ignore[arg-type]
    engine.call(engine.save_forward_rule(rule)).result(10)


async def open_editor(window: MainWindow) -> ForwardRuleEditor:
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.tabs.setCurrentWidget(dialog.forwarding)
    editor = dialog.forwarding.add_forward()
    assert dialog.forwarding.forward_editor is editor
    return editor


async def test_a_rule_added_in_settings_forwards_and_the_list_says_delivered(
    fast: MainWindow, live_engine: Engine, app: App, gui_db: Database, tmp_path: Path
) -> None:
    window = fast
    editor = await open_editor(window)
    dialog = window.settings_dialog
    assert dialog is not None
    assert dialog.forwarding.empty_label.isVisible()
    out = shots_dir(tmp_path)
    shoot(dialog, out / "settings-forwarding-empty-light.png")
    editor.url_edit.setText(app.url("/answer"))
    await editor.settle()
    assert editor.ok_button.isEnabled(), editor.error_label.text()
    editor.ok_button.click()
    await wait_until(lambda: len(dialog.forwarding.entries) == 1)
    assert dialog.forwarding.is_dirty()
    assert await dialog.save()
    assert [r.url for r in reads.list_forward_rules(gui_db)] == [app.url("/answer")]

    capture_id = post(live_engine, "/kardow/jobs?x=1")
    await shown(window, capture_id, "delivered 201")
    assert app.requests()[0].path == "/answer/kardow/jobs?x=1"
    model = window.captures.model
    row = model.row_of(capture_id)
    assert row is not None
    tip = model.data(model.index(row, CaptureTableModel.FORWARD), Qt.ItemDataRole.ToolTipRole)
    assert app.url("/answer/kardow/jobs?x=1") in tip


async def test_the_editor_says_what_is_wrong_beside_the_form_and_keeps_ok_disabled(
    window: MainWindow,
) -> None:
    editor = await open_editor(window)
    editor.url_edit.setText("localhost:3000/hook")
    await editor.settle()
    assert not editor.ok_button.isEnabled()
    assert editor.error_label.isVisible()
    assert editor.error_label.text().startswith("The forward URL")
    assert editor.ok_button.toolTip() == editor.error_label.text()

    editor.url_edit.setText("http://localhost:3000/hook")
    editor.provider_combo.setCurrentIndex(editor.provider_combo.findData("kudoz"))
    editor.resign_combo.setCurrentIndex(editor.resign_combo.findData("prod"))
    await editor.settle()
    assert editor.error_label.text() == (
        "The secret 'prod' is a kardow secret, but the rule forwards kudoz deliveries."
    )
    assert not await editor.submit()  # Enter while it is wrong: the form stays open
    assert editor.isVisible()

    editor.provider_combo.setCurrentIndex(editor.provider_combo.findData("kardow"))
    editor.event_edit.setText("job.*")
    editor.strip_edit.setText("/kardow")
    await editor.settle()
    assert editor.ok_button.isEnabled()
    assert not editor.error_label.isVisible()
    assert await editor.submit()
    dialog = window.settings_dialog
    assert dialog is not None
    rule = dialog.forwarding.items()[0]
    assert (rule.provider, rule.event, rule.strip_prefix, rule.resign) == (
        "kardow",
        "job.*",
        "/kardow",
        "prod",
    )


async def test_app_down_is_failed_and_send_again_delivers_once_it_is_up(
    fast: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    window = fast
    port = free_port()
    add_rule(live_engine, f"http://127.0.0.1:{port}/answer")
    capture_id = post(live_engine)
    await shown(window, capture_id, "failed")
    await selected(window, capture_id)
    view = window.captures.detail.forwards
    await wait_until(lambda: bool(view.states) and view.states[0].last is not None)
    assert view.badge.word == "failed"
    assert view.outcome.text().startswith("No answer from your app: ")
    assert view.send_again_button.isEnabled()
    detail = window.captures.detail
    assert detail.tabToolTip(detail.FORWARDS) == "1 forward of this capture, 1 not delivered"

    with running_app(SECRET, port) as app:
        window.captures.table.setFocus()
        window.forwarding.send_again_action.trigger()  # Ctrl+G
        await shown(window, capture_id, "delivered 201")
        assert len(app.requests()) == 1
    await wait_until(lambda: view.badge.word == "delivered")
    assert view.states[0].attempts == 2
    assert not view.send_again_button.isEnabled()
    assert "replay the capture" in view.send_again_button.toolTip()
    assert window.forwarding.send_again_action.shortcut().toString() == "Ctrl+G"


async def test_the_detail_shows_the_apps_status_headers_and_body(
    fast: MainWindow, live_engine: Engine, app: App, tmp_path: Path
) -> None:
    window = fast
    add_rule(live_engine, app.url("/answer"))
    add_rule(live_engine, f"http://127.0.0.1:{free_port()}/down", position=1)
    capture_id = post(live_engine)
    await shown(window, capture_id, "failed (+1)")
    await selected(window, capture_id)
    view = window.captures.detail.forwards
    await wait_until(lambda: len(view.states) == 2 and all(s.last for s in view.states))
    assert view.badge.word == "delivered"
    assert view.outcome.text() == "Delivered: your app answered 201 Created."
    answer = view.answer_view
    assert answer.line.text().startswith("Answered 201 Created after ")
    assert ("X-App", "yes") in [tuple(h) for h in answer.headers.headers_model.rows()]
    assert answer.body.raw.toPlainText() == '{"created": "by the app"}'
    assert view.request_view.body.raw.toPlainText() == '{"id": 7}'

    view.table.selectRow(1)
    assert view.badge.word == "failed"
    assert view.send_again_button.isEnabled()
    window.captures.detail.setCurrentIndex(window.captures.detail.FORWARDS)
    out = shots_dir(tmp_path)
    shoot(window, out / "forwards-detail-light.png")
    with app_palette(dark_palette()):
        shoot(window, out / "forwards-detail-dark.png")


async def test_forward_to_starts_says_so_above_the_list_and_stops(
    fast: MainWindow, live_engine: Engine, app: App, gui_db: Database, tmp_path: Path
) -> None:
    window = fast
    line = window.forwarding.line
    assert not line.isVisible()
    assert window.captures.filters.forward_button.defaultAction() is (
        window.forwarding.forward_to_action
    )
    window.forwarding.forward_to_action.trigger()  # Ctrl+Shift+F, or the bar's button
    dialog = window.forwarding.forward_to_dialog
    assert isinstance(dialog, ForwardToDialog)
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert not dialog.stop_button.isEnabled()

    dialog.url_box.setCurrentText("ftp://127.0.0.1/x")
    assert not await dialog.start()
    assert dialog.status_label.text().startswith("The forward URL 'ftp://127.0.0.1/x'")
    assert live_engine.forwarding.forward_to == ()

    dialog.url_box.setCurrentText(app.url("/answer"))
    assert await dialog.start()
    assert not dialog.isVisible()
    assert line.isVisible()
    assert app.url("/answer") in line.label.text()
    assert "this session only" in line.label.text()
    assert reads.get_setting(gui_db, RECENT, []) == [app.url("/answer")]
    capture_id = post(live_engine, "/one")
    await shown(window, capture_id, "delivered 201")
    shoot(window, shots_dir(tmp_path) / "forward-to-on-light.png")

    line.stop_button.click()
    await wait_until(lambda: not line.isVisible())
    assert live_engine.forwarding.forward_to == ()
    later = post(live_engine, "/two")
    await wait_until(lambda: window.captures.model.row_of(later) is not None)
    assert forward_cell(window, later) == "—"
    assert len(app.requests()) == 1

    reopened = window.forwarding.open_forward_to()
    assert reopened.url_box.itemText(0) == app.url("/answer")  # remembered


async def test_send_failed_forwards_again_for_a_period(
    fast: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    window = fast
    port = free_port()
    add_rule(live_engine, f"http://127.0.0.1:{port}/answer")
    ids = [post(live_engine, f"/n/{n}") for n in range(2)]
    for capture_id in ids:
        await shown(window, capture_id, "failed")

    window.forwarding.retry_failed_action.trigger()  # Ctrl+Shift+G
    dialog = window.forwarding.retry_dialog
    assert isinstance(dialog, RetryFailedDialog)
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert not dialog.cancel_button.isEnabled()

    dialog.period_box.setCurrentIndex(2)  # from… to…
    now = QDateTime.currentDateTime()
    dialog.since_edit.setDateTime(now.addDays(-2))
    dialog.until_edit.setDateTime(now.addDays(-3))
    assert await dialog.run() is None
    assert dialog.status_label.text() == "The end of the period must come after its start."
    dialog.until_edit.setDateTime(now.addDays(-1))
    assert await dialog.run() == []
    assert dialog.status_label.text() == "No failed or unsent forward was made in that period."

    with running_app(SECRET, port) as app:
        dialog.period_box.setCurrentIndex(0)  # the last hour
        dialog.send_button.click()
        await wait_until(lambda: dialog.last_result is not None and len(dialog.last_result) == 2)
        await dialog.settle()
        assert dialog.status_label.text() == "2 forwards sent again: 2 delivered."
        assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
        for capture_id in ids:
            await shown(window, capture_id, "delivered 201")
        assert sorted(r.path for r in app.requests()) == ["/answer/n/0", "/answer/n/1"]
    shoot(dialog, shots_dir(tmp_path) / "retry-failed-light.png")
    QApplication.processEvents()
