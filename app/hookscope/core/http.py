"""One HTTP message type: ordered raw headers, and the requests and responses built on them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus

Header = tuple[str, str]

# A header name or value is kept as text decoded from UTF-8 with "surrogateescape": every byte
# sequence round-trips exactly (`header_bytes`), and valid UTF-8 reads naturally.
HEADER_ENCODING = "utf-8"
HEADER_ERRORS = "surrogateescape"


def decode_header(raw: bytes) -> str:
    """Turn raw header bytes into lossless text."""
    return raw.decode(HEADER_ENCODING, HEADER_ERRORS)


def header_bytes(text: str) -> bytes:
    """Turn header text made by `decode_header` back into the exact bytes received."""
    return text.encode(HEADER_ENCODING, HEADER_ERRORS)


def first_header(headers: Iterable[Header], name: str) -> str | None:
    """The first value of a header, by case-insensitive name."""
    lower = name.lower()
    size = len(lower)
    for key, value in headers:
        # The length first: most names differ in it, and lower() makes a new string each time.
        if len(key) == size and key.lower() == lower:
            return value
    return None


class Headers(tuple[Header, ...]):
    """The header fields of one message: (name, value) pairs exactly as they came.

    Order, duplicates and the case of names are kept; lookups ignore case. Iterating gives the
    pairs, and a Headers equals the plain tuple of the same pairs. `name in headers` asks
    whether a header of that name is present (a (name, value) pair is looked up as a pair).
    Immutable: the edits return new Headers, as mitmproxy's `Headers` does in place.
    """

    __slots__ = ()

    def __new__(cls, fields: Iterable[Header] = ()) -> Headers:
        if isinstance(fields, Headers):
            return fields
        pairs = tuple((name, value) for name, value in fields)
        if not all(isinstance(part, str) for pair in pairs for part in pair):
            raise TypeError("header names and values are text: decode raw bytes with from_raw()")
        return super().__new__(cls, pairs)

    @classmethod
    def from_raw(cls, fields: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Headers from the raw bytes on the wire, without loss (see `decode_header`)."""
        # Built directly: every part is text by construction, so the check in __new__ (and its
        # second pass over the pairs) is skipped on the capture path.
        return tuple.__new__(
            cls,
            [
                (
                    name.decode(HEADER_ENCODING, HEADER_ERRORS),
                    value.decode(HEADER_ENCODING, HEADER_ERRORS),
                )
                for name, value in fields
            ],
        )

    def get(self, name: str) -> str | None:
        """The first value of the header `name` (any case), or None."""
        return first_header(self, name)

    def get_all(self, name: str) -> list[str]:
        """Every value of the header `name` (any case), in order."""
        lower = name.lower()
        return [value for key, value in self if key.lower() == lower]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return self.get(item) is not None
        return tuple.__contains__(self, item)

    def without(self, *names: str) -> Headers:
        """These headers with every header of these names (any case) left out."""
        drop = {name.lower() for name in names}
        return Headers(pair for pair in self if pair[0].lower() not in drop)

    def replaced(self, name: str, value: str) -> Headers:
        """One `name: value` where the first `name` was (else at the end), no other `name`."""
        lower = name.lower()
        out: list[Header] = []
        placed = False
        for key, old in self:
            if key.lower() != lower:
                out.append((key, old))
            elif not placed:
                out.append((key, value))
                placed = True
        if not placed:
            out.append((name, value))
        return Headers(out)

    def appended(self, name: str, value: str) -> Headers:
        """These headers and one more, last."""
        return Headers((*self, (name, value)))

    def __repr__(self) -> str:
        return f"Headers({tuple(self)!r})"


NO_HEADERS = Headers()


def join_target(path: str, query: str) -> str:
    """A request target from its path and query (an empty query has no "?")."""
    return f"{path}?{query}" if query else path


class Message:
    """What a request and a response share: headers and a body, the body's raw bytes kept."""

    __slots__ = ()
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type") or ""

    @property
    def body_size(self) -> int:
        return len(self.body)


def _normalise_headers(message: Request | Response) -> None:
    # Callers may pass plain pairs (a tuple, or lists read from JSON): keep them as Headers.
    object.__setattr__(message, "headers", Headers(message.headers))


@dataclass(frozen=True, slots=True)
class Request(Message):
    """One HTTP request.

    Attributes:
        target: the request target as in the request line: `/path?query` for what a sender
            sent us (origin form), the whole URL for a request we send (absolute form).
        http_version: "1.1", "1.0", ...
    """

    method: str
    target: str
    headers: Headers = NO_HEADERS
    body: bytes = b""
    http_version: str = "1.1"

    def __post_init__(self) -> None:
        _normalise_headers(self)

    @property
    def path(self) -> str:
        """The target before its first "?" (for an absolute-form target, the URL before it)."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        """The target after its first "?", undecoded; "" when there is none."""
        return self.target.partition("?")[2]


@dataclass(frozen=True, slots=True)
class Response(Message):
    """One HTTP response: what the listener answered, or what a receiver answered us."""

    status: int
    headers: Headers = NO_HEADERS
    body: bytes = b""

    def __post_init__(self) -> None:
        _normalise_headers(self)

    @property
    def reason(self) -> str:
        """The standard reason phrase of the status ("" for a status without one)."""
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""
