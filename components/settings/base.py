"""What every settings model shares: strict camelCase models, the environment a rule may
depend on, and problems reported under another key than the one being validated."""

from __future__ import annotations

import re
from typing import Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

PROJECT = "aigw-delivery"
"""The Pulumi project (`Pulumi.yaml`'s `name`): the namespace of every config key."""


class Model(BaseModel):
    """Strict, camelCase, closed: a typo in a key or a string where a number belongs fails."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )


def environment_of(info: ValidationInfo) -> str | None:
    return (info.context or {}).get("environment")


Problem = tuple[tuple[str | int, ...], Any, str]
"""A rule broken somewhere else than where it was found: (config path, value, rule)."""


def problems_at(found: list[Problem]) -> PydanticCustomError:
    """Rules that compare sections (a deployment's fleet, a fleet's regions) are checked where
    both are visible; this error carries the exact config path of each broken rule, and
    `parse_settings` reports each one under its own key."""
    return PydanticCustomError(
        "cross_reference",
        "{count} cross-reference problems",
        {"count": len(found), "problems": found},
    )


def matching(pattern: str, rule: str) -> AfterValidator:
    """A string that must match `pattern` whole; `rule` is what the error says it must be."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(rule)
        return value

    return AfterValidator(check)
