"""The event catalogue: one data template per Kardow event and Kudoz kind, filled fresh per fire."""

from __future__ import annotations

import copy
import functools
import json
import math
import random
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from hookscope.core.providers import kardow, kudoz

PLACEHOLDERS: tuple[str, ...] = ("uuid", "int", "now", "unix", "date")
# Which events each provider has, in catalogue order, and what the provider calls them.
_PROVIDERS: dict[str, tuple[str, tuple[str, ...]]] = {
    kardow.name: ("Kardow event", kardow.EVENTS),
    kudoz.name: ("Kudoz kind", kudoz.KINDS),
}
_PLACEHOLDER = re.compile(r"\{\{(" + "|".join(PLACEHOLDERS) + r")\}\}")
# A string that is exactly one of these becomes a JSON integer, not a string.
_INTEGERS = {"{{int}}": "int", "{{unix}}": "unix"}
_INT_RANGE = (1, 999_999)


class CatalogueError(Exception):
    """An unknown provider or event, or a template file that is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Template:
    """The `data` object of one event, with placeholders, and whether its shape is assumed.

    Attributes:
        provider: "kardow" or "kudoz".
        event: the Kardow event or the Kudoz kind.
        data: the event's `data` object only (the envelope is built elsewhere), with placeholders.
        assumed: True when the provider does not document this shape (docs/protocols.md).
        note: one sentence for the user: what is documented and what is assumed.
    """

    provider: str
    event: str
    data: dict[str, Any]
    assumed: bool
    note: str

    def text(self) -> str:
        """The data as an editor shows it: indented JSON, non-ASCII kept, a final newline."""
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"


def templates(provider: str | None = None) -> list[Template]:
    """Every template in catalogue order (Kardow's events, then Kudoz's kinds) or a provider's."""
    if provider is not None:
        _events_of(provider)
    return [_copy(t) for t in _catalogue() if provider is None or t.provider == provider]


def template(provider: str, event: str) -> Template:
    """The template of one event; CatalogueError, naming the known events, when there is none."""
    kind, events = _events_of(provider)
    if event not in events:
        raise CatalogueError(f"Unknown {kind} {event!r}; known: {', '.join(events)}.")
    for found in _catalogue():
        if found.provider == provider and found.event == event:
            return _copy(found)
    raise AssertionError(f"{provider} {event} is in the catalogue's list but was not loaded")


def fill(value: Any, *, now: datetime, rng: random.Random | None = None) -> Any:
    """`value` with every placeholder replaced by a fresh value; the input is left unchanged.

    Each `{{uuid}}` and `{{int}}` gets its own value; `{{now}}`, `{{unix}}` and `{{date}}` all
    derive from `now` (a naive `now` is taken as UTC). A string that is exactly `{{int}}` or
    `{{unix}}` becomes an integer. Dict keys, non-strings and unknown `{{...}}` are kept as is.
    Pass a seeded `rng` for reproducible values; without one the system's randomness is used.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    source = rng if rng is not None else random.SystemRandom()
    fixed = {
        "now": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "unix": str(math.floor(now.timestamp())),
        "date": now.strftime("%Y-%m-%d"),
    }

    def fresh(name: str) -> str:
        if name == "uuid":
            return str(uuid.UUID(int=source.getrandbits(128), version=4))
        if name == "int":
            return str(source.randint(*_INT_RANGE))
        return fixed[name]

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            if item in _INTEGERS:
                return int(fresh(_INTEGERS[item]))
            return _PLACEHOLDER.sub(lambda match: fresh(match.group(1)), item)
        if isinstance(item, dict):
            return {key: walk(child) for key, child in item.items()}
        if isinstance(item, list):
            return [walk(child) for child in item]
        if isinstance(item, tuple):
            return tuple(walk(child) for child in item)
        return item

    return walk(value)


def placeholders_in(value: Any) -> list[str]:
    """The placeholders used in `value`'s strings (not keys), once each, in PLACEHOLDERS order."""
    used: set[str] = set()

    def walk(item: Any) -> None:
        if isinstance(item, str):
            used.update(_PLACEHOLDER.findall(item))
        elif isinstance(item, dict):
            for child in item.values():
                walk(child)
        elif isinstance(item, list | tuple):
            for child in item:
                walk(child)

    walk(value)
    return [name for name in PLACEHOLDERS if name in used]


def _events_of(provider: str) -> tuple[str, tuple[str, ...]]:
    try:
        return _PROVIDERS[provider]
    except KeyError:
        known = ", ".join(_PROVIDERS)
        raise CatalogueError(f"Unknown provider {provider!r}; known: {known}.") from None


def _copy(found: Template) -> Template:
    # The loaded templates are cached: hand out copies so a caller's edit cannot leak into them.
    return replace(found, data=copy.deepcopy(found.data))


@functools.cache
def _catalogue() -> tuple[Template, ...]:
    root = files("hookscope") / "resources" / "events"
    loaded: list[Template] = []
    for provider, (_kind, events) in _PROVIDERS.items():
        for event in events:
            resource = root / provider / f"{event}.json"
            where = f"resources/events/{provider}/{event}.json"
            try:
                raw = json.loads(resource.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CatalogueError(f"The template {where} cannot be read: {error}") from error
            loaded.append(_parse(provider, event, raw, where))
    return tuple(loaded)


def _parse(provider: str, event: str, raw: Any, where: str) -> Template:
    if not isinstance(raw, dict):
        raise CatalogueError(f"The template {where} is not a JSON object.")
    data, assumed, note = raw.get("data"), raw.get("assumed"), raw.get("note")
    if not isinstance(data, dict):
        raise CatalogueError(f"The template {where} has no `data` object.")
    if not isinstance(assumed, bool):
        raise CatalogueError(f"The template {where} has no boolean `assumed`.")
    if not isinstance(note, str) or not note:
        raise CatalogueError(f"The template {where} has no `note`.")
    return Template(provider=provider, event=event, data=data, assumed=assumed, note=note)
