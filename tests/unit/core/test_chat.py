"""Chat messages: Kardow events as Discord and Slack bodies that keep every platform limit."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from hookscope.core.chat import (
    COLORS,
    DISCORD_LIMITS,
    ELLIPSIS,
    PLACEHOLDER,
    SLACK_LIMITS,
    SLACK_TEXT_BUDGET,
    discord_message,
    discord_problems,
    escape_mrkdwn,
    slack_message,
    slack_problems,
)

EVENTS = [
    "job.created",
    "job.updated",
    "job.approved",
    "job.expired",
    "job.deleted",
    "job.status_changed",
    "application.received",
    "application.status_changed",
    "user.created",
    "subscription.created",
    "subscription.canceled",
    "payment.received",
]
DELIVERY: dict[str, Any] = {
    "event": "job.created",
    "organization_id": 42,
    "timestamp": "2025-07-19T12:00:00.000Z",
    "data": {
        "job_id": "abc-123",
        "title": "Senior Engineer",
        "company_name": "Acme Inc",
        "status": "active",
        "location": "Remote",
    },
}
HOSTILE = "@everyone <@123> <!channel> <@&456> & <b>bold</b> &amp; > <"
# A value made only of characters Slack escapes, so every cut lands next to an entity.
SPECIALS = "&<>" * 4000
UNESCAPED = re.compile(r"[<>]|&(?!(?:amp|lt|gt);)")


def kardow(event: str = "job.created", **data: Any) -> dict[str, Any]:
    """The documented delivery for `event`, with data keys overridden (None removes one)."""
    payload = copy.deepcopy(DELIVERY)
    payload["event"] = event
    for key, value in data.items():
        if value is None:
            payload["data"].pop(key, None)
        else:
            payload["data"][key] = value
    return payload


def many(count: int, value: Any) -> dict[str, Any]:
    return {**DELIVERY, "data": {f"key_{n:03}": value for n in range(count)}}


ODD_PAYLOADS: dict[str, dict[str, Any]] = {
    "empty": {},
    "no event": {"organization_id": 42, "data": {"title": "x"}},
    "event null": {"event": None, "data": None},
    "event not a string": {"event": {"nested": [1, 2]}, "data": {}},
    "event blank": {"event": "   \n", "data": {"title": "   "}},
    "event 10 KB": {"event": "job." + "x" * 10_000, "data": {}},
    "event with backticks": {"event": "job`created`", "data": {}},
    "data a list": {"event": "job.created", "data": [1, "two", {"three": 3}]},
    "data a string": {"event": "job.created", "data": "just text"},
    "data a number": {"event": "job.created", "data": 3.5},
    "data empty string": {"event": "job.created", "data": ""},
    "data 10 KB string": {"event": "job.created", "data": "<&>" * 3400},
    "nested data": {"event": "user.created", "data": {"a": {"b": {"c": [{"d": None}] * 50}}}},
    "odd organization and time": {
        "event": "payment.received",
        "organization_id": {"id": [42] * 1000},
        "timestamp": 1752926400,
        "data": {"amount": 12.5, "paid": True, "refund": None},
    },
    "huge organization and time": {
        "event": "payment.received",
        "organization_id": "&" * 10_000,
        "timestamp": "<" * 10_000,
        "data": {},
    },
    "non-ASCII and emoji": {
        "event": "application.received",
        "data": {
            "applicant_name": "Zoë Ågren 👩🏽‍💻",
            "job_title": "Ingénieur·e — 東京",
            "status": "pending",
            "emoji": "🎉" * 3000,
        },
    },
    "lone surrogate": {"event": "job.created", "data": {"title": "bad \ud800 text", "\udfff": 1}},
    "hostile everywhere": {
        "event": HOSTILE,
        "organization_id": HOSTILE,
        "timestamp": HOSTILE,
        "data": {HOSTILE: HOSTILE, "title": HOSTILE, "company_name": HOSTILE},
    },
    "blank keys and values": {"event": "job.updated", "data": {"": "", " ": " \n\t", "x": ""}},
    "10 KB title": {"event": "job.created", "data": {"title": "T" * 10_000}},
    "10 KB of escapes everywhere": {
        "event": "job.created",
        "data": {"title": SPECIALS, "company_name": SPECIALS, "location": SPECIALS},
    },
    "100 keys of 10 KB": many(100, "v" * 10_000),
    "600 keys of escapes": many(600, SPECIALS),
    "600 keys of 10 KB names": {
        "event": "job.created",
        "data": {f"{n:03}" + "k" * 10_000: SPECIALS for n in range(600)},
    },
}


def embed_texts(message: Mapping[str, Any]) -> Iterator[str]:
    """Every text that counts toward Discord's 6000 characters, read straight off the body."""
    for embed in message["embeds"]:
        yield embed.get("title", "")
        yield embed.get("description", "")
        for field in embed.get("fields", []):
            yield field["name"]
            yield field["value"]
        yield embed.get("footer", {}).get("text", "")


def assert_discord_valid(message: Mapping[str, Any]) -> None:
    """Every Discord limit checked by hand, then by `discord_problems`, and the body encodes."""
    assert message["allowed_mentions"] == {"parse": []}
    assert 0 < len(message["content"]) <= 2000
    assert 1 <= len(message["embeds"]) <= 10
    for embed in message["embeds"]:
        assert 0 < len(embed["title"]) <= 256
        assert len(embed["description"]) <= 4096
        assert len(embed["fields"]) <= 25
        for field in embed["fields"]:
            assert 0 < len(field["name"]) <= 256
            assert field["name"].strip()
            assert 0 < len(field["value"]) <= 1024
            assert field["value"].strip()
        assert 0 < len(embed["footer"]["text"]) <= 2048
        assert isinstance(embed["color"], int)
        assert 0 <= embed["color"] <= 0xFFFFFF
    assert sum(len(text) for text in embed_texts(message)) <= 6000
    json.dumps(message, ensure_ascii=False).encode("utf-8")
    assert discord_problems(message) == []


def mrkdwn_texts(message: Mapping[str, Any]) -> Iterator[str]:
    """Every mrkdwn text of a Slack body, read straight off the body: fallback included."""
    yield message["text"]
    for block in message["blocks"]:
        if block["type"] == "section":
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn"
                yield block["text"]["text"]
            for field in block.get("fields", []):
                assert field["type"] == "mrkdwn"
                yield field["text"]
        elif block["type"] == "context":
            for element in block["elements"]:
                assert element["type"] == "mrkdwn"
                yield element["text"]


def assert_slack_valid(message: Mapping[str, Any]) -> None:
    """Every Slack limit checked by hand, then by `slack_problems`, and the body encodes."""
    assert message["text"].strip()
    blocks = message["blocks"]
    assert len(blocks) <= 50
    kinds = [block["type"] for block in blocks]
    assert kinds[0] == "header"
    assert kinds[-1] == "context"
    assert set(kinds[1:-1]) == {"section"}
    header = blocks[0]["text"]
    assert header["type"] == "plain_text"
    assert 0 < len(header["text"]) <= 150
    text_total = len(header["text"])
    for block in blocks[1:-1]:
        if "text" in block:
            assert 0 < len(block["text"]["text"]) <= 3000
            text_total += len(block["text"]["text"])
        assert len(block.get("fields", [])) <= 10
        for field in block.get("fields", []):
            assert 0 < len(field["text"]) <= 2000
            text_total += len(field["text"])
    for element in blocks[-1]["elements"]:
        assert 0 < len(element["text"]) <= 3000
        text_total += len(element["text"])
    assert text_total <= SLACK_TEXT_BUDGET
    for text in mrkdwn_texts(message):
        assert not UNESCAPED.search(text), text
    json.dumps(message, ensure_ascii=False).encode("utf-8")
    assert slack_problems(message) == []


def slack_fields(message: Mapping[str, Any]) -> list[str]:
    return [field["text"] for block in message["blocks"] for field in block.get("fields", [])]


class TestEscapeMrkdwn:
    def test_escapes_the_three_characters_slack_reads(self) -> None:
        assert escape_mrkdwn("a & <b> >") == "a &amp; &lt;b&gt; &gt;"

    def test_escapes_an_ampersand_even_when_it_looks_like_an_entity(self) -> None:
        # Raw text is escaped exactly once: a literal "&amp;" must show as typed.
        assert escape_mrkdwn("&amp;") == "&amp;amp;"

    def test_leaves_everything_else_alone(self) -> None:
        assert escape_mrkdwn("*bold* _it_ `code` @everyone 🎉") == "*bold* _it_ `code` @everyone 🎉"


class TestDiscordMessage:
    def test_the_documented_delivery(self) -> None:
        message = discord_message(DELIVERY)
        assert_discord_valid(message)
        assert message["content"] == "Kardow event `job.created`"
        (embed,) = message["embeds"]
        assert embed["title"] == "job.created · Senior Engineer"
        assert embed["description"] == "Acme Inc · Remote · status active"
        assert [(f["name"], f["value"]) for f in embed["fields"]] == [
            ("job_id", "abc-123"),
            ("title", "Senior Engineer"),
            ("company_name", "Acme Inc"),
            ("status", "active"),
            ("location", "Remote"),
        ]
        assert embed["footer"] == {"text": "Kardow · organization 42 · sent by Hookscope"}
        assert embed["timestamp"] == "2025-07-19T12:00:00.000Z"
        assert embed["color"] == COLORS["job"]

    @pytest.mark.parametrize("event", EVENTS)
    def test_every_event_is_valid_and_cannot_ping(self, event: str) -> None:
        message = discord_message(kardow(event, title=HOSTILE))
        assert_discord_valid(message)
        assert message["allowed_mentions"] == {"parse": []}
        assert event in message["content"]
        assert message["embeds"][0]["title"].startswith(event)

    @pytest.mark.parametrize("event", EVENTS)
    def test_the_color_follows_the_event_family(self, event: str) -> None:
        color = discord_message(kardow(event))["embeds"][0]["color"]
        assert color == COLORS[event.partition(".")[0]]

    def test_each_family_has_its_own_color(self) -> None:
        colors = {discord_message(kardow(e))["embeds"][0]["color"] for e in EVENTS}
        assert len(colors) == 5

    def test_an_unknown_family_still_gets_a_color(self) -> None:
        color = discord_message(kardow("team.renamed"))["embeds"][0]["color"]
        assert isinstance(color, int)
        assert color not in COLORS.values()

    def test_everyone_stays_in_the_text_but_cannot_ping(self) -> None:
        message = discord_message({"event": "@everyone", "data": {"title": "<@123> @here"}})
        assert "@everyone" in message["content"]
        assert "<@123> @here" in message["embeds"][0]["title"]
        assert message["allowed_mentions"] == {"parse": []}
        assert_discord_valid(message)

    def test_the_title_falls_back_to_other_name_fields(self) -> None:
        message = discord_message(
            {"event": "application.received", "data": {"job_title": "Chef", "applicant_name": "Al"}}
        )
        assert message["embeds"][0]["title"] == "application.received · Chef"
        assert "applicant Al" in message["embeds"][0]["description"]

    def test_a_status_change_shows_both_statuses(self) -> None:
        payload = kardow("job.status_changed", previous_status="pending", status="active")
        assert "status pending → active" in discord_message(payload)["embeds"][0]["description"]

    def test_non_string_values_are_compact_json(self) -> None:
        data = {"tags": ["a", "b"], "pay": {"min": 1}, "remote": True, "n": 3, "gone": None}
        fields = discord_message({"event": "job.created", "data": data})["embeds"][0]["fields"]
        assert [f["value"] for f in fields] == ['["a","b"]', '{"min":1}', "true", "3", "null"]

    def test_a_value_json_cannot_write_is_still_shown(self) -> None:
        data = {"odd": {(1, 2): "tuple key"}}
        fields = discord_message({"event": "job.created", "data": data})["embeds"][0]["fields"]
        assert fields[0]["value"] == "{(1, 2): 'tuple key'}"

    def test_empty_names_and_values_become_a_placeholder(self) -> None:
        data = {"": "", "blank": " \n", "ok": "yes"}
        fields = discord_message({"event": "job.created", "data": data})["embeds"][0]["fields"]
        assert [(f["name"], f["value"]) for f in fields] == [
            (PLACEHOLDER, PLACEHOLDER),
            ("blank", PLACEHOLDER),
            ("ok", "yes"),
        ]

    def test_a_10_kb_title_is_cut_with_an_ellipsis(self) -> None:
        title = discord_message(kardow(title="T" * 10_000))["embeds"][0]["title"]
        assert len(title) == 256
        assert title.startswith("job.created · TTT")
        assert title.endswith("T" + ELLIPSIS)

    def test_a_10_kb_value_is_cut_with_an_ellipsis(self) -> None:
        message = discord_message(kardow(location="L" * 10_000))
        value = message["embeds"][0]["fields"][-1]["value"]
        assert value == "L" * 1023 + ELLIPSIS
        assert_discord_valid(message)

    def test_100_keys_give_25_fields_and_mention_the_rest(self) -> None:
        message = discord_message(many(100, "v"))
        embed = message["embeds"][0]
        assert [f["name"] for f in embed["fields"]] == [f"key_{n:03}" for n in range(25)]
        assert "75 more fields not shown" in embed["description"]
        assert_discord_valid(message)

    def test_many_long_values_keep_the_total_cutting_later_fields_first(self) -> None:
        message = discord_message(many(25, "v" * 10_000))
        fields = message["embeds"][0]["fields"]
        assert len(fields) == 25
        assert sum(len(text) for text in embed_texts(message)) <= 6000
        lengths = [len(f["value"]) for f in fields]
        assert lengths[0] == 1024
        assert lengths == sorted(lengths, reverse=True)
        assert lengths[-1] < lengths[0]
        assert all(f["value"].endswith(ELLIPSIS) for f in fields)
        assert_discord_valid(message)

    def test_the_total_is_used_rather_than_wasted(self) -> None:
        message = discord_message(many(25, "v" * 10_000))
        assert sum(len(text) for text in embed_texts(message)) > 5900

    def test_huge_names_drop_the_last_fields_and_say_so(self) -> None:
        data = {f"{n:02}" + "k" * 1000: "v" * 1000 for n in range(25)}
        message = discord_message({"event": "job.created", "data": data})
        embed = message["embeds"][0]
        assert 0 < len(embed["fields"]) < 25
        assert all(len(f["name"]) == 256 for f in embed["fields"])
        hidden = 25 - len(embed["fields"])
        assert f"{hidden} more field" in embed["description"]
        assert_discord_valid(message)

    def test_a_list_of_data_is_one_field(self) -> None:
        message = discord_message({"event": "job.created", "data": [1, "two"]})
        assert message["embeds"][0]["fields"] == [
            {"name": "data", "value": '[1,"two"]', "inline": True}
        ]

    @pytest.mark.parametrize(
        "stamp", ["2025-07-19T12:00:00.000Z", "2025-07-19T12:00:00+02:00", "2025-07-19T12:00:00"]
    )
    def test_a_valid_timestamp_is_kept(self, stamp: str) -> None:
        embed = discord_message({**DELIVERY, "timestamp": stamp})["embeds"][0]
        assert embed["timestamp"] == stamp

    @pytest.mark.parametrize(
        "stamp", [None, 1752926400, "", "yesterday", "2025-13-19T12:00:00Z", "2025-07-19"]
    )
    def test_an_invalid_timestamp_is_left_out(self, stamp: Any) -> None:
        embed = discord_message({**DELIVERY, "timestamp": stamp})["embeds"][0]
        assert "timestamp" not in embed

    def test_a_missing_organization_leaves_it_out_of_the_footer(self) -> None:
        payload = {k: v for k, v in DELIVERY.items() if k != "organization_id"}
        footer = discord_message(payload)["embeds"][0]["footer"]["text"]
        assert footer == "Kardow · sent by Hookscope"

    def test_a_missing_event_is_named_as_such(self) -> None:
        message = discord_message({"data": {}})
        assert message["embeds"][0]["title"] == "unknown event"

    def test_a_lone_surrogate_is_replaced(self) -> None:
        message = discord_message({"event": "job.created", "data": {"title": "a\ud800b"}})
        assert message["embeds"][0]["title"] == "job.created · a?b"

    @pytest.mark.parametrize("payload", ODD_PAYLOADS.values(), ids=ODD_PAYLOADS.keys())
    def test_odd_payloads_still_give_a_valid_message(self, payload: dict[str, Any]) -> None:
        assert_discord_valid(discord_message(payload))


def _discord_cases() -> dict[str, tuple[Callable[[dict[str, Any]], None], str]]:
    """A mutation of a valid message that breaks one Discord rule, and a word of the problem."""

    def embed(message: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = message["embeds"][0]
        return result

    def field(message: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = embed(message)["fields"][0]
        return result

    return {
        "content": (lambda m: m.update(content="c" * 2001), "content is 2001"),
        "embeds": (lambda m: m.update(embeds=m["embeds"] * 11), "11 embeds"),
        "title": (lambda m: embed(m).update(title="t" * 257), "title is 257"),
        "description": (lambda m: embed(m).update(description="d" * 4097), "description is 4097"),
        "fields": (lambda m: embed(m).update(fields=[field(m)] * 26), "26 fields"),
        "field name": (lambda m: field(m).update(name="n" * 257), "name is 257"),
        "field value": (lambda m: field(m).update(value="v" * 1025), "value is 1025"),
        "empty value": (lambda m: field(m).update(value=""), "value is empty"),
        "blank name": (lambda m: field(m).update(name="  "), "name is empty"),
        "missing value": (lambda m: field(m).pop("value"), "value is not a string"),
        "footer": (lambda m: embed(m).update(footer={"text": "f" * 2049}), "footer text is 2049"),
        "author": (lambda m: embed(m).update(author={"name": "a" * 257}), "author name is 257"),
        "total": (
            lambda m: embed(m).update(
                description="d" * 4096, fields=[{"name": "n", "value": "v" * 1000}] * 2
            ),
            "characters in all",
        ),
        "total across embeds": (
            lambda m: m.update(embeds=[{"description": "d" * 4000}] * 2),
            "8000 characters in all",
        ),
        "no allowed_mentions": (lambda m: m.pop("allowed_mentions"), "allowed_mentions"),
        "parse everyone": (
            lambda m: m.update(allowed_mentions={"parse": ["everyone"]}),
            "allowed_mentions",
        ),
        "users allowed": (
            lambda m: m.update(allowed_mentions={"parse": [], "users": ["123"]}),
            "allowed_mentions",
        ),
        "color": (lambda m: embed(m).update(color="red"), "color"),
        "color too big": (lambda m: embed(m).update(color=0x1000000), "color"),
        "timestamp": (lambda m: embed(m).update(timestamp="yesterday"), "timestamp"),
        "nothing to send": (lambda m: m.update(content="", embeds=[]), "nothing to send"),
        "embeds not a list": (lambda m: m.update(embeds={"title": "x"}), "embeds must be a list"),
        "embed not an object": (lambda m: m.update(embeds=["x"]), "Embed 1 is not an object"),
        "title not a string": (lambda m: embed(m).update(title=5), "title is not a string"),
        "footer not an object": (lambda m: embed(m).update(footer="f"), "footer is not an object"),
        "fields not a list": (lambda m: embed(m).update(fields="f"), "fields is not a list"),
        "field not an object": (lambda m: embed(m).update(fields=["f"]), "field 1 is not an"),
    }


DISCORD_CASES = _discord_cases()


class TestDiscordProblems:
    @pytest.mark.parametrize("case", DISCORD_CASES.keys())
    def test_each_broken_rule_is_reported(self, case: str) -> None:
        mutate, fragment = DISCORD_CASES[case]
        message = discord_message(DELIVERY)
        mutate(message)
        problems = discord_problems(message)
        assert any(fragment in problem for problem in problems), problems

    def test_every_broken_rule_is_reported_at_once(self) -> None:
        message = discord_message(DELIVERY)
        message.pop("allowed_mentions")
        message["content"] = "c" * 2001
        message["embeds"][0]["title"] = "t" * 257
        assert len(discord_problems(message)) == 3

    def test_texts_exactly_at_their_limits_are_valid(self) -> None:
        limits = DISCORD_LIMITS
        fields = [{"name": "n" * 256, "value": "v" * 1024}] + [{"name": "n", "value": "v"}] * 24
        message = {
            "content": "c" * limits["content"],
            "embeds": [
                {
                    "title": "t" * limits["title"],
                    "description": "d" * (6000 - 256 - 1280 - 48 - 2048),
                    "fields": fields,
                    "footer": {"text": "f" * limits["footer"]},
                },
            ],
            "allowed_mentions": {"parse": []},
        }
        assert sum(len(text) for text in embed_texts(message)) == limits["total"]
        assert discord_problems(message) == []
        message["embeds"] = [{"description": "d" * limits["description"]}]
        assert discord_problems(message) == []
        message["embeds"] = [{"title": "t"}] * limits["embeds"]
        assert discord_problems(message) == []

    def test_content_alone_is_a_message(self) -> None:
        assert discord_problems({"content": "hi", "allowed_mentions": {"parse": []}}) == []


class TestSlackMessage:
    def test_the_documented_delivery(self) -> None:
        message = slack_message(DELIVERY)
        assert_slack_valid(message)
        assert message["text"] == "Kardow event job.created: Senior Engineer"
        header, summary, fields, context = message["blocks"]
        assert header == {
            "type": "header",
            "text": {"type": "plain_text", "text": "job.created · Senior Engineer", "emoji": False},
        }
        assert summary["text"] == {"type": "mrkdwn", "text": "Acme Inc · Remote · status active"}
        assert [f["text"] for f in fields["fields"]] == [
            "*job_id*\nabc-123",
            "*title*\nSenior Engineer",
            "*company_name*\nAcme Inc",
            "*status*\nactive",
            "*location*\nRemote",
        ]
        (element,) = context["elements"]
        assert "organization 42" in element["text"]
        assert "2025-07-19T12:00:00.000Z" in element["text"]

    @pytest.mark.parametrize("event", EVENTS)
    def test_every_event_is_valid(self, event: str) -> None:
        message = slack_message(kardow(event, title=HOSTILE))
        assert_slack_valid(message)
        assert message["text"].startswith(f"Kardow event {event}")
        assert message["blocks"][0]["text"]["text"].startswith(event)

    def test_every_mrkdwn_text_is_escaped_and_the_header_is_raw(self) -> None:
        raw = "<!channel> & <@U123> <b>"
        payload = {
            "event": "job.created",
            "organization_id": raw,
            "timestamp": raw,
            "data": {"title": raw, "company_name": raw, raw: raw},
        }
        message = slack_message(payload)
        assert_slack_valid(message)
        escaped = "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;b&gt;"
        assert message["blocks"][0]["text"]["text"] == f"job.created · {raw}"
        assert message["text"] == f"Kardow event job.created: {escaped}"
        texts = list(mrkdwn_texts(message))
        assert len(texts) == 6
        assert all(escaped in text for text in texts)
        assert f"*{escaped}*\n{escaped}" in slack_fields(message)

    def test_a_10_kb_title_is_cut_with_an_ellipsis_in_the_header(self) -> None:
        header = slack_message(kardow(title="T" * 10_000))["blocks"][0]["text"]["text"]
        assert len(header) == 150
        assert header.endswith("T" + ELLIPSIS)

    @pytest.mark.parametrize("offset", range(6))
    def test_a_cut_never_splits_an_entity(self, offset: int) -> None:
        # The padding moves the cut across every position of an entity.
        message = slack_message(kardow(location="x" * offset + "&" * 3000))
        assert_slack_valid(message)
        (value,) = (t for t in slack_fields(message) if t.startswith("*location*"))
        assert len(value) <= 2000
        assert re.fullmatch(rf"\*location\*\nx{{{offset}}}(&amp;)+{ELLIPSIS}", value), value

    @pytest.mark.parametrize("char", ["&", "<", ">"])
    def test_the_escaped_cut_fills_the_room_it_has(self, char: str) -> None:
        message = slack_message(kardow(location=char * 3000))
        (value,) = (t for t in slack_fields(message) if t.startswith("*location*"))
        entity = escape_mrkdwn(char)
        # Not one more entity would have fitted next to the ellipsis.
        assert 2000 - len(entity) < len(value) <= 2000

    def test_a_cut_summary_keeps_whole_entities(self) -> None:
        message = slack_message(kardow(company_name="&" * 10_000, location="<" * 10_000))
        summary = message["blocks"][1]["text"]["text"]
        assert re.fullmatch(rf"(&amp;)+{ELLIPSIS} · (&lt;)+{ELLIPSIS} · status active", summary)
        assert_slack_valid(message)

    def test_100_keys_are_all_shown_ten_to_a_section(self) -> None:
        message = slack_message(many(100, "v"))
        assert_slack_valid(message)
        sections = [b for b in message["blocks"] if "fields" in b]
        assert [len(b["fields"]) for b in sections] == [10] * 10
        assert slack_fields(message)[-1] == "*key_099*\nv"

    def test_too_many_keys_stay_within_50_blocks_and_mention_the_rest(self) -> None:
        message = slack_message(many(600, "v"))
        assert_slack_valid(message)
        assert len(message["blocks"]) == 50
        shown = len(slack_fields(message))
        assert shown == 470
        assert "130 more fields not shown" in message["blocks"][1]["text"]["text"]

    def test_many_long_values_stay_within_the_text_budget(self) -> None:
        message = slack_message(many(100, "v" * 10_000))
        assert_slack_valid(message)
        lengths = [len(text) for text in slack_fields(message)]
        assert lengths[0] == 2000
        assert lengths == sorted(lengths, reverse=True)

    @pytest.mark.parametrize("payload", ODD_PAYLOADS.values(), ids=ODD_PAYLOADS.keys())
    def test_odd_payloads_still_give_a_valid_message(self, payload: dict[str, Any]) -> None:
        assert_slack_valid(slack_message(payload))


def _slack_cases() -> dict[str, tuple[Callable[[dict[str, Any]], None], str]]:
    """A mutation of a valid message that breaks one Slack rule, and a word of the problem."""

    def block(message: dict[str, Any], index: int) -> dict[str, Any]:
        result: dict[str, Any] = message["blocks"][index]
        return result

    def fields(message: dict[str, Any]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = block(message, 2)["fields"]
        return result

    section = {"type": "section", "text": {"type": "mrkdwn", "text": "s"}}
    wide = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}]}
    return {
        "no text": (lambda m: m.pop("text"), "non-empty string"),
        "blank text": (lambda m: m.update(text="  "), "non-empty string"),
        "text unescaped": (lambda m: m.update(text="<!channel>"), "unescaped '<'"),
        "blocks": (lambda m: m.update(blocks=[section] * 51), "51 blocks"),
        "header": (lambda m: block(m, 0)["text"].update(text="h" * 151), "is 151"),
        "header mrkdwn": (lambda m: block(m, 0)["text"].update(type="mrkdwn"), "plain_text"),
        "header empty": (lambda m: block(m, 0)["text"].update(text=""), "empty"),
        "section": (lambda m: block(m, 1)["text"].update(text="s" * 3001), "is 3001"),
        "section unescaped": (lambda m: block(m, 1)["text"].update(text="a & b"), "'&'"),
        "section empty": (lambda m: block(m, 1).pop("text"), "neither text nor fields"),
        "fields": (lambda m: fields(m).extend(fields(m)[:1] * 6), "11 fields"),
        "field": (lambda m: fields(m)[0].update(text="f" * 2001), "is 2001"),
        "field unescaped": (lambda m: fields(m)[0].update(text="*k*\n<@U1>"), "'<'"),
        "field type": (lambda m: fields(m)[0].update(type="image"), "not a text object"),
        "context unescaped": (
            lambda m: block(m, 3)["elements"][0].update(text="a > b"),
            "'>'",
        ),
        "context elements": (
            lambda m: block(m, 3).update(elements=block(m, 3)["elements"] * 11),
            "11 elements",
        ),
        "context empty": (lambda m: block(m, 3).update(elements=[]), "non-empty list"),
        "text in all": (
            lambda m: m.update(blocks=[wide] * 5),
            "10000 characters of text in all",
        ),
        "blocks not a list": (lambda m: m.update(blocks="x"), "blocks must be a list"),
        "block not an object": (lambda m: m.update(blocks=["x"]), "Block 1 is not an object"),
        "fields not a list": (lambda m: block(m, 2).update(fields="x"), "fields is not a list"),
    }


SLACK_CASES = _slack_cases()


class TestSlackProblems:
    @pytest.mark.parametrize("case", SLACK_CASES.keys())
    def test_each_broken_rule_is_reported(self, case: str) -> None:
        mutate, fragment = SLACK_CASES[case]
        message = slack_message(DELIVERY)
        mutate(message)
        problems = slack_problems(message)
        assert any(fragment in problem for problem in problems), problems

    def test_texts_exactly_at_their_limits_are_valid(self) -> None:
        limits = SLACK_LIMITS
        message = {
            "text": "fallback",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "h" * limits["header"]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "s" * limits["section"]}},
                {
                    "type": "section",
                    "fields": [{"type": "mrkdwn", "text": "&amp;" * 400}]
                    + [{"type": "mrkdwn", "text": "f"}] * (limits["fields"] - 1),
                },
            ]
            + [{"type": "divider"}] * (limits["blocks"] - 3),
        }
        assert slack_problems(message) == []

    def test_context_images_carry_no_text_to_check(self) -> None:
        message = slack_message(DELIVERY)
        image = {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "<a>"}
        message["blocks"][-1]["elements"].append(image)
        assert slack_problems(message) == []

    def test_plain_text_may_hold_what_mrkdwn_must_escape(self) -> None:
        message = slack_message(DELIVERY)
        message["blocks"][1]["text"] = {"type": "plain_text", "text": "<!channel> & more"}
        assert slack_problems(message) == []
