"""A group of captures is one guarded statement, and another writer never makes an id repeat.

The writer hands out ids after the last one it wrote without reading the sequence in a
transaction first. These tests write captures from a second connection (as an import from
the command line does, in another process) between the writer's groups.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from hookscope.core.model import DEFAULT_RULE
from hookscope.storage.captures import delete_captures, get_capture
from hookscope.storage.db import open_store
from hookscope.storage.rows import insert_captures, insert_guarded, row_values
from hookscope.storage.writer import CaptureWriter
from tests.conftest import make_capture


def _rows(first: int, count: int) -> list[tuple[object, ...]]:
    return [row_values(make_capture(body=b'{"n": %d}' % i), first + i, None) for i in range(count)]


def _ids(db: object) -> list[int]:
    assert isinstance(db, sqlite3.Connection)
    return [row[0] for row in db.execute("SELECT id FROM captures ORDER BY id")]


def test_rows_go_in_when_the_sequence_ends_where_the_writer_left_it(tmp_path: Path) -> None:
    with open_store(tmp_path) as db:
        first = insert_captures(db, [make_capture()])[0]
        assert insert_guarded(db.conn, _rows(first + 1, 3), first)
        assert _ids(db.conn) == [first, first + 1, first + 2, first + 3]
        assert db.execute("SELECT n FROM capture_total").fetchone()[0] == 4


def test_nothing_goes_in_when_another_writer_moved_the_sequence(tmp_path: Path) -> None:
    with open_store(tmp_path) as db:
        first = insert_captures(db, [make_capture()])[0]
        other = insert_captures(db, [make_capture()])[0]
        delete_captures(db, [other])  # gone, but its id stays used (AUTOINCREMENT)
        assert not insert_guarded(db.conn, _rows(first + 1, 2), first)
        assert _ids(db.conn) == [first]
        assert not db.conn.in_transaction


async def _submit(writer: CaptureWriter, count: int) -> list[int]:
    stored = await asyncio.gather(
        *(writer.submit(make_capture(), DEFAULT_RULE) for _ in range(count))
    )
    return [s.id for s in stored]


def test_the_writer_never_hands_out_an_id_another_process_used(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    writer.start()
    try:
        before = asyncio.run(_submit(writer, 5))
        with open_store(directory) as other:  # another process: an import, then a deletion
            imported = insert_captures(other, [make_capture(), make_capture()])
            delete_captures(other, imported)  # their ids stay used all the same
        after = asyncio.run(_submit(writer, 5))
        again = asyncio.run(_submit(writer, 3))
    finally:
        writer.close()
    assert imported[0] > max(before)
    assert min(after) > max(imported), "an id another writer used was handed out again"
    assert after == list(range(min(after), min(after) + 5))
    assert again == list(range(max(after) + 1, max(after) + 4))
    with open_store(directory) as db:
        stored = [get_capture(db, i) for i in [*before, *after, *again]]
        assert all(capture is not None for capture in stored)
        total = db.execute("SELECT n FROM capture_total").fetchone()[0]
        assert total == len(before) + len(after) + len(again)
        assert total == db.execute("SELECT count(*) FROM captures").fetchone()[0]


def test_each_answer_names_the_id_its_capture_was_stored_under(tmp_path: Path) -> None:
    """The answer's body is rendered with the id before the row is written: after a guarded
    statement was refused, the group is rendered again with the ids it finally got."""
    directory = tmp_path / "data"
    writer = CaptureWriter(directory)
    writer.start()

    async def answers(count: int) -> list[tuple[int, bytes]]:
        stored = await asyncio.gather(
            *(writer.submit(make_capture(), DEFAULT_RULE) for _ in range(count))
        )
        return [(s.id, s.response.body) for s in stored]

    try:
        asyncio.run(answers(2))
        with open_store(directory) as other:
            insert_captures(other, [make_capture()])
        given = asyncio.run(answers(4))
    finally:
        writer.close()
    with open_store(directory) as db:
        for capture_id, body in given:
            assert json.loads(body)["capture_id"] == capture_id
            kept = get_capture(db, capture_id)
            assert kept is not None
            assert kept.response is not None
            assert kept.response.body == body
