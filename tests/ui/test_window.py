"""The main window, driven for real: deliveries over sockets, a real store, a qasync loop."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.model import Credential, ListenerSettings
from hookscope.core.providers import kardow
from hookscope.core.tasks import spawn
from hookscope.engine import Engine
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.ui.captures.detail import ChecksModel
from hookscope.ui.captures.model import CaptureTableModel
from hookscope.ui.widgets.headers import HeadersModel
from hookscope.ui.widgets.records import RecordRole
from hookscope.ui.window import MainWindow
from tests.integration.conftest import Reply, http, read_reply
from tests.ui.conftest import SECRET, wait_until

C = CaptureTableModel


def kardow_body(event: str = "job.created", **data: Any) -> bytes:
    envelope = {"event": event, "organization_id": 42, "timestamp": 1700000000, "data": data}
    return json.dumps(envelope).encode()


def signed(body: bytes, secret: str = SECRET) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json"),
        ("X-Kardow-Signature", kardow.sign(secret, body)),
    ]


def port_of(engine: Engine) -> int:
    assert engine.listener is not None
    return engine.listener.port


async def post(engine: Engine, path: str, body: bytes, headers: Any = None) -> Reply:
    return await asyncio.to_thread(http, port_of(engine), "POST", path, headers or [], body)


async def deliver_mix(engine: Engine) -> None:
    """A verified Kardow delivery, a badly signed one, a Kudoz callback, and a plain GET."""
    good = kardow_body("job.created", title="Welder")
    await post(engine, "/kardow", good, signed(good))
    bad = kardow_body("candidate.hired", name="Ada")
    await post(engine, "/kardow", bad, signed(bad, "not-the-secret"))
    await post(
        engine,
        "/kudoz/callback",
        b'{"id": "a1", "kind": "application.received"}',
        [("Content-Type", "application/json")],
    )
    await asyncio.to_thread(http, port_of(engine), "GET", "/health?probe=1")


def column(window: MainWindow, row: int, col: int) -> str:
    return str(window.captures.model.index(row, col).data())


def rows(window: MainWindow, col: int) -> list[str]:
    return [column(window, row, col) for row in range(window.captures.model.rowCount())]


# -- the live list ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_delivery_posted_over_a_socket_appears_in_the_list(
    window: MainWindow, live_engine: Engine
) -> None:
    # The desktop shows "Webhook inspector — Hookscope": Qt adds the app's display name.
    assert window.windowTitle() == "Webhook inspector"
    assert window.url.text() == live_engine.url
    assert window.captures.model.rowCount() == 0
    assert window.captures.empty_hint.isVisible()
    assert live_engine.url in window.captures.empty_hint.text()

    body = kardow_body(title="Welder")
    reply = await post(live_engine, "/hooks/kardow", body, signed(body))
    assert reply.status == 200

    await wait_until(lambda: window.captures.model.rowCount() == 1)
    assert column(window, 0, C.METHOD) == "POST"
    assert column(window, 0, C.PATH) == "/hooks/kardow"
    assert column(window, 0, C.PROVIDER) == "Kardow"
    assert column(window, 0, C.EVENT) == "job.created"
    assert column(window, 0, C.VERDICT) == "verified"
    assert column(window, 0, C.STATUS) == "200"
    assert column(window, 0, C.SIZE) == f"{len(body)} B"
    assert window.captures.model.index(0, 0).data(RecordRole).id == reply.json()["capture_id"]
    assert not window.captures.empty_hint.isVisible()
    await wait_until(lambda: "1 captured" in window.stats.text())


@pytest.mark.asyncio
async def test_a_burst_is_inserted_in_batches_newest_first(
    window: MainWindow, live_engine: Engine
) -> None:
    inserts: list[int] = []
    window.captures.model.rowsInserted.connect(
        lambda _p, first, last: inserts.append(last - first + 1)
    )

    def burst() -> None:
        for n in range(60):
            http(port_of(live_engine), "POST", f"/burst/{n}", body=b"{}")

    await asyncio.to_thread(burst)
    await wait_until(lambda: window.captures.model.rowCount() == 60)
    assert rows(window, C.PATH) == [f"/burst/{n}" for n in reversed(range(60))]
    # Never one insert per request: 60 requests arrive in fewer inserts.
    assert sum(inserts) == 60
    assert len(inserts) < 60


@pytest.mark.asyncio
async def test_new_captures_keep_the_selection_and_what_the_user_reads_in_place(
    window: MainWindow, live_engine: Engine, qtbot: QtBot
) -> None:
    def burst(prefix: str, count: int) -> None:
        for n in range(count):
            http(port_of(live_engine), "POST", f"/{prefix}/{n}", body=b"{}")

    await asyncio.to_thread(burst, "old", 120)
    await wait_until(lambda: window.captures.model.rowCount() == 120)
    window.captures.filters.follow.setChecked(False)
    window.captures.table.verticalScrollBar().setValue(600)
    await asyncio.sleep(0.05)
    top = window.captures.table.indexAt(QPoint(5, 5)).row()
    reading = window.captures.model.summary(top).id
    window.captures.table.selectRow(top + 2)
    chosen = window.captures.current_id()

    await asyncio.to_thread(burst, "new", 15)
    await wait_until(lambda: window.captures.model.rowCount() == 135)
    await asyncio.sleep(0.05)

    assert window.captures.current_id() == chosen
    assert window.captures.selected_ids() == [chosen]
    assert (
        window.captures.model.summary(window.captures.table.indexAt(QPoint(5, 5)).row()).id
        == reading
    )
    assert not window.captures.filters.follow.isChecked()


@pytest.mark.asyncio
async def test_auto_follow_keeps_the_newest_in_view(
    window: MainWindow, live_engine: Engine
) -> None:
    await asyncio.to_thread(lambda: [http(port_of(live_engine), "GET", f"/{n}") for n in range(80)])
    await wait_until(lambda: window.captures.model.rowCount() == 80)
    assert window.captures.filters.follow.isChecked()
    await post(live_engine, "/newest", b"{}")
    await wait_until(lambda: window.captures.model.rowCount() == 81)
    assert window.captures.table.verticalScrollBar().value() == 0
    assert column(window, window.captures.table.indexAt(QPoint(5, 5)).row(), C.PATH) == "/newest"


# -- filters ------------------------------------------------------------------------------------


async def says_matches(window: MainWindow, text: str) -> None:
    """The status beside the filters says `text` (matches are counted off the GUI thread)."""
    await wait_until(lambda: window.captures.filters.matches.text() == text)


@pytest.mark.asyncio
async def test_filters_narrow_the_list_and_count_the_matches(
    window: MainWindow, live_engine: Engine
) -> None:
    await deliver_mix(live_engine)
    await wait_until(lambda: window.captures.model.rowCount() == 4)
    await says_matches(window, "4 captures")

    window.captures.filters.verdict.setCurrentIndex(
        window.captures.filters.verdict.findData("failed")
    )
    await window.settle()  # the rows are read off the GUI thread
    assert rows(window, C.EVENT) == ["candidate.hired"]
    await says_matches(window, "1 matching")

    window.captures.filters.verdict.setCurrentIndex(0)
    window.captures.filters.provider.setCurrentIndex(
        window.captures.filters.provider.findData("kudoz")
    )
    await window.settle()
    assert rows(window, C.PATH) == ["/kudoz/callback"]
    window.captures.filters.provider.setCurrentIndex(
        window.captures.filters.provider.findData("none")
    )
    await window.settle()
    assert rows(window, C.PATH) == ["/health?probe=1"]

    window.captures.filters.provider.setCurrentIndex(0)
    window.captures.filters.method.setCurrentIndex(window.captures.filters.method.findData("POST"))
    await window.settle()
    assert window.captures.model.rowCount() == 3

    window.captures.filters.search.setText("Welder")
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    assert rows(window, C.EVENT) == ["job.created"]
    await says_matches(window, "1 matching")

    window.captures.filters.search.setText("nothing-like-this")
    await wait_until(lambda: window.captures.model.rowCount() == 0)
    assert window.captures.empty_hint.isVisible()
    assert "No capture matches" in window.captures.empty_hint.text()

    window.clear_filters_action.trigger()
    await window.settle()
    assert window.captures.model.rowCount() == 4


@pytest.mark.asyncio
async def test_new_captures_respect_the_filter(window: MainWindow, live_engine: Engine) -> None:
    window.captures.filters.method.setCurrentIndex(window.captures.filters.method.findData("GET"))
    await post(live_engine, "/ignored", b"{}")
    await asyncio.to_thread(http, port_of(live_engine), "GET", "/shown")
    # /shown came after /ignored: the update that inserted it has looked at /ignored too.
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    assert rows(window, C.PATH) == ["/shown"]
    await says_matches(window, "1 matching")


# -- the detail pane ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_selecting_a_capture_fills_every_tab(window: MainWindow, live_engine: Engine) -> None:
    body = kardow_body(title="Welder <b>night shift</b>")
    headers = [*signed(body), ("X-Trace", "one"), ("x-trace", "<img src=x>")]
    reply = await post(live_engine, "/hooks/kardow?x=<i>1</i>", body, headers)
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    window.captures.table.selectRow(0)
    detail = window.captures.detail
    await wait_until(lambda: detail.capture is not None)
    assert detail.capture is not None
    assert detail.capture.id == reply.json()["capture_id"]

    # Captured text is shown as it came, never interpreted as HTML.
    assert detail.fields["Request"].text() == "POST /hooks/kardow?x=<i>1</i> HTTP/1.1"
    assert detail.fields["Provider"].text() == "Kardow"
    assert detail.fields["Event"].text() == "job.created"
    assert detail.overview_badge.text() == "verified"

    sent = [(name, value) for name, value in detail.headers.headers_model.rows()]
    assert sent[-4:-2] == [("X-Trace", "one"), ("x-trace", "<img src=x>")]
    assert detail.headers.headers_model.rowCount() == len(sent)

    await wait_until(lambda: detail.body.raw.toPlainText() == body.decode())

    assert detail.badge.text() == "verified"
    assert detail.verdict_detail.text() == "Signature matches the secret 'prod'."
    assert detail.checks_model.rowCount() >= 2
    steps = [detail.checks_model.index(r, 0).data() for r in range(detail.checks_model.rowCount())]
    assert any("prod" in step for step in steps)
    assert "prod" in detail.matched.text()

    assert detail.response_view.line.text() == "Answered 200"
    assert (
        json.loads(detail.response_view.body.raw.toPlainText())["capture_id"] == detail.capture.id
    )
    for tab in range(detail.count()):
        assert detail.isTabEnabled(tab)


@pytest.mark.asyncio
async def test_a_failed_signature_is_explained(window: MainWindow, live_engine: Engine) -> None:
    body = kardow_body()
    await post(live_engine, "/kardow", body, signed(body, "an-old-secret"))
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    window.captures.table.selectRow(0)
    detail = window.captures.detail
    await wait_until(lambda: detail.capture is not None)
    assert detail.badge.text() == "failed"
    assert "prod" in detail.verdict_detail.text()
    results = [
        detail.checks_model.index(r, 2).data() for r in range(detail.checks_model.rowCount())
    ]
    assert any("fail" in result for result in results)


@pytest.mark.asyncio
async def test_the_empty_state_before_anything_is_selected(window: MainWindow) -> None:
    assert window.captures.detail.capture is None
    assert window.captures.detail.empty.isVisible()
    assert not window.captures.detail.isTabEnabled(window.captures.detail.BODY)


# How long the GUI loop is held meanwhile is measured by `hookscope bench --gui`, not here.
@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_5mb_body_is_shown_in_part(window: MainWindow, live_engine: Engine) -> None:
    items = [
        {"id": n, "title": f"Welder, night shift {n}", "tags": ["a", "b"]} for n in range(90_000)
    ]
    body = json.dumps({"event": "job.created", "data": items}).encode()
    assert len(body) > 5 * 1024 * 1024
    await post(live_engine, "/big", body, [("Content-Type", "application/json")])
    await wait_until(lambda: window.captures.model.rowCount() == 1)

    window.captures.table.selectRow(0)
    window.captures.detail.setCurrentIndex(window.captures.detail.BODY)
    await wait_until(lambda: window.captures.detail.body.limit_bar.isVisible(), within=30)
    assert len(window.captures.detail.body.raw.toPlainText()) < len(body)


# -- models -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_models_pass_qt_model_tester(
    window: MainWindow, live_engine: Engine, qtmodeltester: Any
) -> None:
    await deliver_mix(live_engine)
    await wait_until(lambda: window.captures.model.rowCount() == 4)
    qtmodeltester.check(window.captures.model)
    window.captures.table.selectRow(0)
    qtmodeltester.check(window.captures.detail.headers.headers_model)
    window.captures.table.selectRow(3)
    qtmodeltester.check(window.captures.detail.checks_model)
    qtmodeltester.check(HeadersModel())
    qtmodeltester.check(ChecksModel())


# -- what the user does to captures -------------------------------------------------------------


def answer(window: MainWindow, button_text: str) -> None:
    box = window.captures.question
    assert box is not None
    assert box.isVisible()
    button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
    button.click()


@pytest.mark.asyncio
async def test_delete_one_after_confirming_and_the_next_is_selected(
    window: MainWindow, live_engine: Engine, gui_db: Database
) -> None:
    await deliver_mix(live_engine)
    await wait_until(lambda: window.captures.model.rowCount() == 4)
    window.captures.table.setFocus()
    window.captures.table.selectRow(1)
    doomed = window.captures.current_id()
    window.delete_action.trigger()
    answer(window, "Cancel")
    await window.settle()
    assert window.captures.model.rowCount() == 4

    window.delete_action.trigger()
    assert window.captures.question is not None
    assert "#" in window.captures.question.text()
    answer(window, "Delete")
    await window.settle()
    assert window.captures.model.rowCount() == 3
    assert window.statusBar().currentMessage() == "Deleted 1 capture."
    assert doomed is not None
    assert capture_store.get_capture(gui_db, doomed) is None
    assert window.captures.current_id() is not None
    assert window.captures.current_id() != doomed


@pytest.mark.asyncio
async def test_delete_selected_and_delete_all(
    window: MainWindow, live_engine: Engine, gui_db: Database
) -> None:
    await deliver_mix(live_engine)
    await deliver_mix(live_engine)
    await wait_until(lambda: window.captures.model.rowCount() == 8)
    window.captures.table.selectAll()
    window.captures.table.clearSelection()
    for row in (0, 2):
        window.captures.table.selectionModel().select(
            window.captures.model.index(row, 0),
            window.captures.table.selectionModel().SelectionFlag.Select
            | window.captures.table.selectionModel().SelectionFlag.Rows,
        )
    window.captures.ask_delete_selected()
    assert window.captures.question is not None
    assert "these 2 captures" in window.captures.question.text()
    answer(window, "Delete")
    await window.settle()
    assert capture_store.newest_and_count(gui_db)[1] == 6
    assert window.captures.model.rowCount() == 6

    window.delete_all_action.trigger()
    assert window.captures.question is not None
    assert "all 6 captures" in window.captures.question.text()
    answer(window, "Delete")
    await window.settle()
    assert capture_store.newest_and_count(gui_db)[1] == 0
    assert window.captures.model.rowCount() == 0
    assert window.captures.detail.capture is None
    # The listener still captures after a delete-all.
    await post(live_engine, "/after", b"{}")
    await wait_until(lambda: window.captures.model.rowCount() == 1)


@pytest.mark.asyncio
async def test_star_and_note_are_saved(
    window: MainWindow, live_engine: Engine, gui_db: Database
) -> None:
    await deliver_mix(live_engine)
    await wait_until(lambda: window.captures.model.rowCount() == 4)
    window.captures.table.setFocus()
    window.captures.table.selectRow(0)
    capture_id = window.captures.current_id()
    assert capture_id is not None
    await wait_until(lambda: window.captures.detail.capture is not None)
    window.star_action.trigger()
    await window.settle()
    assert column(window, 0, C.STAR) == "★"
    assert window.captures.detail.star_button.isChecked()
    window.captures.filters.starred_only.setChecked(True)
    await window.settle()
    assert window.captures.model.rowCount() == 1
    window.captures.filters.starred_only.setChecked(False)
    await window.settle()

    window.captures.table.selectRow(window.captures.model.row_of(capture_id) or 0)
    await window.settle()
    window.captures.detail.note.setPlainText("retry with the staging secret")
    await wait_until(lambda: window.captures.model.summary(0).note != "")
    await window.settle()
    stored = capture_store.get_capture(gui_db, capture_id)
    assert stored is not None
    assert stored.starred
    assert stored.note == "retry with the staging secret"


@pytest.mark.asyncio
async def test_ctrl_c_on_a_row_copies_the_body(window: MainWindow, live_engine: Engine) -> None:
    body = kardow_body(title="Copy me")
    await post(live_engine, "/copy", body)
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    window.captures.table.selectRow(0)
    window.copy_body_action.trigger()
    await window.settle()
    assert QGuiApplication.clipboard().text() == body.decode()
    assert window.copy_body_action.shortcut().toString() == "Ctrl+C"
    assert window.delete_action.shortcut().toString() == "Del"
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"


@pytest.mark.asyncio
async def test_ctrl_f_focuses_the_search(window: MainWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    window.find_action.trigger()
    assert (
        window.captures.filters.search.hasFocus()
        or QApplication.focusWidget() is window.captures.filters.search
    )


@pytest.mark.asyncio
async def test_verify_again_uses_the_secrets_stored_now(
    window: MainWindow, live_engine: Engine, gui_db: Database
) -> None:
    body = kardow_body()
    await post(live_engine, "/kardow", body, signed(body, "staging-secret"))
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    assert column(window, 0, C.VERDICT) == "failed"
    vault = load_vault(live_engine.key_file, create=False)
    assert vault is not None
    credential_store.add_credential(
        gui_db, vault, Credential("kardow", "staging", "staging-secret")
    )
    window.captures.table.selectRow(0)
    await window.captures.reverify(window.captures.selected_ids())
    assert column(window, 0, C.VERDICT) == "verified"
    assert window.captures.detail.badge.text() == "verified"


# -- the listener -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_stop_and_start_the_listener(window: MainWindow, live_engine: Engine) -> None:
    port = port_of(live_engine)
    await window.stop_listener()
    assert window.listen_button.text() == "Start"
    assert "Stopped" in window.listen_state.text()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.to_thread(http, port, "GET", "/closed")
    assert await window.start_listener()
    assert window.listen_button.text() == "Stop"
    reply = await asyncio.to_thread(http, port_of(live_engine), "GET", "/open")
    assert reply.status == 200


@pytest.mark.asyncio
async def test_a_port_in_use_is_explained_not_fatal(
    data_dir: Path, gui_db: Database, qtbot: QtBot
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    engine = Engine(
        data_dir, overrides={"host": "127.0.0.1", "port": taken.getsockname()[1], "api_port": 0}
    )
    engine.start(listen=False)
    try:
        window = MainWindow(engine, gui_db)
        qtbot.addWidget(window)
        window.show()
        assert not await window.start_listener()
        assert "in use" in window.listen_error or "port" in window.listen_error.lower()
        assert window.listen_button.text() == "Start"
        assert window.listen_error in window.url.text()
        window.bridge.detach()
    finally:
        engine.stop()
        taken.close()


# -- state and shutdown -------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_filters_and_layout_persist(
    live_engine: Engine, gui_db: Database, qtbot: QtBot
) -> None:
    first = MainWindow(live_engine, gui_db)
    qtbot.addWidget(first)
    first.show()
    first.captures.filters.verdict.setCurrentIndex(
        first.captures.filters.verdict.findData("failed")
    )
    first.captures.filters.search.setText("welder")
    first.captures.filters.follow.setChecked(False)
    first.captures.splitter.setSizes([700, 300])
    sizes = first.captures.splitter.sizes()
    first.close()
    assert isinstance(settings_store.get_setting(gui_db, "ui.window"), dict)

    second = MainWindow(live_engine, gui_db)
    qtbot.addWidget(second)
    second.show()
    assert second.captures.filters.verdict.currentData() == "failed"
    assert second.captures.filters.search.text() == "welder"
    assert not second.captures.filters.follow.isChecked()
    shown = second.captures.splitter.sizes()
    assert abs(shown[0] / sum(shown) - sizes[0] / sum(sizes)) < 0.02
    second.bridge.detach()


@pytest.mark.asyncio
async def test_broken_saved_state_is_ignored(
    live_engine: Engine, gui_db: Database, qtbot: QtBot
) -> None:
    settings_store.set_setting(gui_db, "ui.window", {"geometry": "not base64!", "filters": 3})
    window = MainWindow(live_engine, gui_db)
    qtbot.addWidget(window)
    assert window.captures.filters.verdict.currentIndex() == 0
    window.bridge.detach()


@pytest.mark.asyncio
async def test_closing_the_window_commits_in_flight_deliveries_and_exits_cleanly(
    data_dir: Path, qtbot: QtBot
) -> None:
    from hookscope.ui import app as gui_app

    settings_db = open_store(data_dir)
    settings_store.save_listener_settings(settings_db, ListenerSettings(port=0))
    settings_db.close()
    running = asyncio.get_running_loop().create_future()

    async def run_app() -> None:
        running.set_result(await gui_app.main(data_dir, {}))

    task = spawn(run_app(), name="the app")

    def main_window() -> MainWindow | None:
        # Windows of earlier tests may still be around (closed, not yet deleted): find ours.
        found = [
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, MainWindow)
            and widget.engine.directory == data_dir
            and widget.engine.url
        ]
        return found[0] if found else None

    await wait_until(lambda: main_window() is not None)
    window = main_window()
    assert window is not None
    port = port_of(window.engine)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /in-flight HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
    await asyncio.sleep(0.2)
    window.close()
    await asyncio.sleep(0.1)
    sock.sendall(b"67890")
    reply = await asyncio.to_thread(read_reply, sock)
    sock.close()
    assert await asyncio.wait_for(running, 30) == 0
    await task
    assert reply.status == 200
    db = open_store(data_dir)
    stored = capture_store.get_capture(db, reply.json()["capture_id"])
    db.close()
    assert stored is not None
    assert stored.body == b"1234567890"


@pytest.mark.asyncio
async def test_settings_open_from_the_window_and_a_new_port_shows_in_the_bar(
    window: MainWindow, live_engine: Engine
) -> None:
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    assert dialog.isVisible()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    dialog.listener.port_spin.setValue(port)
    assert await dialog.listener.apply_listener()
    assert window.url.text() == f"http://127.0.0.1:{port}"
    reply = await asyncio.to_thread(http, port, "GET", "/moved")
    assert reply.status == 200
    await wait_until(lambda: column(window, 0, C.PATH) == "/moved")


def test_the_app_collects_garbage_on_the_gui_thread_only(qtbot: QtBot) -> None:
    import gc

    from hookscope.ui.app import GarbageCollector

    collector = GarbageCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        cycle: list[Any] = []
        cycle.append(cycle)
        del cycle
        threshold = gc.get_threshold()[0]
        for _ in range(threshold + 1):
            junk: list[Any] = []
            junk.append(junk)
        before = gc.get_count()[0]
        collector.check()
        assert gc.get_count()[0] < before
    finally:
        collector.stop()
    assert gc.isenabled()


@pytest.mark.asyncio
async def test_the_detail_never_shows_a_capture_the_list_no_longer_shows(
    window: MainWindow, live_engine: Engine
) -> None:
    await deliver_mix(live_engine)
    await wait_until(lambda: window.captures.model.rowCount() == 4)
    page, filters = window.captures, window.captures.filters

    async def select_health_check() -> int:
        await window.settle()
        (row,) = [r for r in range(page.model.rowCount()) if page.model.item(r).method == "GET"]
        page.table.selectRow(row)
        await window.settle()
        assert page.detail.capture is not None
        return page.detail.capture.id

    # A filter change: only failed verdicts (the health check is n/a).
    shown = await select_health_check()
    filters.verdict.setCurrentIndex(filters.verdict.findData("failed"))
    page.apply_filters()
    await window.settle()
    assert page.model.row_of(shown) is None
    assert page.detail.capture is None
    assert page.detail.empty.isVisible()

    # A search that does not find it.
    filters.clear()
    page.apply_filters()
    await select_health_check()
    filters.search.setText("kudoz")
    page.apply_filters()
    await window.settle()
    assert page.detail.capture is None


@pytest.mark.asyncio
async def test_every_built_in_scheme_is_a_provider_filter(
    window: MainWindow, live_engine: Engine
) -> None:
    filters = window.captures.filters
    offered = [filters.provider.itemText(i) for i in range(filters.provider.count())]
    assert offered == [
        "All providers",
        "Kardow",
        "Kudoz",
        "Standard Webhooks",
        "Stripe",
        "GitHub",
        "Slack",
        "Shopify",
        "No provider",
    ]
    await deliver_mix(live_engine)
    stripe_body = b'{"id": "evt_1", "type": "invoice.paid"}'
    await post(live_engine, "/stripe", stripe_body, [("Stripe-Signature", "t=1,v1=00")])
    await wait_until(lambda: window.captures.model.rowCount() == 5)
    filters.provider.setCurrentIndex(filters.provider.findData("stripe"))
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    assert rows(window, C.PATH) == ["/stripe"]
