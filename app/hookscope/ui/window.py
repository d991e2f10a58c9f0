"""The main window: the listener bar, and tabs for captures, composing, targets and deliveries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope import __version__
from hookscope.core.model import DeliveryQuery
from hookscope.engine import Engine, EngineError
from hookscope.storage import reads
from hookscope.ui.background import Background
from hookscope.ui.bridge import EngineBridge
from hookscope.ui.captures.exporting import ExportDialog, export_scope
from hookscope.ui.captures.importing import HarImport
from hookscope.ui.captures.page import CapturesPage, b64, unb64
from hookscope.ui.client import EngineClient
from hookscope.ui.compose.bulkreplay import BulkReplayDialog
from hookscope.ui.compose.composer import ComposerPanel
from hookscope.ui.compose.replay import ReplayDialog
from hookscope.ui.compose.text import summary
from hookscope.ui.damage import DamageAlert
from hookscope.ui.deliveries.panel import DeliveriesPanel
from hookscope.ui.forwarding import ForwardingActions
from hookscope.ui.icons import app_icon
from hookscope.ui.scorecard import ScorecardOpener
from hookscope.ui.settings.dialog import SettingsDialog
from hookscope.ui.settings.writes import WRITE_ERRORS, SettingsWrites
from hookscope.ui.targets.panel import TargetsPanel
from hookscope.ui.welcome import WelcomeDialog
from hookscope.ui.widgets.labels import plain_label
from hookscope.ui.widgets.menus import Entries, attach_context_menu

log = logging.getLogger(__name__)

UI_STATE = "ui.window"


class MainWindow(QMainWindow):
    """The window users keep open all day.

    Signals:
        closed(): the window was closed; the app then stops the engine and exits.

    Attributes:
        bridge: the engine's notifications as Qt signals.
        captures: the Captures tab (the live list, its filters, the detail).
        composer, targets, deliveries: the other tabs.
        tabs: the four tabs.
        listen_state, url, copy_url, listen_button, stats: the listener bar.
        listen_error: why the listener could not start ("" when it did).
        settings_dialog, replay_dialog, bulk_replay_dialog, welcome_dialog, export_dialog: the
            window's dialogs.
        har_import: File > Import HAR….
        scorecard: Send > Receiver scorecard… and its dialog.
        forwarding: Forward to…, sending failed forwards again, and their dialogs.
        tray: the tray icon, set by the app where there is a tray.
        damage: the message shown when the store's background check finds it damaged.
    """

    closed = Signal()

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.client = EngineClient(engine)
        self.db = db
        self.settings_dialog: SettingsDialog | None = None
        self.replay_dialog: ReplayDialog | None = None
        self.bulk_replay_dialog: BulkReplayDialog | None = None
        self.welcome_dialog: WelcomeDialog | None = None
        self.export_dialog: ExportDialog | None = None
        self._ask_before_closing = True
        self._quit_question: QMessageBox | None = None
        self.tray: QObject | None = None
        self.listen_error = ""
        self._work = Background(
            self,
            "ui-action",
            lambda exc: self.statusBar().showMessage(f"That did not work: {exc}", 10000),
        )
        # Qt adds the application's display name: "Webhook inspector — Hookscope".
        self.setWindowTitle("Webhook inspector")
        self.setWindowIcon(app_icon())

        self.bridge = EngineBridge(engine, self)
        self.bridge.config_changed.connect(self._config_changed)
        self.damage = DamageAlert(self, engine, self.bridge)
        self._build()
        self._build_actions()
        attach_context_menu(self.captures.table, self._capture_menu)

        self._ticker = QTimer(self, interval=500)
        self._ticker.timeout.connect(self._refresh_status)
        self._ticker.start()
        self._restore_state()
        self.captures.apply_filters()
        self._refresh_status()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 4)

        bar = QHBoxLayout()
        self.listen_state = plain_label(selectable=False, wrap=False)
        bar.addWidget(self.listen_state)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setMinimumWidth(240)
        self.url.setToolTip("Point Kardow, Kudoz or any sender at this URL")
        bar.addWidget(self.url, 1)
        self.copy_url = QPushButton("Copy URL")
        self.copy_url.clicked.connect(self.copy_listener_url)
        bar.addWidget(self.copy_url)
        self.listen_button = QPushButton("Stop")
        self.listen_button.clicked.connect(self._toggle_listener)
        bar.addWidget(self.listen_button)
        self.stats = plain_label(selectable=False, wrap=False)
        self.stats.setMinimumWidth(180)
        self.stats.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.stats)
        layout.addLayout(bar)

        self.captures = CapturesPage(self.engine, self.db, self.bridge)
        self.captures.message.connect(self._tell)
        self.composer = ComposerPanel(self.engine, self.db)
        self.targets = TargetsPanel(self.engine, self.db, self.bridge)
        self.deliveries = DeliveriesPanel(self.engine, self.db, self.bridge)
        self.composer.fired.connect(self._fired)
        for panel in (self.targets, self.deliveries):
            panel.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.targets.targets_changed.connect(lambda _: self.composer.schedule_refresh())
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title, tip in (
            (self.captures, "Captures", "Every request the listener received (Ctrl+1)"),
            (self.composer, "Compose && fire", "Compose a Kardow event or Kudoz callback (Ctrl+2)"),
            (self.targets, "Targets", "The Kardow API emulator's registry (Ctrl+3)"),
            (self.deliveries, "Deliveries", "Every request Hookscope sent (Ctrl+4)"),
        ):
            self.tabs.setTabToolTip(self.tabs.addTab(widget, title), tip)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(1280, 760)

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        *,
        on_table: bool = False,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if on_table:
            # Only while the list has focus: Ctrl+C and Delete keep their meaning in text fields.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.captures.table.addAction(action)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _build_actions(self) -> None:
        menus = self.menuBar()
        captures = self.captures
        filters = captures.filters
        file = menus.addMenu("&File")
        self.har_import = HarImport(self.client, self.statusBar(), self)
        self.har_import.message.connect(self._tell)
        self.export_action = self._action("&Export…", self.open_export, "Ctrl+E")
        self.import_action = self._action("&Import HAR…", self.har_import.choose, "Ctrl+I")
        self.export_selected_action = self._action("Export &selected…", self.export_selected)
        file.addActions([self.export_action, self.export_selected_action, self.import_action])
        file.addSeparator()
        self.settings_action = self._action(
            "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        file.addAction(self.settings_action)
        file.addSeparator()
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        # The dialogs are modeless: the keys that act on the whole app work from any of them.
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        file.addAction(self.quit_action)

        edit = menus.addMenu("&Edit")
        self.find_action = self._action("&Find…", filters.focus_search, "Ctrl+F")
        edit.addAction(self.find_action)
        self.copy_body_action = self._action(
            "&Copy body", captures.copy_body, "Ctrl+C", on_table=True, tip="Copy the selected body"
        )
        edit.addAction(self.copy_body_action)
        self.copy_curl_action = self._action(
            "Copy as c&url",
            lambda: captures.transfers.copy_curl(captures.selected_ids()),
            "Ctrl+Shift+C",
            on_table=True,
            tip="Copy the selected captures as curl commands that send them again",
        )
        edit.addAction(self.copy_curl_action)
        self.save_body_action = self._action(
            "Save &body as…",
            lambda: captures.transfers.ask_save_body(captures.current_summary(), Path.home()),
            "Ctrl+Shift+S",
            tip="Write the selected capture's body, byte for byte, to a file",
        )
        edit.addAction(self.save_body_action)
        self.copy_url_action = self._action("Copy listener &URL", self.copy_listener_url)
        edit.addAction(self.copy_url_action)
        edit.addSeparator()
        self.star_action = self._action("S&tar or unstar", captures.toggle_star, "S", on_table=True)
        edit.addAction(self.star_action)
        self.compare_action = self._action(
            "Co&mpare selected", captures.compare_selected, "Ctrl+D", tip="Compare two captures"
        )
        edit.addAction(self.compare_action)
        edit.addSeparator()
        self.delete_action = self._action(
            "&Delete selected…",
            captures.ask_delete_selected,
            QKeySequence.StandardKey.Delete,
            on_table=True,
        )
        edit.addAction(self.delete_action)
        self.delete_all_action = self._action(
            "Delete &all captures…", captures.ask_delete_all, "Ctrl+Shift+Delete"
        )
        edit.addAction(self.delete_all_action)

        view = menus.addMenu("&View")
        self.follow_action = self._action("Auto-&follow newest", filters.follow.toggle, "Ctrl+End")
        self.follow_action.setCheckable(True)
        self.follow_action.setChecked(True)
        filters.follow.toggled.connect(self.follow_action.setChecked)
        view.addAction(self.follow_action)
        self.clear_filters_action = self._action("&Clear filters", filters.clear, "Ctrl+R")
        view.addAction(self.clear_filters_action)

        listener = menus.addMenu("&Listener")
        self.toggle_listener_action = self._action(
            "&Start or stop listening", self._toggle_listener, "Ctrl+L"
        )
        self.toggle_listener_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        listener.addAction(self.toggle_listener_action)
        self.reverify_action = self._action("&Verify selected again", captures.reverify_selected)
        listener.addAction(self.reverify_action)
        self.forwarding = ForwardingActions(self.client, self.db, captures, show_modeless, self)
        self.forwarding.message.connect(self._tell)
        self.closed.connect(self.forwarding.close_dialogs)
        listener.addAction(self.forwarding.forward_to_action)

        send = menus.addMenu("Se&nd")
        self.replay_action = self._action(
            "&Replay selected…",
            self.open_replay,
            "Ctrl+Shift+R",
            tip="Send the selected captures again: one as captured, edited or re-signed; several"
            " in the order they arrived",
        )
        send.addAction(self.replay_action)
        self.scorecard = ScorecardOpener(self.engine, show_modeless, self)
        self.bridge.config_changed.connect(self.scorecard.config_changed)
        send.addAction(self.scorecard.action)
        send.addActions([self.forwarding.send_again_action, self.forwarding.retry_failed_action])
        send.addSeparator()
        self.tab_actions: list[QAction] = []
        for number, text in enumerate(
            ("&Captures", "C&ompose and fire", "&Targets", "&Deliveries"), start=1
        ):
            action = self._action(
                text, partial(self.tabs.setCurrentIndex, number - 1), f"Ctrl+{number}"
            )
            self.tab_actions.append(action)
            (view if number == 1 else send).addAction(action)

        help_menu = menus.addMenu("&Help")
        self.welcome_action = self._action(
            "&Welcome and test delivery…", self.open_welcome, QKeySequence.StandardKey.HelpContents
        )
        help_menu.addAction(self.welcome_action)
        self.about_action = self._action("&About Hookscope", self.show_about)
        help_menu.addAction(self.about_action)

    # -- the listener -------------------------------------------------------------------------

    async def start_listener(self) -> bool:
        """Start listening with the saved settings; a failure is shown, not raised."""
        try:
            await self.client.start_listener()
        except EngineError as exc:
            self.listen_error = str(exc)
            self.statusBar().showMessage(f"Not listening: {exc}")
            self._refresh_status()
            return False
        self.listen_error = ""
        self.statusBar().clearMessage()
        self._refresh_status()
        return True

    async def start_api(self) -> bool:
        """Start the Kardow API emulator as saved (it may be turned off); failures are shown."""
        try:
            await self.client.start_api()
        except EngineError as exc:
            self.statusBar().showMessage(f"Kardow API emulator not running: {exc}")
            return False
        finally:
            self.targets.refresh()
        return bool(self.engine.api_url)

    async def stop_listener(self) -> None:
        await self.client.stop_listener()
        self.listen_error = ""
        self._refresh_status()

    def _toggle_listener(self) -> None:
        if self.engine.url:
            self._background(self.stop_listener())
        else:
            self._background(self.start_listener())

    def copy_listener_url(self) -> None:
        if self.engine.url:
            QGuiApplication.clipboard().setText(self.engine.url)
            self.statusBar().showMessage(f"Copied {self.engine.url}", 3000)

    def _refresh_status(self) -> None:
        url = self.engine.url
        if url:
            self.listen_state.setText("● Listening on")
            self.url.setText(url)
            self.listen_button.setText("Stop")
        else:
            self.listen_state.setText("○ Stopped")
            self.url.setText(self.listen_error or self.damage.reason() or "not listening")
            self.listen_button.setText("Start")
        self.copy_url.setEnabled(bool(url))
        self.stats.setText(self.captures.stats_text())
        self.captures.refresh_hint()

    def open_settings(self) -> None:
        if self.settings_dialog is None:
            self.settings_dialog = SettingsDialog(self.engine, self.db, self)
            self.settings_dialog.listener_changed.connect(lambda _: self._listener_changed())
            self.settings_dialog.api_changed.connect(lambda _: self.targets.refresh())
            self.settings_dialog.finished.connect(lambda _: self.composer.settings_changed())
        show_modeless(self.settings_dialog)

    def _listener_changed(self) -> None:
        self.listen_error = ""
        self._refresh_status()
        self.composer.schedule_refresh()

    # -- dialogs ------------------------------------------------------------------------------

    def open_replay(self) -> ReplayDialog | None:
        """Open the replay dialog for the current capture (None when nothing is selected, or
        when several are: they go to the bulk replay dialog)."""
        if len(selected := self.captures.selected_ids()) > 1:
            self.open_bulk_replay(selected)
            return None
        capture_id = self.captures.current_id()
        if capture_id is None:
            self.statusBar().showMessage("Select a capture to replay.", 3000)
            return None
        dialog = ReplayDialog(self.engine, self.db, capture_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sent.connect(self._fired)
        self.replay_dialog = dialog
        dialog.destroyed.connect(lambda _=None: setattr(self, "replay_dialog", None))
        show_modeless(dialog)
        return dialog

    def open_bulk_replay(self, capture_ids: list[int]) -> BulkReplayDialog:
        """Open the bulk replay dialog for these captures (the running one while it runs)."""
        dialog = self.bulk_replay_dialog
        if dialog is None or not dialog.running:
            if dialog is not None:
                dialog.deleteLater()
            dialog = BulkReplayDialog(self.engine, self.db, capture_ids, self)
            dialog.sent.connect(self._fired)
            self.bulk_replay_dialog = dialog
        show_modeless(dialog)
        return dialog

    def open_welcome(self) -> WelcomeDialog:
        """The first-run welcome (also in Help): capture URL, tunnels, a test delivery."""
        if self.welcome_dialog is None:
            self.welcome_dialog = WelcomeDialog(self.engine, self.db, self)
            self.welcome_dialog.delivered.connect(self.show_capture)
        self.welcome_dialog.refresh()
        show_modeless(self.welcome_dialog)
        return self.welcome_dialog

    def open_export(self) -> ExportDialog:
        """File > Export…: all, the selected or the filtered captures, to HAR, NDJSON or curl."""
        scope = export_scope(self.captures)
        if self.export_dialog is None:
            self.export_dialog = ExportDialog(self.engine.directory, scope, self)
            self.export_dialog.exported.connect(lambda text: self._tell(text, 10000))
            self.captures.model.count_changed.connect(self.export_dialog.update_matching)
        elif not self.export_dialog.running:
            self.export_dialog.set_scope(scope)
        show_modeless(self.export_dialog)
        return self.export_dialog

    def export_selected(self) -> ExportDialog:
        """File > Export… with the selected captures chosen (unless an export is running)."""
        dialog = self.open_export()
        if not dialog.running and self.captures.selected_ids():
            dialog.choose("selected")
        return dialog

    def _capture_menu(self) -> Entries:
        """The right-click menu of the capture list: the same actions as its keys and menus."""
        return (
            self.copy_curl_action,
            self.copy_body_action,
            self.save_body_action,
            None,
            self.replay_action,
            self.forwarding.send_again_action,
            self.compare_action,
            self.export_selected_action,
            None,
            self.star_action,
            self.delete_action,
        )

    def show_capture(self, capture_id: int) -> bool:
        """Bring a capture into view and select it; False when the filters hide it."""
        self.tabs.setCurrentIndex(0)
        return self.captures.show_capture(capture_id)

    def show_about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About")
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"Hookscope {__version__}\n\nA webhook inspector for Kardow, Kudoz and any HTTP "
            f"sender.\n\nData: {self.engine.directory}\nSecrets key: {self.engine.key_file}"
        )
        box.open()

    def _config_changed(self, kinds: list[str]) -> None:
        if {"credentials", "schemes"} & set(kinds):  # the composer offers them
            self.composer.settings_changed()
        # The welcome shows the listener's URL and tunnel commands for its port: keep them true.
        if "listeners" in kinds and self.welcome_dialog is not None:
            self.welcome_dialog.refresh(keep_outcome=True)

    def _fired(self, fire_id: str) -> None:
        """A fire or replay went out: how it went, and that its attempts are in Deliveries."""
        self.deliveries.show_fire(fire_id)
        query = DeliveryQuery(fire_id=fire_id, limit=10_000)
        final = [a for a in reads.list_attempts(self.db, query, bodies=False) if a.final]
        outcome = summary(final) if final else "Sent"
        self.statusBar().showMessage(f"{outcome}; every attempt is in Deliveries (Ctrl+4).", 8000)

    # -- plumbing -----------------------------------------------------------------------------

    def _tell(self, text: str, timeout: int) -> None:
        self.statusBar().showMessage(text, timeout)

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._work.run(coro)

    async def settle(self) -> None:
        """Wait for background actions (tests, and closing), the tabs' included."""
        await self._work.settle()
        for panel in (
            self.har_import,
            self.export_dialog,
            self.captures,
            self.composer,
            self.targets,
            self.deliveries,
            self.welcome_dialog,
            self.bulk_replay_dialog,
            self.scorecard,
            self.forwarding,
        ):
            if panel is not None:
                await panel.settle()

    def _save_state(self) -> None:
        state = {
            "geometry": b64(self.saveGeometry()),
            **self.captures.state(),
            "tab": self.tabs.currentIndex(),
        }
        try:
            SettingsWrites(self.engine).set_setting_now(UI_STATE, state)
        except WRITE_ERRORS as exc:  # the layout is a nicety: say it, go on
            log.warning("the window's layout was not saved: %s", exc)

    def _restore_state(self) -> None:
        state = reads.get_setting(self.db, UI_STATE, None)
        if not isinstance(state, dict):
            return
        try:
            self.restoreGeometry(unb64(state.get("geometry", "")))
            self.captures.restore(state)
            tab = state.get("tab", 0)
            if isinstance(tab, int) and 0 <= tab < self.tabs.count():
                self.tabs.setCurrentIndex(tab)
        except (TypeError, ValueError, AttributeError):
            log.warning("window state not restored: it was not in the expected shape")

    def close_without_asking(self) -> None:
        """Close now, unsaved settings or not (Ctrl+C in the terminal, SIGTERM)."""
        self._ask_before_closing = False
        self.close()

    def _settings_left_unsaved(self) -> bool:
        """Ask, over Settings, whether to save its unsaved changes before quitting; True when
        the answer is pending (the window closes itself once they are saved or discarded)."""
        settings = self.settings_dialog
        if not self._ask_before_closing or settings is None or not settings.is_dirty():
            return False
        show_modeless(settings)
        question = settings.ask_to_save()
        if question is not self._quit_question:  # asked once, however often Ctrl+Q is pressed
            self._quit_question = question
            question.finished.connect(lambda _: self._background(self._close_after()))
        return True

    async def _close_after(self) -> None:
        settings = self.settings_dialog
        assert settings is not None
        await settings.settle()  # a Save answered: wait for it to land (or fail)
        if Shiboken.isValid(self) and not settings.is_dirty():
            self.close()  # saved or discarded; Cancel, or a failed save, keeps the app open

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._settings_left_unsaved():
            event.ignore()
            return
        if self.export_dialog is not None:
            self.export_dialog.close()  # a running export is cancelled, leaving no file
        dialogs = (self.settings_dialog, self.replay_dialog, self.welcome_dialog)
        for dialog in (*dialogs, self.bulk_replay_dialog, self.scorecard.dialog):
            if dialog is not None and dialog.isVisible():
                dialog.hide()  # the app is closing: its dialogs go with it
        self.captures.detail.flush_note()
        try:
            self._save_state()
        except Exception:
            log.exception("saving the window state")
        self.bridge.detach()
        self._ticker.stop()
        for panel in (self.captures, self.composer, self.targets, self.deliveries):
            panel.stop_timers()
        event.accept()
        self.closed.emit()


def show_modeless(dialog: QDialog) -> None:
    """Show a dialog beside the window, never blocking it: the main window's close button,
    Ctrl+Q and Ctrl+L keep working while it is open (a decision that must block uses its own
    window-modal question)."""
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
