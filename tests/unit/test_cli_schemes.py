"""`hookscope schemes`, `secrets add SCHEME` and `paths set GLOB SCHEME` in-process: every
refusal is one sentence with its exit code, and leaves the store as it was."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from hookscope.cli import main
from hookscope.core.providers.scheme import Scheme
from hookscope.storage import schemes as scheme_store
from hookscope.storage import settings as settings_store
from hookscope.storage.db import open_store
from hookscope.storage.paths import key_path

ACME_ADD = [
    "schemes",
    "add",
    "acme",
    "--header",
    "X-Acme-Signature",
    "--prefix",
    "sha256=",
    "--algorithm",
    "sha256",
    "--encoding",
    "hex",
    "--signed",
    "{timestamp}.{body}",
    "--timestamp-header",
    "X-Acme-Time",
    "--tolerance",
    "120",
    "--id-header",
    "X-Acme-Id",
]
ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha256=",
    signed="{timestamp}.{body}",
    timestamp_header="X-Acme-Time",
    tolerance=120,
    id_header="X-Acme-Id",
)


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    """What a refused command said: nothing on stdout, one line on stderr, no traceback."""
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("hookscope: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def stored_schemes(data_dir: Path) -> list[Scheme]:
    with open_store(data_dir) as db:
        return scheme_store.list_schemes(db)


def test_add_list_remove_round_trip(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(ACME_ADD) == 0
    assert capsys.readouterr().out == (
        "scheme 'acme' stored: X-Acme-Signature: sha256=<hex HMAC-SHA256 of {timestamp}.{body}>;"
        " time in X-Acme-Time (±120 s); id in X-Acme-Id\n"
    )
    assert stored_schemes(data_dir) == [ACME]

    assert main(["schemes", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in listed if row["built_in"]][:2] == ["kardow", "kudoz"]
    assert listed[-1] == {
        "name": "acme",
        "built_in": False,
        "header": "X-Acme-Signature",
        "prefix": "sha256=",
        "algorithm": "sha256",
        "encoding": "hex",
        "signed": "{timestamp}.{body}",
        "timestamp_header": "X-Acme-Time",
        "tolerance": 120,
        "id_header": "X-Acme-Id",
    }
    assert main(["schemes", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["kardow", "built-in"]
    assert lines[-1].split()[:3] == ["acme", "custom", "X-Acme-Signature:"]

    assert main(["schemes", "remove", "acme"]) == 0
    assert capsys.readouterr().out == "scheme 'acme' removed\n"
    assert stored_schemes(data_dir) == []
    assert main(["schemes", "list"]) == 0
    assert "No custom schemes" in capsys.readouterr().out


def test_a_template_newline_is_typed_as_backslash_n(data_dir: Path) -> None:
    argv = ["schemes", "add", "lines", "--header", "X-Sig", "--algorithm", "sha1"]
    assert main([*argv, "--encoding", "base64", "--signed", "{method}\\n{path}\\n{body}"]) == 0
    (scheme,) = stored_schemes(data_dir)
    assert scheme.signed == "{method}\n{path}\n{body}"
    assert (scheme.algorithm, scheme.encoding, scheme.prefix) == ("sha1", "base64", "")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"acme": "Acme"}, "The scheme name 'Acme' must be 1-40 lowercase letters"),
        ({"acme": "kudoz"}, "'kudoz' is a built-in scheme: choose another name."),
        ({"X-Acme-Signature": "X Acme"}, "The signature header 'X Acme' is not a valid header"),
        ({"X-Acme-Time": "X:Time"}, "The timestamp header 'X:Time' is not a valid header name"),
        ({"{timestamp}.{body}": "{timestamp}"}, "The signed template must include {body}."),
        ({"{timestamp}.{body}": "{when}{body}"}, "{when} is unknown"),
        ({"120": "100000"}, "The tolerance must be between 1 and 86400 seconds."),
    ],
)
def test_a_description_with_a_problem_is_refused_with_exit_2(
    change: dict[str, str], says: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [change.get(arg, arg) for arg in ACME_ADD]
    assert main(argv) == 2
    err = one_error(capsys)
    assert err.startswith("hookscope: error: ")
    assert says in err
    assert not data_dir.exists()  # refused before the store was opened


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--algorithm", "md5"], "invalid choice: 'md5'"),
        (["--encoding", "base32"], "invalid choice: 'base32'"),
        (["--tolerance", "0"], "0 must be 1 or more"),
        (["--tolerance", "soon"], "'soon' is not a whole number"),
    ],
)
def test_argument_types_are_refused_by_the_parser(
    argv: list[str], says: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*ACME_ADD, *argv])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err
    assert not data_dir.exists()


def test_a_tolerance_needs_a_timestamp_header(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["schemes", "add", "x", "--header", "X-Sig", "--algorithm", "sha256"]
    assert main([*argv, "--encoding", "hex", "--tolerance", "30"]) == 2
    assert "--tolerance needs --timestamp-header" in one_error(capsys)


def test_a_name_is_stored_once(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(ACME_ADD) == 0
    capsys.readouterr()
    assert main(ACME_ADD) == 1
    assert one_error(capsys) == "hookscope: A scheme named 'acme' already exists.\n"


def test_remove_refuses_while_secrets_and_paths_name_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ACME_ADD) == 0
    assert main(["secrets", "add", "acme", "acme-live", "--secret", "acme-s3cret"]) == 0
    assert main(["paths", "set", "/acme/*", "acme"]) == 0
    capsys.readouterr()
    assert main(["schemes", "remove", "acme"]) == 1
    assert one_error(capsys) == (
        "hookscope: The scheme 'acme' is still used by the secret 'acme-live' and the path"
        " override '/acme/*': remove them first (`hookscope secrets remove NAME`,"
        " `hookscope paths clear GLOB`).\n"
    )
    assert stored_schemes(data_dir) == [ACME]
    assert main(["secrets", "remove", "acme-live"]) == 0
    assert main(["paths", "clear", "/acme/*"]) == 0
    assert main(["schemes", "remove", "acme"]) == 0


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("acme", "No custom scheme is named 'acme'."),
        ("kardow", "'kardow' is a built-in scheme; only custom schemes can be removed."),
    ],
)
def test_remove_of_what_cannot_be_removed(
    name: str, says: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schemes", "remove", name]) == 1
    assert one_error(capsys) == f"hookscope: {says}\n"


# -- secrets for custom schemes -----------------------------------------------------------------


def test_a_custom_schemes_secret_is_stored_and_listed(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(ACME_ADD) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("acme-from-stdin\n"))
    assert main(["secrets", "add", "acme", "acme-live", "--secret", "-"]) == 0
    assert capsys.readouterr().out.endswith("acme secret 'acme-live' stored (encrypted)\n")
    assert main(["secrets", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["provider"], listed["name"], listed["api_key"]) == ("acme", "acme-live", None)
    assert main(["secrets", "list"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["acme", "acme-live"]


def test_a_secret_for_an_unknown_scheme_lists_the_valid_names(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ACME_ADD) == 0
    capsys.readouterr()
    assert main(["secrets", "add", "acmee", "live", "--secret", "s3cret"]) == 2
    err = one_error(capsys)
    assert err.startswith("hookscope: error: There is no scheme named 'acmee': use one of kardow,")
    assert err.endswith(", acme.\n")
    assert not key_path(data_dir).exists()  # no key made for a secret that was not stored
    assert main(["secrets", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_custom_schemes_secret_needs_a_secret(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["secrets", "add", "acme", "live"])
    assert exited.value.code == 2
    assert "the following arguments are required: --secret" in capsys.readouterr().err


# -- path overrides -----------------------------------------------------------------------------


def test_paths_set_takes_a_custom_scheme_and_refuses_unknown_ones(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["paths", "set", "/acme/*", "acme"]) == 2
    err = one_error(capsys)
    assert err.startswith("hookscope: error: There is no scheme named 'acme': use one of kardow,")
    assert main(ACME_ADD) == 0
    assert main(["paths", "set", "/acme/*", "acme"]) == 0
    assert "paths matching /acme/* are assumed to be acme" in capsys.readouterr().out
    with open_store(data_dir) as db:
        assert settings_store.provider_paths(db) == {"/acme/*": "acme"}


# -- built-in schemes ---------------------------------------------------------------------------

PUBLIC_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("scheme", ["stripe", "github", "slack", "shopify", "standard-webhooks"])
def test_every_built_in_scheme_takes_a_secret(
    scheme: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "add", scheme, "live", "--secret", f"whsec_{scheme}-s3cret"]) == 0
    assert main(["paths", "set", f"/{scheme}/*", scheme]) == 0
    capsys.readouterr()
    assert main(["secrets", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["provider"], listed["name"]) == (scheme, "live")


@pytest.mark.parametrize("key", [PUBLIC_KEY, "whpk_" + PUBLIC_KEY])
def test_standard_webhooks_takes_a_public_key_alone(
    key: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "add", "standard-webhooks", "v1a", "--public-key", key]) == 0
    capsys.readouterr()
    assert main(["secrets", "list"]) == 0
    assert f"public key {key}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "Give --secret, --public-key or both."),
        (["--public-key", "whpk_c2hvcnQ="], "must be 32 bytes of base64 (ed25519); this one is 5"),
        (["--public-key", "not base64!"], "The public key is not base64"),
    ],
)
def test_standard_webhooks_refuses_a_bad_public_key(
    argv: list[str], says: str, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "add", "standard-webhooks", "v1a", *argv]) == 2
    assert says in one_error(capsys)
    assert not data_dir.exists()


def test_only_standard_webhooks_has_a_public_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["secrets", "add", "stripe", "st", "--secret", "s", "--public-key", PUBLIC_KEY])
    assert exited.value.code == 2
    assert "unrecognized arguments: --public-key" in capsys.readouterr().err


def test_the_list_describes_the_hmac_built_ins(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schemes", "list", "--json"]) == 0
    listed = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert list(listed) == [
        "kardow",
        "kudoz",
        "standard-webhooks",
        "stripe",
        "github",
        "slack",
        "shopify",
    ]
    assert all(row["built_in"] for row in listed.values())
    assert listed["kardow"]["header"] is None
    assert (listed["github"]["header"], listed["github"]["prefix"]) == (
        "X-Hub-Signature-256",
        "sha256=",
    )
