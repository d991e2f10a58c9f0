"""Realistic captures for `hookscope bench --scale N`, made fast and the same on every run.

The mix is what a store of webhook traffic holds: signed Kardow job deliveries (a few with a
bad signature or none), Kudoz job applications with a candidate's profile (the biggest), form
posts and small GETs from other senders; about 2.7 KB a capture with its headers. Text comes from
a fixed vocabulary with a seeded generator, so the words the bench searches for are known, and
so are how many captures hold each: the rare word one capture in 10,000, the common word three
in ten.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from hookscope.core.http import Headers, Request, Response
from hookscope.core.model import Capture, Credential, Verdict
from hookscope.core.providers import Verifier, kudoz

SEED = 14
RARE_WORD = "zephyrine"  # in one capture in RARE_EVERY
COMMON_WORD = "kubernetes"  # in three captures in ten
PREFIX = "kubern"  # the start of the common word, found only inside it
RARE_EVERY = 10_000
KARDOW_SECRET = "scale-bench-kardow-secret"
KUDOZ = Credential("kudoz", "scale-bench", "scale-bench-kudoz-secret", api_key="kz_live_bench")
KARDOW = Credential("kardow", "scale-bench", KARDOW_SECRET)
POOL_WORDS = 200_000
WORD_CHARS = 7  # a vocabulary word and its space, on average
SPAN = timedelta(days=30)  # the captures arrived over the last month

# Neither a search word nor its prefix is inside any of these, so the counts are exact.
_WORDS = """able account active agile analyst annual apply area assist backend badge benefit board
    bonus branch budget build campus career client cloud coach code college contract cover craft
    data deliver design desk develop digital domain driver early editor energy engineer event
    expert field finance flexible focus forward fresh front full global grade growth guide health
    hire hybrid impact junior lead learn legal level local manage market mentor mobile modern
    motion network office onsite open operate partner people pilot plan platform portfolio
    product project python quality react record remote report research retail review role sales
    scale school science secure senior service share skill social software staff stack start
    studio support system talent team tester trade train travel trust union user value vendor
    vision visual web welcome work writer"""
VOCABULARY = tuple(_WORDS.split())
CITIES = ("Berlin", "Lyon", "Nantes", "Porto", "Remote", "Madrid", "Milano", "Gent", "Krakow")
FIRST = ("Camille", "Jonas", "Ines", "Mateo", "Sofia", "Noah", "Lena", "Hugo", "Mila", "Tomas")
LAST = ("Exemple", "Martin", "Silva", "Novak", "Rossi", "Muller", "Dubois", "Costa", "Berg")
# (kind, share of captures): what arrives at a webhook inspector over a month.
MIX = (
    ("kardow", 0.45),  # signed, verified
    ("kardow-bad", 0.05),  # signed with another secret
    ("kardow-unsigned", 0.05),
    ("kudoz", 0.25),  # job applications with a candidate profile
    ("form", 0.10),
    ("get", 0.10),
)
_OK = Response(200, Headers([("Content-Type", "application/json")]), b'{"ok": true}')


@dataclass
class Expected:
    """How many captures hold each search word (and the common one with a verdict)."""

    rare: int = 0
    common: int = 0
    common_verified: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    body_bytes: int = 0


class Generator:
    """Makes capture number i of a store of `total`, in order; counts what it made."""

    def __init__(self, total: int, seed: int = SEED) -> None:
        self.total = total
        self.expected = Expected()
        self._rng = random.Random(seed)
        self._start = datetime.now(UTC) - SPAN
        self._step = SPAN / total
        self._rare_at = min(RARE_EVERY, total) // 2  # a small store still has one
        self._verdicts: dict[tuple[str, str | None], Verdict] = {}
        self._judge = Verifier([KARDOW, KUDOZ])
        self._kinds = [kind for kind, _ in MIX]
        self._weights = [share for _, share in MIX]
        # Cutting text from one long seeded string is ten times faster than drawing each word.
        self._pool = " ".join(self._rng.choices(VOCABULARY, k=POOL_WORDS))

    def batches(self, size: int) -> Iterator[list[Capture]]:
        batch: list[Capture] = []
        for number in range(self.total):
            batch.append(self.capture(number))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def capture(self, number: int) -> Capture:
        rng = self._rng
        marker = ""
        if number % RARE_EVERY == self._rare_at:
            marker = RARE_WORD
        elif number % 10 in (1, 4, 7):
            marker = COMMON_WORD
        kind = rng.choices(self._kinds, self._weights)[0]
        received = self._start + self._step * number
        if kind == "kudoz":
            request = self._kudoz(marker, received)
        elif kind == "form":
            request = self._form(marker)
        elif kind == "get":
            request = self._get(marker)
        else:
            request = self._kardow(kind, marker)
        verdict = self._verdict(kind, request, received)
        self._count(marker, verdict, kind, len(request.body))
        return Capture(
            request,
            remote=f"203.0.113.{rng.randrange(1, 255)}",
            received_at=received,
            verdict=verdict,
            response=_OK,
            receive_ms=round(rng.uniform(0.05, 3.0), 3),
            answer_ms=round(rng.uniform(0.3, 12.0), 3),
        )

    def _count(self, marker: str, verdict: Verdict, kind: str, size: int) -> None:
        expected = self.expected
        expected.kinds[kind] += 1
        expected.body_bytes += size
        if marker == RARE_WORD:
            expected.rare += 1
        elif marker == COMMON_WORD:
            expected.common += 1
            expected.common_verified += verdict.verdict == "verified"

    def _verdict(self, kind: str, request: Request, received: datetime) -> Verdict:
        """The real verifier's verdict, judged once per kind of capture and event, then reused
        (the nonce dropped: each capture would have its own)."""
        key = (kind, _event_of(request.body))
        if key not in self._verdicts:
            judged = self._judge(Capture(request, received_at=received))
            self._verdicts[key] = replace(judged, nonce=None)
        return self._verdicts[key]

    def _words(self, count: int, marker: str = "") -> str:
        """About `count` words, cut from the pool at a random place (`marker` in the middle)."""
        pool = self._pool
        chars = count * WORD_CHARS
        start = pool.index(" ", self._rng.randrange(len(pool) - chars - 100)) + 1
        text = pool[start : pool.index(" ", start + chars - WORD_CHARS + 1)]
        if marker:
            middle = text.find(" ", len(text) // 2)
            text = f"{text} {marker}" if middle < 0 else f"{text[:middle]} {marker}{text[middle:]}"
        return text

    def _kardow(self, kind: str, marker: str) -> Request:
        rng = self._rng
        event = "job.created" if rng.random() < 0.6 else "job.updated"
        envelope = {
            "event": event,
            "organization_id": rng.randrange(1, 400),
            "timestamp": "2026-11-02T09:14:07.512Z",
            "data": {
                "job_id": f"job-{rng.getrandbits(40):010x}",
                "title": f"{self._words(2).title()} Engineer",
                "company_name": f"{self._words(1).title()} {rng.choice(LAST)} GmbH",
                "status": "active",
                "location": rng.choice(CITIES),
                "salary": {
                    "min": rng.randrange(40, 80) * 1000,
                    "max": rng.randrange(80, 140) * 1000,
                },
                "tags": self._words(5).split(),
                "description": self._words(rng.randrange(80, 200), marker),
            },
        }
        body = json.dumps(envelope).encode()
        headers = [
            ("Host", "hooks.example.com"),
            ("User-Agent", "Kardow-Webhooks/2.3"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        if kind != "kardow-unsigned":
            secret = KARDOW_SECRET if kind == "kardow" else "rotated-away"
            signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers.append(("X-Kardow-Signature", signature))
        return Request("POST", "/hooks/kardow", Headers(headers), body)

    def _kudoz(self, marker: str, received: datetime) -> Request:
        rng = self._rng
        experience = [
            {
                "title": f"{self._words(2).title()} Engineer",
                "company": f"{self._words(1).title()} {rng.choice(LAST)}",
                "start": f"{rng.randrange(2008, 2024)}-0{rng.randrange(1, 10)}",
                "description": self._words(rng.randrange(40, 80)),
            }
            for _ in range(rng.randrange(2, 5))
        ]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        candidate = {
            "id": str(rng.getrandbits(32)),
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "first_name": first,
            "last_name": last,
            "headline": self._words(6),
            "location": rng.choice(CITIES),
            "skills": self._words(12).split(),
            "summary": self._words(rng.randrange(40, 90), marker),
            "experience": experience,
        }
        body = json.dumps(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "kind": "job_application",
                "data": {"job_reference": f"REF-{rng.randrange(10**6)}", "candidate": candidate},
            }
        ).encode()
        path = "/hooks/kudoz"
        token = kudoz.sign(
            KUDOZ,
            method="POST",
            path=path,
            body=body,
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            timestamp=str(int(received.timestamp())),
        )
        headers = Headers(
            [
                ("Host", "hooks.example.com"),
                ("Content-Type", "application/json"),
                ("Authorization", token),
                ("Content-Length", str(len(body))),
            ]
        )
        return Request("POST", path, headers, body)

    def _form(self, marker: str) -> Request:
        rng = self._rng
        fields = {
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"visitor{rng.randrange(10**5)}@example.org",
            "comment": self._words(rng.randrange(20, 70), marker),
        }
        body = "&".join(f"{k}={v.replace(' ', '+')}" for k, v in fields.items()).encode()
        headers = Headers(
            [
                ("Host", "hooks.example.com"),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Content-Length", str(len(body))),
            ]
        )
        return Request("POST", "/forms/contact", headers, body)

    def _get(self, marker: str) -> Request:
        agent = f"{marker}-probe/1.29" if marker else "uptime-monitor/2.1"
        target = f"/health?check={self._rng.randrange(10**6)}"
        return Request(
            "GET", target, Headers([("Host", "hooks.example.com"), ("User-Agent", agent)])
        )


def _event_of(body: bytes) -> str | None:
    """The Kardow event or Kudoz kind, read cheaply from the start of the body we wrote."""
    if body.startswith(b'{"event": "'):
        return body[11 : body.index(b'"', 11)].decode()
    return "job_application" if b'"kind": "job_application"' in body[:80] else None
