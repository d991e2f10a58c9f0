"""Secrets at rest: round trips, wrong and invalid keys, and secrets kept out of reprs."""

from __future__ import annotations

import pytest

from hookscope.core.model import Credential
from hookscope.core.providers import VerifyContext
from hookscope.core.vault import Vault, VaultError

SECRETS = [
    "kardow-test-secret-alpha",
    "clé-secrète-✓-🔑-kardow",
    "",
    "a" * 4096,
    "line\nbreak\ttab\x00nul",
]


@pytest.fixture
def vault() -> Vault:
    return Vault(Vault.new_key())


@pytest.mark.parametrize("secret", SECRETS, ids=["ascii", "non-ascii", "empty", "long", "control"])
def test_round_trip(vault: Vault, secret: str) -> None:
    token = vault.encrypt(secret)
    assert isinstance(token, bytes)
    assert vault.decrypt(token) == secret


def test_a_new_vault_with_the_same_key_decrypts(vault: Vault) -> None:
    key = Vault.new_key()
    token = Vault(key).encrypt("kardow-test-secret-alpha")
    assert Vault(key).decrypt(token) == "kardow-test-secret-alpha"


@pytest.mark.parametrize(
    "secret", [SECRETS[0], SECRETS[1], SECRETS[3]], ids=["ascii", "non-ascii", "long"]
)
def test_the_ciphertext_does_not_contain_the_secret(vault: Vault, secret: str) -> None:
    token = vault.encrypt(secret)
    assert secret.encode() not in token
    assert secret[:8].encode() not in token


def test_the_same_secret_encrypts_differently_each_time(vault: Vault) -> None:
    assert vault.encrypt("same secret") != vault.encrypt("same secret")


def test_new_keys_differ() -> None:
    assert Vault.new_key() != Vault.new_key()


def test_the_wrong_key_raises_a_clear_vault_error(vault: Vault) -> None:
    token = vault.encrypt("kardow-test-secret-alpha")
    with pytest.raises(VaultError, match="cannot be decrypted with this secrets key") as info:
        Vault(Vault.new_key()).decrypt(token)
    assert "kardow-test-secret-alpha" not in str(info.value)
    assert "key file" in str(info.value)


@pytest.mark.parametrize(
    "token", [b"", b"not a token", b"gAAAAA" + b"A" * 80], ids=["empty", "garbage", "truncated"]
)
def test_a_damaged_token_raises_vault_error(vault: Vault, token: bytes) -> None:
    with pytest.raises(VaultError):
        vault.decrypt(token)


def test_a_tampered_token_raises_vault_error(vault: Vault) -> None:
    token = bytearray(vault.encrypt("kardow-test-secret-alpha"))
    token[-5] = ord("A") if token[-5] != ord("A") else ord("B")
    with pytest.raises(VaultError):
        vault.decrypt(bytes(token))


@pytest.mark.parametrize(
    "key",
    [b"", b"short", b"x" * 44, Vault.new_key()[:-4], "not a key"],
    ids=["empty", "short", "not-base64-of-32", "cut", "text"],
)
def test_an_invalid_key_raises_a_clear_vault_error(key: bytes) -> None:
    with pytest.raises(VaultError, match="not a valid Fernet key"):
        Vault(key)


class TestCredentialRepr:
    SECRET = "super-secret-value-0123456789"

    @pytest.mark.parametrize(
        "credential",
        [
            Credential("kardow", "main", SECRET),
            Credential("kudoz", "kz", SECRET, api_key="kdz_live_key_A1", template="{uuid}", id=3),
        ],
        ids=["kardow", "kudoz"],
    )
    def test_repr_and_str_never_contain_the_secret(self, credential: Credential) -> None:
        for text in (repr(credential), str(credential), f"{credential}", repr([credential])):
            assert self.SECRET not in text
            assert credential.name in text  # still identifiable in a log

    def test_a_verify_context_repr_does_not_leak_secrets(self) -> None:
        context = VerifyContext([Credential("kardow", "main", self.SECRET)])
        assert self.SECRET not in repr(context)

    def test_the_api_key_is_shown(self) -> None:
        credential = Credential("kudoz", "kz", self.SECRET, api_key="kdz_live_key_A1")
        assert "kdz_live_key_A1" in repr(credential)
