"""`hookscope captures list --search` as a user runs it: the window's search language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_capture
from tests.integration.conftest import hookscope
from tests.unit.test_cli import store


@pytest.mark.slow
def test_captures_list_search_in_a_child_process(data_dir: Path) -> None:
    munich, active, literal = store(
        data_dir,
        make_capture(path="/cities/munich", body=b""),
        make_capture(body=json.dumps({"data": {"status": "active", "note": "café"}}).encode()),
        make_capture(body=b"data.status:active as text"),
    )

    def listed(search: str) -> list[int]:
        done = hookscope(data_dir, "captures", "list", "--json", "--search", search)
        assert done.returncode == 0, done.stderr
        return [row["id"] for row in json.loads(done.stdout)]

    assert listed("nich") == [munich]
    assert listed("é") == [active]
    assert listed("data.status:active") == [active]
    assert listed('"data.status:active"') == [literal]

    done = hookscope(data_dir, "captures", "list", "--search", 'data.status:"act')
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        'hookscope: The search has a quote that is not closed: end the phrase with ", or remove'
        " the quote.\n"
    )


# What a read-only command must not load: the engine and its HTTP stack take most of a
# command's start-up, and `captures list` needs neither.
HEAVY = ("aiohttp", "hookscope.engine", "hookscope.net")


def test_captures_list_loads_neither_the_engine_nor_aiohttp(data_dir: Path) -> None:
    store(data_dir, make_capture(path="/kubernetes"))
    probe = (
        "import sys\n"
        "from hookscope.cli import main\n"
        "status = main(sys.argv[1:])\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "captures", "list", "--json", "--search", "kubern"],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "HOOKSCOPE_DATA_DIR": str(data_dir)},
    )

    assert done.returncode == 0, done.stderr
    assert [row["path"] for row in json.loads(done.stdout)] == ["/kubernetes"]
    assert done.stderr.strip() == "[]"
