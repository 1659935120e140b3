"""YAML read as the Pulumi CLI reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`.

The CLI unmarshals both files with gopkg.in/yaml.v3 v3.0.1 (pulumi/pulumi
sdk/go/common/encoding/marshal.go, `yamlMarshaler.Unmarshal` -> `yaml.Unmarshal`; the version
is sdk/go.mod's), into `any`, then re-encodes and decodes the result once more
(sdk/go/common/workspace/loaders.go, `LoadProjectStackBytes`). yaml.v3 is YAML 1.2-ish where
PyYAML is YAML 1.1, so PyYAML's own constructors would hand the program other values:
`yes`/`on` are strings to the CLI, `1:30` is a string (no sexagesimals), `010` is 8 and `0o10`
is 8, `1_00` is 100, `08` is the float 8, a timestamp becomes Go's `time.Time.String()`.

Its second pass matters once: a quoted `"<<"` key is written back plain, so it merges.

So the text is parsed into events by libyaml (through PyYAML's C parser: go-yaml's
scannerc.go and parserc.go are a translation of libyaml, so the syntax accepted and the
errors are the same), and the events are turned into values here with yaml.v3's rules,
each cited where it is applied: `resolve` (go-yaml/yaml v3.0.1 resolve.go), node tags,
duplicate keys, merge keys, aliases (decode.go). Limits: yaml.v3 refuses nesting deeper
than 10000 (scannerc.go `max_flow_level`, `max_indents`) and "excessive aliasing" by ratio
(decode.go `allowedAliasRatio`); this reader refuses nesting deeper than `MAX_DEPTH`
(deeper values would overflow Python's recursion in the program's own JSON handling) and
more than `MAX_VALUES` values after alias expansion, and applies yaml.v3's ratio as well,
so an alias bomb fails in milliseconds instead of expanding.

Checked against yaml.v3 itself: 173 scalars and documents (tests/test_goyaml.py's table and
more) decoded by v3.0.1, built from go-yaml's tag with Go 1.19 and read twice as loaders.go
does, gave the same values and the same refusals, except a zone offset over 24 hours, which
Go 1.19 accepted and Go 1.20's time.Parse (what the CLI is built with) refuses.

Values come out as the program would get them after the CLI's JSON encoding
(sdk/go/common/resource/config/object.go): a float with an integral value is an int (Go's
encoding/json writes `1.0` as `1`), `.inf` and `.nan` are refused (encoding/json cannot
write them, so the CLI fails), mapping keys must be strings
(workspace/project.go `SimplifyMarshalledValue`: "expected only string keys").

Longer than the project's usual 400 lines on purpose: it is one translation of yaml.v3's
decoder (events to values, with its rules for tags, merges, aliases and limits), and split
in two its rules would be read apart from the events they apply to. The scalar rules, which
stand on their own, are in `stackctl/goscalars.py`.
"""

from __future__ import annotations

import base64
import binascii
import errno
import math
import os
import re
import stat
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from stackctl.goscalars import (
    BINARY,
    BOOL,
    FLOAT,
    INT,
    MAP,
    MERGE,
    NULL,
    SEQ,
    STR,
    TIMESTAMP,
    resolve,
    short_tag,
)

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml where PyYAML was built with it (the wheels are): 20x faster than the pure parser."""

MAX_BYTES = 1 << 20
"""A stack file over 1 MiB is refused before it is parsed (prod's is 6 KiB)."""
MAX_DEPTH = 100
MAX_VALUES = 100_000


class YamlError(Exception):
    """A document the CLI would refuse, or that this reader bounds; never quotes a value."""

    def __init__(
        self,
        problem: str,
        line: int | None = None,
        column: int | None = None,
        *,
        of_file: bool = False,
        syntax: bool = False,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column
        self.of_file = of_file
        """A problem of the file as a whole ("is a directory"), phrased to follow its name."""
        self.syntax = syntax
        """libyaml could not parse the text: "<file> is not valid YAML (line, column): ..."."""

    def where(self) -> str:
        if self.line is None:
            return ""
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")

    def describe(self, name: str) -> str:
        """One line naming the file, the line and column, and the problem."""
        where = self.where()
        if self.syntax:
            return (
                f"{name} is not valid YAML" + (f" ({where})" if where else "") + f": {self.problem}"
            )
        if self.of_file:
            return f"{name} {self.problem}" + (f" ({where})" if where else "")
        return f"{name}, {where}: {self.problem}" if where else f"{name}: {self.problem}"


@dataclass(eq=False)
class Node:
    kind: str  # "scalar", "seq", "map", "alias"
    tag: str
    value: str
    line: int
    column: int
    content: list[Node] = field(default_factory=list)
    alias: Node | None = None
    anchor: str = ""


def load(path: Path) -> Any:
    """Read and parse `path`: a regular file of at most `MAX_BYTES`, in UTF-8 (a UTF-8 byte
    order mark is dropped, as loaders.go `readFileStripUTF8BOM` does) or in UTF-16 with a
    byte order mark (yaml.v3 readerc.go `yaml_parser_determine_encoding` reads it)."""
    return parse(decode(read_bytes(path)))


def read_bytes(path: Path) -> bytes:
    """The file's bytes, without blocking on a FIFO or following a symlink loop forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise YamlError(_os_problem(err), of_file=True) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise YamlError("is a directory, not a file", of_file=True)
        if not stat.S_ISREG(info.st_mode):
            raise YamlError("is not a regular file (a FIFO, socket or device?)", of_file=True)
        if info.st_size > MAX_BYTES:
            raise YamlError(
                f"is {info.st_size} bytes, over the {MAX_BYTES}-byte limit", of_file=True
            )
        data = os.read(fd, MAX_BYTES + 1)
        chunks = [data]
        while data and sum(map(len, chunks)) <= MAX_BYTES:
            data = os.read(fd, MAX_BYTES + 1)
            chunks.append(data)
    except OSError as err:
        raise YamlError(_os_problem(err), of_file=True) from None
    finally:
        os.close(fd)
    content = b"".join(chunks)
    if len(content) > MAX_BYTES:
        raise YamlError(f"is over the {MAX_BYTES}-byte limit", of_file=True)
    return content


def _os_problem(err: OSError) -> str:
    if err.errno == errno.ENOENT:
        return "does not exist"
    if err.errno == errno.ELOOP:
        return "cannot be read: a symbolic link loop"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    if err.errno == errno.EISDIR:
        return "is a directory, not a file"
    return f"cannot be read: {os.strerror(err.errno) if err.errno else 'I/O error'}"


def decode(data: bytes) -> str:
    """UTF-8, or UTF-16 with a byte order mark; anything else is refused with its line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise YamlError(
                f"is not valid UTF-16 (byte {err.start}): {err.reason}", of_file=True
            ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise YamlError(
            "is not UTF-8 text (the CLI reads UTF-8, or UTF-16 with a byte order mark)",
            line,
            column,
            of_file=True,
        ) from None
    if "\x00" in text:
        offset = text.index("\x00")
        raise YamlError(
            "contains NUL bytes: UTF-16 without a byte order mark? (the CLI reads UTF-8, or "
            "UTF-16 with a byte order mark)",
            text.count("\n", 0, offset) + 1,
            of_file=True,
        )
    return text


def parse(text: str) -> Any:
    """The first document of `text` as the CLI's program would see it; None if empty."""
    root = _compose(text)
    if root is None:
        return None
    return _Decoder().decode(root, 0)


# --- events to nodes (decode.go `parser`) ------------------------------------------------------


def _compose(text: str) -> Node | None:
    loader = _PARSER(text)
    anchors: dict[str, Node] = {}
    stack: list[Node] = []
    root: Node | None = None
    try:
        while loader.check_event():
            event = loader.get_event()
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            if isinstance(event, yaml.DocumentEndEvent):
                break  # yaml.Unmarshal decodes the first document only
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                stack.pop()
                continue
            node = _node(event, line, column, anchors)
            if node is None:
                continue
            if stack:
                stack[-1].content.append(node)
            else:
                root = node
            if node.kind in ("seq", "map"):
                stack.append(node)
                if len(stack) > MAX_DEPTH:
                    raise YamlError(f"nested deeper than {MAX_DEPTH} levels", line, column)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "cannot parse"
        raise YamlError(problem, *(_mark(mark)), syntax=True) from None
    except yaml.reader.ReaderError as err:  # a character YAML does not allow: a position
        offset = min(max(err.position, 0), len(text))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise YamlError(err.reason, line, column, syntax=True) from None
    except yaml.YAMLError as err:
        raise YamlError(str(err).splitlines()[0], syntax=True) from None
    finally:
        loader.dispose()
    return root


def _mark(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _node(event: Any, line: int, column: int, anchors: dict[str, Node]) -> Node | None:
    """decode.go `parser.node`: an explicit tag other than `!` wins, else the kind's default
    tag (quoted scalars are `!!str`, a plain `<<` is a merge), else the resolved one."""
    if isinstance(event, yaml.AliasEvent):
        name = event.anchor or ""
        target = anchors.get(name)
        if target is None:
            raise YamlError(f"unknown anchor '{name}' referenced", line, column)
        return Node("alias", "", name, line, column, alias=target)
    if isinstance(event, yaml.ScalarEvent):
        plain = not event.style  # libyaml says '' for a plain scalar, the pure parser None
        kind, default = "scalar", ("" if plain else STR)
        if plain and event.value == "<<":
            default = MERGE
    elif isinstance(event, yaml.SequenceStartEvent):
        kind, default = "seq", SEQ
    elif isinstance(event, yaml.MappingStartEvent):
        kind, default = "map", MAP
    else:
        return None  # stream and document boundaries
    tag = event.tag or ""
    value = event.value if kind == "scalar" else ""
    if tag and tag != "!":
        tag = short_tag(tag)
    elif default:
        tag = default
    else:
        tag = resolve("", value)[0]
    node = Node(kind, tag, value, line, column, anchor=event.anchor or "")
    if event.anchor:
        anchors[event.anchor] = node  # registered before its content: a node may contain itself
    return node


# --- nodes to values (decode.go `decoder`) ------------------------------------------------------


class _Decoder:
    def __init__(self) -> None:
        self.decodes = 0
        self.aliased = 0
        self.alias_depth = 0
        self.active: set[int] = set()

    def decode(self, node: Node, depth: int) -> Any:
        self.decodes += 1
        if self.alias_depth:
            self.aliased += 1
        if self.decodes > MAX_VALUES:
            raise YamlError(
                f"more than {MAX_VALUES} values (aliases expanded)", node.line, node.column
            )
        if (
            self.aliased > 100
            and self.decodes > 1000
            and self.aliased / self.decodes > _allowed_alias_ratio(self.decodes)
        ):
            raise YamlError("document contains excessive aliasing", node.line, node.column)
        if depth > MAX_DEPTH:
            raise YamlError(f"nested deeper than {MAX_DEPTH} levels", node.line, node.column)
        if node.kind == "alias":
            assert node.alias is not None
            if id(node) in self.active:
                raise YamlError(f"anchor '{node.value}' value contains itself", node.line)
            self.active.add(id(node))
            self.alias_depth += 1
            try:
                return self.decode(node.alias, depth)
            finally:
                self.alias_depth -= 1
                self.active.discard(id(node))
        if node.kind == "scalar":
            return _scalar(node)
        if node.kind == "seq":
            return [self.decode(item, depth + 1) for item in node.content]
        return self.mapping(node, depth, set())

    def mapping(self, node: Node, depth: int, merged: set[str]) -> dict[str, Any]:
        """decode.go `mapping`: keys unique by kind and text; own keys win over merged ones."""
        pairs = list(zip(node.content[::2], node.content[1::2], strict=True))
        seen: dict[tuple[str, str], Node] = {}
        for key, _ in pairs:
            first = seen.setdefault((key.kind, key.value), key)
            if first is not key:
                raise YamlError(
                    f"mapping key {_quote(key.value)} already defined at line {first.line}",
                    key.line,
                    key.column,
                )
        out: dict[str, Any] = {}
        merge: Node | None = None
        for key, value in pairs:
            if _is_merge_key(key):
                merge = value
                continue
            name = self.key(key, depth)
            if name in merged:
                continue
            out[name] = self.decode(value, depth + 1)
        if merge is not None:
            taken = merged | set(out)
            for source in self.merge_sources(merge):
                for name, value in self.merged(source, depth, taken).items():
                    out.setdefault(name, value)
                taken |= set(out)
        return out

    def key(self, key: Node, depth: int) -> str:
        """A key must decode to a Go string: decode.go refuses a mapping or sequence key
        ("invalid map key"), project.go `SimplifyMarshalledValue` any other non-string."""
        target = key.alias if key.kind == "alias" else key
        assert target is not None
        if target.kind != "scalar":
            raise YamlError("a mapping key cannot be a mapping or a sequence", key.line, key.column)
        if target.tag in _NOT_STRING:
            raise YamlError(
                f"expected only string keys, got a {target.tag[2:]} key (quote it)",
                key.line,
                key.column,
            )
        return str(self.decode(key, depth + 1))

    def merge_sources(self, merge: Node) -> list[Node]:
        """decode.go `merge`: a mapping, an alias of one, or a sequence of those."""
        items = merge.content if merge.kind == "seq" else [merge]
        for item in items:
            target = item.alias if item.kind == "alias" else item
            if target is None or target.kind != "map":
                raise YamlError(
                    "map merge requires map or sequence of maps as the value",
                    item.line,
                    item.column,
                )
        return items

    def merged(self, source: Node, depth: int, taken: set[str]) -> dict[str, Any]:
        """One merge source, counted as an alias expansion when it is one (and refused when
        it contains itself), as decode.go counts it."""
        if source.kind != "alias":
            self.decodes += 1
            return self.mapping(source, depth, taken)
        assert source.alias is not None
        if id(source) in self.active:
            raise YamlError(f"anchor '{source.value}' value contains itself", source.line)
        self.active.add(id(source))
        self.alias_depth += 1
        try:
            self.decodes += 1
            self.aliased += 1
            return self.mapping(source.alias, depth, taken)
        finally:
            self.alias_depth -= 1
            self.active.discard(id(source))


_NOT_STRING = {INT, FLOAT, BOOL, NULL, TIMESTAMP}


def _is_merge_key(key: Node) -> bool:
    """decode.go `isMerge` is a plain `<<`; but the CLI decodes twice (loaders.go), and the
    first pass writes any `<<` key back out plain, so a quoted `"<<"` merges too."""
    target = key.alias if key.kind == "alias" else key
    return (
        target is not None
        and target.kind == "scalar"
        and target.value == "<<"
        and target.tag not in _NOT_STRING
        and target.tag != BINARY
    )


def _allowed_alias_ratio(decodes: int) -> float:
    """decode.go `allowedAliasRatio`: 99% from aliases for small documents, 10% for huge."""
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * ((decodes - low) / (high - low))


def _scalar(node: Node) -> Any:
    """decode.go `scalar`: `!!str` is the text; `!!binary` is base64; else `resolve`."""
    if node.tag == STR:
        return node.value
    try:
        tag, value = resolve(node.tag, node.value)
    except ValueError as err:
        raise YamlError(str(err), node.line, node.column) from None
    if tag == BINARY:
        try:
            data = base64.b64decode(re.sub(r"[\r\n]", "", node.value), validate=True)
        except (binascii.Error, ValueError):
            raise YamlError(
                "!!binary value contains invalid base64 data", node.line, node.column
            ) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            # A Go string may hold any bytes; the CLI's gRPC call to the program may not.
            raise YamlError(
                "!!binary value is not UTF-8 text: config values are text",
                node.line,
                node.column,
            ) from None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise YamlError(
                "infinity and NaN cannot be config values (the CLI cannot encode them as JSON)",
                node.line,
                node.column,
            )
        if value.is_integer() and abs(value) < 1e21:
            # Go's encoding/json writes 8.0 as 8, and 2**63 as its shortest digits padded
            # with zeros (9223372036854776000): the integer the program then reads.
            return int(Decimal(repr(value)))
    return value


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
