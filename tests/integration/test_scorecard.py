"""The receiver scorecard over real sockets: a strict receiver passes every case, one that
accepts anything has each hole flagged, and the run can be cancelled or refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookscope.core.model import Credential
from hookscope.core.providers import Scheme
from hookscope.core.scoreboard import FAIL, PASS, SKIPPED, Outcome, Scorecard
from hookscope.core.scorecard import REJECT
from hookscope.engine import Engine
from hookscope.engine.scorecard import ScorecardError
from hookscope.storage import credentials as credential_store
from hookscope.storage import schemes as scheme_store
from hookscope.storage.db import open_store
from hookscope.storage.keyfile import load_vault
from tests.conftest import running_engine
from tests.integration import scorereceivers as receivers

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CREDENTIALS = {
    "kardow": Credential("kardow", "kardow-main", "kardow-secret-0123456789"),
    "kudoz": Credential("kudoz", "kudoz-main", "kudoz-secret", api_key="ak_live_42"),
    "stripe": Credential("stripe", "stripe-main", "whsec_test_secret_abcdefghijklmnop"),
    "standard-webhooks": Credential("standard-webhooks", "svix-main", WHSEC),
    "github": Credential("github", "github-main", "It's a Secret to Everybody"),
    "slack": Credential("slack", "slack-main", "8f742231b10e8888abcd99yyyzzz85a5"),
    "shopify": Credential("shopify", "shopify-main", "shpss_0123456789abcdef"),
}
# Which cases each scheme cannot have (it signs no time, or carries no id).
NOT_APPLICABLE = {
    "kardow": {"stale", "future", "replay"},
    "kudoz": {"tampered-body"},  # the assumed default token does not cover the body
    "stripe": {"replay"},
    "standard-webhooks": set(),
    "github": {"stale", "future"},
    "slack": {"replay"},
    "shopify": {"stale", "future"},
}


def store_credentials(data_dir: Path) -> None:
    db = open_store(data_dir)
    vault = load_vault(Engine(data_dir).key_file, create=True)
    assert vault is not None
    for credential in CREDENTIALS.values():
        credential_store.add_credential(db, vault, credential)
    db.close()


@pytest.fixture
def scoring(data_dir: Path) -> Iterator[Engine]:
    """An engine (no listeners) that knows a credential of every built-in scheme."""
    store_credentials(data_dir)
    engine = Engine(data_dir, watch=False)
    engine.start(listen=False)
    try:
        yield engine
    finally:
        engine.stop()


def strict_check(scheme: str) -> receivers.Check:
    credential = CREDENTIALS[scheme]
    seen = receivers.Seen()
    makers = {
        "kardow": lambda: receivers.kardow(credential.secret),
        "kudoz": lambda: receivers.kudoz(credential.api_key, credential.secret, seen),
        "stripe": lambda: receivers.stripe(credential.secret),
        "standard-webhooks": lambda: receivers.standard_webhooks(credential.secret, seen),
        "github": lambda: receivers.github(credential.secret, seen),
        "slack": lambda: receivers.slack(credential.secret),
        "shopify": lambda: receivers.shopify(credential.secret, seen),
    }
    return makers[scheme]()


def run(engine: Engine, url: str, scheme: str, **options: object) -> Scorecard:
    credential = CREDENTIALS[scheme].name
    card: Scorecard = engine.call(engine.scorecard(url, scheme, credential, **options)).result(120)
    return card


def by_key(card: Scorecard) -> dict[str, Outcome]:
    return {outcome.case.key: outcome for outcome in card.outcomes}


@pytest.mark.parametrize("scheme", list(CREDENTIALS))
def test_a_strict_receiver_passes_every_case(scoring: Engine, scheme: str) -> None:
    check = strict_check(scheme)
    with receivers.serving(lambda server: receivers.strict_app(check, server)) as server:
        card = run(scoring, server.url(), scheme)
    outcomes = by_key(card)
    failures = {key: o.reason for key, o in outcomes.items() if o.result == FAIL}
    assert failures == {}
    assert card.passed
    assert card.total == len(card.outcomes) == 12
    assert {k for k, o in outcomes.items() if o.result == SKIPPED} == NOT_APPLICABLE[scheme]
    assert outcomes["valid"].status == 200
    assert outcomes["oversized"].status == 413 or outcomes["oversized"].answer.cut_short  # type: ignore[union-attr]
    # What the receiver saw is what the card says: every applicable case reached it.
    sent = {case for case, _ in server.answered}
    assert sent == {k for k, o in outcomes.items() if o.result != SKIPPED}
    if "replay" not in NOT_APPLICABLE[scheme]:
        replay = outcomes["replay"]
        assert replay.first is not None
        assert replay.first.status == 200
        assert replay.status == 401


@pytest.mark.parametrize("scheme", ["kardow", "kudoz", "stripe", "standard-webhooks"])
def test_a_receiver_that_accepts_anything_has_each_hole_flagged(
    scoring: Engine, scheme: str
) -> None:
    with receivers.serving(receivers.lax_app) as server:
        card = run(scoring, server.url(), scheme)
    assert not card.passed
    for outcome in card.outcomes:
        if outcome.result == SKIPPED:
            continue
        if outcome.case.expect == REJECT:
            assert outcome.result == FAIL, outcome.case.key
            assert outcome.reason.startswith("Accepted with 200: it ")
            assert outcome.case.hole in outcome.reason
        else:
            assert outcome.result == PASS, outcome.case.key
    assert "cases failed" in card.summary


def test_an_unreachable_receiver_is_one_sentence_before_anything_is_judged(
    scoring: Engine,
) -> None:
    with receivers.serving(receivers.lax_app) as server:
        url = server.url()  # the port is free again once the receiver stops
    with pytest.raises(ScorecardError, match=r"^Cannot reach the receiver at .*refused"):
        run(scoring, url, "kardow")


@pytest.mark.parametrize(
    ("url", "scheme", "credential", "message"),
    [
        ("http://127.0.0.1:9/", "nope", "kardow-main", "Unknown scheme 'nope'; use one of"),
        ("http://127.0.0.1:9/", "stripe", "kardow-main", "is for kardow, not stripe"),
        ("http://127.0.0.1:9/", "kardow", "missing", "No kardow secret is called 'missing'"),
        ("ftp://example.com/", "kardow", "kardow-main", "must use http or https"),
    ],
)
def test_wrong_arguments_are_refused_in_one_sentence(
    scoring: Engine, url: str, scheme: str, credential: str, message: str
) -> None:
    with pytest.raises(ScorecardError, match=message):
        scoring.call(scoring.scorecard(url, scheme, credential)).result(30)


@pytest.mark.slow
def test_a_slow_acknowledgement_fails_the_probe_and_only_it(scoring: Engine) -> None:
    check = strict_check("slack")  # Slack gives up after 3 s

    def slow_on_probe(server: receivers.Server) -> receivers.web.Application:
        return receivers.strict_app(check, server, delay=3.3, slow_case="slow-ack")

    with receivers.serving(slow_on_probe) as server:
        card = run(scoring, server.url(), "slack")
    outcomes = by_key(card)
    assert [k for k, o in outcomes.items() if o.result == FAIL] == ["slow-ack"]
    assert "over the 3 s senders wait" in outcomes["slow-ack"].reason
    assert outcomes["valid"].result == PASS


def test_cancel_stops_the_request_in_flight_and_the_rest(scoring: Engine) -> None:
    check = strict_check("kardow")
    cancel = threading.Event()
    progressed: list[int] = []

    def progress(outcomes: tuple[Outcome, ...], total: int) -> None:
        progressed.append(len(outcomes))

    def slow_after_first(server: receivers.Server) -> receivers.web.Application:
        return receivers.strict_app(check, server, delay=30, slow_case="tampered-body")

    with receivers.serving(slow_after_first) as server:

        def cancel_once_held() -> None:  # Cancel while the second case waits for its answer
            deadline = time.monotonic() + 10
            while "tampered-body" not in server.arrived and time.monotonic() < deadline:
                time.sleep(0.01)
            cancel.set()

        threading.Thread(target=cancel_once_held, daemon=True).start()
        started = time.monotonic()
        card = run(scoring, server.url(), "kardow", progress=progress, cancel=cancel)
        took = time.monotonic() - started
    assert took < 10  # the 30 s answer was not waited for
    assert card.cancelled
    assert not card.passed
    assert [o.case.key for o in card.outcomes] == ["valid"]
    assert progressed == [1]
    assert card.summary.startswith("Cancelled with 11 cases not sent")


ACME = Scheme(
    "acme",
    "X-Acme-Signature",
    prefix="sha512=",
    algorithm="sha512",
    encoding="base64",
    signed="{timestamp}.{body}",
    timestamp_header="X-Acme-Time",
    tolerance=120,
    id_header="X-Acme-Id",
)


def acme_check(secret: str, seen: receivers.Seen) -> receivers.Check:
    """The custom scheme as its own receiver would check it (not Hookscope's code)."""

    def check(body: bytes, headers: dict[str, str]) -> bool:
        stamp = headers.get("x-acme-time", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > ACME.tolerance:
            return False
        digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha512)
        expected = "sha512=" + base64.b64encode(digest.digest()).decode()
        given = headers.get("x-acme-signature", "")
        ok = hmac.compare_digest(given.encode(), expected.encode())
        return ok and seen.first_time(headers.get("x-acme-id"))

    return check


def test_a_custom_scheme_gets_the_whole_battery_by_its_description(data_dir: Path) -> None:
    db = open_store(data_dir)
    scheme_store.add_scheme(db, ACME)
    vault = load_vault(Engine(data_dir).key_file, create=True)
    assert vault is not None
    credential_store.add_credential(db, vault, Credential("acme", "acme-main", "acme-secret"))
    db.close()
    check = acme_check("acme-secret", receivers.Seen())
    with running_engine(data_dir, watch=False) as engine:
        with receivers.serving(lambda server: receivers.strict_app(check, server)) as server:
            card = engine.call(engine.scorecard(server.url(), "acme", "acme-main")).result(120)
        choices = engine.call(engine.scorecard_choices()).result(30)
    assert [o.case.key for o in card.outcomes if o.result != PASS] == []
    assert card.passed
    schemes, credentials = choices
    assert schemes[-1] == "acme"
    assert ("acme-main", "acme") in credentials
