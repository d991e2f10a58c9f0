"""Custom schemes end to end: described and given a secret from the command line beside a
running listener, which verifies deliveries signed that way over real sockets; and no secret
of any scheme is kept in clear in the data directory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hookscope.cli import main
from hookscope.core.providers.scheme import Scheme
from hookscope.engine import Engine
from hookscope.engine.config import SCHEMES
from tests.integration.conftest import Reply, Serve, hookscope, http, stored, wait_for

ACME_SECRET = "acme-signing-secret-7c1e"
BODY = json.dumps({"type": "order.paid", "id": 1234, "total": "12.50"}).encode()


def acme_add(data_dir: Path) -> list[str]:
    return [
        "schemes",
        "add",
        "acme",
        "--header",
        "X-Acme-Signature",
        "--prefix",
        "sha512=",
        "--algorithm",
        "sha512",
        "--encoding",
        "base64",
        "--signed",
        "{timestamp}.{method}.{path}.{body}",
        "--timestamp-header",
        "X-Acme-Time",
        "--tolerance",
        "120",
        "--data-dir",
        str(data_dir),
    ]


def acme_signed(port: int, secret: str, body: bytes = BODY) -> Reply:
    """A delivery signed the acme way, as OpenSSL would: `printf '%s' "$T.POST.$P.$BODY" |
    openssl dgst -sha512 -hmac "$SECRET" -binary | base64`."""
    stamp = str(int(time.time()))
    signed = f"{stamp}.POST./hooks/acme.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha512).digest()
    headers = [
        ("Content-Type", "application/json"),
        ("X-Acme-Time", stamp),
        ("X-Acme-Signature", "sha512=" + base64.b64encode(digest).decode()),
    ]
    return http(port, "POST", "/hooks/acme", headers, body)


def verdict(data_dir: Path, reply: Reply) -> tuple[str | None, str]:
    assert reply.status == 200, reply.body
    capture = stored(data_dir, reply.json()["capture_id"])
    return capture.verdict.provider, capture.verdict.verdict


@pytest.mark.slow
def test_serve_verifies_a_scheme_and_secret_added_beside_it(
    serve: Callable[..., Serve], data_dir: Path
) -> None:
    child = serve("--port", "0")
    assert child.port, child.stderr()
    described = subprocess.run(
        [sys.executable, "-m", "hookscope", *acme_add(data_dir)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert described.returncode == 0, described.stderr
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookscope",
            "secrets",
            "add",
            "acme",
            "live",
            "--secret",
            "-",
            "--data-dir",
            str(data_dir),
        ],
        input=ACME_SECRET + "\n",
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert added.returncode == 0, added.stderr
    # The listener reloads within its watch interval: the first verified delivery proves it.
    assert wait_for(
        lambda: verdict(data_dir, acme_signed(child.port, ACME_SECRET)) == ("acme", "verified"),
        timeout=15,
        interval=0.2,
    )
    assert verdict(data_dir, acme_signed(child.port, "not-the-acme-secret")) == ("acme", "failed")
    listed = hookscope(data_dir, "captures", "list", "--json", "--limit", "1")
    assert listed.returncode == 0, listed.stderr
    (newest,) = json.loads(listed.stdout)
    assert (newest["provider"], newest["verdict"]) == ("acme", "failed")
    assert child.stop() == 0


def test_the_engine_reloads_schemes_another_process_wrote(engine: Engine, data_dir: Path) -> None:
    announced: list[frozenset[str]] = []
    engine.on_config(announced.append)
    assert main(acme_add(data_dir)) == 0
    assert wait_for(lambda: [s.name for s in engine.config.schemes] == ["acme"], timeout=10)
    assert engine.config.schemes == [
        Scheme(
            "acme",
            "X-Acme-Signature",
            prefix="sha512=",
            algorithm="sha512",
            encoding="base64",
            signed="{timestamp}.{method}.{path}.{body}",
            timestamp_header="X-Acme-Time",
            tolerance=120,
        )
    ]
    assert wait_for(lambda: any(SCHEMES in kinds for kinds in announced), timeout=10)
    assert main(["schemes", "remove", "acme"]) == 0
    assert wait_for(lambda: engine.config.schemes == [], timeout=10)


# Every scheme's secret, each recognisable anywhere in a file's bytes.
SECRETS = {
    "kardow": ["secrets", "add", "kardow", "k", "--secret", "kardow-clear-0123456789"],
    "kudoz": [
        *("secrets", "add", "kudoz", "kz", "--api-key", "kz-key"),
        *("--api-secret", "kudoz-clear-0123456789"),
    ],
    "standard-webhooks": [
        *("secrets", "add", "standard-webhooks", "sw", "--secret"),
        "whsec_" + base64.b64encode(b"standard-clear-0123456789").decode(),
    ],
    "stripe": ["secrets", "add", "stripe", "st", "--secret", "whsec_stripe-clear-0123456789"],
    "github": ["secrets", "add", "github", "gh", "--secret", "github-clear-0123456789"],
    "slack": ["secrets", "add", "slack", "sl", "--secret", "slack-clear-0123456789"],
    "shopify": ["secrets", "add", "shopify", "sh", "--secret", "shopify-clear-0123456789"],
    "acme": ["secrets", "add", "acme", "ac", "--secret", ACME_SECRET],
}


@pytest.mark.slow
def test_no_secret_of_any_scheme_is_in_clear_in_the_data_directory(
    engine: Engine, data_dir: Path
) -> None:
    # With the engine running, so its connections keep the WAL and shared memory files.
    assert main(acme_add(data_dir)) == 0
    for argv in SECRETS.values():
        assert main(argv) == 0, argv
    assert wait_for(lambda: len(engine.config.credentials()) == len(SECRETS), timeout=10)
    # Signing leaves no secret behind either: a fire of every scheme and a re-signed replay,
    # each logged with the request exactly as it left.
    url = f"{engine.url}/hooks/signed"
    for scheme, argv in SECRETS.items():
        if scheme not in ("kardow", "kudoz"):
            assert main(["fire", scheme, "--to", url, "--credential", argv[3]]) == 0, scheme
    newest = stored_ids(data_dir)[-1]
    assert main(["replay", str(newest), "--to", url, "--resign", "--credential", "ac"]) == 0
    clear = [argv[-1].encode() for argv in SECRETS.values()]
    clear.append(b"standard-clear-0123456789")  # the base64 inside the whsec_ secret, decoded
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"hookscope.db", "hookscope.db-wal"}
    for path in files:
        data = path.read_bytes()
        for secret in clear:
            assert secret not in data, f"{secret!r} is in clear in {path.name}"


def stored_ids(data_dir: Path) -> list[int]:
    listed = hookscope(data_dir, "captures", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return sorted(entry["id"] for entry in json.loads(listed.stdout))
