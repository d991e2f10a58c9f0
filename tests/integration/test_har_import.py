"""HAR export, import, export again, over real captures and the real command line."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from hookscope.core.harimport import HarError
from hookscope.core.providers import kardow
from hookscope.engine import Engine
from hookscope.storage.captures import get_capture, newest_and_count
from hookscope.storage.db import open_store
from tests.integration.conftest import hookscope, http, listener_port, stored

SECRET = "har-secret-0123456789"
GZIPPED = gzip.compress(b'{"event": "job.created", "compressed": true}', mtime=0)


def deliver_awkward(engine: Engine) -> list[int]:
    """Real deliveries: binary, gzip (kept compressed), duplicate headers and cookies."""
    port = listener_port(engine)
    replies = [
        http(port, "PUT", "/bin?x=1", [("Content-Type", "application/octet-stream")],
             bytes(range(256)) * 3),
        http(port, "POST", "/gz", [("Content-Type", "application/json"),
                                   ("Content-Encoding", "gzip")], GZIPPED),
        http(port, "POST", "/dup?a=1&a=2", [("X-Dup", "one"), ("Cookie", "sid=abc; theme=dark"),
                                            ("X-Dup", "two"), ("x-dup", "three")], b"text"),
        http(port, "GET", "/empty"),
    ]  # fmt: skip
    return [reply.json()["capture_id"] for reply in replies]


def requests_of(har_file: Path) -> list[tuple[str, str, list[tuple[str, str]], bytes]]:
    """Each entry's method, URL, headers in order and body bytes."""
    found = []
    for entry in json.loads(har_file.read_text("utf-8"))["log"]["entries"]:
        request = entry["request"]
        post: dict[str, Any] = request.get("postData") or {}
        body = post.get("text", "")
        data = base64.b64decode(body) if post.get("encoding") == "base64" else body.encode()
        headers = [(h["name"], h["value"]) for h in request["headers"]]
        found.append((request["method"], request["url"], headers, data))
    return found


def export(data_dir: Path, har_file: Path) -> None:
    done = hookscope(data_dir, "captures", "export", "--format", "har", "--out", str(har_file))
    assert done.returncode == 0, done.stderr


def count(data_dir: Path) -> int:
    db = open_store(data_dir)
    try:
        return newest_and_count(db)[1]
    finally:
        db.close()


@pytest.mark.slow
def test_export_import_export_gives_the_same_requests(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    ids = deliver_awkward(engine)
    first, second, other = tmp_path / "first.har", tmp_path / "second.har", tmp_path / "other"
    export(data_dir, first)
    imported = hookscope(other, "captures", "import", str(first))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == "imported 4 captures: #1 to #4\n"
    export(other, second)

    assert requests_of(second) == requests_of(first)
    assert requests_of(first)[1][3] == GZIPPED  # compressed, as it arrived
    db = open_store(other)
    try:
        for new_id, old_id in enumerate(ids, 1):
            old, new = stored(data_dir, old_id), get_capture(db, new_id)
            assert new is not None
            assert (new.method, new.target, tuple(new.headers), new.body) == (
                old.method,
                old.target,
                tuple(old.headers),
                old.body,
            )
            assert new.response == old.response
            assert new.imported_from == "first.har"
            assert old.imported_from is None
    finally:
        db.close()
    entry = json.loads(second.read_text("utf-8"))["log"]["entries"][2]
    assert entry["request"]["cookies"] == [
        {"name": "sid", "value": "abc"},
        {"name": "theme", "value": "dark"},
    ]
    assert entry["timings"]["send"] >= 0  # the listener's own time survives the trip
    shown = hookscope(other, "captures", "show", "3")
    assert "Imported from first.har (not received live)" in shown.stdout
    as_json = json.loads(hookscope(other, "captures", "show", "3", "--json").stdout)
    assert as_json["imported_from"] == "first.har"


@pytest.mark.slow
def test_an_imported_kardow_delivery_is_verified_with_the_stored_secret(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    body = b'{"event": "job.created", "organization_id": 42, "data": {"id": 1}}'
    signature = [("Content-Type", "application/json"), (kardow.HEADER, kardow.sign(SECRET, body))]
    http(listener_port(engine), "POST", "/kardow", signature, body)
    har_file, other, bare = tmp_path / "k.har", tmp_path / "other", tmp_path / "bare"
    export(data_dir, har_file)
    added = hookscope(other, "secrets", "add", "kardow", "prod", "--secret", SECRET)
    assert added.returncode == 0, added.stderr

    assert hookscope(other, "captures", "import", str(har_file)).returncode == 0
    assert hookscope(bare, "captures", "import", str(har_file)).returncode == 0

    (verified,) = json.loads(hookscope(other, "captures", "list", "--json").stdout)
    assert (verified["provider"], verified["verdict"]) == ("kardow", "verified")
    (unknown,) = json.loads(hookscope(bare, "captures", "list", "--json").stdout)
    assert unknown["verdict"] == "no-secret"


BAD_FILES = {
    "not-json": (b"<html>not json</html>", "is not a HAR file: it is not JSON"),
    "json-not-har": (b'{"entries": []}', "is not a HAR file: it has no log"),
    "entry-without-request": (
        b'{"log": {"entries": [{"startedDateTime": "2025-01-01T00:00:00Z",'
        b' "request": {"method": "GET", "url": "http://h/"}}, {"response": {}}]}}',
        "Entry 2 of bad.har has no request.",
    ),
    "wrong-base64": (
        b'{"log": {"entries": [{"startedDateTime": "2025-01-01T00:00:00Z", "request":'
        b' {"method": "POST", "url": "http://h/", "headers": [],'
        b' "postData": {"text": "@@@", "encoding": "base64"}}}]}}',
        "Entry 1 of bad.har has its request body marked base64 that is not valid base64.",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_is_one_sentence_and_nothing_is_stored(
    data_dir: Path, tmp_path: Path, kind: str
) -> None:
    data, sentence = BAD_FILES[kind]
    bad = tmp_path / "bad.har"
    bad.write_bytes(data)
    result = hookscope(data_dir, "captures", "import", str(bad))
    assert result.returncode == 1
    assert sentence in result.stderr
    assert result.stderr.startswith("hookscope: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert count(data_dir) == 0


@pytest.mark.slow
def test_a_300_mb_file_is_refused_without_reading_it(data_dir: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.har"
    with huge.open("wb") as handle:  # sparse: the test writes almost nothing
        handle.truncate(300 * 1024 * 1024)
    result = hookscope(data_dir, "captures", "import", str(huge))
    assert result.returncode == 1
    assert result.stderr == "hookscope: huge.har is over the 128 MB limit for an import.\n"
    assert count(data_dir) == 0


@pytest.mark.slow
def test_a_missing_file_or_a_folder_is_one_sentence(data_dir: Path, tmp_path: Path) -> None:
    missing = hookscope(data_dir, "captures", "import", str(tmp_path / "nope.har"))
    assert missing.returncode == 1
    assert missing.stderr.endswith("nope.har: no such file.\n")
    folder = hookscope(data_dir, "captures", "import", str(tmp_path))
    assert folder.returncode == 1
    assert "it is a folder, not a HAR file." in folder.stderr


@pytest.mark.slow
def test_the_engine_imports_all_or_nothing_and_announces_the_new_ids(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    deliver_awkward(engine)
    heard: list[list[int]] = []
    announced = threading.Event()

    def listener(ids: list[int]) -> None:
        heard.append(ids)
        announced.set()

    har_file = tmp_path / "a.har"
    export(data_dir, har_file)
    good = json.loads(har_file.read_text("utf-8"))
    engine.on_captures(listener)
    ids = engine.call(engine.import_har(har_file)).result(30)
    assert ids == [5, 6, 7, 8]
    assert announced.wait(10)
    assert heard == [ids]

    good["log"]["entries"].append({"request": None})
    with pytest.raises(HarError, match="Entry 5 of the file has no request"):
        engine.call(engine.import_har(json.dumps(good).encode())).result(30)
    assert count(data_dir) == 8


@pytest.mark.slow
def test_a_har_on_standard_input_is_imported(data_dir: Path) -> None:
    entry = {
        "startedDateTime": "2025-01-01T00:00:00Z",
        "request": {"method": "PUT", "url": "http://h/in?q=1", "headers": [{"name": "A",
                    "value": "1"}], "postData": {"text": "/w==", "encoding": "base64"}},
    }  # fmt: skip
    data = json.dumps({"log": {"entries": [entry]}}).encode()
    command = [sys.executable, "-m", "hookscope", "captures", "import", "-"]
    result = subprocess.run(
        [*command, "--data-dir", str(data_dir)], input=data, capture_output=True, timeout=90
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"imported 1 capture: #1 to #1\n"
    capture = stored(data_dir, 1)
    assert (capture.method, capture.target, tuple(capture.headers)) == (
        "PUT",
        "/in?q=1",
        (("A", "1"),),
    )
    assert capture.body == b"\xff"
    assert capture.imported_from == "standard input"
    refused = subprocess.run(
        [*command, "--data-dir", str(data_dir)], input=b"{}", capture_output=True, timeout=90
    )
    assert refused.returncode == 1
    assert refused.stderr == (
        b"hookscope: standard input is not a HAR file: it has no log with a list of entries.\n"
    )
