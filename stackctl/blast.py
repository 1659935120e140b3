"""The blast radius: what a change touches, by part of the delivery diagram.

Both the offline diff's Markdown (`stackctl diff --out-dir`) and the live preview note
(`stackctl report`) open with it, so a reviewer reads first which parts of the delivery a
change reaches (source projects, mirror, registries and pull, Runway deployments, identity,
each fleet with its regions, Docker Hub), how many resources each gets by operation, and
which protected resources are among them.

A part is the program's component a resource belongs to (`contract.Component`, the nearest
component among its parents), found in the offline graph. A resource the graph no longer
has (a delete, or the old side of a replace) is placed by its URN instead: the URN's type
chain names its component types, and a child is named `<component>-<part>`
(`contract.child_name`), so the component is the one of that type whose name prefixes it.
A resource's region is its `location` or `region` input (Cloud Run services and their
grants, network endpoint groups, remote repositories).

The resources counted here are the ones the diagram highlights: `stackctl.plan.changed_urns`
for a preview, the diff's added, removed, replaced and changed resources offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from contract import Component
from stackctl.graph import Graph, Resource

PARTS: Final = (
    (Component.SOURCE_PROJECT, "Source projects"),
    (Component.PUSH_MIRROR, "Mirror"),
    (Component.REGISTRY_PULL, "Registries and pull"),
    (Component.RUNWAY_DEPLOYMENT, "Runway deployments"),
    (Component.DEPLOY_IDENTITY, "Identity"),
    (Component.FLEET, "fleet"),
    (Component.DOCKERHUB_RELEASE, "Docker Hub"),
)
"""The parts in the diagram's order; a fleet is a part of its own, titled by its id."""
OTHER: Final = "Stack and providers"
"""Resources outside every component: the explicit providers."""
OPS: Final = ("create", "update", "replace", "delete", "import")
"""The order counts are given in: the note's summary line's order."""
REGION_KEYS: Final = ("location", "region")


@dataclass(frozen=True)
class Touch:
    """One changed resource: its URN, the op that changes it, whether it is protected, and
    its inputs (the new ones, or the old ones of a delete)."""

    urn: str
    op: str
    protected: bool
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Part:
    title: str
    counts: Mapping[str, int]
    protected: tuple[tuple[str, str], ...]
    """(name, op) of each protected resource touched."""
    regions: tuple[str, ...] = ()
    """The regions touched, for a fleet."""
    all_regions: tuple[str, ...] = ()
    """The fleet's regions in the graph."""

    def line(self) -> str:
        counts = ", ".join(f"{self.counts[op]} to {op}" for op in OPS if self.counts.get(op))
        where = ""
        if self.all_regions:
            if set(self.regions) >= set(self.all_regions):
                where = f" (all {len(self.all_regions)} regions)"
            elif self.regions:
                shown = ", ".join(self.regions)
                where = f" ({len(self.regions)} of {len(self.all_regions)} regions: {shown})"
            else:
                where = " (no region's services)"
        risky = [(n, op) for n, op in self.protected if op in ("replace", "delete")]
        if risky:
            named = ", ".join(f"`{n}` ({op})" for n, op in risky)
            guard = f"**protected {'resources' if len(risky) > 1 else 'resource'} {named}**"
        else:
            guard = "nothing protected replaced"
        others = [f"`{n}` ({op})" for n, op in self.protected if op not in ("replace", "delete")]
        if others:
            guard += f"; protected and changed in place: {', '.join(others)}"
        return f"- **{self.title}**: {counts}{where}; {guard}"


def parts(graph: Graph, touches: Iterable[Touch], before: Graph | None = None) -> list[Part]:
    """The parts `touches` fall in, in the diagram's order. `before` is the graph a deleted
    resource is looked up in first (the offline diff's left side)."""
    index = _Index(graph, before)
    grouped: dict[tuple[int, str], list[Touch]] = {}
    for touch in touches:
        grouped.setdefault(index.place(touch.urn), []).append(touch)
    found = []
    for (rank, component), members in sorted(grouped.items()):
        counts = dict.fromkeys(OPS, 0)
        for touch in members:
            counts[touch.op] = counts.get(touch.op, 0) + 1
        protected = tuple(sorted((_name(t.urn), t.op) for t in members if t.protected))
        if rank < len(PARTS) and PARTS[rank][0] == Component.FLEET:
            regions = sorted({r for t in members if (r := region(t.inputs))})
            found.append(
                Part(
                    f"{component.upper()} fleet",
                    counts,
                    protected,
                    tuple(regions),
                    index.fleet_regions(component),
                )
            )
        else:
            title = PARTS[rank][1] if rank < len(PARTS) else OTHER
            found.append(Part(title, counts, protected))
    return found


def opening(found: Sequence[Part]) -> list[str]:
    """The Markdown lines a note or a diff opens with."""
    if not found:
        return ["**Blast radius:** nothing in the delivery changes.", ""]
    touched = {p.title for p in found}
    untouched = [t for c, t in PARTS if c != Component.FLEET and t not in touched]
    lines = ["**Blast radius** (the parts the diagram highlights):", ""]
    lines += [p.line() for p in found]
    if untouched:
        lines.append(f"- untouched: {', '.join(untouched)}")
    return [*lines, ""]


def region(inputs: Mapping[str, Any]) -> str | None:
    for key in REGION_KEYS:
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _name(urn: str) -> str:
    return urn.split("::", 3)[-1]


def _identity(urn: str) -> str:
    from stackctl.diff import identity

    return identity(urn)


def _ancestry(graph: Graph, resource: Resource) -> list[Resource]:
    """The resource, then its parent, its parent's parent, up to the root stack."""
    found = [resource]
    while (parent := found[-1].parent) is not None and len(found) < 64:
        try:
            found.append(graph.get(parent))
        except KeyError:
            break
    return found


class _Index:
    """Where each resource sits, from the graph (and the graph before a change)."""

    def __init__(self, graph: Graph, before: Graph | None) -> None:
        self.graphs = [g for g in (before, graph) if g is not None]
        self.by_identity: dict[str, tuple[Graph, Resource]] = {}
        for g in self.graphs:
            for resource in g.resources:
                self.by_identity[_identity(resource.urn)] = (g, resource)
        self.components = [
            r for g in self.graphs for r in g.resources if r.type.startswith(Component.PREFIX)
        ]
        self.graph = graph

    def place(self, urn: str) -> tuple[int, str]:
        """(rank of the part, component name); the rank past `PARTS` for no component."""
        found = self.by_identity.get(_identity(urn))
        if found is not None:
            g, resource = found
            for ancestor in _ancestry(g, resource):
                if ancestor.type.startswith(Component.PREFIX):
                    return self._rank(ancestor.type), ancestor.name
            return len(PARTS), ""
        return self._by_urn(urn)

    def _by_urn(self, urn: str) -> tuple[int, str]:
        parts = urn.split("::", 3)
        chain = parts[2].split("$") if len(parts) == 4 else []
        kinds = [t for t in chain[:-1] if t.startswith(Component.PREFIX)]
        if not kinds:
            return len(PARTS), ""
        kind = kinds[-1]
        name = _name(urn)
        owners = [
            c.name for c in self.components if c.type == kind and name.startswith(c.name + "-")
        ]
        return self._rank(kind), max(owners, key=len, default="")

    def fleet_regions(self, fleet: str) -> tuple[str, ...]:
        """The fleet's regions before and after the change: a region dropped counts in
        "1 of 6 regions" as the sixth."""
        regions: set[str] = set()
        for g in self.graphs:
            for component in g.of_type(Component.FLEET):
                if component.name != fleet:
                    continue
                regions |= {
                    r
                    for resource in g.resources
                    if component in _ancestry(g, resource) and (r := region(resource.inputs))
                }
        return tuple(sorted(regions))

    @staticmethod
    def _rank(kind: str) -> int:
        return next((i for i, (c, _) in enumerate(PARTS) if c == kind), len(PARTS))
