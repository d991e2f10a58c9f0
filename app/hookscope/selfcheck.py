"""`hookscope selfcheck`: prove that an install works, headless, with its packaged resources."""

from __future__ import annotations

import json
import tempfile
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from hookscope import __version__, resources
from hookscope.core import catalogue, export
from hookscope.core.model import Credential, SendPolicy
from hookscope.engine import Engine
from hookscope.storage import captures as capture_store
from hookscope.storage import credentials as credential_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from hookscope.storage.paths import key_path

Report = Callable[[str, bool, str], None]
SECRET = "selfcheck-secret-0123456789"
API_KEY = "kd_selfcheck-key"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class CheckFailed(Exception):
    """One step of the self-check failed; the message says what was expected."""


def run(report: Report) -> bool:
    """Run every step, reporting each as it ends; True when all passed."""
    steps: list[tuple[str, Callable[[], str]]] = [
        ("version", _version),
        ("event templates", _templates),
        ("icons", _icons),
    ]
    passed = True
    for name, step in steps:
        passed &= _attempt(name, step, report)
    with tempfile.TemporaryDirectory(prefix="hookscope-selfcheck-") as tmp:
        passed &= _attempt("engine", lambda: _engine(Path(tmp) / "data", report), report)
    return passed


def _attempt(name: str, step: Callable[[], str], report: Report) -> bool:
    try:
        detail = step()
    except Exception as exc:  # every failure is reported, the other steps still run
        report(name, False, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        return False
    report(name, True, detail)
    return True


def _version() -> str:
    if __version__ == "0+unknown":
        raise CheckFailed("the package metadata is missing (installed without it?)")
    return __version__


def _templates() -> str:
    from datetime import UTC, datetime

    loaded = catalogue.templates()
    for template in loaded:
        filled = catalogue.fill(template.data, now=datetime.now(UTC))
        if "{{" in json.dumps(filled):
            raise CheckFailed(f"{template.event}: a placeholder was left unfilled")
    if len(loaded) != 13:
        raise CheckFailed(f"{len(loaded)} templates found, 13 expected")
    return f"{len(loaded)} loaded from {resources.resource('events')}"


def _icons() -> str:
    root = ET.fromstring(resources.icon_svg())
    if not root.tag.endswith("svg"):
        raise CheckFailed("hookscope.svg is not SVG")
    for size in resources.ICON_SIZES:
        if not resources.icon_png(size).startswith(PNG_SIGNATURE):
            raise CheckFailed(f"hookscope-{size}.png is not a PNG")
    return f"SVG and {len(resources.ICON_SIZES)} PNG sizes"


def _engine(directory: Path, report: Report) -> str:
    """A throwaway store: capture, verification, the emulator, fan-out, export."""
    with open_store(directory) as db:
        vault = load_vault(key_path(directory), create=True)
        assert vault is not None
        credential_store.add_credential(db, vault, Credential("kardow", "selfcheck", SECRET))
    engine = Engine(
        directory, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0}, api_keys=[API_KEY]
    )
    engine.start()
    try:
        _, capture_id = engine.call(engine.test_delivery()).result(30)
        verdict = _verdict(directory, capture_id)
        if verdict != "verified":
            raise CheckFailed(f"a signed test delivery was judged {verdict}, not verified")
        report("capture and verification", True, f"{engine.url}: capture {capture_id} verified")

        api_url = engine.call(engine.start_api(port=0)).result(30)
        registration = {
            "event": "*",
            "target_type": "webhook",
            "target_url": engine.url + "/selfcheck/target",
            "secret": SECRET,
        }
        request = urllib.request.Request(
            api_url + "/webhooks",
            data=json.dumps(registration).encode(),
            headers={"Content-Type": "application/json", "x-api-key": API_KEY},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status != 201:
                raise CheckFailed(f"POST /webhooks answered {answer.status}, not 201")
        plan = engine.call(engine.plan_kardow("job.created", {"title": "selfcheck"}, 42))
        (attempt,) = engine.call(engine.send(plan.result(30), SendPolicy())).result(60)
        if not attempt.ok:
            raise CheckFailed(f"the fan-out to our own listener failed: {attempt.outcome}")
        fanned = json.loads(attempt.response_body)["capture_id"]
        if _verdict(directory, fanned) != "verified":
            raise CheckFailed("the fanned-out event was not verified with the target's secret")
        report("emulator and fan-out", True, f"{api_url}: registered, fired, verified")
    finally:
        engine.stop()
    with open_store(directory) as db:
        har = json.loads("".join(export.har(capture_store.iter_captures(db))))
    entries = len(har["log"]["entries"])
    if entries != 2:
        raise CheckFailed(f"the HAR export holds {entries} entries, 2 expected")
    return "store, secrets key, listener, emulator and export all work"


def _verdict(directory: Path, capture_id: int | None) -> str:
    if capture_id is None:
        raise CheckFailed("the listener's answer did not name the capture")
    with open_store(directory) as db:
        capture = capture_store.get_capture(db, capture_id)
    if capture is None:
        raise CheckFailed(f"capture {capture_id} is not in the store")
    return capture.verdict.verdict
