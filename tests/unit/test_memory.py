"""Startup objects are frozen out of cycle collections; later garbage is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from hookscope.memory import freeze_startup_objects


@pytest.fixture
def frozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cycle collector frees it


def test_what_lives_at_startup_is_frozen_and_later_cycles_still_go(frozen: None) -> None:
    kept = Node()
    assert freeze_startup_objects() > 1000  # the interpreter and this session, at least
    assert gc.is_tracked(kept)
    assert kept not in gc.get_objects()  # frozen: no generation holds it any more

    later = Node()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None
