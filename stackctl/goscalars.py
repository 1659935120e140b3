"""Plain scalars resolved as gopkg.in/yaml.v3 v3.0.1 resolves them (go-yaml/yaml resolve.go).

yaml.v3 reads YAML 1.2's core schema with Go's number syntax, not YAML 1.1: `yes`, `on`,
`y` are strings, `1:30` is a string, `010` and `0o10` are 8 (strconv.ParseInt base 0), `08`
is the float 8, underscores are dropped from numbers, `True`/`TRUE` are booleans but `tRUE`
is a string. An explicit tag the text does not fit (`!!int abc`) is an error. `stackctl.goyaml`
applies this to every scalar of a stack or project file; checked against yaml.v3 itself by a
differential run (tests/test_goyaml.py says what was compared).
"""

from __future__ import annotations

import calendar
import math
import re
from typing import Any

STR, BOOL, INT, FLOAT, NULL = "!!str", "!!bool", "!!int", "!!float", "!!null"
TIMESTAMP, SEQ, MAP, BINARY, MERGE = "!!timestamp", "!!seq", "!!map", "!!binary", "!!merge"
LONG_PREFIX = "tag:yaml.org,2002:"
_RESOLVABLE = {"", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP}


def short_tag(tag: str) -> str:
    """resolve.go `shortTag`: `tag:yaml.org,2002:int` is `!!int`."""
    return "!!" + tag[len(LONG_PREFIX) :] if tag.startswith(LONG_PREFIX) else tag


_RESOLVE_MAP: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(("true", "True", "TRUE"), (BOOL, True)),
    **dict.fromkeys(("false", "False", "FALSE"), (BOOL, False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL, None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT, math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT, math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT, -math.inf)),
    "<<": (MERGE, "<<"),
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
"""What Go's strconv.ParseFloat accepts of a text that starts with '.' (no underscores
without a base prefix, no hex)."""


def _hint(text: str) -> str:
    if text == "":
        return "N"
    first = text[0]
    if first in "+-":
        return "S"
    if first.isascii() and first.isdigit():
        return "D"
    if first in "yYnNtTfFoO~":
        return "M"
    return "." if first == "." else ""


def resolve(tag: str, text: str) -> tuple[str, Any]:
    """resolve.go `resolve`: the tag and value yaml.v3 gives a scalar; an explicit tag the
    text does not fit (`!!int abc`) is a ValueError, naming the tags, never the text."""
    if tag not in _RESOLVABLE:
        return tag, text  # `!custom x`, `!!binary`, `!!set` on a scalar: the text itself
    rtag, out = _resolve_plain(tag, text)
    if tag in ("", rtag, STR):
        return rtag, out
    if tag == FLOAT and rtag == INT:
        return FLOAT, float(out)
    raise ValueError(f"cannot decode a {rtag} value as a {tag}")


def _resolve_plain(tag: str, text: str) -> tuple[str, Any]:
    hint = _hint(text)
    if not hint or tag == STR:
        return STR, text
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text):
            return FLOAT, float(text)
    elif hint in "DS":
        if tag in ("", TIMESTAMP):
            stamp = _timestamp(text)
            if stamp is not None:
                return TIMESTAMP, stamp
        plain = text.replace("_", "")
        number = _go_parse_int(plain, 0)
        if number is None:
            number = _go_parse_uint(plain, 0)
        if number is not None:
            return INT, number
        if _YAML_STYLE_FLOAT.fullmatch(plain) and math.isfinite(float(plain)):
            return FLOAT, float(plain)
        for prefix, base in (("0b", 2), ("0o", 8)):
            if plain.startswith(prefix):
                number = _go_parse_int(plain[2:], base)
                if number is not None:
                    return INT, number
            elif plain.startswith("-" + prefix):
                number = _go_parse_int("-" + plain[3:], base)
                if number is not None:
                    return INT, number
    return STR, text


def _go_parse_uint(text: str, base: int) -> int | None:
    """strconv.ParseUint, 64 bits: base 0 reads 0b, 0o, 0x and a leading 0 (octal)."""
    if not text:
        return None
    if base == 0:
        base = 10
        if text[0] == "0":
            if len(text) >= 3 and text[1].lower() in "box":
                base = {"b": 2, "o": 8, "x": 16}[text[1].lower()]
                text = text[2:]
            else:
                base, text = 8, text[1:]
    value = 0
    for char in text:
        digit = int(char, 36) if char.isascii() and char.isalnum() else 99
        if digit >= base:
            return None
        value = value * base + digit
    return value if value < 1 << 64 else None


def _go_parse_int(text: str, base: int) -> int | None:
    """strconv.ParseInt, 64 bits: an optional sign, then ParseUint's digits."""
    if not text:
        return None
    negative = text[0] == "-"
    body = text[1:] if text[0] in "+-" else text
    value = _go_parse_uint(body, base)
    if value is None or value > (1 << 63) - (0 if negative else 1):
        return None
    return -value if negative else value


# --- timestamps: resolve.go `parseTimestamp`, then Go's time.Time.String() ------------------------

_TIMESTAMP = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?P<sep>[Tt ])(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2}):(?P<s>[0-9]{1,2})"
    r"(?:[.,](?P<frac>[0-9]{1,9}))?(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def _timestamp(text: str) -> str | None:
    """A timestamp as the program gets it: yaml.v3 decodes an unquoted one to a time.Time,
    the CLI re-encodes it (RFC 3339) and hands the program `time.Time.String()`
    (config/object.go `unmarshalObject`), e.g. `2001-12-14 00:00:00 +0000 UTC`.

    The layouts of resolve.go `allowedTimestampFormats`, as time.Parse reads them: a
    space-separated time has no zone; a zone needs the `T`/`t` form. The zone of a numeric
    offset is named after the CLI machine's local zone: UTC assumed (CI containers), so a
    zero offset reads `+0000 UTC` and others `-0500 -0500` (Go's unnamed fixed zone)."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match["y"]), int(match["mo"]), int(match["d"])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    if match["sep"] is None:
        hour = minute = second = 0
    else:
        hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"])
        if hour > 23 or minute > 59 or second > 59:
            return None
        if (match["sep"] == " ") == (match["zone"] is not None):
            return None  # `T` needs a zone, a space takes none
    frac = (match["frac"] or "")[:9].rstrip("0")
    offset = 0
    zone = match["zone"]
    if zone and zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 24 or minutes > 60:  # Go's time/format.go (1.20+) range test
            return None
        offset = (hours * 60 + minutes) * (-1 if zone[0] == "-" else 1)
    sign = "-" if offset < 0 else "+"
    numeric = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    name = "UTC" if offset == 0 else numeric
    fraction = f".{frac}" if frac else ""
    return (
        f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}{fraction} "
        f"{numeric} {name}"
    )
