"""What a fire sends: Kardow events fanned out to targets, Kudoz callbacks, replays (pure)."""

from __future__ import annotations

import json
import random
import re
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from hookscope import __version__
from hookscope.core import catalogue, chat, jsontext
from hookscope.core.checks import check_kardow_event, check_org_id, check_target_url
from hookscope.core.http import Headers
from hookscope.core.model import (
    Capture,
    Credential,
    Header,
    Outgoing,
    Plan,
    Recipe,
    Signing,
    Target,
    iso_millis,
)
from hookscope.core.providers import HmacProvider, Provider, Scheme, detect, kardow, kudoz, provider

USER_AGENT = f"Hookscope/{__version__}"
DELIVERY_HEADER = "X-Hookscope-Delivery"
REPLAY_HEADER = "X-Hookscope-Replay-Of"
_CAPTURE_ID = re.compile(r"[1-9][0-9]{0,17}")
# Not the sender's to choose: the HTTP client computes them for the new connection.
HOP_BY_HOP = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)


class FireError(Exception):
    """Nothing can be sent as asked; the message is meant for the user."""


def new_fire_id() -> str:
    return str(uuidlib.uuid4())


def encode(value: Any) -> bytes:
    """JSON as a Node sender writes it (JSON.stringify): compact, UTF-8, a lone surrogate
    escaped."""
    return jsontext.dumps_utf8(value, separators=(",", ":"))


def kardow_envelope(event: str, data: Any, org_id: int, now: datetime) -> dict[str, Any]:
    return {"event": event, "organization_id": org_id, "timestamp": iso_millis(now), "data": data}


def kudoz_envelope(callback_id: str, kind: str, data: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {"id": callback_id, "kind": kind}
    if data is not None:
        envelope["data"] = data
    return envelope


def filled(data: bytes | None, now: datetime, rng: random.Random | None = None) -> Any:
    """A recipe's data with its placeholders filled for `now` (None stays None)."""
    return None if data is None else catalogue.fill(json.loads(data), now=now, rng=rng)


def plan_kardow(
    event: str,
    data: Any,
    *,
    org_id: int,
    targets: Iterable[Target],
    now: datetime,
    fire_id: str | None = None,
) -> Plan:
    """One request per enabled target subscribed to `event` or `*`, each made for its type.

    `data` may hold placeholders: they are filled for `now` here (sample values for the
    preview) and again as the fire is sent, with the envelope's timestamp (the plan's recipe).
    The event body is built once: every webhook target gets the same bytes, signed with its
    own secret as each attempt leaves. Raises FireError when the event itself cannot be sent.
    """
    problem = check_kardow_event(event) or check_org_id(org_id)
    if problem:
        raise FireError(problem)
    if not isinstance(data, dict):
        raise FireError("The event data must be a JSON object.")
    fire_id = fire_id or new_fire_id()
    recipe = Recipe(encode(data), org_id=org_id)
    envelope = kardow_envelope(event, filled(recipe.data, now), org_id, now)
    payload = encode(envelope)
    requests: list[Outgoing] = []
    problems: list[str] = []
    for target in targets:
        if not target.matches(event):
            continue
        if target.target_type == "webhook":
            outgoing = _webhook(target, event, payload, fire_id)
            if outgoing is None:
                problems.append(
                    f"Target {target.id[:8]} ({target.target_url}) was not sent to: its secret"
                    " cannot be decrypted without the secrets key."
                )
                continue
            requests.append(outgoing)
        else:
            requests.append(_chat(target, event, envelope))
    if not requests and not problems:
        problems.append(
            f"No enabled target is subscribed to {event} or *. Register one through the Kardow"
            " API emulator, `hookscope targets add`, or the Targets view."
        )
    return Plan(fire_id, "kardow", event, payload, tuple(requests), tuple(problems), recipe)


def _webhook(target: Target, event: str, payload: bytes, fire_id: str) -> Outgoing | None:
    headers: list[Header] = [("Content-Type", "application/json"), ("User-Agent", USER_AGENT)]
    signing = None
    if target.secret is not None:
        headers.append((kardow.HEADER, kardow.sign(target.secret, payload)))
        signing = Signing(kardow.name)
        note = "signed with the target's secret"
    elif target.sealed:
        return None
    else:
        note = "unsigned: the target has no secret"
    headers.append((DELIVERY_HEADER, fire_id))
    return Outgoing(
        url=target.target_url,
        body=payload,
        headers=tuple(headers),
        kind="webhook",
        target_id=target.id,
        event=event,
        note=note,
        signing=signing,
    )


def chat_body(target_type: str, envelope: Mapping[str, Any]) -> bytes:
    """A Kardow event as a Discord (`discord`) or Slack message, encoded."""
    if target_type == "discord":
        return encode(chat.discord_message(envelope))
    return encode(chat.slack_message(envelope))


def _chat(target: Target, event: str, envelope: Mapping[str, Any]) -> Outgoing:
    if target.target_type == "discord":
        note = "Discord embed, mentions disabled (chat targets are not signed)"
    else:
        note = "Slack blocks, mrkdwn escaped (chat targets are not signed)"
    return Outgoing(
        url=target.target_url,
        body=chat_body(target.target_type, envelope),
        headers=(("Content-Type", "application/json"), ("User-Agent", USER_AGENT)),
        kind=target.target_type,
        target_id=target.id,
        event=event,
        note=note,
    )


def plan_kudoz(
    kind: str,
    data: Any,
    *,
    url: str,
    credential: Credential,
    now: datetime,
    fire_id: str | None = None,
    callback_id: str | None = None,
    nonce: str | None = None,
) -> Plan:
    """A Kudoz callback to `url`, authorised with `credential` as Kudoz would.

    Placeholders in `data` are filled for `now` (sample values) and again as it is sent; the
    token is made again as each attempt leaves (a new UUID and timestamp).
    """
    if kind not in kudoz.KINDS:
        raise FireError(f"Unknown Kudoz kind {kind!r}; use one of {', '.join(kudoz.KINDS)}.")
    problem = check_target_url(url)
    if problem:
        raise FireError(f"The callback URL {problem}.")
    if credential.provider != "kudoz":
        raise FireError(f"The secret {credential.name!r} is not a Kudoz credential.")
    if data is not None and not isinstance(data, dict):
        raise FireError("The callback data must be a JSON object.")
    fire_id = fire_id or new_fire_id()
    recipe = Recipe(
        None if data is None else encode(data), callback_id=callback_id or str(uuidlib.uuid4())
    )
    assert recipe.callback_id is not None
    body = encode(kudoz_envelope(recipe.callback_id, kind, filled(recipe.data, now)))
    path = urlsplit(url).path or "/"
    authorization = kudoz.sign(
        credential, method="POST", path=path, body=body, uuid=nonce, now=now.timestamp()
    )
    headers: tuple[Header, ...] = (
        ("Content-Type", "application/json"),
        ("User-Agent", USER_AGENT),
        (kudoz.HEADER, authorization),
        (DELIVERY_HEADER, fire_id),
    )
    outgoing = Outgoing(
        url=url,
        body=body,
        headers=headers,
        kind="kudoz",
        event=kind,
        note=f"token from the Kudoz credential {credential.name!r}",
        signing=Signing(kudoz.name, credential.name),
    )
    return Plan(fire_id, "kudoz", kind, body, (outgoing,), recipe=recipe)


TEST_PATH = "/hookscope-test"


def plan_test_delivery(
    listener_url: str, data: Any, *, now: datetime, secret: Credential | None = None
) -> Plan:
    """A Kardow `job.created` to our own listener, as Kardow would send it.

    Signed with `secret` (a stored Kardow secret) it should arrive `verified`; without one it
    arrives `unsigned`, which still proves that capture works end to end.
    """
    fire_id = new_fire_id()
    payload = encode(kardow_envelope("job.created", data, 42, now))
    headers: list[Header] = [("Content-Type", "application/json"), ("User-Agent", USER_AGENT)]
    if secret is not None:
        headers.append((kardow.HEADER, kardow.sign(secret.secret, payload)))
        note = f"test delivery, signed with {secret.name!r}"
    else:
        note = "test delivery, unsigned: no Kardow secret is stored"
    headers.append((DELIVERY_HEADER, fire_id))
    outgoing = Outgoing(
        url=listener_url.rstrip("/") + TEST_PATH,
        body=payload,
        headers=tuple(headers),
        event="job.created",
        note=note,
    )
    return Plan(fire_id, "kardow", "job.created", payload, (outgoing,))


def wire_headers(request: Outgoing) -> tuple[Header, ...]:
    """The headers as they go out: the HTTP client adds Host first and Content-Length last."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if parts.port is not None and parts.port != default:
        host += f":{parts.port}"
    return (("Host", host), *request.headers, ("Content-Length", str(len(request.body))))


def replay_link(headers: Headers) -> int | None:
    """The capture a delivery says it replays (our own replay header), if it names one."""
    value = headers.get(REPLAY_HEADER)
    if value is None or not _CAPTURE_ID.fullmatch(value.strip()):
        return None
    return int(value)


def title(name: str, schemes: Sequence[Scheme] = ()) -> str:
    """A provider's name in sentences: "Kardow", "Standard Webhooks", a custom scheme's own."""
    found = provider(name, schemes)
    if found is None:
        return name
    named = getattr(found, "title", None)
    return named if isinstance(named, str) else name.capitalize()


def signer_of(name: str, schemes: Sequence[Scheme] = ()) -> Provider:
    """The provider that signs for the scheme `name` (FireError when no scheme has that name)."""
    found = provider(name, schemes)
    if found is None:
        raise FireError(f"There is no signing scheme named {name!r} (it may have been removed).")
    return found


def sign(
    found: Provider,
    credential: Credential,
    *,
    method: str,
    url: str,
    body: bytes,
    headers: Headers,
    now: float,
    delivery_id: str | None = None,
) -> Headers:
    """`headers` with `found`'s signature set as it signs (a new delivery id and `now` where
    the scheme carries them), each header where it was, else at the end.

    A signature header of the scheme that this signing does not make (GitHub's legacy sha1
    header) is left out: kept, it would no longer match. FireError says why the credential
    cannot sign (a public key only, a secret that is not the scheme's kind).
    """
    path = urlsplit(url).path or "/"
    try:
        made = found.sign_headers(
            credential,
            method=method,
            path=path,
            body=body,
            headers=tuple(headers),
            now=now,
            delivery_id=delivery_id or str(uuidlib.uuid4()),
        )
    except ValueError as exc:
        raise FireError(str(exc)) from exc
    names = {name.lower() for name, _ in made}
    if isinstance(found, HmacProvider):
        stale = [h for h in found.signature_headers() if h.lower() not in names]
        headers = headers.without(*stale)
    for name, value in made:
        headers = headers.replaced(name, value)
    return headers


def made_words(found: Provider) -> str:
    """What signing makes afresh for each attempt, in words for the preview ("" for Kardow and
    Kudoz, which have words of their own)."""
    if not isinstance(found, HmacProvider):
        return ""
    scheme = found.scheme
    listed = [h for h in (scheme.header, scheme.timestamp_header, scheme.id_header) if h]
    new = []
    if scheme.id_header:
        new.append("a new id")
    if scheme.timestamp_header or "{timestamp}" in scheme.signed:
        new.append("the time it leaves")
    named = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    fresh = f", with {' and '.join(new)}" if new else ""
    return f"{named} (signed again for every attempt{fresh})"


def provider_of(capture: Capture, schemes: Sequence[Scheme] = ()) -> str | None:
    """The capture's provider: as judged on arrival, else as its headers and body say now
    (with the user's custom schemes)."""
    if capture.verdict.provider is not None:
        return capture.verdict.provider
    found = detect(capture, schemes=schemes)
    return found.name if found is not None else None


def can_resign(
    capture: Capture, credential: Credential | None, schemes: Sequence[Scheme] = ()
) -> str | None:
    """Why `capture` cannot be re-signed with `credential`, or None."""
    name = provider_of(capture, schemes)
    if name is None:
        return "Only signed deliveries can be re-signed; no signing scheme was recognised."
    named = title(name, schemes)
    if credential is None:
        return f"Re-signing needs a stored {named} secret; add one first."
    if credential.provider != name:
        return f"The secret {credential.name!r} is for {credential.provider}, not {name}."
    return None


def plan_replay(
    capture: Capture,
    *,
    url: str,
    now: datetime,
    resign_with: Credential | None = None,
    resign: bool = False,
    body: bytes | None = None,
    fire_id: str | None = None,
    schemes: Sequence[Scheme] = (),
) -> Plan:
    """Send `capture` again to `url`: as it came, with an edited body, or re-signed (its
    scheme's signature made again, here for the preview and as each attempt leaves)."""
    problem = check_target_url(url)
    if problem:
        raise FireError(f"The replay URL {problem}.")
    if resign:
        why = can_resign(capture, resign_with, schemes)
        if why:
            raise FireError(why)
    fire_id = fire_id or new_fire_id()
    payload = capture.body if body is None else body
    headers = capture.headers.without(*HOP_BY_HOP)
    note = "as captured" if body is None else "body edited"
    name = provider_of(capture, schemes)
    signing = None
    if resign and resign_with is not None:
        found = signer_of(resign_with.provider, schemes)
        headers = sign(
            found,
            resign_with,
            method=capture.method,
            url=url,
            body=payload,
            headers=headers,
            now=now.timestamp(),
        )
        signing = Signing(resign_with.provider, resign_with.name, made_words(found))
        note += f", re-signed with {resign_with.name!r}"
    elif body is not None and name is not None:
        note += " (the old signature no longer matches: re-sign to fix)"
    outgoing = Outgoing(
        url=url,
        body=payload,
        headers=headers.appended(REPLAY_HEADER, str(capture.id)),
        method=capture.method,
        kind="replay",
        event=capture.verdict.event,
        note=note,
        replay_of=capture.id,
        signing=signing,
    )
    return Plan(fire_id, name or "", "replay", payload, (outgoing,))
