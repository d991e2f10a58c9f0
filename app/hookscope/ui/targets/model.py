"""The registry as a table, and what the targets' fields mean in words."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from hookscope.core.model import ANY_EVENT, Target
from hookscope.ui.formats import local_time
from hookscope.ui.widgets.records import RecordTableModel, plain_tooltip

TYPE_HINTS = {
    "webhook": "Kardow's JSON, signed with X-Kardow-Signature when the target has a secret.",
    "discord": "A Discord execute-webhook message (embeds); not signed.",
    "slack": "A Slack incoming-webhook message (blocks); not signed.",
}


def short_id(target_id: str) -> str:
    return target_id[:8]


class TargetsModel(RecordTableModel[Target]):
    """The registry, oldest first; a Target (without its secret) per row; disabled rows grey."""

    COLUMNS = ("On", "Event", "Type", "URL", "Signed", "Created", "Id")
    ON, EVENT, TYPE, URL, SIGNED, CREATED, ID = range(7)

    def _text(self, item: Target, column: int) -> str:
        if column == self.ON:
            return "on" if item.is_enabled else "off"
        if column == self.EVENT:
            return item.event
        if column == self.TYPE:
            return item.target_type
        if column == self.URL:
            return item.target_url
        if column == self.SIGNED:
            if item.target_type != "webhook":
                return "n/a"
            return "yes" if item.has_secret else "no"
        if column == self.CREATED:
            return local_time(item.created_at, date=True)
        return item.id

    def _foreground(self, item: Target, column: int) -> QColor | None:
        if item.is_enabled:
            return None
        return QGuiApplication.palette().color(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
        )

    def _tooltip(self, item: Target, column: int) -> str | None:
        if column == self.ON:
            if item.is_enabled:
                return "Enabled: fires of its event are sent here. Space turns it off."
            return "Disabled: fires skip this target. Space turns it on."
        if column == self.EVENT and item.event == ANY_EVENT:
            return "Every event"
        if column == self.TYPE:
            return TYPE_HINTS.get(item.target_type)
        if column == self.URL:
            return plain_tooltip(item.target_url)
        if column == self.SIGNED:
            if item.target_type != "webhook":
                return "Discord and Slack targets are not signed."
            if item.has_secret:
                return "Deliveries carry X-Kardow-Signature, the HMAC-SHA256 of the body."
            return "No secret: deliveries are sent unsigned."
        if column == self.ID:
            return plain_tooltip(item.id)
        return None
