"""Desktop notifications of failed or stale verifications while the window is hidden."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hookscope.core.model import CaptureSummary
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui import notify
from hookscope.ui.notify import LIMIT, NOTIFY, notification_text
from hookscope.ui.tray import Tray
from hookscope.ui.window import MainWindow
from tests.ui.conftest import wait_until
from tests.ui.test_window import kardow_body, post, signed

Shown = tuple[str, str, int]


async def turn_on(engine: Engine, on: bool = True) -> None:
    await asyncio.wrap_future(engine.call(engine.config.set_setting(NOTIFY, on)))


async def post_failed(engine: Engine, path: str = "/kardow/webhooks/tenant/499") -> None:
    body = kardow_body("job.closed")
    await post(engine, path, body, signed(body, "an-old-secret"))


async def post_verified(engine: Engine) -> None:
    body = kardow_body("job.created")
    await post(engine, "/kardow", body, signed(body))


def notifications(tray: Tray) -> list[Shown]:
    shown: list[Shown] = []
    tray.notifier.requested.connect(lambda *args: shown.append(args))
    return shown


@pytest.mark.asyncio
async def test_a_failed_delivery_while_minimised_is_notified_and_a_click_shows_it(
    window: MainWindow, live_engine: Engine
) -> None:
    await turn_on(live_engine)
    tray = Tray(window)  # offscreen there is no tray: the taskbar entry is asked to flash
    shown = notifications(tray)
    window.showMinimized()
    await wait_until(window.isMinimized)

    await post_verified(live_engine)  # not worth a notification
    await post_failed(live_engine)

    await wait_until(lambda: shown)
    newest = reads.newest_id(window.db)
    assert shown == [
        ("Hookscope", "A delivery to /kardow/webhooks/tenant/499 failed verification.", newest)
    ]
    assert tray.notified == newest

    tray.show_notified()  # the notification was clicked
    assert window.isVisible()
    assert not window.isMinimized()
    assert window.captures.current_id() == newest


@pytest.mark.asyncio
async def test_a_burst_is_summed_up_at_most_once_every_few_seconds(
    window: MainWindow, live_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "RATE_S", 1.0)
    await turn_on(live_engine)
    tray = Tray(window)
    shown = notifications(tray)
    window.hide()  # to the tray

    await post_failed(live_engine)
    await wait_until(lambda: shown)
    first = asyncio.get_running_loop().time()
    for _ in range(3):
        await post_failed(live_engine)
    await wait_until(lambda: len(shown) == 2)
    assert asyncio.get_running_loop().time() - first >= 0.9  # not before the rate allows
    assert shown[1][1] == "3 deliveries failed verification."
    assert shown[1][2] == reads.newest_id(window.db)


@pytest.mark.asyncio
async def test_nothing_is_notified_while_the_window_is_in_view(
    window: MainWindow, live_engine: Engine
) -> None:
    await turn_on(live_engine)
    tray = Tray(window)
    shown = notifications(tray)
    assert window.isVisible()
    assert not window.isMinimized()

    await post_failed(live_engine, "/seen/in/the/list")
    await wait_until(lambda: window.captures.model.rowCount() == 1)
    await wait_until(lambda: tray.notifier.seen == reads.newest_id(window.db))
    assert shown == []

    window.showMinimized()
    await wait_until(window.isMinimized)
    await post_failed(live_engine, "/after/minimising")
    await wait_until(lambda: shown)
    # Only what arrived while the window was away is counted.
    assert shown[0][1] == "A delivery to /after/minimising failed verification."


@pytest.mark.asyncio
async def test_nothing_is_notified_when_the_setting_is_off(
    window: MainWindow, live_engine: Engine
) -> None:
    tray = Tray(window)  # the setting is off unless turned on
    shown = notifications(tray)
    window.showMinimized()
    await wait_until(window.isMinimized)

    await post_failed(live_engine)
    newest_stored = lambda: reads.newest_id(window.db)  # noqa: E731
    await wait_until(lambda: newest_stored() > 0)
    await wait_until(lambda: tray.notifier.seen == newest_stored())  # looked, and kept quiet
    assert shown == []


def summary(verdict: str, path: str = "/x") -> CaptureSummary:
    now = datetime.now(UTC)
    return CaptureSummary(
        1, now, "POST", path, "", "127.0.0.1", verdict, "", None, None, 0, False, "", 200
    )


def test_the_sentences() -> None:
    assert notification_text([summary("stale", "/k")]) == "A delivery to /k had a stale timestamp."
    assert notification_text([summary("failed")] * 2) == "2 deliveries failed verification."
    assert notification_text([summary("stale")] * 2) == "2 deliveries had a stale timestamp."
    assert (
        notification_text([summary("stale"), summary("failed")])
        == "2 deliveries failed verification or had a stale timestamp."
    )
    assert notification_text([summary("failed")] * LIMIT) == (
        f"{LIMIT} or more deliveries failed verification."
    )
