"""The receiver scorecard's verdicts (pure): each case's answer judged, the card as a table,
JSON and Markdown.

A case that expects acceptance passes on a 2xx (the slow-ack probe: within its deadline); one
that expects a refusal passes on a 4xx (413 included) and, for the oversized body only, on the
receiver closing the connection before the body was all sent. A 5xx never counts as a refusal:
it is a crash, and senders retry it. 3xx and no answer at all fail either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hookscope.core.scorecard import ACCEPT, Case

PASS, FAIL, SKIPPED = "pass", "fail", "skipped"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the receiver did with one request.

    Attributes:
        status: the HTTP status, None when no answer came.
        latency_ms: from the first byte sent to the answer's head (or to the failure).
        error: why no answer came, in words (None when one came).
        unreachable: no connection could be made at all (refused, unknown host, TLS).
        cut_short: the connection ended while the body was still being sent.
        text: the beginning of the answer's body, as text.
    """

    status: int | None
    latency_ms: float
    error: str | None = None
    unreachable: bool = False
    cut_short: bool = False
    text: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One case as it went: the answer (for the replay, to the second copy) and the verdict.

    Attributes:
        passed: True or False; None when the case was skipped.
        reason: one sentence: what the receiver did and what it means.
        first: the answer to the first copy (the replay case only).
    """

    case: Case
    answer: Answer | None
    passed: bool | None
    reason: str
    first: Answer | None = None

    @property
    def result(self) -> str:
        return SKIPPED if self.passed is None else PASS if self.passed else FAIL

    @property
    def status(self) -> int | None:
        return None if self.answer is None else self.answer.status

    @property
    def latency_ms(self) -> float | None:
        return None if self.answer is None else self.answer.latency_ms


def skipped(case: Case) -> Outcome:
    return Outcome(case, None, None, case.skipped)


def judge(case: Case, answer: Answer, first: Answer | None = None) -> Outcome:
    """The verdict on `case` given the receiver's answer (and to the first copy, if twice)."""
    if first is not None and not _ok(first):
        got = _got(first)
        return Outcome(
            case,
            answer,
            False,
            f"The first copy was not accepted ({got}), so a replay cannot be told apart; "
            "make the valid delivery pass first.",
            first,
        )
    passed, reason = _verdict(case, answer)
    return Outcome(case, answer, passed, reason, first)


def _verdict(case: Case, answer: Answer) -> tuple[bool, str]:
    status = answer.status
    if status is None:
        if case.size and answer.cut_short:
            return True, "The receiver closed the connection before the body was all sent."
        return False, f"No answer: {answer.error or 'the connection ended'}."
    if case.expect == ACCEPT:
        if not 200 <= status < 300:
            return False, f"Refused a valid delivery with {status}: is it set up with this secret?"
        if case.within is not None and answer.latency_ms > case.within * 1000:
            return False, (
                f"Answered {status} after {answer.latency_ms / 1000:.1f} s, over the "
                f"{case.within:g} s senders wait."
            )
        return True, f"Accepted with {status} in {answer.latency_ms:.0f} ms."
    if 400 <= status < 500:
        return True, f"Refused with {status}."
    if 200 <= status < 300:
        return False, f"Accepted with {status}: {case.hole}."
    if status >= 500:
        return False, f"Answered {status}: a server error is no refusal, and senders retry it."
    return False, f"Answered {status} instead of refusing."


def _ok(answer: Answer) -> bool:
    return answer.status is not None and 200 <= answer.status < 300


def _got(answer: Answer) -> str:
    return str(answer.status) if answer.status is not None else (answer.error or "no answer")


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A battery's outcomes for one receiver.

    Attributes:
        total: how many cases the battery has (outcomes has fewer when cancelled).
        cancelled: Cancel stopped it before every case was sent.
    """

    url: str
    scheme: str
    credential: str
    outcomes: tuple[Outcome, ...]
    total: int
    cancelled: bool = False

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    @property
    def passed(self) -> bool:
        """Every applicable case was sent and passed."""
        return (
            not self.cancelled
            and len(self.outcomes) == self.total
            and self.count(FAIL) == 0
            and self.count(PASS) > 0
        )

    @property
    def summary(self) -> str:
        """One sentence: how it went."""
        passed, failed, skips = self.count(PASS), self.count(FAIL), self.count(SKIPPED)
        applicable = passed + failed
        aside = f" ({skips} not applicable to {self.scheme})" if skips else ""
        if self.cancelled:
            left = self.total - len(self.outcomes)
            return f"Cancelled with {left} cases not sent: {passed} passed, {failed} failed."
        if failed:
            return f"{failed} of {applicable} cases failed{aside}: the receiver has holes."
        return f"All {applicable} cases passed{aside}."


# -- renderings -----------------------------------------------------------------------------------


def _latency(outcome: Outcome) -> str:
    latency = outcome.latency_ms
    return "" if latency is None else f"{latency:.0f} ms"


def _status(outcome: Outcome) -> str:
    if outcome.answer is None:
        return ""
    status = outcome.answer.status
    shown = "—" if status is None else str(status)
    if outcome.first is not None:
        first = outcome.first.status
        return f"{'—' if first is None else first}, then {shown}"
    return shown


def as_json(card: Scorecard) -> dict[str, Any]:
    """The card as `hookscope scorecard --json` prints it (README documents the fields)."""
    return {
        "url": card.url,
        "scheme": card.scheme,
        "credential": card.credential,
        "passed": card.passed,
        "cancelled": card.cancelled,
        "summary": card.summary,
        "counts": {result: card.count(result) for result in (PASS, FAIL, SKIPPED)},
        "cases": [_case_json(outcome) for outcome in card.outcomes],
    }


def _case_json(outcome: Outcome) -> dict[str, Any]:
    case, answer = outcome.case, outcome.answer
    return {
        "key": case.key,
        "title": case.title,
        "expect": case.expect,
        "result": outcome.result,
        "status": outcome.status,
        "first_status": None if outcome.first is None else outcome.first.status,
        "latency_ms": None if answer is None else round(answer.latency_ms, 1),
        "error": None if answer is None else answer.error,
        "reason": outcome.reason,
        "why": case.why,
    }


_MARK = {PASS: "PASS", FAIL: "FAIL", SKIPPED: "skip"}


def text_table(card: Scorecard) -> str:
    """A table for a terminal: one line per case, the reason last, then the summary."""
    rows = [("", "Case", "Expected", "Status", "Latency", "Reason")]
    rows += [
        (
            _MARK[o.result],
            o.case.title,
            o.case.expected,
            _status(o),
            _latency(o),
            o.reason,
        )
        for o in card.outcomes
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        + "  "
        + row[5]
        for row in rows
    ]
    head = f"Receiver scorecard for {card.url} ({card.scheme}, credential {card.credential!r})"
    verdict = "PASSED" if card.passed else "FAILED"
    return "\n".join([head, "", *lines, "", f"{verdict}: {card.summary}"]) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(card: Scorecard) -> str:
    """A Markdown table for a pull request comment."""
    icon = {PASS: "✅ pass", FAIL: "❌ fail", SKIPPED: "➖ skip"}
    verdict = "passed" if card.passed else "failed"
    lines = [
        f"### Receiver scorecard: {verdict}",
        "",
        f"`{_cell(card.url)}` · scheme `{card.scheme}` · credential `{_cell(card.credential)}`",
        "",
        "| Result | Case | Expected | Status | Latency | Reason |",
        "|---|---|---|---|---:|---|",
    ]
    lines += [
        "| "
        + " | ".join(
            _cell(cell)
            for cell in (
                icon[o.result],
                o.case.title,
                o.case.expected,
                _status(o),
                _latency(o),
                o.reason,
            )
        )
        + " |"
        for o in card.outcomes
    ]
    lines += ["", f"**{_cell(card.summary)}**"]
    return "\n".join(lines) + "\n"
