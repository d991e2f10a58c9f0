"""Kardow events as Discord and Slack messages within every platform limit (docs/protocols.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from itertools import accumulate, islice
from typing import Any

DISCORD_LIMITS: dict[str, int] = {
    "content": 2000,
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "total": 6000,
}
SLACK_LIMITS: dict[str, int] = {
    "blocks": 50,
    "header": 150,
    "section": 3000,
    "fields": 10,
    "field": 2000,
}
# Slack refuses blocks that hold too much text in all (`msg_blocks_too_long`) without saying how
# much; reports put it between 11000 and 13300 characters, so we stay well below (assumed).
# https://github.com/slackapi/bolt-js/issues/2509, https://github.com/slackapi/bolt-js/issues/2867
SLACK_TEXT_BUDGET = 8000
# A context block holds at most 10 elements, each a text object of at most 3000 characters.
SLACK_CONTEXT_ELEMENTS = 10
# Discord's limit for an embed's author name, which our messages do not use.
DISCORD_AUTHOR_NAME = 256

ELLIPSIS = "…"
# Discord rejects an empty or blank field name or value; this shows that it was empty.
PLACEHOLDER = "—"
COLORS: dict[str, int] = {
    "job": 0x3498DB,
    "application": 0x2ECC71,
    "user": 0x9B59B6,
    "subscription": 0xE67E22,
    "payment": 0xF1C40F,
}
OTHER_COLOR = 0x95A5A6

# Our own caps, so that the fixed parts of a message leave most of the room to the data.
_EVENT_CAP = 100
_PIECE_CAP = 200
_LABEL_CAP = 64
_KEY_CAP = 256
# The fewest characters a shown value keeps before later fields are dropped instead.
_FLOOR = 16
# Where the name of the thing an event is about is found, best first.
_SUBJECT_KEYS = ("title", "job_title", "name", "full_name", "applicant_name", "plan_name", "plan")
_WIDTH = {"&": 5, "<": 4, ">": 4}
_UNESCAPED = re.compile(r"[<>]|&(?!(?:amp|lt|gt);)")
_ISO_8601 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


def escape_mrkdwn(text: str) -> str:
    """Text safe inside Slack mrkdwn: `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A Discord execute-webhook body for one event: one embed, within every limit, no pings."""
    limits = DISCORD_LIMITS
    event = _event(payload)
    data = payload.get("data")
    subject = _subject(data)
    title = _cut(f"{event} · {subject}" if subject else event, limits["title"])
    footer = _cut(_footer(payload), limits["footer"])
    summary = _summary(data)
    items, total = _items(data, limits["fields"])
    names = [_cut(_key(key), limits["field_name"]) for key, _ in items]
    values = [_value(value, limits["field_value"]) for _, value in items]

    def description(shown: int) -> str:
        note = _note(shown, total)
        return _cut(summary, limits["description"] - len(note)) + note

    sizes = _fit(
        [len(name) for name in names],
        [min(len(value), limits["field_value"]) for value in values],
        lambda shown: len(title) + len(description(shown)) + len(footer),
        limits["total"],
    )
    fields = []
    for name, value, size in zip(names, values, sizes, strict=False):
        text = _cut(value, size)
        fields.append({"name": name, "value": text, "inline": len(text) <= 40 and "\n" not in text})
    embed: dict[str, Any] = {
        "title": title,
        "description": description(len(sizes)),
        "color": _color(payload),
        "fields": fields,
        "footer": {"text": footer},
    }
    stamp = _timestamp(payload.get("timestamp"))
    if stamp is not None:
        embed["timestamp"] = stamp
    code = f"`{event}`" if "`" not in event else event
    return {
        "content": _cut(f"Kardow event {code}", limits["content"]),
        "embeds": [embed],
        # Without this, `@everyone` or `<@id>` anywhere in the payload would ping people.
        "allowed_mentions": {"parse": []},
    }


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook body for one event: header, summary, fields, context."""
    limits = SLACK_LIMITS
    event = _event(payload)
    data = payload.get("data")
    subject = _subject(data)
    header = _cut(f"{event} · {subject}" if subject else event, limits["header"])
    fallback = f"Kardow event {event}: {subject}" if subject else f"Kardow event {event}"
    summary = _summary(data)
    context = _footer(payload)
    stamp = payload.get("timestamp")
    if stamp is not None and (label := _label(stamp)):
        context = f"{context} · {label}"
    context = _cut_mrkdwn(context, limits["section"])
    # The header, the summary and the context take three of the blocks.
    items, total = _items(data, (limits["blocks"] - 3) * limits["fields"])
    prefixes = [f"*{_cut_mrkdwn(_key(key), _KEY_CAP)}*\n" for key, _ in items]
    values = [_value(value, limits["field"]) for _, value in items]

    def summary_text(shown: int) -> str:
        note = escape_mrkdwn(_note(shown, total))
        return _cut_mrkdwn(summary, limits["section"] - len(note)) + note

    sizes = _fit(
        [len(prefix) for prefix in prefixes],
        [
            min(len(escape_mrkdwn(value)), limits["field"] - len(prefix))
            for prefix, value in zip(prefixes, values, strict=True)
        ],
        lambda shown: len(header) + len(summary_text(shown)) + len(context),
        SLACK_TEXT_BUDGET,
    )
    fields = [
        {"type": "mrkdwn", "text": prefix + _cut_mrkdwn(value, size)}
        for prefix, value, size in zip(prefixes, values, sizes, strict=False)
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": summary_text(len(sizes))}},
    ]
    step = limits["fields"]
    blocks.extend(
        {"type": "section", "fields": fields[start : start + step]}
        for start in range(0, len(fields), step)
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": _cut_mrkdwn(fallback, limits["section"]), "blocks": blocks}


def discord_problems(message: Mapping[str, Any]) -> list[str]:
    """Every limit a Discord execute-webhook body breaks, as sentences; [] when it is valid."""
    limits = DISCORD_LIMITS
    problems: list[str] = []
    mentions = message.get("allowed_mentions")
    if (
        not isinstance(mentions, Mapping)
        or mentions.get("parse") != []
        or mentions.get("users")
        or mentions.get("roles")
    ):
        problems.append(
            'allowed_mentions must be {"parse": []}, so that no text in the payload pings anyone.'
        )
    content = message.get("content")
    if content is not None:
        _check_text(problems, "The content", content, limits["content"])
    embeds = message.get("embeds", [])
    if not isinstance(embeds, list):
        problems.append("embeds must be a list.")
        embeds = []
    elif len(embeds) > limits["embeds"]:
        problems.append(f"There are {len(embeds)} embeds; Discord allows {limits['embeds']}.")
    if not (isinstance(content, str) and content.strip()) and not embeds:
        problems.append("The message has neither content nor embeds: there is nothing to send.")
    total = 0
    for number, embed in enumerate(embeds, 1):
        total += _embed_problems(problems, f"Embed {number}", embed)
    if total > limits["total"]:
        problems.append(
            f"The embeds hold {total} characters in all; Discord allows {limits['total']}."
        )
    return problems


def _embed_problems(problems: list[str], where: str, embed: Any) -> int:
    """Add the limits one embed breaks to `problems`; the characters of text it holds."""
    limits = DISCORD_LIMITS
    if not isinstance(embed, Mapping):
        problems.append(f"{where} is not an object.")
        return 0
    total = 0
    for key in ("title", "description"):
        if key in embed:
            total += _check_text(problems, f"{where} {key}", embed[key], limits[key])
    total += _check_fields(problems, where, embed.get("fields", []))
    for key, limit in (("footer", limits["footer"]), ("author", DISCORD_AUTHOR_NAME)):
        part = embed.get(key)
        if part is None:
            continue
        if not isinstance(part, Mapping):
            problems.append(f"{where} {key} is not an object.")
            continue
        text_key = "text" if key == "footer" else "name"
        total += _check_text(
            problems, f"{where} {key} {text_key}", part.get(text_key), limit, required=True
        )
    color = embed.get("color")
    if color is not None and (
        isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= 0xFFFFFF
    ):
        problems.append(f"{where} color {color!r} is not an RGB integer (0 to 16777215).")
    stamp = embed.get("timestamp")
    if stamp is not None and _timestamp(stamp) is None:
        problems.append(f"{where} timestamp {stamp!r} is not an ISO 8601 date and time.")
    return total


def slack_problems(message: Mapping[str, Any]) -> list[str]:
    """Every limit a Slack incoming-webhook body breaks, as sentences; [] when it is valid."""
    limits = SLACK_LIMITS
    problems: list[str] = []
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text, the fallback for notifications, must be a non-empty string.")
    else:
        _check_escaped(problems, "text", text)
    blocks = message.get("blocks", [])
    if not isinstance(blocks, list):
        problems.append("blocks must be a list.")
        blocks = []
    elif len(blocks) > limits["blocks"]:
        problems.append(f"There are {len(blocks)} blocks; Slack allows {limits['blocks']}.")
    for number, block in enumerate(blocks, 1):
        where = f"Block {number}"
        if not isinstance(block, Mapping):
            problems.append(f"{where} is not an object.")
            continue
        kind = block.get("type")
        if kind == "header":
            _check_text_object(
                problems, f"{where} (header)", block.get("text"), limits["header"], plain=True
            )
        elif kind == "section":
            _check_section(problems, where, block)
        elif kind == "context":
            _check_context(problems, where, block.get("elements"))
    total = _text_total(blocks)
    if total > SLACK_TEXT_BUDGET:
        problems.append(
            f"The blocks hold {total} characters of text in all; we keep under"
            f" {SLACK_TEXT_BUDGET}, as Slack refuses too much (msg_blocks_too_long)."
        )
    return problems


def _event(payload: Mapping[str, Any]) -> str:
    event = payload.get("event")
    return (_label(event, _EVENT_CAP) if event is not None else "") or "unknown event"


def _subject(data: Any) -> str:
    """The name of what the event is about (a job title, a person), or ""."""
    if isinstance(data, Mapping):
        for key in _SUBJECT_KEYS:
            value = data.get(key)
            if isinstance(value, str) and (subject := _scrub(_oneline(value[:1000]))):
                return subject
    return ""


def _summary(data: Any) -> str:
    """A short sentence about the event: company, location, applicant and status."""
    if data is None or (isinstance(data, Mapping) and not data):
        return "No data in this event."
    if not isinstance(data, Mapping):
        return "The data is not an object; it is shown as is."
    company = _piece(data.get("company_name")) or _piece(data.get("company"))
    parts = [company, _piece(data.get("location"))]
    if applicant := _piece(data.get("applicant_name")):
        parts.append(f"applicant {applicant}")
    if status := _piece(data.get("status")):
        previous = _piece(data.get("previous_status"))
        parts.append(f"status {previous} → {status}" if previous else f"status {status}")
    if shown := [part for part in parts if part]:
        return " · ".join(shown)
    count = len(data)
    return f"{count} field{'' if count == 1 else 's'} in this event."


def _note(shown: int, total: int) -> str:
    hidden = total - shown
    if hidden <= 0:
        return ""
    return f"\n{ELLIPSIS} and {hidden} more field{'' if hidden == 1 else 's'} not shown."


def _footer(payload: Mapping[str, Any]) -> str:
    parts = ["Kardow"]
    organization = payload.get("organization_id")
    if organization is not None and (label := _label(organization)):
        parts.append(f"organization {label}")
    parts.append("sent by Hookscope")
    return " · ".join(parts)


def _color(payload: Mapping[str, Any]) -> int:
    event = payload.get("event")
    family = event.partition(".")[0] if isinstance(event, str) else ""
    return COLORS.get(family, OTHER_COLOR)


def _timestamp(value: Any) -> str | None:
    """The value when it is an ISO 8601 date and time Discord understands, else None."""
    if not isinstance(value, str) or not _ISO_8601.fullmatch(value):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def _items(data: Any, most: int) -> tuple[list[tuple[str, str]], int]:
    """The first `most` (key, text) pairs of the data, and how many there are in all."""
    if isinstance(data, Mapping):
        return [(str(key), _as_text(value)) for key, value in islice(data.items(), most)], len(data)
    if data is None:
        return [], 0
    return [("data", _as_text(data))], 1


def _as_text(value: Any) -> str:
    """A value as one string: a string as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _label(value: Any, cap: int = _LABEL_CAP) -> str:
    """A value on one line within `cap` characters."""
    return _cut(_scrub(_oneline(_as_text(value)[: cap * 4])), cap)


def _piece(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return _label(value, _PIECE_CAP)


def _key(key: str) -> str:
    return _scrub(_oneline(key[:1000])) or PLACEHOLDER


def _value(text: str, cap: int) -> str:
    """A field value kept to one character past `cap` (enough to know it gets cut), never blank."""
    if not text or text.isspace():
        return PLACEHOLDER
    return _scrub(text[: cap + 1])


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _scrub(text: str) -> str:
    """Text that encodes as UTF-8: a lone surrogate (which JSON allows) becomes `?`."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _cut(text: str, limit: int) -> str:
    """Text within `limit` characters; a cut one ends with the ellipsis, which counts."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def _cut_mrkdwn(raw: str, limit: int) -> str:
    """Raw text escaped for mrkdwn within `limit` characters, cut between entities, never inside."""
    if len(raw) <= limit and len(escaped := escape_mrkdwn(raw)) <= limit:
        return escaped
    room = limit - len(ELLIPSIS)
    kept = 0
    for char in raw:
        width = _WIDTH.get(char, 1)
        if width > room:
            break
        room -= width
        kept += 1
    return escape_mrkdwn(raw[:kept].rstrip()) + ELLIPSIS


def _fit(
    overheads: Sequence[int], wanted: Sequence[int], fixed: Callable[[int], int], budget: int
) -> list[int]:
    """How long each shown item's text may be so that all fits `budget`.

    `fixed(shown)` is what the rest of the message takes. Every shown item keeps its overhead and
    at least `_FLOOR` characters (or all it wants); the rest goes to the earliest items first, so
    later items are cut first, and the last items are dropped when even the floors do not fit.
    """
    floors = [min(want, _FLOOR) for want in wanted]
    least = [0, *accumulate(over + floor for over, floor in zip(overheads, floors, strict=True))]
    shown = len(wanted)
    while shown > 0 and fixed(shown) + least[shown] > budget:
        shown -= 1
    spare = budget - fixed(shown) - least[shown]
    sizes = []
    for floor, want in zip(floors[:shown], wanted[:shown], strict=True):
        extra = max(0, min(want - floor, spare))
        spare -= extra
        sizes.append(floor + extra)
    return sizes


def _check_text(
    problems: list[str], what: str, value: Any, limit: int, *, required: bool = False
) -> int:
    """Report a text over its limit (or missing when required); its length counts to a total."""
    if not isinstance(value, str):
        if value is not None or required:
            problems.append(f"{what} is not a string.")
        return 0
    if required and not value.strip():
        problems.append(f"{what} is empty, which is refused.")
    if len(value) > limit:
        problems.append(f"{what} is {len(value)} characters, over the limit of {limit}.")
    return len(value)


def _check_fields(problems: list[str], where: str, fields: Any) -> int:
    limits = DISCORD_LIMITS
    if not isinstance(fields, list):
        problems.append(f"{where} fields is not a list.")
        return 0
    if len(fields) > limits["fields"]:
        problems.append(f"{where} has {len(fields)} fields; Discord allows {limits['fields']}.")
    total = 0
    for number, field in enumerate(fields, 1):
        what = f"{where} field {number}"
        if not isinstance(field, Mapping):
            problems.append(f"{what} is not an object.")
            continue
        for key, limit in (("name", limits["field_name"]), ("value", limits["field_value"])):
            total += _check_text(problems, f"{what} {key}", field.get(key), limit, required=True)
    return total


def _check_section(problems: list[str], where: str, block: Mapping[str, Any]) -> None:
    limits = SLACK_LIMITS
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        problems.append(f"{where} (section) has neither text nor fields.")
    if text is not None:
        _check_text_object(problems, f"{where} (section)", text, limits["section"])
    if fields is None:
        return
    if not isinstance(fields, list):
        problems.append(f"{where} (section) fields is not a list.")
        return
    if len(fields) > limits["fields"]:
        problems.append(
            f"{where} (section) has {len(fields)} fields; Slack allows {limits['fields']}."
        )
    for number, field in enumerate(fields, 1):
        _check_text_object(problems, f"{where} field {number}", field, limits["field"])


def _check_context(problems: list[str], where: str, elements: Any) -> None:
    if not isinstance(elements, list) or not elements:
        problems.append(f"{where} (context) needs a non-empty list of elements.")
        return
    if len(elements) > SLACK_CONTEXT_ELEMENTS:
        problems.append(
            f"{where} (context) has {len(elements)} elements; Slack allows"
            f" {SLACK_CONTEXT_ELEMENTS}."
        )
    for number, element in enumerate(elements, 1):
        # Image elements carry no text; only text objects are checked.
        if isinstance(element, Mapping) and element.get("type") in ("mrkdwn", "plain_text"):
            _check_text_object(
                problems, f"{where} element {number}", element, SLACK_LIMITS["section"]
            )


def _check_text_object(
    problems: list[str], what: str, value: Any, limit: int, *, plain: bool = False
) -> None:
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(value, Mapping) or value.get("type") not in kinds:
        problems.append(f"{what} is not a text object of type {' or '.join(kinds)}.")
        return
    text = value.get("text")
    _check_text(problems, f"{what} text", text, limit, required=True)
    if value.get("type") == "mrkdwn" and isinstance(text, str):
        _check_escaped(problems, f"{what} text", text)


def _check_escaped(problems: list[str], what: str, text: str) -> None:
    if found := _UNESCAPED.search(text):
        problems.append(
            f"{what} has an unescaped {found.group()[0]!r}; mrkdwn needs &amp;, &lt; and &gt;,"
            " or Slack may read it as a mention or a link."
        )


def _text_total(value: Any) -> int:
    """The characters of every `text` string inside blocks, however deep."""
    if isinstance(value, Mapping):
        return sum(
            len(item) if key == "text" and isinstance(item, str) else _text_total(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(_text_total(item) for item in value)
    return 0
