"""Two JSON documents compared by path (`data.items[2].title`): added, removed, changed.

Walked without recursion, so any document json.loads returned can be compared. Objects are
compared key by key (their order is not a difference); arrays with difflib's SequenceMatcher,
so an item inserted at the front is one addition, not every item changed. The list of changes
is bounded (MAX_CHANGES) and the rest are counted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from hookscope.core.contentviews import Cancelled, Superseded
from hookscope.core.jsontext import json_type
from hookscope.core.model import display_text

MAX_CHANGES = 200  # changes listed; the others are only counted
MATCH_LIMIT = 5000  # arrays longer than this are compared index by index
VALUE_WIDTH = 80  # characters of a value shown
_CHECK_EVERY = 4096  # values walked between two looks at `cancelled()`
_CHUNK = 256  # items of a long array compared at once before going item by item
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
_MISSING: Any = object()

Pending = list[tuple[str, Any, Any]]


def _never() -> bool:
    return False


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One value that differs, at `path` ("" for the whole document).

    Attributes:
        change: "added" (only in B), "removed" (only in A) or "changed".
        a, b: the value in A and in B as compact JSON, cut to VALUE_WIDTH characters; None
            where it is absent.
        a_type, b_type: "object", "array", "string", "number", "boolean" or "null".
    """

    change: str
    path: str
    a: str | None
    b: str | None
    a_type: str | None
    b_type: str | None

    @property
    def where(self) -> str:
        """The path as shown to people (the whole document has no path)."""
        return self.path or "(the whole body)"

    @property
    def type_changed(self) -> bool:
        return self.change == "changed" and self.a_type != self.b_type

    def as_json(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "path": self.path,
            "a": self.a,
            "b": self.b,
            "a_type": self.a_type,
            "b_type": self.b_type,
        }


def short(value: Any) -> str:
    """`value` as compact JSON, at most VALUE_WIDTH characters (a big value is not encoded
    whole: the encoder's pure-Python generator stops early)."""
    parts: list[str] = []
    length = 0
    for chunk in _ENCODER.iterencode(value):
        parts.append(chunk)
        length += len(chunk)
        if length > VALUE_WIDTH:
            return display_text("".join(parts)[: VALUE_WIDTH - 1] + "…")
    return display_text("".join(parts))


def json_changes(
    a: Any, b: Any, cancelled: Cancelled = _never
) -> tuple[tuple[ValueChange, ...], int]:
    """What differs between documents A and B, in document order: at most MAX_CHANGES
    changes, and how many more there are. `cancelled()` True raises Superseded."""
    listed: list[ValueChange] = []
    count = 0
    pending: Pending = [("", a, b)]
    steps = 0
    while pending:
        path, x, y = pending.pop()
        steps += 1
        if steps % _CHECK_EVERY == 0 and cancelled():
            raise Superseded
        change = _step(path, x, y, pending)
        if change is None:
            continue
        count += 1
        if len(listed) < MAX_CHANGES:
            listed.append(_change(change, path, x, y))
    return tuple(listed), count - len(listed)


def _change(change: str, path: str, x: Any, y: Any) -> ValueChange:
    a = None if x is _MISSING else x
    b = None if y is _MISSING else y
    return ValueChange(
        change,
        path,
        None if x is _MISSING else short(a),
        None if y is _MISSING else short(b),
        None if x is _MISSING else json_type(a),
        None if y is _MISSING else json_type(b),
    )


def _step(path: str, x: Any, y: Any, pending: Pending) -> str | None:
    """The change at `path`, or None (its children, if any, are added to `pending`)."""
    if x is _MISSING:
        return "added"
    if y is _MISSING:
        return "removed"
    if isinstance(x, (dict, list)) and _same(x, y):
        return None
    if isinstance(x, dict) and isinstance(y, dict):
        children = [(_key(path, key), value, y.get(key, _MISSING)) for key, value in x.items()]
        children += [(_key(path, key), _MISSING, value) for key, value in y.items() if key not in x]
        pending.extend(reversed(children))  # popped in document order
        return None
    if isinstance(x, list) and isinstance(y, list):
        pending.extend(reversed(_items(path, x, y)))
        return None
    if type(x) is type(y) and (x == y or _both_nan(x, y)):
        return None
    return "changed"  # another value, or another type (true -> 1 and 1 -> 1.0 included)


def _same(x: Any, y: Any) -> bool:
    """The same JSON, found at C speed: Python's == first (it takes true for 1 and 1 for 1.0),
    then the encoded text, which does not."""
    try:
        return x == y and bool(json.dumps(x) == json.dumps(y))
    except (RecursionError, ValueError):
        return False  # too deep to encode: walked item by item instead


def _both_nan(x: Any, y: Any) -> bool:
    return isinstance(x, float) and math.isnan(x) and math.isnan(y)


def _key(path: str, key: str) -> str:
    if _NAME.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _items(path: str, x: list[Any], y: list[Any]) -> Pending:
    """The pairs of items to compare: matched ones side by side, the others added or removed.

    Paths name the item's index in B, or in A for an item only A has.
    """
    opcodes: Sequence[tuple[str, int, int, int, int]]
    if max(len(x), len(y)) > MATCH_LIMIT:
        opcodes = _by_index(x, y)
    else:
        a_keys = [_fingerprint(item) for item in x]
        b_keys = [_fingerprint(item) for item in y]
        matcher = SequenceMatcher(None, a_keys, b_keys, autojunk=False)
        opcodes = matcher.get_opcodes()
    pairs: Pending = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        both = min(i2 - i1, j2 - j1)
        pairs += [(f"{path}[{j1 + k}]", x[i1 + k], y[j1 + k]) for k in range(both)]
        pairs += [(f"{path}[{i}]", x[i], _MISSING) for i in range(i1 + both, i2)]
        pairs += [(f"{path}[{j}]", _MISSING, y[j]) for j in range(j1 + both, j2)]
    return pairs


def _by_index(x: list[Any], y: list[Any]) -> list[tuple[str, int, int, int, int]]:
    """Long arrays item by item, skipping runs that are the same (compared a chunk at a time)."""
    both = min(len(x), len(y))
    opcodes = []
    for start in range(0, both, _CHUNK):
        end = min(start + _CHUNK, both)
        if not _same(x[start:end], y[start:end]):
            opcodes.append(("replace", start, end, start, end))
    if len(x) != len(y):
        opcodes.append(("replace", both, len(x), both, len(y)))
    return opcodes


def _fingerprint(item: Any) -> Any:
    """A hashable stand-in for an item: equal only for the same JSON (true is not 1)."""
    if isinstance(item, (dict, list)):
        try:
            return json.dumps(item, sort_keys=True)
        except (RecursionError, ValueError):
            return ("unique", id(item))  # too deep to fingerprint: matched with nothing
    return (type(item).__name__, item)
