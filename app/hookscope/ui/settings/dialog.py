"""The settings dialog: listeners, response rules, forwarding, secrets, signing schemes, the
emulator's API keys, sending, storage, notifications; one save model for all of them."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken
from sqlite_utils import Database

from hookscope.core.checks import built_in_schemes
from hookscope.engine import Engine
from hookscope.ui.background import Background, async_slot
from hookscope.ui.settings.apikeys import ApiKeysTab
from hookscope.ui.settings.common import SettingsTab
from hookscope.ui.settings.forwarding import ForwardingTab
from hookscope.ui.settings.listener import ListenerTab
from hookscope.ui.settings.notifications import NotificationsTab
from hookscope.ui.settings.rules import RulesTab
from hookscope.ui.settings.schemes import SchemesTab
from hookscope.ui.settings.secrets import SecretsTab
from hookscope.ui.settings.sending import SendingTab
from hookscope.ui.settings.storage import StorageTab
from hookscope.ui.settings.writes import SettingsWrites
from hookscope.ui.style import retint, say
from hookscope.ui.widgets.fields import no_default_buttons
from hookscope.ui.widgets.labels import plain_label

Button = QDialogButtonBox.StandardButton
Answer = QMessageBox.StandardButton


class SettingsDialog(QDialog):
    """Listeners, response rules, forward rules, stored secrets, custom signing schemes, the
    emulator's API keys, the send policy, how many captures to keep, and notifications.

    One save model for every tab: each tab edits a draft; a tab with unsaved changes says so in
    its title ("Sending *"); Save (Ctrl+S) writes every changed tab through the engine, which
    applies the change at once and announces it; Revert forgets the drafts. Closing (Close,
    Esc, the window's close button) with unsaved changes asks: Save, Discard or Cancel. A save
    runs on the GUI loop without blocking it; while it is under way the buttons and tabs are
    disabled; if it fails the dialog stays open with the edits kept and says why in one
    sentence. Open with `.open()` or `.show()`, never `.exec()`.

    Signals:
        listener_changed(str): the listener restarted (its URL), or is stopped ("") because the
            new address could not be bound.
        api_changed(str): the Kardow API emulator restarted (its URL), or is off or stopped ("").

    Attributes:
        tabs: the tabs' widget; listener, rules, forwarding, secrets, schemes, api_keys,
            sending, storage, notifications: the tabs, in that order.
        buttons: Save, Revert and Close; save_button, revert_button, close_button.
        status: the last save's outcome ("Saved." or why not).
        question: the unsaved-changes question open now, if any (tests answer it).
    """

    listener_changed = Signal(str)
    api_changed = Signal(str)

    def __init__(self, engine: Engine, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings[*]")
        self.resize(880, 540)  # nine tabs side by side, none scrolled out of sight
        self.question: QMessageBox | None = None
        self._saving = False
        self._work = Background(self, "settings-save", self._failed)
        writes = SettingsWrites(engine)
        self.listener = ListenerTab(engine, db, writes)
        self.rules = RulesTab(engine, db, writes)
        self.forwarding = ForwardingTab(engine, db, writes)
        self.secrets = SecretsTab(engine, db, writes)
        self.schemes = SchemesTab(engine, db, writes)
        # Secrets may be for the schemes of the draft, and a scheme is removed only when no
        # secret of the draft names it. Secrets are saved first: a secret removed in the same
        # save no longer holds its scheme back; one added for a new scheme is kept by name.
        self.secrets.schemes = lambda: [*built_in_schemes(), *self.schemes.names()]
        self.schemes.secrets_of = self.secrets.secrets_of
        self.secrets.edited.connect(self.schemes.refresh_uses)
        self.api_keys = ApiKeysTab(engine, db, writes)
        self.sending = SendingTab(engine, db, writes)
        self.storage = StorageTab(engine, db, writes)
        self.notifications = NotificationsTab(engine, db, writes)
        self.listener.listener_changed.connect(self.listener_changed)
        self.listener.api_changed.connect(self.api_changed)

        self.tabs = QTabWidget()
        for tab in self.all_tabs():
            self.tabs.addTab(tab, tab.TITLE)
            tab.edited.connect(self._mark)
        self.tabs.currentChanged.connect(lambda _index: self._hide_shown())
        self.buttons = QDialogButtonBox(Button.Save | Button.Reset | Button.Close)
        self.save_button = self.buttons.button(Button.Save)
        self.save_button.setText("&Save")
        self.save_button.setToolTip("Write every changed tab (Ctrl+S)")
        self.save_button.clicked.connect(self._save_clicked)
        self.revert_button = self.buttons.button(Button.Reset)
        self.revert_button.setText("&Revert")
        self.revert_button.setToolTip("Forget the changes not saved yet")
        self.revert_button.clicked.connect(self.reload)
        self.close_button = self.buttons.button(Button.Close)
        self.close_button.setToolTip("Close (Esc); asks first if changes are not saved")
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self._save_clicked)
        self.status = plain_label(wrap=True)
        self.status.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        no_default_buttons(self)
        self.reload()

    def all_tabs(self) -> tuple[SettingsTab, ...]:
        return (
            self.listener,
            self.rules,
            self.forwarding,
            self.secrets,
            self.schemes,
            self.api_keys,
            self.sending,
            self.storage,
            self.notifications,
        )

    def dirty_tabs(self) -> list[SettingsTab]:
        return [tab for tab in self.all_tabs() if tab.is_dirty()]

    def is_dirty(self) -> bool:
        return bool(self.dirty_tabs())

    def reload(self) -> None:
        """Show what is stored now (another process may have changed it); forget every draft."""
        self.api_keys.hide_new_key()
        for tab in self.all_tabs():
            tab.load()
        say(self.status, "")
        self._mark()

    def _mark(self) -> None:
        """Unsaved changes: a star on their tabs and in the title; Save and Revert enabled."""
        dirty = self.dirty_tabs()
        for index, tab in enumerate(self.all_tabs()):
            self.tabs.setTabText(index, f"{tab.TITLE} *" if tab in dirty else tab.TITLE)
        self.setWindowModified(bool(dirty))
        self.save_button.setEnabled(bool(dirty) and not self._saving)
        self.revert_button.setEnabled(bool(dirty) and not self._saving)

    # -- saving ---------------------------------------------------------------------------------

    @async_slot()
    async def _save_clicked(self) -> None:
        await self.save()

    async def save(self) -> bool:
        """Write every changed tab; False (and why, one sentence, on the tab at fault) if not.

        Every tab's draft is checked before anything is written; then the tabs are written in
        order, and the first that fails stops the save with its edits kept.
        """
        if self._saving:
            return False
        dirty = self.dirty_tabs()
        for tab in dirty:
            if problem := tab.problem():
                self._show_problem(tab, problem)
                return False
        self._set_saving(True)
        try:
            for tab in dirty:
                problem = await tab.save()
                if not Shiboken.isValid(self):
                    return False
                if problem:
                    self._show_problem(tab, problem)
                    return False
        finally:
            if Shiboken.isValid(self):
                self._set_saving(False)
        if dirty:
            say(self.status, "Saved.", "ok")
        return True

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.tabs.setEnabled(not saving)
        self.close_button.setEnabled(not saving)
        if saving:
            say(self.status, "Saving…")
        self._mark()

    def _show_problem(self, tab: SettingsTab, problem: str) -> None:
        self.tabs.setCurrentWidget(tab)
        say(self.status, problem, "error")

    def _failed(self, exc: Exception) -> None:
        say(self.status, f"Not saved: {exc}.", "error")

    # -- closing --------------------------------------------------------------------------------

    def reject(self) -> None:
        """Close, Esc and the window's close button: ask first when changes are not saved."""
        if self._saving:
            return
        if self.is_dirty():
            self.ask_to_save()
            return
        super().reject()

    def ask_to_save(self) -> QMessageBox:
        """Save, Discard or Cancel, asked over this dialog only (the main window stays usable:
        the question is not application- or window-modal, the dialog is disabled under it)."""
        if self.question is not None:
            question: QMessageBox = self.question
            question.raise_()
            question.activateWindow()
            return question
        names = " and ".join(tab.TITLE for tab in self.dirty_tabs())
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved settings",
            f"Save the changes to {names} before closing?",
            Answer.Save | Answer.Discard | Answer.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(Answer.Save)
        box.setEscapeButton(Answer.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._answered(box))
        self.question = box
        self.tabs.setEnabled(False)
        self.buttons.setEnabled(False)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        return box

    def _answered(self, box: QMessageBox) -> None:
        self.question = None
        self.tabs.setEnabled(True)
        self.buttons.setEnabled(True)
        clicked = box.clickedButton()
        answer = box.standardButton(clicked) if clicked is not None else Answer.Cancel
        if answer == Answer.Save:
            self._work.run(self._save_and_close())
        elif answer == Answer.Discard:
            self.reload()
            super().reject()

    async def _save_and_close(self) -> None:
        if await self.save() and Shiboken.isValid(self):
            super().reject()

    async def settle(self) -> None:
        """Wait for a save started from the closing question (tests, and closing)."""
        await self._work.settle()

    # -- events ---------------------------------------------------------------------------------

    def _hide_shown(self) -> None:
        """Nothing secret stays on screen: a revealed secret, a generated key."""
        self.secrets.hide_secret()
        self.api_keys.hide_new_key()

    def showEvent(self, event: QShowEvent) -> None:
        if not event.spontaneous() and not self.is_dirty():
            self.reload()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._hide_shown()  # a revealed secret or new key does not outlive the dialog on screen
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            retint(self)
        super().changeEvent(event)
