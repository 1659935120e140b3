"""The adoption plan: `python -m stackctl graph STACK --format imports`.

What the first `pulumi up` of a stack whose parts exist will adopt, in the format of
Pulumi's bulk import file (`pulumi import --file FILE`): `{"resources": [{"type", "name",
"id", "parent", ...}], "nameTable": {...}}`, where `parent` is a key of `nameTable`, whose
values are URNs (github:pulumi/pulumi, `pkg/cmd/pulumi/operations/import.go`: `importFile`,
`importSpec` with `Type`, `Name`, `ID`, `Parent`, `Provider`, `Component`, and `NameTable
map[string]resource.URN`; docs: pulumi.com/docs/iac/adopting-pulumi/import/, "Bulk import
operations"). Providers are named the same way (`provider`). Beside it, under `created`
(a key the CLI does not read), every custom resource the stack creates in a part that
exists, with the reason from `components/adoption.py`.

The file documents the plan; the program's `import` options are what adopt. Feeding the
file to `pulumi import` would generate code, which this stack does not need.
"""

from __future__ import annotations

from typing import Any

from components.adoption import reason_created
from contract import Pulumi
from stackctl.graph import Graph

NEW_PART = "its part of the diagram does not exist yet (existing.<part> is false): created"


def plan(graph: Graph) -> dict[str, Any]:
    """The bulk import document of `graph`'s adopted resources, and the created list."""
    names: dict[str, str] = {}

    def key(urn: str) -> str:
        resource = graph.get(urn)
        return names.setdefault(urn, resource.name)

    adopted: list[dict[str, Any]] = []
    created: list[dict[str, Any]] = []
    for resource in graph.resources:
        if not resource.custom or resource.type.startswith(Pulumi.PROVIDER_PREFIX):
            continue
        if resource.import_id is None:
            created.append(
                {
                    "type": resource.type,
                    "name": resource.name,
                    "reason": reason_created(resource.type) or NEW_PART,
                }
            )
            continue
        entry: dict[str, Any] = {
            "type": resource.type,
            "name": resource.name,
            "id": resource.import_id,
        }
        if resource.parent and graph.get(resource.parent).type != Pulumi.STACK:
            entry["parent"] = key(resource.parent)
        if resource.provider:
            entry["provider"] = key(resource.provider)
        adopted.append(entry)
    table = {name: urn for urn, name in names.items()}
    return {"resources": adopted, "nameTable": table, "created": created}
