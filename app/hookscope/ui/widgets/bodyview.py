"""A body as a JSON tree, pretty text, raw text and hex, formatted off the GUI thread and shown
a screenful at a time when big."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
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
    Cancelled,
    Rendering,
    Superseded,
    analyse,
    render,
)
from hookscope.core.tasks import spawn
from hookscope.ui.childwork import IN_PROCESS_LIMIT, ChildFailed, parse_elsewhere, pretty_in_child
from hookscope.ui.formats import human_size
from hookscope.ui.style import is_dark
from hookscope.ui.widgets.bodyrows import TextRows, text_rows
from hookscope.ui.widgets.bodytext import json_tokens, limit_size
from hookscope.ui.widgets.jsontree import JsonHighlighter, JsonTreeModel
from hookscope.ui.widgets.textpane import TextPane, Wrap

log = logging.getLogger(__name__)

# Pretty and Raw as rows, each None when short enough for a plain text editor.
Indexed = tuple[TextRows | None, TextRows | None]

# What the text views (Raw, Pretty) show before the user asks for more (Hex shows it all: it
# makes each row from the bytes when it is on screen).
TEXT_LIMIT = 256 * KB
MORE = 1 * MB
# Bodies up to this size are parsed and formatted at once on the GUI thread (a few ms); bigger
# ones on a worker thread, so a 25 MB delivery never freezes the window.
SYNC_LIMIT = 64 * KB
COPY_NOTE_MS = 10_000  # how long the note that a copy was cut stays
# A JSON body parsed in a child process has no document here to make a tree of.
TREE_NOTE = f"Too large for the tree (over {human_size(IN_PROCESS_LIMIT)}): shown as text."
# Top-level containers expanded when a document is shown, at most this many rows in total.
EXPAND_BUDGET = 2000
# Notes above the views: (light palette, dark palette) backgrounds; the text keeps its colour.
_BANNER_COLOURS = {"warning": ("#fde7c7", "#5c3d12"), "info": ("#e3e8f8", "#2b3a66")}


def as_rows(
    rendering: Rendering, widths: tuple[int, int], cancelled: Cancelled | None = None
) -> Indexed:
    """Pretty and raw as rows `widths` wide when they are too long for a plain text editor."""
    stop = cancelled or (lambda: False)
    pretty = text_rows(rendering.pretty, widths[0], stop)
    if rendering.raw is rendering.pretty and widths[1] == widths[0]:
        return pretty, pretty  # the same text (UTF-8 text): index it once
    return pretty, text_rows(rendering.raw, widths[1], stop)


class BodyView(QWidget):
    """One HTTP body, byte-exact: a JSON tree and pretty text, raw text, and a hexdump.

    Bodies up to SYNC_LIMIT are rendered inside set_body(). Bigger ones are parsed, formatted
    and indexed by line on a worker thread (asyncio.to_thread in a task from spawn(): a running
    qasync loop is needed); when another body (or limit) is set meanwhile, the old result is
    thrown away. JSON bodies over childwork.IN_PROCESS_LIMIT are parsed and pretty-printed in
    a child process (json.loads would hold the interpreter lock, and so the window, for
    seconds): they have no tree. Raw and Pretty show the first TEXT_LIMIT bytes; the limit bar
    offers more, up to all of it. A text longer than bodyrows.PLAIN_LIMIT and every hexdump
    are shown by a rows view that lays out only the rows on screen, so showing 25 MB costs the
    GUI thread as little as showing 25 KB.

    Signals:
        rendered(): the current body finished rendering in every view.

    Attributes:
        views: the tabs "Pretty", "Raw" and "Hex", in this order.
        tree: the JSON tree (top of the Pretty tab; hidden when the body is not JSON).
        model: the JsonTreeModel behind `tree`.
        splitter: holds `tree` above `pretty` (vertical; either can be made bigger).
        pretty: indented, coloured JSON; a form's decoded pairs; text; or what a binary body is
            (a TextPane, as are `raw` and `hex`).
        highlighter: the JsonHighlighter colouring `pretty` when it is small.
        raw: the body decoded as UTF-8, undecodable bytes replaced.
        hex: a `hexdump -C` of the body.
        copy_note: says that a copy from a huge selection was cut.
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

        self.pretty = TextPane(wrap=True)
        self.highlighter = JsonHighlighter(self.pretty.document())
        self.highlighter.set_dark(self._dark)
        self.raw = TextPane(wrap=True)
        self.hex = TextPane(wrap=False)
        self.copy_note = QLabel()
        self.copy_note.setWordWrap(True)
        self.copy_note.setMargin(6)
        self.copy_note.hide()
        self._copy_note_timer = QTimer(self, singleShot=True, interval=COPY_NOTE_MS)
        self._copy_note_timer.timeout.connect(self.copy_note.hide)
        for pane in (self.pretty, self.raw, self.hex):
            pane.rows_view.capped.connect(self._copy_capped)

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
        layout.addWidget(self.copy_note)
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
        self.truncated_note.setVisible(truncated)
        self.copy_note.hide()
        self.hex.set_hex(body)
        self._update_copy()
        self._render()

    def clear(self) -> None:
        """Show no body at all (no capture selected)."""
        self._supersede()
        self._body = None
        self._analysis = None
        self.truncated_note.hide()
        self.copy_note.hide()
        self.hex.clear()
        self.hex.setPlaceholderText("No body")
        self._show_empty("No body")
        self._update_copy()

    def show_more(self) -> None:
        """Show MORE more bytes in the text views."""
        if self._text_limit is not None:
            self._text_limit += MORE
        self._render()

    def show_all(self) -> None:
        """Show the whole body in every view (formatting a big one takes a while, off the GUI
        thread; showing it does not)."""
        self._text_limit = None
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
            rendering = render(body, analysis, self._text_limit)
            self._apply(analysis, rendering, as_rows(rendering, self._widths()))
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
        text_limit, widths = self._text_limit, self._widths()

        def work() -> tuple[Analysis, Rendering, Indexed]:
            done, pretty = analysis, None
            if (done is None or done.detached) and parse_elsewhere(body, content_type):
                elsewhere, pretty = pretty_in_child(
                    body, content_type, truncated, text_limit, cancel.is_set
                )
                done = done or elsewhere
            done = done or analyse(body, content_type, truncated=truncated)
            if cancel.is_set():
                raise Superseded
            rendering = render(body, done, text_limit, cancel.is_set, pretty)
            return done, rendering, as_rows(rendering, widths, cancel.is_set)

        try:
            result = await asyncio.to_thread(work)
        except asyncio.CancelledError:
            cancel.set()
            raise
        except Superseded:
            return
        except ChildFailed as error:
            self._failed(generation, f"Could not format this body: {error}.")
            return
        except Exception as error:
            log.exception("could not render a body of %d bytes", len(body))
            self._failed(generation, f"Could not render this body: {error}")
            return
        if not self._is_current(generation):
            return
        for _ in self._apply_steps(*result):
            await asyncio.sleep(0)
            if not self._is_current(generation):
                return

    def _failed(self, generation: int, sentence: str) -> None:
        if self._is_current(generation):
            self._show_empty(sentence)
            self.rendered.emit()

    def _is_current(self, generation: int) -> bool:
        # The widget may have been deleted (window closed) while the worker ran.
        return shiboken6.isValid(self) and generation == self._generation

    def _widths(self) -> tuple[int, int]:
        """How wide the rows of Pretty and Raw are cut for their views now."""
        return self.pretty.rows_view.columns(), self.raw.rows_view.columns()

    def _apply(self, analysis: Analysis, rendering: Rendering, rows: Indexed) -> None:
        for _ in self._apply_steps(analysis, rendering, rows):
            pass

    def _apply_steps(
        self, analysis: Analysis, rendering: Rendering, rows: Indexed
    ) -> Iterator[None]:
        """Put the rendering in the views, one view per step (a plain editor takes up to
        ~30 ms for its 64 KB), so the loop may turn between views."""
        if analysis is not self._analysis:
            self._analysis = analysis
            if analysis.kind == "json" and not analysis.detached:
                self.model.set_document(analysis.document)
                self._expand_first_level()
                self.tree.show()
            else:
                self.model.set_document({})
                self.tree.hide()
        notice = " ".join(
            sentence for sentence in (analysis.detached and TREE_NOTE, analysis.notice) if sentence
        )
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        self.highlighter.enabled = analysis.kind == "json"
        self.pretty.rows_view.colours = json_tokens if analysis.kind == "json" else None
        placeholder = "Empty body (0 bytes)" if analysis.kind == "empty" else ""
        self.hex.setPlaceholderText(placeholder)
        for view, text, text_rows_ in (
            (self.pretty, rendering.pretty, rows[0]),
            (self.raw, rendering.raw, rows[1]),
        ):
            yield
            view.setPlaceholderText(placeholder)
            view.set_text(text, text_rows_)
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
        if not parts:
            self.limit_bar.hide()
            return
        text = "; ".join(parts) + "."
        if analysis.kind == "json" and not analysis.detached:
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
        for view in (self.pretty, self.raw):
            view.setPlaceholderText(placeholder)
            view.clear()
        self.notice.hide()
        self.limit_bar.hide()

    def _update_copy(self) -> None:
        why_not = self.can_copy()
        self.copy_button.setEnabled(why_not is None)
        self.copy_button.setToolTip(why_not or "Copy the whole body, as received")

    def _set_wrap(self, wrap: bool) -> None:
        mode = Wrap.WidgetWidth if wrap else Wrap.NoWrap
        self.pretty.setLineWrapMode(mode)
        self.raw.setLineWrapMode(mode)

    def _copy_capped(self, sentence: str) -> None:
        self.copy_note.setText(sentence)
        self.copy_note.show()
        self._copy_note_timer.start()

    def _colour_banners(self) -> None:
        for banner, colours in (
            (self.truncated_note, _BANNER_COLOURS["warning"]),
            (self.notice, _BANNER_COLOURS["warning"]),
            (self.limit_bar, _BANNER_COLOURS["info"]),
            (self.copy_note, _BANNER_COLOURS["info"]),
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
