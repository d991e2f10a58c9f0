"""File > Export… and File > Import HAR…, driven in the real window over a real store."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hookscope.core import export
from hookscope.core.model import Capture
from hookscope.core.tasks import spawn
from hookscope.engine import Engine
from hookscope.ui.captures.exporting import ALL, FILTERED, SELECTED, ExportDialog
from hookscope.ui.captures.model import CaptureTableModel
from hookscope.ui.window import MainWindow
from tests.integration.conftest import http
from tests.ui.conftest import wait_until
from tests.ui.test_window import kardow_body, port_of, post, signed

C = CaptureTableModel


async def deliver(engine: Engine) -> None:
    """A signed Kardow delivery, a gzip body, a binary one with duplicate headers, a GET."""
    body = kardow_body(title="Welder")
    await post(engine, "/kardow", body, signed(body))
    await post(engine, "/gz", gzip.compress(b"{}"), [("Content-Encoding", "gzip")])
    await post(engine, "/bin", bytes(range(256)), [("X-Dup", "1"), ("X-Dup", "2")])
    await asyncio.to_thread(http, port_of(engine), "GET", "/health")


async def shown(window: MainWindow, count: int) -> None:
    await wait_until(lambda: window.captures.model.rowCount() == count)


def entries(path: Path) -> list[dict[str, object]]:
    log = json.loads(path.read_text("utf-8"))["log"]
    assert isinstance(log, dict)
    found = log["entries"]
    assert isinstance(found, list)
    return found


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def run_export(dialog: ExportDialog) -> int | None:
    return await dialog.export()


@pytest.mark.asyncio
async def test_export_all_selected_and_filtered(
    window: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    await deliver(live_engine)
    await shown(window, 4)
    out = tmp_path / "all.har"
    window.export_action.trigger()
    dialog = window.export_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.isModal()
    dialog.path.setText(str(out))
    assert await run_export(dialog) == 4
    urls = [e["request"]["url"] for e in entries(out)]  # type: ignore[index]
    assert [urlsplit(url).path for url in urls] == ["/kardow", "/gz", "/bin", "/health"]
    assert not dialog.isVisible()
    assert window.statusBar().currentMessage() == f"Exported 4 captures to {out}."

    window.captures.table.selectRow(1)  # the /bin capture (newest first)
    window.export_action.trigger()
    dialog.choose(SELECTED)
    dialog.form.setCurrentIndex(dialog.form.findData("ndjson"))
    dialog.path.setText(str(tmp_path / "selected.ndjson"))
    assert await run_export(dialog) == 1
    lines = (tmp_path / "selected.ndjson").read_text("utf-8").splitlines()
    assert json.loads(lines[0])["path"] == "/bin"

    window.captures.filters.search.setText("Welder")
    window.captures.apply_filters()
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    window.export_action.trigger()
    assert dialog.scopes.checkedButton().property("scope") == FILTERED
    # The filter is counted off the GUI thread; the open dialog follows the count.
    await wait_until(lambda: "(1 capture)" in dialog.scopes.checkedButton().text())
    dialog.form.setCurrentIndex(dialog.form.findData("curl"))
    assert dialog.path.text().endswith("selected.sh")  # the suffix follows the format
    dialog.path.setText(str(tmp_path / "filtered.sh"))
    assert await run_export(dialog) == 1
    assert "/kardow" in (tmp_path / "filtered.sh").read_text("utf-8")


@pytest.mark.asyncio
async def test_a_cancelled_export_leaves_no_file_and_shows_its_progress(
    window: MainWindow, live_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deliver(live_engine)
    await shown(window, 4)
    halfway = threading.Event()
    go_on = threading.Event()

    def slow_har(captures: Iterable[Capture], base_url: str | None = None) -> Iterator[str]:
        # The real HAR writer, held after its second entry until the test has clicked Cancel.
        for number, chunk in enumerate(export.har(captures, base_url)):
            yield chunk
            if number == 2:
                halfway.set()
                assert go_on.wait(10)

    monkeypatch.setitem(export.EXPORTERS, "har", slow_har)
    folder = tmp_path / "out"
    folder.mkdir()
    window.export_action.trigger()
    dialog = window.export_dialog
    assert dialog is not None
    dialog.choose(ALL)
    dialog.path.setText(str(folder / "cancelled.har"))
    task = spawn(run_export(dialog), name="test-export")
    await wait_until(halfway.is_set)
    await wait_until(lambda: dialog.progress.value() >= 1)
    assert dialog.progress.isVisible()
    assert dialog.progress.maximum() == 4
    assert dialog.cancel_button.text() == "Cancel"
    assert not dialog.export_button.isEnabled()
    assert leftovers(folder) != []  # the partial file exists while it is written

    dialog.cancel_button.click()
    go_on.set()
    assert await asyncio.wait_for(task, 10) is None
    assert leftovers(folder) == []
    assert dialog.status.text() == "Export cancelled; no file was written."
    assert not dialog.progress.isVisible()
    assert dialog.cancel_button.text() == "Close"


@pytest.mark.asyncio
async def test_export_refusals_are_one_sentence(
    window: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    window.export_action.trigger()
    dialog = window.export_dialog
    assert dialog is not None
    assert not dialog.export_button.isEnabled()
    assert dialog.status.text() == "There are no captures to export yet."
    await deliver(live_engine)
    await shown(window, 4)
    window.export_action.trigger()
    assert dialog.export_button.isEnabled()
    offered = {b.property("scope"): (b.text(), b.isEnabled()) for b in dialog.scopes.buttons()}
    assert offered == {
        ALL: ("&All 4 captures", True),
        SELECTED: ("The &selected captures (none is selected)", False),
        FILTERED: ("Those matching the list's fil&ter (none is set)", False),
    }
    dialog.path.setText(str(tmp_path / "missing" / "x.har"))
    assert await run_export(dialog) is None
    assert dialog.status.text() == f"The folder {tmp_path / 'missing'} does not exist."
    dialog.path.setText(str(tmp_path))
    assert await run_export(dialog) is None
    assert dialog.status.text() == f"{tmp_path} is a folder: choose a file name in it."
    dialog.path.setText("")
    assert await run_export(dialog) is None
    assert dialog.status.text() == "Choose a file to export to."


@pytest.mark.asyncio
async def test_import_from_the_file_menu_shows_the_captures_in_the_list(
    window: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    await deliver(live_engine)
    await shown(window, 4)
    har_file = tmp_path / "mine.har"
    window.export_action.trigger()
    assert window.export_dialog is not None
    window.export_dialog.path.setText(str(har_file))
    assert await run_export(window.export_dialog) == 4

    window.import_action.trigger()
    chooser = window.har_import.chooser
    assert chooser is not None
    assert chooser.isVisible()
    chooser.fileSelected.emit(str(har_file))  # what choosing the file and Open do
    await shown(window, 8)
    await window.settle()
    assert window.statusBar().currentMessage() == "Imported 4 captures from mine.har."
    assert not window.har_import.busy.isVisible()
    # The imported Kardow delivery is verified with the stored secret, as the live one was.
    paths = [window.captures.model.summary(row).path for row in range(4)]
    assert paths == ["/health", "/bin", "/gz", "/kardow"]
    assert window.captures.model.summary(3).verdict == "verified"

    window.captures.table.selectRow(3)
    detail = window.captures.detail
    await wait_until(lambda: detail.capture is not None and detail.capture.path == "/kardow")
    assert detail.capture is not None
    assert detail.capture.imported_from == "mine.har"
    assert detail.imported_badge.isVisibleTo(detail)
    assert "imported from mine.har" in detail.fields["Capture"].text()
    window.captures.table.selectRow(4)  # a live one: no badge
    await wait_until(lambda: not detail.imported_badge.isVisibleTo(detail))
    assert detail.capture is not None
    assert detail.capture.imported_from is None


@pytest.mark.asyncio
async def test_a_bad_har_file_is_one_sentence_in_the_status_bar(
    window: MainWindow, live_engine: Engine, tmp_path: Path
) -> None:
    good = base64.b64encode(b"x").decode()
    bad = tmp_path / "bad.har"
    bad.write_text(
        json.dumps(
            {
                "log": {
                    "entries": [
                        {
                            "startedDateTime": "2025-01-01T00:00:00Z",
                            "request": {"method": "POST", "url": "http://h/",
                                        "postData": {"text": good, "encoding": "base64"}},
                        },
                        {"startedDateTime": "2025-01-01T00:00:00Z"},
                    ]
                }
            }
        ),
        "utf-8",
    )  # fmt: skip
    assert await window.har_import.run(bad) == []
    assert window.statusBar().currentMessage() == "Entry 2 of bad.har has no request."
    assert window.captures.model.rowCount() == 0
    assert window.captures.total == 0


@pytest.mark.asyncio
async def test_the_filtered_choice_follows_a_count_that_arrives_late(
    window: MainWindow, live_engine: Engine
) -> None:
    await post(live_engine, "/hooks/welder", b'{"title": "Welder"}')
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    window.captures.filters.search.setText("Welder")
    window.captures.apply_filters()
    dialog = window.open_export()
    filtered = dialog.scopes.buttons()[2]
    assert filtered.property("scope") == FILTERED
    dialog.update_matching(-1)  # the count is taking long
    assert filtered.text() == "Those matching the list's fil&ter (counting…)"
    assert filtered.isEnabled()
    dialog.update_matching(0)
    assert filtered.text() == "Those matching the list's fil&ter (0 captures)"
    assert not filtered.isEnabled()
    dialog.close()
