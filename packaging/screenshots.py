"""Render the window offscreen to PNGs: each tab, verdicts, a 5 MB body (and all of it, a
screenful at a time), dark, the settings, an export's progress, an imported capture and the
receiver scorecard, and forwarding to an app.

Usage: python packaging/screenshots.py OUT_DIR

A real engine on a free port receives real deliveries over sockets, as in use; the images are
for looking at (after any change to the window), not for comparing pixels.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from hookscope.core import export
from hookscope.core.forwarding import ForwardRule
from hookscope.core.model import Capture, Credential
from hookscope.core.providers import kardow, kudoz
from hookscope.core.registration import Registration
from hookscope.core.tasks import spawn
from hookscope.engine import Engine
from hookscope.storage import credentials as credential_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.ui.window import MainWindow

SECRET = "whsec-screenshots"
KUDOZ = Credential("kudoz", "kudoz-prod", "kudoz-secret", api_key="ak_live_42")
GITHUB = Credential("github", "github-prod", "github-webhook-secret")


def send(port: int, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> None:
    head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers]
    head.append("Connection: close")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        while sock.recv(65536):
            pass


def deliveries(port: int, big: bool) -> None:
    def kardow_event(event: str, secret: str, **data: object) -> None:
        body = json.dumps(
            {"event": event, "organization_id": 42, "timestamp": int(time.time()), "data": data}
        ).encode()
        headers = [("Content-Type", "application/json")]
        headers.append(("X-Kardow-Signature", kardow.sign(secret, body)))
        send(port, "POST", "/hooks/kardow", headers, body)

    kardow_event("job.created", SECRET, id=981, title="Senior welder (night shift)", city="Lyon")
    kardow_event("candidate.applied", SECRET, candidate={"name": "Ada Lovelace", "id": 7})
    kardow_event("job.closed", "an-old-secret", id=981)
    body = json.dumps({"id": "cb_1", "kind": "application.received", "data": {"job": 5}}).encode()
    token = kudoz.sign(KUDOZ, method="POST", path="/hooks/kudoz", body=body)
    send(port, "POST", "/hooks/kudoz", [("Authorization", token)], body)
    send(port, "POST", "/hooks/kudoz", [("Authorization", token)], body)  # a replay
    send(port, "GET", "/health?probe=" + "x" * 180, [], b"")
    send(
        port,
        "POST",
        "/forms/apply",
        [("Content-Type", "application/x-www-form-urlencoded")],
        b"name=Grace+Hopper&role=engineer&note=%3Cb%3Ehi%3C%2Fb%3E",
    )
    if big:
        items = [
            {"id": n, "title": f"Welder, night shift {n}", "tags": ["a", "b"]}
            for n in range(110_000)
        ]
        big_body = json.dumps({"event": "job.imported", "data": items}).encode()
        send(port, "POST", "/hooks/bulk", [("Content-Type", "application/json")], big_body)


async def settle(seconds: float = 0.4) -> None:
    """Let Qt paint and the body views render for a while."""
    await asyncio.sleep(seconds)


def dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#262626"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#2f65ca"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#353535"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#8a8a8a"),
        (role.Link, "#6ea8fe"),
    ):
        palette.setColor(name, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor("#777777"))
    palette.setColor(QPalette.ColorGroup.Disabled, role.WindowText, QColor("#777777"))
    palette.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor("#777777"))
    return palette


def grab(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


async def shoot(out: Path, directory: Path) -> None:
    db = open_store(directory)
    engine = Engine(directory, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    vault = load_vault(engine.key_file, create=True)
    assert vault is not None
    credential_store.add_credential(db, vault, Credential("kardow", "prod", SECRET))
    credential_store.add_credential(db, vault, KUDOZ)
    credential_store.add_credential(db, vault, GITHUB)
    await asyncio.to_thread(engine.start)
    window = MainWindow(engine, db)
    window.resize(1400, 820)
    window.show()
    await settle()
    grab(window, out / "01-empty.png")

    assert engine.listener is not None
    await asyncio.to_thread(deliveries, engine.listener.port, True)
    await settle(1.0)
    window.captures.table.selectRow(window.captures.model.rowCount() - 1)
    await settle()
    grab(window, out / "02-mixed-overview.png")
    for tab, name in ((1, "headers"), (3, "verification"), (4, "response")):
        window.captures.detail.setCurrentIndex(tab)
        await settle(0.2)
        grab(window, out / f"03-tab-{name}.png")
    window.captures.table.selectRow(
        window.captures.model.row_of(window.captures.model.summary(0).id + 0) or 0
    )
    window.captures.detail.setCurrentIndex(window.captures.detail.BODY)
    await settle(3.0)
    grab(window, out / "04-body-5mb.png")
    await shoot_show_all(window, out, "04")
    failed = next(
        r
        for r in range(window.captures.model.rowCount())
        if window.captures.model.summary(r).verdict == "failed"
    )
    window.captures.table.selectRow(failed)
    window.captures.detail.setCurrentIndex(window.captures.detail.VERIFICATION)
    await settle()
    grab(window, out / "05-failed-verification.png")

    await shoot_search(window, out, "")
    await shoot_sending(window, engine, out)
    await shoot_settings(window, out)
    await shoot_schemes(window, out, "light")
    await shoot_compose_schemes(window, out, "light")
    compare = await shoot_compare(window, engine, out)
    await shoot_transfer(window, out, "light")
    await shoot_menus(window, out, "light")

    # The offscreen platform has no system colour scheme to follow: set a dark palette as a
    # dark desktop would hand it to Fusion.
    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    await settle(0.5)
    window.captures.detail.show_capture(window.captures.detail.capture)
    await settle(0.5)
    grab(window, out / "06-dark-verification.png")
    kardow_row = next(
        r
        for r in range(window.captures.model.rowCount())
        if window.captures.model.summary(r).event == "job.created"
    )
    window.captures.table.selectRow(kardow_row)
    window.captures.detail.setCurrentIndex(window.captures.detail.BODY)
    await settle(1.0)
    grab(window, out / "07-dark-body.png")
    await shoot_show_all(window, out, "07-dark")
    window.captures.filters.search.setText("no-such-word")
    window.captures.apply_filters()
    await settle()
    grab(window, out / "08-dark-no-match.png")
    await shoot_search(window, out, "dark-")
    for index, name in ((1, "compose"), (2, "targets"), (3, "deliveries")):
        window.tabs.setCurrentIndex(index)
        await settle(0.5)
        grab(window, out / f"13-dark-{name}.png")
    window.tabs.setCurrentIndex(0)
    await settle(0.3)
    grab(compare, out / "16-dark-compare.png")
    compare.close()
    window.captures.filters.clear()
    await shoot_transfer(window, out, "dark")
    await shoot_menus(window, out, "dark")
    window.open_settings()
    assert window.settings_dialog is not None
    window.settings_dialog.tabs.setCurrentWidget(window.settings_dialog.storage)
    await settle(0.5)
    grab(window.settings_dialog, out / "14-dark-settings-storage.png")
    window.settings_dialog.close()
    await shoot_schemes(window, out, "dark")
    await shoot_compose_schemes(window, out, "dark")
    QApplication.setPalette(light)
    await shoot_scorecard(window, out)
    await shoot_forwarding(window, engine, out)

    window.close()
    await asyncio.to_thread(engine.stop)
    db.close()


async def shoot_scorecard(window: MainWindow, out: Path) -> None:
    """The receiver scorecard run against the listener itself, which captures everything, so
    every forged case is flagged (a long URL), in light and dark."""
    dialog = window.scorecard.open()
    await until(lambda: dialog.credential_box.count() > 0)
    dialog.url_edit.setText(window.engine.url + "/scorecard/" + "a-long-segment/" * 10 + "end")
    await settle(0.3)
    grab(dialog, out / "19-scorecard-ready.png")
    await dialog.run()
    await settle(0.3)
    grab(dialog, out / "19-scorecard-holes.png")
    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    await settle(0.5)
    grab(dialog, out / "19-dark-scorecard-holes.png")
    QApplication.setPalette(light)
    dialog.close()


async def shoot_forwarding(window: MainWindow, engine: Engine, out: Path) -> None:
    """Forwarding, light and dark: the Settings tab empty, its editor and the tab with long
    URLs; Forward to…; the list's Forward column (delivered, failed, not sent) and the detail's
    Forwards tab with the app's answer and a long error. The listener stands in for the app
    (its answer is a JSON body); a closed port is an app that is down."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        down = closed.getsockname()[1]
    app = f"{window.engine.url}/my-app"
    rules = (
        ForwardRule("/hooks/*", app, strip_prefix="/hooks"),
        ForwardRule(
            "/hooks/kardow*",
            f"http://127.0.0.1:{down}/webhooks/kardow/" + "tenant-with-a-long-name/" * 4,
            provider="kardow",
            event="job.*",
            position=1,
        ),
    )
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.tabs.setCurrentWidget(dialog.forwarding)
    await settle(0.3)
    grab(dialog, out / "20-settings-forwarding-empty.png")
    editor = dialog.forwarding.add_forward()
    editor.url_edit.setText("localhost:3000/webhooks")
    await editor.settle()
    grab(editor, out / "20-forward-editor-problem.png")
    editor.reject()
    for rule in rules:
        dialog.forwarding.add(rule)
    await dialog.save()
    # A rule whose secret was removed since: its forward is "not sent", and says why.
    stored = ForwardRule("/hooks/resigned", app, resign="prod", position=2)
    await window.client.save_forward_rule(stored)
    await window.client.remove_credential("prod")
    dialog.reload()
    dialog.forwarding.view.selectRow(1)
    await settle(0.3)
    grab(dialog, out / "20-settings-forwarding-filled.png")
    dialog.close()

    port = engine.listener.port if engine.listener else 0
    body = json.dumps({"event": "job.created", "organization_id": 42, "data": {"id": 7}})
    for path in ("/hooks/kardow", "/hooks/resigned", "/hooks/plain"):
        await asyncio.to_thread(
            send, port, "POST", path, [("Content-Type", "application/json")], body.encode()
        )
    captures = window.captures
    await until(lambda: captures.model.rowCount() >= 3)
    await settle(3.0)  # the forwards are sent and the column follows
    row = next(
        r
        for r in range(captures.model.rowCount())
        if (record := captures.model.record(r)) is not None and record.path == "/hooks/kardow"
    )
    captures.table.selectRow(row)
    captures.detail.setCurrentIndex(captures.detail.FORWARDS)
    await settle(1.0)
    grab(window, out / "20-forwards-detail-delivered.png")
    captures.detail.forwards.table.selectRow(1)
    await settle(0.5)
    grab(window, out / "20-forwards-detail-long-error.png")
    forward_to = window.forwarding.open_forward_to()
    forward_to.url_box.setCurrentText("http://localhost:3000/webhooks/from-hookscope")
    await settle(0.3)
    grab(forward_to, out / "20-forward-to.png")
    await forward_to.start()
    await settle(0.5)
    grab(window, out / "20-forward-to-on.png")

    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    await settle(0.5)
    grab(window, out / "20-dark-forwards-detail-long-error.png")
    window.open_settings()
    dialog.tabs.setCurrentWidget(dialog.forwarding)
    await settle(0.3)
    grab(dialog, out / "20-dark-settings-forwarding-filled.png")
    dialog.close()
    forward_to = window.forwarding.open_forward_to()
    await settle(0.3)
    grab(forward_to, out / "20-dark-forward-to.png")
    forward_to.close()
    QApplication.setPalette(light)
    await window.forwarding.stop_forward_to()


async def shoot_menus(window: MainWindow, out: Path, shade: str) -> None:
    """The right-click menus of the capture list and the delivery log, over their lists."""
    for index, table, name in (
        (0, window.captures.table, "captures"),
        (3, window.deliveries.table, "deliveries"),
    ):
        window.tabs.setCurrentIndex(index)
        await settle(0.3)
        if table.model().rowCount() == 0:
            continue
        table.selectRow(0)
        table.customContextMenuRequested.emit(table.visualRect(table.model().index(0, 1)).center())
        await settle(0.2)
        menu = QApplication.activePopupWidget()
        if menu is not None:
            grab(menu, out / f"18-{shade}-menu-{name}.png")
            menu.close()
    window.tabs.setCurrentIndex(0)


async def shoot_search(window: MainWindow, out: Path, prefix: str) -> None:
    """A field filter, then a search with an open quote (said under the bar); then none."""
    filters = window.captures.filters
    filters.search.setText("data.city:lyon")
    window.captures.apply_filters()
    await settle()
    grab(window, out / f"16-{prefix}search-field.png")
    filters.search.setText('data.city:lyon "senior welder')
    await settle()
    grab(window, out / f"17-{prefix}search-problem.png")
    grab(filters, out / f"17-{prefix}search-problem-bar.png")
    filters.clear()
    await settle()


async def until(condition: Callable[[], bool], within: float = 60.0) -> None:
    """Let the window work until `condition()` holds, or `within` seconds have passed."""
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


async def shoot_show_all(window: MainWindow, out: Path, prefix: str) -> None:
    """The 5 MB body after Show all: each text view in the middle, with a selection."""
    page = window.captures
    bulk = next(
        r for r in range(page.model.rowCount()) if page.model.summary(r).path == "/hooks/bulk"
    )
    page.table.selectRow(bulk)
    page.detail.setCurrentIndex(page.detail.BODY)
    body = page.detail.body
    await until(
        lambda: page.detail.capture is not None and page.detail.capture.path == "/hooks/bulk"
    )
    await until(lambda: not body.rendering)
    body.show_all()
    await until(lambda: not body.rendering)
    for tab, (name, pane) in enumerate(
        (("pretty", body.pretty), ("raw", body.raw), ("hex", body.hex))
    ):
        body.views.setCurrentIndex(tab)
        await settle(0.3)
        rows = pane.rows_view
        rows.verticalScrollBar().setValue(rows.verticalScrollBar().maximum() // 2)
        first = rows.verticalScrollBar().value()
        rows.select(rows.rows.position(first + 2, 6), rows.rows.position(first + 4, 12))
        await settle(0.2)
        grab(window, out / f"{prefix}-show-all-{name}.png")
    body.views.setCurrentIndex(0)


async def shoot_sending(window: MainWindow, engine: Engine, out: Path) -> None:
    """The sending side: targets of every type (one unreachable), a fire, its deliveries."""
    await asyncio.wrap_future(engine.call(engine.start_api(port=0)))
    base = engine.url
    for registration in (
        Registration("job.created", "webhook", base + "/kardow/hook", SECRET),
        Registration("*", "discord", base + "/discord/webhooks/123/abc"),
        Registration("*", "slack", base + "/slack/services/T000/B000/XXXX"),
        Registration("job.created", "webhook", "http://127.0.0.1:9/unreachable", SECRET),
        Registration(
            "application.received",
            "webhook",
            "https://hooks.example.com/a/very/long/path/" + "segment/" * 12 + "end",
        ),
    ):
        await asyncio.wrap_future(engine.call(engine.register(registration)))
    window.tabs.setCurrentWidget(window.targets)
    window.targets.refresh()
    await settle(0.5)
    grab(window, out / "09-targets.png")
    window.tabs.setCurrentWidget(window.composer)
    await window.composer.refresh_preview()
    await settle(0.5)
    grab(window, out / "10-compose-preview.png")
    await window.composer.fire()
    await settle(0.5)
    grab(window, out / "11-compose-results.png")
    window.tabs.setCurrentWidget(window.deliveries)
    await settle(0.5)
    window.deliveries.table.selectRow(0)
    await settle(0.3)
    grab(window, out / "12-deliveries.png")
    window.tabs.setCurrentIndex(0)
    await settle()


async def shoot_settings(window: MainWindow, out: Path) -> None:
    """Each tab of the settings dialog, as opened from the window."""
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        await settle(0.2)
        name = dialog.tabs.tabText(index).lower().replace(" ", "-")
        grab(dialog, out / f"14-settings-{index + 1}-{name}.png")
    dialog.close()


async def shoot_schemes(window: MainWindow, out: Path, shade: str) -> None:
    """The Schemes tab empty, its editor saying what is wrong, the tab with long schemes, and
    the editor of a Standard Webhooks secret. The draft is forgotten at the end."""
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.tabs.setCurrentWidget(dialog.schemes)
    await settle(0.3)
    grab(dialog, out / f"18-{shade}-schemes-empty.png")
    editor = dialog.schemes.add_scheme()
    editor.name_edit.setText("acme-payments")
    editor.header_edit.setText("X-Acme-Signature")
    editor.prefix_edit.setText("sha512=")
    editor.signed_edit.setText("{timestamp}.{method}.{path}.{body}")
    await settle(0.3)
    grab(editor, out / f"18-{shade}-scheme-editor-problem.png")
    editor.timestamp_edit.setText("X-Acme-Request-Timestamp")
    editor.algorithm_combo.setCurrentText("sha512")
    editor.encoding_combo.setCurrentText("base64")
    await settle(0.3)
    grab(editor, out / f"18-{shade}-scheme-editor-valid.png")
    editor.ok_button.click()
    editor = dialog.schemes.add_scheme()
    editor.name_edit.setText("internal-billing-service-long-name-v2")
    editor.header_edit.setText("X-Internal-Billing-Service-Request-Signature")
    editor.signed_edit.setText(
        "{header:X-Internal-Billing-Tenant}\\n{method}\\n{path}\\n{id}\\n{body}"
    )
    editor.id_edit.setText("X-Internal-Billing-Delivery-Identifier")
    editor.ok_button.click()
    dialog.schemes.view.selectRow(0)
    await settle(0.3)
    grab(dialog, out / f"18-{shade}-schemes-filled.png")
    dialog.tabs.setCurrentWidget(dialog.secrets)
    secret = dialog.secrets.add_secret("standard-webhooks")
    secret.name_edit.setText("svix production")
    secret.public_key_edit.setText("whpk_c2hvcnQ=")
    secret.submit()
    await settle(0.3)
    grab(secret, out / f"18-{shade}-secret-editor-standard-webhooks.png")
    secret.reject()
    dialog.reload()
    dialog.close()


async def shoot_compose_schemes(window: MainWindow, out: Path, shade: str) -> None:
    """The composer firing a raw body the GitHub way, and a scheme with no secret stored."""
    composer = window.composer
    window.tabs.setCurrentWidget(composer)
    for provider, name in (("github", "github"), ("stripe", "no-secret")):
        composer.set_provider(provider)
        await composer.refresh_preview()
        await settle(0.5)
        grab(window, out / f"19-{shade}-compose-{name}.png")
    composer.set_provider(kardow.name)
    window.tabs.setCurrentIndex(0)
    await settle()


async def shoot_compare(window: MainWindow, engine: Engine, out: Path) -> QWidget:
    """A Kardow event and its later delivery, edited and signed with an old secret, compared."""
    assert engine.listener is not None
    port = engine.listener.port
    job = {
        "id": 981,
        "title": "Senior welder",
        "city": "Lyon",
        "salary": {"min": 3000, "max": 3600, "currency": "EUR"},
        "tags": ["night", "industry"],
        "remote": False,
    }
    later = {**job, "title": "Senior welder (night shift)", "tags": ["night", "industry", "urgent"]}
    later["salary"] = {**job["salary"], "max": "3900"}
    del later["remote"]
    for data, secret, stamp, extra in (
        (job, SECRET, 1732867200, []),
        (later, "an-old-secret", 1732867500, [("X-Forwarded-For", "10.0.0.7")]),
    ):
        envelope = {"event": "job.updated", "organization_id": 42, "timestamp": stamp}
        body = json.dumps({**envelope, "data": data}).encode()
        headers = [("Content-Type", "application/json"), ("X-Forwarded-For", "203.0.113.9")]
        headers += [*extra, ("X-Kardow-Signature", kardow.sign(secret, body))]
        await asyncio.to_thread(send, port, "POST", "/hooks/kardow", headers, body)
    await settle(0.5)
    window.captures.insert_new()
    table = window.captures.table
    table.clearSelection()
    table.selectRow(0)
    table.selectionModel().select(
        window.captures.model.index(1, 0),
        table.selectionModel().SelectionFlag.Select | table.selectionModel().SelectionFlag.Rows,
    )
    dialog = window.captures.compare_selected()
    assert dialog is not None
    await dialog.settle()
    await settle(0.5)
    grab(dialog, out / "15-compare.png")
    return dialog


async def shoot_transfer(window: MainWindow, out: Path, shade: str) -> None:
    """File > Export… half-way (its progress bar, then cancelled), and an imported capture."""
    real = export.EXPORTERS["har"]
    gate = threading.Event()

    def held(captures: Iterable[Capture], base_url: str | None = None) -> Iterator[str]:
        # The real writer, held after a few entries so the progress shows half-way.
        for number, chunk in enumerate(real(captures, base_url)):
            yield chunk
            if number == 3:
                gate.wait(30)

    dialog = window.open_export()
    with tempfile.TemporaryDirectory() as folder:
        dialog.choose("all")
        dialog.path.setText(str(Path(folder) / "captures-of-the-night-shift.har"))
        export.EXPORTERS["har"] = held
        try:
            task = spawn(dialog.export(), name="screenshot-export")
            await settle(0.8)
            grab(dialog, out / f"15-{shade}-export-progress.png")
            dialog.cancel_button.click()
        finally:
            gate.set()
            export.EXPORTERS["har"] = real
        await task
        grab(dialog, out / f"16-{shade}-export-cancelled.png")
        har_file = Path(folder) / "night-shift.har"
        if shade == "light":  # import once; the dark pass shows the same capture
            dialog.path.setText(str(har_file))
            await dialog.export()
            await window.har_import.run(har_file)
            await settle(0.3)
    window.tabs.setCurrentIndex(0)
    window.captures.table.selectRow(0)
    window.captures.detail.setCurrentIndex(window.captures.detail.OVERVIEW)
    await settle(0.5)
    grab(window, out / f"17-{shade}-imported-capture.png")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    app.setQuitOnLastWindowClosed(False)
    with (
        tempfile.TemporaryDirectory() as directory,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        runner.run(shoot(out, Path(directory)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
