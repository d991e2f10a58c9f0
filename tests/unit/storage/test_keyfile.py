"""The secrets key file: written whole or not at all, and never silently replaced."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookscope.cli import main
from hookscope.core.vault import Vault
from hookscope.storage import credentials as credential_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import DamagedKeyError, KeyFileError, load_vault
from hookscope.storage.paths import key_path

SECRET = "whsec-0123456789abcdef"


def no_space(*args: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def leftovers(key: Path) -> list[str]:
    """Files the key's creation left beside it (temporary files included)."""
    if not key.parent.exists():
        return []
    return sorted(
        p.name for p in key.parent.iterdir() if p.name.startswith(("." + key.name, key.name))
    )


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_a_full_disk_leaves_no_key_file_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    key = tmp_path / "data.key"
    monkeypatch.setattr(os, call, no_space)
    with pytest.raises(KeyFileError) as raised:
        load_vault(key, create=True)
    assert str(raised.value) == f"Cannot create the secrets key {key}: No space left on device."
    assert leftovers(key) == []


def test_secrets_add_on_a_full_disk_is_one_sentence_then_works_once_there_is_room(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = key_path(data_dir)
    with monkeypatch.context() as full:
        full.setattr(os, "write", no_space)
        assert main(["secrets", "add", "kardow", "prod", "--secret", SECRET]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"hookscope: Cannot create the secrets key {key}: No space left on device.\n"
    assert leftovers(key) == []

    assert main(["secrets", "add", "kardow", "prod", "--secret", SECRET]) == 0
    vault = load_vault(key, create=False)
    assert vault is not None
    with open_store(data_dir) as db:
        assert [c.secret for c in credential_store.load_credentials(db, vault)] == [SECRET]


def test_a_concurrent_creator_wins_and_its_key_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "data.key"
    theirs = Vault.new_key()
    real_link: Callable[..., None] = os.link

    def another_process_first(source: Any, target: Any) -> None:
        Path(target).write_bytes(theirs + b"\n")  # the other process linked its key first
        real_link(source, target)

    monkeypatch.setattr(os, "link", another_process_first)
    vault = load_vault(key, create=True)
    assert vault is not None
    assert key.read_bytes() == theirs + b"\n"
    assert Vault(theirs).decrypt(vault.encrypt("x")) == "x"
    assert leftovers(key) == ["data.key"]


def test_a_new_key_is_whole_and_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "nested" / "data.key"
    assert load_vault(key, create=True) is not None
    assert len(key.read_bytes().strip()) == 44
    assert key.stat().st_mode & 0o777 == 0o600
    assert leftovers(key) == ["data.key"]


@pytest.mark.parametrize("content", [b"", b"\n", b"not a key at all", b"A" * 43])
def test_an_empty_or_garbage_key_is_a_damaged_key(tmp_path: Path, content: bytes) -> None:
    key = tmp_path / "data.key"
    key.write_bytes(content)
    with pytest.raises(DamagedKeyError, match="is empty or damaged"):
        load_vault(key, create=True)
    assert key.read_bytes() == content  # never replaced behind the user's back


# -- a new key is never made while stored secrets need the old one ------------------------------


def add(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


ADD_SECRET = ["secrets", "add", "kardow", "new", "--secret", SECRET]
ADD_TARGET = [
    "targets",
    "add",
    "--event",
    "*",
    "--type",
    "webhook",
    "--url",
    "http://127.0.0.1:9/x",
]


@pytest.mark.parametrize(
    "stored",
    [["secrets", "add", "kardow", "old", "--secret", SECRET], [*ADD_TARGET, "--secret", SECRET]],
    ids=["credential", "target-secret"],
)
@pytest.mark.parametrize(
    "command",
    [ADD_SECRET, [*ADD_TARGET[:-1], "http://h/2", "--secret", SECRET]],
    ids=["secrets-add", "targets-add"],
)
def test_a_missing_key_is_not_replaced_while_secrets_need_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], stored: list[str], command: list[str]
) -> None:
    assert main(stored) == 0
    key = key_path(data_dir)
    original = key.read_bytes()
    key.unlink()
    capsys.readouterr()

    code, err = add(command, capsys)

    assert code == 1
    assert not key.exists(), "a new key was made: the stored secret is now unreadable for good"
    assert err.startswith(f"hookscope: The secrets key {key} is missing, and the 1 stored secret")
    assert "restore that key file from a backup" in err
    assert "`hookscope secrets remove NAME`, `hookscope targets remove ID`" in err
    assert err.count("\n") == 1
    key.write_bytes(original)  # restored: adding works again, and the old secret still reads
    assert main(command) == 0
    with open_store(data_dir) as db:
        assert credential_store.sealed(db)[0] == 2


def test_removing_the_old_secrets_lets_a_new_key_be_made(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "add", "kardow", "old", "--secret", SECRET]) == 0
    key_path(data_dir).unlink()
    assert main(["secrets", "remove", "old"]) == 0  # needs no key
    assert main(ADD_SECRET) == 0
    assert key_path(data_dir).exists()


def test_a_damaged_key_is_not_replaced_while_secrets_need_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "add", "kardow", "old", "--secret", SECRET]) == 0
    key = key_path(data_dir)
    key.write_bytes(b"")
    capsys.readouterr()
    code, err = add(ADD_SECRET, capsys)
    assert code == 1
    assert err.startswith(f"hookscope: The secrets key {key} is empty or damaged, and the 1 stored")
    assert "Traceback" not in err
    assert key.read_bytes() == b""


def test_a_damaged_key_no_secret_needs_says_to_delete_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = key_path(data_dir)
    key.write_bytes(b"")  # what an older version left after a full disk
    code, err = add(ADD_SECRET, capsys)
    assert code == 1
    assert err == (
        f"hookscope: The secrets key {key} is empty or damaged and no stored secret needs it:"
        " delete the file and try again.\n"
    )
    key.unlink()
    assert main(ADD_SECRET) == 0


def test_a_replaced_key_is_not_used_to_add_secrets_the_old_ones_cannot_join(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "add", "kardow", "old", "--secret", SECRET]) == 0
    key = key_path(data_dir)
    key.write_bytes(Vault.new_key() + b"\n")  # another data dir's key copied over this one
    capsys.readouterr()
    code, err = add(ADD_SECRET, capsys)
    assert code == 1
    assert err.startswith(f"hookscope: The secrets key {key} cannot read the 1 stored secret")
    with open_store(data_dir) as db:
        assert credential_store.sealed(db)[0] == 1
