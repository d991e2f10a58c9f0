"""An HMAC signing scheme described as data: the built-in GitHub, Slack and Shopify schemes and
every custom scheme a user defines are one of these.

The description is all that is stored for a custom scheme (beside its secrets); verification,
forensics and signing read it. A template names what is signed, e.g. `v0:{timestamp}:{body}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
PLACEHOLDERS = ("body", "timestamp", "id", "method", "path")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True, slots=True)
class Scheme:
    """How a sender signs: which header, what prefix, which HMAC over which content.

    Attributes:
        name: the scheme's name, as shown in verdicts (`provider`) and used by secrets.
        header: the header carrying the signature.
        prefix: text before the signature in that header (e.g. `sha256=`), "" for none.
        algorithm: one of ALGORITHMS.
        encoding: one of ENCODINGS.
        signed: the signed content, a template over `{body}`, `{timestamp}`, `{id}`,
            `{method}`, `{path}` and `{header:Name}`.
        timestamp_header: the header with the signing time (seconds), or None.
        tolerance: how far (seconds) that time may be from arrival.
        id_header: the header with the delivery's id (for replay detection), or None.
    """

    name: str
    header: str
    prefix: str = ""
    algorithm: str = "sha256"
    encoding: str = "hex"
    signed: str = "{body}"
    timestamp_header: str | None = None
    tolerance: int = 300
    id_header: str | None = None

    def problems(self) -> list[str]:
        """What is wrong with the description, one sentence each ([] when it can be used)."""
        found: list[str] = []
        if not _NAME.fullmatch(self.name):
            found.append(
                f"The scheme name {self.name!r} must be 1-40 lowercase letters, digits, "
                "'-' or '_', starting with a letter or digit."
            )
        for label, value in (
            ("signature header", self.header),
            ("timestamp header", self.timestamp_header),
            ("id header", self.id_header),
        ):
            if value is not None and not _TOKEN.fullmatch(value):
                found.append(f"The {label} {value!r} is not a valid header name.")
        if self.algorithm not in ALGORITHMS:
            found.append(f"The algorithm must be one of {', '.join(ALGORITHMS)}.")
        if self.encoding not in ENCODINGS:
            found.append(f"The encoding must be one of {', '.join(ENCODINGS)}.")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in self.prefix):
            found.append("The prefix may not contain control characters.")
        if not 1 <= self.tolerance <= 86_400:
            found.append("The tolerance must be between 1 and 86400 seconds.")
        found.extend(_template_problems(self))
        return found


def _template_problems(scheme: Scheme) -> list[str]:
    found: list[str] = []
    for field in _FIELD.findall(scheme.signed):
        if field.startswith("header:"):
            if not _TOKEN.fullmatch(field.removeprefix("header:")):
                found.append(f"The signed template's {{{field}}} does not name a valid header.")
        elif field not in PLACEHOLDERS:
            allowed = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            found.append(
                f"The signed template's {{{field}}} is unknown: use {allowed} or {{header:Name}}."
            )
        elif field == "timestamp" and scheme.timestamp_header is None:
            found.append("The signed template uses {timestamp}: give a timestamp header.")
        elif field == "id" and scheme.id_header is None:
            found.append("The signed template uses {id}: give an id header.")
    if "{body}" not in scheme.signed:
        found.append("The signed template must include {body}.")
    return found
