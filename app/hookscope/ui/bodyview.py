"""A captured body as a JSON tree, pretty text, raw text and hex, formatted off the GUI thread."""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, cast, overload
from urllib.parse import parse_qsl

import shiboken6
from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hookscope.core.tasks import spawn
from hookscope.ui.models import column_title
from hookscope.ui.style import human_size, is_dark, monospace

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

# The parsed JSON value behind a tree row; DisplayRole is always a string.
ValueRole = Qt.ItemDataRole.UserRole

KB = 1024
MB = 1024 * KB
# What the text views (Raw, Pretty) and Hex show before the user asks for more.
TEXT_LIMIT = 256 * KB
HEX_LIMIT = 64 * KB
MORE = 1 * MB
# Bodies up to this size are parsed and formatted at once on the GUI thread (a few ms); bigger
# ones on a worker thread, so a 25 MB delivery never freezes the window.
SYNC_LIMIT = 64 * KB
# The highlighter runs on the GUI thread over every block of the document: past this many
# characters (only after "Show all"/"Show more") the pretty text stays uncoloured.
HIGHLIGHT_LIMIT = 2 * MB
# A line this long (a huge string value) is not worth colouring.
HIGHLIGHT_LINE_LIMIT = 20_000
# A tree row shows this many characters of a string value; ValueRole has all of it.
VALUE_CHARS = 300
# QTreeView lays out every child row of an expanded item: a node with 100 000 children hands them
# to the view this many at a time (canFetchMore/fetchMore, as the view scrolls to the end).
FETCH_BATCH = 1000
# Top-level containers expanded when a document is shown, at most this many rows in total.
EXPAND_BUDGET = 2000

Kind = Literal["empty", "json", "form", "text", "binary"]

_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))
_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False)
_CHECK_EVERY = 4096


class _Superseded(Exception):
    """A newer body or limit replaced the one being formatted; its work is thrown away."""


@dataclass(frozen=True)
class _Analysis:
    """What a body is; computed once per body (the JSON parse is the expensive part)."""

    kind: Kind
    size: int
    document: Any = None
    # The decoded pairs of a form body; the charset of a text body.
    form_text: str = ""
    encoding: str = "utf-8"
    notice: str = ""
    mime: str = ""


@dataclass(frozen=True)
class _Rendering:
    """The text of each view for one set of display limits."""

    pretty: str
    raw: str
    hex: str
    pretty_cut: bool
    raw_cut: bool
    hex_cut: bool


def _parse_content_type(content_type: str) -> tuple[str, str]:
    """The lowercase media type and the charset parameter ("" when absent or unknown)."""
    mime, _, params = content_type.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = ""
    return mime.strip().lower(), charset


def _decode_prefix(data: bytes, limit: int | None, encoding: str) -> tuple[str, bool]:
    """The first `limit` bytes as text, never ending in half a character; and whether cut."""
    if limit is None or len(data) <= limit:
        return data.decode(encoding, errors="replace"), False
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[:limit], final=False), True


def _decode_strict(body: bytes, encoding: str, *, final: bool) -> str | None:
    """The body as text, or None when it is not text in that encoding."""
    try:
        # A body cut on receipt may end in half a character: that alone does not make it binary.
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(body, final=final)
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _form_text(text: str, encoding: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="replace")
    return "\n".join(f"{name} = {value}" for name, value in pairs)


def analyse(body: bytes, content_type: str = "", *, truncated: bool = False) -> _Analysis:
    """Decide what `body` is: JSON (parsed), a form, text in some charset, binary, or empty."""
    size = len(body)
    mime, charset = _parse_content_type(content_type)
    if not body:
        return _Analysis("empty", size, mime=mime)
    encoding = charset or "utf-8"
    text = _decode_strict(body, encoding, final=not truncated)
    if text is None and charset and charset != "utf-8":
        encoding = "utf-8"
        text = _decode_strict(body, encoding, final=not truncated)
    if text is None:
        return _Analysis("binary", size, mime=mime)
    notice = ""
    if "json" in mime or _JSON_START.match(body):
        duplicates = False

        def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            nonlocal duplicates
            obj = dict(pairs)
            duplicates = duplicates or len(obj) != len(pairs)
            return obj

        try:
            document = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=pairs_hook)
        except json.JSONDecodeError as error:
            notice = (
                f"Not valid JSON ({error.msg} at line {error.lineno} column {error.colno}): "
                "shown as text."
            )
            if truncated:
                notice += " The body was cut when it was received."
        except RecursionError:
            notice = "JSON nested too deeply to show as a tree: shown as text."
        else:
            if duplicates:
                notice = (
                    "Some objects repeat a key: the tree and the pretty text show only the last "
                    "value of each; Raw shows the body as received."
                )
            return _Analysis("json", size, document=document, notice=notice, mime=mime)
    if mime == "application/x-www-form-urlencoded":
        return _Analysis("form", size, form_text=_form_text(text, encoding), mime=mime)
    return _Analysis("text", size, encoding=encoding, notice=notice, mime=mime)


def _cut_text(parts: list[str], limit: int) -> str:
    text = "".join(parts)[:limit]
    # End on a whole line when there is one.
    end = text.rfind("\n")
    return text[:end] if end > 0 else text


def pretty_json(
    document: Any, limit: int | None = None, cancelled: Callable[[], bool] = lambda: False
) -> tuple[str, bool]:
    """Indented JSON, at most `limit` characters (ending on a whole line); and whether cut."""
    parts: list[str] = []
    length = 0
    # With indent set, json's encoder is the pure-Python generator: stopping early is cheap.
    for count, chunk in enumerate(_ENCODER.iterencode(document)):
        parts.append(chunk)
        length += len(chunk)
        if limit is not None and length > limit:
            return _cut_text(parts, limit), True
        if count % _CHECK_EVERY == 0 and cancelled():
            raise _Superseded
    return "".join(parts), False


def hexdump(data: bytes, cancelled: Callable[[], bool] = lambda: False) -> str:
    """`hexdump -C` lines: offset, 16 bytes in two groups of 8, and the printable ASCII."""
    lines: list[str] = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = chunk[:8].hex(" ")
        if len(chunk) > 8:
            hexes += "  " + chunk[8:].hex(" ")
        ascii_ = chunk.translate(_PRINTABLE).decode("ascii")
        lines.append(f"{offset:08x}  {hexes:<48}  |{ascii_}|")
        if offset % (16 * _CHECK_EVERY) == 0 and cancelled():
            raise _Superseded
    return "\n".join(lines)


def render(
    body: bytes,
    analysis: _Analysis,
    text_limit: int | None,
    hex_limit: int | None,
    cancelled: Callable[[], bool] = lambda: False,
) -> _Rendering:
    """The text of every view of `body`, cut at the limits (None: everything)."""
    raw, raw_cut = _decode_prefix(body, text_limit, "utf-8")
    if cancelled():
        raise _Superseded
    pretty_cut = False
    if analysis.kind == "json":
        try:
            pretty, pretty_cut = pretty_json(analysis.document, text_limit, cancelled)
        except RecursionError:
            # Parsing nests in C, encoding in Python generators: a little less deep.
            pretty, pretty_cut = raw, raw_cut
    elif analysis.kind == "form":
        pretty = analysis.form_text
        if text_limit is not None and len(pretty) > text_limit:
            pretty, pretty_cut = _cut_text([pretty], text_limit), True
    elif analysis.kind == "text":
        if analysis.encoding == "utf-8":
            pretty, pretty_cut = raw, raw_cut
        else:
            pretty, pretty_cut = _decode_prefix(body, text_limit, analysis.encoding)
    elif analysis.kind == "binary":
        what = f" ({analysis.mime})" if analysis.mime else ""
        pretty = f"Binary body{what}, {human_size(len(body))} — see Hex"
    else:
        pretty = ""
    shown = body if hex_limit is None else body[:hex_limit]
    return _Rendering(
        pretty=pretty,
        raw=raw,
        hex=hexdump(shown, cancelled),
        pretty_cut=pretty_cut,
        raw_cut=raw_cut,
        hex_cut=len(shown) < len(body),
    )


def _limit_size(size: int) -> str:
    """256 KB, 1 MB: limits read better without the decimal human_size() gives."""
    if size % MB == 0:
        return f"{size // MB} MB"
    if size < MB and size % KB == 0:
        return f"{size // KB} KB"
    return human_size(size)


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _json_summary(value: Any) -> str:
    """One line for a tree cell: containers are counted, strings quoted and escaped."""
    if isinstance(value, dict):
        count = len(value)
        return f"{{{count:,} key{'' if count == 1 else 's'}}}" if count else "{}"
    if isinstance(value, list):
        count = len(value)
        return f"[{count:,} item{'' if count == 1 else 's'}]" if count else "[]"
    if isinstance(value, str) and len(value) > VALUE_CHARS:
        return json.dumps(value[:VALUE_CHARS], ensure_ascii=False) + "…"
    return json.dumps(value, ensure_ascii=False)


# (light palette, dark palette), as in VS Code's default light and dark themes.
_TOKEN_COLOURS = {
    "key": ("#0451a5", "#9cdcfe"),
    "string": ("#a31515", "#ce9178"),
    "number": ("#098658", "#b5cea8"),
    "literal": ("#0000ff", "#569cd6"),
}
# Notes above the views: (light palette, dark palette) backgrounds; the text keeps its colour.
_BANNER_COLOURS = {"warning": ("#fde7c7", "#5c3d12"), "info": ("#e3e8f8", "#2b3a66")}
_TYPE_TOKEN = {"string": "string", "number": "number", "boolean": "literal", "null": "literal"}


def _token_colour(token: str, dark: bool) -> QColor:
    light, dark_colour = _TOKEN_COLOURS[token]
    return QColor(dark_colour if dark else light)


class _Node:
    """One value in the document; its children are made when the view first asks for them."""

    __slots__ = ("children", "key", "keys", "loaded", "parent", "row", "value")

    def __init__(self, key: str, value: Any, parent: _Node | None, row: int) -> None:
        self.key = key
        self.value = value
        self.parent = parent
        self.row = row
        self.keys: list[str] | None = None
        self.children: dict[int, _Node] = {}
        self.loaded = min(self.size, FETCH_BATCH)

    @property
    def size(self) -> int:
        return len(self.value) if isinstance(self.value, dict | list) else 0

    def child(self, row: int) -> _Node:
        node = self.children.get(row)
        if node is None:
            if isinstance(self.value, dict):
                if self.keys is None:
                    self.keys = list(self.value)
                key = self.keys[row]
                node = _Node(key, self.value[key], self, row)
            else:
                node = _Node(str(row), self.value[row], self, row)
            self.children[row] = node
        return node


class JsonTreeModel(QAbstractItemModel):
    """A lazy tree over a parsed JSON document: rows are made only when a view asks for them.

    The rows at the top are the members of the document (one row for a bare scalar). Children
    of a big container reach the view FETCH_BATCH at a time through canFetchMore/fetchMore.

    Signals:
        none beyond QAbstractItemModel's.

    Attributes:
        COLUMNS: the column titles Key, Value, Type.
    """

    COLUMNS = ("Key", "Value", "Type")
    KEY, VALUE, TYPE = range(3)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node("", {}, None, -1)
        self._dark = False

    def set_document(self, document: Any) -> None:
        """Show `document` (anything json.loads returns); {} shows nothing."""
        self.beginResetModel()
        if not isinstance(document, dict | list):
            document = {"(value)": document}
        self._root = _Node("", document, None, -1)
        self.endResetModel()

    def _node(self, index: Index) -> _Node:
        if not index.isValid():
            return self._root
        return cast(_Node, index.internalPointer())

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        return self.createIndex(row, column, self._node(parent).child(row))

    @overload
    def parent(self) -> QObject | None: ...
    @overload
    def parent(self, child: Index) -> QModelIndex: ...
    def parent(self, child: Index | None = None) -> QObject | QModelIndex | None:
        if child is None:
            return super().parent()
        if not child.isValid():
            return QModelIndex()
        parent = self._node(child).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.column() > 0:
            return 0
        return self._node(parent).loaded

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.column() > 0:
            return False
        return self._node(parent).size > 0

    def canFetchMore(self, parent: Index) -> bool:
        if parent.column() > 0:
            return False
        node = self._node(parent)
        return node.loaded < node.size

    def fetchMore(self, parent: Index) -> None:
        if parent.column() > 0:
            return
        node = self._node(parent)
        more = min(node.size, node.loaded + FETCH_BATCH)
        if more <= node.loaded:
            return
        self.beginInsertRows(parent, node.loaded, more - 1)
        node.loaded = more
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        # No ToolTipRole on purpose: Qt shows a tooltip that looks like HTML as rich text, and
        # payloads are attacker-controlled (<img src=...>).
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.KEY:
                return node.key
            if column == self.VALUE:
                return _json_summary(node.value)
            return _json_type(node.value)
        if role == ValueRole:
            return node.value
        if role == Qt.ItemDataRole.ForegroundRole and column == self.VALUE:
            token = _TYPE_TOKEN.get(_json_type(node.value))
            return _token_colour(token, self._dark) if token else None
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        return column_title(self.COLUMNS, section, orientation, role)

    def set_dark(self, dark: bool) -> None:
        """Value colours for a dark (or light) palette; a palette change repaints the view."""
        self._dark = dark


class JsonHighlighter(QSyntaxHighlighter):
    """Colours keys, strings, numbers and true/false/null in indented JSON, one line at a time.

    Signals:
        none.

    Attributes:
        enabled: colour at all; off for text that is not JSON or too long to colour cheaply.
    """

    # One pass per line, left to right: a string is consumed whole, so digits inside it are not
    # numbers. QRegularExpression counts in UTF-16 units, as setFormat() does (Python's re would
    # be off by one after every emoji).
    _TOKENS = QRegularExpression(
        r'("(?:[^"\\]|\\.)*"(?=\s*:))'
        r'|("(?:[^"\\]|\\.)*")'
        r"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
        r"|\b(true|false|null)\b"
    )
    _TOKENS.optimize()
    _GROUPS = ("key", "string", "number", "literal")

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.enabled = False
        self._formats: dict[int, QTextCharFormat] = {}
        self.set_dark(False)

    def set_dark(self, dark: bool) -> None:
        """Colours for a dark (or light) palette; the caller rehighlights."""
        for group, token in enumerate(self._GROUPS, start=1):
            text_format = QTextCharFormat()
            text_format.setForeground(_token_colour(token, dark))
            self._formats[group] = text_format

    def highlightBlock(self, text: str) -> None:
        if not self.enabled or len(text) > HIGHLIGHT_LINE_LIMIT:
            return
        matches = self._TOKENS.globalMatch(text)
        while matches.hasNext():
            match = matches.next()
            group = match.lastCapturedIndex()
            self.setFormat(
                match.capturedStart(group), match.capturedLength(group), self._formats[group]
            )


def _text_view(*, wrap: bool) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setUndoRedoEnabled(False)
    view.setFont(monospace())
    view.setLineWrapMode(
        QPlainTextEdit.LineWrapMode.WidgetWidth if wrap else QPlainTextEdit.LineWrapMode.NoWrap
    )
    return view


class BodyView(QWidget):
    """One HTTP body, byte-exact: a JSON tree and pretty text, raw text, and a hexdump.

    Bodies up to SYNC_LIMIT are rendered inside set_body(). Bigger ones are parsed and formatted
    on a worker thread (asyncio.to_thread in a task from spawn(): a running qasync loop is
    needed); when another body (or limit) is set meanwhile, the old result is thrown away.
    Raw and Pretty show the first TEXT_LIMIT bytes and Hex the first HEX_LIMIT; the limit bar
    offers more. Only setting the texts runs on the GUI thread.

    Signals:
        rendered(): the current body finished rendering in every view.

    Attributes:
        views: the tabs "Pretty", "Raw" and "Hex", in this order.
        tree: the JSON tree (top of the Pretty tab; hidden when the body is not JSON).
        model: the JsonTreeModel behind `tree`.
        splitter: holds `tree` above `pretty` (vertical; either can be made bigger).
        pretty: indented, coloured JSON; a form's decoded pairs; text; or what a binary body is.
        highlighter: the JsonHighlighter colouring `pretty`.
        raw: the body decoded as UTF-8, undecodable bytes replaced.
        hex: a `hexdump -C` of the body.
        notice: why Pretty is not what one expects (JSON that does not parse, repeated keys).
        limit_bar: shown when a view is cut for display; holds limit_label, more_button and
            all_button.
        truncated_note: shown when the body was cut at the size limit when it was received.
        copy_button: copies the whole body to the clipboard.
        wrap_button: wrap long lines in Raw and Pretty (checked by default).
    """

    rendered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._body: bytes | None = None
        self._content_type = ""
        self._truncated = False
        self._analysis: _Analysis | None = None
        self._text_limit: int | None = TEXT_LIMIT
        self._hex_limit: int | None = HEX_LIMIT
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self._cancel: threading.Event | None = None
        self._dark = is_dark(self.palette())

        self.truncated_note = QLabel(
            "⚠ The body was cut at the size limit when it was received: "
            "the views show only what was kept."
        )
        self.truncated_note.setWordWrap(True)
        self.truncated_note.setMargin(6)
        self.truncated_note.hide()

        self.limit_label = QLabel()
        self.limit_label.setWordWrap(True)
        self.more_button = QPushButton("Show 1 MB more")
        self.more_button.clicked.connect(self.show_more)
        self.all_button = QPushButton("Show all")
        self.all_button.clicked.connect(self.show_all)
        self.limit_bar = QWidget()
        bar = QHBoxLayout(self.limit_bar)
        bar.setContentsMargins(6, 4, 6, 4)
        bar.addWidget(self.limit_label, 1)
        bar.addWidget(self.more_button)
        bar.addWidget(self.all_button)
        self.limit_bar.hide()

        self.model = JsonTreeModel(self)
        self.model.set_dark(self._dark)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(JsonTreeModel.VALUE, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        key_width = metrics.horizontalAdvance("organization_id") + 2 * self.tree.indentation()
        header.resizeSection(JsonTreeModel.KEY, key_width + 16)
        header.resizeSection(JsonTreeModel.TYPE, metrics.horizontalAdvance("boolean") + 16)
        self.tree.hide()

        self.pretty = _text_view(wrap=True)
        self.highlighter = JsonHighlighter(self.pretty.document())
        self.highlighter.set_dark(self._dark)
        self.raw = _text_view(wrap=True)
        self.hex = _text_view(wrap=False)

        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setMargin(6)
        self.notice.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.pretty)
        pretty_tab = QWidget()
        pretty_layout = QVBoxLayout(pretty_tab)
        pretty_layout.setContentsMargins(0, 0, 0, 0)
        pretty_layout.addWidget(self.notice)
        pretty_layout.addWidget(self.splitter, 1)

        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.views.addTab(pretty_tab, "Pretty")
        self.views.addTab(self.raw, "Raw")
        self.views.addTab(self.hex, "Hex")

        self.wrap_button = QToolButton()
        self.wrap_button.setText("Wrap lines")
        self.wrap_button.setCheckable(True)
        self.wrap_button.setChecked(True)
        self.wrap_button.toggled.connect(self._set_wrap)
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy body")
        self.copy_button.clicked.connect(self.copy_body)
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 4, 0)
        corner_layout.addWidget(self.wrap_button)
        corner_layout.addWidget(self.copy_button)
        self.views.setCornerWidget(corner, Qt.Corner.TopRightCorner)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.truncated_note)
        layout.addWidget(self.limit_bar)
        layout.addWidget(self.views, 1)

        self._colour_banners()
        self.clear()

    # -- public API ------------------------------------------------------------------------

    def set_body(self, body: bytes, content_type: str = "", *, truncated: bool = False) -> None:
        """Show `body` (as received); `truncated`: it was cut at the size limit on receipt."""
        self._body = body
        self._content_type = content_type
        self._truncated = truncated
        self._analysis = None
        self._text_limit = TEXT_LIMIT
        self._hex_limit = HEX_LIMIT
        self.truncated_note.setVisible(truncated)
        self._update_copy()
        self._render()

    def clear(self) -> None:
        """Show no body at all (no capture selected)."""
        self._supersede()
        self._body = None
        self._analysis = None
        self.truncated_note.hide()
        self._show_empty("No body")
        self._update_copy()

    def show_more(self) -> None:
        """Show MORE more bytes in every view."""
        if self._text_limit is not None:
            self._text_limit += MORE
        if self._hex_limit is not None:
            self._hex_limit += MORE
        self._render()

    def show_all(self) -> None:
        """Show the whole body in every view (formatting a big one takes a while)."""
        self._text_limit = self._hex_limit = None
        self._render()

    @property
    def rendering(self) -> bool:
        """A body is being formatted on the worker thread."""
        return self._task is not None and not self._task.done()

    def can_copy(self) -> str | None:
        """Why the body cannot be copied, or None when it can."""
        if self._body is None:
            return "No body to copy"
        if not self._body:
            return "The body is empty"
        return None

    def copy_body(self) -> None:
        """Put the whole body on the clipboard: as UTF-8 text and as the bytes received."""
        if self._body is None or self.can_copy():
            return
        mime = QMimeData()
        mime.setText(self._body.decode("utf-8", errors="replace"))
        mime.setData("application/octet-stream", QByteArray(self._body))
        QGuiApplication.clipboard().setMimeData(mime)

    # -- rendering -------------------------------------------------------------------------

    def _supersede(self) -> int:
        """Forget any rendering under way; the number of the rendering that replaces it."""
        self._generation += 1
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        return self._generation

    def _render(self) -> None:
        generation = self._supersede()
        body = self._body
        if body is None:
            return
        if len(body) <= SYNC_LIMIT:
            analysis = self._analysis or analyse(
                body, self._content_type, truncated=self._truncated
            )
            self._apply(analysis, render(body, analysis, self._text_limit, self._hex_limit))
            return
        self._show_pending(keep=self._analysis is not None)
        self._cancel = threading.Event()
        self._task = spawn(
            self._render_off_thread(generation, self._cancel, body),
            name=f"bodyview-render-{generation}",
        )

    async def _render_off_thread(
        self, generation: int, cancel: threading.Event, body: bytes
    ) -> None:
        analysis, content_type, truncated = self._analysis, self._content_type, self._truncated
        text_limit, hex_limit = self._text_limit, self._hex_limit

        def work() -> tuple[_Analysis, _Rendering]:
            done = analysis or analyse(body, content_type, truncated=truncated)
            if cancel.is_set():
                raise _Superseded
            return done, render(body, done, text_limit, hex_limit, cancel.is_set)

        try:
            result = await asyncio.to_thread(work)
        except asyncio.CancelledError:
            cancel.set()
            raise
        except _Superseded:
            return
        except Exception as error:
            log.exception("could not render a body of %d bytes", len(body))
            if self._is_current(generation):
                self._show_empty(f"Could not render this body: {error}")
                self.rendered.emit()
            return
        if not self._is_current(generation):
            return
        for _ in self._apply_steps(*result):
            await asyncio.sleep(0)
            if not self._is_current(generation):
                return

    def _is_current(self, generation: int) -> bool:
        # The widget may have been deleted (window closed) while the worker ran.
        return shiboken6.isValid(self) and generation == self._generation

    def _apply(self, analysis: _Analysis, rendering: _Rendering) -> None:
        for _ in self._apply_steps(analysis, rendering):
            pass

    def _apply_steps(self, analysis: _Analysis, rendering: _Rendering) -> Iterator[None]:
        """Put the rendering in the views, one view per step: setting 256 KB of text takes up to
        ~100 ms (a long line, the highlighter), so the loop may turn between views."""
        if analysis is not self._analysis:
            self._analysis = analysis
            if analysis.kind == "json":
                self.model.set_document(analysis.document)
                self._expand_first_level()
                self.tree.show()
            else:
                self.model.set_document({})
                self.tree.hide()
        self.notice.setText(analysis.notice)
        self.notice.setVisible(bool(analysis.notice))
        self.highlighter.enabled = (
            analysis.kind == "json" and len(rendering.pretty) <= HIGHLIGHT_LIMIT
        )
        placeholder = "Empty body (0 bytes)" if analysis.kind == "empty" else ""
        for view, text in (
            (self.pretty, rendering.pretty),
            (self.raw, rendering.raw),
            (self.hex, rendering.hex),
        ):
            yield
            view.setPlaceholderText(placeholder)
            view.setPlainText(text)
        self._update_limit_bar(analysis, rendering)
        self.rendered.emit()

    def _expand_first_level(self) -> None:
        budget = EXPAND_BUDGET
        for row in range(min(self.model.rowCount(), 50)):
            index = self.model.index(row, 0)
            count = self.model.rowCount(index)
            if 0 < count <= budget:
                self.tree.expand(index)
                budget -= count

    def _update_limit_bar(self, analysis: _Analysis, rendering: _Rendering) -> None:
        total = human_size(analysis.size)
        parts: list[str] = []
        if rendering.raw_cut and self._text_limit is not None:
            parts.append(f"Showing the first {_limit_size(self._text_limit)} of {total}")
        elif rendering.pretty_cut and self._text_limit is not None:
            parts.append(f"Pretty shows the first {_limit_size(self._text_limit)} of its text")
        if rendering.hex_cut and self._hex_limit is not None:
            hex_limit = _limit_size(self._hex_limit)
            parts.append(
                f"Hex the first {hex_limit}"
                if parts
                else f"Hex shows the first {hex_limit} of {total}"
            )
        if not parts:
            self.limit_bar.hide()
            return
        text = "; ".join(parts) + "."
        if analysis.kind == "json":
            text += " The tree has all of it."
        self.limit_label.setText(text)
        self.more_button.setEnabled(True)
        self.all_button.setEnabled(True)
        self.limit_bar.show()

    def _show_pending(self, *, keep: bool) -> None:
        """While the worker runs: keep the current text (more of the same body is coming) or
        show that this body is on its way."""
        self.more_button.setEnabled(False)
        self.all_button.setEnabled(False)
        if keep:
            self.limit_label.setText(f"Formatting {human_size(len(self._body or b''))}…")
            return
        self._show_empty(f"Formatting {human_size(len(self._body or b''))}…")

    def _show_empty(self, placeholder: str) -> None:
        self.model.set_document({})
        self.tree.hide()
        self.highlighter.enabled = False
        for view in (self.pretty, self.raw, self.hex):
            view.setPlaceholderText(placeholder)
            view.clear()
        self.notice.hide()
        self.limit_bar.hide()

    def _update_copy(self) -> None:
        why_not = self.can_copy()
        self.copy_button.setEnabled(why_not is None)
        self.copy_button.setToolTip(why_not or "Copy the whole body, as received")

    def _set_wrap(self, wrap: bool) -> None:
        mode = (
            QPlainTextEdit.LineWrapMode.WidgetWidth if wrap else QPlainTextEdit.LineWrapMode.NoWrap
        )
        self.pretty.setLineWrapMode(mode)
        self.raw.setLineWrapMode(mode)

    def _colour_banners(self) -> None:
        for banner, colours in (
            (self.truncated_note, _BANNER_COLOURS["warning"]),
            (self.notice, _BANNER_COLOURS["warning"]),
            (self.limit_bar, _BANNER_COLOURS["info"]),
        ):
            palette = banner.palette()
            palette.setColor(QPalette.ColorRole.Window, QColor(colours[self._dark]))
            banner.setPalette(palette)
            banner.setAutoFillBackground(True)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            dark = is_dark(self.palette())
            if dark != self._dark:
                self._dark = dark
                self._colour_banners()
                self.model.set_dark(dark)
                self.highlighter.set_dark(dark)
                if self.highlighter.enabled:
                    self.highlighter.rehighlight()
