"""Policy config as the Pulumi CLI reads `--policy-pack-config FILE` and configures a pack.

The rules are the CLI's (`ReconcilePolicyPackConfig` in pulumi/pkg/resource/analyzer): start
from each policy's schema defaults and its enforcement level (the pack's where the policy sets
none); apply `"all"` (a level for every policy), then each policy's entry (a level, or an
object of settings with an optional `enforcementLevel`); validate each policy's settings
against its schema. One difference, on purpose: a policy or a setting the pack does not
declare is an error here, where the CLI ignores it, so a typo in `policy/config/<stack>.json`
cannot silently fall back to a default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pulumi_policy import EnforcementLevel, Policy

from policy.delivery import POLICIES, pack_arguments
from stackctl.errors import StackctlError

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"


class PolicyConfigError(StackctlError):
    """A policy config file the Pulumi CLI (or, for typos, this check) would refuse."""


@dataclass(frozen=True)
class PolicySettings:
    """One policy's enforcement level and config properties, as the CLI configures the pack."""

    enforcement: EnforcementLevel
    properties: Mapping[str, Any]


def default_config_file(stack: str) -> Path | None:
    """`policy/config/<stack>.json`, what CI passes with `--policy-pack-config`, if it exists."""
    path = POLICY_DIR / "config" / f"{stack}.json"
    return path if path.is_file() else None


def load_policy_config(
    path: Path | None, policies: Sequence[Policy] = POLICIES
) -> dict[str, PolicySettings]:
    """Every policy's settings: its schema's defaults overlaid with the file at `path`."""
    problems: list[str] = []
    given = _read_config_file(path, problems) if path else {}
    where = str(path) if path else "policy config"
    pack_level: EnforcementLevel = pack_arguments()["enforcement_level"]
    levels = {p.name: p.enforcement_level or pack_level for p in policies}
    properties: dict[str, dict[str, Any]] = {
        p.name: {
            k: v["default"]
            for k, v in (p.config_schema.properties if p.config_schema else {}).items()
            if "default" in v
        }
        for p in policies
    }
    if "all" in given:
        level, extra = given.pop("all")
        if extra:
            problems.append("all: only an enforcement level applies to all policies")
        if level is not None:
            levels = dict.fromkeys(levels, level)
    for name, (level, extra) in given.items():
        if name not in levels:
            problems.append(f"{name}: no such policy in the pack")
            continue
        if level is not None:
            levels[name] = level
        properties[name].update(extra)
    for policy in policies:
        problems.extend(f"{policy.name}: {p}" for p in _schema_problems(policy, properties))
    if problems:
        raise PolicyConfigError(f"{where} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))
    return {name: PolicySettings(levels[name], properties[name]) for name in levels}


def _read_config_file(
    path: Path, problems: list[str]
) -> dict[str, tuple[EnforcementLevel | None, dict[str, Any]]]:
    """`{policy: (enforcement level, properties)}` from a `--policy-pack-config` file."""
    try:
        text = path.read_text()
    except OSError as err:
        raise PolicyConfigError(f"cannot read policy config {path}: {err.strerror}") from err
    try:
        raw = json.loads(text) if text.strip() else {}
    except ValueError as err:
        raise PolicyConfigError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(raw, dict):
        raise PolicyConfigError(f"{path} must be a JSON object keyed by policy name")
    parsed: dict[str, tuple[EnforcementLevel | None, dict[str, Any]]] = {}
    for name, value in raw.items():
        extra = dict(value) if isinstance(value, dict) else {}
        level = value if isinstance(value, str) else extra.pop("enforcementLevel", None)
        if not isinstance(value, str | dict):
            problems.append(f"{name}: must be an enforcement level or an object")
        elif level is not None and level not in _LEVELS:
            problems.append(f"{name}: {level!r} is not an enforcement level ({', '.join(_LEVELS)})")
        else:
            parsed[name] = (None if level is None else EnforcementLevel(level), extra)
    return parsed


_LEVELS = [level.value for level in EnforcementLevel]


def _schema_problems(policy: Policy, properties: Mapping[str, Mapping[str, Any]]) -> list[str]:
    schema = policy.config_schema
    declared = schema.properties if schema else {}
    given = properties[policy.name]
    problems = [
        f"{key}: not a setting of this policy (settings: {', '.join(sorted(declared)) or 'none'})"
        for key in sorted(set(given) - set(declared))
    ]
    document = {
        "type": "object",
        "properties": declared,
        "required": (schema and schema.required) or [],
    }
    for error in jsonschema.Draft7Validator(document).iter_errors(dict(given)):
        at = ".".join(str(p) for p in error.absolute_path)
        problems.append(f"{at + ': ' if at else ''}{error.message}")
    return problems
