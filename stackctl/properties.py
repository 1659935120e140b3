"""A changed resource's properties as the lines of a diff block, secrets hidden.

`+ key: value` for what is added, `- key: value` for what is removed, `~ key: old → new` for
what changes, `# forces replacement` where the change replaces the resource: from the
preview's `detailedDiff` (or, without one, its diff and replace reasons) and the old and new
states. Old values come from the old inputs for an input diff, else from the old state's
outputs (`PropertyDiff.InputDiff`, pulumi/pulumi pkg/display/json.go).

A property whose old or new value is, or lies inside, a secret, or that the provider declares
secret (`additionalSecretOutputs`), shows neither side: a value that stops (or starts) being
secret must not leak its other side. Values, keys and paths are scrubbed and bounded
(`stackctl.scrub.clip`); values a preview cannot know yet read `(known after apply)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from contract import SECRET, Pulumi
from stackctl.engine import PROVIDER_KEY, describe_dynamic_provider, holds_secret
from stackctl.preview import PropertyDiff, State, Step
from stackctl.scrub import clip, one_line
from stackctl.stackfile import StackFileError, parse_path

UNKNOWN_VALUE: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine serialises a value a preview cannot know yet (`plugin.UnknownStringValue`)."""
ABSENT: Final = object()
VALUE_WIDTH: Final = 160
NAME_WIDTH: Final = 200
"""Keys and property paths: longer ones are cut (saying so)."""
PATH_MAX: Final = 1000
"""The longest property path that is looked up: a provider's are a few dozen characters."""
INTERNAL: Final = frozenset({"__defaults"})
"""Bookkeeping inputs of bridged providers (which inputs took defaults), not settings."""


def rows(step: Step) -> Iterator[str]:
    """The lines of a resource's diff block: `+ key: value`, `- key: value`,
    `~ key: old → new`, with `# forces replacement` where the change replaces it."""
    if step.op == "create" and step.new is not None:
        for key in sorted(k for k in step.new.inputs if k not in INTERNAL):
            value = _input_value(step, step.new, key)
            yield f"+ {one_line(key, NAME_WIDTH)}: {value}"
        return
    if step.op in ("delete", "import"):
        return
    for diff in changes(step):
        yield _row(step, diff, step.old, step.new)


def changes(step: Step) -> list[PropertyDiff]:
    """What an update or replace changes, one entry per property path: the preview's
    `detailedDiff`, or without one its diff and replace reasons (top-level keys)."""
    if step.detailed_diff or (step.detailed_diff is not None and not step.diff_reasons):
        diffs = list(step.detailed_diff)
    else:
        keys = sorted(set(step.diff_reasons) | set(step.replace_reasons))
        diffs = [
            PropertyDiff(k, "update-replace" if k in step.replace_reasons else "update", True)
            for k in keys
        ]
    return [d for d in diffs if d.path.split(".", 1)[0].split("[", 1)[0] not in INTERNAL]


def row(step: Step, diff: PropertyDiff) -> str:
    """One property's line, `~ path: old → new` (secrets hidden), for the note and the gate."""
    return _row(step, diff, step.old, step.new)


def _row(step: Step, diff: PropertyDiff, old: State | None, new: State | None) -> str:
    path = _path(diff.path)
    before = _lookup(old.inputs if diff.input_diff else old.outputs, path) if old else ABSENT
    if before is ABSENT and old is not None and not diff.input_diff:
        before = _lookup(old.inputs, path)
    after = _lookup(new.inputs, path) if new else ABSENT
    kind = diff.kind.removesuffix("-replace")
    forces = "  # forces replacement" if diff.replaces else ""
    verb = {"add": "added", "delete": "removed"}.get(kind, "changed")
    sign = {"add": "+", "delete": "-"}.get(kind, "~")
    if _is_secret(step, diff.path, path):
        return f"{sign} {one_line(diff.path, NAME_WIDTH)}: {SECRET} ({verb}){forces}"
    if path is None:  # no values to look up: say what changed, not "(absent)"
        return f"{sign} {one_line(diff.path, NAME_WIDTH)}: ({verb}){forces}"
    if path and path[0] == PROVIDER_KEY and step.type.startswith(Pulumi.DYNAMIC_PREFIX):
        before, after = (
            describe_dynamic_provider(v) if isinstance(v, str) else v for v in (before, after)
        )
    if kind == "add" or (before is ABSENT and after is not ABSENT):
        return f"+ {one_line(diff.path, NAME_WIDTH)}: {_show(after)}{forces}"
    if kind == "delete" or after is ABSENT:
        return f"- {one_line(diff.path, NAME_WIDTH)}: {_show(before)}{forces}"
    return f"~ {one_line(diff.path, NAME_WIDTH)}: {_show(before)} → {_show(after)}{forces}"


def _input_value(step: Step, state: State, key: str) -> str:
    value = state.inputs[key]
    if key in state.secret_outputs or holds_secret(value):
        return SECRET
    if (
        key == PROVIDER_KEY
        and step.type.startswith(Pulumi.DYNAMIC_PREFIX)
        and isinstance(value, str)
    ):
        return describe_dynamic_provider(value)
    return _show(value)


def _is_secret(step: Step, raw_path: str, path: list[str | int] | None) -> bool:
    """Whether any side of this property is, or lies inside, a secret: then no side is shown,
    whatever the other side holds (a value that stops being secret must not leak its old
    value, nor one that becomes secret its new one)."""
    states = [s for s in (step.old, step.new) if s is not None]
    top = path[0] if path else raw_path.split(".", 1)[0].split("[", 1)[0]
    if any(top in s.secret_outputs for s in states):
        return True
    for state in states:
        for source in (state.inputs, state.outputs):
            if path is None:
                if holds_secret(source.get(str(top))):
                    return True
            elif holds_secret(_lookup(source, path)):
                return True
    return False


def _path(raw: str) -> list[str | int] | None:
    """A detailed diff's property path (`template.containers[0].image`, `labels["a.b"]`);
    None when it cannot be parsed, or is longer than any real one (then only its top-level
    key is looked at, and the row shows it as changed without values)."""
    if len(raw) > PATH_MAX:
        return None
    try:
        return parse_path(raw)
    except StackFileError:
        return None


def _lookup(source: Mapping[str, Any], path: list[str | int] | None) -> Any:
    """The value at `path`, ABSENT if there is none; a secret met on the way is the answer."""
    if path is None:
        return ABSENT
    value: Any = source
    for part in path:
        if value == SECRET:
            return SECRET
        found = (isinstance(value, dict) and isinstance(part, str) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        )
        if not found:
            return ABSENT
        value = value[part]
    return value


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return clip(json.dumps(_known(value), sort_keys=True, ensure_ascii=False), VALUE_WIDTH)


def _known(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v) for v in value]
    if value == UNKNOWN_VALUE:
        return "(known after apply)"
    return value
