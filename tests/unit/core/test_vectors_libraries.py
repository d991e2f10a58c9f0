"""The other direction: what Hookscope signs is accepted by each service's own library.

Standard Webhooks (`standardwebhooks`), Stripe (`stripe`) and Slack (`slack_sdk`) are test
extras; GitHub's library is JavaScript (@octokit/webhooks-methods), run with node from
tests/vectors/node after `npm ci` there (CI does it).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from stripe import WebhookSignature

from hookscope.core import providers
from hookscope.core.model import Credential

NODE_DIR = Path(__file__).resolve().parents[2] / "vectors" / "node"
BODIES = [
    b'{"type":"invoice.paid","id":"evt_1","data":{"amount":4200}}',
    b'{"type": "user.created", "text": "Gr\xc3\xbc\xc3\x9fe \xe2\x9c\x93"}\n',
    b"{}",
]


def _sign(scheme: str, secret: str, body: bytes) -> dict[str, str]:
    made = providers.REGISTRY[scheme].sign_headers(
        Credential(scheme, "main", secret),
        method="POST",
        path="/hooks/in",
        body=body,
        headers=(("Content-Type", "application/json"),),
        now=time.time(),
        delivery_id=f"msg_{uuid.uuid4().hex}",
    )
    return dict(made)


@pytest.mark.parametrize("body", BODIES)
def test_standard_webhooks_library_accepts_what_hookscope_signs(body: bytes) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = _sign("standard-webhooks", secret, body)
    Webhook(secret).verify(body, headers, json_parse=False)  # raises when it refuses
    with pytest.raises(Exception, match="No matching signature"):
        Webhook("whsec_" + base64.b64encode(b"another key").decode()).verify(
            body, headers, json_parse=False
        )


@pytest.mark.parametrize("body", BODIES)
def test_stripe_library_accepts_what_hookscope_signs(body: bytes) -> None:
    secret = "whsec_test_secret_abcdefghijklmnop"
    header = _sign("stripe", secret, body)["Stripe-Signature"]
    assert WebhookSignature.verify_header(body, header, secret, tolerance=300)
    with pytest.raises(Exception, match="No signatures found matching"):
        WebhookSignature.verify_header(body, header, secret + "x", tolerance=300)


@pytest.mark.parametrize("body", BODIES)
def test_slack_library_accepts_what_hookscope_signs(body: bytes) -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    headers = _sign("slack", secret, body)
    assert SignatureVerifier(secret).is_valid_request(body, headers)
    assert not SignatureVerifier(secret + "x").is_valid_request(body, headers)


def _node() -> str:
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "node is not installed: GitHub's library (@octokit/webhooks-methods) runs on it"
    elif not (NODE_DIR / "node_modules" / "@octokit" / "webhooks-methods").is_dir():
        reason = "@octokit/webhooks-methods is not installed: run `npm ci` in tests/vectors/node"
    if reason is not None:
        # CI installs both (.ci/run) and requires them; elsewhere the test says what it needs.
        if os.environ.get("HOOKSCOPE_REQUIRE_TOOLS"):
            pytest.fail(f"{reason}, and HOOKSCOPE_REQUIRE_TOOLS requires it")
        pytest.skip(reason)
    assert node is not None
    return node


@pytest.mark.slow
def test_github_library_accepts_what_hookscope_signs() -> None:
    node = _node()
    secret = "It's a Secret to Everybody"
    items = []
    for body in BODIES:
        signature = _sign("github", secret, body)["X-Hub-Signature-256"]
        items.append(
            {"secret": secret, "body_b64": base64.b64encode(body).decode(), "signature": signature}
        )
    # The same signature with another secret must be refused: the check can fail.
    items.append({**items[0], "secret": secret + "x"})

    result = subprocess.run(
        [node, "verify-github.js"],
        cwd=NODE_DIR,
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True] * len(BODIES) + [False]
