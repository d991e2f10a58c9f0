"""The event catalogue: a template per event, honest about assumptions, filled fresh per fire."""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hookscope.core import catalogue
from hookscope.core.catalogue import CatalogueError, Template, fill, placeholders_in, template
from hookscope.core.providers import kardow, kudoz

NOW = datetime(2025, 7, 19, 12, 0, 0, 123456, tzinfo=UTC)
JOB_STATUSES = {"pending", "active", "expired", "draft"}
APPLICATION_STATUSES = {"pending", "reviewed", "shortlisted", "rejected", "hired"}
JOB_FIELDS = {"job_id", "title", "company_name", "status", "location"}
APPLICATION_FIELDS = {
    "application_id",
    "job_id",
    "job_title",
    "company_name",
    "applicant_name",
    "applicant_email",
    "status",
}
CANDIDATE_FIELDS = {
    "id",
    "email",
    "headline",
    "first_name",
    "last_name",
    "location",
    "pictures",
    "birthday",
    "summary",
    "phone_number",
    "social_profiles",
    "resume",
}
# docs/protocols.md: job events are documented except job.status_changed's previous_status; every
# other Kardow shape is assumed; Kudoz's job_application is documented.
DOCUMENTED = {
    ("kardow", "job.created"),
    ("kardow", "job.updated"),
    ("kardow", "job.approved"),
    ("kardow", "job.expired"),
    ("kardow", "job.deleted"),
    ("kudoz", "job_application"),
}
ALL = [("kardow", event) for event in kardow.EVENTS] + [("kudoz", kind) for kind in kudoz.KINDS]
PLACEHOLDER_TEXT = re.compile(r"\{\{\w+\}\}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for child in value.values() for s in _strings(child)]
    if isinstance(value, list):
        return [s for child in value for s in _strings(child)]
    return []


def _filled(provider: str, event: str, seed: int = 0) -> dict[str, Any]:
    data = fill(template(provider, event).data, now=NOW, rng=random.Random(seed))
    assert isinstance(data, dict)
    return data


def test_every_event_and_kind_has_a_template_in_catalogue_order() -> None:
    assert [(t.provider, t.event) for t in catalogue.templates()] == ALL
    assert [t.event for t in catalogue.templates("kardow")] == list(kardow.EVENTS)
    assert [t.event for t in catalogue.templates("kudoz")] == list(kudoz.KINDS)


@pytest.mark.parametrize(("provider", "event"), ALL)
def test_filled_template_is_json_with_no_placeholder_left(provider: str, event: str) -> None:
    found = template(provider, event)
    assert (found.provider, found.event) == (provider, event)
    assert placeholders_in(found.data), "a template should produce fresh ids per fire"
    data = _filled(provider, event)
    json.dumps(data)
    assert not [s for s in _strings(data) if PLACEHOLDER_TEXT.search(s)]
    assert placeholders_in(data) == []


@pytest.mark.parametrize(("provider", "event"), ALL)
def test_assumed_exactly_where_protocols_says_and_the_note_says_so(
    provider: str, event: str
) -> None:
    found = template(provider, event)
    assert found.assumed is ((provider, event) not in DOCUMENTED)
    assert ("assumed" in found.note.lower()) is found.assumed
    assert "document" in found.note.lower()


@pytest.mark.parametrize("event", [e for e in kardow.EVENTS if e.startswith("job.")])
def test_job_events_carry_the_documented_fields(event: str) -> None:
    data = _filled("kardow", event)
    assert set(data) >= JOB_FIELDS
    assert data["status"] in JOB_STATUSES
    uuid.UUID(data["job_id"])


def test_job_status_changed_adds_a_different_previous_status() -> None:
    data = _filled("kardow", "job.status_changed")
    assert data["previous_status"] in JOB_STATUSES
    assert data["previous_status"] != data["status"]


@pytest.mark.parametrize("event", ["application.received", "application.status_changed"])
def test_application_events_carry_the_assumed_fields(event: str) -> None:
    data = _filled("kardow", event)
    assert set(data) >= APPLICATION_FIELDS
    assert data["status"] in APPLICATION_STATUSES
    assert data["applicant_email"].endswith("@example.com")


def test_application_status_changed_adds_a_different_previous_status() -> None:
    data = _filled("kardow", "application.status_changed")
    assert data["previous_status"] in APPLICATION_STATUSES
    assert data["previous_status"] != data["status"]


def test_assumed_kardow_shapes_look_sensible() -> None:
    assert {"user_id", "email", "name"} <= set(_filled("kardow", "user.created"))
    for event in ("subscription.created", "subscription.canceled"):
        assert {"subscription_id", "plan", "status"} <= set(_filled("kardow", event))
    assert _filled("kardow", "subscription.canceled")["status"] == "canceled"
    payment = _filled("kardow", "payment.received")
    assert isinstance(payment["amount"], int)
    assert re.fullmatch(r"[A-Z]{3}", payment["currency"])


def test_kudoz_job_application_carries_the_documented_fields() -> None:
    data = _filled("kudoz", "job_application")
    assert {
        "job_reference",
        "recruiter_email",
        "job_application_id",
        "cover_message",
        "candidate",
    } <= set(data)
    assert isinstance(data["job_application_id"], int)
    assert not isinstance(data["job_application_id"], bool)
    assert set(data["candidate"]) >= CANDIDATE_FIELDS
    assert set(data["candidate"]["social_profiles"]) >= {"linkedin"}
    emails = [data["recruiter_email"], data["candidate"]["email"]]
    assert all(email.endswith("@example.com") for email in emails)


def test_two_fills_give_different_ids() -> None:
    data = template("kardow", "application.received").data
    first, second = fill(data, now=NOW), fill(data, now=NOW)
    assert first["application_id"] != second["application_id"]
    assert uuid.UUID(first["application_id"]).version == 4


def test_each_occurrence_in_one_fill_gets_its_own_value() -> None:
    filled = fill(["{{uuid}}", "{{uuid}}", "{{uuid}} {{uuid}}"], now=NOW, rng=random.Random(1))
    ids = [filled[0], filled[1], *filled[2].split(" ")]
    assert len(set(ids)) == 4


def test_now_derived_placeholders_agree() -> None:
    filled = fill(
        {"now": "{{now}}", "unix": "{{unix}}", "date": "{{date}}", "all": "{{date}}|{{unix}}"},
        now=NOW,
    )
    assert filled == {
        "now": "2025-07-19T12:00:00.123Z",
        "unix": 1752926400,
        "date": "2025-07-19",
        "all": "2025-07-19|1752926400",
    }


def test_now_is_rendered_in_utc_whatever_its_zone() -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=2)))
    assert fill("{{now}} {{date}}", now=paris) == "2025-07-19T12:00:00.123Z 2025-07-19"
    late = datetime(2025, 7, 19, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert fill("{{now}}", now=late) == "2025-07-20T04:30:00.000Z"


def test_exact_int_string_becomes_an_integer() -> None:
    value = fill("{{int}}", now=NOW)
    assert isinstance(value, int)
    assert 1 <= value <= 999_999
    assert isinstance(fill(" {{int}}", now=NOW), str)


def test_placeholders_inside_text_are_replaced_textually() -> None:
    value = fill({"email": "cand-{{int}}@example.com"}, now=NOW)
    assert re.fullmatch(r"cand-\d{1,6}@example\.com", value["email"])


def test_substitution_recurses_and_leaves_keys_and_non_strings_alone() -> None:
    value = {
        "{{uuid}}": [{"n": 3, "ok": True, "none": None, "x": 1.5, "deep": ["{{date}}"]}],
    }
    assert fill(value, now=NOW) == {
        "{{uuid}}": [{"n": 3, "ok": True, "none": None, "x": 1.5, "deep": ["2025-07-19"]}],
    }


def test_fill_leaves_its_input_unchanged() -> None:
    value = {"id": "{{uuid}}", "tags": ["{{int}}"]}
    fill(value, now=NOW)
    assert value == {"id": "{{uuid}}", "tags": ["{{int}}"]}


def test_unknown_placeholders_are_left_as_they_are() -> None:
    value = {"a": "{{nope}}", "b": "{{ uuid }}", "c": "{uuid}", "d": "{{int}}-{{nope}}"}
    filled = fill(value, now=NOW)
    assert filled["a"] == "{{nope}}"
    assert filled["b"] == "{{ uuid }}"
    assert filled["c"] == "{uuid}"
    assert re.fullmatch(r"\d+-\{\{nope\}\}", filled["d"])


def test_a_seeded_rng_is_reproducible() -> None:
    data = template("kudoz", "job_application").data
    first = fill(data, now=NOW, rng=random.Random(42))
    assert first == fill(data, now=NOW, rng=random.Random(42))
    assert first != fill(data, now=NOW, rng=random.Random(43))


def test_placeholders_in_names_each_used_placeholder_once() -> None:
    value = {"{{int}}": "x", "a": ["{{date}} {{uuid}}", "{{uuid}}"], "b": "{{nope}}", "c": 4}
    assert placeholders_in(value) == ["uuid", "date"]
    assert set(placeholders_in(template("kardow", "payment.received").data)) == {
        "uuid",
        "int",
        "now",
        "date",
    }
    assert catalogue.PLACEHOLDERS == ("uuid", "int", "now", "unix", "date")


def test_unknown_event_lists_the_known_ones() -> None:
    with pytest.raises(CatalogueError, match=r"job\.created") as raised:
        template("kardow", "job.exploded")
    assert "job.exploded" in str(raised.value)
    assert all(event in str(raised.value) for event in kardow.EVENTS)
    with pytest.raises(CatalogueError, match="job_application"):
        template("kudoz", "job.created")


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(CatalogueError, match="kardow, kudoz"):
        template("stripe", "charge.succeeded")
    with pytest.raises(CatalogueError, match="kardow, kudoz"):
        catalogue.templates("stripe")


@pytest.mark.parametrize(("provider", "event"), ALL)
def test_text_round_trips_to_the_data(provider: str, event: str) -> None:
    found = template(provider, event)
    text = found.text()
    assert text.endswith("}\n")
    assert json.loads(text) == found.data


def test_text_keeps_non_ascii_readable() -> None:
    found = Template("kudoz", "job_application", {"note": "résumé"}, assumed=False, note="n")
    assert found.text() == '{\n  "note": "résumé"\n}\n'


def test_editing_a_returned_template_does_not_change_the_catalogue() -> None:
    template("kardow", "job.created").data["title"] = "changed"
    catalogue.templates()[0].data.clear()
    assert template("kardow", "job.created").data["title"] != "changed"
    assert template("kardow", "job.created").data
