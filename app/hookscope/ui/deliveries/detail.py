"""One delivery attempt in full: its result, the request sent, and the answer it got."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QTabWidget, QVBoxLayout, QWidget

from hookscope.core.model import Attempt
from hookscope.ui.deliveries.text import result_word, status_text
from hookscope.ui.formats import human_size, local_time
from hookscope.ui.style import result_colour, retint
from hookscope.ui.widgets.badges import Badge
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.message import MessageView


class DeliveryDetail(QWidget):
    """One attempt: its result in words, the request sent, and the answer (or why none came).

    Attributes:
        attempt: the attempt shown, or None.
        badge: "delivered" or "failed" on its colour.
        outcome: the result in one sentence (the error, when no answer came).
        meta: when, how long, which try, which fire and target.
        tabs: "Request" and "Response".
        request_view: the request as sent: method and URL, how it was made (signed with...,
            a replay of ...), its headers and body, exactly.
        response_view: the answer: its status (or why none came), a note when its body was
            cut at the response limit, its headers and body.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attempt: Attempt | None = None
        self.empty = plain_label("Select an attempt to see its request and the answer it got.")
        self.empty.setEnabled(False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.badge = Badge(result_colour, hints=None)
        self.outcome = plain_label()
        self.meta = plain_label()
        summary = QHBoxLayout()
        summary.addWidget(self.badge)
        summary.addWidget(self.outcome, 1)

        # The request as sent and the answer as received: one message view each.
        self.request_view = MessageView(request=True)
        self.response_view = MessageView(request=False, note_tone="warning")

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.request_view, "Request")
        self.tabs.addTab(self.response_view, "Response")

        self.content = QWidget()
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addLayout(summary)
        content.addWidget(self.meta)
        content.addWidget(self.tabs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.content, 1)
        self.show_attempt(None)

    def show_attempt(self, attempt: Attempt | None) -> None:
        """Show this attempt in full (None: the empty state)."""
        self.attempt = attempt
        self.empty.setVisible(attempt is None)
        self.content.setVisible(attempt is not None)
        if attempt is None:
            self.request_view.clear()
            self.response_view.clear()
            return
        request = attempt.request
        self.badge.set_word(result_word(attempt))
        if attempt.error is not None:
            self.outcome.setText(f"No answer: {attempt.error}.")
        elif attempt.ok:
            self.outcome.setText(f"Delivered: the target answered {attempt.status}.")
        else:
            self.outcome.setText(f"Failed: {attempt.outcome}.")
        parts = [
            local_time(attempt.started_at, date=True),
            f"{attempt.latency_ms:,.0f} ms",
            f"try {attempt.number}" + ("" if attempt.final else " (a retry followed)"),
            f"fire {attempt.fire_id}",
        ]
        if request.target_id:
            parts.append(f"{request.kind} target {request.target_id}")
        elif request.replay_of is not None:
            parts.append(f"replay of capture #{request.replay_of}")
        else:
            parts.append(request.kind)
        self.meta.setText(" · ".join(parts))

        self.request_view.show_request(
            request, line=f"{request.method} {request.url}", note=request.note
        )
        if attempt.status is None:
            line = f"No answer: {attempt.error or 'none recorded'}."
        else:
            line = f"Answered {status_text(attempt.status)} after {attempt.latency_ms:,.0f} ms"
        cut = ""
        if attempt.response_truncated:
            size = len(attempt.response_body)
            cut = (
                f"The answer's body was cut at {size:,} bytes ({human_size(size)}): only that "
                "much is kept (Settings > Sending, response body limit)."
            )
        self.response_view.show_response(attempt.response, line=line, note=cut)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.badge.restyle()
            retint(self)
