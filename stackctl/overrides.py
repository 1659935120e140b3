"""`--config KEY=VALUE` overrides, applied as `pulumi config set --path` applies a key.

The key and its path are read with the CLI's own rules (pulumi/pulumi
pkg/cmd/pulumi/config/io.go `parseConfigKey`, sdk/go/common/resource/config/key.go
`ParseKey`, map.go `parseKeyPath`, sdk/go/common/resource/properties_path.go
`parsePropertyPath`), and the value is set where the path says as config/object.go
`object.Set` sets it: an absent or null container is created from the next accessor (a
list padded with nulls up to an index), a scalar at the top level is replaced, an index may
be at most the list's length (one past the end appends), anything else is an error.

Two deliberate differences, both refusals of what the CLI would silently accept or store
where nothing reads it: an empty namespace (`-c :foo=5`) and a `{"secure": ...}` value (a
ciphertext only the CLI can decrypt; the CLI refuses to create one by path too:
`errSecureReprReserved`). VALUE is JSON where it parses as JSON, else a string (README).

Every error names the override by its position and its key, never by its value: a value
can be a token pasted on the command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from stackctl.errors import StackFileError

MAX_NEW_INDEX = 1000
"""The CLI pads a new list with nulls up to the index it sets; beyond this, refused."""
_INDEX = re.compile(r"[+-]?[0-9]+")


def parse_path(path: str) -> list[str | int]:
    """`a.b[0]["c.d"]` -> ['a', 'b', 0, 'c.d'], as `parsePropertyPath` in strict mode reads
    it: a bare name runs to the next `.` or `[` (so `a b` is one name and `a..b` is `a.b`),
    an index is a base-10 int64, a quoted name may escape `"` with a backslash. The first
    part must be a name (map.go `parseKeyPath`)."""
    parts: list[str | int] = []
    rest = path
    if rest.startswith("."):
        raise StackFileError(f"path {path!r} must start with a name or index")
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise StackFileError(f"path {path!r} must end with a name or index")
            if rest[0] == "[":
                raise StackFileError(f"path {path!r}: expected a property name after '.'")
        elif rest[0] == "[":
            part, rest = _bracket(path, rest)
            parts.append(part)
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i >= 0), default=len(rest))
            parts.append(rest[:end])
            rest = rest[end:]
    if not parts:
        raise StackFileError("empty config key path")
    if not isinstance(parts[0], str):
        raise StackFileError(f"path {path!r} must start with a key name")
    if parts[0] == "":
        raise StackFileError(f"path {path!r}: the config key is empty")
    return parts


def _bracket(path: str, rest: str) -> tuple[str | int, str]:
    if rest.startswith('["'):
        name: list[str] = []
        i = 2
        while True:
            if i >= len(rest):
                raise StackFileError(f"path {path!r}: missing closing quote in property name")
            if rest[i] == '"':
                i += 1
                break
            if rest[i] == "\\" and i + 1 < len(rest) and rest[i + 1] == '"':
                name.append('"')
                i += 2
            else:
                name.append(rest[i])
                i += 1
        if i >= len(rest) or rest[i] != "]":
            raise StackFileError(f"path {path!r}: missing closing bracket in property access")
        return "".join(name), rest[i + 1 :]
    close = rest.find("]")
    if close < 0:
        raise StackFileError(f"path {path!r}: missing closing bracket in array index")
    segment = rest[1:close]
    if segment == "*":
        return "*", rest[close + 1 :]
    if not _INDEX.fullmatch(segment) or not -(2**63) <= int(segment) < 2**63:
        raise StackFileError(f"path {path!r}: invalid array index [{segment}]")
    return int(segment), rest[close + 1 :]


def parse_value(text: str) -> Any:
    """VALUE is JSON where it parses as JSON, a plain string otherwise."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_overrides(
    values: dict[str, Any], overrides: Sequence[str], full_key: Callable[[str], str]
) -> None:
    """Apply each override to `values` (full keys to values) in order."""
    for number, override in enumerate(overrides, 1):
        key, sep, text = override.partition("=")
        if not sep:
            raise StackFileError(f"--config #{number}: expected KEY=VALUE (no '=' in it)")
        label = f"--config #{number} ({key})" if key else f"--config #{number}"
        try:
            _apply(values, key, parse_value(text), full_key)
        except StackFileError as err:
            raise StackFileError(f"{label}: {err}") from None


def _apply(values: dict[str, Any], key: str, value: Any, full_key: Callable[[str], str]) -> None:
    if not key:
        raise StackFileError("the key before '=' is empty")
    if _has_secure(value):
        raise StackFileError(
            "a {secure: ...} value is ciphertext only the CLI can decrypt; overrides take "
            "plain values"
        )
    namespace, name = _split_key(key, full_key)
    parts = parse_path(name)
    top = f"{namespace}:{parts[0]}"
    if len(parts) == 1:
        values[top] = value
        return
    values[top] = _set(values.get(top), parts[1:], value, [str(parts[0])])


def _split_key(key: str, full_key: Callable[[str], str]) -> tuple[str, str]:
    """`parseConfigKey` with path=true: only the part before the first `.` or `[` may carry
    the namespace; a key without one is the project's."""
    cut = min((i for i in (key.find("."), key.find("[")) if i >= 0), default=-1)
    top, tail = (key[:cut], key[cut:]) if cut > 0 else (key, "")
    full = full_key(top)
    colons = full.count(":")
    if colons == 2:
        package, module, name = full.split(":")
        if module != "config" or not package or not name:
            raise StackFileError("a key is <namespace>:<name> (or <namespace>:config:<name>)")
        full = f"{package}:{name}"
    elif colons != 1:
        raise StackFileError("a key is <namespace>:<name> (or <namespace>:config:<name>)")
    namespace, _, name = full.partition(":")
    if not namespace:
        raise StackFileError("the namespace before ':' is empty (nothing would read the key)")
    return namespace, name + tail


def _set(container: Any, path: list[str | int], value: Any, prefix: list[str]) -> Any:
    """config/object.go `object.Set`; returns the new container."""
    if not path:
        return value
    step = path[0]
    where = _render(prefix)
    if container is None or (not isinstance(container, (list, dict)) and len(prefix) == 1):
        if isinstance(step, int):
            if not 0 <= step <= MAX_NEW_INDEX:
                raise StackFileError(f"{where}[{step}]: array index out of range")
            container = [None] * (step + 1)
        else:
            container = {}
    elif not isinstance(container, (list, dict)):
        expected = "an array" if isinstance(step, int) else "a map"
        raise StackFileError(f"{where}: expected {expected}, not a {_kind(container)}")
    if isinstance(container, list):
        if not isinstance(step, int):
            raise StackFileError(f"{where}: key for an array must be an int")
        if not 0 <= step <= len(container):
            raise StackFileError(
                f"{where}[{step}]: array index out of range (the list has {len(container)})"
            )
        if step == len(container):
            container.append(None)
        container[step] = _set(container[step], path[1:], value, [*prefix, f"[{step}]"])
        return container
    if not isinstance(step, str):
        raise StackFileError(f"{where}: key for a map must be a string")
    if len(path) == 1 and not container and step == "secure" and isinstance(value, str):
        raise StackFileError(f"{where}: a map of only 'secure' is reserved for ciphertext")
    container[step] = _set(container.get(step), path[1:], value, [*prefix, f".{step}"])
    return container


def _render(prefix: list[str]) -> str:
    return "".join(prefix)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return True
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False
