"""How tests see what feeds what: through the engine's property dependencies.

An input made from another resource's output (an id, a token, an email) holds, offline, a
value the engine made up; what the program decides is *which* resource it comes from, and
the SDK records that as the input's property dependencies. Tests assert that, never the
made-up value.
"""

from __future__ import annotations

from stackctl.engine import Graph, Resource


def fed_by(graph: Graph, resource: Resource, key: str) -> set[str]:
    """The names of the resources whose outputs the program gives `resource` as input `key`."""
    return {graph.get(urn).name for urn in resource.property_dependencies.get(key, ())}
