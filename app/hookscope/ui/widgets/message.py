"""One view for any HTTP message: a first line, a note, its headers in order, its body."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from hookscope.core.http import Request, Response
from hookscope.ui.widgets.bodyview import BodyView
from hookscope.ui.widgets.fields import ValueField
from hookscope.ui.widgets.headers import HeadersTable
from hookscope.ui.widgets.labels import plain_label


class MessageView(QWidget):
    """Shows a Request or a Response, whichever part of the app it comes from: a capture's
    answer, a delivery attempt's request and answer.

    Attributes:
        line: the request line (a read-only field: URLs run long) or the status line (a
            label); selectable either way.
        note: a sentence about the message (how it was made, why its body is cut), hidden
            when empty.
        headers: the headers, in order, duplicates kept.
        body: the body, with its pretty, raw and hex views.
    """

    def __init__(
        self, *, request: bool, note_tone: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.line: ValueField | QLabel = ValueField() if request else plain_label(wrap=False)
        self.note = plain_label(tone=note_tone)
        self.note.hide()
        self.headers = HeadersTable()
        self.body = BodyView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.headers)
        split.addWidget(self.body)
        # Headers carry what matters most in a webhook (the signature): room for several rows.
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.line)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)

    def show_request(self, request: Request, *, line: str = "", note: str = "") -> None:
        """A request; `line` replaces the request line (an outgoing one shows its URL)."""
        self._set_line(line or f"{request.method} {request.target} HTTP/{request.http_version}")
        self._say(note)
        self.headers.headers_model.set_rows(request.headers)
        self.body.set_body(request.body, request.headers.get("content-type") or "")

    def show_response(self, response: Response | None, *, line: str, note: str = "") -> None:
        """An answer, described by `line` ("Answered 200 OK after 12 ms"); None: none came."""
        self._set_line(line)
        self._say(note)
        if response is None:
            self.headers.headers_model.set_rows(())
            self.body.clear()
            return
        self.headers.headers_model.set_rows(response.headers)
        self.body.set_body(response.body, response.headers.get("content-type") or "")

    def clear(self) -> None:
        self._set_line("")
        self._say("")
        self.headers.headers_model.set_rows(())
        self.body.clear()

    def _set_line(self, text: str) -> None:
        if isinstance(self.line, ValueField):
            self.line.set_value(text)
        else:
            self.line.setText(text)

    def _say(self, note: str) -> None:
        self.note.setText(note)
        self.note.setVisible(bool(note))
