"""Every signing scheme end to end over real sockets: a running engine with a stored secret for
each judges what Hookscope's own `fire` and re-signed `replay` send and what the test signs
itself; every verdict, and every forensic cause reaching `captures list --json` and
`captures show` as its sentence.

One engine serves the whole module (the five built-in schemes and a custom one with timestamp
and id headers, a secret for each, a path override for each so an unsigned request is still
recognised); each test sends its own requests and reads only the captures they made.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from hookscope.cli import main
from hookscope.core.http import Headers, Request
from hookscope.core.model import Capture, Credential
from hookscope.core.providers import Verifier
from hookscope.engine import Engine
from hookscope.storage import settings as settings_store
from tests.conftest import running_engine
from tests.integration.conftest import Reply, hookscope, http, stored
from tests.integration.receiver import running_receiver
from tests.integration.test_fanout import QUICK
from tests.unit.core.test_schemes import ACME, BODY, SPECS, Spec, b64, hexed, mac

IDS = [spec.name for spec in SPECS]
TIMED = [spec for spec in SPECS if spec.timed]
WITH_ID = [spec for spec in SPECS if spec.has_id]
BY_NAME = {spec.name: spec for spec in SPECS}
WRONG_KEY = b"not the stored secret"


def credential_name(spec: Spec) -> str:
    return f"{spec.name}-main"


@dataclass
class World:
    engine: Engine
    data_dir: Path

    @property
    def port(self) -> int:
        assert self.engine.listener is not None
        return self.engine.listener.port

    def url(self, spec: Spec) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{spec.name}"

    def change(self, write: Callable[..., Any]) -> Any:
        return self.engine.call(write).result(10)

    def send(self, spec: Spec, capture: Capture) -> Capture:
        """The test's own request, sent to the scheme's path; the capture it became."""
        reply = http(self.port, "POST", f"/hooks/{spec.name}", list(capture.headers), capture.body)
        return self.arrived(reply)

    def arrived(self, reply: Reply) -> Capture:
        assert reply.status == 200, reply.body
        return stored(self.data_dir, reply.json()["capture_id"])

    def cli(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--data-dir", str(self.data_dir)])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("schemes") / "data"
    with running_engine(data_dir) as engine:
        here = World(engine, data_dir)
        config = engine.config
        here.change(config.add_scheme(ACME))
        for spec in SPECS:
            here.change(
                config.add_credential(Credential(spec.name, credential_name(spec), spec.secret))
            )
            path = f"/hooks/{spec.name}"
            here.change(
                config.change(
                    lambda db, p=path, n=spec.name: settings_store.set_provider_path(db, p, n)
                )
            )
        yield here


def signed(spec: Spec, **changes: Any) -> Capture:
    """A request signed the scheme's way now, with a new delivery id (the test's own code)."""
    options: dict[str, Any] = {"stamp": str(int(time.time())), "ident": str(uuid.uuid4())}
    return spec.capture(**{**options, **changes})


# -- every verdict, for every scheme ----------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_signed_by_the_test_is_verified_and_with_another_secret_failed(
    world: World, spec: Spec
) -> None:
    verdict = world.send(spec, signed(spec)).verdict
    assert (verdict.provider, verdict.verdict) == (spec.name, "verified"), verdict.detail
    assert credential_name(spec) in verdict.detail
    failed = world.send(spec, signed(spec, key=WRONG_KEY)).verdict
    assert (failed.provider, failed.verdict) == (spec.name, "failed"), failed.detail


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_without_its_signature_header_it_is_unsigned(world: World, spec: Spec) -> None:
    capture = signed(spec)
    headers = Headers(capture.headers).without(*_signature_headers(spec))
    bare = Capture(Request("POST", "/", headers, capture.body))
    verdict = world.send(spec, bare).verdict
    assert (verdict.provider, verdict.verdict) == (spec.name, "unsigned"), verdict.detail


def _signature_headers(spec: Spec) -> list[str]:
    return {
        "standard-webhooks": ["webhook-signature"],
        "stripe": ["Stripe-Signature"],
        "github": ["X-Hub-Signature-256", "X-Hub-Signature"],
        "slack": ["X-Slack-Signature"],
        "shopify": ["X-Shopify-Hmac-Sha256"],
        "acme": ["X-Acme-Signature"],
    }[spec.name]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_without_a_stored_secret_it_is_no_secret(world: World, spec: Spec) -> None:
    config = world.engine.config
    world.change(config.remove_credential(credential_name(spec)))
    try:
        verdict = world.send(spec, signed(spec)).verdict
    finally:
        world.change(
            config.add_credential(Credential(spec.name, credential_name(spec), spec.secret))
        )
    assert (verdict.provider, verdict.verdict) == (spec.name, "no-secret"), verdict.detail


@pytest.mark.parametrize("spec", TIMED, ids=lambda s: s.name)
def test_an_old_timestamp_is_stale_with_the_seconds_named(world: World, spec: Spec) -> None:
    verdict = world.send(spec, signed(spec, stamp=str(int(time.time()) - 3600))).verdict
    assert (verdict.provider, verdict.verdict) == (spec.name, "stale"), verdict.detail
    assert " s behind this machine's clock (tolerance ±300 s)" in verdict.detail
    seconds = int(verdict.detail.split("timestamp is ")[1].split(" s ")[0])
    assert 3590 <= seconds <= 3660


@pytest.mark.parametrize("spec", WITH_ID, ids=lambda s: s.name)
def test_the_same_delivery_id_twice_is_replayed(world: World, spec: Spec) -> None:
    capture = signed(spec)
    assert world.send(spec, capture).verdict.verdict == "verified"
    again = world.send(spec, capture).verdict
    assert (again.provider, again.verdict) == (spec.name, "replayed"), again.detail
    assert "already seen" in again.detail


# -- Hookscope's own fire and re-signed replay, judged by the listener --------------------------


def attempts(out: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(out)
    return found


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_fire_sends_the_file_exactly_signed_and_it_arrives_verified(
    world: World, spec: Spec, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "body.json"
    data.write_bytes(BODY + b"\n")
    argv = ["fire", spec.name, "--to", world.url(spec), "--credential", credential_name(spec)]
    code, out, err = world.cli(capsys, *argv, "--data", str(data), "--json")
    assert code == 0, err
    (attempt,) = attempts(out)
    capture = world.arrived(Reply(attempt["status"], [], attempt["response_body"].encode()))
    assert capture.body == BODY + b"\n"
    assert capture.header("Content-Type") == "application/json"
    assert (capture.verdict.provider, capture.verdict.verdict) == (spec.name, "verified"), (
        capture.verdict.detail
    )
    # A second fire has its own id and time: never taken for a replay of the first.
    code, out, _ = world.cli(capsys, *argv, "--data", str(data), "--json")
    (second,) = attempts(out)
    again = world.arrived(Reply(second["status"], [], second["response_body"].encode()))
    assert again.verdict.verdict == "verified", again.verdict.detail


@pytest.mark.parametrize(
    ("scheme", "header"), [("github", "X-GitHub-Event"), ("shopify", "X-Shopify-Topic")]
)
def test_fire_puts_the_event_in_the_schemes_header(
    world: World, scheme: str, header: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = BY_NAME[scheme]
    argv = ["fire", scheme, "--to", world.url(spec), "--credential", credential_name(spec)]
    code, out, err = world.cli(capsys, *argv, "--event", "issues", "--json")
    assert code == 0, err
    (attempt,) = attempts(out)
    capture = world.arrived(Reply(attempt["status"], [], attempt["response_body"].encode()))
    assert capture.header(header) == "issues"
    assert capture.verdict.verdict == "verified"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_replay_resign_turns_a_failed_delivery_into_a_verified_one(
    world: World, spec: Spec, capsys: pytest.CaptureFixture[str]
) -> None:
    original = world.send(spec, signed(spec, key=WRONG_KEY))
    assert original.verdict.verdict == "failed"
    code, out, err = world.cli(
        capsys, "replay", str(original.id), "--to", world.url(spec), "--resign",
        "--credential", credential_name(spec), "--json",
    )  # fmt: skip
    assert code == 0, err
    (attempt,) = attempts(out)
    capture = world.arrived(Reply(attempt["status"], [], attempt["response_body"].encode()))
    assert capture.body == original.body
    assert capture.replay_of == original.id
    assert (capture.verdict.provider, capture.verdict.verdict) == (spec.name, "verified"), (
        capture.verdict.detail
    )


def test_a_bulk_replay_re_signs_each_capture_for_its_own_scheme(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    originals = [world.send(spec, signed(spec, key=WRONG_KEY)) for spec in SPECS]
    assert {c.verdict.verdict for c in originals} == {"failed"}
    ids = [str(c.id) for c in originals]
    # One URL for all: each scheme is recognised by its headers (the path overrides are moot).
    url = f"http://127.0.0.1:{world.port}/hooks/bulk"
    code, out, err = world.cli(capsys, "replay", *ids, "--to", url, "--resign", "--json")
    assert code == 0, err
    replayed = [
        world.arrived(Reply(a["status"], [], a["response_body"].encode())) for a in attempts(out)
    ]
    assert sorted((c.replay_of, c.verdict.provider, c.verdict.verdict) for c in replayed) == [
        (c.id, c.verdict.provider, "verified") for c in originals
    ]


@pytest.mark.parametrize("name", ["standard-webhooks", "acme"])
def test_every_retry_is_signed_as_it_leaves_with_its_own_delivery_id(
    world: World, name: str
) -> None:
    spec = BY_NAME[name]
    engine = world.engine
    with running_receiver() as receiver:  # /flaky answers 503 twice, then 200
        plan = engine.call(
            engine.plan_scheme(name, BODY, receiver.url("/flaky"), credential_name(spec))
        ).result(10)
        policy = replace(QUICK, retries=2, backoff=0.01)
        (attempt,) = engine.call(engine.send(plan, policy)).result(30)
        received = receiver.of("/flaky")
    assert (attempt.ok, attempt.number) == (True, 3)
    judge = Verifier([Credential(name, "main", spec.secret)], schemes=[ACME])
    verdicts = [
        judge(Capture(Request(r.method, r.path, Headers(r.headers), r.body))) for r in received
    ]
    assert [v.verdict for v in verdicts] == ["verified"] * 3, [v.detail for v in verdicts]
    assert len({v.nonce.uuid for v in verdicts if v.nonce}) == 3
    assert {r.body for r in received} == {BODY}


@pytest.mark.slow
def test_fire_of_a_custom_scheme_from_a_child_process_arrives_verified(world: World) -> None:
    spec = BY_NAME["acme"]
    done = hookscope(
        world.data_dir, "fire", "acme", "--to", world.url(spec), "--credential",
        credential_name(spec), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (attempt,) = attempts(done.stdout)
    capture = world.arrived(Reply(attempt["status"], [], attempt["response_body"].encode()))
    assert (capture.verdict.provider, capture.verdict.verdict) == ("acme", "verified")
    assert capture.header("X-Acme-Id")
    assert capture.header("X-Acme-Time")


@pytest.mark.slow
def test_fire_mistakes_are_one_sentence_and_exit_2(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    world.change(
        world.engine.config.add_credential(
            Credential("standard-webhooks", "public-only", "", "whpk_" + b64(bytes(32)))
        )
    )
    stripe = ["fire", "stripe", "--to", world.url(BY_NAME["stripe"])]
    huge = tmp_path / "huge"
    with huge.open("wb") as handle:  # sparse: no disk used, still read as 26 MB
        handle.truncate(26 * 1024 * 1024)
    cases = [
        (["fire", "nope", "--to", world.url(BY_NAME["stripe"]), "--credential", "x"],
         "There is no signing scheme named 'nope': use one of standard-webhooks, stripe,"),
        ([*stripe, "--credential", "github-main"], "'github-main' is for github, not stripe."),
        ([*stripe, "--credential", "nobody"], "secret is called 'nobody'"),
        (["fire", "standard-webhooks", "--to", world.url(BY_NAME["stripe"]),
          "--credential", "public-only"], "'public-only' has no usable signing secret."),
        ([*stripe, "--credential", "stripe-main", "--data", str(tmp_path / "missing")],
         "Cannot read"),
        ([*stripe, "--credential", "stripe-main", "--data", str(huge)], "over the 25 MB limit"),
        (["fire", "github", "--to", "not a url", "--credential", "github-main"], "The URL"),
    ]  # fmt: skip
    before = _newest(world, capsys)
    for argv, message in cases:
        code, _, err = world.cli(capsys, *argv)
        assert code == 2, (argv, err)
        assert message in err, err
        assert err.count("\n") == 1, err
    assert _newest(world, capsys) == before  # nothing was sent
    with pytest.raises(SystemExit) as refused:  # Stripe's event is in its body
        main([*stripe, "--credential", "stripe-main", "--event", "x"])
    assert refused.value.code == 2


def _newest(world: World, capsys: pytest.CaptureFixture[str]) -> int | None:
    code, out, err = world.cli(capsys, "captures", "list", "--json", "--limit", "1")
    assert code == 0, err
    listed = json.loads(out)
    return int(listed[0]["id"]) if listed else None


# -- every forensic cause, over sockets, as its sentence ---------------------------------------


@dataclass(frozen=True)
class Cause:
    """A way a signature goes wrong, and the words the verdict must say it with."""

    id: str
    spec: Spec
    make: Callable[[Spec], Capture]
    said: tuple[str, ...]
    verdict: str = "failed"


def _other_encoding(spec: Spec) -> Capture:
    return signed(spec, encoding=b64 if spec.encoding is hexed else hexed)


def _without_prefix(spec: Spec) -> Capture:
    capture = signed(spec)
    header = next(n for n, v in capture.headers if v.startswith(spec.prefix))
    value = (capture.header(header) or "").removeprefix(spec.prefix)
    return _edited(capture, header, value)


def _edited(capture: Capture, name: str, value: str) -> Capture:
    headers = Headers(capture.headers).replaced(name, value)
    return Capture(Request("POST", "/", headers, capture.body))


def _milliseconds(spec: Spec) -> Capture:
    now = int(time.time())
    return signed(spec, stamp=str(now), signed_stamp=str(now * 1000))


def _milliseconds_sent(spec: Spec) -> Capture:
    now = int(time.time()) * 1000
    return signed(spec, stamp=str(now), signed_stamp=str(now))


def _legacy_in_sha256(spec: Spec) -> Capture:
    capture = signed(spec)
    return _edited(capture, "X-Hub-Signature-256", "sha1=" + mac(spec.key, BODY, "sha1").hex())


def _github_way_in_stripe(spec: Spec) -> Capture:
    headers = Headers([("Stripe-Signature", "sha256=" + mac(spec.key, BODY).hex())])
    return Capture(capture_request(headers))


def _other_schemes_header(spec: Spec) -> Capture:
    headers = Headers(
        [
            ("Stripe-Signature", f"t={int(time.time())},v1={'0' * 64}"),
            ("X-Hub-Signature-256", "sha256=" + mac(spec.key, BODY).hex()),
        ]
    )
    return Capture(capture_request(headers))


def capture_request(headers: Headers) -> Request:
    return Request("POST", "/", headers.appended("Content-Type", "application/json"), BODY)


def _reserialised(spec: Spec) -> Capture:
    return signed(spec, signed_body=json.dumps(json.loads(BODY), indent=2).encode())


def causes() -> list[Cause]:
    found: list[Cause] = []
    for spec in SPECS:
        other = "base64-encoded" if spec.encoding is hexed else "hex-encoded"
        found += [
            Cause(f"{spec.name}: hex or base64", spec, _other_encoding,
                  ("right HMAC-SHA256", other)),
            Cause(f"{spec.name}: another hash", spec, lambda s: signed(s, algorithm="sha1"),
                  ("HMAC-SHA1 of the same content", "carries HMAC-SHA256")),
            Cause(f"{spec.name}: newline added", spec,
                  lambda s: signed(s, body=BODY + b"\n", signed_body=BODY),
                  ("without the trailing newline it arrived with",)),
            Cause(f"{spec.name}: newline removed", spec,
                  lambda s: signed(s, signed_body=BODY + b"\n"),
                  ("with a trailing newline (it was removed after signing)",)),
            Cause(f"{spec.name}: re-serialised", spec, _reserialised,
                  ("as the same JSON indented by 2",)),
        ]  # fmt: skip
        if spec.encoding is hexed:
            found.append(
                Cause(f"{spec.name}: uppercase hex", spec,
                      lambda s: signed(s, encoding=lambda d: d.hex().upper()), ("uppercase hex",))
            )  # fmt: skip
        if spec.prefix and spec.name not in ("standard-webhooks", "stripe"):
            found.append(
                Cause(f"{spec.name}: no prefix", spec, _without_prefix,
                      (f"without the {spec.prefix!r} prefix",))
            )  # fmt: skip
        if spec.timed:
            found += [
                Cause(f"{spec.name}: milliseconds signed", spec, _milliseconds,
                      ("in milliseconds (", "in seconds")),
                Cause(f"{spec.name}: milliseconds sent", spec, _milliseconds_sent,
                      ("digits: milliseconds, where",), verdict="stale"),
            ]  # fmt: skip
    standard, stripe, github = BY_NAME["standard-webhooks"], BY_NAME["stripe"], BY_NAME["github"]
    found += [
        Cause("standard-webhooks: whsec_ kept", standard,
              lambda s: signed(s, key=s.secret.encode()), ("keyed with the whole secret as text",)),
        Cause("standard-webhooks: whsec_ dropped", standard,
              lambda s: signed(s, key=s.secret[6:].encode()), ("without its whsec_ prefix",)),
        Cause("stripe: whsec_ dropped", stripe,
              lambda s: signed(s, key=s.secret[6:].encode()), ("without its whsec_ prefix",)),
        Cause("github: sha1 in the sha256 header", github, _legacy_in_sha256,
              ("HMAC-SHA1 of the same content", "legacy sha1 X-Hub-Signature")),
        Cause("stripe: made the GitHub way", stripe, _github_way_in_stripe,
              ("made the GitHub way", "signs for GitHub, not Stripe")),
        Cause("stripe: another scheme's header", stripe, _other_schemes_header,
              ("also carries GitHub's X-Hub-Signature-256",)),
    ]  # fmt: skip
    return found


CAUSES = causes()


@pytest.mark.parametrize("cause", CAUSES, ids=[c.id for c in CAUSES])
def test_every_forensic_cause_reaches_the_command_line_as_its_sentence(
    world: World, cause: Cause, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = world.send(cause.spec, cause.make(cause.spec))
    verdict = capture.verdict
    assert (verdict.provider, verdict.verdict) == (cause.spec.name, cause.verdict), verdict.detail
    for words in cause.said:
        assert words in verdict.detail
    code, out, err = world.cli(capsys, "captures", "show", str(capture.id), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["provider"], shown["verdict"]) == (cause.spec.name, cause.verdict)
    assert shown["verdict_detail"] == verdict.detail
    code, out, _ = world.cli(capsys, "captures", "show", str(capture.id))
    assert f"Verdict: {cause.verdict} - {verdict.detail}" in out
    code, out, _ = world.cli(capsys, "captures", "list", "--json", "--limit", "1")
    (listed,) = json.loads(out)
    assert (listed["id"], listed["verdict_detail"]) == (capture.id, verdict.detail)
