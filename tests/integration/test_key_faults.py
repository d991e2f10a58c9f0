"""A bad secrets key never stops capture: no-secret verdicts, a warning, and healing on restore."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hookscope.cli import main
from hookscope.engine import Engine
from hookscope.storage.paths import key_path
from tests.integration.conftest import http, listener_port, wait_for
from tests.integration.test_verification import (
    DELIVERY,
    KARDOW_SECRET,
    kardow_signature,
    post_kardow,
    verdict_of,
)

SIGNATURE = kardow_signature(KARDOW_SECRET, DELIVERY)


@pytest.fixture
def secrets_and_target(data_dir: Path) -> Path:
    """A Kardow secret and a webhook target with its own secret; the key file's path."""
    assert main(["secrets", "add", "kardow", "prod", "--secret", KARDOW_SECRET]) == 0
    target = ["targets", "add", "--event", "*", "--type", "webhook", "--url", "http://127.0.0.1:9/"]
    assert main([*target, "--secret", "target-secret-0123456789"]) == 0
    return key_path(data_dir)


@pytest.fixture
def make_engine(data_dir: Path) -> Iterator[list[Engine]]:
    engines: list[Engine] = []
    yield engines
    for engine in engines:
        engine.stop()


def start(data_dir: Path, engines: list[Engine]) -> Engine:
    engine = Engine(data_dir, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engines.append(engine)
    engine.start()
    return engine


def verdict(data_dir: Path, engine: Engine) -> str:
    return verdict_of(data_dir, post_kardow(listener_port(engine), SIGNATURE))[0]


@pytest.mark.parametrize("garbage", [b"", b"this is not a key\n"], ids=["empty", "garbage"])
def test_a_bad_key_at_start_warns_and_capture_goes_on(
    data_dir: Path, secrets_and_target: Path, make_engine: list[Engine], garbage: bytes
) -> None:
    secrets_and_target.write_bytes(garbage)

    engine = start(data_dir, make_engine)

    assert any("is empty or damaged" in w for w in engine.warnings), engine.warnings
    assert verdict(data_dir, engine) == "no-secret"


def test_a_key_broken_then_restored_while_running_heals_without_restart(
    data_dir: Path, secrets_and_target: Path, make_engine: list[Engine]
) -> None:
    engine = start(data_dir, make_engine)
    assert verdict(data_dir, engine) == "verified"
    good = secrets_and_target.read_bytes()

    secrets_and_target.write_bytes(b"garbage\n")
    # Another process changes a setting meanwhile: the reload that follows meets the bad key.
    assert main(["paths", "set", "/elsewhere/*", "kardow"]) == 0
    assert wait_for(lambda: verdict(data_dir, engine) == "no-secret", timeout=10)
    assert any("is empty or damaged" in w for w in engine.warnings), engine.warnings

    secrets_and_target.write_bytes(good)  # restored from a backup: the store did not change
    assert wait_for(lambda: verdict(data_dir, engine) == "verified", timeout=10), (
        "the engine never noticed the restored key"
    )
    assert engine.warnings == []
    # The reload is alive: a setting written now still reaches the engine.
    assert main(["paths", "set", "/legacy/*", "kardow"]) == 0
    port = listener_port(engine)

    def recognised() -> bool:
        reply = http(port, "POST", "/legacy/in", [("Content-Type", "text/plain")], b"ping")
        return verdict_of(data_dir, reply)[0] == "unsigned"

    assert wait_for(recognised, timeout=10)


def test_a_missing_key_restored_while_running_heals_too(
    data_dir: Path, secrets_and_target: Path, make_engine: list[Engine]
) -> None:
    good = secrets_and_target.read_bytes()
    secrets_and_target.unlink()
    engine = start(data_dir, make_engine)
    assert verdict(data_dir, engine) == "no-secret"

    secrets_and_target.write_bytes(good)
    assert wait_for(lambda: verdict(data_dir, engine) == "verified", timeout=10)
