"""`hookscope bench --scale N`, run as a user runs it: a child process on a throwaway store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from sqlite_utils import Database

from hookscope import bench_scale
from hookscope.bench_scale_data import COMMON_WORD, PREFIX, RARE_WORD, VOCABULARY, Generator
from hookscope.cli import main
from hookscope.core import model
from hookscope.storage.captures import delete_oldest, newest_and_count
from hookscope.storage.db import open_store
from hookscope.storage.writer import insert_captures


def bench(tmp: Path, *args: str, timeout: float = 280) -> subprocess.CompletedProcess[str]:
    """`hookscope bench` in a child process whose temporary folders go under `tmp`."""
    return subprocess.run(
        [sys.executable, "-m", "hookscope", "bench", *args, "--data-dir", str(tmp / "data")],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("hookscope-scale-"))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_scale_json_has_every_figure_and_the_store_is_removed(tmp_path: Path) -> None:
    done = bench(tmp_path, "--scale", "2000", "--json")

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress lines in --json mode, no warnings
    result = json.loads(done.stdout)
    assert result["captures"] == 2000
    assert sum(result["kinds"].values()) == 2000
    assert set(result["kinds"]) == {
        "kardow",
        "kardow-bad",
        "kardow-unsigned",
        "kudoz",
        "form",
        "get",
    }
    # Rows of the size the store had (2.7 GB for a million), and their index on top.
    assert 1000 < result["average_body_bytes"] < 2000
    assert result["file_bytes"] > 2000 * 2000
    assert result["build_per_second"] > 0
    assert result["index_per_second"] > 0
    assert result["first_page_ms"] > 0
    assert result["cli_startup_ms"] > 0
    searches = {s["name"]: s for s in result["searches"]}
    assert set(searches) == {"rare", "common", "prefix", "combined"}
    # Every search finds exactly what was generated with its word.
    assert searches["rare"]["expected"] == 1
    assert searches["common"]["expected"] == 600  # three in ten
    assert searches["prefix"]["expected"] == 600
    assert 0 < searches["combined"]["expected"] < 600
    for search in searches.values():
        assert search["count"] == search["expected"], search
        assert search["first_page_ms"] > 0
        assert 0 < search["cli_query_ms"] < search["cli_ms"]
    window = result["window"]
    assert window is not None, result["window_note"]
    assert window["first_rows"] > 0
    assert window["usable_ms"] > 0
    assert window["reached_end"] is True
    assert window["rows_in_model"] >= 1
    assert window["peak_rss_mb"] >= window["rss_after_start_mb"] > 0
    typed = {s["name"]: s for s in window["searches"]}
    assert set(typed) == {"rare", "common", "prefix", "combined", "over another"}
    for name in ("rare", "common", "prefix", "combined"):
        # The window finds what the storage part counted, and shows its rows and its count.
        assert typed[name]["count"] == searches[name]["count"], typed[name]
        assert typed[name]["exact"] is True
        assert typed[name]["rows_ms"] > 0
        assert typed[name]["count_ms"] >= typed[name]["rows_ms"]
    assert typed["combined"]["verdict"] == "verified"
    # The rare word entered over the common one still being read: the rare one's rows win.
    assert typed["over another"]["count"] == searches["rare"]["count"]
    assert result["retention"] is not None or result["retention_note"]
    assert result["delete_all_seconds"] > 0
    assert result["file_after_delete_bytes"] > 0
    assert result["kept_in"] is None
    assert leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_from_measures_a_copy_of_a_kept_store_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    built = bench(tmp_path, "--scale", "1000", "--keep", str(kept), "--json")
    assert built.returncode == 0, built.stderr
    first = json.loads(built.stdout)
    files = {p.name: p.stat().st_mtime_ns for p in kept.iterdir()}

    again = bench(tmp_path, "--from", str(kept), "--json")

    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    for name in ("captures", "kinds", "build_seconds", "index_seconds"):
        assert result[name] == first[name], name
    assert [s["count"] for s in result["searches"]] == [s["expected"] for s in first["searches"]]
    assert result["window"] is not None, result["window_note"]
    assert result["delete_all_seconds"] > 0  # measured on the copy
    assert result["kept_in"] is None
    assert {p.name: p.stat().st_mtime_ns for p in kept.iterdir()} == files
    assert leftovers(tmp_path) == []


def test_from_a_folder_without_a_kept_store_is_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["bench", "--from", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"hookscope: {tmp_path} holds no store kept by `bench --scale N --keep` (its"
        " bench-scale.json is missing or unreadable).\n"
    )
    assert main(["bench", "--from", str(tmp_path), "--scale", "1000"]) == 1
    assert "leave --scale out" in capsys.readouterr().err


@pytest.mark.parametrize("scale", ["999", "5000001", "-3", "0"])
def test_a_scale_out_of_range_is_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scale: str
) -> None:
    assert main(["bench", f"--scale={scale}", "--keep", str(tmp_path / "kept")]) == 1
    assert capsys.readouterr().err == (
        f"hookscope: --scale takes from 1,000 to 5,000,000 captures, not {int(scale):,}.\n"
    )
    assert not (tmp_path / "kept").exists()


def test_thousands_separators_are_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--scale", "5,000,001"]) == 1
    assert "not 5,000,001." in capsys.readouterr().err


def test_scale_that_is_not_a_number_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "--scale", "lots"])

    assert exited.value.code == 2
    assert "'lots' is not a whole number" in capsys.readouterr().err


def test_keep_needs_scale(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["bench", "--keep", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        "hookscope: --keep goes with --scale N: it keeps the store that builds.\n"
    )


def test_keep_refuses_a_folder_in_use(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    assert main(["bench", "--scale", "1000", "--keep", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"hookscope: {tmp_path} is not an empty folder; --keep needs a new or empty one.\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_ctrl_c_while_building_removes_the_store(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "hookscope", "bench", "--scale", "1000000"]
    child = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        assert child.stderr is not None
        # "building 1,000,000 captures...": the store exists and is being filled.
        assert child.stderr.readline().startswith("building")
        assert leftovers(tmp_path)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)

    assert child.returncode == 130
    assert err.strip().splitlines() == ["hookscope: bench interrupted."]
    assert leftovers(tmp_path) == []


def test_the_searched_words_appear_exactly_where_counted() -> None:
    generator = Generator(20_000)
    captures = [c for batch in generator.batches(4000) for c in batch]

    def holding(word: str) -> int:
        return sum(
            word in (c.body + c.request.target.encode() + repr(c.headers).encode()).decode()
            for c in captures
        )

    assert generator.expected.rare == holding(RARE_WORD) == 2
    assert generator.expected.common == holding(COMMON_WORD) == holding(PREFIX) == 6000
    assert not any(PREFIX in word or RARE_WORD[:4] in word for word in VOCABULARY)
    verified = sum(
        COMMON_WORD.encode() in c.body and c.verdict.verdict == "verified" for c in captures
    )
    assert generator.expected.common_verified == verified


def test_the_same_seed_builds_the_same_store() -> None:
    first = [c.body for c in Generator(300).batches(300).__next__()]
    again = [c.body for c in Generator(300).batches(300).__next__()]
    assert first == again


@dataclass(frozen=True)
class Policy:
    max_captures: int = 0
    max_days: int = 0


def test_pruning_is_timed_through_the_stores_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_store(tmp_path)
    for batch in Generator(1000).batches(1000):
        insert_captures(db, batch)
    db.close()
    told: list[Policy] = []

    def prune_all(db: Database, policy: Policy) -> int:  # the retention module's contract
        told.append(policy)
        return delete_oldest(db, newest_and_count(db)[0] - policy.max_captures, 1000)

    retention = ModuleType("hookscope.storage.retention")
    retention.prune_all = prune_all  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hookscope.storage.retention", retention)
    monkeypatch.setattr(model, "RetentionPolicy", Policy, raising=False)

    timing, note = bench_scale._prune(tmp_path, 900)

    assert note == ""
    assert told == [Policy(max_captures=900)]
    assert timing is not None
    assert timing.pruned == 100
    assert timing.per_second > 0
    assert timing.file_after_bytes > 0


def test_pruning_without_retention_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hookscope.storage.retention", None)

    assert bench_scale._prune(tmp_path, 900) == (None, "not available in this version")
