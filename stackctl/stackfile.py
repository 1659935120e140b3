"""Reading `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI does.

The offline engine must see exactly the config the real CLI would hand the program, so the
rules the CLI applies before a program runs live here once: project-level defaults, declared
types (`ValidateConfigValue` in pulumi/sdk/go/common/workspace/project.go), missing required
keys, and `secure:` values, which only the CLI can decrypt and which therefore become
placeholders marked secret. `--config KEY=VALUE` overrides are applied here too, with the
path syntax of `pulumi config set --path`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: 8x faster on the stack files."""
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
SECRET_PREFIX = "offline-secret-"  # noqa: S105 (not a secret)
"""What a `secure:` value becomes offline: the SDK cannot decrypt it, the CLI would. The
placeholder carries a digest of the ciphertext, so a secret that changes still compares
as changed (in `stackctl diff`) without anything being decrypted."""


class StackFileError(Exception):
    """A stack or project file that the CLI itself would refuse."""


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


def load_project(root: Path) -> Project:
    """Parse `Pulumi.yaml` under `root`."""
    raw = _read_yaml(root / "Pulumi.yaml")
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise StackFileError(f"{root / 'Pulumi.yaml'}: project is missing a 'name' attribute")
    name: str = raw["name"]
    declarations: dict[str, ConfigDeclaration] = {}
    values: dict[str, Any] = {}
    for key, decl in (raw.get("config") or {}).items():
        namespaced = ":" not in key or key.startswith(f"{name}:")
        full = key if ":" in key else f"{name}:{key}"
        if not namespaced:
            value = decl.get("value") if isinstance(decl, dict) else decl
            values[full] = value
            continue
        if not isinstance(decl, dict):
            decl = {"default": decl}
        declarations[full] = ConfigDeclaration(
            type=decl.get("type"),
            items=decl.get("items"),
            default=decl.get("default"),
            secret=bool(decl.get("secret", False)),
        )
    return Project(name=name, root=root, declarations=declarations, values=values)


def stack_file(root: Path, stack: str) -> Path:
    if not STACK_NAME.match(stack):
        raise StackFileError(
            f"invalid stack name {stack!r}: use letters, digits, '-', '_' and '.' only"
        )
    return root / f"Pulumi.{stack}.yaml"


def load_stack(root: Path, stack: str, overrides: Sequence[str] = ()) -> StackConfig:
    """Read `Pulumi.<stack>.yaml`, apply overrides and the project's declarations."""
    project = load_project(root)
    path = stack_file(root, stack)
    if not path.exists():
        known = ", ".join(sorted(p.name[7:-5] for p in root.glob("Pulumi.*.yaml")))
        raise StackFileError(
            f"no stack named {stack!r}: {path.name} does not exist (stacks here: {known})"
        )
    raw = _read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise StackFileError(f"{path.name}: expected a mapping at the top level")
    config = raw.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: 'config' must be a mapping of keys to values")

    values: dict[str, Any] = dict(project.values)
    for key, value in config.items():
        values[project.full_key(str(key))] = _strip_secure(value)
    for override in overrides:
        _apply_override(project, values, override)
    # A key is secret while any part of its value is still an encrypted one.
    secret_keys = {key for key, value in values.items() if _has_placeholder(value)}

    problems: list[str] = []
    for key, decl in project.declarations.items():
        if key not in values:
            if decl.default is None:
                problems.append(f"missing required configuration value {key!r}")
                continue
            values[key] = decl.default
        if decl.secret:
            secret_keys.add(key)
        if decl.type is not None and not config_value_matches(decl.type, decl.items, values[key]):
            problems.append(
                f"{key}: value of type {_type_name(values[key])} does not match the declared type "
                f"{_declared_name(decl.type, decl.items)} in Pulumi.yaml"
            )
    if problems:
        raise StackFileError(f"{path.name}: " + "; ".join(problems))
    return StackConfig(
        project=project.name, stack=stack, values=values, secret_keys=frozenset(secret_keys)
    )


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


# --- overrides ----------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r'\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def parse_path(path: str) -> list[str | int]:
    """`a.b[0]["c.d"]` -> ['a', 'b', 0, 'c.d'], the syntax of `pulumi config set --path`."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _PATH_TOKEN.match(path, pos)
        if not match or (pos == 0 and path.startswith(".")):
            raise StackFileError(f"cannot parse config path {path!r} at {path[pos:]!r}")
        name, index, quoted = match.groups()
        parts.append(int(index) if index is not None else (quoted if quoted is not None else name))
        pos = match.end()
    if not parts or not isinstance(parts[0], str):
        raise StackFileError(f"config path {path!r} must start with a key name")
    return parts


def parse_value(text: str) -> Any:
    """VALUE is JSON where it parses as JSON, a plain string otherwise."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _apply_override(project: Project, values: dict[str, Any], override: str) -> None:
    key, sep, text = override.partition("=")
    if not sep or not key:
        raise StackFileError(f"--config {override!r}: expected KEY=VALUE")
    namespace, colon, path = key.rpartition(":") if ":" in key else ("", "", key)
    parts = parse_path(path)
    head = str(parts[0])
    full = f"{namespace}:{head}" if colon else project.full_key(head)
    value = parse_value(text)
    if len(parts) == 1:
        values[full] = value
        return
    container = values.setdefault(full, {} if isinstance(parts[1], str) else [])
    for step, following in itertools.pairwise(parts[1:]):
        container = _descend(container, step, {} if isinstance(following, str) else [], override)
    _assign(container, parts[-1], value, override)


def _descend(container: Any, step: str | int, empty: Any, override: str) -> Any:
    if isinstance(step, int):
        if not isinstance(container, list) or step > len(container):
            raise StackFileError(f"--config {override!r}: index [{step}] is out of range")
        if step == len(container):
            container.append(empty)
        return container[step]
    if not isinstance(container, dict):
        raise StackFileError(f"--config {override!r}: {step!r} is not inside an object")
    return container.setdefault(step, empty)


def _assign(container: Any, step: str | int, value: Any, override: str) -> None:
    if isinstance(step, int):
        if not isinstance(container, list) or step > len(container):
            raise StackFileError(f"--config {override!r}: index [{step}] is out of range")
        if step == len(container):
            container.append(value)
        else:
            container[step] = value
    elif isinstance(container, dict):
        container[step] = value
    else:
        raise StackFileError(f"--config {override!r}: {step!r} is not inside an object")


# --- helpers ------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except FileNotFoundError as err:
        raise StackFileError(f"{path.name} does not exist in {path.parent}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise StackFileError(f"{path.name} is not valid YAML{where}: {problem}") from err


def secret_placeholder(ciphertext: str) -> str:
    return SECRET_PREFIX + hashlib.sha256(ciphertext.encode()).hexdigest()[:16]


def _strip_secure(value: Any) -> Any:
    """Replace every `{secure: ...}` inside a value by its placeholder."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return secret_placeholder(str(value["secure"]))
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
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _type_name(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        dict: "object",
        list: "array",
    }.get(type(value), type(value).__name__)


def _declared_name(type_name: str, items: Mapping[str, Any] | None) -> str:
    if items is not None:
        return f"array<{_declared_name(items['type'], items.get('items'))}>"
    return type_name
