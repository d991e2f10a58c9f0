"""The capture list's right-click menu and what only it (and its keys) offers: copy as curl,
save body as; driven on the real window, with captures delivered to its real listener."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

from hookscope.engine import Engine
from hookscope.ui.captures.transfers import body_file_name
from hookscope.ui.window import MainWindow
from tests.ui.conftest import wait_until
from tests.ui.test_window import post

BINARY = bytes(range(256)) * 3


async def delivered(window: MainWindow, engine: Engine) -> list[int]:
    """A JSON delivery, then a binary one; their ids, oldest first, the newest selected."""
    await post(engine, "/hooks/json?x=1", b'{"city": "Lyon"}', [("X-Tenant", "acme")])
    await post(engine, "/hooks/bin", BINARY, [("Content-Type", "application/octet-stream")])
    await wait_until(lambda: window.captures.model.rowCount() == 2)
    window.captures.table.selectRow(0)
    return sorted(window.captures.model.summary(row).id for row in range(2))


def status(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


@pytest.mark.asyncio
async def test_right_click_offers_the_list_actions_with_their_keys(
    window: MainWindow, live_engine: Engine
) -> None:
    await delivered(window, live_engine)
    table = window.captures.table
    table.customContextMenuRequested.emit(
        table.visualRect(window.captures.model.index(0, 0)).center()
    )
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    entries = [
        (a.text().replace("&", ""), a.shortcut().toString())
        for a in menu.actions()
        if not a.isSeparator()
    ]
    menu.close()
    assert entries == [
        ("Copy as curl", "Ctrl+Shift+C"),
        ("Copy body", "Ctrl+C"),
        ("Save body as…", "Ctrl+Shift+S"),
        ("Replay selected…", "Ctrl+Shift+R"),
        ("Send failed forwards of selected again", "Ctrl+G"),
        ("Compare selected", "Ctrl+D"),
        ("Export selected…", ""),
        ("Star or unstar", "S"),
        ("Delete selected…", "Del"),
    ]


@pytest.mark.asyncio
async def test_copy_as_curl_sends_the_capture_again(
    window: MainWindow, live_engine: Engine
) -> None:
    first, _ = await delivered(window, live_engine)
    window.captures.table.selectRow(1)  # the older: the JSON one
    window.copy_curl_action.trigger()
    await wait_until(lambda: status(window).startswith(f"Copied #{first}"))
    words = shlex.split(QGuiApplication.clipboard().text())
    assert words[0] == "curl"
    assert any(word.endswith("/hooks/json?x=1") for word in words)
    assert "X-Tenant: acme" in words
    assert words[words.index("--data-binary") + 1] == '{"city": "Lyon"}'

    window.captures.table.selectAll()
    window.copy_curl_action.trigger()
    await wait_until(lambda: status(window) == "Copied 2 captures as curl commands.")
    script = QGuiApplication.clipboard().text()
    assert not script.startswith("#!")
    assert script.count("\ncurl ") + script.startswith("curl ") + script.count("| curl") == 2
    assert f"# capture {first}: POST /hooks/json" in script


@pytest.mark.asyncio
async def test_save_body_as_writes_the_exact_bytes(
    window: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    _, binary = await delivered(window, live_engine)
    folder = tmp_path / "out"
    folder.mkdir()
    chooser = window.captures.transfers.ask_save_body(window.captures.current_summary(), tmp_path)
    assert chooser is not None
    assert Path(chooser.selectedFiles()[0]).name == f"capture-{binary}-body.bin"
    target = folder / "body.bin"
    chooser.fileSelected.emit(str(target))
    await wait_until(lambda: status(window).startswith("Saved the body"))
    assert target.read_bytes() == BINARY
    assert status(window) == f"Saved the body of #{binary} (768 B) to {target}."
    assert os.listdir(folder) == ["body.bin"]  # no temporary file left
    chooser.close()


@pytest.mark.asyncio
async def test_save_body_into_a_missing_folder_says_so_and_writes_nothing(
    window: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    _, binary = await delivered(window, live_engine)
    gone = tmp_path / "gone"
    saved = await window.captures.transfers.save_body(binary, gone / "body.bin")
    assert saved is None
    assert status(window).startswith(f"Could not save the body to {gone}")
    assert "gone" not in os.listdir(tmp_path)


@pytest.mark.asyncio
async def test_copy_body_of_binary_says_it_is_not_utf8(
    window: MainWindow, live_engine: Engine
) -> None:
    _, binary = await delivered(window, live_engine)
    window.copy_body_action.trigger()
    await wait_until(lambda: status(window).startswith(f"Copied the body of #{binary}"))
    assert "it is not UTF-8" in status(window)


@pytest.mark.asyncio
async def test_export_selected_opens_export_with_the_selection_chosen(
    window: MainWindow, live_engine: Engine
) -> None:
    await delivered(window, live_engine)
    window.captures.table.selectAll()
    dialog = window.export_selected()
    assert dialog.isVisible()
    chosen = dialog.scopes.checkedButton()
    assert chosen is not None
    assert chosen.property("scope") == "selected"
    dialog.close()


def test_the_body_file_is_named_after_its_content_type() -> None:
    assert body_file_name(3, "application/json; charset=utf-8") == "capture-3-body.json"
    assert body_file_name(4, "application/vnd.kardow+json") == "capture-4-body.json"
    assert body_file_name(5, "text/plain") == "capture-5-body.txt"
    assert body_file_name(6, "") == "capture-6-body.bin"
    assert body_file_name(7, "x/unknown") == "capture-7-body.bin"
