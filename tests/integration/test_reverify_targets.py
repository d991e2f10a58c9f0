"""Judged again, a capture keeps the verdict the target's secret gave it on arrival."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookscope.cli import main
from hookscope.core.model import SendPolicy
from hookscope.core.registration import Registration
from hookscope.engine import Engine
from hookscope.storage.db import open_store

SECRET = "target-secret-0123456789abcdef"


def verdicts(data_dir: Path) -> list[str]:
    with open_store(data_dir) as db:
        return [row[0] for row in db.execute("SELECT verdict FROM captures ORDER BY id")]


@pytest.fixture
def fired_to_ourselves(engine: Engine, data_dir: Path) -> Engine:
    """A Kardow event fired to a webhook target that is our own listener, signed with the
    target's secret (no stored secret at all): it arrives verified."""
    registration = Registration("job.created", "webhook", engine.url + "/hook", SECRET)
    engine.call(engine.register(registration)).result(10)
    plan = engine.call(engine.plan_kardow("job.created", {"job_id": "a"}, 42)).result(10)
    (attempt,) = engine.call(engine.send(plan, SendPolicy(retries=0))).result(30)
    assert attempt.ok
    assert verdicts(data_dir) == ["verified"]
    return engine


def test_verify_again_in_the_window_keeps_a_target_verified_capture_verified(
    fired_to_ourselves: Engine, data_dir: Path
) -> None:
    engine = fired_to_ourselves
    counts = engine.call(engine.reverify()).result(30)
    assert counts == {"verified": 1}
    assert verdicts(data_dir) == ["verified"]


def test_captures_reverify_keeps_a_target_verified_capture_verified(
    fired_to_ourselves: Engine, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["captures", "reverify"]) == 0
    assert capsys.readouterr().out.strip() == "re-verified 1 capture: 1 verified"
    assert verdicts(data_dir) == ["verified"]
