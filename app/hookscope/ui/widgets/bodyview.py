"""A body as a JSON tree, pretty text, raw text and hex, formatted off the GUI thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
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

from hookscope.core.contentviews import (
    KB,
    MB,
    Analysis,
    Rendering,
    Superseded,
    analyse,
    render,
)
from hookscope.core.tasks import spawn
from hookscope.ui.formats import human_size
from hookscope.ui.style import is_dark, monospace
from hookscope.ui.widgets.bodytext import limit_size
from hookscope.ui.widgets.jsontree import JsonHighlighter, JsonTreeModel

log = logging.getLogger(__name__)

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
# Top-level containers expanded when a document is shown, at most this many rows in total.
EXPAND_BUDGET = 2000
# Notes above the views: (light palette, dark palette) backgrounds; the text keeps its colour.
_BANNER_COLOURS = {"warning": ("#fde7c7", "#5c3d12"), "info": ("#e3e8f8", "#2b3a66")}


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
        self._analysis: Analysis | None = None
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

        def work() -> tuple[Analysis, Rendering]:
            done = analysis or analyse(body, content_type, truncated=truncated)
            if cancel.is_set():
                raise Superseded
            return done, render(body, done, text_limit, hex_limit, cancel.is_set)

        try:
            result = await asyncio.to_thread(work)
        except asyncio.CancelledError:
            cancel.set()
            raise
        except Superseded:
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

    def _apply(self, analysis: Analysis, rendering: Rendering) -> None:
        for _ in self._apply_steps(analysis, rendering):
            pass

    def _apply_steps(self, analysis: Analysis, rendering: Rendering) -> Iterator[None]:
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

    def _update_limit_bar(self, analysis: Analysis, rendering: Rendering) -> None:
        total = human_size(analysis.size)
        parts: list[str] = []
        if rendering.raw_cut and self._text_limit is not None:
            parts.append(f"Showing the first {limit_size(self._text_limit)} of {total}")
        elif rendering.pretty_cut and self._text_limit is not None:
            parts.append(f"Pretty shows the first {limit_size(self._text_limit)} of its text")
        if rendering.hex_cut and self._hex_limit is not None:
            hex_limit = limit_size(self._hex_limit)
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
