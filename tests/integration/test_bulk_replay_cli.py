"""`hookscope replay ID [ID ...]` in a child process, as users run it: order, mistakes, Ctrl+C."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookscope.cli.replay import ProgressLine
from hookscope.core.fire import REPLAY_HEADER
from hookscope.core.model import DeliveryQuery
from hookscope.core.sending import BulkProgress
from hookscope.storage import reads
from tests.conftest import make_capture
from tests.integration.conftest import hookscope
from tests.integration.receiver import Received, Receiver, running_receiver
from tests.unit.test_cli import store

CONCURRENCY = "hookscope: The concurrency must be a whole number from 1 to 32"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def five(data_dir: Path) -> list[int]:
    return store(data_dir, *(make_capture(body=f'{{"n": {n}}}'.encode()) for n in range(5)))


def replayed(receiver: Receiver) -> list[int]:
    return [int(r.header(REPLAY_HEADER) or 0) for r in receiver.received]


def logged(data_dir: Path) -> list[int]:
    with reads.open_store(data_dir) as db:
        attempts = reads.list_attempts(db, DeliveryQuery(limit=1000), bodies=False)
    return sorted(attempt.request.replay_of or 0 for attempt in attempts)


@pytest.mark.slow
def test_several_ids_are_sent_in_arrival_order_with_a_summary(
    data_dir: Path, five: list[int], receiver: Receiver
) -> None:
    ids = [str(i) for i in reversed(five)]
    done = hookscope(
        data_dir, "replay", *ids, "--to", receiver.url("/ok/cli"), "--concurrency", "2"
    )
    assert done.returncode == 0, done.stderr
    assert sorted(replayed(receiver)) == five
    assert sorted(replayed(receiver)[:2]) == five[:2]  # the two oldest went first
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [f"#{i}" for i in five]
    assert all(" ok   replay " in line for line in lines)
    assert done.stderr.startswith("5 delivered, 0 failed (`hookscope deliveries list --fire ")
    assert logged(data_dir) == five


@pytest.mark.slow
def test_json_lists_each_attempt_without_the_body_sent(
    data_dir: Path, five: list[int], receiver: Receiver
) -> None:
    ids = [str(i) for i in five[:3]]
    done = hookscope(data_dir, "replay", *ids, "--to", receiver.url("/ok/json"), "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [entry["replay_of"] for entry in listed] == five[:3]
    assert all(entry["ok"] and "request_body" not in entry for entry in listed)


@pytest.mark.slow
def test_a_failure_makes_the_exit_status_non_zero(
    data_dir: Path, five: list[int], receiver: Receiver
) -> None:
    done = hookscope(
        data_dir, "replay", str(five[0]), str(five[1]), "--to", receiver.url("/status/503")
    )
    assert done.returncode == 1
    assert done.stderr.startswith("0 delivered, 2 failed")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "sentence"),
    [
        (["999"], "hookscope: There is no capture 999.\n"),
        (["--concurrency", "0"], f"{CONCURRENCY}, not 0.\n"),
        (["--concurrency", "-2"], f"{CONCURRENCY}, not -2.\n"),
        (["--concurrency", "33"], f"{CONCURRENCY}, not 33.\n"),
        (["--data", "x.json"], "hookscope: --data edits the body of one capture; give a single ID"
                               " with it.\n"),
    ],
)  # fmt: skip
def test_a_mistake_is_one_sentence_and_nothing_is_sent(
    data_dir: Path, five: list[int], receiver: Receiver, extra: list[str], sentence: str
) -> None:
    ids = [str(five[0]), str(five[1])]
    done = hookscope(data_dir, "replay", *ids, *extra, "--to", receiver.url("/ok/no"))
    assert (done.returncode, done.stdout, done.stderr) == (1, "", sentence)
    assert receiver.received == []
    assert logged(data_dir) == []


def test_one_id_still_replays_as_before(
    data_dir: Path, five: list[int], receiver: Receiver
) -> None:
    from hookscope.cli import main

    assert main(["replay", str(five[2]), "--to", receiver.url("/ok/one")]) == 0
    assert replayed(receiver) == [five[2]]


class Child:
    """`hookscope replay` in a child process whose stderr the test reads line by line."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hookscope", "replay", *args, "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stderr_line(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.readline()

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


def hold_second(receiver: Receiver, release: threading.Event) -> threading.Event:
    """Hold the second request until `release`; the event returned says it arrived."""
    arrived = threading.Event()

    async def hold(_: Received) -> None:
        if len(receiver.received) == 2:
            arrived.set()
            await asyncio.to_thread(release.wait, 30)

    receiver.hold = hold
    return arrived


@pytest.mark.slow
def test_ctrl_c_lets_the_replay_in_flight_finish_and_starts_no_other(
    data_dir: Path, five: list[int], receiver: Receiver
) -> None:
    release = threading.Event()
    arrived = hold_second(receiver, release)
    child = Child(data_dir, *map(str, five), "--to", receiver.url("/ok/ctrl-c"))
    try:
        assert arrived.wait(60)
        child.process.send_signal(signal.SIGINT)
        assert child.stderr_line().startswith("hookscope: cancelling: no new replay starts")
        release.set()
        code, out, err = child.finish()
    finally:
        release.set()
        if child.process.poll() is None:
            child.process.kill()
            child.process.communicate()
    assert code == 130
    assert len(out.splitlines()) == 2
    assert err.startswith("2 delivered, 0 failed, 3 not sent (cancelled)")
    assert "Traceback" not in err
    assert replayed(receiver) == five[:2]
    assert logged(data_dir) == five[:2]


@pytest.mark.slow
def test_a_second_ctrl_c_aborts_the_replay_in_flight(
    data_dir: Path, five: list[int], receiver: Receiver
) -> None:
    release = threading.Event()
    arrived = hold_second(receiver, release)
    child = Child(data_dir, *map(str, five), "--to", receiver.url("/ok/abort"))
    try:
        assert arrived.wait(60)
        child.process.send_signal(signal.SIGINT)
        assert child.stderr_line().startswith("hookscope: cancelling:")
        child.process.send_signal(signal.SIGINT)
        code, _out, err = child.finish()
    finally:
        release.set()
        if child.process.poll() is None:
            child.process.kill()
            child.process.communicate()
    assert code == 130
    assert err == "hookscope: aborted: 1 delivered, 0 failed, 4 not sent.\n"
    assert logged(data_dir) == five[:1]  # the aborted one left no half attempt behind


def test_progress_is_redrawn_on_a_terminal_only(capsys: pytest.CaptureFixture[str]) -> None:
    for live in (True, False):
        line = ProgressLine(live=live)
        line.draw()  # nothing reported yet: nothing to draw
        line.update(BulkProgress(7, 20, 6, 1))
        line.draw()
        line.clear()
        drawn = capsys.readouterr().err
        assert drawn == ("\r\x1b[K7 of 20 sent, 1 failed\r\x1b[K" if live else "")
