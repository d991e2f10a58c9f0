"""Export formats (HAR, NDJSON, curl) as pure functions that stream text chunks."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from hookscope import __version__
from hookscope.core.model import Capture, Header, decode_header, header_bytes, iso_millis, iso_utc

Exporter = Callable[[Iterable[Capture], str | None], Iterator[str]]

# Bytes that surrogateescape turned into U+DC80..U+DCFF (see model.decode_header).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def capture_url(capture: Capture, base_url: str | None = None) -> str:
    """Where the capture was sent: `base_url` (or http:// + its Host) + path + query.

    Bytes that are not UTF-8 in the request target are written as %XX: a URL has no other way
    to carry them, and the result stays printable text.
    """
    if base_url:
        root = base_url.rstrip("/")
    else:
        root = "http://" + ((capture.header("host") or "").strip() or "localhost")
    return _ESCAPED_BYTE.sub(_percent, root + capture.target)


def _percent(match: re.Match[str]) -> str:
    return f"%{ord(match.group()) - 0xDC00:02X}"


def _is_utf8(text: str) -> bool:
    """False when the text holds surrogate-escaped bytes (it cannot be written as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _dumps(value: Any) -> str:
    """JSON as readable UTF-8 text, or \\u-escaped when a stray surrogate would not encode."""
    text = json.dumps(value, ensure_ascii=False)
    # A surrogate-escaped byte left in some free text (a verdict detail quoting a header, ...)
    # would make the caller's file write fail; the ASCII form is the same JSON value.
    return text if _is_utf8(text) else json.dumps(value)


# --- HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) ---------------------------------


def har(captures: Iterable[Capture], base_url: str | None = None) -> Iterator[str]:
    """One HAR 1.2 document, streamed: the head, each entry, the tail."""
    head = {"version": "1.2", "creator": {"name": "Hookscope", "version": __version__}}
    # The head as JSON without its closing brace, so entries can follow one at a time.
    yield '{"log": ' + _dumps(head)[:-1] + ', "entries": [\n'
    separator = ""
    for capture in captures:
        yield separator + _dumps(har_entry(capture, base_url))
        separator = ",\n"
    yield "\n]}}\n"


def har_entry(capture: Capture, base_url: str | None = None) -> dict[str, Any]:
    """One capture as a HAR entry, with Hookscope's own fields under `_hookscope`."""
    request: dict[str, Any] = {
        "method": capture.method,
        "url": capture_url(capture, base_url),
        "httpVersion": f"HTTP/{capture.http_version}",
        "headers": _har_headers(capture.headers),
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(
                _ESCAPED_BYTE.sub(_percent, capture.query), keep_blank_values=True
            )
        ],
        "cookies": [],
        "headersSize": -1,
        "bodySize": capture.body_size,
    }
    if capture.body:
        post_data: dict[str, Any] = {"mimeType": capture.content_type}
        text = _utf8(capture.body)
        if text is None:
            # HAR 1.2 defines `encoding` for response content only; the same field on postData
            # is a widely used extension (browser and proxy exporters write it, viewers read it).
            post_data["text"] = _b64(capture.body)
            post_data["encoding"] = "base64"
        else:
            post_data["text"] = text
        request["postData"] = post_data
    return {
        "startedDateTime": iso_millis(capture.received_at),
        "time": 0,
        "request": request,
        "response": _har_response(capture),
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
        "_hookscope": {
            "id": capture.id,
            "verdict": capture.verdict.verdict,
            "verdict_detail": capture.verdict.detail,
            "provider": capture.verdict.provider,
            "event": capture.verdict.event,
            "body_truncated": capture.body_truncated,
            "replay_of": capture.replay_of,
            "remote": capture.remote,
            "starred": capture.starred,
            "note": capture.note,
        },
    }


def _har_text(text: str) -> str:
    # HAR has no way to mark a header as bytes. Bytes that are not UTF-8 are shown one code point
    # per byte (Latin-1), as browsers expose header bytes (the Fetch standard's ByteString).
    return text if _is_utf8(text) else header_bytes(text).decode("latin-1")


def _har_headers(headers: Iterable[Header]) -> list[dict[str, str]]:
    return [{"name": _har_text(name), "value": _har_text(value)} for name, value in headers]


def _har_response(capture: Capture) -> dict[str, Any]:
    response = capture.response
    if response is None:  # refused or never answered: HAR's convention for "no response"
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "headers": [],
            "cookies": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }
    mime_type = ""
    for name, value in response.headers:
        if name.lower() == "content-type":
            mime_type = _har_text(value)
            break
    content: dict[str, Any] = {"size": len(response.body), "mimeType": mime_type}
    if response.body:
        text = _utf8(response.body)
        if text is None:
            content["text"] = _b64(response.body)
            content["encoding"] = "base64"  # HAR 1.2's own field for binary content
        else:
            content["text"] = text
    try:
        status_text = HTTPStatus(response.status).phrase
    except ValueError:
        status_text = ""
    return {
        "status": response.status,
        "statusText": status_text,
        "httpVersion": f"HTTP/{capture.http_version}",
        "headers": _har_headers(response.headers),
        "cookies": [],
        "content": content,
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": len(response.body),
    }


# --- NDJSON: one capture per line, lossless for headers and body ------------------------------

BASE64 = "base64"


def ndjson(captures: Iterable[Capture], base_url: str | None = None) -> Iterator[str]:
    """One JSON object per capture, each on its own line ending with a newline.

    `headers` is a list of [name, value] pairs in arrival order. A pair holding bytes that are
    not UTF-8 is written as [base64(name), base64(value), "base64"], so any JSON reader gets
    the exact bytes back (`read_ndjson_line` does). The body is text when it is UTF-8
    (`body_encoding` "utf-8"), base64 otherwise (`body_encoding` "base64").
    """
    for capture in captures:
        yield _dumps(ndjson_record(capture, base_url)) + "\n"


def ndjson_record(capture: Capture, base_url: str | None = None) -> dict[str, Any]:
    """The object `ndjson` writes for one capture."""
    text = _utf8(capture.body)
    return {
        "id": capture.id,
        "received_at": iso_utc(capture.received_at),
        "method": capture.method,
        "path": capture.path,
        "query": capture.query,
        "url": capture_url(capture, base_url),
        "http_version": capture.http_version,
        "remote": capture.remote,
        "headers": [_ndjson_header(name, value) for name, value in capture.headers],
        "body": _b64(capture.body) if text is None else text,
        "body_encoding": BASE64 if text is None else "utf-8",
        "body_size": capture.body_size,
        "body_truncated": capture.body_truncated,
        "provider": capture.verdict.provider,
        "event": capture.verdict.event,
        "verdict": capture.verdict.verdict,
        "verdict_detail": capture.verdict.detail,
        "response_status": capture.response.status if capture.response else None,
        "starred": capture.starred,
        "note": capture.note,
        "replay_of": capture.replay_of,
    }


def _ndjson_header(name: str, value: str) -> list[str]:
    if _is_utf8(name) and _is_utf8(value):
        return [name, value]
    return [_b64(header_bytes(name)), _b64(header_bytes(value)), BASE64]


def read_ndjson_line(line: str) -> tuple[tuple[Header, ...], bytes]:
    """The exact headers and body of one line `ndjson` wrote."""
    record = json.loads(line)
    headers: list[Header] = []
    for pair in record["headers"]:
        if len(pair) == 3 and pair[2] == BASE64:
            name = decode_header(base64.b64decode(pair[0], validate=True))
            value = decode_header(base64.b64decode(pair[1], validate=True))
            headers.append((name, value))
        else:
            headers.append((pair[0], pair[1]))
    if record["body_encoding"] == BASE64:
        body = base64.b64decode(record["body"], validate=True)
    else:
        body = record["body"].encode("utf-8")
    return tuple(headers), body


# --- curl: a POSIX shell command per capture ------------------------------------------------

# Computed by curl from the URL and the body, or hop-by-hop: sending the captured ones would
# contradict what curl actually sends.
CURL_LEFT_OUT = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive"}
)
# curl adds these on its own; an empty `-H 'Name:'` stops it when the capture had none.
_CURL_DEFAULTS = ("User-Agent", "Accept")
# One argument longer than this may exceed Linux's 128 KiB limit per argument (MAX_ARG_STRLEN);
# bigger bodies go through a pipe from `printf`, a shell builtin that has no such limit.
_INLINE_LIMIT = 64 * 1024
# curl sends `Expect: 100-continue` (and waits for an answer) for bodies above 1 KiB in old
# versions and 1 MiB in new ones; the capture's own Expect header is left out.
_EXPECT_THRESHOLD = 1024
_SHELL_WORD = re.compile(r"[A-Za-z0-9_.-]+")


def curl(captures: Iterable[Capture], base_url: str | None = None) -> Iterator[str]:
    """A shell script: one curl command per capture, each after a comment, blank lines between."""
    separator = ""
    for capture in captures:
        number = "unsaved" if capture.id is None else str(capture.id)
        path = _ESCAPED_BYTE.sub(_percent, capture.path).replace("\n", " ").replace("\r", " ")
        lines = [f"# capture {number}: {capture.method} {path} ({capture.verdict.verdict})"]
        if _curl_needs_bash(capture):
            lines.append("# needs bash: a header holds bytes that are not UTF-8, quoted as $'...'")
        lines.append(curl_command(capture, base_url))
        yield separator + "\n".join(lines) + "\n"
        separator = "\n"


def curl_command(capture: Capture, base_url: str | None = None) -> str:
    """One curl command that sends the capture again: same method, target, headers and body.

    POSIX sh quoting throughout, except for header text that holds bytes that are not UTF-8:
    that is written as bash's $'...' with \\xNN escapes.
    """
    url = capture_url(capture, base_url)
    method = capture.method
    body = capture.body
    sends_body = bool(body) or method not in ("GET", "HEAD")
    args = ["curl", "-sS"]
    if method == "HEAD" and not sends_body:
        args.append("-I")  # `-X HEAD` would make curl wait for a body that never comes
    else:
        args += ["-X", method if _SHELL_WORD.fullmatch(method) else _sh_quote(method)]
    args.append(_sh_quote(url))
    if any(c in url for c in "[]{}"):
        args.append("-g")  # no URL globbing: `a[]=1` is a query, not a range
    if capture.http_version == "1.0":
        args.append("--http1.0")
    present: set[str] = set()
    for name, value in capture.headers:
        if name.lower() in CURL_LEFT_OUT:
            continue
        present.add(name.lower())
        # `-H 'Name:'` would remove the header; `-H 'Name;'` sends it with an empty value.
        args += ["-H", _sh_quote(f"{name}: {value}" if value else f"{name};")]
    for name in _CURL_DEFAULTS:
        if name.lower() not in present:
            args += ["-H", _sh_quote(f"{name}:")]
    prefix = ""
    if sends_body:
        if "content-type" not in present:  # else curl adds application/x-www-form-urlencoded
            args += ["-H", _sh_quote("Content-Type:")]
        if len(body) > _EXPECT_THRESHOLD:
            args += ["-H", _sh_quote("Expect:")]
        text = _utf8(body)
        if text is None or "\0" in text:
            prefix = f"printf '%s' {_sh_quote(_b64(body))} | base64 -d | "
            args += ["--data-binary", "@-"]
        elif len(body) > _INLINE_LIMIT or text.startswith("@"):
            # A leading @ would make curl read a file of that name.
            prefix = f"printf '%s' {_sh_quote(text)} | "
            args += ["--data-binary", "@-"]
        else:
            args += ["--data-binary", _sh_quote(text)]
    return prefix + " ".join(args)


def _sh_quote(text: str) -> str:
    """One shell word with exactly this text: single quotes, or $'...' for non-UTF-8 bytes."""
    if _is_utf8(text):
        return "'" + text.replace("'", "'\\''") + "'"
    return _ansi_c_quote(header_bytes(text))


def _ansi_c_quote(data: bytes) -> str:
    """Bash's $'...': printable ASCII as is, every other byte as \\xNN."""
    out = []
    for byte in data:
        if byte in (0x27, 0x5C):  # ' and \
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def _curl_needs_bash(capture: Capture) -> bool:
    return any(
        not (_is_utf8(name) and _is_utf8(value))
        for name, value in capture.headers
        if name.lower() not in CURL_LEFT_OUT
    )


EXPORTERS: dict[str, Exporter] = {"har": har, "ndjson": ndjson, "curl": curl}
