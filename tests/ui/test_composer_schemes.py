"""The composer fires a raw JSON body for every scheme but Kardow's and Kudoz's: the built-in
ones and the user's own, signed with a secret of that scheme, landing verified in the engine's
own listener."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlite_utils import Database

from hookscope.core.model import Credential
from hookscope.core.providers import Scheme, names
from hookscope.engine import Engine
from hookscope.ui.compose.composer import ComposerPanel
from tests.ui.conftest import wait_until
from tests.ui.test_composer import (
    app_palette,
    dark_palette,
    gui_db,
    panel,
    shoot,
    shots_dir,
    store_secret,
    stored_captures,
)

__all__ = ["gui_db", "panel"]  # fixtures used here

ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha256=",
    signed="{id}.{timestamp}.{body}",
    timestamp_header="X-Acme-Time",
    id_header="X-Acme-Id",
)
SECRETS = {
    "standard-webhooks": "whsec_" + base64.b64encode(b"composer standard key").decode(),
    "stripe": "whsec_composer_stripe_secret",
    "github": "composer-github-secret",
    "slack": "composer-slack-secret",
    "shopify": "composer-shopify-secret",
    "acme": "composer-acme-secret",
}
SIGNATURE_HEADERS = {
    "standard-webhooks": "webhook-signature",
    "stripe": "Stripe-Signature",
    "github": "X-Hub-Signature-256",
    "slack": "X-Slack-Signature",
    "shopify": "X-Shopify-Hmac-Sha256",
    "acme": "X-Acme-Signature",
}


async def with_acme(engine: Engine, panel: ComposerPanel) -> None:
    await_done = engine.call(engine.config.add_scheme(ACME))
    await wait_until(await_done.done)
    await panel.reload_schemes()


def offered(panel: ComposerPanel) -> list[str]:
    combo = panel.provider_combo
    return [str(combo.itemData(i)) for i in range(combo.count())]


@pytest.mark.asyncio
async def test_every_scheme_is_offered_the_users_own_once_stored(
    panel: ComposerPanel, engine: Engine
) -> None:
    assert offered(panel) == names()
    await with_acme(engine, panel)
    assert offered(panel) == [*names(), "acme"]
    assert panel.provider_combo.itemText(len(names())) == "acme"
    assert panel.provider_combo.itemText(2) == "Standard Webhooks"


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", list(SECRETS))
async def test_a_raw_body_is_fired_signed_the_schemes_way_and_arrives_verified(
    panel: ComposerPanel, engine: Engine, gui_db: Database, scheme: str
) -> None:
    if scheme == "acme":
        await with_acme(engine, panel)
    store_secret(gui_db, engine, Credential(scheme, f"{scheme}-key", SECRETS[scheme]))
    other = "github" if scheme != "github" else "stripe"
    store_secret(gui_db, engine, Credential(other, "not-this-one", "x" * 20))
    panel.set_provider(scheme)
    assert panel.url_edit.text() == f"{engine.url}/hooks/{scheme}"
    # Only the secrets of the scheme chosen are offered.
    assert [panel.credential_combo.itemText(i) for i in range(panel.credential_combo.count())] == [
        f"{scheme}-key"
    ]
    body = panel.editor.toPlainText().encode("utf-8")
    assert json.loads(body)
    plan = await panel.refresh_preview()
    assert plan is not None, panel.preview.plan_error
    (request,) = plan.requests
    assert request.body == body
    assert request.header(SIGNATURE_HEADERS[scheme])
    said = panel.preview.fresh_label.text()
    assert said.startswith("Made as it is sent (shown here with sample values): ")
    assert SIGNATURE_HEADERS[scheme] in said
    assert panel.fire_button.isEnabled()

    attempts = await panel.fire()

    assert attempts[0].ok, attempts[0].outcome
    (capture,) = stored_captures(engine)
    assert capture.body == body  # the editor's text, byte for byte
    assert (capture.verdict.provider, capture.verdict.verdict) == (scheme, "verified"), (
        capture.verdict.detail
    )


@pytest.mark.asyncio
async def test_githubs_event_is_typed_or_picked_and_sent_in_its_header(
    panel: ComposerPanel, engine: Engine, gui_db: Database, qtbot: QtBot
) -> None:
    store_secret(gui_db, engine, Credential("github", "gh", SECRETS["github"]))
    panel.set_provider("github")
    assert panel.event_combo.isVisible()
    assert panel.event_combo.isEditable()
    assert panel.chosen_event == "ping"
    panel.event_combo.setFocus()
    panel.event_combo.lineEdit().selectAll()
    qtbot.keyClicks(panel.event_combo.lineEdit(), "deployment")
    plan = await panel.refresh_preview()
    assert plan is not None
    assert plan.requests[0].header("X-GitHub-Event") == "deployment"
    panel.event_combo.lineEdit().clear()
    assert await panel.refresh_preview() is None
    assert panel.fire_button.toolTip() == "Enter the event sent in X-GitHub-Event."
    panel.set_provider("stripe")  # Stripe names its event in the body: no event row
    assert not panel.event_combo.isVisible()
    assert "Stripe names its event in the body" in panel.note_label.text()
    await with_acme(engine, panel)
    panel.set_provider("acme")
    assert panel.note_label.text() == (
        "The acme scheme names its event in the body. The body below is sent exactly as written,"
        " signed the acme way with the credential chosen."
    )


@pytest.mark.asyncio
async def test_without_a_secret_of_the_scheme_it_says_how_to_add_one(
    panel: ComposerPanel,
) -> None:
    panel.set_provider("slack")
    assert await panel.refresh_preview() is None
    hint = panel.credential_hint.text()
    assert hint == (
        "No Slack secret is stored, so nothing can sign the request. Add one in Settings > Secrets."
    )
    assert panel.credential_hint.isVisible()
    assert not panel.fire_button.isEnabled()
    assert panel.fire_button.toolTip() == hint


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_is_refused_with_its_place(
    panel: ComposerPanel, engine: Engine, gui_db: Database
) -> None:
    store_secret(gui_db, engine, Credential("shopify", "sh", SECRETS["shopify"]))
    panel.set_provider("shopify")
    panel.editor.setPlainText('{\n  "id": 1\n  "total": "2"\n}')
    assert await panel.refresh_preview() is None
    assert panel.error_label.text().startswith("Invalid JSON at line 3, column 3:")
    assert not panel.fire_button.isEnabled()
    panel.reset_to_template()  # "Reset to sample"
    assert panel.reset_button.text() == "Reset to sample"
    assert await panel.refresh_preview() is not None


def press_alt(qtbot: QtBot, panel: ComposerPanel, key: Qt.Key) -> None:
    qtbot.keyClick(panel, key, Qt.KeyboardModifier.AltModifier)
    qtbot.keyRelease(panel, Qt.Key.Key_Alt)


@pytest.mark.asyncio
async def test_the_form_is_reached_from_the_keyboard(
    panel: ComposerPanel, engine: Engine, gui_db: Database, qtbot: QtBot
) -> None:
    store_secret(gui_db, engine, Credential("github", "gh", SECRETS["github"]))
    panel.activateWindow()
    panel.editor.setFocus()
    press_alt(qtbot, panel, Qt.Key.Key_P)
    await wait_until(panel.provider_combo.hasFocus)
    panel.set_provider("github")
    for key, widget in (
        (Qt.Key.Key_T, panel.event_combo),
        (Qt.Key.Key_U, panel.url_edit),
        (Qt.Key.Key_R, panel.credential_combo),
    ):
        press_alt(qtbot, panel, key)
        await wait_until(widget.hasFocus)


@pytest.mark.asyncio
async def test_renders_readably_in_light_and_dark(
    panel: ComposerPanel, engine: Engine, gui_db: Database, tmp_path: Path
) -> None:
    """Saves PNGs to look at (set HOOKSCOPE_SHOTS=/tmp/hookscope-shots to keep them)."""
    out = shots_dir(tmp_path)
    await with_acme(engine, panel)
    for scheme in ("standard-webhooks", "github", "acme"):
        store_secret(gui_db, engine, Credential(scheme, f"{scheme}-key", SECRETS[scheme]))
    shots = [("standard-webhooks", "standard"), ("github", "github"), ("acme", "custom")]
    for name, palette in (("light", QApplication.palette()), ("dark", dark_palette())):
        with app_palette(palette):
            for scheme, label in shots:
                panel.set_provider(scheme)
                assert await panel.refresh_preview() is not None
                shoot(panel, out / f"composer-scheme-{label}-{name}.png")
            panel.set_provider("stripe")
            await panel.refresh_preview()
            shoot(panel, out / f"composer-scheme-nosecret-{name}.png")
    assert len(list(out.glob("composer-scheme-*.png"))) == 8
