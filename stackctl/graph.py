"""The offline graph: what one evaluation of the program registered, and how tools read it.

`Resource` is one registration as the JSON document shows it; `Graph` is a whole stack's
(its resources and outputs), with the lookups the tools and tests share. The runner
(`stackctl.engine`) builds it; nothing here runs the program.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contract import SECRET
from stackctl.errors import StackctlError


class EngineError(StackctlError):
    """The program could not be evaluated: bad stack file, bad config, or a failing program.

    `resources` holds what was registered before the failure (for a config that fails
    validation: nothing but the root stack)."""

    def __init__(self, message: str, resources: Sequence[Resource] = ()) -> None:
        super().__init__(message)
        self.resources = tuple(resources)


@dataclass(frozen=True)
class Resource:
    """One registration, as the JSON document (`stackctl graph --format json`) shows it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: Mapping[str, Any]
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    protect: bool
    retain_on_delete: bool
    import_id: str | None
    provider: str | None = None
    """The URN of the provider resource it is registered with; None for a component, a
    provider itself, or a resource left to its package's default provider."""
    fingerprints: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Per input, a digest of its value with secrets revealed: lets `diff` say that a
    secret changed without showing it. Not part of the JSON document."""
    ignore_changes: tuple[str, ...] = ()
    """Input paths the engine leaves alone once created (`ignore_changes`). Not part of the
    JSON document, whose shape tools and tests rely on; the text tree shows them."""
    additional_secret_outputs: tuple[str, ...] = ()
    """Outputs the engine must keep secret though the provider does not say so."""
    delete_before_replace: bool | None = None
    """`delete_before_replace` as the program set it; `None` when left to the engine, whose
    default is to create the replacement first."""
    aliases: tuple[Mapping[str, Any], ...] = ()
    """Former identities (an alias spec as JSON, or `{"urn": ...}`) whose state is adopted."""
    version: str | None = None
    """The provider plugin version the resource asks for."""
    plugin_download_url: str | None = None
    """Where the engine downloads that plugin from; `None` for Pulumi's own."""

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": list(self.dependencies),
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "importId": self.import_id,
            "provider": self.provider,
        }


@dataclass(frozen=True)
class Graph:
    project: str
    stack: str
    resources: tuple[Resource, ...]
    outputs: Mapping[str, Any]
    output_fingerprints: Mapping[str, str] = field(default_factory=dict, compare=False)
    _by_urn: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)
    _chains: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_urn.update({r.urn: r for r in self.resources})

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
        }

    def get(self, urn: str) -> Resource:
        return self._by_urn[urn]

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Resource:
        """The resource with this logical name (names are unique in this program)."""
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def chain(self, urn: str) -> tuple[str, ...]:
        """The longest dependency chain that ends at `urn` (first what must exist first):
        what the engine must create one after another before it can create `urn`."""
        if urn not in self._chains:
            self._chains[urn] = ()  # a guard: Pulumi refuses cycles, a broken graph may not
            longest = max(
                (self.chain(d) for d in self.get(urn).dependencies if d in self._by_urn),
                key=len,
                default=(),
            )
            self._chains[urn] = (*longest, urn)
        return self._chains[urn]

    def longest_chain(self) -> tuple[str, ...]:
        """The graph's longest dependency chain: how many resources must be created one
        after another however parallel the engine is."""
        return max((self.chain(r.urn) for r in self.resources), key=len, default=())


def fingerprints(values: Mapping[str, Any]) -> dict[str, str]:
    """A digest of each value, to compare values that may hold secrets without showing them."""
    return {
        key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        for key, value in values.items()
    }


def holds_secret(value: Any) -> bool:
    """Whether a value of the graph (inputs, outputs) has a secret marker anywhere in it."""
    if isinstance(value, dict):
        return any(holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_secret(v) for v in value)
    return bool(value == SECRET)
