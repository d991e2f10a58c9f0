"""A parsed JSON document as a lazy tree model, and a highlighter for indented JSON."""

from __future__ import annotations

from typing import Any, cast, overload

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QRegularExpression,
    Qt,
)
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from hookscope.core.jsontext import json_type
from hookscope.ui.widgets.bodytext import (
    HIGHLIGHT_LINE_LIMIT,
    JSON_GROUPS,
    JSON_TOKENS,
    json_summary,
)
from hookscope.ui.widgets.records import Index, column_title

# The parsed JSON value behind a tree row; DisplayRole is always a string.
ValueRole = Qt.ItemDataRole.UserRole

# QTreeView lays out every child row of an expanded item: a node with 100 000 children hands them
# to the view this many at a time (canFetchMore/fetchMore, as the view scrolls to the end).
FETCH_BATCH = 1000

# (light palette, dark palette), as in VS Code's default light and dark themes.
_TOKEN_COLOURS = {
    "key": ("#0451a5", "#9cdcfe"),
    "string": ("#a31515", "#ce9178"),
    "number": ("#098658", "#b5cea8"),
    "literal": ("#0000ff", "#569cd6"),
}
_TYPE_TOKEN = {"string": "string", "number": "number", "boolean": "literal", "null": "literal"}


def token_colour(token: str, dark: bool) -> QColor:
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
                return json_summary(node.value)
            return json_type(node.value)
        if role == ValueRole:
            return node.value
        if role == Qt.ItemDataRole.ForegroundRole and column == self.VALUE:
            token = _TYPE_TOKEN.get(json_type(node.value))
            return token_colour(token, self._dark) if token else None
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

    # QRegularExpression counts in UTF-16 units, as setFormat() does (Python's re would be off
    # by one after every emoji).
    _TOKENS = QRegularExpression(JSON_TOKENS)
    _TOKENS.optimize()

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.enabled = False
        self._formats: dict[int, QTextCharFormat] = {}
        self.set_dark(False)

    def set_dark(self, dark: bool) -> None:
        """Colours for a dark (or light) palette; the caller rehighlights."""
        for group, token in enumerate(JSON_GROUPS, start=1):
            text_format = QTextCharFormat()
            text_format.setForeground(token_colour(token, dark))
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
