"""`hookscope bench`: the load it reports, its baselines and its JSON (correctness, not speed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookscope import bench, benchload
from hookscope.load import kardow_delivery

pytestmark = pytest.mark.slow

WRK_REPORT = """Running 1s test @ http://127.0.0.1:1/hook
  1 threads and 32 connections
  Latency Distribution
     50%    6.00ms
     75%    7.00ms
     90%    8.00ms
     99%    1.50s
  4321 requests in 1.00s, 600.00KB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   4321.50
Transfer/sec:    600.00KB
"""


def test_wrk_report_is_read_with_failures_and_p99_in_ms() -> None:
    assert benchload.parse_wrk(WRK_REPORT) == (4321.5, 4321, 10, 1500.0)


def test_wrk_report_without_figures_is_one_clear_error() -> None:
    with pytest.raises(RuntimeError, match="wrk gave no figures"):
        benchload.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_lua_script_carries_the_body_byte_exact() -> None:
    body = b'{"a": "q\\"\\\\ \xc3\xa9\n"}'
    script = benchload.lua_script(body, {"X-Kardow-Signature": "ab"})
    literal = script.splitlines()[1].removeprefix("wrk.body = ")
    # Lua decimal escapes \ddd are bytes: decode the literal the way Lua would.
    decoded = bytearray()
    i = 1
    while i < len(literal) - 1:
        if literal[i] == "\\":
            decoded.append(int(literal[i + 1 : i + 4]))
            i += 4
        else:
            decoded.append(ord(literal[i]))
            i += 1
    assert bytes(decoded) == body
    assert 'wrk.headers["X-Kardow-Signature"] = "ab"' in script


@pytest.mark.skipif(benchload.wrk() is None, reason="wrk is not on PATH")
def test_bench_with_wrk_reports_every_server_and_its_ratios() -> None:
    plan = bench.Plan(
        seconds=1, rounds=1, rate=50, paced_seconds=0.5, fanout_targets=3, fanout_rounds=2
    )
    result = bench.run(plan)
    figures = json.loads(bench.report(result, as_json=True))
    assert figures["load"] == "wrk"
    assert figures["network_loop"] in {"uvloop", "asyncio"}
    assert set(figures["rps"]) == set(bench.SERVERS)
    assert all(rps > 0 for rps in figures["rps"].values())
    assert figures["failed"]["hookscope"] == 0
    for name in ("ratio_to_app", "ratio_to_commit_loop", "ratio_to_commit_thread"):
        assert figures[name] > 0
    assert figures["ratio_to_durable"] == round(
        figures["rps"]["hookscope"]
        / max(figures["rps"]["commit-loop"], figures["rps"]["commit-thread"]),
        3,
    )
    assert figures["stored"] >= figures["rps"]["hookscope"] * 0.5  # all committed, verified
    assert figures["verified"] == figures["stored"]
    # Paced twice: on the fresh serve, and right after the rounds.
    for phase in ("ack", "ack_after_burst"):
        p50, p99, most = (figures[f"{phase}_{q}_ms"] for q in ("p50", "p99", "max"))
        assert 0 < p50 <= p99 <= most
    text = bench.report(result, as_json=False)
    assert "load: wrk, 1 thread, 32 connections" in text
    assert "steady capture" in text
    assert "after the rounds" in text
    assert "ratio to the durable limit" in text


def test_python_client_fallback_measures_a_baseline_and_its_cpu() -> None:
    body, headers = kardow_delivery()
    with bench._child("-m", "hookscope.benchbase", "commit-thread") as (port, pid):
        measured = benchload.run_python(f"http://127.0.0.1:{port}/x", body, headers, 200, pid)
    assert measured.requests == 200
    assert measured.failed == 0
    assert measured.rps > 0
    assert measured.cpu_us is not None
    assert measured.cpu_us > 0


@pytest.mark.parametrize("given", [False, True], ids=["its own folder", "the bench's folder"])
def test_a_terminated_baseline_server_leaves_no_store_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: bool
) -> None:
    """Each bench ran four of them: their stores (up to 130 MB each) must not pile up."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    folder = tmp_path / "bench" / "commit-thread"
    args = [str(folder)] if given else []
    body, headers = kardow_delivery()
    with bench._child("-m", "hookscope.benchbase", "commit-thread", *args) as (port, pid):
        measured = benchload.run_python(f"http://127.0.0.1:{port}/x", body, headers, 50, pid)
        stores = list(tmp_path.rglob("baseline.db"))
    assert measured.requests == 50
    assert len(stores) == 1, "the server kept no store where it was told to"
    if given:
        assert stores[0].parent == folder  # the bench removes its own folder at the end
    else:
        assert not list(tmp_path.iterdir()), "the terminated server left its store behind"
