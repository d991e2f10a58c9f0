"""What is made at the moment of sending: a fire's fresh values, signatures and tokens (pure).

A preview is drawn when the input settles; the fire may leave minutes later. Whatever is
bound to the time (placeholders, Kardow's envelope timestamp, a Kudoz token's UUID and
timestamp) is therefore made again as the request leaves, from the plan's recipe and its
requests' signing; everything else goes out byte for byte as previewed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from hookscope.core import catalogue
from hookscope.core.fire import (
    FireError,
    chat_body,
    encode,
    filled,
    kardow_envelope,
    kudoz_envelope,
    sign,
    signer_of,
)
from hookscope.core.model import Credential, Outgoing, Plan
from hookscope.core.providers import Scheme, kardow, kudoz

# How a re-made value is named to the user, by what makes it.
ENVELOPE_TIMESTAMP = "the envelope's timestamp"
TOKEN = f"the {kudoz.HEADER} token (a new UUID and timestamp for every attempt)"


def refill(plan: Plan, now: datetime, rng: random.Random | None = None) -> Plan:
    """`plan` with its event made again at `now`: placeholders filled afresh and, for Kardow,
    the envelope's timestamp; every request's body rebuilt from it for its kind.

    Signatures are left to `signed()`, as each attempt leaves. A plan without a recipe (a
    replay, a request sent again) is returned unchanged: it goes out exactly as planned.
    """
    recipe = plan.recipe
    if recipe is None:
        return plan
    data = filled(recipe.data, now, rng)
    envelope: dict[str, Any]
    if recipe.org_id is not None:
        envelope = kardow_envelope(plan.event, data, recipe.org_id, now)
    else:
        envelope = kudoz_envelope(recipe.callback_id or "", plan.event, data)
    payload = encode(envelope)
    requests = tuple(
        replace(
            request,
            body=chat_body(request.kind, envelope)
            if request.kind in ("discord", "slack")
            else payload,
        )
        for request in plan.requests
    )
    return replace(plan, payload=payload, requests=requests)


def signed(
    request: Outgoing,
    signer: Credential | None,
    now: datetime,
    schemes: Sequence[Scheme] = (),
) -> Outgoing:
    """`request` signed again as it leaves at `now` (as it is when it has no `signing`).

    The scheme named by its signing signs, with `schemes` the user's custom ones: Kardow,
    `X-Kardow-Signature` over the body; Kudoz, an `Authorization` token with a new UUID and
    `now`'s Unix seconds; every other scheme, its signature headers with a new delivery id and
    `now` where it carries them. Each replaces the old header where it was. Raises FireError
    when the request must be signed and there is no `signer`, or it cannot sign.
    """
    signing = request.signing
    if signing is None:
        return request
    if signer is None:
        raise FireError("there is no secret to sign it with")
    headers = sign(
        signer_of(signing.scheme, schemes),
        signer,
        method=request.method,
        url=request.url,
        body=request.body,
        headers=request.headers,
        now=now.timestamp(),
    )
    return replace(request, headers=headers)


def refreshed(plan: Plan, request: Outgoing) -> list[str]:
    """What of `request` is made again as it leaves, in words; [] when it goes out as shown."""
    names: list[str] = []
    if plan.recipe is not None:
        if plan.recipe.org_id is not None:
            names.append(ENVELOPE_TIMESTAMP)
        data = None if plan.recipe.data is None else json.loads(plan.recipe.data)
        names += ["{{" + name + "}}" for name in catalogue.placeholders_in(data)]
    signing = request.signing
    if signing is not None:
        if signing.scheme == kardow.name:
            names.append(kardow.HEADER)
        elif signing.scheme == kudoz.name:
            names.append(TOKEN)
        elif signing.made:
            names.append(signing.made)
    return names


def describe(plan: Plan, request: Outgoing) -> str:
    """One sentence for the preview naming what is made as `request` is sent, or ""."""
    names = refreshed(plan, request)
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Made as it is sent (shown here with sample values): {listed}."
