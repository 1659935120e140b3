"""The rules every string the settings hand to an API shares: no control characters where
the value ends up in a URL, a host, an HTTP header or a CI variable, and URLs and hosts as
the clients parse them.

Why control characters matter: a newline in a URL or a header value splits the request
(header injection), and `urllib.parse.urlsplit` silently *removes* tab, CR and LF before it
parses (CPython's `_UNSAFE_URL_BYTES_TO_REMOVE`, "WHATWG URL spec" note in the
`urllib.parse` docs, https://docs.python.org/3/library/urllib.parse.html), so a URL with a
newline would look valid to a check made with it and reach the provider as written. These
rules therefore look at every character first and parse second.

URLs are parsed with `urllib.parse` (the same parser `requests`/`urllib3` build on) rather
than matched against a pattern of our own: its `port` refuses anything outside 0-65535,
and its `username`/`password` say whether the URL carries credentials.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

LINE_BREAKS = frozenset("\u2028\u2029\x85")
"""Separators `str.splitlines` breaks on beside the C0 controls (LINE/PARAGRAPH SEPARATOR,
NEXT LINE): a header or CI variable value with one of them is two lines to someone."""


def control_character(value: str, *, allow: str = "") -> str | None:
    """The first control character of `value` (Unicode category Cc, or a line separator)
    that is not in `allow`, described by its code point (never the text around it)."""
    for index, char in enumerate(value):
        if char in allow:
            continue
        if unicodedata.category(char) == "Cc" or char in LINE_BREAKS:
            return f"U+{ord(char):04X} at position {index}"
    return None


def single_line(value: str) -> str:
    found = control_character(value)
    if found:
        raise ValueError(f"must be a single line without control characters (found {found})")
    return value


def _paragraphs(value: str) -> str:
    found = control_character(value, allow="\n\t")
    if found:
        raise ValueError(
            f"must be text without control characters other than newline and tab (found {found})"
        )
    return value


def at_most(limit: int, why: str) -> AfterValidator:
    """A length limit of the API a value is sent to; `why` names the API and its rule."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters (it has {len(value)}): {why}")
        return value

    return AfterValidator(check)


SingleLine = Annotated[str, AfterValidator(single_line)]
"""Free text that ends up in an HTTP header, a CI variable or a URL: one line."""
Paragraphs = Annotated[str, AfterValidator(_paragraphs)]
"""Free text sent in a request body (a description): newlines and tabs allowed, nothing else
that is a control character."""

_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
DNS_NAME_MAX = 253
"""RFC 1035 section 2.3.4: a name is at most 253 characters in text, a label 1 to 63."""


def is_dns_name(value: str) -> bool:
    """A host name of two or more labels (RFC 1123 section 2.1: letters, digits and '-', a
    label neither starting nor ending with '-')."""
    labels = value.split(".")
    return (
        len(value) <= DNS_NAME_MAX
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
    )


PORT_RANGE = range(1, 65536)
"""TCP ports a client can connect to (RFC 6335 section 6: 0 is reserved, 65535 the last)."""


def _port_problem(port: str) -> str | None:
    if not port.isdigit() or int(port) not in PORT_RANGE:
        return "has a port outside 1-65535"
    return None


def _https_origin(value: str) -> str:
    """`https://host[:port]`, nothing else: no credentials, path, query or fragment."""
    single_line(value)
    if "@" in value.split("://", 1)[-1].split("/", 1)[0]:
        # Checked before parsing, and never echoed: user:password@ is a credential.
        raise ValueError("must not carry credentials (user:password@) in the URL")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (urlsplit checks the port only when it is read)
    except ValueError:
        raise ValueError(
            "must be an https:// URL with a host and no path, for example https://gitlab.com, "
            "with a port from 1 to 65535 if any"
        ) from None
    netloc = parts.netloc
    host, colon, port = netloc.partition(":")
    problems = []
    if parts.scheme != "https" or not value.startswith("https://"):
        problems.append("is not https://")
    if not is_dns_name(host):
        problems.append("has no valid host name")
    if colon and (problem := _port_problem(port)):
        problems.append(problem)
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        problems.append("has a path, query or fragment")
    if problems:
        raise ValueError(
            "must be an https:// URL with a host and no path, for example https://gitlab.com "
            f"(this one {' and '.join(problems)})"
        )
    return value


def _host(value: str) -> str:
    """`host[:port]`, as a registry host is written in image references."""
    single_line(value)
    host, colon, port = value.partition(":")
    if "@" in value or "/" in value:
        raise ValueError("must be a host name with an optional port, no credentials or path")
    if not is_dns_name(host) or (colon and (_port_problem(port) is not None)):
        raise ValueError(
            "must be a host name, for example registry.gitlab.com, with a port from 1 to "
            "65535 if any"
        )
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_origin)]
Host = Annotated[str, AfterValidator(_host)]
