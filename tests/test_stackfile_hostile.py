"""Hostile project files, stack files, stack names and overrides: each one clear error.

Every case runs `python -m stackctl` in-process on a scratch project, with every verb that
reads a stack (`graph` in each format, `check`, `diff`), and asserts what a user sees: exit
code 1, one `error:` line naming the place (file, line, key), no traceback, and never the
canary token planted in the file or the override. Each test runs under an alarm, so a read
that blocks (a FIFO, /dev/zero) fails the test instead of stalling the suite.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackctl.goyaml import MAX_BYTES
from tests.conftest import ProjectFactory, run_cli

CANARY = "glpat-" + "q8Zr4Tn2Lw6Ks1Pv9Xy3"  # shaped like a GitLab token; must never be printed
C = CANARY
REQUIRED = (
    "  aigw-delivery:source: {}\n  aigw-delivery:gcp: {}\n"
    "  aigw-delivery:fleets: {}\n  aigw-delivery:runway: {}\n"
)
HEAD = f"config:\n  aigw-delivery:dockerhubToken: {C}\n"
"""A stack file's first lines: the canary as a plain value, on line 2."""
TIME_LIMIT = 20
NOT_UTF8 = base64.b64encode(bytes([0xFF, 0xFE])).decode()


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    """Fail, rather than hang, a test whose read blocks (SIGALRM interrupts the syscall)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {TIME_LIMIT} s: a read blocked or looped")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Case:
    id: str
    expect: str
    """A regex the error line must match: the place (file, line, key) and the problem."""
    stack: bytes | str | None = None
    """The content of Pulumi.bad.yaml."""
    project: bytes | str | None = None
    """The content of Pulumi.yaml (the project's own, if None)."""
    make: Callable[[Path], None] | None = None
    """Makes the stack file some other way (a directory, a FIFO, a symlink loop)."""
    name: str = "bad"
    overrides: tuple[str, ...] = ()


def _deep(opening: str, closing: str, depth: int) -> str:
    return HEAD + "  aigw-delivery:x: " + opening * depth + closing * depth + "\n"


def _bomb() -> str:
    lines = [HEAD, "  aigw-delivery:x:\n", '    a: &a ["lol","lol","lol","lol","lol","lol"]\n']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"    {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n")
    return "".join(lines)


def _map_bomb() -> str:
    lines = [HEAD, "  aigw-delivery:x:\n", "    a: &a {k0: v, k1: v, k2: v}\n"]
    for previous, name in zip("abcdefg", "bcdefgh", strict=True):
        items = ", ".join(f"{name}{i}: *{previous}" for i in range(10))
        lines.append(f"    {name}: &{name} {{{items}}}\n")
    return "".join(lines)


def _alias_depth() -> str:
    lines = [HEAD, "  aigw-delivery:x:\n", "    a0: &a0 " + "[" * 60 + "]" * 60 + "\n"]
    for i in range(1, 4):
        lines.append(f"    a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60 + "\n")
    return "".join(lines)


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to("Pulumi.nowhere.yaml")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _huge_sparse(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(4 << 30)


def _oversized(path: Path) -> None:
    path.write_text(HEAD + REQUIRED + "#" * (MAX_BYTES + 10) + "\n")


def _grow(path: Path) -> None:
    path.mkdir()


F = r"Pulumi\.bad\.yaml"
P = r"Pulumi\.yaml"
OK_STACK = HEAD + "  aigw-delivery:environment: staging\n" + REQUIRED

STACK_FILES = [
    # duplicate keys: yaml.v3 refuses them (decode.go "already defined at line")
    Case(
        "duplicate-environment",
        rf'{F}, line 8, column 3: mapping key "aigw-delivery:environment" already defined '
        r"at line 3",
        HEAD
        + "  aigw-delivery:environment: prod\n"
        + REQUIRED
        + "  aigw-delivery:environment: staging\n",
    ),
    Case(
        "duplicate-top",
        rf'{F}, line 3, column 1: mapping key "config" already defined at line 1',
        HEAD + "config: {}\n",
    ),
    Case(
        "duplicate-nested",
        rf'{F}, line 5, column 5: mapping key "path" already defined at line 4',
        HEAD + "  aigw-delivery:source:\n    path: a\n    path: b\n",
    ),
    Case(
        "duplicate-quoted",
        rf'{F}, line 4, column 3: mapping key "aigw-delivery:x" already defined',
        HEAD + "  aigw-delivery:x: 1\n  'aigw-delivery:x': 2\n",
    ),
    Case(
        "duplicate-flow",
        rf'{F}, line 3, column \d+: mapping key "a" already defined at line 3',
        HEAD + f"  aigw-delivery:x: {{a: 1, a: {C}}}\n",
    ),
    Case(
        "duplicate-merge",
        rf'{F}, line 5, column 5: mapping key "<<" already defined',
        HEAD + "  aigw-delivery:x:\n    <<: {a: 1}\n    <<: {b: 2}\n",
    ),
    Case(
        "duplicate-after-namespacing",
        rf"{F}: config keys 'environment' and 'aigw-delivery:environment' name the same key",
        HEAD + "  environment: prod\n  aigw-delivery:environment: staging\n" + REQUIRED,
    ),
    Case(
        "duplicate-config-compat-form",
        rf"{F}: config keys 'aigw-delivery:environment' and 'aigw-delivery:config:environment'",
        HEAD + "  aigw-delivery:environment: prod\n  aigw-delivery:config:environment: x\n",
    ),
    # syntax
    Case(
        "unclosed-flow-sequence",
        rf"{F} is not valid YAML \(line \d+, column \d+\)",
        HEAD + f"  aigw-delivery:x: [{C}\n",
    ),
    Case(
        "unclosed-flow-mapping",
        rf"{F} is not valid YAML \(line \d+, column \d+\)",
        HEAD + f"  aigw-delivery:x: {{a: {C}\n",
    ),
    Case(
        "bad-indentation",
        rf"{F} is not valid YAML \(line 5, column 5\): did not find expected key",
        HEAD + "  aigw-delivery:x:\n      a: 1\n    b: 2\n",
    ),
    Case(
        "tab-indentation",
        rf"{F} is not valid YAML \(line 3, column 1\)",
        HEAD + "\taigw-delivery:x: 1\n",
    ),
    Case(
        "nested-mapping-on-one-line",
        rf"{F} is not valid YAML \(line 3, column \d+\)",
        HEAD + f"  aigw-delivery:x: a: {C}\n",
    ),
    Case(
        "unclosed-double-quote",
        rf"{F} is not valid YAML \(line \d+, column \d+\)",
        HEAD + f'  aigw-delivery:x: "{C}\n',
    ),
    Case(
        "unclosed-single-quote",
        rf"{F} is not valid YAML \(line \d+, column \d+\)",
        HEAD + f"  aigw-delivery:x: '{C}\n",
    ),
    Case(
        "unknown-escape",
        rf"{F} is not valid YAML \(line 3, column \d+\): found unknown escape",
        HEAD + f'  aigw-delivery:x: "\\q{C}"\n',
    ),
    Case(
        "reserved-indicator",
        rf"{F} is not valid YAML \(line 3, column \d+\)",
        HEAD + f"  aigw-delivery:x: @{C}\n",
    ),
    Case(
        "backtick",
        rf"{F} is not valid YAML \(line 3, column \d+\)",
        HEAD + f"  aigw-delivery:x: `{C}\n",
    ),
    Case(
        "stray-bracket",
        rf"{F} is not valid YAML \(line 4, column 1\)",
        HEAD + "  aigw-delivery:x: a]\n]\n",
    ),
    Case(
        "trailing-brace",
        rf"{F} is not valid YAML \(line 3, column \d+\)",
        HEAD + "  aigw-delivery:x: {a: 1}}\n",
    ),
    Case(
        "sequence-then-mapping",
        rf"{F} is not valid YAML \(line \d+, column \d+\)",
        HEAD + "  - a\n  b: c\n",
    ),
    Case(
        "yaml-2-directive",
        rf"{F} is not valid YAML \(line 1, column \d+\)",
        "%YAML 2.0\n---\n" + HEAD,
    ),
    Case(
        "undefined-tag-handle",
        rf"{F} is not valid YAML \(line 3, column \d+\): found undefined tag",
        HEAD + f"  aigw-delivery:x: !e!foo {C}\n",
    ),
    # aliases
    Case(
        "undefined-alias",
        rf"{F}, line 3, column 20: unknown anchor 'nope' referenced",
        HEAD + "  aigw-delivery:x: *nope\n",
    ),
    Case(
        "recursive-sequence",
        rf"{F}, line 3: anchor 'a' value contains itself",
        HEAD + "  aigw-delivery:x: &a [*a]\n",
    ),
    Case(
        "recursive-mapping",
        rf"{F}, line 4: anchor 'a' value contains itself",
        HEAD + "  aigw-delivery:x: &a\n    self: *a\n",
    ),
    Case(
        "recursive-merge",
        rf"{F}, line 4: anchor 'a' value contains itself",
        HEAD + "  aigw-delivery:x: &a\n    <<: *a\n    b: 1\n",
    ),
    Case(
        "alias-bomb", rf"{F}, line \d+, column \d+: document contains excessive aliasing", _bomb()
    ),
    Case(
        "alias-bomb-of-mappings",
        rf"{F}, line \d+, column \d+: document contains excessive aliasing",
        _map_bomb(),
    ),
    Case(
        "merge-of-a-scalar",
        rf"{F}, line 4, column 9: map merge requires map or sequence of maps",
        HEAD + f"  aigw-delivery:x:\n    <<: {C}\n",
    ),
    Case(
        "merge-of-scalars",
        rf"{F}, line 4, column \d+: map merge requires map",
        HEAD + "  aigw-delivery:x:\n    <<: [a, b]\n",
    ),
    Case(
        "merge-of-an-alias-to-a-list",
        rf"{F}, line 5, column 9: map merge requires map",
        HEAD + "  aigw-delivery:y: &l [1]\n  aigw-delivery:x:\n    <<: *l\n",
    ),
    # nesting
    Case(
        "deep-flow-sequences",
        rf"{F}, line 3, column \d+: nested deeper than 100 levels",
        _deep("[", "]", 5000),
    ),
    Case(
        "deep-flow-mappings",
        rf"{F}, line 3, column \d+: nested deeper than 100 levels",
        _deep("{a: ", "}", 5000),
    ),
    Case(
        "deep-block-mappings",
        rf"{F}, line \d+, column \d+: nested deeper than 100 levels",
        HEAD + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)) + "  " * 201 + f"v: {C}\n",
    ),
    Case(
        "deep-through-aliases",
        rf"{F}, line \d+, column \d+: nested deeper than 100 levels",
        _alias_depth(),
    ),
    Case(
        "deep-past-yaml-v3-limit",
        rf"{F}, line 3, column \d+: nested deeper",
        _deep("[", "]", 20000),
    ),
    # tags yaml.v3 refuses (resolve.go: "cannot decode ... as a ...")
    Case(
        "int-tag-on-text",
        rf"{F}, line 3, column 20: cannot decode a !!str value as a !!int",
        HEAD + f"  aigw-delivery:x: !!int {C}\n",
    ),
    Case(
        "int-tag-on-float",
        rf"{F}, line 3, column 20: cannot decode a !!float value as a !!int",
        HEAD + "  aigw-delivery:x: !!int 1.5\n",
    ),
    Case(
        "int-tag-on-quoted-text",
        rf"{F}, line 3, column 20: cannot decode a !!str value as a !!int",
        HEAD + f'  aigw-delivery:x: !!int "{C}"\n',
    ),
    Case(
        "float-tag-on-text",
        rf"{F}, line 3, column 20: cannot decode a !!str value as a !!float",
        HEAD + "  aigw-delivery:x: !!float abc\n",
    ),
    Case(
        "bool-tag-on-yes",
        rf"{F}, line 3, column 20: cannot decode a !!str value as a !!bool",
        HEAD + "  aigw-delivery:x: !!bool yes\n",
    ),
    Case(
        "null-tag-on-text",
        rf"{F}, line 3, column 20: cannot decode a !!str value as a !!null",
        HEAD + "  aigw-delivery:x: !!null x\n",
    ),
    Case(
        "timestamp-tag-on-text",
        rf"{F}, line 3, column 20: cannot decode a !!str value as a !!timestamp",
        HEAD + "  aigw-delivery:x: !!timestamp 2001-13-45\n",
    ),
    Case(
        "binary-not-base64",
        rf"{F}, line 3, column 20: !!binary value contains invalid base64",
        HEAD + "  aigw-delivery:x: !!binary a$b\n",
    ),
    Case(
        "binary-not-utf8",
        rf"{F}, line 3, column 20: !!binary value is not UTF-8 text",
        HEAD + "  aigw-delivery:x: !!binary " + NOT_UTF8 + "\n",
    ),
    Case(
        "binary-not-utf8-nested",
        rf"{F}, line 4, column 8: !!binary value is not UTF-8",
        HEAD + "  aigw-delivery:x:\n    a: !!binary gA==\n",
    ),
    # values the CLI cannot encode as JSON
    Case(
        "infinity",
        rf"{F}, line 3, column 20: infinity and NaN cannot be config values",
        HEAD + "  aigw-delivery:x: .inf\n",
    ),
    Case(
        "negative-infinity-nested",
        rf"{F}, line 4, column 8: infinity and NaN",
        HEAD + "  aigw-delivery:x:\n    a: -.Inf\n",
    ),
    Case(
        "nan-in-list",
        rf"{F}, line 3, column 21: infinity and NaN",
        HEAD + "  aigw-delivery:x: [.NaN]\n",
    ),
    # keys that are not strings (project.go SimplifyMarshalledValue)
    Case(
        "int-key",
        rf"{F}, line 3, column 3: expected only string keys, got a int key",
        HEAD + f"  1: {C}\n",
    ),
    Case(
        "bool-key-nested",
        rf"{F}, line 4, column 5: expected only string keys, got a bool key",
        HEAD + f"  aigw-delivery:x:\n    true: {C}\n",
    ),
    Case(
        "yes-key-is-a-string-but-on-is-dup",
        rf'{F}, line 5, column 5: mapping key "on" already',
        HEAD + "  aigw-delivery:x:\n    on: 1\n    on: 2\n",
    ),
    Case(
        "null-key",
        rf"{F}, line 4, column 5: expected only string keys, got a null key",
        HEAD + f"  aigw-delivery:x:\n    ~: {C}\n",
    ),
    Case(
        "timestamp-key",
        rf"{F}, line 4, column 5: expected only string keys, got a timestamp key",
        HEAD + "  aigw-delivery:x:\n    2001-12-14: a\n",
    ),
    Case(
        "float-key",
        rf"{F}, line 4, column 5: expected only string keys, got a float key",
        HEAD + "  aigw-delivery:x:\n    1.5: a\n",
    ),
    Case(
        "sequence-key",
        rf"{F}, line 4, column \d+: a mapping key cannot be a mapping or a sequence",
        HEAD + "  aigw-delivery:x:\n    ? [a, b]\n    : c\n",
    ),
    Case(
        "mapping-key",
        rf"{F}, line 4, column \d+: a mapping key cannot be a mapping or a sequence",
        HEAD + "  aigw-delivery:x:\n    ? {a: 1}\n    : c\n",
    ),
    Case(
        "empty-key",
        rf"{F} is not valid YAML \(line 3, column 3\): did not find expected key",
        HEAD + f"  : {C}\n",
    ),
    # encodings: UTF-8 (a BOM is dropped), or UTF-16 with a BOM
    Case(
        "control-character",
        rf"{F} is not valid YAML \(line 3, column 21\): control characters",
        HEAD + f"  aigw-delivery:x: a\x07{C}\n",
    ),
    Case(
        "utf16-without-bom",
        rf"{F} contains NUL bytes: UTF-16 without a byte order mark\?",
        (HEAD + REQUIRED).encode("utf-16-le"),
    ),
    Case(
        "utf32",
        rf"{F} is not valid YAML \(line 1, column 1\): control characters are not allowed",
        (HEAD + REQUIRED).encode("utf-32"),
    ),
    Case(
        "invalid-utf8",
        rf"{F} is not UTF-8 text .* \(line 3, column 20\)",
        HEAD.encode() + b"  aigw-delivery:x: \xff" + C.encode() + b"\n",
    ),
    Case(
        "latin1",
        rf"{F} is not UTF-8 text .*\(line 4, column 23\)",
        (HEAD + f"  aigw-delivery:y: 1\n  aigw-delivery:x: caf\xe9 {C}\n").encode("latin-1"),
    ),
    Case("invalid-utf16-after-bom", rf"{F} is not valid UTF-16", b"\xff\xfe" + b"a\x00\x00\xd8b"),
    Case(
        "utf8-bom-then-invalid",
        rf"{F} is not UTF-8 text .*\(line 1, column 1\)",
        b"\xef\xbb\xbf\xc3(" + HEAD.encode(),
    ),
    # shapes
    Case("top-level-list", rf"{F}: expected a mapping at the top level, not a array", f"- {C}\n"),
    Case("top-level-text", rf"{F}: expected a mapping at the top level, not a string", f"{C}\n"),
    Case("top-level-number", rf"{F}: expected a mapping at the top level, not a integer", "42\n"),
    Case(
        "config-list",
        rf"{F}: 'config' must be a mapping of keys to values, not a array",
        f"config:\n  - {C}\n",
    ),
    Case("config-text", rf"{F}: 'config' must be a mapping .* not a string", f"config: {C}\n"),
    Case("config-number", rf"{F}: 'config' must be a mapping .* not a integer", "config: 5\n"),
    Case(
        "secretsprovider-list",
        rf"{F}: secretsprovider must be a string",
        f"secretsprovider: [{C}]\n" + OK_STACK,
    ),
    Case("encryptedkey-map", rf"{F}: encryptedkey must be a string", f"encryptedkey: {{a: {C}}}\n"),
    # keys key.go ParseKey refuses
    Case(
        "key-with-three-parts",
        rf"{F}: config key 'aigw-delivery:a:b' is not of the form",
        HEAD + f"  aigw-delivery:a:b: {C}\n",
    ),
    Case(
        "key-with-four-parts",
        rf"{F}: config key 'a:b:c:d' is not of the form",
        HEAD + f"  a:b:c:d: {C}\n",
    ),
    Case(
        "key-with-empty-name",
        rf"{F}: config key 'aigw-delivery:' has an empty namespace or name",
        HEAD + f"  'aigw-delivery:': {C}\n",
    ),
    Case(
        "key-with-empty-namespace",
        rf"{F}: config key ':x' has an empty namespace or name",
        HEAD + f"  ':x': {C}\n",
    ),
    # declared types and required keys
    Case(
        "environment-list",
        rf"{F}: aigw-delivery:environment: value of type array does not match "
        r"the declared type string",
        HEAD + f"  aigw-delivery:environment: [{C}]\n" + REQUIRED,
    ),
    Case(
        "source-text",
        rf"{F}: aigw-delivery:source: value of type string does not match the declared "
        r"type object",
        HEAD + f"  aigw-delivery:environment: x\n  aigw-delivery:source: {C}\n"
        "  aigw-delivery:gcp: {}\n  aigw-delivery:fleets: {}\n  aigw-delivery:runway: {}\n",
    ),
    Case(
        "missing-source",
        rf"{F}: missing required configuration value 'aigw-delivery:source'",
        HEAD + "  aigw-delivery:environment: staging\n",
    ),
    Case(
        "empty-file", rf"{F} \(the file sets no config\): missing required configuration value", ""
    ),
    Case("only-comments", rf"{F} \(the file sets no config\): missing required", f"# {C}\n"),
    Case("null-config", rf"{F} \(the file sets no config\): missing required", "config:\n"),
    Case(
        "mirror-number",
        rf"{F}: aigw-delivery:mirror: value of type integer does not match",
        OK_STACK + "  aigw-delivery:mirror: 90\n",
    ),
    # the file itself
    Case("directory", rf"{F} is a directory, not a file", make=_grow),
    Case("fifo", rf"{F} is not a regular file", make=_fifo),
    Case("socket", rf"{F} (is not a regular file|cannot be read)", make=_socket),
    Case("device", rf"{F} is not a regular file", make=_device),
    Case("symlink-loop", rf"{F} cannot be read: a symbolic link loop", make=_symlink_loop),
    Case("dangling-symlink", rf"{F} does not exist", make=_dangling),
    Case("over-a-mebibyte", rf"{F} is \d+ bytes, over the 1048576-byte limit", make=_oversized),
    Case(
        "sparse-4-gib", rf"{F} is 4294967296 bytes, over the 1048576-byte limit", make=_huge_sparse
    ),
]

PROJECT = "name: aigw-delivery\nruntime: python\n"
PROJECT_FILES = [
    Case(
        "project-config-list",
        rf"{P}: 'config' must be a mapping of keys to declarations, not a array",
        project=PROJECT + f"config:\n  - {C}\n",
    ),
    Case(
        "project-config-number",
        rf"{P}: 'config' must be a mapping .* not a integer",
        project=PROJECT + "config: 5\n",
    ),
    Case(
        "project-entry-null",
        rf"{P}: config key 'environment': expected a declaration",
        project=PROJECT + "config:\n  environment:\n",
    ),
    Case(
        "project-entry-float",
        rf"{P}: config key 'environment': expected a declaration .* not a number",
        project=PROJECT + "config:\n  environment: 1.5\n",
    ),
    Case(
        "project-unknown-attribute",
        rf"{P}: config key 'environment': unknown attribute 'tpye'",
        project=PROJECT + f"config:\n  environment:\n    tpye: {C}\n",
    ),
    Case(
        "project-unknown-type",
        rf"{P}: config key 'environment': type must be one of",
        project=PROJECT + "config:\n  environment:\n    type: float\n",
    ),
    Case(
        "project-array-without-items",
        rf"{P}: config key 'regions': an array needs 'items'",
        project=PROJECT + "config:\n  regions:\n    type: array\n",
    ),
    Case(
        "project-items-without-type",
        rf"{P}: config key 'regions': an array needs 'items' with a type",
        project=PROJECT + "config:\n  regions:\n    type: array\n    items: {}\n",
    ),
    Case(
        "project-default-and-value",
        rf"{P}: config key 'gcp:project': cannot have both",
        project=PROJECT + f"config:\n  gcp:project:\n    default: a\n    value: {C}\n",
    ),
    Case(
        "project-default-of-wrong-type",
        rf"{P}: config key 'size': the default is not of the declared",
        project=PROJECT + f"config:\n  size:\n    type: integer\n    default: {C}\n",
    ),
    Case(
        "project-description-list",
        rf"{P}: config key 'size': description must be a string",
        project=PROJECT + "config:\n  size:\n    description: [a]\n",
    ),
    Case(
        "project-secret-text",
        rf"{P}: config key 'size': secret must be a boolean",
        project=PROJECT + "config:\n  size:\n    secret: 'yes'\n",
    ),
    Case(
        "project-foreign-key-with-type",
        rf"{P}: config key 'gcp:project': a key of another namespace",
        project=PROJECT + "config:\n  gcp:project:\n    type: string\n",
    ),
    Case(
        "project-foreign-key-with-default",
        rf"{P}: config key 'gcp:project': a key of another",
        project=PROJECT + f"config:\n  gcp:project:\n    default: {C}\n",
    ),
    Case(
        "project-foreign-key-without-value",
        rf"{P}: config key 'gcp:project': a key of another",
        project=PROJECT + "config:\n  gcp:project:\n    description: x\n",
    ),
    Case(
        "project-without-name",
        rf"{P}: project is missing a non-empty string 'name'",
        project="runtime: python\n",
    ),
    Case(
        "project-empty-name",
        rf"{P}: project is missing a non-empty string 'name'",
        project="name: ''\nruntime: python\n",
    ),
    Case("project-name-list", rf"{P}: project is missing", project=f"name: [{C}]\n"),
    Case("project-top-level-list", rf"{P}: expected a mapping at the top level", project="- a\n"),
    Case("project-empty", rf"{P}: expected a mapping at the top level", project=""),
    Case(
        "project-duplicate-name",
        rf'{P}, line 2, column 1: mapping key "name" already defined',
        project=PROJECT.replace("runtime", "name"),
    ),
    Case(
        "project-invalid-yaml",
        rf"{P} is not valid YAML \(line \d+, column \d+\)",
        project=PROJECT + f"config: [{C}\n",
    ),
    Case("project-not-utf8", rf"{P} is not UTF-8 text", project=b"name: \xff\n"),
    Case(
        "project-config-dir-list",
        rf"{P}: stackConfigDir must be a directory name",
        project=PROJECT + "stackConfigDir: [a]\n",
    ),
    Case(
        "project-config-dir-twice",
        rf"{P}: use only stackConfigDir",
        project=PROJECT + "config: a\nstackConfigDir: b\n",
    ),
]

STACK_NAMES = [
    Case("name-empty", r"invalid stack name: a stack name may not be empty", OK_STACK, name=""),
    Case(
        "name-101",
        r"invalid stack name: a stack name cannot exceed 100 characters",
        OK_STACK,
        name="a" * 101,
    ),
    Case("name-300-bytes", r"a stack name cannot exceed 100 characters", OK_STACK, name="é" * 150),
    Case(
        "name-slash",
        r"invalid stack name 'a/b': .* invalid character '/' at position 1",
        OK_STACK,
        name="a/b",
    ),
    Case("name-traversal", r"invalid character '/' at position 2", OK_STACK, name="../prod"),
    Case("name-space", r"invalid character ' ' at position 4", OK_STACK, name="prod staging"),
    Case("name-accent", r"invalid character 'é' at position 0", OK_STACK, name="éprod"),
    Case("name-newline", r"invalid character '\\n' at position 4", OK_STACK, name="prod\n"),
    Case("name-colon", r"invalid character ':' at position 4", OK_STACK, name="prod:x"),
    Case(
        "name-unknown",
        r"no stack named 'nope': Pulumi\.nope\.yaml does not exist",
        OK_STACK,
        name="nope",
    ),
]

OV = r"--config #1"
OVERRIDES = [
    Case(
        "override-without-equals",
        rf"{OV}: expected KEY=VALUE \(no '=' in it\)",
        OK_STACK,
        overrides=(C,),
    ),
    Case(
        "override-colon-for-equals",
        rf"{OV}: expected KEY=VALUE",
        OK_STACK,
        overrides=(f"dockerhubToken:{C}",),
    ),
    Case(
        "override-empty-key", rf"{OV}: the key before '=' is empty", OK_STACK, overrides=(f"={C}",)
    ),
    Case(
        "override-empty-namespace",
        rf"{OV} \(:foo\): the namespace before ':' is empty",
        OK_STACK,
        overrides=(f":foo={C}",),
    ),
    Case(
        "override-empty-namespace-path",
        rf"{OV} \(:foo.bar\): the namespace before ':' is empty",
        OK_STACK,
        overrides=(f":foo.bar={C}",),
    ),
    Case(
        "override-empty-name",
        rf"{OV} \(aigw-delivery:\): empty config key path",
        OK_STACK,
        overrides=(f"aigw-delivery:={C}",),
    ),
    Case(
        "override-three-parts",
        rf"{OV} \(a:b:c\): a key is <namespace>:<name>",
        OK_STACK,
        overrides=(f"a:b:c={C}",),
    ),
    Case(
        "override-trailing-dot",
        rf"{OV} \(source\.\): path 'source\.' must end with a name",
        OK_STACK,
        overrides=(f"source.={C}",),
    ),
    Case(
        "override-dot-bracket",
        rf"{OV} \(source\.\[0\]\): .*expected a property name after '\.'",
        OK_STACK,
        overrides=(f"source.[0]={C}",),
    ),
    Case(
        "override-index-not-a-number",
        rf"{OV} \(source\[x\]\): .*invalid array index \[x\]",
        OK_STACK,
        overrides=(f"source[x]={C}",),
    ),
    Case(
        "override-unclosed-bracket",
        rf"{OV} \(source\[1\): .*missing closing bracket",
        OK_STACK,
        overrides=(f"source[1={C}",),
    ),
    Case(
        "override-unclosed-quote",
        rf"{OV} \(source\[\"a\): .*missing closing quote",
        OK_STACK,
        overrides=(f'source["a={C}',),
    ),
    Case(
        "override-index-first",
        rf"{OV} \(\[0\]\): .*must start with a key name",
        OK_STACK,
        overrides=(f"[0]={C}",),
    ),
    Case(
        "override-through-a-string",
        rf"{OV} \(source\.canonical\.path\[3\]\): source\.canonical\.path: "
        r"expected an array, not a string",
        "",
        overrides=(f"source.canonical.path[3]={C}",),
        name="prod",
    ),
    Case(
        "override-through-a-number",
        rf"{OV} .*: source\.canonical\.importId: expected a map, not a number",
        "",
        overrides=(f"source.canonical.importId.x={C}",),
        name="prod",
    ),
    Case(
        "override-index-out-of-range",
        rf"{OV} \(fleets\.aigw\.regions\[99\]\): .*array index out of "
        r"range \(the list has 6\)",
        "",
        overrides=(f"fleets.aigw.regions[99]={C}",),
        name="prod",
    ),
    Case(
        "override-negative-index",
        rf"{OV} .*regions\[-1\]: array index out of range",
        "",
        overrides=(f"fleets.aigw.regions[-1]={C}",),
        name="prod",
    ),
    Case(
        "override-huge-index",
        rf"{OV} .*invalid array index",
        "",
        overrides=(f"fleets.aigw.regions[99999999999999999999]={C}",),
        name="prod",
    ),
    Case(
        "override-new-list-too-long",
        rf"{OV} .*source\.newList\[5000\]: array index out of range",
        "",
        overrides=(f"source.newList[5000]={C}",),
        name="prod",
    ),
    Case(
        "override-name-on-a-list",
        rf"{OV} .*fleets\.aigw\.regions: key for an array must be an int",
        "",
        overrides=(f"fleets.aigw.regions.first={C}",),
        name="prod",
    ),
    Case(
        "override-index-on-a-map",
        rf"{OV} .*fleets\.aigw: key for an array must be an int|"
        rf"{OV} .*fleets: key for a map must be a string",
        "",
        overrides=(f"fleets[0]={C}",),
        name="prod",
    ),
    Case(
        "override-secure-value",
        rf"{OV} \(dockerhubToken\): a {{secure: \.\.\.}} value is ciphertext",
        OK_STACK,
        overrides=(f'dockerhubToken={{"secure": "{C}"}}',),
    ),
    Case(
        "override-secure-nested",
        rf"{OV} \(source\): a {{secure: \.\.\.}} value is ciphertext",
        OK_STACK,
        overrides=(f'source={{"a": [{{"secure": "{C}"}}]}}',),
    ),
    Case(
        "override-secure-by-path",
        rf"{OV} \(source\.fresh\.secure\): .*reserved for ciphertext",
        OK_STACK,
        overrides=(f"source.fresh.secure={C}",),
    ),
    Case(
        "override-wrong-type",
        r"Pulumi\.bad\.yaml: aigw-delivery:environment: value of type array "
        r"does not match the declared type string",
        OK_STACK,
        overrides=(f'environment=["{C}"]',),
    ),
    Case(
        "override-second-one-bad",
        r"--config #2 \(:x\): the namespace",
        OK_STACK,
        overrides=("environment=staging", f":x={C}"),
    ),
]

CASES = STACK_FILES + PROJECT_FILES + STACK_NAMES + OVERRIDES
VERBS = [
    ("graph", "--format", "text"),
    ("graph", "--format", "json"),
    ("graph", "--format", "mermaid"),
    ("graph", "--format", "hash"),
    ("check",),
    ("diff",),
]


def _prepare(scratch_project: ProjectFactory, case: Case) -> Path:
    root = scratch_project()
    if case.project is not None:
        data = case.project.encode() if isinstance(case.project, str) else case.project
        (root / "Pulumi.yaml").write_bytes(data)
        (root / "Pulumi.bad.yaml").write_text(OK_STACK)
    if case.stack:
        data = case.stack.encode() if isinstance(case.stack, str) else case.stack
        (root / "Pulumi.bad.yaml").write_bytes(data)
    elif case.stack is not None and case.name != "prod":
        (root / "Pulumi.bad.yaml").write_bytes(b"")
    if case.name == "prod":
        (root / "Pulumi.prod.yaml").write_bytes(
            (Path(__file__).parent.parent / "Pulumi.prod.yaml").read_bytes()
        )
    if case.make is not None:
        case.make(root / "Pulumi.bad.yaml")
    return root


def _argv(root: Path, case: Case, verb: tuple[str, ...]) -> list[str]:
    argv = ["-C", str(root), verb[0]]
    if verb[0] == "diff":
        return [*argv, case.name, "staging"]
    argv += [case.name, *verb[1:]]
    for override in case.overrides:
        argv += ["-c", override]
    return argv


def test_there_are_over_a_hundred_cases() -> None:
    assert len(CASES) >= 100
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_one_clear_error_naming_the_place_and_never_the_canary(
    case: Case, scratch_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _prepare(scratch_project, case)
    verbs = [v for v in VERBS if not (case.overrides and v[0] == "diff")]
    for verb in verbs:
        code, out, err = run_cli(capsys, *_argv(root, case, verb))
        shown = out + err
        assert code == 1, (verb, shown)
        assert "Traceback" not in shown
        assert CANARY not in shown, verb
        assert out == "", verb
        lines = err.splitlines()
        assert len(lines) == 1, (verb, err)
        assert lines[0].startswith("error: "), (verb, err)
        assert re.search(case.expect, lines[0]), (verb, lines[0])


@pytest.mark.parametrize(
    "override",
    [
        f"source.canonical.importId={C}",  # a token where a number goes: settings refuse it
        f"{C}.x=1",  # a token pasted where the key goes
        f"dockerhub.namespace={C}",
    ],
)
@pytest.mark.parametrize("verb", ["graph", "check"])
def test_a_token_pasted_into_the_wrong_key_is_never_printed(
    override: str, verb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, verb, "prod", "-c", override)
    assert code == 1
    assert CANARY not in out + err
    assert err.startswith("error: ")
    assert "[secret]" in err
