"""The Storage tab: how many captures to keep and for how long, the store's size, what would go."""

from __future__ import annotations

import pytest

from hookscope.core.model import RetentionPolicy
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.settings.storage import describe, size_text
from tests.integration.conftest import http, listener_port
from tests.ui.conftest import wait_until


@pytest.fixture
def dialog(settings_dialog: SettingsDialog) -> SettingsDialog:
    settings_dialog.tabs.setCurrentWidget(settings_dialog.storage)
    return settings_dialog


def _store(engine: Engine, count: int) -> None:
    for n in range(count):
        assert http(listener_port(engine), "POST", f"/n/{n}", body=b"{}").status == 200


def test_sizes_read_as_people_say_them() -> None:
    assert size_text(0) == "0 KB"
    assert size_text(300) == "1 KB"
    assert size_text(812 * 1024) == "812 KB"
    assert size_text(3_565_158) == "3.4 MB"
    assert size_text(2_899_102_924) == "2.7 GB"


def test_what_the_tab_says_of_the_limits() -> None:
    size = reads.StoreSize(file_bytes=2_899_102_924, free_bytes=0, captures=1_000_000, removable=0)
    assert describe(size, RetentionPolicy()) == (
        "The store holds 1,000,000 captures in 2.7 GB.",
        "No limit is set: every capture is kept.",
    )
    assert describe(size, RetentionPolicy(max_days=30))[1] == "Nothing is past these limits now."
    gone = reads.StoreSize(2_899_102_924, 5 * 1024 * 1024, 1_000_000, 250_000)
    assert describe(gone, RetentionPolicy(max_captures=750_000)) == (
        "The store holds 1,000,000 captures in 2.7 GB (5.0 MB of it free, given back in the"
        " background).",
        "Saved, these limits delete the oldest 250,000 captures in the background, a few at a"
        " time, without holding up deliveries.",
    )


@pytest.mark.asyncio
async def test_the_tab_shows_the_store_and_what_the_limits_would_delete(
    dialog: SettingsDialog, engine: Engine
) -> None:
    tab = dialog.storage
    assert tab.keep_spin.value() == 0  # off by default
    assert tab.keep_spin.text() == "no limit"
    tab.refresh()  # the fixture showed it before the loop ran
    await wait_until(lambda: "holds 0 captures" in tab.size_label.text())
    _store(engine, 5)
    tab.refresh()
    await wait_until(lambda: "holds 5 captures" in tab.size_label.text())
    assert tab.removal_label.text() == "No limit is set: every capture is kept."

    tab.keep_spin.setValue(2)

    await wait_until(lambda: "delete the oldest 3 captures" in tab.removal_label.text())
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Storage *"
    assert await dialog.save()
    assert engine.retention() == RetentionPolicy(max_captures=2)
    tab.refresh()
    await wait_until(lambda: "holds 2 captures" in tab.size_label.text(), within=20)
    assert tab.removal_label.text() == "Nothing is past these limits now."


@pytest.mark.asyncio
async def test_the_tab_reads_only_while_shown(dialog: SettingsDialog) -> None:
    tab = dialog.storage
    tab.refresh()
    await wait_until(lambda: "holds" in tab.size_label.text())
    dialog.tabs.setCurrentWidget(dialog.sending)
    assert tab._reader is None
    dialog.tabs.setCurrentWidget(tab)
    assert tab._reader is not None
