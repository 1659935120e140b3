"""Following edges of the stack's graph: which project a resource belongs to, where a value
comes from.

Stack policies see every resource with its `property_dependencies`: for each input, the
resources whose outputs it was built from. These edges are known in every preview, even when
the values are not (the id of a project that does not exist yet), so they, not ids, tie a
variable or a tag protection to its project.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource

from .kinds import PROJECT
from .reading import UNKNOWN, Reader


def sources(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    """The resources `resource`'s input `prop` was built from."""
    return list(resource.property_dependencies.get(prop, []))


def project_refs(resource: PolicyResource, reader: Reader) -> frozenset[str] | None:
    """What identifies the GitLab project `resource` belongs to (its `project` input): the
    URNs of the projects that input was built from, and its literal value when known.

    Two resources are on the same project when their refs intersect. None when nothing
    identifies it yet (an unknown id with no edge to a project), which the reader remembers.
    """
    refs = {p.urn for p in sources(resource, "project") if p.resource_type == PROJECT}
    value = Reader().get(resource.props, "project")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        refs.add(_id(value))
    if refs:
        return frozenset(refs)
    if value is UNKNOWN:
        reader.get(resource.props, "project")  # nothing identifies it yet: note the unknown
        return None
    return frozenset()


def _id(value: str | int | float) -> str:
    """GitLab ids arrive as strings or (through protobuf) floats: compare them as text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
