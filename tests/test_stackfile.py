"""The project and stack files, read as the Pulumi CLI reads them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from stackctl.engine import ROOT
from stackctl.stackfile import (
    StackFileError,
    config_value_matches,
    load_project,
    load_stack,
    parse_path,
    secret_placeholder,
)
from tests.conftest import MINIMAL_CONFIG

REST_OF_CONFIG = "".join(
    f"  {key}: {{}}\n"
    for key in MINIMAL_CONFIG
    if key.split(":")[1] not in ("environment", "source")
)
"""The other required keys, as stack-file lines, for tests about environment and source."""

SCHEMA = json.loads((Path(__file__).parent / "schemas/pulumi-project.schema.json").read_text())


def test_pulumi_yaml_validates_against_pulumis_own_schema() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(project)
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }


def test_the_schema_would_catch_a_broken_project_file() -> None:
    broken = {"name": "aigw-delivery", "runtime": "python", "config": {"x": {"type": "float"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(broken)


def test_every_project_key_is_declared_with_a_type_and_a_description() -> None:
    for key, decl in load_project(ROOT).declarations.items():
        raw = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"][key.split(":", 1)[1]]
        assert decl.type in {"string", "integer", "boolean", "array", "object"}, key
        assert raw.get("description"), f"{key} has no description"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_stack_value_matches_its_declared_type(stack: str) -> None:
    project = load_project(ROOT)
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    project_keys = [k for k in raw if k.startswith(f"{project.name}:")]
    assert project_keys
    for key in project_keys:
        decl = project.declarations.get(key)
        assert decl is not None, f"{stack}: {key} is not declared in Pulumi.yaml"
        assert decl.type is not None
        assert config_value_matches(decl.type, decl.items, raw[key]), key


@pytest.mark.parametrize(
    ("type_name", "items", "value", "ok"),
    [
        ("string", None, "x", True),
        ("string", None, 1, False),
        ("integer", None, 3, True),
        ("integer", None, 3.0, True),
        ("integer", None, "42", True),
        ("integer", None, 3.5, False),
        ("integer", None, True, False),
        ("boolean", None, "true", True),
        ("boolean", None, False, True),
        ("boolean", None, "yes", False),
        ("object", None, {"a": 1}, True),
        ("object", None, [1], False),
        ("array", {"type": "string"}, ["a", "b"], True),
        ("array", {"type": "string"}, ["a", 2], False),
        ("array", None, ["a"], False),
    ],
)
def test_type_rules_are_the_clis(
    type_name: str, items: dict | None, value: object, ok: bool
) -> None:
    assert config_value_matches(type_name, items, value) is ok


def test_a_value_of_the_wrong_declared_type_is_refused(scratch_project) -> None:
    root = scratch_project(
        stacks={
            "x": {"aigw-delivery:environment": "staging", "aigw-delivery:source": "not an object"}
        }
    )
    with pytest.raises(
        StackFileError,
        match=r"aigw-delivery:source: value of type string does "
        r"not match the declared type object",
    ):
        load_stack(root, "x")


def test_a_missing_required_key_is_refused(scratch_project) -> None:
    root = scratch_project(stacks={"x": {"aigw-delivery:environment": "staging"}})
    with pytest.raises(
        StackFileError, match="missing required configuration value 'aigw-delivery:source'"
    ):
        load_stack(root, "x")


def test_defaults_from_the_project_file_fill_unset_keys() -> None:
    config = load_stack(ROOT, "prod", ["mirror={}"])
    assert config.values["aigw-delivery:mirror"] == {}
    assert config.values["aigw-delivery:gitlab"] == {}  # declared default, not in the file


def test_secure_values_become_secret_placeholders(scratch_project) -> None:
    root = scratch_project(
        stacks={
            "x": "config:\n  aigw-delivery:environment: staging\n"
            "  aigw-delivery:source:\n    token:\n      secure: v1:abc\n" + REST_OF_CONFIG
        }
    )
    config = load_stack(root, "x")
    placeholder = secret_placeholder("v1:abc")
    assert config.values["aigw-delivery:source"] == {"token": placeholder}
    assert config.secret_keys == {"aigw-delivery:source"}
    assert json.loads(config.as_sdk_config()["aigw-delivery:source"]) == {"token": placeholder}
    assert "v1:abc" not in json.dumps(config.as_sdk_config())
    assert secret_placeholder("v1:abd") != placeholder


def test_overriding_a_secret_with_a_plain_value_makes_it_plain(scratch_project) -> None:
    root = scratch_project(
        stacks={
            "x": "config:\n  aigw-delivery:environment:\n"
            "    secure: v1:abc\n  aigw-delivery:source: {}\n" + REST_OF_CONFIG
        }
    )
    assert "aigw-delivery:environment" in load_stack(root, "x").secret_keys
    assert not load_stack(root, "x", ["environment=staging"]).secret_keys


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("source", ["source"]),
        ("source.canonical.importId", ["source", "canonical", "importId"]),
        ("fleets.aigw.regions[0]", ["fleets", "aigw", "regions", 0]),
        ('labels["team.name"]', ["labels", "team.name"]),
        # properties_path.go: a bare name runs to the next '.' or '[', repeated dots collapse
        ("a b", ["a b"]),
        ("a..b", ["a", "b"]),
        ('a["say \\"hi\\""]', ["a", 'say "hi"']),
        ("a[+1][007]", ["a", 1, 7]),
    ],
)
def test_override_paths_follow_pulumi_config_set_path(path: str, parts: list) -> None:
    assert parse_path(path) == parts


@pytest.mark.parametrize(
    "path", ["", ".a", "a.", "a.[0]", "[0]", "a[x]", "a[1", 'a["b', 'a["b"', "a[ 1]", '[""]']
)
def test_unparseable_paths_are_refused(path: str) -> None:
    with pytest.raises(StackFileError):
        parse_path(path)


def test_overrides_set_nested_values_json_or_string() -> None:
    config = load_stack(
        ROOT,
        "prod",
        [
            "source.canonical.importId=123",
            "source.canonical.description=plain words",
            'aigw-delivery:release={"tagPattern": "self-hosted-v18.*-ee"}',
            "mirror.keepDivergentRefs=true",
        ],
    )
    source = config.values["aigw-delivery:source"]
    assert source["canonical"]["importId"] == 123
    assert source["canonical"]["description"] == "plain words"
    assert source["security"]["importId"] == 61869127  # untouched
    assert config.values["aigw-delivery:release"] == {"tagPattern": "self-hosted-v18.*-ee"}
    assert config.values["aigw-delivery:mirror"]["keepDivergentRefs"] is True


def test_overrides_do_not_touch_the_stack_file() -> None:
    before = (ROOT / "Pulumi.prod.yaml").read_text()
    load_stack(ROOT, "prod", ["source.canonical.importId=1"])
    assert (ROOT / "Pulumi.prod.yaml").read_text() == before


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("noequals", r"--config #1: expected KEY=VALUE"),
        ("source.canonical.path[3]=x", r"source.canonical.path: expected an array"),
        ("source.canonical.visibility.x=1", r"source.canonical.visibility: expected a map"),
    ],
)
def test_bad_overrides_are_refused(override: str, message: str) -> None:
    with pytest.raises(StackFileError, match=message):
        load_stack(ROOT, "prod", [override])


@pytest.mark.parametrize("name", ["../prod", "prod staging", "", "p/q"])
def test_bad_stack_names_are_refused(name: str) -> None:
    with pytest.raises(StackFileError, match=r"invalid stack name|no stack named"):
        load_stack(ROOT, name)


def test_malformed_yaml_names_the_file_and_line(scratch_project) -> None:
    root = scratch_project(stacks={"bad": "config:\n  aigw-delivery:environment: [staging\n"})
    with pytest.raises(
        StackFileError, match=r"Pulumi.bad.yaml is not valid YAML \(line \d+, column \d+\)"
    ):
        load_stack(root, "bad")


def test_overrides_set_paths_as_pulumi_config_set_path_does() -> None:
    """config/object.go `object.Set`: a new list is padded with nulls up to the index, one
    past the end appends, a scalar at the top level is replaced by a container."""
    config = load_stack(
        ROOT,
        "prod",
        [
            "source.newList[2]=x",
            "fleets.aigw.regions[6]=us-west1",
            "aigw-delivery:probe=5",
            "probe.inner=1",
            'source.labels["team.name"]=ai',
            "source..twice=dots",
        ],
    )
    source = config.values["aigw-delivery:source"]
    assert source["newList"] == [None, None, "x"]
    assert config.values["aigw-delivery:fleets"]["aigw"]["regions"][-1] == "us-west1"
    assert len(config.values["aigw-delivery:fleets"]["aigw"]["regions"]) == 7
    assert config.values["aigw-delivery:probe"] == {"inner": 1}
    assert source["labels"] == {"team.name": "ai"}
    assert source["twice"] == "dots"


def test_stack_files_may_live_in_stack_config_dir(scratch_project) -> None:
    """project.go: `stackConfigDir` (or the older `config: <dir>`) says where they are."""
    root = scratch_project()
    text = (root / "Pulumi.yaml").read_text()
    (root / "Pulumi.yaml").write_text(text + "stackConfigDir: stacks\n")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.x.yaml").write_text(
        "config:\n  aigw-delivery:environment: staging\n"
        + REST_OF_CONFIG
        + "  aigw-delivery:source: {}\n"
    )
    assert load_stack(root, "x").values["aigw-delivery:environment"] == "staging"


def test_a_top_level_number_fits_a_string_key_as_in_the_cli(scratch_project) -> None:
    """The CLI type-checks a top-level scalar by its config string (pkg/workspace/config.go),
    so `environment: 5` is the string "5" to it, and to the program."""
    root = scratch_project(
        stacks={
            "x": "config:\n  aigw-delivery:environment: 5\n  aigw-delivery:source: {}\n"
            + REST_OF_CONFIG
        }
    )
    assert load_stack(root, "x").as_sdk_config()["aigw-delivery:environment"] == "5"


@pytest.mark.parametrize("name", [".", "a.b-c_D9", "x" * 100])
def test_stack_names_the_cli_accepts(name: str) -> None:
    with pytest.raises(StackFileError, match=f"no stack named {re.escape(repr(name))}"):
        load_stack(ROOT, name)
