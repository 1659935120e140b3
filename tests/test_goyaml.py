"""Stack files resolve as the Pulumi CLI resolves them (gopkg.in/yaml.v3), not as PyYAML does.

Each scalar below is one where YAML 1.1 (PyYAML) and yaml.v3 disagree, or where the CLI's
own handling (re-encoding, Go's JSON) changes what the program receives. The expected
values were read from go-yaml/yaml v3.0.1 resolve.go and decode.go and pulumi/pulumi
sdk/go/common/resource/config/object.go, then confirmed by yaml.v3 itself: a Go program
built against go-yaml's v3.0.1 tag decoded every scalar here (and 120 more scalars and
documents) twice as the CLI's loaders.go does, and gave these values (stackctl/goyaml.py
says where it differed and why).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackctl.goyaml import YamlError, parse
from stackctl.stackfile import StackFileError, load_stack
from tests.conftest import ProjectFactory

REQUIRED = (
    "  aigw-delivery:environment: staging\n  aigw-delivery:source: {}\n"
    "  aigw-delivery:gcp: {}\n  aigw-delivery:fleets: {}\n  aigw-delivery:runway: {}\n"
)

# (YAML text, the value inside an object, the string a top-level key gives the program)
SCALARS: list[tuple[str, Any, str]] = [
    ("yes", "yes", "yes"),  # YAML 1.1: true
    ("on", "on", "on"),  # YAML 1.1: true
    ("No", "No", "No"),  # YAML 1.1: false
    ("off", "off", "off"),  # YAML 1.1: false
    ("y", "y", "y"),  # YAML 1.1: true
    ("1:30", "1:30", "1:30"),  # YAML 1.1: 5400 (sexagesimal)
    ("-1:30:00", "-1:30:00", "-1:30:00"),
    ("010", 8, "8"),  # Go's ParseInt base 0: a leading 0 is octal
    ("0o10", 8, "8"),  # YAML 1.1: a string
    ("0x1F", 31, "31"),
    ("0b101", 5, "5"),
    ("1_00", 100, "100"),
    ("08", 8, "8"),  # not octal, not an int: the float 8, written 8 by Go's JSON
    ("+12", 12, "12"),
    ("-0x10", -16, "-16"),
    ("1.0", 1, "1"),  # Go's encoding/json writes the float 1 as 1
    ("1e3", 1000, "1000"),
    ("1.5", 1.5, "1.5"),
    (".5", 0.5, "0.5"),
    ("1e-7", 1e-7, "1e-7"),
    ("0.000001", 1e-6, "0.000001"),
    ("1e21", 1e21, "1e+21"),
    ("99999999999999999999", 100000000000000000000, "100000000000000000000"),
    ("18446744073709551615", 18446744073709551615, "18446744073709551615"),
    ("1e400", "1e400", "1e400"),  # out of float64's range: not a number to Go
    ("0x", "0x", "0x"),
    ("~", None, ""),  # a top-level null is the empty string (the CLI warns)
    ("null", None, ""),
    ("NULL", None, ""),
    ("nULL", "nULL", "nULL"),
    ("TRUE", True, "true"),
    ("tRUE", "tRUE", "tRUE"),
    ("2001-12-14", "2001-12-14 00:00:00 +0000 UTC", "2001-12-14 00:00:00 +0000 UTC"),
    (
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.1 -0500 -0500",
        "2001-12-14 21:59:43.1 -0500 -0500",
    ),
    (
        "2001-12-14 21:59:43.10",
        "2001-12-14 21:59:43.1 +0000 UTC",
        "2001-12-14 21:59:43.1 +0000 UTC",
    ),
    ("2001-12-14T21:59:43Z", "2001-12-14 21:59:43 +0000 UTC", "2001-12-14 21:59:43 +0000 UTC"),
    ("2001-02-30", "2001-02-30", "2001-02-30"),  # no such day: a string
    ("2001-12-14 21:59:43.10 -5", "2001-12-14 21:59:43.10 -5", "2001-12-14 21:59:43.10 -5"),
    ('"010"', "010", "010"),
    ("'yes'", "yes", "yes"),
    ("! 10", 10, "10"),
    ("!!str 10", "10", "10"),
    ("!!float 1", 1, "1"),
    ("!!binary aGVsbG8=", "hello", "hello"),
    ("!custom x", "x", "x"),
    ("!!set {a, b}", {"a": None, "b": None}, '{"a":null,"b":null}'),
]


def _project(scratch_project: ProjectFactory, lines: str) -> Path:
    return scratch_project(stacks={"x": "config:\n" + REQUIRED + lines})


@pytest.mark.parametrize(("text", "nested", "top"), SCALARS, ids=[s[0] for s in SCALARS])
def test_scalars_reach_the_program_as_the_cli_hands_them(
    scratch_project: ProjectFactory, text: str, nested: Any, top: str
) -> None:
    root = _project(
        scratch_project, f"  aigw-delivery:probe:\n    v: {text}\n  aigw-delivery:top: {text}\n"
    )
    config = load_stack(root, "x").as_sdk_config()
    assert json.loads(config["aigw-delivery:probe"]) == {"v": nested}
    assert config["aigw-delivery:top"] == top


def test_pyyaml_would_have_read_them_otherwise() -> None:
    """The table is not a list of agreements: YAML 1.1 reads most of these differently."""
    differing = [text for text, nested, _ in SCALARS if _pyyaml(text) != nested]
    assert {"yes", "on", "1:30", "0o10", "08", "2001-12-14"} <= set(differing)


def _pyyaml(text: str) -> Any:
    try:
        return yaml.safe_load(f"v: {text}")["v"]
    except (yaml.YAMLError, ValueError):  # PyYAML raises ValueError for 2001-02-30
        return "(refused)"


def test_duplicate_keys_fail_instead_of_the_last_one_winning(
    scratch_project: ProjectFactory,
) -> None:
    root = scratch_project(
        stacks={"x": "config:\n" + REQUIRED + "  aigw-delivery:environment: prod\n"}
    )
    with pytest.raises(
        StackFileError,
        match=r'Pulumi\.x\.yaml, line 7, column 3: mapping key "aigw-delivery:environment" '
        r"already defined at line 2",
    ):
        load_stack(root, "x")


def test_keys_spelled_differently_are_distinct_and_merges_keep_own_keys() -> None:
    assert parse("a: 1\n'b': 2\n") == {"a": 1, "b": 2}
    # decode.go `merge`: the mapping's own keys win, then the first source that has a key
    document = "x: &x {p: 1, q: 2}\ny: &y {q: 3, r: 4}\nz:\n  <<: [*x, *y]\n  p: 0\n"
    assert parse(document)["z"] == {"p": 0, "q": 2, "r": 4}


def test_only_the_first_document_counts() -> None:
    """yaml.Unmarshal decodes the first document of a stream; the rest is never parsed."""
    assert parse("a: 1\n---\nb: 2\n") == {"a": 1}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_the_byte_order_marks_the_cli_reads(scratch_project: ProjectFactory, encoding: str) -> None:
    """loaders.go drops a UTF-8 BOM; yaml.v3 reads UTF-16 that starts with a BOM."""
    text = "config:\n" + REQUIRED + "  aigw-delivery:top: café\n"
    root = scratch_project(stacks={"x": "config: {}\n"})
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (root / "Pulumi.x.yaml").write_bytes(data)
    assert load_stack(root, "x").values["aigw-delivery:top"] == "café"


def test_an_alias_bomb_fails_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    with pytest.raises(YamlError, match="excessive aliasing"):
        parse("\n".join(lines))


def test_shared_aliases_within_reason_are_fine() -> None:
    document = "base: &b {cpu: 1, memory: 2Gi}\n" + "".join(
        f"f{i}: {{<<: *b, name: f{i}}}\n" for i in range(50)
    )
    assert parse(document)["f49"] == {"cpu": 1, "memory": "2Gi", "name": "f49"}


def test_a_huge_flat_document_is_bounded_without_blaming_aliases() -> None:
    with pytest.raises(YamlError, match=r"more than 100000 values \(aliases expanded\)"):
        parse("a: [" + "1," * 100_001 + "1]")
