"""Huge JSON bodies are parsed and pretty-printed in a child process: the same text as before,
without holding the interpreter lock (and so the window), and no child left behind."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hookscope.core.contentviews import (
    Analysis,
    analyse,
    parse_content_type,
    pretty_elsewhere,
    render,
)
from hookscope.core.diff import compare
from hookscope.ui import childwork
from hookscope.ui.benchgui import big_json
from hookscope.ui.captures.compare import CompareDialog, compare_captures
from hookscope.ui.childwork import ChildFailed, decode_big, run_in_child
from hookscope.ui.widgets.bodyview import BodyView
from tests.conftest import make_capture
from tests.ui.conftest import wait_until

MB = 1024 * 1024

# (body, content type, truncated) of every shape the pretty view has to get right.
BODIES: list[tuple[bytes, str, bool]] = [
    ('{"name": "Zoë 🚀 中文", "ok": true, "none": null}'.encode(), "application/json", False),
    (rb'{"esc": "\u00e9\n\t\"\\\/\u0000", "pair": "\ud83d\ude80"}', "application/json", False),
    (rb'["\ud800", "lone \udfff surrogates"]', "application/json", False),
    (b"[" * 400 + b"1" + b"]" * 400, "application/json", False),  # deep, still a tree
    (b"[" * 100_000 + b"]" * 100_000, "", False),  # too deep: shown as text
    (b"[123456789012345678901234567890, 1e400, -0, 1.5E-7, -0.0, 1E+2, 0.1]", "", False),
    (b'{"a": 1, "b": {"c": 2}, "a": 3}', "application/json", False),  # a key repeated
    (b'{"a": [1, 2,, 3]}', "application/json", False),  # not JSON: the message and place
    (b'{"data": [1, 2, 3', "application/json", True),  # cut when received
    (b'\xef\xbb\xbf\n {"bom": [{}, [], ""]}', "", False),
    (b'"a lone string"', "application/json; charset=utf-8", False),
    (b"  [\r\n]\t", "text/plain", False),
    ('{"latin": "café"}'.encode("latin-1"), "application/json; charset=latin-1", False),
]


def old_pretty(body: bytes, content_type: str, truncated: bool, limit: int | None) -> object:
    """The text and notice the window showed before: parsed and formatted in this process."""
    analysis = analyse(body, content_type, truncated=truncated)
    rendering = render(body, analysis, limit)
    return analysis.kind, analysis.notice, rendering.pretty, rendering.pretty_cut


def pretty_all(
    bodies: list[tuple[bytes, str, bool]], limit: int | None
) -> list[tuple[Analysis, bytes | None, bool]]:
    """What the child does, for many bodies in one child (runs there: importable)."""
    return [pretty_elsewhere(body, kind, cut, limit) for body, kind, cut in bodies]


def never() -> bool:
    return False


@pytest.mark.slow
@pytest.mark.parametrize("limit", [None, 40])
def test_the_child_pretty_text_is_the_same_as_before(limit: int | None) -> None:
    results = run_in_child(pretty_all, (BODIES, limit), never)
    for (body, content_type, truncated), (analysis, pretty, cut) in zip(
        BODIES, results, strict=True
    ):
        rendering = render(
            body,
            analysis,
            limit,
            never,
            None if pretty is None else (decode_big(pretty, never), cut),
        )
        new = analysis.kind, analysis.notice, rendering.pretty, rendering.pretty_cut
        assert new == old_pretty(body, content_type, truncated, limit), body[:60]
        assert analysis.detached == (analysis.kind == "json")
        assert analysis.document is None or analysis.kind != "json"
        if analysis.kind == "json" and not analysis.notice and limit is None:
            charset = parse_content_type(content_type)[1] or "utf-8"
            document = json.loads(body.decode(charset).removeprefix("\ufeff"))
            assert rendering.pretty == json.dumps(document, indent=2, ensure_ascii=False)
    # The invalid one keeps its message and place.
    assert results[7][0].notice == (
        "Not valid JSON (Expecting value at line 1 column 13): shown as text."
    )


def test_big_text_is_decoded_a_megabyte_at_a_time_across_characters() -> None:
    text = "é🚀\ud800a" * (MB // 3)
    data = text.encode("utf-8", "surrogatepass")
    assert decode_big(data, never) == text


@pytest.mark.slow
def test_formatting_a_huge_body_does_not_hold_the_interpreter_lock() -> None:
    body = big_json(20 * MB)
    limit = 256 * 1024  # all of it is parsed; only the start is formatted (faster to check)
    gaps: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not stop.is_set() and len(gaps) < 1_000_000:
            time.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        analysis, pretty = childwork.pretty_in_child(body, "application/json", False, limit, never)
    finally:
        stop.set()
        ticker.join(10)
    assert analysis.detached
    assert len(gaps) > 10
    # In this process json.loads of 20 MB holds the lock for over a second.
    assert max(gaps) < 1.0
    assert pretty is not None
    assert pretty[1]
    assert pretty == old_pretty(body, "application/json", False, limit)[2:]
    assert limit - 100 < len(pretty[0]) <= limit


# -- the body view ------------------------------------------------------------------------------


@pytest.fixture
def view(qtbot: QtBot) -> BodyView:
    widget = BodyView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


async def until_rendered(view: BodyView, action: Callable[[], None]) -> None:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def done() -> None:
        if not future.done():
            future.set_result(None)

    view.rendered.connect(done)
    action()
    await asyncio.wait_for(future, 60)


async def no_child_left() -> None:
    await wait_until(lambda: not multiprocessing.active_children(), within=10)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_formatting_process_that_dies_is_one_sentence(view: BodyView) -> None:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def rendered() -> None:
        if not future.done():
            future.set_result(None)

    view.rendered.connect(rendered)
    view.set_body(big_json(2 * MB), "application/json")
    await wait_until(lambda: bool(multiprocessing.active_children()), within=20)
    for process in multiprocessing.active_children():
        process.kill()  # as the out-of-memory killer would
    await asyncio.wait_for(future, 30)
    assert view.pretty.placeholderText() == (
        "Could not format this body: its process stopped unexpectedly (exit code -9)."
    )
    assert view.raw.toPlainText() == ""
    await no_child_left()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_formatting_process_too_slow_is_stopped_and_said(
    view: BodyView, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(childwork, "TIMEOUT_S", 0.001)
    await until_rendered(view, lambda: view.set_body(big_json(2 * MB), "application/json"))
    assert view.pretty.placeholderText() == (
        "Could not format this body: it took too long and was stopped."
    )
    await no_child_left()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_huge_body_shows_the_same_text_without_a_tree(view: BodyView) -> None:
    body = big_json(3 * MB)
    await until_rendered(view, lambda: view.set_body(body, "application/json"))
    assert view.tree.isHidden()
    assert view.notice.text() == "Too large for the tree (over 1.0 MB): shown as text."
    assert view.limit_label.text() == "Showing the first 256 KB of 3.0 MB."
    expected = json.dumps(json.loads(body), indent=2)
    assert expected.startswith(view.pretty.toPlainText())
    await until_rendered(view, view.all_button.click)
    assert view.pretty.rows_view.rows.lines.text == expected  # type: ignore[attr-defined]
    # Repeated keys are said as well.
    doubled = body[:-2] + b'],"batch":"B"}'
    await until_rendered(view, lambda: view.set_body(doubled, "application/json"))
    assert view.notice.text().startswith(
        "Too large for the tree (over 1.0 MB): shown as text. Some objects repeat a key"
    )
    assert '\n  "batch": "B",\n' in view.pretty.toPlainText()
    await no_child_left()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_new_body_stops_the_child_formatting_the_old_one(view: BodyView) -> None:
    view.set_body(big_json(20 * MB), "application/json")
    await wait_until(lambda: bool(multiprocessing.active_children()), within=20)
    await until_rendered(view, lambda: view.set_body(b'{"small": 1}', "application/json"))
    await no_child_left()
    assert view.pretty.toPlainText() == '{\n  "small": 1\n}'


# -- Compare --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.asyncio
async def test_two_big_json_bodies_compare_as_before(qtbot: QtBot) -> None:
    body = big_json(2 * MB)
    changed = body.replace(b'"id":1234,', b'"id":"1234",', 1).replace(b'"batch":"A"', b'"b":1')
    a, b = make_capture(body=body), make_capture(body=changed)
    assert childwork.compare_elsewhere(a, b)
    assert compare_captures(a, b, never) == compare(a, b)
    dialog = CompareDialog(lambda x, y, cancelled: compare_captures(a, b, cancelled))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start(1, 2)
    await dialog.settle()
    assert dialog.comparison is not None
    assert [change.path for change in dialog.comparison.body.changes] == [
        "batch",
        "data[1234].id",
        "b",
    ]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_comparison_process_too_slow_is_one_sentence(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(childwork, "TIMEOUT_S", 0.001)
    a, b = make_capture(body=big_json(2 * MB)), make_capture(body=b"{}")
    dialog = CompareDialog(lambda x, y, cancelled: compare_captures(a, b, cancelled))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start(1, 2)
    await dialog.settle()
    assert dialog.comparison is None
    assert (
        dialog.status.text() == "Could not compare the captures: it took too long and was stopped."
    )
    await no_child_left()


def test_a_failure_in_the_child_is_one_sentence() -> None:
    with pytest.raises(ChildFailed, match=r"^its process failed \(ValueError: "):
        run_in_child(int, ("not a number",), never)


def test_a_child_that_cannot_start_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(process: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")  # as at the process limit

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    with pytest.raises(ChildFailed, match=r"^its process could not start \(.*unavailable\)$"):
        run_in_child(int, ("1",), never)


# -- leaving -------------------------------------------------------------------------------------

EXIT_SCRIPT = """
import asyncio, multiprocessing, os, sys
import qasync
from hookscope.ui.app import application
from hookscope.ui.benchgui import big_json
from hookscope.ui.widgets.bodyview import BodyView

async def main():
    view = BodyView()
    view.show()
    view.set_body(big_json(20 * 1024 * 1024), "application/json")
    for _ in range(2000):
        if multiprocessing.active_children():
            break
        await asyncio.sleep(0.01)
    print("formatting", flush=True)
    sys.stdin.readline()  # the test has seen the children
    view.close()  # the window closes while the body is still being formatted

app = application()
with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
    runner.run(main())
"""


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_closing_while_formatting_leaves_no_child_behind() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen(
        [sys.executable, "-c", EXIT_SCRIPT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert app.stdout is not None
        assert app.stdin is not None
        assert app.stdout.readline() == "formatting\n"
        children = children_of(app.pid)
        assert children  # the formatting process (and multiprocessing's resource tracker)
        app.stdin.write("\n")
        app.stdin.flush()
        assert app.wait(60) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
        for stream in (app.stdin, app.stdout):
            if stream is not None:
                stream.close()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children):
        assert time.monotonic() < deadline, "a child outlived the app"
        time.sleep(0.05)
