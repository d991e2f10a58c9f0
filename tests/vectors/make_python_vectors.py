"""Writes standard-webhooks.json, stripe.json and slack.json with each service's own library.

Run from the repository root with the libraries installed (the `test` extra):
    python tests/vectors/make_python_vectors.py
It imports nothing from Hookscope. Every input is fixed, so the files come out byte-identical.
The ed25519 (`v1a`) cases are made with `cryptography`: the `standardwebhooks` package signs and
verifies `v1` (HMAC) only.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook
from stripe import WebhookSignature

HERE = Path(__file__).resolve().parent

BODIES = {
    "compact JSON": '{"type":"invoice.paid","id":"evt_1","data":{"amount":4200}}',
    "spaced JSON with a trailing newline": '{"type": "user.created", "data": {"id": 7}}\n',
    "non-ASCII text": '{"type":"message.sent","text":"Grüße, 東京 ✓"}',
    "empty object": "{}",
}
WHSEC = [
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "whsec_" + base64.b64encode(bytes(range(32))).decode(),
]
STRIPE = ["whsec_test_secret_abcdefghijklmnop", "whsec_rolled_0123456789"]
SLACK = ["8f742231b10e8888abcd99yyyzzz85a5", "another-slack-signing-secret"]
TIMES = [1_700_000_000, 1_760_000_123]


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def standard_webhooks() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = []
    for n, (label, body) in enumerate(BODIES.items()):
        secret = WHSEC[n % 2]
        stamp = TIMES[n % 2]
        msg_id = f"msg_2Lh9KZPBwV0t{n}"
        signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, UTC), body)
        cases.append(case(f"v1, {label}", secret, stamp, body, msg_id=msg_id, signature=signature))
    # Key rotation: two v1 entries, the stored secret signs the second.
    body = BODIES["compact JSON"]
    old = Webhook(WHSEC[1]).sign("msg_rotation", datetime.fromtimestamp(TIMES[0], UTC), body)
    new = Webhook(WHSEC[0]).sign("msg_rotation", datetime.fromtimestamp(TIMES[0], UTC), body)
    cases.append(
        case(
            "v1, rotation",
            WHSEC[0],
            TIMES[0],
            body,
            msg_id="msg_rotation",
            signature=f"{old} {new}",
        )
    )
    # ed25519 (v1a): a fixed seed, so the key and the signatures never change.
    private = Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    for label, body in list(BODIES.items())[:2]:
        signed = f"msg_ed25519.{TIMES[1]}.{body}".encode()
        signature = "v1a," + base64.b64encode(private.sign(signed)).decode()
        item = case(f"v1a, {label}", "", TIMES[1], body, msg_id="msg_ed25519", signature=signature)
        item["public_key"] = "whpk_" + base64.b64encode(public).decode()
        cases.append(item)
    return cases


def case(
    name: str, secret: str, stamp: int, body: str, *, msg_id: str, signature: str
) -> dict[str, object]:
    return {
        "name": name,
        "secret": secret,
        "now": stamp,
        "body_b64": b64(body),
        "headers": [
            ["webhook-id", msg_id],
            ["webhook-timestamp", str(stamp)],
            ["webhook-signature", signature],
        ],
    }


def stripe() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = []
    for n, (label, body) in enumerate(BODIES.items()):
        secret, stamp = STRIPE[n % 2], TIMES[n % 2]
        header = WebhookSignature.generate_signature_header(body, secret, timestamp=stamp)
        cases.append(
            {
                "name": label,
                "secret": secret,
                "now": stamp,
                "body_b64": b64(body),
                "headers": [["Stripe-Signature", header]],
            }
        )
    # A rolled secret: Stripe sends one v1 per active secret in the same header.
    body = BODIES["compact JSON"]
    first = WebhookSignature.generate_signature_header(body, STRIPE[1], timestamp=TIMES[0])
    second = WebhookSignature.generate_signature_header(body, STRIPE[0], timestamp=TIMES[0])
    both = first + "," + second.split(",", 1)[1]
    cases.append(
        {
            "name": "two v1 signatures while a secret rolls",
            "secret": STRIPE[0],
            "now": TIMES[0],
            "body_b64": b64(body),
            "headers": [["Stripe-Signature", both]],
        }
    )
    return cases


def slack() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = []
    bodies = {
        **BODIES,
        "slash command form": "token=x&team_id=T1&command=%2Fweather&text=94070",
    }
    for n, (label, body) in enumerate(bodies.items()):
        secret, stamp = SLACK[n % 2], str(TIMES[n % 2])
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        assert signature is not None
        cases.append(
            {
                "name": label,
                "secret": secret,
                "now": int(stamp),
                "body_b64": b64(body),
                "headers": [
                    ["X-Slack-Request-Timestamp", stamp],
                    ["X-Slack-Signature", signature],
                ],
            }
        )
    return cases


def write(name: str, cases: list[dict[str, object]]) -> None:
    text = json.dumps(cases, indent=2, ensure_ascii=False) + "\n"
    (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write("standard-webhooks.json", standard_webhooks())
    write("stripe.json", stripe())
    write("slack.json", slack())
