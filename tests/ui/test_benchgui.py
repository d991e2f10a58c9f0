"""`hookscope bench --gui`: the harness measures a real window under real load."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hookscope.ui import benchgui


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_gui_bench_shows_every_capture_and_reports_figures() -> None:
    result = await benchgui.measure(rate=100, seconds=1.0)
    assert result.captured == 100
    assert result.shown == 100
    assert 0 <= result.lag_p50_ms <= result.lag_p99_ms <= result.lag_max_ms
    assert 0 < result.list_p50_ms <= result.list_p99_ms
    text = benchgui.report(result, as_json=False)
    assert "event-loop lag" in text
    assert '"shown": 100' in benchgui.report(result, as_json=True)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_gui_bench_measures_the_loop_while_a_5_mb_body_is_formatted() -> None:
    result = await benchgui.measure_body()
    assert result.size >= 5 * 1024 * 1024
    assert 0 <= result.set_body_ms <= result.shown_ms
    assert 0 <= result.lag_p99_ms <= result.lag_max_ms
    figures = benchgui.GuiBenchResult(100, 1.0, 100, 100, 1.0, 2.0, 3.0, 4.0, 5.0, body=result)
    text = benchgui.report(figures, as_json=False)
    assert "5.0 MB JSON body in the body view" in text
    assert f"max {result.lag_max_ms} ms" in text


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_gui_bench_measures_the_loop_while_show_all_shows_a_huge_body() -> None:
    result = await benchgui.measure_show_all(size=1024 * 1024)
    assert result.size >= 1024 * 1024
    assert result.shown_ms > 0
    assert 0 <= result.lag_p99_ms <= result.lag_max_ms
    figures = benchgui.GuiBenchResult(100, 1.0, 100, 100, 1.0, 2.0, 3.0, 4.0, 5.0, show_all=result)
    text = benchgui.report(figures, as_json=False)
    assert '"Show all" on a 1.0 MB JSON body, then every view to its end:' in text
    assert f"max {result.lag_max_ms} ms" in text
    assert '"show_all": {' in benchgui.report(figures, as_json=True)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_gui_bench_measures_the_loop_while_two_huge_bodies_are_compared() -> None:
    result = await benchgui.measure_compare(size=2 * 1024 * 1024)
    assert result.size >= 2 * 1024 * 1024
    assert result.compared_ms > 0
    assert 0 <= result.lag_p99_ms <= result.lag_max_ms
    first = await benchgui.measure_body(size=2 * 1024 * 1024)
    figures = benchgui.GuiBenchResult(
        100, 1.0, 100, 100, 1.0, 2.0, 3.0, 4.0, 5.0, first_show=first, compare=result
    )
    text = benchgui.report(figures, as_json=False)
    assert "two 2.0 MB JSON bodies compared:" in text
    assert "a 2.0 MB JSON body in the body view" in text
    assert f"max {result.lag_max_ms} ms" in text
    assert '"compare": {' in benchgui.report(figures, as_json=True)


CHILD = """
from PySide6.QtCore import qInstallMessageHandler, qWarning
from PySide6.QtWidgets import QApplication, QWidget
from hookscope.ui import benchgui
app = QApplication([])
qInstallMessageHandler(benchgui.quiet_offscreen_notices)
window = QWidget()
window.show()
window.setMinimumSize(300, 200)  # the offscreen platform says it cannot pass this on
app.processEvents()
qWarning("a message of the bench's own")
"""


def test_offscreen_size_hint_notices_are_dropped_and_other_messages_kept() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "a message of the bench's own" in done.stderr
    assert benchgui.OFFSCREEN_NOTICE not in done.stderr
