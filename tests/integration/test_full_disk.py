"""A store that cannot write: the sender gets 503 and never a 2xx for what was not kept.

The disk is really full: the data folder lives on a small filesystem of its own (a tmpfs, which
needs root to mount; CI runs as root) that a filler file fills to the last byte. Nothing of
SQLite or of the writer is patched.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookscope.engine import Engine
from hookscope.storage.captures import get_capture
from hookscope.storage.db import open_store
from tests.integration.conftest import Reply, http, listener_port

pytestmark = pytest.mark.slow  # mounts a filesystem with mount(8)

SIZE = "4m"
BODY = bytes(range(256)) * 256  # 64 KiB, binary: stored whole, never indexed as text


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An empty filesystem of SIZE of its own, so that filling it fills nothing else."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a small filesystem (root is needed): {mounted.stderr.strip()}"
        if os.environ.get("HOOKSCOPE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{reason}, and HOOKSCOPE_REQUIRE_TOOLS=1 requires it")
        pytest.skip(reason)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem has no byte left; the file."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    chunk = b"\xff" * 65536
    try:
        with pytest.raises(OSError, match="No space left") as full:  # noqa: PT012 (a loop)
            while True:
                os.write(fd, chunk)
    finally:
        os.close(fd)
    assert full.value.errno == errno.ENOSPC, full.value
    return filler


def deliver(port: int, path: str) -> Reply:
    return http(port, "POST", path, [("Content-Type", "application/octet-stream")], BODY)


def test_a_full_disk_answers_503_and_every_2xx_was_kept(small_disk: Path) -> None:
    data = small_disk / "data"
    engine = Engine(data, overrides={"host": "127.0.0.1", "port": 0, "api_port": 0})
    engine.start()
    try:
        port = listener_port(engine)
        assert deliver(port, "/before").status == 200
        filler = fill(small_disk)

        # Space already inside the store's files may take a few more; then the disk refuses.
        replies = [deliver(port, f"/full/{n}") for n in range(64)]
        statuses = {reply.status for reply in replies}
        assert statuses <= {200, 503}, statuses
        refused = [reply for reply in replies if reply.status == 503]
        assert refused, "every delivery was acknowledged on a full disk"
        for reply in refused:
            assert reply.json()["error"]["code"] == "not_stored"
            assert "could not be stored" in reply.json()["error"]["message"]
            assert reply.header("Retry-After") is not None
        kept = [reply.json()["capture_id"] for reply in replies if reply.status == 200]

        filler.unlink()  # space comes back: deliveries are kept again, with no restart
        after = deliver(port, "/after")
        assert after.status == 200
        kept.append(after.json()["capture_id"])
    finally:
        engine.stop()

    with open_store(data) as db:
        for capture_id in kept:
            capture = get_capture(db, capture_id)
            assert capture is not None, f"capture {capture_id} was acknowledged but not kept"
            assert capture.body == BODY
