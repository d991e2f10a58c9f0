"""The Scorecard dialog, driven like a user drives it, against local receivers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from shiboken6 import Shiboken

from hookscope.core.scoreboard import Scorecard
from hookscope.ui.scorecard import CasesModel, ScorecardDialog
from hookscope.ui.window import MainWindow
from tests.integration import scorereceivers as receivers
from tests.ui.conftest import SECRET, wait_until
from tests.ui.test_composer import app_palette, dark_palette, shoot, shots_dir

pytestmark = pytest.mark.asyncio

LONG_PATH = "/webhooks/kardow/" + "/".join(f"tenant-{n}-with-a-long-segment" for n in range(8))


@pytest_asyncio.fixture
async def dialog(window: MainWindow) -> AsyncIterator[ScorecardDialog]:
    """Send > Receiver scorecard…, as a user opens it, with its choices read."""
    window.scorecard.action.trigger()
    opened = window.scorecard.dialog
    assert opened is not None
    await wait_until(lambda: opened.isVisible() and opened.credential_box.count() > 0)
    yield opened
    if Shiboken.isValid(opened):
        await opened.settle()
        opened.close()


async def finished(dialog: ScorecardDialog) -> Scorecard:
    await wait_until(lambda: dialog.last_card is not None and not dialog.running, within=60)
    assert dialog.last_card is not None
    return dialog.last_card


def texts(dialog: ScorecardDialog, column: int) -> list[str]:
    model = dialog.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


async def test_the_menu_opens_a_modeless_dialog_with_the_stored_secret_chosen(
    window: MainWindow, dialog: ScorecardDialog, tmp_path: Path
) -> None:
    assert window.scorecard.action.shortcut().toString() == "Ctrl+K"
    assert window.scorecard.action in window.menuBar().actions()[4].menu().actions()
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    assert dialog.scheme_box.currentText() == "kardow"
    assert dialog.credential_box.currentText() == "prod"
    assert dialog.empty.isVisible()
    assert not dialog.copy_button.isEnabled()
    assert not dialog.cancel_button.isEnabled()
    out = shots_dir(tmp_path)
    shoot(dialog, out / "scorecard-empty-light.png")
    with app_palette(dark_palette()):
        shoot(dialog, out / "scorecard-empty-dark.png")


async def test_a_scheme_without_a_stored_secret_cannot_run_and_says_why(
    dialog: ScorecardDialog,
) -> None:
    dialog.scheme_box.setCurrentText("stripe")
    assert dialog.credential_box.count() == 0
    assert not dialog.run_button.isEnabled()
    assert "No stripe secret is stored" in dialog.run_button.toolTip()
    dialog.scheme_box.setCurrentText("kardow")
    assert dialog.run_button.isEnabled()


async def test_a_strict_receiver_passes_and_the_card_copies_as_markdown(
    dialog: ScorecardDialog,
) -> None:
    check = receivers.kardow(SECRET)
    with receivers.serving(lambda server: receivers.strict_app(check, server)) as server:
        dialog.url_edit.setText(server.url())
        dialog.run_button.click()
        card = await finished(dialog)
    assert card.passed
    assert texts(dialog, CasesModel.RESULT).count("pass") == 9
    assert texts(dialog, CasesModel.RESULT).count("skipped") == 3
    assert dialog.status_label.text() == "Passed: All 9 cases passed (3 not applicable to kardow)."
    assert not dialog.empty.isVisible()
    assert dialog.copy_button.isEnabled()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text().startswith("### Receiver scorecard: passed\n")
    assert dialog.status_label.text().endswith("not applicable to kardow). Copied as Markdown.")


async def test_a_receiver_that_accepts_anything_shows_each_hole(
    dialog: ScorecardDialog, tmp_path: Path
) -> None:
    with receivers.serving(receivers.lax_app) as server:
        dialog.url_edit.setText(server.url(LONG_PATH))
        dialog.run_button.click()
        card = await finished(dialog)
    assert not card.passed
    results = texts(dialog, CasesModel.RESULT)
    assert results.count("fail") == 7
    assert dialog.status_label.text().startswith("Failed: 7 of 9 cases failed")
    # The first failure is selected, and what it means is spelled out under the table.
    assert dialog.results.currentIndex().row() == results.index("fail")
    assert dialog.detail_label.isVisible()
    assert dialog.detail_label.text().startswith(
        "Body changed by one byte: Accepted with 200: it accepts a body changed after signing."
    )
    assert "Why it matters: The signature must cover" in dialog.detail_label.text()
    assert 'The receiver answered: {"ok": true' in dialog.detail_label.text()
    out = shots_dir(tmp_path)
    shoot(dialog, out / "scorecard-failures-light.png")
    with app_palette(dark_palette()):
        shoot(dialog, out / "scorecard-failures-dark.png")


async def test_cancel_stops_a_run_while_a_case_waits_for_its_answer(
    dialog: ScorecardDialog, tmp_path: Path
) -> None:
    check = receivers.kardow(SECRET)

    def held(server: receivers.Server) -> receivers.web.Application:
        return receivers.strict_app(check, server, delay=30, slow_case="tampered-body")

    with receivers.serving(held) as server:
        dialog.url_edit.setText(server.url())
        dialog.run_button.click()
        await wait_until(lambda: "tampered-body" in server.arrived)
        await wait_until(lambda: dialog.model.rowCount() == 1)
        assert dialog.running
        assert dialog.progress_bar.text() == "1 of 12 cases"
        assert not dialog.url_edit.isEnabled()
        shoot(dialog, shots_dir(tmp_path) / "scorecard-running-light.png")
        started = time.monotonic()
        dialog.cancel_button.click()
        card = await finished(dialog)
    assert time.monotonic() - started < 5  # the held answer was not waited for
    assert card.cancelled
    assert dialog.status_label.text().startswith("Not passed: Cancelled with 11 cases not sent")
    assert dialog.url_edit.isEnabled()
    assert dialog.run_button.isEnabled()


async def test_an_unreachable_receiver_is_one_sentence(dialog: ScorecardDialog) -> None:
    with receivers.serving(receivers.lax_app) as server:
        url = server.url()
    dialog.url_edit.setText(url)
    card = await dialog.run()
    assert card is None
    assert dialog.status_label.text().startswith(f"Cannot reach the receiver at {url}:")
    assert dialog.status_label.text().endswith(".")
    assert dialog.empty.isVisible()
    assert not dialog.running


async def test_closing_the_dialog_cancels_its_run(dialog: ScorecardDialog) -> None:
    check = receivers.kardow(SECRET)

    def held(server: receivers.Server) -> receivers.web.Application:
        return receivers.strict_app(check, server, delay=30, slow_case="valid")

    with receivers.serving(held) as server:
        dialog.url_edit.setText(server.url())
        dialog.run_button.click()
        await wait_until(lambda: "valid" in server.arrived)
        dialog.close()
        await wait_until(lambda: not dialog.running, within=5)
    assert dialog.last_card is not None
    assert dialog.last_card.outcomes == ()
