"""Custom signing schemes in the store: round trip, checks on every write, removal, migration."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from hookscope.core.model import Credential
from hookscope.core.providers.scheme import Scheme
from hookscope.core.vault import Vault
from hookscope.storage import credentials as credential_store
from hookscope.storage import schemes as scheme_store
from hookscope.storage import settings as settings_store
from hookscope.storage.db import connect, open_store
from hookscope.storage.migrations import migrations
from hookscope.storage.paths import db_path
from hookscope.storage.schemes import SchemeError

ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha512=",
    algorithm="sha512",
    encoding="base64",
    signed="{timestamp}.{method}.{path}.{header:X-Acme-Event}.{id}.{body}",
    timestamp_header="X-Acme-Time",
    tolerance=120,
    id_header="X-Acme-Delivery",
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    store = open_store(tmp_path / "data")
    try:
        yield store
    finally:
        store.close()


def test_every_field_round_trips(db: Database) -> None:
    plain = Scheme("plain", "X-Plain-Sig")  # the defaults: no timestamp, no id
    scheme_store.add_scheme(db, ACME)
    scheme_store.add_scheme(db, plain)
    assert scheme_store.list_schemes(db) == [ACME, plain]
    assert scheme_store.scheme_names(db)[-2:] == ["acme", "plain"]
    assert scheme_store.scheme_names(db)[:2] == ["kardow", "kudoz"]  # built-ins first


def test_update_replaces_the_description(db: Database) -> None:
    scheme_store.add_scheme(db, ACME)
    changed = replace(ACME, header="X-Acme-Sig-2", tolerance=600)
    scheme_store.update_scheme(db, changed)
    assert scheme_store.list_schemes(db) == [changed]
    with pytest.raises(SchemeError, match=r"No custom scheme is named 'gone'"):
        scheme_store.update_scheme(db, replace(ACME, name="gone"))


@pytest.mark.parametrize(
    ("scheme", "says"),
    [
        (Scheme("Acme", "X-Sig"), "must be 1-40 lowercase letters"),
        (Scheme("acme", "X Sig"), "The signature header 'X Sig' is not a valid header name."),
        (Scheme("acme", "X-Sig", algorithm="md5"), "The algorithm must be one of"),
        (Scheme("acme", "X-Sig", signed="{timestamp}.{body}"), "give a timestamp header"),
        (Scheme("acme", "X-Sig", signed="{nope}{body}"), "{nope} is unknown"),
        (Scheme("kardow", "X-Sig"), "'kardow' is a built-in scheme: choose another name."),
    ],
)
def test_every_write_is_checked(db: Database, scheme: Scheme, says: str) -> None:
    with pytest.raises(SchemeError) as refused:
        scheme_store.add_scheme(db, scheme)
    assert says in str(refused.value)
    assert str(refused.value).count(". ") == 0  # one sentence
    assert scheme_store.list_schemes(db) == []
    if scheme.name == "acme":  # a stored scheme cannot be changed into it either
        scheme_store.add_scheme(db, Scheme("acme", "X-Ok"))
        with pytest.raises(SchemeError):
            scheme_store.update_scheme(db, scheme)
        assert scheme_store.list_schemes(db) == [Scheme("acme", "X-Ok")]


def test_a_name_is_taken_once(db: Database) -> None:
    scheme_store.add_scheme(db, ACME)
    with pytest.raises(SchemeError, match=r"A scheme named 'acme' already exists\."):
        scheme_store.add_scheme(db, Scheme("acme", "X-Other"))
    assert scheme_store.list_schemes(db) == [ACME]


def test_removal_is_refused_while_secrets_or_paths_name_the_scheme(db: Database) -> None:
    scheme_store.add_scheme(db, ACME)
    vault = Vault(Vault.new_key())
    credential_store.add_credential(db, vault, Credential("acme", "prod", "s3cret"))
    credential_store.add_credential(db, vault, Credential("acme", "staging", "s3cret"))
    settings_store.set_provider_path(db, "/acme/*", "acme")
    with pytest.raises(SchemeError) as refused:
        scheme_store.remove_scheme(db, "acme")
    assert str(refused.value) == (
        "The scheme 'acme' is still used by the secrets 'prod', 'staging' and the path"
        " override '/acme/*': remove them first (`hookscope secrets remove NAME`,"
        " `hookscope paths clear GLOB`)."
    )
    credential_store.remove_credential(db, "prod")
    credential_store.remove_credential(db, "staging")
    with pytest.raises(SchemeError, match="path override '/acme/\\*': remove it first"):
        scheme_store.remove_scheme(db, "acme")
    settings_store.set_provider_path(db, "/acme/*", None)
    scheme_store.remove_scheme(db, "acme")
    assert scheme_store.list_schemes(db) == []


def test_removing_unknown_or_built_in_schemes_says_so(db: Database) -> None:
    with pytest.raises(SchemeError, match=r"No custom scheme is named 'acme'\."):
        scheme_store.remove_scheme(db, "acme")
    with pytest.raises(SchemeError, match="'kudoz' is a built-in scheme"):
        scheme_store.remove_scheme(db, "kudoz")


def test_each_change_moves_the_configuration_revision(db: Database) -> None:
    before = settings_store.config_revision(db)
    scheme_store.add_scheme(db, ACME)
    added = settings_store.config_revision(db)
    scheme_store.update_scheme(db, replace(ACME, tolerance=60))
    updated = settings_store.config_revision(db)
    scheme_store.remove_scheme(db, "acme")
    assert before < added < updated < settings_store.config_revision(db)


def test_a_hand_edited_scheme_is_skipped_with_a_reason(db: Database) -> None:
    scheme_store.add_scheme(db, ACME)
    db.execute("UPDATE schemes SET algorithm = 'md5', tolerance = 'soon'")
    usable, skipped = scheme_store.usable_schemes(db)
    assert usable == []
    assert skipped == [
        "The custom scheme 'acme' is not used: The algorithm must be one of sha1, sha256, sha512."
    ]


def test_an_existing_store_gains_the_schemes_table_and_keeps_its_secrets(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    old = Database(connect(db_path(folder)), execute_plugins=False)
    migrations.apply(old, stop_before="m010_schemes")
    vault = Vault(Vault.new_key())
    credential_store.add_credential(old, vault, Credential("kardow", "live", "k" * 24))
    assert not old["schemes"].exists()
    old.close()

    db = open_store(folder)
    try:
        assert [c.name for c in credential_store.load_credentials(db, vault)] == ["live"]
        scheme_store.add_scheme(db, ACME)
        credential_store.add_credential(db, vault, Credential("acme", "acme-live", "s3cret"))
        assert scheme_store.list_schemes(db) == [ACME]
        assert [c.provider for c in credential_store.load_credentials(db, vault)] == [
            "kardow",
            "acme",
        ]
    finally:
        db.close()
