"""HAR files read back as captures: the file's bytes in, its requests out, or one sentence why not.

Pure: no file, no store. The whole file is checked before anything is returned, so a caller
stores all of its requests or none. What `export.har` wrote comes back byte-exact: bodies it
wrote as base64, and (from its `_hookscope` fields) targets and headers that were not UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from hookscope.core.http import Header, Headers, Request, Response, decode_header
from hookscope.core.model import Capture

# A HAR file is read whole, and its JSON takes a few times its size in memory: past this it is
# refused before it is read.
IMPORT_LIMIT = 128 * 1024 * 1024
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class HarError(ValueError):
    """The file cannot be imported; the message is one sentence for the user."""


def too_large(source: str, size: int, limit: int = IMPORT_LIMIT) -> str | None:
    """Why a file of `size` bytes is not imported, or None."""
    if size > limit:
        return f"{source} is over the {limit // (1024 * 1024)} MB limit for an import."
    return None


def read_har(data: bytes, source: str, limit: int = IMPORT_LIMIT) -> list[Capture]:
    """The requests of a HAR file, as captures marked imported from `source`, in file order.

    Raises HarError, naming `source`, when the file is not HAR or any entry cannot be read.
    """
    if problem := too_large(source, len(data), limit):
        raise HarError(problem)
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise HarError(
            f"{source} is not a HAR file: it is not JSON (line {exc.lineno}, column {exc.colno}:"
            f" {exc.msg.lower()})."
        ) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise HarError(f"{source} is not a HAR file: it is not JSON text.") from exc
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise HarError(f"{source} is not a HAR file: it has no log with a list of entries.")
    return [_capture(_Entry(source, number, entry)) for number, entry in enumerate(entries, 1)]


@dataclass(frozen=True, slots=True)
class _Entry:
    source: str
    number: int
    data: Any

    def fail(self, what: str) -> HarError:
        return HarError(f"Entry {self.number} of {self.source} {what}.")


def _capture(entry: _Entry) -> Capture:
    if not isinstance(entry.data, dict):
        raise entry.fail("is not an object")
    request = entry.data.get("request")
    if not isinstance(request, dict):
        raise entry.fail("has no request")
    ours = entry.data.get("_hookscope")
    ours = ours if isinstance(ours, dict) else {}
    timings = entry.data.get("timings")
    timings = timings if isinstance(timings, dict) else {}
    return Capture(
        _request(entry, request, ours),
        remote=str(ours.get("remote") or ""),
        received_at=_started(entry),
        body_truncated=ours.get("body_truncated") is True,
        response=_response(entry, entry.data.get("response")),
        imported_from=entry.source,
        receive_ms=_timing(timings.get("send")),
        answer_ms=_timing(timings.get("wait")),
    )


def _request(entry: _Entry, request: dict[str, Any], ours: dict[str, Any]) -> Request:
    method = request.get("method")
    if not isinstance(method, str) or not _TOKEN.fullmatch(method):
        raise entry.fail("has no valid request method")
    url = request.get("url")
    if not isinstance(url, str) or not url:
        raise entry.fail("has no request URL")
    target = _target(url)
    if "target_base64" in ours:
        target = decode_header(_b64(entry, ours["target_base64"], "its exact target"))
    if "headers_base64" in ours:
        headers = _exact_headers(entry, ours["headers_base64"])
    else:
        headers = _headers(entry, request.get("headers", []), "request")
    return Request(
        method=method,
        target=target,
        headers=headers,
        body=_post_data(entry, request.get("postData")),
        http_version=_version(request.get("httpVersion")),
    )


def _target(url: str) -> str:
    """The request target of a URL: its path and query (a URL without a host is the target)."""
    parts = urlsplit(url)
    if not (parts.scheme and parts.netloc):
        return url
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _version(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if text.upper().startswith("HTTP/"):
        text = text[5:]
    elif text.lower() in ("h2", "h3"):  # browsers write the ALPN name
        text = text[1:]
    return text or "1.1"


def _headers(entry: _Entry, pairs: Any, where: str) -> Headers:
    if not isinstance(pairs, list):
        raise entry.fail(f"has {where} headers that are not a list")
    headers: list[Header] = []
    for pair in pairs:
        name = pair.get("name") if isinstance(pair, dict) else None
        value = pair.get("value") if isinstance(pair, dict) else None
        if not isinstance(name, str) or not isinstance(value, str):
            raise entry.fail(f"has a {where} header without a text name and value")
        if not name.startswith(":"):  # HTTP/2 pseudo-headers are the request line, not headers
            headers.append((name, value))
    return Headers(headers)


def _exact_headers(entry: _Entry, pairs: Any) -> Headers:
    if not isinstance(pairs, list) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in pairs
    ):
        raise entry.fail("has exact headers that are not a list of pairs")
    return Headers(
        (
            decode_header(_b64(entry, name, "an exact header")),
            decode_header(_b64(entry, value, "an exact header")),
        )
        for name, value in pairs
    )


def _post_data(entry: _Entry, post: Any) -> bytes:
    if post is None:
        return b""
    if not isinstance(post, dict):
        raise entry.fail("has postData that is not an object")
    text = post.get("text")
    if text is None and isinstance(post.get("params"), list):
        # A form a browser recorded as fields only: sent as the form body it was.
        params = [(p.get("name", ""), p.get("value", "")) for p in post["params"] if p]
        return urlencode(params).encode("ascii")
    return _content(entry, text, post.get("encoding"), "request body")


def _content(entry: _Entry, text: Any, encoding: Any, what: str) -> bytes:
    if text is None:
        return b""
    if not isinstance(text, str):
        raise entry.fail(f"has a {what} that is not text")
    if encoding == "base64":
        return _b64(entry, text, f"its {what}")
    if encoding not in (None, ""):
        raise entry.fail(f"has a {what} in an unknown encoding ({str(encoding)[:40]})")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800" in the JSON)
        raise entry.fail(f"has a {what} that is not valid Unicode text") from exc


def _b64(entry: _Entry, text: Any, what: str) -> bytes:
    try:
        if not isinstance(text, str):
            raise ValueError(what)
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise entry.fail(f"has {what} marked base64 that is not valid base64") from exc


def _response(entry: _Entry, response: Any) -> Response | None:
    """What the request was answered, when the file says (status 0: no answer)."""
    if not isinstance(response, dict):
        return None
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 999:
        return None
    content = response.get("content")
    content = content if isinstance(content, dict) else {}
    return Response(
        status=status,
        headers=_headers(entry, response.get("headers", []), "response"),
        body=_content(entry, content.get("text"), content.get("encoding"), "response body"),
    )


def _started(entry: _Entry) -> datetime:
    text = entry.data.get("startedDateTime")
    try:
        if not isinstance(text, str):
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise entry.fail("has no startedDateTime in ISO 8601") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _timing(value: Any) -> float | None:
    """A HAR timing in ms, None for -1 (unknown) or anything that is not a time."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None
