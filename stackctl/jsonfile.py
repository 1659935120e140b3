"""JSON from a file that may be anything: bounded, decoded strictly, never a crash.

`stackctl report` reads what a CI job left behind (`pulumi preview --json`, the event log),
which can be cut off, re-encoded by a shell, or hostile. Python's `json` is the parser; this
module bounds what it is given and turns each way it can fail into one `JsonError` a
reader can place:

- bytes are read up to a cap and never further (`read_capped`);
- the encoding is detected as `json` itself detects it (`json.detect_encoding`, RFC 8259
  section 8.1): UTF-8, with or without a byte order mark, is read; UTF-16 and UTF-32, which
  Pulumi never writes (a shell redirect re-encoded the file), are refused by name, and
  invalid UTF-8 is refused with its byte offset;
- nesting deeper than `MAX_DEPTH` is refused with where it happens, before the C parser's
  own recursion limit turns it into a `RecursionError`, and so that nothing walking the
  result afterwards can recurse without bound;
- a text that stops inside a string or with brackets still open is told apart from one that
  is wrong in the middle (cut off versus malformed); `NaN`, `Infinity`, a key given twice in
  one object and a number too long to convert are refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

MAX_DEPTH: Final = 100
"""Objects and lists inside each other. A preview's deepest place (a Cloud Run service's
`template.containers[0].envs[0].valueSource.secretKeyRef`, inside `steps[i].newState.inputs`)
is about a dozen levels down."""

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?P<close>")?|[\[\]{}]', re.S)
"""A string (possibly unterminated) or a bracket: what the nesting scan looks at."""


class JsonError(Exception):
    """Why the text is not a JSON document this tool reads; the reader adds where."""


def read_capped(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of `path`; `JsonError` if it holds more. `OSError` passes."""
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise JsonError(
            f"is larger than {limit // 2**20} MiB, more than any preview of this stack "
            "writes: not read"
        )
    return data


def decode(data: bytes) -> str:
    """UTF-8 text (a leading byte order mark dropped); any other encoding is a problem."""
    encoding = json.detect_encoding(data)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise JsonError(
            f"is encoded as {encoding.upper().removesuffix('-SIG')}, not UTF-8 (Pulumi writes "
            "UTF-8: something re-encoded the file on the way)"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise JsonError(f"is not valid UTF-8 (at byte {err.start})") from None


def loads(text: str) -> Any:
    """The JSON value of `text`, nested at most `MAX_DEPTH` deep."""
    deep = _too_deep_at(text)
    if deep is not None:
        line, column = _line_column(text, deep)
        raise JsonError(
            f"nests objects and lists more than {MAX_DEPTH} deep (at line {line}, column "
            f"{column}): not a Pulumi document"
        )
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        if err.pos >= len(text.rstrip()) or _ends_early(text):
            raise JsonError(
                f"is truncated (it ends at line {err.lineno}, column {err.colno} in the middle "
                "of the document)"
            ) from None
        raise JsonError(
            f"is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except (ValueError, RecursionError) as err:  # a huge number, NaN, a repeated key
        raise JsonError(f"is not valid JSON: {err}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"an object has the key {json.dumps(twice[:80])} twice")
    return found


def _too_deep_at(text: str) -> int | None:
    """The offset where nesting first passes `MAX_DEPTH`, if it does (strings skipped)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def _ends_early(text: str) -> bool:
    """Whether the text stops inside a string or with brackets open, every bracket before
    that matching: cut off, rather than wrong somewhere in the middle."""
    open_brackets: list[str] = []
    for token in _TOKENS.finditer(text):
        value = token.group()
        if value[0] == '"':
            if token["close"] is None:  # the text ends inside this string
                return True
            continue
        if value in "{[":
            open_brackets.append("}" if value == "{" else "]")
        elif not open_brackets or open_brackets.pop() != value:
            return False
    return bool(open_brackets)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
