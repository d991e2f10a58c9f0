"""One view of a body: a plain text editor for a small text, a rows view for a big one or hex."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QStackedWidget, QWidget

from hookscope.ui.style import monospace
from hookscope.ui.widgets.bodyrows import HexRows, TextRows
from hookscope.ui.widgets.rowsview import RowsView

Wrap = QPlainTextEdit.LineWrapMode


class TextPane(QStackedWidget):
    """A text shown whole in `plain` when small, or a row at a time in `rows_view` when big.

    QPlainTextEdit lays out its whole document on the GUI thread (megabytes took seconds), so
    a text longer than PLAIN_LIMIT (indexed by line, off the GUI thread) and any hexdump go to
    the rows view, which makes only the rows on screen. Both select with the mouse, copy with
    Ctrl+C, select all with Ctrl+A, wrap or not, and scroll with the keyboard.

    Signals:
        none (see `rows_view.capped`).

    Attributes:
        plain: the editor showing a small text (and the placeholder when there is none).
        rows_view: the view showing a big text or a hexdump.
    """

    def __init__(self, *, wrap: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plain = QPlainTextEdit()
        self.plain.setReadOnly(True)
        self.plain.setUndoRedoEnabled(False)
        self.plain.setFont(monospace())
        self.rows_view = RowsView()
        self.addWidget(self.plain)
        self.addWidget(self.rows_view)
        self.setLineWrapMode(Wrap.WidgetWidth if wrap else Wrap.NoWrap)

    @property
    def big(self) -> bool:
        """The rows view shows the text (it is big, or a hexdump)."""
        return self.currentWidget() is self.rows_view

    def set_text(self, text: str, rows: TextRows | None = None) -> None:
        """Show `text`: in the editor, or (given as rows: `bodyrows.text_rows`) in the rows
        view, which cuts them again if the view is not as wide as they are."""
        if rows is None:
            self.plain.setPlainText(text)
            self.setCurrentWidget(self.plain)
            self.rows_view.set_rows(HexRows(b""))
        else:
            self.plain.clear()
            self.rows_view.set_rows(rows)
            self.setCurrentWidget(self.rows_view)

    def set_hex(self, data: bytes) -> None:
        """Show a `hexdump -C` of `data` (none at all, and the placeholder, when it is empty)."""
        if not data:
            self.clear()
            return
        self.plain.clear()
        self.rows_view.set_rows(HexRows(data))
        self.setCurrentWidget(self.rows_view)

    def clear(self) -> None:
        self.set_text("")

    def toPlainText(self) -> str:
        """The whole text shown (for a big one: made again from its rows)."""
        if self.big:
            return self.rows_view.rows.copy(0, self.rows_view.rows.size)
        return self.plain.toPlainText()

    def document(self) -> QTextDocument:
        """The editor's document (a small text; the JSON highlighter colours it)."""
        return self.plain.document()

    def setPlaceholderText(self, text: str) -> None:
        self.plain.setPlaceholderText(text)

    def placeholderText(self) -> str:
        return self.plain.placeholderText()

    def setLineWrapMode(self, mode: QPlainTextEdit.LineWrapMode) -> None:
        self.plain.setLineWrapMode(mode)
        self.rows_view.set_wrap(mode != Wrap.NoWrap)

    def lineWrapMode(self) -> QPlainTextEdit.LineWrapMode:
        return self.plain.lineWrapMode()
