"""Captures hold personal data: the store, its copies and the key are owner-only by default."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path, key_path
from tests.integration.conftest import Serve, hookscope, http

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name == "nt", reason="POSIX modes"),
]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """As many desktops set it: files others can read, unless Hookscope says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_store_its_wal_and_the_key_are_owner_only(
    serve: Callable[..., Serve], data_dir: Path
) -> None:
    child = serve("--port", "0")
    assert http(child.port, "POST", "/hooks/x", body=b'{"candidate": "Ada"}').status == 200
    store = db_path(data_dir)
    try:
        assert mode(data_dir) == 0o700
        for suffix in ("", "-wal", "-shm"):  # the WAL and index exist while serve runs
            path = store.with_name(store.name + suffix)
            assert mode(path) == 0o600, f"{path.name} is {mode(path):04o}"
    finally:
        assert child.stop() == 0
    assert "tightened" not in child.stderr()

    added = hookscope(data_dir, "secrets", "add", "kardow", "prod", "--secret", "s" * 20)
    assert added.returncode == 0, added.stderr
    assert mode(key_path(data_dir)) == 0o600


def test_exports_and_backups_are_owner_only_even_over_old_files(
    data_dir: Path, tmp_path: Path
) -> None:
    assert hookscope(data_dir, "rules", "list").returncode == 0  # creates the store
    export = tmp_path / "captures.ndjson"
    backup = tmp_path / "copy.db"
    for old in (export, export.with_name(export.name + ".part"), backup.with_name("copy.db.part")):
        old.write_bytes(b"left by an earlier run")
        old.chmod(0o644)

    exported = hookscope(data_dir, "captures", "export", "--format", "ndjson", "--out", str(export))
    backed_up = hookscope(data_dir, "backup", str(backup))

    assert exported.returncode == 0, exported.stderr
    assert backed_up.returncode == 0, backed_up.stderr
    assert mode(export) == 0o600
    assert mode(backup) == 0o600
    fresh = tmp_path / "fresh.har"
    assert (
        hookscope(data_dir, "captures", "export", "--format", "har", "--out", str(fresh)).returncode
        == 0
    )
    assert mode(fresh) == 0o600


def test_loose_files_left_by_an_older_version_are_tightened_and_said_once(
    data_dir: Path,
) -> None:
    open_store(data_dir).close()
    assert (
        hookscope(data_dir, "secrets", "add", "kardow", "k", "--secret", "s" * 20).returncode == 0
    )
    store, key = db_path(data_dir), key_path(data_dir)
    data_dir.chmod(0o755)
    store.chmod(0o644)
    key.chmod(0o644)

    first = hookscope(data_dir, "captures", "list")
    again = hookscope(data_dir, "captures", "list")

    assert first.returncode == 0, first.stderr
    assert first.stderr == (
        f"hookscope: tightened permissions to owner-only: {data_dir} (was 0755),"
        f" {store} (was 0644), {key} (was 0644)\n"
    )
    assert (mode(data_dir), mode(store), mode(key)) == (0o700, 0o600, 0o600)
    assert again.returncode == 0
    assert again.stderr == ""
