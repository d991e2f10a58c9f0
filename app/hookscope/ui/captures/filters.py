"""The bar above the capture list: search, provider, verdict, method, starred; follow; and
Forward to…, with the line that says where captures are forwarded."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hookscope.core import search
from hookscope.core.model import VERDICTS, CaptureQuery
from hookscope.core.providers import REGISTRY
from hookscope.ui.style import say
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.paging import COUNTING

SEARCH_PAUSE_MS = 250
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
SEARCH_HELP = (
    "Every word is found anywhere in the path, headers or body, inside words too"
    " (nich finds Munich), in any case; JSON text is searched as it reads (é finds \\u00e9).\n"
    '"Quotes" keep a phrase together.\n'
    "path.to.field:value keeps JSON bodies whose field has that value:"
    ' data.status:active, items[0].id:7, a.b:"two words".\n'
    'URLs and anything quoted are text: http://x/y, "a:b".'
)


class CaptureFilters(QWidget):
    """The filters over the capture list, how many captures match, and the follow switch.

    Signals:
        changed(): the filter changed (typing in the search waits for a pause first; a
            search that cannot be read is not applied: the list stays as it was).

    Attributes:
        search, provider, verdict, method, starred_only: the filters.
        matches: how many captures match.
        problem: why the search cannot be read (hidden when it can).
        follow: keep the newest capture in view.
        forward_button: Forward to… (its action is set by the window).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pause = QTimer(self, singleShot=True, interval=SEARCH_PAUSE_MS)
        self._pause.timeout.connect(self.changed)
        self._searched = ""  # the last search that could be read: the one in force
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        self.problem = plain_label(tone="error", selectable=False)
        self.problem.hide()
        column.addWidget(self.problem)
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search text, or field:value e.g. data.status:active  (Ctrl+F)"
        )
        self.search.setToolTip(SEARCH_HELP)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_edited)
        self.search.returnPressed.connect(self._search_entered)
        row.addWidget(self.search, 3)
        self.provider = QComboBox()
        self.provider.addItem("All providers", None)
        for name, known in REGISTRY.items():
            self.provider.addItem(getattr(known, "title", name.capitalize()), name)
        self.provider.addItem("No provider", "none")
        self.verdict = QComboBox()
        self.verdict.addItem("All verdicts", None)
        for name in VERDICTS:
            self.verdict.addItem(name, name)
        self.method = QComboBox()
        self.method.addItem("All methods", None)
        for name in METHODS:
            self.method.addItem(name, name)
        for combo in (self.provider, self.verdict, self.method):
            combo.currentIndexChanged.connect(lambda _: self.changed.emit())
            row.addWidget(combo)
        self.starred_only = QCheckBox("★ only")
        self.starred_only.setToolTip("Show starred captures only")
        self.starred_only.toggled.connect(lambda _: self.changed.emit())
        row.addWidget(self.starred_only)
        self.matches = plain_label(selectable=False, wrap=False)
        self.matches.setMinimumWidth(110)
        row.addWidget(self.matches)
        self.follow = QToolButton()
        self.follow.setText("Auto-follow")
        self.follow.setCheckable(True)
        self.follow.setChecked(True)
        self.follow.setToolTip("Keep the newest capture in view as deliveries arrive")
        row.addWidget(self.follow)
        self.forward_button = QToolButton()
        row.addWidget(self.forward_button)
        self._column = column

    def add_line(self, line: QWidget) -> None:
        """A line under the bar (what is forwarded where), shown when it has something to say."""
        self._column.addWidget(line)

    def _search_edited(self, text: str) -> None:
        mistake = search.problem(text)
        say(self.problem, mistake or "", "error")
        if mistake is None:
            self._pause.start()
        else:
            self._pause.stop()

    def _search_entered(self) -> None:
        if search.problem(self.search.text()) is None:
            self.changed.emit()

    def query(self) -> CaptureQuery:
        """The filters in force: a search that cannot be read leaves the last one that could."""
        text = self.search.text().strip()
        if search.problem(text) is None:
            self._searched = text
        return CaptureQuery(
            provider=self.provider.currentData(),
            verdict=self.verdict.currentData(),
            method=self.method.currentData(),
            search=self._searched,
            starred=self.starred_only.isChecked(),
        )

    def filtered(self) -> bool:
        """Some filter is set."""
        return self.query() != CaptureQuery()

    def show_matches(self, matching: int, *, exact: bool = True) -> None:
        """Say how many captures match (COUNTING: that they are being counted; not `exact`:
        at least that many, "10,000+")."""
        if matching == COUNTING:
            self.matches.setText("counting…")
            return
        noun = "capture" if matching == 1 else "captures"
        number = f"{matching:,}" if exact else f"{matching:,}+"
        self.matches.setText(f"{number} matching" if self.filtered() else f"{number} {noun}")

    def clear(self) -> None:
        """Every filter off, said once."""
        widgets = (self.provider, self.verdict, self.method, self.starred_only, self.search)
        for widget in widgets:
            widget.blockSignals(True)
        self.search.clear()
        say(self.problem, "")
        self.provider.setCurrentIndex(0)
        self.verdict.setCurrentIndex(0)
        self.method.setCurrentIndex(0)
        self.starred_only.setChecked(False)
        for widget in widgets:
            widget.blockSignals(False)
        self.changed.emit()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def stop(self) -> None:
        """Forget a search still waiting for a pause in the typing."""
        self._pause.stop()

    def state(self) -> dict[str, Any]:
        return {
            "search": self.search.text(),
            "provider": self.provider.currentData(),
            "verdict": self.verdict.currentData(),
            "method": self.method.currentData(),
            "starred": self.starred_only.isChecked(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Put back what `state()` gave (AttributeError when it is not a dict)."""
        self.search.setText(str(state.get("search", "")))
        for combo, key in (
            (self.provider, "provider"),
            (self.verdict, "verdict"),
            (self.method, "method"),
        ):
            found = combo.findData(state.get(key))
            combo.setCurrentIndex(max(found, 0))
        self.starred_only.setChecked(bool(state.get("starred", False)))
