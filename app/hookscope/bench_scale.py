"""`hookscope bench --scale N`: a store of N realistic captures, built through Hookscope's own
storage code, and how Hookscope copes with it: file size, window start, first page, searches,
scrolling to the oldest capture, memory, retention pruning and delete all."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from hookscope.bench_scale_data import COMMON_WORD, PREFIX, RARE_WORD, SEED, Expected, Generator
from hookscope.core.model import CaptureQuery
from hookscope.engine import Engine
from hookscope.storage.captures import count, index_pending, list_summaries, newest_and_count
from hookscope.storage.db import open_store
from hookscope.storage.paths import db_path
from hookscope.storage.writer import insert_captures

MIN_SCALE = 1_000
MAX_SCALE = 5_000_000
BATCH = 5_000  # captures per transaction while building
INDEX_BATCH = 2_000  # captures per indexing transaction while building
PAGE = 200  # the window's page
PRUNE_SHARE = 10  # retention keeps all but a tenth: the pruning rate is measured on that tenth
WINDOW_TIMEOUT = 900.0  # seconds for the window's whole measurement (1M rows to scroll)
CLI_TIMEOUT = 300.0

Progress = Callable[[str], None]


class ScaleError(ValueError):
    """The bench cannot run as asked; the message is one sentence for the user."""


def check_scale(count: int) -> str | None:
    """Why `count` captures is not a store size the bench builds (None: it is)."""
    if count < MIN_SCALE or count > MAX_SCALE:
        return f"--scale takes from {MIN_SCALE:,} to {MAX_SCALE:,} captures, not {count:,}."
    return None


@dataclass(frozen=True, slots=True)
class SearchTiming:
    """One search on the store: through the storage functions and through the CLI."""

    name: str
    search: str
    verdict: str | None
    expected: int  # how many captures were generated with the word (and the verdict)
    count: int
    first_page_ms: float
    count_ms: float
    cli_ms: float  # `captures list --search` in a child process, start to exit
    cli_query_ms: float  # the same command's own time in that process, its start left out


@dataclass(frozen=True, slots=True)
class WindowSearch:
    """One search typed in the window, timed from the end of the typing pause (from the Enter,
    for one entered over another still being read)."""

    name: str
    search: str
    verdict: str | None
    rows_ms: float | None  # until its first rows are painted (None: they never came)
    count_ms: float | None  # until its count is shown
    rows: int
    count: int
    exact: bool  # False: the count says "10,000+"
    stall_ms: float  # the longest the window's loop did not run meanwhile
    gui_cpu_ms: float  # the GUI thread's own processor time meanwhile


@dataclass(frozen=True, slots=True)
class WindowTiming:
    """The real window, in its own process, opened on the store."""

    usable_ms: float  # from the process start until the window shows its first page
    first_rows: int
    rss_after_start_mb: float
    scroll_to_end_ms: float
    reached_end: bool
    rows_in_model: int  # rows the list model held once at the end
    peak_rss_mb: float
    searches: tuple[WindowSearch, ...] = ()


@dataclass(frozen=True, slots=True)
class PruneTiming:
    pruned: int
    seconds: float  # deleting them and giving their space back
    per_second: float
    file_after_bytes: int


@dataclass
class ScaleResult:
    captures: int
    seed: int
    kinds: dict[str, int]
    average_body_bytes: float
    build_seconds: float
    build_per_second: float
    index_seconds: float
    index_per_second: float
    file_bytes: int
    bytes_per_capture: float
    first_page_ms: float
    count_all_ms: float
    cli_startup_ms: float  # `captures list --limit 1` in a child process, start to exit
    searches: list[SearchTiming] = field(default_factory=list)
    window: WindowTiming | None = None
    window_note: str = ""
    retention: PruneTiming | None = None
    retention_note: str = ""
    delete_all_seconds: float | None = None
    file_after_delete_bytes: int | None = None
    kept_in: str | None = None


BUILT = "bench-scale.json"  # beside a kept store: how it was built, for --from


def run(
    scale: int | None,
    keep: Path | None = None,
    progress: Progress | None = None,
    source: Path | None = None,
) -> ScaleResult:
    """Build the store (in `keep`, else a temporary folder removed at the end), measure it.

    With `keep`, the store is left whole: pruning and delete all are not measured. With
    `source`, a store an earlier run kept is copied instead of built (it is left as it was),
    so a change is measured on the same captures.
    """
    say = progress or (lambda _: None)
    with _store_folder(keep) as directory:
        if source is None:
            assert scale is not None
            result, expected = _build(directory, scale, say)
            if keep is not None:
                (directory / BUILT).write_text(_built_json(result, expected))
        else:
            result, expected = _copied(source, directory, say)
            scale = result.captures
        _measure_reads(directory, result, expected, say)
        say("opening the window on it...")
        result.window, result.window_note = _window(directory, oldest=1)
        if keep is None:
            say("pruning the oldest tenth, as retention would...")
            result.retention, result.retention_note = _prune(
                directory, scale - scale // PRUNE_SHARE
            )
            say("deleting all captures...")
            result.delete_all_seconds, result.file_after_delete_bytes = _delete_all(directory)
        else:
            result.retention_note = "not measured: --keep keeps the store whole"
            result.kept_in = str(directory)
        return result


@contextmanager
def _store_folder(keep: Path | None) -> Iterator[Path]:
    """The folder to build in: `keep` (new or empty), else a temporary one, removed at the end
    whatever happens (Ctrl+C included)."""
    if keep is not None:
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise ScaleError(f"{keep} is not an empty folder; --keep needs a new or empty one.")
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="hookscope-scale-") as tmp:
        yield Path(tmp)


def _build(directory: Path, scale: int, say: Progress) -> tuple[ScaleResult, Expected]:
    """Insert `scale` captures through the writer's insert path, then index them as the writer
    does when idle; time both."""
    generator = Generator(scale)
    db = open_store(directory)
    try:
        say(f"building {scale:,} captures...")
        started = time.perf_counter()
        done = 0
        for batch in generator.batches(BATCH):
            insert_captures(db, batch)
            done += len(batch)
            if done % (scale // 10 or 1) < BATCH:
                say(f"  {done:,} stored")
        built = time.perf_counter() - started
        say("building the search index...")
        started = time.perf_counter()
        done = 0
        while index_pending(db, INDEX_BATCH):
            done += INDEX_BATCH
            if done % (scale // 10 or 1) < INDEX_BATCH:
                say(f"  {done:,} indexed")
        indexed = time.perf_counter() - started
    finally:
        db.close()  # the last connection: SQLite checkpoints the log into the file
    expected = generator.expected
    size = store_bytes(directory)
    result = ScaleResult(
        captures=scale,
        seed=SEED,
        kinds=dict(expected.kinds),
        average_body_bytes=round(expected.body_bytes / scale, 1),
        build_seconds=round(built, 2),
        build_per_second=round(scale / built),
        index_seconds=round(indexed, 2),
        index_per_second=round(scale / indexed),
        file_bytes=size,
        bytes_per_capture=round(size / scale, 1),
        first_page_ms=0.0,
        count_all_ms=0.0,
        cli_startup_ms=0.0,
    )
    return result, expected


def _built_json(result: ScaleResult, expected: Expected) -> str:
    built = {name: getattr(result, name) for name in _BUILD_FIGURES}
    # Not asdict(): it rebuilds a Counter from (key, value) pairs, counting the pairs.
    counts = {f.name: getattr(expected, f.name) for f in fields(expected)}
    return json.dumps({**built, "expected": {**counts, "kinds": dict(expected.kinds)}})


_BUILD_FIGURES = (
    "captures",
    "seed",
    "kinds",
    "average_body_bytes",
    "build_seconds",
    "build_per_second",
    "index_seconds",
    "index_per_second",
)


def _copied(source: Path, directory: Path, say: Progress) -> tuple[ScaleResult, Expected]:
    """Copy a store an earlier run kept (with the figures of its build) into `directory`."""
    try:
        built = json.loads((source / BUILT).read_text())
        counts = built.pop("expected")
        expected = Expected(**{**counts, "kinds": Counter(counts["kinds"])})
        figures = {name: built[name] for name in _BUILD_FIGURES}
    except (OSError, ValueError, TypeError, KeyError):
        raise ScaleError(
            f"{source} holds no store kept by `bench --scale N --keep` (its {BUILT} is missing"
            " or unreadable)."
        ) from None
    say(f"copying the store in {source}...")
    path = db_path(source)
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            shutil.copyfile(part, directory / part.name)
    size = store_bytes(directory)
    result = ScaleResult(
        **figures,
        file_bytes=size,
        bytes_per_capture=round(size / figures["captures"], 1),
        first_page_ms=0.0,
        count_all_ms=0.0,
        cli_startup_ms=0.0,
    )
    return result, expected


def store_bytes(directory: Path) -> int:
    """The store's size on disk: the database file and its write-ahead log."""
    path = db_path(directory)
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _measure_reads(directory: Path, result: ScaleResult, expected: Expected, say: Progress) -> None:
    say("reading pages and searching...")
    db = open_store(directory, check=False)
    try:
        started = time.perf_counter()
        list_summaries(db, CaptureQuery(limit=PAGE))
        result.first_page_ms = _ms(started)
        started = time.perf_counter()
        count(db, CaptureQuery())
        result.count_all_ms = _ms(started)
        result.cli_startup_ms = _cli(directory)[0]
        searches = (
            ("rare", RARE_WORD, None, expected.rare),
            ("common", COMMON_WORD, None, expected.common),
            ("prefix", PREFIX, None, expected.common),
            ("combined", COMMON_WORD, "verified", expected.common_verified),
        )
        for name, words, verdict, wanted in searches:
            result.searches.append(_search(db, directory, (name, words, verdict, wanted)))
    finally:
        db.close()


def _search(
    db: Database, directory: Path, search: tuple[str, str, str | None, int]
) -> SearchTiming:
    name, words, verdict, expected = search
    query = CaptureQuery(search=words, verdict=verdict, limit=PAGE)
    started = time.perf_counter()
    list_summaries(db, query)
    first_page = _ms(started)
    started = time.perf_counter()
    matching = count(db, query)
    counting = _ms(started)
    flags = ["--search", words, *(["--verdict", verdict] if verdict else [])]
    cli, own = _cli(directory, *flags)
    return SearchTiming(
        name=name,
        search=words,
        verdict=verdict,
        expected=expected,
        count=matching,
        first_page_ms=first_page,
        count_ms=counting,
        cli_ms=cli,
        cli_query_ms=own,
    )


# `hookscope captures list ...` as `python -m hookscope` runs it, timing the command itself once
# Python and the package are loaded (printed last on stderr): the part a faster query shortens.
_TIMED_CLI = """
import sys, time
from hookscope.cli import main
started = time.perf_counter()
status = main(sys.argv[1:])
print(f"{(time.perf_counter() - started) * 1000:.1f}", file=sys.stderr)
sys.exit(status)
"""


def _cli(directory: Path, *flags: str) -> tuple[float, float]:
    """`hookscope captures list` in a child process: milliseconds from its start to its exit,
    and of the command's own run inside it."""
    limit = ["--limit", "50"] if flags else ["--limit", "1"]
    command = [sys.executable, "-c", _TIMED_CLI, "captures", "list", "--json", *limit, *flags]
    started = time.perf_counter()
    finished = subprocess.run(
        [*command, "--data-dir", str(directory)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    return _ms(started), float(finished.stderr.split()[-1])


def _window(directory: Path, oldest: int) -> tuple[WindowTiming | None, str]:
    """Start the window in its own process on the store (offscreen) and read its figures;
    `oldest` is the id of the row its list ends with."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "hookscope.ui.bench_scale_gui", str(directory)]
    try:
        finished = subprocess.run(
            [
                *command,
                str(oldest),
                repr(time.time()),
                "--searches",
                RARE_WORD,
                COMMON_WORD,
                PREFIX,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=WINDOW_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"the window did not finish within {WINDOW_TIMEOUT:.0f} s"
    lines = finished.stdout.strip().splitlines()
    if finished.returncode != 0 or not lines:
        problem = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"the window could not be measured: {problem}"
    figures = json.loads(lines[-1])
    figures["searches"] = tuple(WindowSearch(**s) for s in figures.get("searches", ()))
    return WindowTiming(**figures), ""


def _prune(directory: Path, keep: int) -> tuple[PruneTiming | None, str]:
    """Prune down to `keep` captures as retention does, when this version has retention
    (`storage.retention.prune_all`: the writer's background steps, one after the other)."""
    try:
        retention = importlib.import_module("hookscope.storage.retention")
    except ModuleNotFoundError:
        return None, "not available in this version"
    prune_all: Any = getattr(retention, "prune_all", None)
    policy: Any = getattr(importlib.import_module("hookscope.core.model"), "RetentionPolicy", None)
    if not callable(prune_all) or policy is None:
        return None, "not measured: this version's retention has no prune_all(db, policy)"
    db = open_store(directory, check=False)
    try:
        before = newest_and_count(db)[1]
        started = time.perf_counter()
        prune_all(db, policy(max_captures=keep))
        seconds = time.perf_counter() - started
        pruned = before - newest_and_count(db)[1]
    finally:
        db.close()
    rate = round(pruned / seconds) if seconds > 0 else 0
    return PruneTiming(pruned, round(seconds, 2), rate, store_bytes(directory)), ""


def _delete_all(directory: Path) -> tuple[float, int]:
    """Delete every capture as the window's "Delete all" does (through the engine); the time
    it took and the store's size after."""
    engine = Engine(directory, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start(listen=False)
    try:
        started = time.perf_counter()
        engine.call(engine.delete_all()).result(timeout=3600)
        seconds = time.perf_counter() - started
    finally:
        engine.stop()
    return round(seconds, 2), store_bytes(directory)


def _window_search(search: WindowSearch) -> str:
    label = f"{search.name} {search.search!r}" + (f" +{search.verdict}" if search.verdict else "")
    count = f"{search.count:,}" + ("" if search.exact else "+")
    return (
        f"  window search {label:<30} rows in {search.rows_ms} ms, count {count} in"
        f" {search.count_ms} ms, longest stall {search.stall_ms} ms"
        f" (GUI thread busy {search.gui_cpu_ms} ms)"
    )


def as_json(result: ScaleResult) -> str:
    return json.dumps(asdict(result), indent=2)


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def report(result: ScaleResult) -> str:
    lines = [
        f"a store of {result.captures:,} captures (seed {result.seed}; average body"
        f" {result.average_body_bytes:,.0f} bytes)",
        f"  built in {result.build_seconds} s ({result.build_per_second:,}/s), search index in"
        f" {result.index_seconds} s ({result.index_per_second:,}/s)",
        f"  file size {_mb(result.file_bytes)} ({result.bytes_per_capture:,.0f} bytes a capture)",
        f"  first page {result.first_page_ms} ms, count of all {result.count_all_ms} ms",
        f"  captures list without a search (process start to exit): {result.cli_startup_ms} ms",
        f"  {'search':<34} found/expected  first page       count    CLI (its own)",
    ]
    for s in result.searches:
        label = f"{s.name} {s.search!r}" + (f" +{s.verdict}" if s.verdict else "")
        lines.append(
            f"  {label:<34} {s.count:>7,}/{s.expected:<7,} {s.first_page_ms:>8} ms"
            f" {s.count_ms:>8} ms {s.cli_ms:>7.0f} ms ({s.cli_query_ms} ms)"
        )
    window = result.window
    if window is None:
        lines.append(f"  window: {result.window_note}")
    else:
        end = "reached" if window.reached_end else "NOT reached"
        lines += [
            f"  window usable after {window.usable_ms} ms ({window.first_rows} rows),"
            f" RSS {window.rss_after_start_mb} MB",
            f"  scroll to the oldest capture: {window.scroll_to_end_ms} ms ({end},"
            f" {window.rows_in_model:,} rows in the model), peak RSS {window.peak_rss_mb} MB",
        ]
        lines += [_window_search(s) for s in window.searches]
    if result.retention is None:
        lines.append(f"  retention pruning: {result.retention_note}")
    else:
        prune = result.retention
        lines.append(
            f"  retention pruning: {prune.pruned:,} captures in {prune.seconds} s"
            f" ({prune.per_second:,}/s), file size after {_mb(prune.file_after_bytes)}"
        )
    if result.delete_all_seconds is not None and result.file_after_delete_bytes is not None:
        lines.append(
            f"  delete all: {result.delete_all_seconds} s, file size after"
            f" {_mb(result.file_after_delete_bytes)}"
        )
    if result.kept_in:
        lines.append(f"  the store is kept in {result.kept_in}")
    return "\n".join(lines)
