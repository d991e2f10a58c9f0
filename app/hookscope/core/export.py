"""Export formats (HAR, NDJSON, curl) as pure functions that stream text chunks."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Iterator
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hookscope import __version__
from hookscope.core.http import Header, Request, decode_header, header_bytes, join_target
from hookscope.core.model import Capture, Outgoing, iso_millis, iso_utc
from hookscope.core.shell import is_printable, printable, printf_format, sh_word

Exporter = Callable[[Iterable[Capture], str | None], Iterator[str]]

# Bytes that surrogateescape turned into U+DC80..U+DCFF (see model.decode_header).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def capture_url(capture: Capture, base_url: str | None = None) -> str:
    """Where the capture was sent: `base_url` (or http:// + its Host) + path + query.

    Bytes that are not UTF-8 in the request target are written as %XX: a URL has no other way
    to carry them, and the result stays printable text.
    """
    return _ESCAPED_BYTE.sub(_percent, _url_root(capture.request, base_url) + capture.target)


def _url_root(request: Request, base_url: str | None) -> str:
    if base_url:
        return base_url.rstrip("/")
    return "http://" + ((request.header("host") or "").strip() or "localhost")


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
        "cookies": request_cookies(capture.headers),
        "headersSize": len(_request_head(capture.request)),
        "bodySize": capture.body_size,
    }
    if capture.body:
        post_data: dict[str, Any] = {"mimeType": _har_text(capture.content_type)}
        text = _utf8(capture.body)
        if text is None:
            # HAR 1.2 defines `encoding` for response content only; the same field on postData
            # is a widely used extension (browser and proxy exporters write it, viewers read it).
            post_data["text"] = _b64(capture.body)
            post_data["encoding"] = "base64"
        else:
            post_data["text"] = text
        request["postData"] = post_data
    timings = har_timings(capture)
    return {
        "startedDateTime": iso_millis(capture.received_at),
        "time": sum(value for value in timings.values() if value > 0),
        "request": request,
        "response": _har_response(capture),
        "cache": {},
        "timings": timings,
        "_hookscope": _hookscope_fields(capture),
    }


def har_timings(capture: Capture) -> dict[str, float]:
    """The listener's own times, from the sender's point of view: `send` is how long the
    request took to arrive, `wait` how long our answer took after it. -1 where not measured
    (HAR's value for "unknown"): captures stored before they were, most imports, and the
    connection phases, which the listener does not see."""
    send = -1.0 if capture.receive_ms is None else round(capture.receive_ms, 3)
    wait = -1.0 if capture.answer_ms is None else round(capture.answer_ms, 3)
    return {"blocked": -1, "dns": -1, "connect": -1, "send": send, "wait": wait, "receive": -1}


def _hookscope_fields(capture: Capture) -> dict[str, Any]:
    fields: dict[str, Any] = {
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
        "imported_from": capture.imported_from,
    }
    # HAR text cannot tell a byte that is not UTF-8 from the same code point: when the target
    # or a header holds one, the exact bytes ride along, and an import takes them back.
    if not _is_utf8(capture.target):
        fields["target_base64"] = _b64(header_bytes(capture.target))
    if not all(_is_utf8(name) and _is_utf8(value) for name, value in capture.headers):
        fields["headers_base64"] = [
            [_b64(header_bytes(name)), _b64(header_bytes(value))] for name, value in capture.headers
        ]
    return fields


def request_cookies(headers: Iterable[Header]) -> list[dict[str, str]]:
    """The cookies of the request's Cookie headers, in order, as HAR lists them.

    Split by hand on ";" and the first "=", as RFC 6265 (5.4) writes the header and browsers
    send it. `http.cookies.SimpleCookie` parses Set-Cookie syntax: it drops every cookie after
    the first name it finds invalid (one with ":" or "[" say), which senders do use.
    """
    cookies = []
    for name, value in headers:
        if name.lower() != "cookie":
            continue
        for pair in _har_text(value).split(";"):
            key, _, text = pair.strip().partition("=")
            if key:
                cookies.append({"name": key.strip(), "value": text.strip()})
    return cookies


def response_cookies(headers: Iterable[Header]) -> list[dict[str, Any]]:
    """The cookies our answer set (Set-Cookie, one cookie each), with their attributes.

    `http.cookies.SimpleCookie` reads Set-Cookie syntax (attributes, quoting) as it is meant to;
    a header it cannot read is left out rather than guessed at.
    """
    cookies: list[dict[str, Any]] = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        jar = SimpleCookie()
        try:
            jar.load(_har_text(value))
        except CookieError:
            continue
        for morsel in jar.values():
            cookie: dict[str, Any] = {"name": morsel.key, "value": morsel.value}
            for attribute, key in _COOKIE_ATTRIBUTES:
                if morsel[attribute]:
                    cookie[key] = morsel[attribute]
            for flag, key in (("httponly", "httpOnly"), ("secure", "secure")):
                if morsel[flag]:
                    cookie[key] = True
            cookies.append(cookie)
    return cookies


_COOKIE_ATTRIBUTES = (("path", "path"), ("domain", "domain"), ("expires", "expires"))


def _request_head(request: Request) -> bytes:
    """The request line and headers as they came, with the blank line that ends them."""
    line = f"{request.method} {request.target} HTTP/{request.http_version}"
    return _head(line, request.headers)


def _head(first: str, headers: Iterable[Header]) -> bytes:
    lines = [first, *(f"{name}: {value}" for name, value in headers)]
    return header_bytes("\r\n".join(lines) + "\r\n\r\n")


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
    content: dict[str, Any] = {
        "size": response.body_size,
        "mimeType": _har_text(response.content_type),
    }
    if response.body:
        text = _utf8(response.body)
        if text is None:
            content["text"] = _b64(response.body)
            content["encoding"] = "base64"  # HAR 1.2's own field for binary content
        else:
            content["text"] = text
    version = f"HTTP/{capture.http_version}"
    status_line = f"{version} {response.status} {response.reason}".rstrip()
    return {
        "status": response.status,
        "statusText": response.reason,
        "httpVersion": version,
        "headers": _har_headers(response.headers),
        "cookies": response_cookies(response.headers),
        "content": content,
        "redirectURL": _har_text(response.header("Location") or ""),
        "headersSize": len(_head(status_line, response.headers)),
        # An answer to HEAD carries no body on the wire, whatever its Content-Length says.
        "bodySize": 0 if capture.method == "HEAD" else len(response.body),
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


# --- curl: a POSIX sh script, one command per capture -----------------------------------------

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
# curl refuses a URL holding a space or a control character, and a `#` would end the target;
# those bytes are sent as %XX. Bytes above 0x7F stay: curl sends them as they are in the query
# and percent-encodes them itself in the path.
_URL_ESCAPED = frozenset(range(0x21)) | {0x7F}
_TARGET_ESCAPED = _URL_ESCAPED | {0x23}
# A NUL cannot be a command argument, and a CR or LF in a method or header would let one
# captured value write extra lines into the request curl sends.
_BREAKS_LINE = re.compile(rb"[\0\r\n]")
SHEBANG = "#!/bin/sh\n"


def curl(captures: Iterable[Capture], base_url: str | None = None) -> Iterator[str]:
    """A POSIX sh script: a shebang, then per capture a comment and one curl command.

    Every line is printable ASCII: the script runs the same under any POSIX sh and bash, and a
    command pasted into a terminal cannot carry a control character to it.
    """
    yield SHEBANG
    for capture in captures:
        number = "unsaved" if capture.id is None else str(capture.id)
        method, path = printable(capture.method), printable(capture.path)
        lines = [f"# capture {number}: {method} {path} ({printable(capture.verdict.verdict)})"]
        lines += [f"# {note}" for note in curl_notes(capture.request)]
        lines.append(curl_command(capture.request, base_url))
        yield "\n" + "\n".join(lines) + "\n"


def curl_notes(request: Request) -> list[str]:
    """The headers `curl_command` leaves out of this request, one sentence each."""
    notes = []
    for name, value in request.headers:
        problem = None if name.lower() in CURL_LEFT_OUT else _header_problem(name, value)
        if problem:
            notes.append(f"Left out header {printable(name)}: {problem}.")
    return notes


def curl_command(request: Request, base_url: str | None = None) -> str:
    """One curl command that sends the request (again): same method, target, headers and body.

    A captured request goes to `base_url` (else to http:// and its Host header) plus its
    target; an `Outgoing` goes to its own URL. The command is printable ASCII and POSIX sh (see
    `shell.sh_word`); a body that is not printable ASCII comes from `printf` with octal escapes
    through a pipe. Headers curl cannot send as one header are left out (`curl_notes` says
    which).
    """
    if isinstance(request, Outgoing):
        request, base_url = origin_form(request)
    method = request.method
    if _BREAKS_LINE.search(header_bytes(method)):
        return "# Not sent: the method holds a NUL, CR or LF byte, which curl cannot send."
    url = _curl_url(request, base_url)
    body = request.body
    sends_body = bool(body) or method not in ("GET", "HEAD")
    args = ["curl", "-sS"]
    if method == "HEAD" and not sends_body:
        args.append("-I")  # `-X HEAD` would make curl wait for a body that never comes
    else:
        args += ["-X", sh_word(method)]
    args.append(sh_word(url))
    if any(c in url for c in b"[]{}"):
        args.append("-g")  # no URL globbing: `a[]=1` is a query, not a range
    if request.http_version == "1.0":
        args.append("--http1.0")
    present: set[str] = set()
    for name, value in request.headers:
        if name.lower() in CURL_LEFT_OUT or _header_problem(name, value):
            continue
        present.add(name.lower())
        # `-H 'Name:'` would remove the header; `-H 'Name;'` sends it with an empty value.
        args += ["-H", sh_word(f"{name}: {value}" if value else f"{name};")]
    for name in _CURL_DEFAULTS:
        if name.lower() not in present:
            args += ["-H", sh_word(f"{name}:")]
    prefix = ""
    if sends_body:
        if "content-type" not in present:  # else curl adds application/x-www-form-urlencoded
            args += ["-H", sh_word("Content-Type:")]
        if len(body) > _EXPECT_THRESHOLD:
            args += ["-H", sh_word("Expect:")]
        if is_printable(body) and len(body) <= _INLINE_LIMIT and not body.startswith(b"@"):
            args += ["--data-binary", sh_word(body)]  # a leading @ would name a file
        else:
            prefix = f"printf {sh_word(printf_format(body))} | "
            args += ["--data-binary", "@-"]
    return prefix + " ".join(args)


def origin_form(request: Outgoing) -> tuple[Request, str]:
    """An outgoing request with its URL split: the request to its path, and the URL's root."""
    parts = urlsplit(request.url)
    if not parts.scheme:  # not a URL we could have sent to; quote it as given
        target, base = "", request.url
    else:
        target, base = (
            join_target(parts.path or "/", parts.query),
            f"{parts.scheme}://{parts.netloc}",
        )
    split = Request(request.method, target, request.headers, request.body, request.http_version)
    return split, base


# The GUI's name for `origin_form`, from when an outgoing request was copied as a capture.
outgoing_as_capture = origin_form


def _curl_url(request: Request, base_url: str | None) -> bytes:
    root = _percent_bytes(header_bytes(_url_root(request, base_url)), _URL_ESCAPED)
    return root + _percent_bytes(header_bytes(request.target), _TARGET_ESCAPED)


def _percent_bytes(data: bytes, escaped: frozenset[int]) -> bytes:
    return b"".join(b"%%%02X" % byte if byte in escaped else bytes((byte,)) for byte in data)


def _header_problem(name: str, value: str) -> str | None:
    """Why curl cannot send this header as it is, or None."""
    if _BREAKS_LINE.search(header_bytes(name + value)):
        return "it holds a NUL, CR or LF byte, which no single header line can carry"
    if name.startswith("@"):
        return "its name starts with @, which would make curl read headers from a file"
    return None


EXPORTERS: dict[str, Exporter] = {"har": har, "ndjson": ndjson, "curl": curl}
