"""`hookscope scorecard` in a child process, as a user's CI runs it, against local receivers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration import scorereceivers as receivers
from tests.integration.conftest import hookscope
from tests.integration.test_scorecard import CREDENTIALS, store_credentials, strict_check

# Each test starts a child process with the whole app: about 2.5 s on this machine.
pytestmark = pytest.mark.slow


@pytest.fixture
def stored(data_dir: Path) -> Path:
    store_credentials(data_dir)
    return data_dir


def scorecard(data_dir: Path, url: str, scheme: str, *more: str) -> tuple[int, str, str]:
    credential = CREDENTIALS[scheme].name
    done = hookscope(
        data_dir, "scorecard", "--url", url, "--scheme", scheme, "--credential", credential, *more
    )
    return done.returncode, done.stdout, done.stderr


def test_a_strict_receiver_exits_0_with_a_readable_table(stored: Path) -> None:
    check = strict_check("standard-webhooks")
    with receivers.serving(lambda server: receivers.strict_app(check, server)) as server:
        code, out, err = scorecard(stored, server.url(), "standard-webhooks")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"Receiver scorecard for {server.url()} (standard-webhooks")
    assert any(line.startswith("PASS  Valid delivery") for line in lines)
    assert not any(line.startswith("FAIL") for line in lines)
    assert lines[-1] == "PASSED: All 12 cases passed."


def test_a_receiver_that_accepts_anything_exits_1_with_every_hole_in_the_json(
    stored: Path,
) -> None:
    with receivers.serving(receivers.lax_app) as server:
        code, out, _ = scorecard(stored, server.url(), "stripe", "--json")
    assert code == 1
    card = json.loads(out)
    assert card["passed"] is False
    assert card["scheme"] == "stripe"
    assert card["credential"] == "stripe-main"
    results = {case["key"]: case["result"] for case in card["cases"]}
    assert results == {
        "valid": "pass",
        "tampered-body": "fail",
        "unsigned": "fail",
        "wrong-secret": "fail",
        "other-encoding": "fail",
        "foreign-prefix": "fail",
        "stale": "fail",
        "future": "fail",
        "replay": "skipped",
        "malformed": "fail",
        "oversized": "fail",
        "slow-ack": "pass",
    }
    assert card["counts"] == {"pass": 2, "fail": 9, "skipped": 1}


def test_the_markdown_is_a_table_for_a_pull_request(stored: Path) -> None:
    with receivers.serving(receivers.lax_app) as server:
        code, out, _ = scorecard(stored, server.url(), "kudoz", "--markdown")
    assert code == 1
    assert out.startswith("### Receiver scorecard: failed\n")
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 12
    assert sum("❌ fail" in row for row in rows) == 9  # a Kudoz token skips the body case


@pytest.mark.parametrize(
    ("scheme", "credential", "message"),
    [
        ("nope", "kardow-main", "hookscope: error: Unknown scheme 'nope'; use one of kardow,"),
        ("stripe", "kardow-main", "hookscope: error: The secret 'kardow-main' is for kardow, not"),
    ],
)
def test_wrong_arguments_exit_2_in_one_sentence(
    stored: Path, scheme: str, credential: str, message: str
) -> None:
    done = hookscope(
        stored, "scorecard", "--url", "http://127.0.0.1:9/", "--scheme", scheme,
        "--credential", credential,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(message)
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unreachable_receiver_exits_2_not_1(stored: Path) -> None:
    with receivers.serving(receivers.lax_app) as server:
        url = server.url()
    code, out, err = scorecard(stored, url, "kardow")
    assert code == 2
    assert out == ""
    assert err.startswith(f"hookscope: Cannot reach the receiver at {url}: could not connect")
    assert len(err.strip().splitlines()) == 1
