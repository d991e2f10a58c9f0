"""A replay sent to Hookscope's own listener is linked to its original, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookscope.core.fire import REPLAY_HEADER, replay_link
from hookscope.core.http import Headers
from hookscope.core.model import SendPolicy
from hookscope.engine import Engine
from hookscope.storage import reads
from hookscope.ui.captures.detail import capture_links
from tests.integration.conftest import http, listener_port, stored


def test_a_replay_to_our_own_listener_points_to_its_original(
    engine: Engine, data_dir: Path
) -> None:
    original = http(listener_port(engine), "POST", "/hooks/x", body=b'{"a": 1}').json()
    original_id = original["capture_id"]
    replays = []
    for _ in range(2):
        plan = engine.call(engine.plan_replay(original_id, engine.url + "/again")).result(10)
        (attempt,) = engine.call(engine.send(plan, SendPolicy(retries=0))).result(30)
        assert attempt.ok
        replays.append(int(attempt.response_body.split(b'"capture_id": ')[1].rstrip(b"}")))

    assert [stored(data_dir, replay).replay_of for replay in replays] == [original_id] * 2
    with reads.open_store(data_dir) as db:
        assert reads.replays_of(db, original_id) == replays
        first = reads.get_capture(db, original_id)
    assert first is not None
    assert capture_links(first, replays) == (
        f"#{original_id} · replayed as #{replays[0]}, #{replays[1]}"
    )


@pytest.mark.parametrize(
    ("value", "linked"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-3", None),
        ("1e3", None),
        ("x", None),
        ("1" * 19, None),
        ("", None),
    ],
)
def test_only_a_capture_id_in_the_replay_header_makes_a_link(
    value: str, linked: int | None
) -> None:
    assert replay_link(Headers(((REPLAY_HEADER, value),))) == linked


def test_a_delivery_without_the_header_is_no_replay() -> None:
    assert replay_link(Headers((("Content-Type", "application/json"),))) is None
