"""The targets registry and the emulator's API keys, on a real SQLite file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import Target, decode_header
from hookscope.core.registration import Registration, validate
from hookscope.core.vault import Vault
from hookscope.storage import settings as settings_store
from hookscope.storage import targets as target_store
from hookscope.storage.db import open_store
from hookscope.storage.targets import TargetError

SECRET = "target-secret-0123456789"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    store = open_store(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def vault() -> Vault:
    return Vault(Vault.new_key())


def webhook(url: str = "https://example.com/h", secret: str | None = SECRET) -> Registration:
    return Registration("job.created", "webhook", url, secret)


def test_register_then_the_same_again_returns_the_first(db: Database, vault: Vault) -> None:
    first, created = target_store.register(db, webhook(), vault)
    again, created_again = target_store.register(db, webhook(secret="other-secret-0123"), vault)
    assert created
    assert not created_again
    assert again.id == first.id
    assert again.secret == SECRET  # "Existing subscription returned": unchanged


def test_secrets_are_only_readable_with_the_key(db: Database, vault: Vault, tmp_path: Path) -> None:
    target_store.register(db, webhook(), vault)
    (sealed,) = target_store.list_targets(db)
    assert sealed.secret is None
    assert sealed.has_secret
    assert sealed.as_json()["has_secret"] is True
    assert SECRET not in repr(sealed)
    (opened,) = target_store.list_targets(db, vault)
    assert opened.secret == SECRET
    for path in (tmp_path / "data").iterdir():
        assert SECRET.encode() not in path.read_bytes()


def test_a_secret_without_the_key_is_refused(db: Database) -> None:
    with pytest.raises(TargetError, match="secrets key"):
        target_store.register(db, webhook(), None)
    assert target_store.list_targets(db) == []


def test_enable_disable_secret_and_remove(db: Database, vault: Vault) -> None:
    target, _ = target_store.register(db, webhook(secret=None), vault)
    assert target_store.set_enabled(db, target.id, False)
    stored = target_store.get(db, target.id)
    assert stored is not None
    assert not stored.is_enabled
    assert not stored.matches("job.created")
    assert target_store.set_secret(db, target.id, SECRET, vault)
    stored = target_store.get(db, target.id, vault)
    assert stored is not None
    assert stored.secret == SECRET
    assert target_store.remove(db, target.id)
    assert not target_store.remove(db, target.id)
    assert not target_store.set_enabled(db, target.id, True)


def test_matching_by_event_and_star(db: Database, vault: Vault) -> None:
    star, _ = target_store.register(db, Registration("*", "slack", "https://s.example/"), vault)
    assert star.matches("payment.received")
    assert not webhook_target(db, vault).matches("job.updated")


def webhook_target(db: Database, vault: Vault) -> Target:
    return target_store.register(db, webhook(), vault)[0]


def test_resolve_takes_a_unique_prefix(db: Database, vault: Vault) -> None:
    target = webhook_target(db, vault)
    assert target_store.resolve(db, target.id) == target.id
    assert target_store.resolve(db, target.id[:5].upper()) == target.id
    with pytest.raises(TargetError, match="No target has the id"):
        target_store.resolve(db, "zzz")
    with pytest.raises(TargetError, match="Name a target"):
        target_store.resolve(db, "  ")
    with pytest.raises(TargetError, match="No target"):
        target_store.resolve(db, "%")  # LIKE wildcards are taken literally


def test_a_change_moves_the_config_revision(db: Database, vault: Vault) -> None:
    before = settings_store.config_revision(db)
    target = webhook_target(db, vault)
    after_add = settings_store.config_revision(db)
    target_store.set_enabled(db, target.id, False)
    target_store.add_api_key(db, "kd_key-123456789")
    assert before < after_add < settings_store.config_revision(db)


class TestApiKeys:
    def test_kept_as_a_digest_with_a_hint(self, db: Database) -> None:
        info = target_store.add_api_key(db, "kd_abcdefghijklmnop")
        assert info.digest == target_store.digest("kd_abcdefghijklmnop")
        assert info.hint == "…mnop"
        assert [k.digest for k in target_store.list_api_keys(db)] == [info.digest]
        target_store.add_api_key(db, "kd_abcdefghijklmnop")  # twice: still one
        assert len(target_store.list_api_keys(db)) == 1
        assert target_store.remove_api_key(db, info.digest)
        assert target_store.list_api_keys(db) == []

    @pytest.mark.parametrize(
        ("key", "reason"),
        [
            ("", "empty"),
            ("has space", "spaces"),
            ("tab\there", "spaces"),
            ("k" * 257, "256"),
            ("clé-non-ascii", "ASCII"),
        ],
    )
    def test_unusable_keys_are_refused_with_a_reason(
        self, db: Database, key: str, reason: str
    ) -> None:
        with pytest.raises(TargetError, match=reason):
            target_store.add_api_key(db, key)


class TestRegistrationRules:
    def test_a_valid_body(self) -> None:
        body = {"event": "*", "target_type": "discord", "target_url": "https://d.example/x"}
        assert validate(body) == Registration("*", "discord", "https://d.example/x")

    def test_a_registration_never_shows_its_secret(self) -> None:
        assert SECRET not in repr(webhook())

    @pytest.mark.parametrize("url", ["http://[::1]:8787/x", "https://example.com", "HTTP://E.X/"])
    def test_absolute_urls_pass(self, url: str) -> None:
        body = {"event": "*", "target_type": "webhook", "target_url": url}
        assert isinstance(validate(body), Registration)

    def test_a_body_that_is_not_an_object(self) -> None:
        assert validate([]) == {
            "body": "must be a JSON object with event, target_type and target_url"
        }


def test_a_presented_key_that_is_not_utf8_has_a_digest_that_matches_no_key() -> None:
    presented = decode_header(b"kd_key\xff")
    digest = target_store.digest
    assert digest(presented) not in {digest("kd_key"), digest("kd_key\u00ff")}
    assert digest("kd_key") == hashlib.sha256(b"kd_key").hexdigest()  # stored digests still match
