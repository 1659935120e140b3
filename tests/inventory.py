"""Inventories: small YAML files of what a stack holds (after Cloud Foundation Fabric's tests).

Each file lists, partially, the values that matter: the number of resources per type (all
of them), chosen resources by logical name (options and inputs), and outputs. A reviewer
reads one as documentation of the stack; a change to the graph shows up as a change to it.

Values the offline engine makes up (ids of resources the stack creates, answers to lookups,
tokens, provider-computed names, addresses and URLs: see `stackctl.engine`'s fakes) are not
facts about the stack, so an inventory never states them. It marks them instead:

    project: {fake: "<number:security-project>"}
    passwordSecretVersion: {fake: "projects/gitlab-runway-production/secrets/s/versions/<number>"}
    digest: {fake: "sha256:<hex>"}

`{fake: TEMPLATE}` matches any value of that shape: the text is matched literally except
for placeholders, `<number>` (digits; an integer value is read as its digits), `<hex>`
(lowercase hex digits) and `<text>` (anything). A placeholder with a label, `<number:L>`,
must be the same value everywhere `L` appears in the inventory: it says "the same id as
there" without saying what the id is.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from stackctl.engine import Graph

INVENTORIES = Path(__file__).parent / "inventories"


PLACEHOLDER = re.compile(r"<(number|hex|text)(?::([A-Za-z0-9_.-]+))?>")
KINDS = {"number": "[0-9]+", "hex": "[0-9a-f]+", "text": ".+?"}


def _fake_matches(template: str, actual: Any, bindings: dict[str, str]) -> bool:
    """Whether `actual` has the shape of `template`; labels bind across the inventory."""
    if isinstance(actual, bool) or not isinstance(actual, str | int):
        return False
    pattern, position = "", 0
    groups: dict[str, str] = {}  # regex group -> label, for labels first seen here
    for placeholder in PLACEHOLDER.finditer(template):
        pattern += re.escape(template[position : placeholder.start()])
        position = placeholder.end()
        kind, label = placeholder.groups()
        if label is None:
            pattern += f"(?:{KINDS[kind]})"
        elif label in bindings:
            pattern += re.escape(bindings[label])
        elif label in groups.values():
            group = next(g for g, name in groups.items() if name == label)
            pattern += f"(?P={group})"
        else:
            group = f"g{len(groups)}"
            groups[group] = label
            pattern += f"(?P<{group}>{KINDS[kind]})"
    pattern += re.escape(template[position:])
    match = re.fullmatch(pattern, str(actual))
    if match is None:
        return False
    bindings.update({label: match[group] for group, label in groups.items()})
    return True


def _is_fake(expected: Any) -> bool:
    return isinstance(expected, dict) and set(expected) == {"fake"}


def differences(
    expected: Any, actual: Any, where: str = "", bindings: dict[str, str] | None = None
) -> list[str]:
    """Where `actual` does not contain `expected` (mappings partially, lists exactly;
    `{fake: TEMPLATE}` by shape, see the module docstring)."""
    bindings = {} if bindings is None else bindings
    if _is_fake(expected):
        template = str(expected["fake"])
        if _fake_matches(template, actual, bindings):
            return []
        return [f"{where}: expected a value of the form {template!r}, found {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '.'}: expected a mapping, found {actual!r}"]
        found: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing")
            else:
                found.extend(differences(value, actual[key], f"{where}.{key}", bindings))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {expected!r}, found {actual!r}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{where}[{i}]", bindings)
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, found {actual!r}"]


def check(graph: Graph, inventory: dict[str, Any]) -> list[str]:
    """Every way `graph` differs from `inventory`."""
    problems: list[str] = []
    bindings: dict[str, str] = {}  # the labels of `{fake: ...}` values, for the whole file
    counts = dict(Counter(r.type for r in graph.resources))
    if "counts" in inventory and counts != inventory["counts"]:
        problems.append(f"counts: expected {inventory['counts']}, found {counts}")
    # The JSON document's fields, and what the engine records beside them.
    by_name = {
        r.name: {**r.to_json(), "ignoreChanges": list(r.ignore_changes)} for r in graph.resources
    }
    for name, expected in (inventory.get("resources") or {}).items():
        if name not in by_name:
            problems.append(f"resources.{name}: not in the graph")
            continue
        problems.extend(differences(expected, by_name[name], f"resources.{name}", bindings))
    problems.extend(differences(inventory.get("outputs") or {}, graph.outputs, "outputs", bindings))
    return problems


def load(stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INVENTORIES / f"{stack}.yaml").read_text())
    return loaded
