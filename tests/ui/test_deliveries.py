"""The delivery log, live: real sends to a real receiver, a real store, a qasync loop."""

from __future__ import annotations

import asyncio
import json
import shlex
import socket
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.model import (
    Attempt,
    DeliveryQuery,
    Outgoing,
    Plan,
    SendPolicy,
    decode_header,
    header_bytes,
)
from hookscope.engine import Engine
from hookscope.storage import deliveries as delivery_store
from hookscope.storage import reads
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.deliveries.model import DeliveryTableModel
from hookscope.ui.deliveries.panel import DeliveriesPanel
from hookscope.ui.deliveries.text import curl_for
from hookscope.ui.formats import clipboard_body
from hookscope.ui.widgets.paging import PLACEHOLDER
from hookscope.ui.widgets.records import RecordRole
from tests.integration.receiver import Receiver, running_receiver
from tests.rawserver import recording_server
from tests.ui.conftest import wait_until

M = DeliveryTableModel
HEADERS = (("Content-Type", "application/json"), ("X-Kardow-Signature", "ab" * 32))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def gui_db(engine: Engine) -> Iterator[Database]:
    db = open_store(engine.directory)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def bridge(engine: Engine) -> Iterator[EngineBridge]:
    made = EngineBridge(engine)
    yield made
    made.detach()


@pytest_asyncio.fixture
async def panel(
    engine: Engine, gui_db: Database, bridge: EngineBridge, qtbot: QtBot
) -> AsyncIterator[DeliveriesPanel]:
    shown = DeliveriesPanel(engine, gui_db, bridge)
    qtbot.addWidget(shown)
    shown.resize(1100, 700)
    shown.show()
    await shown.settle()  # its first page is read off the GUI thread
    yield shown
    await shown.settle()


@pytest.fixture
def announced(panel: DeliveriesPanel, bridge: EngineBridge) -> list[int]:
    """The newest attempt ids the bridge announced, recorded after the panel took each in
    (connected after the panel's own slot, so Qt calls it second)."""
    newest: list[int] = []
    bridge.delivered.connect(lambda upto, count: newest.append(upto))
    return newest


async def taken_in(panel: DeliveriesPanel, announced: list[int], attempts: list[Attempt]) -> None:
    """Return once the panel has looked at every one of `attempts`: the update that would show
    them has run, whether or not it inserted a row."""
    logged = max(attempt.id or 0 for attempt in attempts)
    await wait_until(lambda: max(announced, default=0) >= logged)
    panel.insert_new()  # what its 50 ms batch timer runs next, run now


def outgoing(url: str, body: bytes = b'{"event": "job.created"}', **fields: object) -> Outgoing:
    made = Outgoing(url=url, body=body, headers=HEADERS, kind="webhook", event="job.created")
    return replace(made, **fields)  # type: ignore[arg-type]


async def fire(engine: Engine, *requests: Outgoing) -> tuple[str, list[Attempt]]:
    plan = Plan(
        fire_id=str(uuid.uuid4()),
        provider="kardow",
        event="job.created",
        payload=b"{}",
        requests=requests,
    )
    attempts = await asyncio.wrap_future(engine.call(engine.send(plan)))
    return plan.fire_id, attempts


def row_where(panel: DeliveriesPanel, url: str) -> int:
    for row in range(panel.model.rowCount()):
        if panel.model.attempt(row).request.url == url:
            return row
    raise AssertionError(f"no row for {url}")


def cell(panel: DeliveriesPanel, row: int, column: int) -> str:
    return str(panel.model.index(row, column).data())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- live rows ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_attempts_appear_live_with_their_result_in_words(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver, qtmodeltester: ModelTester
) -> None:
    assert panel.model.rowCount() == 0
    assert panel.empty_hint.isVisibleTo(panel)
    assert "No deliveries yet" in panel.empty_hint.text()
    qtmodeltester.check(panel.model)
    refused = f"http://127.0.0.1:{closed_port()}/nobody"

    fire_id, _ = await fire(
        engine, outgoing(receiver.url("/ok")), outgoing(receiver.url("/status/500")),
        outgoing(refused),
    )  # fmt: skip

    await wait_until(lambda: panel.model.rowCount() == 3)
    qtmodeltester.check(panel.model)
    assert not panel.empty_hint.isVisibleTo(panel)
    assert panel.matches.text() == "3 attempts"
    ok = row_where(panel, receiver.url("/ok"))
    assert [cell(panel, ok, c) for c in (M.KIND, M.EVENT, M.RESULT, M.STATUS, M.TRY, M.FIRE)] == [
        "webhook",
        "job.created",
        "delivered",
        "200",
        "1",
        fire_id[:8],
    ]
    assert float(cell(panel, ok, M.LATENCY).replace(",", "")) >= 0
    bad = row_where(panel, receiver.url("/status/500"))
    assert (cell(panel, bad, M.RESULT), cell(panel, bad, M.STATUS)) == ("failed", "500")
    assert (
        panel.model.index(bad, M.RESULT).data(Qt.ItemDataRole.ToolTipRole).endswith("HTTP 500</p>")
    )
    gone = row_where(panel, refused)
    assert (cell(panel, gone, M.RESULT), cell(panel, gone, M.STATUS)) == ("failed", "—")
    assert "could not connect" in panel.model.index(gone, M.STATUS).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert isinstance(panel.model.index(ok, 0).data(RecordRole), Attempt)

    # Newest first: a later fire goes on top.
    await fire(engine, outgoing(receiver.url("/ok-later")))
    await wait_until(lambda: panel.model.rowCount() == 4)
    assert panel.model.attempt(0).request.url == receiver.url("/ok-later")
    ids = [panel.model.attempt(row).id or 0 for row in range(4)]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.asyncio
async def test_retried_tries_say_which_of_how_many(
    panel: DeliveriesPanel, engine: Engine, gui_db: Database, receiver: Receiver
) -> None:
    settings_store.save_send_policy(gui_db, SendPolicy(retries=2, backoff=0.01, max_backoff=0.02))
    await fire(engine, outgoing(receiver.url("/status/503")))
    await wait_until(lambda: panel.model.rowCount() == 3)
    assert [cell(panel, row, M.TRY) for row in range(3)] == [
        "3 of 3",
        "2 of 3, retried",
        "1 of 3, retried",
    ]
    assert "A retry followed" in panel.model.index(1, M.TRY).data(Qt.ItemDataRole.ToolTipRole)
    assert panel.model.index(1, M.URL).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert panel.model.index(0, M.URL).data(Qt.ItemDataRole.ForegroundRole) is None


# -- filters -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_failed_only_and_this_fire_only(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver, announced: list[int]
) -> None:
    first, _ = await fire(
        engine, outgoing(receiver.url("/ok")), outgoing(receiver.url("/status/502"))
    )
    second, _ = await fire(engine, outgoing(receiver.url("/ok-2")))
    await wait_until(lambda: panel.model.rowCount() == 3)

    panel.failed_only.setChecked(True)
    await panel.settle()
    assert [cell(panel, r, M.RESULT) for r in range(panel.model.rowCount())] == ["failed"]
    assert panel.matches.text() == "1 matching"
    # Live rows obey the filter too.
    _, attempts = await fire(
        engine, outgoing(receiver.url("/ok-3")), outgoing(receiver.url("/status/404"))
    )
    await taken_in(panel, announced, attempts)
    assert [cell(panel, r, M.RESULT) for r in range(panel.model.rowCount())] == ["failed"] * 2
    panel.failed_only.setChecked(False)
    await panel.settle()
    assert panel.model.rowCount() == 5

    panel.show_fire(first)
    await panel.settle()
    assert panel.fire_only.isChecked()
    assert panel.fire_only.text() == f"This fire only ({first[:8]})"
    assert {panel.model.attempt(r).fire_id for r in range(panel.model.rowCount())} == {first}
    assert panel.model.rowCount() == 2
    _, attempts = await fire(engine, outgoing(receiver.url("/ok-4")))
    await taken_in(panel, announced, attempts)
    assert panel.model.rowCount() == 2

    panel.fire_only.setChecked(False)  # clearable by hand
    await panel.settle()
    assert panel.model.rowCount() == 6
    assert panel.fire_only.text() == "This fire only"

    # Checked by hand: the selected row's fire.
    panel.table.selectRow(row_where(panel, receiver.url("/ok-2")))
    panel.fire_only.setChecked(True)
    await panel.settle()
    assert [panel.model.attempt(r).fire_id for r in range(panel.model.rowCount())] == [second]
    assert panel.current_attempt() is not None  # the selection is kept
    panel.show_fire(None)
    await panel.settle()
    assert not panel.fire_only.isChecked()
    assert panel.model.rowCount() == 6

    panel.failed_only.setChecked(True)
    panel.show_fire(second)
    await panel.settle()
    assert panel.model.rowCount() == 0
    assert panel.empty_hint.text() == "No attempt matches these filters."


# -- the detail --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_detail_shows_request_response_and_error(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver
) -> None:
    refused = f"http://127.0.0.1:{closed_port()}/nobody"
    body = json.dumps({"event": "job.created", "title": "<b>Welder</b>"}).encode()
    await fire(engine, outgoing(receiver.url("/status/500"), body), outgoing(refused))
    await wait_until(lambda: panel.model.rowCount() == 2)
    detail = panel.detail
    assert detail.empty.isVisibleTo(panel)

    panel.table.selectRow(row_where(panel, receiver.url("/status/500")))
    await panel.settle()
    assert not detail.empty.isVisibleTo(panel)
    assert detail.badge.text() == "failed"
    assert detail.outcome.text() == "Failed: HTTP 500."
    assert detail.request_view.line.text() == f"POST {receiver.url('/status/500')}"
    assert detail.request_view.headers.headers_model.rows() == list(HEADERS)
    assert detail.request_view.body.raw.toPlainText() == body.decode()
    assert detail.response_view.line.text().startswith("Answered 500 Internal Server Error after ")
    assert detail.response_view.body.raw.toPlainText() == "nope"
    assert not detail.response_view.note.isVisibleTo(panel)
    names = [name.lower() for name, _ in detail.response_view.headers.headers_model.rows()]
    assert "content-length" in names

    panel.table.selectRow(row_where(panel, refused))
    await panel.settle()
    assert detail.outcome.text().startswith("No answer: could not connect to 127.0.0.1:")
    assert detail.response_view.line.text().startswith("No answer: could not connect")
    assert detail.response_view.headers.headers_model.rows() == []
    for label in (detail.outcome, detail.meta, detail.response_view.line, detail.request_view.note):
        assert label.textFormat() == Qt.TextFormat.PlainText


@pytest.mark.asyncio
async def test_a_big_request_and_a_cut_answer_are_shown_safely(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver
) -> None:
    # Under 1 MiB: aiohttp warns about bigger raw bodies (the sender's, see the report).
    big = b'{"blob": "' + b"x" * (900 * 1024) + b'"}'
    binary = bytes(range(256)) * 64
    await fire(
        engine,
        outgoing(receiver.url("/big"), big),
        outgoing(receiver.url("/ok-binary"), binary, headers=()),
    )
    await wait_until(lambda: panel.model.rowCount() == 2)

    panel.table.selectRow(row_where(panel, receiver.url("/big")))
    await panel.settle()
    detail = panel.detail
    await wait_until(
        lambda: not detail.request_view.body.rendering and not detail.response_view.body.rendering
    )
    assert detail.request_view.body.limit_bar.isVisibleTo(panel)  # 900 KB: shown in part, on demand
    detail.tabs.setCurrentIndex(1)
    assert detail.tabs.tabText(1) == "Response"
    assert detail.response_view.note.isVisibleTo(panel)
    assert detail.response_view.note.text().startswith(
        "The answer's body was cut at 65,536 bytes (64.0 KB)"
    )
    assert detail.response_view.body.raw.toPlainText() == "x" * 65536

    panel.table.selectRow(row_where(panel, receiver.url("/ok-binary")))
    await panel.settle()
    await wait_until(lambda: not detail.request_view.body.rendering)
    assert "00000000  00 01 02 03" in detail.request_view.body.hex.toPlainText()


# -- actions -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_send_again_sends_the_exact_request_as_a_new_fire(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver
) -> None:
    body = b'{"event": "job.created", "organization_id": 42}'
    first_fire, _ = await fire(engine, outgoing(receiver.url("/ok"), body))
    await wait_until(lambda: panel.model.rowCount() == 1)
    original = panel.model.attempt(0)
    assert original.id is not None
    panel.table.selectRow(0)

    again = await panel.send_again(original.id)

    assert again.id is not None
    assert again.id > original.id
    assert again.fire_id != first_fire
    assert again.ok
    assert panel.model.rowCount() == 2
    assert panel.model.attempt(0).id == again.id
    assert panel.current_id() == again.id
    first, second = receiver.of("/ok")
    assert second.body == first.body == body
    assert second.header("X-Kardow-Signature") == "ab" * 32
    assert "delivered (200)" in panel.message_label.text()

    # The button and key do the same.
    panel.send_again_action.trigger()
    await panel.settle()
    await wait_until(lambda: panel.model.rowCount() == 3)
    assert len(receiver.of("/ok")) == 3


@pytest.mark.asyncio
async def test_copy_as_curl_quotes_for_sh(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver
) -> None:
    body = b'{"title": "it\'s $HOME `here`"}'
    await fire(engine, outgoing(receiver.url("/ok?a=1&b=2"), body))
    await wait_until(lambda: panel.model.rowCount() == 1)
    panel.table.selectRow(0)
    panel.copy_curl_button.click()
    await panel.settle()
    command = QGuiApplication.clipboard().text()
    words = shlex.split(command)
    assert words[:4] == ["curl", "-sS", "-X", "POST"]
    assert receiver.url("/ok?a=1&b=2") in words
    assert words[words.index("--data-binary") + 1] == body.decode()
    headers = [words[i + 1] for i, word in enumerate(words) if word == "-H"]
    assert "Content-Type: application/json" in headers
    assert f"X-Kardow-Signature: {'ab' * 32}" in headers


def test_curl_for_pipes_bodies_outside_printable_ascii_from_printf() -> None:
    command = curl_for(Outgoing(url="https://example.com/x", body=b"\x00\xff", headers=()))
    assert command.startswith("printf '\\000\\377' | curl")
    assert command.endswith("--data-binary @-")


@pytest.mark.asyncio
async def test_copy_as_curl_says_which_header_it_left_out(
    panel: DeliveriesPanel, engine: Engine
) -> None:
    request = outgoing("https://example.com/x", headers=(("X-Lf", "a\nX-Evil: 1"), ("X-A", "1")))
    writer = open_store(engine.directory)
    try:
        delivery_store.insert_attempts(
            writer, [Attempt(fire_id="cli", request=request, status=200)]
        )
    finally:
        writer.close()
    assert panel.model.fetch_new() == 1
    panel.table.selectRow(0)
    panel.copy_curl_button.click()
    await panel.settle()
    command = QGuiApplication.clipboard().text()
    assert "X-Evil" not in command
    assert "-H 'X-A: 1'" in command
    assert panel.message_label.text() == (
        "Copied the request as a curl command. Left out header X-Lf: it holds a NUL, CR or LF "
        "byte, which no single header line can carry."
    )


@pytest.mark.slow
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_curl_for_is_printable_and_sends_hostile_bytes_as_data(shell: str, tmp_path: Path) -> None:
    # The same quoting as `captures export --format curl`: a pasted command holds no control
    # character (ESC [201~ would end a bracketed paste, Ctrl-U erase the line) and no quote a
    # crafted value could end.
    value = decode_header(b"\xff';touch pwned;#\x1b[201~\x15")
    body = b"\x1b[201~\x15; touch pwned\n"
    with recording_server() as server:
        request = Outgoing(url=server.base_url + "/x?a=1", body=body, headers=(("X-Bin", value),))
        command = curl_for(request)
        assert all(0x20 <= ord(c) < 0x7F for c in command)
        subprocess.run([shell, "-c", command], cwd=tmp_path, capture_output=True, timeout=30,
                       check=True)  # fmt: skip
    (received,) = server.requests
    assert received.target == b"/x?a=1"
    assert (b"X-Bin", header_bytes(value)) in received.headers
    assert received.body == body
    assert list(tmp_path.iterdir()) == []


@pytest.mark.asyncio
async def test_clear_log_asks_then_empties_it(
    panel: DeliveriesPanel, engine: Engine, gui_db: Database, receiver: Receiver
) -> None:
    await fire(engine, outgoing(receiver.url("/ok")), outgoing(receiver.url("/status/500")))
    await wait_until(lambda: panel.model.rowCount() == 2)
    panel.table.selectRow(0)

    box = panel.ask_clear()
    assert box is not None
    assert "Delete all 2 logged attempts?" in box.text()
    box.reject()
    await panel.settle()
    assert panel.model.rowCount() == 2

    box = panel.ask_clear()
    assert box is not None
    (clear,) = [b for b in box.buttons() if b.text() == "Clear"]
    clear.click()
    await panel.settle()
    assert panel.model.rowCount() == 0
    assert delivery_store.count(gui_db, DeliveryQuery()) == 0
    assert panel.empty_hint.isVisibleTo(panel)
    assert panel.detail.empty.isVisibleTo(panel)
    assert panel.ask_clear() is None  # nothing left to clear

    # Attempts after a clear still arrive.
    await fire(engine, outgoing(receiver.url("/ok")))
    await wait_until(lambda: panel.model.rowCount() == 1)


# -- paging ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_log_and_the_selected_attempt_are_read_off_the_gui_thread(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fire(engine, outgoing(receiver.url("/ok")), outgoing(receiver.url("/status/500")))
    await wait_until(lambda: panel.model.rowCount() == 2)
    threads: dict[str, set[int]] = {"page": set(), "count": set(), "attempt": set()}

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(db: Database, query: Any, *args: Any, **kwargs: Any) -> Any:
            # A page is read below a known id; the newest id and what arrived since are
            # read on the GUI thread (a row or a few, at most every 50 ms).
            if name != "page" or (query.before_id is not None and query.after_id is None):
                threads[name].add(threading.get_ident())
            return real(db, query, *args, **kwargs)

        return recorded

    monkeypatch.setattr(reads, "list_attempts", spy("page", reads.list_attempts))
    monkeypatch.setattr(reads, "count_attempts", spy("count", reads.count_attempts))
    monkeypatch.setattr(reads, "get_attempt", spy("attempt", reads.get_attempt))
    panel.failed_only.setChecked(True)
    await panel.settle()
    assert panel.model.rowCount() == 1
    panel.table.selectRow(0)
    await panel.settle()
    assert panel.detail.outcome.text() == "Failed: HTTP 500."

    gui_thread = threading.get_ident()
    assert all(threads.values()), threads
    assert gui_thread not in set.union(*threads.values())


def test_keyset_pages_read_older_attempts_on_demand(
    engine: Engine, gui_db: Database, qtmodeltester: ModelTester, qtbot: QtBot
) -> None:
    writer = open_store(engine.directory)
    try:
        attempts = [
            Attempt(
                fire_id=f"fire-{n % 7}",
                request=outgoing(f"https://example.com/{n}"),
                status=200 if n % 3 else 500,
            )
            for n in range(450)
        ]
        delivery_store.insert_attempts(writer, attempts)
    finally:
        writer.close()
    model = DeliveryTableModel(gui_db)
    qtmodeltester.check(model)
    model.set_query(DeliveryQuery())
    # Every row is there for the scrollbar; only the first page is read.
    assert model.rowCount() == 450
    assert model.matching == 450
    assert len(model.rows()) == 200
    assert model.index(449, 0).data() == PLACEHOLDER
    assert not model.canFetchMore()
    # Asking for a row reads its page.
    qtbot.waitUntil(lambda: model.record(449) is not None)
    for row in range(450):
        model.index(row, 0).data()
    qtbot.waitUntil(lambda: len(model.rows()) == 450)
    ids = [model.attempt(row).id or 0 for row in range(450)]
    assert ids == sorted(set(ids), reverse=True)
    assert model.attempt(0).request.url == "https://example.com/449"

    model.set_query(DeliveryQuery(failed=True))
    assert model.matching == 150
    assert model.rowCount() == 150
    assert not model.canFetchMore()
    assert {model.attempt(row).status for row in range(150)} == {500}

    model.set_query(DeliveryQuery(fire_id="fire-3"))
    assert model.matching == len(range(3, 450, 7))
    assert model.fetch_new() == 0
    model.set_query(DeliveryQuery())
    qtmodeltester.check(model)  # it scrolls through every page


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_5_mb_body_logged_elsewhere_is_shown_in_part(
    panel: DeliveriesPanel, engine: Engine
) -> None:
    writer = open_store(engine.directory)
    try:
        huge = b"[" + b'"line",\n' * (5 * 1024 * 1024 // 8) + b"0]"
        delivery_store.insert_attempts(
            writer,
            [
                Attempt(
                    fire_id="cli", request=outgoing("https://example.com/huge", huge), status=202
                )
            ],
        )
    finally:
        writer.close()
    # Logged by another process: no signal; the next look (any later signal) finds it.
    assert panel.model.fetch_new() == 1
    panel.table.selectRow(0)
    await panel.settle()
    detail = panel.detail
    await wait_until(lambda: not detail.request_view.body.rendering, within=30)
    assert detail.request_view.body.limit_bar.isVisibleTo(panel)
    assert "of 5.0 MB" in detail.request_view.body.limit_label.text()
    assert len(detail.request_view.body.raw.toPlainText()) <= 256 * 1024


@pytest.mark.asyncio
async def test_right_click_offers_send_again_curl_and_body(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver, qtbot: QtBot
) -> None:
    body = b'{"city": "M\xc3\xbcnchen"}'
    await fire(engine, outgoing(receiver.url("/ok"), body))
    await wait_until(lambda: panel.model.rowCount() == 1)
    panel.table.selectRow(0)
    where = panel.table.visualRect(panel.model.index(0, 0)).center()
    panel.table.customContextMenuRequested.emit(where)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    entries = [(a.text(), a.shortcut().toString()) for a in menu.actions() if not a.isSeparator()]
    assert entries == [
        ("Send again", "Ctrl+Return"),
        ("Copy as curl", "Ctrl+Shift+C"),
        ("Copy body", "Ctrl+C"),
    ]
    menu.close()
    panel.copy_body_action.trigger()
    await panel.settle()
    assert QGuiApplication.clipboard().text() == body.decode()
    assert panel.message_label.text() == "Copied the body of the request."


@pytest.mark.asyncio
async def test_menu_entries_are_disabled_without_a_selection(
    panel: DeliveriesPanel, engine: Engine, receiver: Receiver
) -> None:
    await fire(engine, outgoing(receiver.url("/ok"), b"{}"))
    await wait_until(lambda: panel.model.rowCount() == 1)
    panel.table.selectRow(0)
    assert panel.copy_body_action.isEnabled()
    panel.table.clearSelection()
    assert not panel.copy_body_action.isEnabled()
    assert not panel.send_again_action.isEnabled()


def test_a_body_that_is_not_utf8_is_copied_and_said_so() -> None:
    text, said = clipboard_body(b"ok \xff", "#3")
    assert text == "ok \ufffd"
    assert said == "Copied the body of #3 as text; it is not UTF-8, so some bytes became \ufffd."
