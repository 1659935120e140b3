"""Inventories: small YAML files of what a stack holds (DESIGN.md section 7).

Each file lists, partially, the values that matter: the number of resources per type (all
of them), chosen resources by logical name (options and inputs), and outputs. A reviewer
reads one as documentation of the stack; a change to the graph shows up as a change to it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from stackctl.engine import Graph

INVENTORIES = Path(__file__).parent / "inventories"


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` does not contain `expected` (mappings partially, lists exactly)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '.'}: expected a mapping, found {actual!r}"]
        found: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing")
            else:
                found.extend(differences(value, actual[key], f"{where}.{key}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {expected!r}, found {actual!r}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: expected {expected!r}, found {actual!r}"]


def check(graph: Graph, inventory: dict[str, Any]) -> list[str]:
    """Every way `graph` differs from `inventory`."""
    problems: list[str] = []
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
        problems.extend(differences(expected, by_name[name], f"resources.{name}"))
    problems.extend(differences(inventory.get("outputs") or {}, graph.outputs, "outputs"))
    return problems


def load(stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INVENTORIES / f"{stack}.yaml").read_text())
    return loaded
