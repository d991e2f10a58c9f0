"""The body view: JSON tree, pretty text, raw text, hexdump, limits, big bodies off-thread."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from hookscope.core.contentviews import hexdump
from hookscope.ui.widgets.bodyrows import PLAIN_LIMIT, TextRows
from hookscope.ui.widgets.bodytext import json_tokens
from hookscope.ui.widgets.bodyview import BodyView
from hookscope.ui.widgets.jsontree import FETCH_BATCH, JsonTreeModel, ValueRole
from hookscope.ui.widgets.rowsview import COPY_LIMIT, MARGIN, RowsView
from hookscope.ui.widgets.textpane import Wrap
from tests.ui.conftest import wait_until

JSON_BODY = (
    b'{"event": "job.created", "data": {"id": 7, "tags": ["a", "b"], "remote": true, '
    b'"manager": null, "salary": 1234.5}, "empty": {}, "none": []}'
)


@pytest.fixture
def view(qtbot: QtBot) -> BodyView:
    widget = BodyView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def next_rendered(view: BodyView) -> asyncio.Future[None]:
    """A future resolved by the next `rendered` signal (connect it before acting)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def done() -> None:
        if not future.done():
            future.set_result(None)

    view.rendered.connect(done)
    return future


async def show(view: BodyView, body: bytes, content_type: str = "", **kwargs: Any) -> None:
    """set_body() and wait for `rendered` (emitted at once for small bodies, later for big)."""
    rendered = next_rendered(view)
    view.set_body(body, content_type, **kwargs)
    await asyncio.wait_for(rendered, 60)


async def wait_rendered(view: BodyView, action: Callable[[], None]) -> None:
    rendered = next_rendered(view)
    action()
    await asyncio.wait_for(rendered, 60)


def rendering_of(view: BodyView) -> asyncio.Task[None]:
    """The task formatting the body just set (a big one) on a worker thread."""
    task = view._task
    assert task is not None, "a big body is formatted off the GUI thread"
    return task


async def settled(rendering: asyncio.Task[None]) -> None:
    """Wait until a superseded rendering has ended: after that it can never show its body."""
    await asyncio.wait([rendering], timeout=60)
    assert rendering.done()


def rows(model: JsonTreeModel, parent: QModelIndex | None = None) -> list[tuple[str, str, str]]:
    parent = QModelIndex() if parent is None else parent
    return [
        (
            model.index(row, 0, parent).data(),
            model.index(row, 1, parent).data(),
            model.index(row, 2, parent).data(),
        )
        for row in range(model.rowCount(parent))
    ]


def child(model: JsonTreeModel, key: str, parent: QModelIndex | None = None) -> QModelIndex:
    parent = QModelIndex() if parent is None else parent
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        if index.data() == key:
            return index
    raise AssertionError(f"no row {key!r}")


def colours(view: BodyView, line: int) -> set[str]:
    """The colours the highlighter gave to parts of one line of the pretty text."""
    block = view.pretty.document().findBlockByNumber(line)
    return {f.format.foreground().color().name() for f in block.layout().formats()}


def big_json(size: int, marker: str = "A") -> bytes:
    """A minified JSON document of about `size` bytes, as webhook senders send them."""
    items: list[dict[str, Any]] = []
    length = 0
    while length < size:
        item = {"id": len(items), "title": "Backend engineer", "tags": ["python"], "remote": True}
        items.append(item)
        length += len(json.dumps(item, separators=(",", ":"))) + 1
    return json.dumps({"batch": marker, "data": items}, separators=(",", ":")).encode()


# -- small bodies, rendered in set_body --------------------------------------------------------


@pytest.mark.asyncio
async def test_json_body_in_every_view(view: BodyView) -> None:
    await show(view, JSON_BODY, "application/json")

    assert [view.views.tabText(i) for i in range(view.views.count())] == ["Pretty", "Raw", "Hex"]
    model = view.model
    assert view.tree.isVisible()
    assert view.tree.model() is model
    assert rows(model) == [
        ("event", '"job.created"', "string"),
        ("data", "{5 keys}", "object"),
        ("empty", "{}", "object"),
        ("none", "[]", "array"),
    ]
    data = child(model, "data")
    # Expanded to the first level: the members of "data" are on screen, "tags" is not opened.
    assert view.tree.isExpanded(data)
    assert rows(model, data) == [
        ("id", "7", "number"),
        ("tags", "[2 items]", "array"),
        ("remote", "true", "boolean"),
        ("manager", "null", "null"),
        ("salary", "1234.5", "number"),
    ]
    tags = child(model, "tags", data)
    assert not view.tree.isExpanded(tags)
    assert rows(model, tags) == [("0", '"a"', "string"), ("1", '"b"', "string")]
    # The parsed value travels under ValueRole; DisplayRole is a string.
    assert data.data(ValueRole) == json.loads(JSON_BODY)["data"]
    assert model.index(0, 1, data).data(ValueRole) == 7
    assert not model.hasChildren(child(model, "empty"))

    pretty = view.pretty.toPlainText()
    assert pretty == json.dumps(json.loads(JSON_BODY), indent=2)
    assert '\n  "data": {\n    "id": 7,\n' in pretty
    # Keys, strings, numbers and literals are coloured (light palette in tests).
    assert colours(view, 1) == {"#0451a5", "#a31515"}  # "event": "job.created"
    assert colours(view, 3) == {"#0451a5", "#098658"}  # "id": 7
    assert colours(view, 8) == {"#0451a5", "#0000ff"}  # "remote": true

    assert view.raw.toPlainText() == JSON_BODY.decode()
    hex_lines = view.hex.toPlainText().splitlines()
    assert hex_lines[0] == (
        '00000000  7b 22 65 76 65 6e 74 22  3a 20 22 6a 6f 62 2e 63  |{"event": "job.c|'
    )
    assert len(hex_lines) == (len(JSON_BODY) + 15) // 16
    assert hex_lines[-1].startswith(f"{(len(hex_lines) - 1) * 16:08x}  ")
    assert hex_lines[-1].endswith('"none": []}|')

    assert not view.limit_bar.isVisible()
    assert not view.notice.isVisible()
    assert not view.truncated_note.isVisible()
    assert not view.rendering


@pytest.mark.asyncio
async def test_binary_body(view: BodyView) -> None:
    body = bytes(range(256)) * 4 + b"\xff\xfe"  # not UTF-8

    await show(view, body, "application/octet-stream")

    assert view.pretty.toPlainText() == ("Binary body (application/octet-stream), 1.0 KB — see Hex")
    assert not view.tree.isVisible()
    lines = view.hex.toPlainText().splitlines()
    assert len(lines) == 65
    assert lines[0] == (
        "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|"
    )
    assert lines[4] == (
        "00000040  40 41 42 43 44 45 46 47  48 49 4a 4b 4c 4d 4e 4f  |@ABCDEFGHIJKLMNO|"
    )
    assert lines[15] == (
        "000000f0  f0 f1 f2 f3 f4 f5 f6 f7  f8 f9 fa fb fc fd fe ff  |................|"
    )
    assert lines[64] == "00000400  ff fe" + " " * 43 + "  |..|"
    raw = view.raw.toPlainText()
    assert "\ufffd" in raw
    assert raw.startswith("\x00\x01\x02")


def test_hexdump_matches_hexdump_c() -> None:
    # Output of `printf 'Hello, hex!\n\tab' | hexdump -C` (without its closing offset line).
    assert hexdump(b"Hello, hex!\n\tab") == (
        "00000000  48 65 6c 6c 6f 2c 20 68  65 78 21 0a 09 61 62     |Hello, hex!..ab|"
    )
    assert hexdump(b"12345678") == "00000000  31 32 33 34 35 36 37 38" + " " * 25 + "  |12345678|"
    assert hexdump(b"") == ""


@pytest.mark.asyncio
async def test_form_body_is_decoded(view: BodyView) -> None:
    body = b"name=J%C3%BCrgen+M%C3%BCller&note=a%26b%3Dc&empty=&html=%3Cb%3Ex%3C%2Fb%3E"

    await show(view, body, "application/x-www-form-urlencoded; charset=utf-8")

    assert view.pretty.toPlainText() == (
        "name = Jürgen Müller\nnote = a&b=c\nempty = \nhtml = <b>x</b>"
    )
    assert view.raw.toPlainText() == body.decode()
    assert not view.tree.isVisible()
    assert colours(view, 0) == set()


@pytest.mark.asyncio
async def test_broken_json_falls_back_to_text(view: BodyView) -> None:
    await show(view, b'{"a": 1,', "application/json")

    assert view.pretty.toPlainText() == '{"a": 1,'
    assert view.raw.toPlainText() == '{"a": 1,'
    assert not view.tree.isVisible()
    assert view.model.rowCount() == 0
    assert view.notice.isVisible()
    assert view.notice.text().startswith("Not valid JSON (")
    assert colours(view, 0) == set()


@pytest.mark.asyncio
async def test_text_body_in_its_charset(view: BodyView) -> None:
    await show(view, b"caf\xe9 cr\xe8me", "text/plain; charset=ISO-8859-1")

    assert view.pretty.toPlainText() == "café crème"
    # Raw is always UTF-8: what cannot be decoded is replaced, visibly.
    assert view.raw.toPlainText() == "caf\ufffd cr\ufffdme"
    assert not view.tree.isVisible()


@pytest.mark.asyncio
async def test_repeated_keys_are_pointed_out(view: BodyView) -> None:
    await show(view, b'{"amount": 1, "amount": 1000}', "application/json")

    assert rows(view.model) == [("amount", "1000", "number")]
    assert view.notice.isVisible()
    assert "repeat a key" in view.notice.text()
    assert view.raw.toPlainText() == '{"amount": 1, "amount": 1000}'


@pytest.mark.asyncio
async def test_json_without_json_content_type_and_scalar_documents(view: BodyView) -> None:
    await show(view, b'  [1, "two"]', "text/plain")
    assert rows(view.model) == [("0", "1", "number"), ("1", '"two"', "string")]

    await show(view, b"42", "application/json")
    assert rows(view.model) == [("(value)", "42", "number")]
    assert view.pretty.toPlainText() == "42"


@pytest.mark.asyncio
async def test_json_nested_too_deeply_falls_back_to_text(view: BodyView) -> None:
    body = b"[" * 20_000 + b"]" * 20_000

    await show(view, body, "application/json")

    assert view.notice.text() == "JSON nested too deeply to show as a tree: shown as text."
    assert not view.tree.isVisible()
    assert view.pretty.toPlainText() == body.decode()


@pytest.mark.asyncio
async def test_markup_in_payloads_is_shown_literally(view: BodyView) -> None:
    body = json.dumps({"<i>key</i>": "<b>bold</b>", "img": "<img src=x onerror=alert(1)>"}).encode()

    await show(view, body, "application/json")

    model = view.model
    assert rows(model) == [
        ("<i>key</i>", '"<b>bold</b>"', "string"),
        ("img", '"<img src=x onerror=alert(1)>"', "string"),
    ]
    # Qt renders a tooltip that looks like HTML as rich text: the model offers none.
    assert model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole) is None
    assert '"<i>key</i>": "<b>bold</b>"' in view.pretty.toPlainText()
    assert view.raw.toPlainText() == body.decode()
    assert '|{"<i>key</i>": "|' in view.hex.toPlainText()
    # Plain text all the way: no image was made of <img>, nothing was made bold of <b>.
    for editor in (view.pretty, view.raw):
        block = editor.document().firstBlock()
        assert all(not f.format.font().bold() for f in block.layout().formats())
        assert "&lt;img src=x onerror=alert(1)&gt;" in editor.document().toHtml()


@pytest.mark.asyncio
async def test_empty_body_and_clear(view: BodyView) -> None:
    await show(view, b"", "application/json")
    assert view.raw.placeholderText() == "Empty body (0 bytes)"
    assert view.raw.toPlainText() == ""
    assert not view.copy_button.isEnabled()
    assert view.copy_button.toolTip() == "The body is empty"

    await show(view, JSON_BODY, "application/json", truncated=True)
    view.clear()

    for editor in (view.pretty, view.raw, view.hex):
        assert editor.toPlainText() == ""
        assert editor.placeholderText() == "No body"
    assert not view.tree.isVisible()
    assert view.model.rowCount() == 0
    assert not view.truncated_note.isVisible()
    assert not view.copy_button.isEnabled()
    assert view.copy_button.toolTip() == view.can_copy() == "No body to copy"


@pytest.mark.asyncio
async def test_truncated_note(view: BodyView) -> None:
    await show(view, b'{"a": [1, 2', "application/json", truncated=True)

    assert view.truncated_note.isVisible()
    assert "cut at the size limit when it was received" in view.truncated_note.text()
    assert "cut when it was received" in view.notice.text()
    assert view.pretty.toPlainText() == '{"a": [1, 2'

    await show(view, b'{"a": [1, 2]}', "application/json")
    assert not view.truncated_note.isVisible()


@pytest.mark.asyncio
async def test_copy_body_copies_all_of_it(view: BodyView) -> None:
    body = b'{"name": "J\xc3\xbcrgen"}' + b" " * (400 * 1024) + b"\xff"
    await show(view, body, "application/json")
    assert len(view.raw.toPlainText()) < len(body)  # cut for display, not for copying

    view.copy_button.click()

    clipboard = QGuiApplication.clipboard()
    assert clipboard.text() == body.decode("utf-8", errors="replace")
    assert clipboard.mimeData().data("application/octet-stream").data() == body


@pytest.mark.asyncio
async def test_wrap_toggle(view: BodyView) -> None:
    await show(view, JSON_BODY, "application/json")
    assert view.raw.lineWrapMode() == Wrap.WidgetWidth
    assert view.raw.rows_view.wraps()
    assert view.hex.lineWrapMode() == Wrap.NoWrap

    view.wrap_button.click()

    assert view.raw.lineWrapMode() == Wrap.NoWrap
    assert view.pretty.lineWrapMode() == Wrap.NoWrap
    assert not view.raw.rows_view.wraps()


@pytest.mark.asyncio
async def test_dark_palette_colours(view: BodyView) -> None:
    await show(view, JSON_BODY, "application/json")
    dark = QPalette(QApplication.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1a1a1a"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))

    view.setPalette(dark)

    assert colours(view, 1) == {"#9cdcfe", "#ce9178"}
    event = view.model.index(0, 1)
    assert event.data(Qt.ItemDataRole.ForegroundRole) == QColor("#ce9178")


# -- the JSON tree model -----------------------------------------------------------------------


@pytest.mark.parametrize("force_py", [False, True])
@pytest.mark.parametrize(
    "document",
    [
        {"a": {"b": [1, 2.5, {"c": None, "d": []}], "e": {}}, "f": [], "g": [[], [{}]], "h": "x"},
        [True, False, None, [[[]]], {"k": {"k": {"k": "v"}}}],
        {},
        [],
        "a bare string",
        list(range(FETCH_BATCH + 10)),
    ],
)
def test_json_model(qtmodeltester: ModelTester, document: Any, force_py: bool) -> None:
    model = JsonTreeModel()
    model.set_document(document)
    qtmodeltester.check(model, force_py=force_py)  # type: ignore[no-untyped-call]


def test_json_tree_stays_lazy(qtbot: QtBot) -> None:
    document = [{"id": n, "tags": ["a"]} for n in range(100_000)]
    model = JsonTreeModel()
    model.set_document(document)
    view = BodyView()
    qtbot.addWidget(view)
    view.tree.setModel(model)
    view.tree.show()
    view.tree.expand(model.index(0, 0))
    qtbot.wait(10)

    # The view gets the rows a batch at a time, and rows are made only when asked for.
    shown = model.rowCount()
    assert shown in (FETCH_BATCH, 2 * FETCH_BATCH)
    assert model.canFetchMore(QModelIndex())
    assert len(model._root.children) <= shown
    assert len(model._root.children[0].children) == 2  # the expanded row's children
    assert len(model._root.children[1].children) == 0
    model.fetchMore(QModelIndex())
    assert model.rowCount() == shown + FETCH_BATCH
    assert model.index(0, 1).data() == "{2 keys}"
    assert model.index(shown, 1).data(ValueRole) == {"id": shown, "tags": ["a"]}


# -- big bodies, rendered off the GUI thread ---------------------------------------------------


# How long the GUI loop is held meanwhile is measured by `hookscope bench --gui`, not here.
@pytest.mark.slow
@pytest.mark.asyncio
async def test_big_json_body_is_formatted_off_the_gui_thread(view: BodyView) -> None:
    body = big_json(5 * 1024 * 1024)
    assert 5 * 1024 * 1024 <= len(body) < 5.05 * 1024 * 1024

    rendered = next_rendered(view)
    view.set_body(body, "application/json")
    assert view.rendering
    assert view.raw.toPlainText() == ""
    assert view.raw.placeholderText() == "Formatting 5.0 MB…"
    await asyncio.wait_for(rendered, 60)

    assert view.limit_bar.isVisible()
    assert "Showing the first 256 KB of 5.0 MB" in view.limit_label.text()
    assert view.raw.toPlainText() == body[: 256 * 1024].decode()
    pretty = view.pretty.toPlainText()
    assert pretty.startswith('{\n  "batch": "A",\n  "data": [\n    {\n      "id": 0,')
    assert len(pretty) <= 256 * 1024
    # Hex has all of it at once: its rows are made from the bytes as they are shown.
    assert len(view.hex.rows_view.rows) == (len(body) + 15) // 16
    # Parsed in a child process: no document here to make a tree of, and the view says so.
    assert view.tree.isHidden()
    assert view.model.rowCount() == 0
    assert view.notice.text() == "Too large for the tree (over 1.0 MB): shown as text."
    assert "tree" not in view.limit_label.text()

    await wait_rendered(view, view.more_button.click)
    assert "Showing the first 1.2 MB of 5.0 MB" in view.limit_label.text()
    assert view.raw.toPlainText() == body[: 1280 * 1024].decode()

    await wait_rendered(view, view.all_button.click)
    assert not view.limit_bar.isVisible()
    assert view.raw.toPlainText() == body.decode()
    assert view.pretty.toPlainText() == json.dumps(json.loads(body), indent=2)
    last = view.hex.rows_view.rows.row(len(view.hex.rows_view.rows) - 1)
    assert last.startswith(f"{(len(body) - 1) // 16 * 16:08x}  ")
    assert last.endswith("}]}|")


def laid_out_characters(view: BodyView) -> int:
    """How much text the body view's plain text editors hold (in their QTextDocuments)."""
    return sum(edit.document().characterCount() for edit in view.findChildren(QPlainTextEdit))


def fits(rows_view: RowsView) -> bool:
    """The rows are cut as wide as the view is now (or are hex rows, which are never cut)."""
    rows = rows_view.rows
    return not isinstance(rows, TextRows) or rows.width == rows_view.columns()


def on_screen(rows_view: RowsView) -> int:
    """How many rows fit in the rows view, the one partly shown at the bottom included."""
    return rows_view.viewport().height() // rows_view.fontMetrics().lineSpacing() + 1


# How long the GUI loop is held meanwhile is measured by `hookscope bench --gui`, not here.
@pytest.mark.slow
@pytest.mark.asyncio
async def test_show_all_of_25_mb_lays_out_only_the_rows_on_screen(
    view: BodyView, qtbot: QtBot
) -> None:
    body = big_json(25 * 1024 * 1024) + b"     "  # the last hex row half full
    items = len(json.loads(body)["data"])
    await show(view, body, "application/json")
    await wait_rendered(view, view.all_button.click)
    assert not view.limit_bar.isVisible()

    # No view holds the text in a document: every one shows rows, made when painted.
    assert all(pane.big for pane in (view.pretty, view.raw, view.hex))
    assert laid_out_characters(view) < 100
    for tab, pane in enumerate((view.pretty, view.raw, view.hex)):
        view.views.setCurrentIndex(tab)
        rows_view = pane.rows_view
        # Shown, the view has its width: the text's rows are cut again to fit it.
        await wait_until(lambda view=rows_view: fits(view))
        rows_view.verticalScrollBar().setValue(rows_view.verticalScrollBar().maximum())
        rows_view.viewport().grab()
        first, last = rows_view.painted
        assert last == len(rows_view.rows) - 1
        assert last - first + 1 <= on_screen(rows_view)

    # Raw: the body is one line, cut into rows as wide as the view.
    raw = view.raw.rows_view.rows
    width = view.raw.rows_view.columns()
    assert len(raw) == -(-len(body) // width)
    assert raw.row(len(raw) - 2) == body[(len(raw) - 2) * width : (len(raw) - 1) * width].decode()
    assert raw.row(len(raw) - 1).endswith('"remote":true}]}     ')

    # Pretty: a row a line, the last ones those of the last item.
    pretty = view.pretty.rows_view.rows
    tail = [pretty.row(n) for n in range(len(pretty) - 10, len(pretty))]
    assert tail == [
        "    {",
        f'      "id": {items - 1},',
        '      "title": "Backend engineer",',
        '      "tags": [',
        '        "python"',
        "      ],",
        '      "remote": true',
        "    }",
        "  ]",
        "}",
    ]

    # Hex: offset, the 16 bytes in two groups of 8, and the printable characters.
    hexed = view.hex.rows_view.rows
    assert len(hexed) == -(-len(body) // 16)
    offset = (len(hexed) - 2) * 16
    chunk = body[offset : offset + 16]
    assert hexed.row(len(hexed) - 2) == (
        f"{offset:08x}  {chunk[:8].hex(' ')}  {chunk[8:].hex(' ')}  |{chunk.decode()}|"
    )
    last = body[(len(hexed) - 1) * 16 :]
    assert 0 < len(last) < 8
    assert hexed.row(len(hexed) - 1) == (
        f"{(len(hexed) - 1) * 16:08x}  {last.hex(' '):<48}  |{last.decode()}|"
    )

    # Selecting the last line and copying it gives that line.
    view.views.setCurrentIndex(0)
    pretty_view = view.pretty.rows_view
    pretty_view.select(pretty.position(len(pretty) - 2, 0), pretty.size)
    qtbot.keyClick(pretty_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "  ]\n}"
    assert not view.copy_note.isVisible()

    # Copying all of it is cut, and says so.
    view.views.setCurrentIndex(1)
    qtbot.keyClick(view.raw.rows_view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.raw.rows_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == body[:COPY_LIMIT].decode()
    assert view.copy_note.isVisible()
    assert view.copy_note.text().startswith(f"Copied the first {COPY_LIMIT:,} of the ")

    # The keyboard scrolls: to the top, a page down, to the end.
    scroll = view.raw.rows_view.verticalScrollBar()
    qtbot.keyClick(view.raw.rows_view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert scroll.value() == 0
    qtbot.keyClick(view.raw.rows_view, Qt.Key.Key_PageDown)
    assert scroll.value() == scroll.pageStep() > 1
    qtbot.keyClick(view.raw.rows_view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert scroll.value() == scroll.maximum()


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Automatic garbage collection off, as in the app (ui/app.py GarbageCollector): parsing
    a body on the worker thread allocates enough to start a collection there, which would
    destroy a Qt object left over from an earlier step off the GUI thread."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.usefixtures("collector_off")
async def test_switching_bodies_while_a_big_one_renders_shows_the_new_one(
    view: BodyView,
) -> None:
    # Big enough for the worker thread, small enough to be parsed here (the tree shows them).
    big_a, big_b = big_json(900 * 1024, "A"), big_json(900 * 1024, "B")
    emitted: list[str] = []
    view.rendered.connect(lambda: emitted.append(view.raw.toPlainText()[:20]))

    view.set_body(big_a, "application/json")
    superseded = rendering_of(view)
    await asyncio.sleep(0.01)
    await show(view, big_b, "application/json")
    await wait_until(lambda: not view.rendering)
    await settled(superseded)

    assert emitted == ['{"batch":"B","data":']
    assert view.raw.toPlainText().startswith('{"batch":"B"')
    assert view.pretty.toPlainText().startswith('{\n  "batch": "B"')
    assert view.model.index(0, 1).data() == '"B"'

    # A small body while a big one renders: shown at once, and the big one never arrives.
    emitted.clear()
    view.set_body(big_a, "application/json")
    superseded = rendering_of(view)
    await show(view, b'{"small": true}', "application/json")
    await settled(superseded)
    assert emitted == ['{"small": true}']
    assert view.raw.toPlainText() == '{"small": true}'
    assert rows(view.model) == [("small", "true", "boolean")]
    assert not view.limit_bar.isVisible()

    # Clearing while a big one renders: nothing arrives after.
    emitted.clear()
    view.set_body(big_a, "application/json")
    superseded = rendering_of(view)
    view.clear()
    await settled(superseded)
    assert emitted == []
    assert view.raw.toPlainText() == ""
    assert view.raw.placeholderText() == "No body"


@pytest.mark.asyncio
async def test_a_big_text_is_selected_with_the_mouse_and_wraps_to_the_view(
    view: BodyView, qtbot: QtBot
) -> None:
    body = "\n".join(f"line {n:04d} " + "x" * (n % 300) for n in range(1500)).encode()
    assert len(body) > PLAIN_LIMIT
    await show(view, body, "text/plain")
    view.views.setCurrentIndex(1)
    rows_view = view.raw.rows_view
    assert view.raw.big
    await wait_until(lambda: fits(rows_view))
    rows = rows_view.rows
    assert isinstance(rows, TextRows)
    assert rows.width == rows_view.columns() < 300  # long lines go on over two rows
    assert rows.row(0) == "line 0000 "

    # Drag from the start of the first row to the fifth character of the second.
    metrics = rows_view.fontMetrics()
    middle = metrics.lineSpacing() // 2
    start = QPoint(MARGIN + 1, middle)
    end = QPoint(MARGIN + 5 * metrics.horizontalAdvance("0") + 1, metrics.lineSpacing() + middle)
    qtbot.mousePress(rows_view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(rows_view.viewport(), end)
    qtbot.mouseRelease(rows_view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert rows_view.selected_text() == "line 0000 \nline "
    rows_view.copy()
    assert QGuiApplication.clipboard().text() == "line 0000 \nline "

    # Unwrapped, a row is a line; wrapped again in a narrower view, rows are that narrow.
    view.wrap_button.click()
    await wait_until(lambda: fits(rows_view))
    assert len(rows_view.rows) == 1500
    assert rows_view.rows.row(299) == "line 0299 " + "x" * 299
    view.wrap_button.click()
    view.resize(500, 600)
    await wait_until(lambda: fits(rows_view) and rows_view.columns() < rows.width)
    assert len(rows_view.rows) > len(rows)
    assert rows_view.selected_text() == "line 0000 \nline "  # the selection stays on its text


@pytest.mark.asyncio
async def test_big_json_is_coloured_a_row_at_a_time(view: BodyView) -> None:
    body = json.dumps([{"id": n, "ok": True, "name": "x"} for n in range(3000)]).encode()
    await show(view, body, "application/json")
    rows_view = view.pretty.rows_view
    assert view.pretty.big
    assert rows_view.colours is json_tokens
    number = next(n for n in range(len(rows_view.rows)) if '"id"' in rows_view.rows.row(n))
    formats = rows_view._layout(rows_view.rows.row(number), number).formats()
    assert {f.format.foreground().color().name() for f in formats} == {"#0451a5", "#098658"}
    # Raw is not JSON-coloured.
    assert view.raw.rows_view.colours is None
