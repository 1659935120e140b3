"""Reading `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI does.

The offline engine must see exactly the config the real CLI would hand the program, so the
rules the CLI applies before a program runs live here once: the files read as Go's YAML
library reads them (`stackctl.goyaml`), stack names (sdk/go/common/tokens/stack_name.go),
the project's `config:` block (sdk/go/common/workspace/project.go `ValidateProject`, the
project schema project.json, `RewriteShorthandConfigValues`, `Project.Validate`), stack
config keys (sdk/go/common/resource/config/key.go `ParseKey`, namespaced by the project as
workspace/loaders.go `stackConfigNamespacedWithProject` does), project-level defaults,
declared types (`ValidateConfigValue`), missing required keys, and `secure:` values, which
only the CLI can decrypt and which therefore become placeholders marked secret.
`--config KEY=VALUE` overrides are applied by `stackctl.overrides`.

Every problem is one `StackFileError` naming the file, the line and the key; no message
quotes a value (a value can be a token).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from stackctl import goyaml
from stackctl.errors import StackFileError
from stackctl.overrides import apply_overrides, parse_path, parse_value

__all__ = [
    "ConfigDeclaration",
    "Project",
    "StackConfig",
    "StackFileError",
    "check_stack_name",
    "config_value_matches",
    "load_project",
    "load_stack",
    "parse_path",
    "parse_value",
    "secret_placeholder",
    "stack_file",
]

STACK_NAME = re.compile(r"[A-Za-z0-9_.-]*")
STACK_NAME_MAX = 100
"""tokens.ParseStackName: at most 100 characters, so `Pulumi.<stack>.yaml` stays far under
the 255-byte file name limit."""
SECRET_PREFIX = "offline-secret-"  # noqa: S105 (not a secret)
"""What a `secure:` value becomes offline: the SDK cannot decrypt it, the CLI would. The
placeholder carries a digest of the ciphertext, so a secret that changes still compares
as changed (in `stackctl diff`) without anything being decrypted."""
TYPES = ("string", "integer", "boolean", "array", "object")
"""project.json `simpleConfigType`."""
DECLARATION_KEYS = {"type", "items", "description", "secret", "default", "value"}
"""project.json `configTypeDeclaration` (additionalProperties: false)."""
STACK_SCALARS = ("secretsprovider", "encryptedkey", "encryptionsalt")
"""workspace/project.go `ProjectStack`: string fields."""


@dataclass(frozen=True)
class ConfigDeclaration:
    """One entry of the `config:` block of `Pulumi.yaml`."""

    type: str | None
    items: Mapping[str, Any] | None
    default: Any
    secret: bool


@dataclass(frozen=True)
class Project:
    name: str
    root: Path
    declarations: Mapping[str, ConfigDeclaration]
    """Project-namespaced keys, stored with the project prefix (`aigw-delivery:source`)."""
    values: Mapping[str, Any]
    """Values the project file sets for other namespaces (`gcp:project`)."""
    stack_dir: Path
    """Where the stack files are: `stackConfigDir` (or the older `config: <dir>`), else root."""

    def full_key(self, key: str) -> str:
        """`source` and `aigw-delivery:source` name the same key, as in the CLI."""
        return key if ":" in key else f"{self.name}:{key}"


@dataclass(frozen=True)
class StackConfig:
    """A stack's config as the CLI would give it to the program."""

    project: str
    stack: str
    values: Mapping[str, Any]
    secret_keys: frozenset[str]

    def as_sdk_config(self) -> dict[str, str]:
        """The flat string map `pulumi.runtime.set_all_config` takes (objects as JSON)."""
        return {key: _to_config_string(value) for key, value in self.values.items()}


def read_yaml(path: Path) -> Any:
    """One file, read as the CLI reads it; every problem one error naming file and line."""
    try:
        return goyaml.load(path)
    except goyaml.YamlError as err:
        raise StackFileError(err.describe(path.name)) from None


# --- the project file ----------------------------------------------------------------------------


def load_project(root: Path) -> Project:
    """Parse `Pulumi.yaml` under `root`."""
    path = root / "Pulumi.yaml"
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise StackFileError(f"{path.name}: expected a mapping at the top level")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise StackFileError(f"{path.name}: project is missing a non-empty string 'name'")
    block = raw.get("config")
    stack_dir = raw.get("stackConfigDir")
    if isinstance(block, str):  # project.go `RewriteConfigPathIntoStackConfigDir`
        if stack_dir is not None:
            raise StackFileError(f"{path.name}: use only stackConfigDir, not config: <dir> too")
        stack_dir, block = block, None
    if stack_dir is not None and not isinstance(stack_dir, str):
        raise StackFileError(f"{path.name}: stackConfigDir must be a directory name")
    if block is not None and not isinstance(block, dict):
        raise StackFileError(
            f"{path.name}: 'config' must be a mapping of keys to declarations, "
            f"not a {_type_name(block)}"
        )
    declarations: dict[str, ConfigDeclaration] = {}
    values: dict[str, Any] = {}
    for key, entry in (block or {}).items():
        where = f"{path.name}: config key {key!r}"
        namespaced = ":" not in key or key.startswith(f"{name}:")
        full = key if ":" in key else f"{name}:{key}"
        decl = _declaration(where, entry, namespaced)
        if not namespaced:
            values[full] = decl["value"]
            continue
        declarations[full] = ConfigDeclaration(
            type=decl.get("type"),
            items=decl.get("items"),
            default=decl.get("default"),
            secret=bool(decl.get("secret", False)),
        )
    return Project(
        name=name,
        root=root,
        declarations=declarations,
        values=values,
        stack_dir=root / stack_dir if stack_dir else root,
    )


def _declaration(where: str, entry: Any, namespaced: bool) -> dict[str, Any]:
    """One entry, checked as project.json and `Project.Validate` check it: a string,
    integer, boolean or array is shorthand for a default (for the project's keys) or a value
    (for other namespaces); otherwise a declaration with the known attributes only."""
    if isinstance(entry, (str, int, list)):  # bool is an int
        return {"default": entry} if namespaced else {"value": entry}
    if not isinstance(entry, dict):
        raise StackFileError(
            f"{where}: expected a declaration (type, default, ...) or a string, integer, "
            f"boolean or array, not a {_type_name(entry)}"
        )
    unknown = sorted(set(entry) - DECLARATION_KEYS)
    if unknown:
        allowed = ", ".join(sorted(DECLARATION_KEYS))
        raise StackFileError(f"{where}: unknown attribute {unknown[0]!r} (allowed: {allowed})")
    type_name = entry.get("type")
    if type_name is not None and type_name not in TYPES:
        raise StackFileError(f"{where}: type must be one of {', '.join(TYPES)}")
    if type_name == "array":
        _items(where, entry.get("items"))
    for attribute, kind in (("description", str), ("secret", bool)):
        if attribute in entry and not isinstance(entry[attribute], kind):
            raise StackFileError(f"{where}: {attribute} must be a {_type_name(kind())}")
    if entry.get("default") is not None and entry.get("value") is not None:
        raise StackFileError(f"{where}: cannot have both a 'default' and a 'value'")
    default = entry.get("default")
    if namespaced:
        if (
            type_name
            and default is not None
            and not config_value_matches(type_name, entry.get("items"), default)
        ):
            raise StackFileError(f"{where}: the default is not of the declared type")
    elif type_name is not None or entry.get("default") is not None or entry.get("value") is None:
        raise StackFileError(f"{where}: a key of another namespace takes only a 'value'")
    return entry


def _items(where: str, items: Any) -> None:
    """project.json `configItemsType`: {type, items}, with items when the type is array."""
    if not isinstance(items, dict) or items.get("type") not in TYPES:
        raise StackFileError(f"{where}: an array needs 'items' with a type")
    if items["type"] == "array":
        _items(where, items.get("items"))


# --- stack names and files -----------------------------------------------------------------------


def stack_file(root: Path, stack: str) -> Path:
    """`Pulumi.<stack>.yaml` of a stack name the CLI accepts."""
    check_stack_name(stack)
    return root / f"Pulumi.{stack}.yaml"


def check_stack_name(stack: str) -> None:
    """tokens.ParseStackName: not empty, at most 100 characters of `[A-Za-z0-9_.-]`."""
    if not stack:
        raise StackFileError("invalid stack name: a stack name may not be empty")
    if len(stack) > STACK_NAME_MAX:
        raise StackFileError(
            f"invalid stack name: a stack name cannot exceed {STACK_NAME_MAX} characters"
        )
    match = STACK_NAME.match(stack)
    end = match.end() if match else 0
    if end != len(stack):
        raise StackFileError(
            f"invalid stack name {stack!r}: a stack name may only contain letters, digits, "
            f"'-', '_' and '.': invalid character {stack[end]!r} at position {end}"
        )


def load_stack(root: Path, stack: str, overrides: Sequence[str] = ()) -> StackConfig:
    """Read `Pulumi.<stack>.yaml`, apply overrides and the project's declarations."""
    project = load_project(root)
    path = stack_file(project.stack_dir, stack)
    if not path.exists() and not path.is_symlink():
        known = ", ".join(sorted(p.name[7:-5] for p in project.stack_dir.glob("Pulumi.*.yaml")))
        raise StackFileError(
            f"no stack named {stack!r}: {path.name} does not exist (stacks here: {known})"
        )
    raw = read_yaml(path)
    if raw is None:
        raw = {}  # loaders.go: an empty stack file is a stack without config
    if not isinstance(raw, dict):
        raise StackFileError(
            f"{path.name}: expected a mapping at the top level, not a {_type_name(raw)}"
        )
    for field in STACK_SCALARS:
        if isinstance(raw.get(field), (dict, list)):
            raise StackFileError(f"{path.name}: {field} must be a string")
    config = raw.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise StackFileError(
            f"{path.name}: 'config' must be a mapping of keys to values, not a {_type_name(config)}"
        )

    values: dict[str, Any] = copy.deepcopy(dict(project.values))
    spelled: dict[str, str] = {}
    for key, value in config.items():
        full = _config_key(path.name, project, key)
        if full in spelled:
            raise StackFileError(
                f"{path.name}: config keys {spelled[full]!r} and {key!r} name the same key "
                f"{full!r} (the CLI would keep either one)"
            )
        spelled[full] = key
        # config/value.go: a null top-level value is the empty string (the CLI warns).
        values[full] = "" if value is None else _strip_secure(value)
    apply_overrides(values, overrides, project.full_key)
    # A key is secret while any part of its value is still an encrypted one.
    secret_keys = {key for key, value in values.items() if _has_placeholder(value)}

    problems: list[str] = []
    for key, decl in project.declarations.items():
        if key not in values:
            if decl.default is None:
                problems.append(f"missing required configuration value {key!r}")
                continue
            values[key] = copy.deepcopy(decl.default)
        if decl.secret:
            secret_keys.add(key)
        if decl.type is not None and not config_value_matches(
            decl.type, decl.items, _as_cli_sees(values[key])
        ):
            problems.append(
                f"{key}: value of type {_type_name(values[key])} does not match the declared type "
                f"{_declared_name(decl.type, decl.items)} in Pulumi.yaml"
            )
    if problems:
        empty = " (the file sets no config)" if not config else ""
        raise StackFileError(f"{path.name}{empty}: " + "; ".join(problems))
    return StackConfig(
        project=project.name, stack=stack, values=values, secret_keys=frozenset(secret_keys)
    )


def _config_key(file: str, project: Project, key: str) -> str:
    """A stack config key, namespaced by the project, as key.go `ParseKey` accepts it:
    `<namespace>:<name>`, or the older `<namespace>:config:<name>`."""
    full = project.full_key(key)
    parts = full.split(":")
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    if len(parts) != 2:
        raise StackFileError(f"{file}: config key {key!r} is not of the form <namespace>:<name>")
    if not parts[0] or not parts[1]:
        raise StackFileError(f"{file}: config key {key!r} has an empty namespace or name")
    return full


def config_value_matches(type_name: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """The CLI's `ValidateConfigValue`: does a stack value fit the type its key declares?"""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True
        return isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value) is not None
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_name == "object":
        return isinstance(value, dict)
    if type_name == "array" and items is not None and isinstance(value, list):
        return all(config_value_matches(items["type"], items.get("items"), v) for v in value)
    return False


def _as_cli_sees(value: Any) -> Any:
    """What `ValidateConfigValue` is given (pkg/workspace/config.go): a top-level scalar as
    its config string (so `5` fits a string key), an object or array as its JSON."""
    return value if isinstance(value, (dict, list)) else _to_config_string(value)


# --- helpers ------------------------------------------------------------------------------


def secret_placeholder(ciphertext: str) -> str:
    return SECRET_PREFIX + hashlib.sha256(ciphertext.encode()).hexdigest()[:16]


def _strip_secure(value: Any) -> Any:
    """Replace every `{secure: <string>}` inside a value by its placeholder (object.go
    `isSecureValue`: one key, `secure`, whose value is a string)."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return secret_placeholder(value["secure"])
        return {k: _strip_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secure(v) for v in value]
    return value


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(v) for v in value)
    return isinstance(value, str) and value.startswith(SECRET_PREFIX)


def _to_config_string(value: Any) -> str:
    """The string the CLI hands the program (config/object.go `MarshalString`): a string as
    it is, a scalar as Go's encoding/json writes it, an object as compact JSON with sorted keys
    (Go sorts map keys)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _go_float(value: float) -> str:
    """encoding/json's float64: positional from 1e-6 to 1e21, else exponent without a
    leading zero (`1e-7`, `1e+21`)."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(Decimal(repr(value))))
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        mantissa, exponent = repr(value).split("e")
        return f"{mantissa}e{exponent[0]}{exponent[1:].lstrip('0')}"
    return format(Decimal(repr(value)), "f")


def _type_name(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        dict: "object",
        list: "array",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _declared_name(type_name: str, items: Mapping[str, Any] | None) -> str:
    if items is not None:
        return f"array<{_declared_name(items['type'], items.get('items'))}>"
    return type_name
