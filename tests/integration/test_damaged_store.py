"""A damaged store is refused with one sentence, by `serve` and by every command, never a trace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hookscope.cli import main
from hookscope.storage import db as db_module
from hookscope.storage.paths import db_path
from tests.conftest import make_capture
from tests.integration.conftest import Serve, hookscope
from tests.unit.test_cli import store

pytestmark = pytest.mark.slow

PAGE = 4096


def garbage_header(path: Path) -> None:
    with path.open("r+b") as file:
        file.write(b"this is no SQLite file at all, just bytes".ljust(100, b"!"))


def truncated(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


def zeroed_middle(path: Path) -> None:
    pages = path.stat().st_size // PAGE
    with path.open("r+b") as file:
        file.seek((pages // 2) * PAGE)
        file.write(bytes(4 * PAGE))


DAMAGE = {"garbage-header": garbage_header, "truncated": truncated, "zeroed-pages": zeroed_middle}


@pytest.fixture(params=sorted(DAMAGE))
def damaged(request: pytest.FixtureRequest, data_dir: Path) -> Path:
    """A store with captures (checkpointed and closed), then damaged one way."""
    store(
        data_dir,
        *(make_capture(body=b'{"n": %d, "pad": "%s"}' % (n, b"x" * 2000)) for n in range(300)),
    )
    path = db_path(data_dir)
    assert not path.with_name(path.name + "-wal").exists(), "the store was not checkpointed"
    assert path.stat().st_size > 64 * PAGE
    DAMAGE[request.param](path)
    return path


def one_sentence(stderr: str, path: Path) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"hookscope: The store {path} is damaged ("), stderr
    assert "hookscope backup" in lines[0]


def test_serve_refuses_a_damaged_store(damaged: Path, serve: Callable[..., Serve]) -> None:
    child = serve("--port", "0")
    assert child.first_line == "", "serve started on a damaged store"
    assert child.process.wait(30) == 1
    one_sentence(child.stderr(), damaged)


@pytest.mark.parametrize(
    "command",
    [["captures", "list"], ["captures", "reverify"], ["secrets", "list"], ["rules", "list"]],
    ids=lambda argv: "-".join(argv),
)
def test_commands_refuse_a_damaged_store(damaged: Path, data_dir: Path, command: list[str]) -> None:
    result = hookscope(data_dir, *command)
    assert result.returncode == 1
    assert result.stdout == ""
    one_sentence(result.stderr, damaged)


def test_damage_past_the_checks_reach_is_one_sentence_when_read(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A big store is checked only as far as the budget allows; a read finds the rest."""
    store(data_dir, *(make_capture(body=b"%d" % n + b"x" * 3000) for n in range(300)))
    path = db_path(data_dir)
    zeroed_middle(path)
    # As on a store too big to check within the budget: the check stops before the damage.
    monkeypatch.setattr(db_module, "_quick_check", lambda conn, path: None)

    assert main(["captures", "list", "--limit", "1000"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    one_sentence(err, path)


def test_a_reading_command_leaves_a_large_stores_check_to_its_reads(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past READ_CHECK_BYTES a command that only reads opens without the page check (seconds on
    a large store); the damage its read meets is still the one sentence. One that writes checks."""
    store(data_dir, *(make_capture(body=b"%d" % n + b"x" * 3000) for n in range(300)))
    path = db_path(data_dir)
    zeroed_middle(path)
    checked: list[Path] = []
    check = db_module._quick_check

    def spy(conn: object, checked_path: Path) -> None:
        checked.append(checked_path)
        check(conn, checked_path)  # type: ignore[arg-type]

    monkeypatch.setattr(db_module, "_quick_check", spy)
    monkeypatch.setattr(db_module, "READ_CHECK_BYTES", path.stat().st_size - 1)

    assert main(["captures", "list", "--limit", "1000"]) == 1
    out, err = capsys.readouterr()
    assert checked == []
    assert out == ""
    one_sentence(err, path)

    assert main(["captures", "reverify"]) == 1
    out, err = capsys.readouterr()
    assert checked == [path]
    one_sentence(err, path)


def test_a_reading_command_checks_a_store_that_is_not_large(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(data_dir, make_capture())
    checked: list[object] = []
    monkeypatch.setattr(db_module, "_quick_check", lambda conn, path: checked.append(path))

    assert main(["captures", "list"]) == 0
    assert checked == [db_path(data_dir)]
