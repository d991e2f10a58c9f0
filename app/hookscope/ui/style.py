"""Colours, fonts and text formats the windows share; they follow the light or dark palette."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QWidget

# A verdict is told by its word first; the colour only helps the eye (never colour alone).
_VERDICT_COLOURS = {
    # verdict: (light background, dark background)
    "verified": ("#d8f3dc", "#1f4d2b"),
    "failed": ("#fbd5d5", "#6b1f1f"),
    "stale": ("#fde7c7", "#6b4413"),
    "replayed": ("#fde7c7", "#6b4413"),
    "no-secret": ("#e3e8f8", "#2b3a66"),
    "unsigned": ("#eeeeee", "#444444"),
    "n/a": ("#f4f4f4", "#3a3a3a"),
}

VERDICT_HINTS = {
    "verified": "the signature or token matches a stored secret",
    "failed": "signed, but no stored secret produces this signature or token",
    "unsigned": "the provider was recognised but the request carries no signature or token",
    "no-secret": "signed, but no secret is stored for this provider",
    "stale": "the token matches but its timestamp is outside the tolerance window",
    "replayed": "the token matches but its nonce was seen before",
    "n/a": "no provider recognised",
}


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


# Message tones: (light palette, dark palette), readable on either; the words carry the meaning.
_TONES = {
    "error": ("#b3261e", "#ff8a80"),
    "warning": ("#8a5300", "#ffcc80"),
    "ok": ("#1b6e31", "#8fd19e"),
}


def tone_colour(tone: str | None) -> QColor:
    """The colour of a tone ("error", "warning", "ok") for the application's palette now."""
    palette = QGuiApplication.palette()
    if tone is None:
        return palette.color(QPalette.ColorRole.WindowText)
    light, dark = _TONES[tone]
    return QColor(dark if is_dark(palette) else light)


def set_tone(label: QLabel, tone: str | None) -> None:
    """Colour a message label for its tone (None: ordinary text); `retint` keeps it right."""
    label.setProperty("tone", tone or "")
    if tone is None:
        label.setPalette(QPalette())  # inherit again
        return
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, tone_colour(tone))
    label.setPalette(palette)


def say(label: QLabel, text: str, tone: str | None = None) -> None:
    """Show a sentence in a message label (in its tone); an empty one hides it."""
    set_tone(label, tone)
    label.setText(text)
    label.setVisible(bool(text))


def show_text(label: QLabel, text: str) -> None:
    """Show a sentence in a message label, in the tone it was made with; empty hides it."""
    label.setText(text)
    label.setVisible(bool(text))


def retint(root: QWidget) -> None:
    """Colour every toned label under `root` again (the palette turned light or dark)."""
    for label in root.findChildren(QLabel):
        tone = label.property("tone")
        if isinstance(tone, str) and tone:
            set_tone(label, tone)


def verdict_colour(verdict: str, palette: QPalette | None = None) -> QColor:
    light, dark = _VERDICT_COLOURS.get(verdict, _VERDICT_COLOURS["n/a"])
    return QColor(dark if is_dark(palette) else light)


# A delivery's result borrows the verdicts' colours: delivered reads as verified, failed as failed.
_RESULT_VERDICTS = {"delivered": "verified", "failed": "failed"}


def result_colour(word: str, palette: QPalette | None = None) -> QColor:
    return verdict_colour(_RESULT_VERDICTS.get(word, "n/a"), palette)


def pill_style(background: QColor, text: QColor) -> str:
    """The style sheet of a badge: a word on a soft rounded colour."""
    return (
        f"background: {background.name()}; color: {text.name()}; border-radius: 9px;"
        " padding: 1px 10px; font-weight: 600"
    )


def monospace() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font
