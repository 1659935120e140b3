"""The delivery diagram of DESIGN.md section 1, drawn from a stack's graph.

Every node and edge is found from the resources that realise it (DESIGN.md's table) and the
dependencies between them, never from a list of what should be there: an edge whose
resources are missing from the graph is missing from the picture. What ties a resource to a
project, a deployment to its account, a grant to a service, are the graph's property
dependencies (`project` built from a project's id, `member` from an account's email).

- push mirror: a push mirror on the canonical project whose URL is built from a token of
  the security project;
- build: a protected `main` and a protected container repository (or package rule) in the
  same project;
- trigger: a pipeline trigger in a deployment project whose token is a CI variable of the
  security project;
- pull: the job-token allowlist of a source project admitting a deployment project;
- deploy: `run.developer` on a fleet's services for the account a deployment's pipeline is
  told to use (its `RUNWAY_SERVICE_ACCOUNT` variable);
- depends: a package protection rule in a project whose package registry anyone can read;
- push: Docker Hub credentials in a project, made after its release tags were protected,
  and Docker Hub repositories to push to.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from contract import (
    DOCKERHUB_REPOSITORY,
    DOCKERHUB_VARIABLE_PREFIX,
    SERVICE_ACCOUNT_VARIABLE,
    Component,
    Gcp,
    GitLab,
)
from stackctl.engine import Graph, Resource

PROJECT = GitLab.PROJECT
BRANCH = GitLab.BRANCH_PROTECTION
TAG = GitLab.TAG_PROTECTION
REGISTRY = GitLab.REGISTRY_PROTECTION
PACKAGE = GitLab.PACKAGE_PROTECTION
MIRROR = GitLab.PUSH_MIRROR
ACCESS_TOKEN = GitLab.ACCESS_TOKEN
TRIGGER = GitLab.PIPELINE_TRIGGER
VARIABLE = GitLab.VARIABLE
ALLOWLIST = GitLab.JOB_TOKEN_SCOPE
SERVICE = Gcp.SERVICE
SERVICE_GRANT = Gcp.SERVICE_IAM_MEMBER
CERTIFICATE = Gcp.CERTIFICATE
DOCKERHUB = DOCKERHUB_REPOSITORY
SOURCE = Component.SOURCE_PROJECT
DEPLOYMENT = Component.RUNWAY_DEPLOYMENT
FLEET = Component.FLEET


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    group: str | None
    realised_by: frozenset[str]


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    realised_by: frozenset[str]


@dataclass(frozen=True)
class Edge:
    source: str
    label: str
    target: str
    realised_by: frozenset[str]


@dataclass
class Diagram:
    groups: list[Group] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, id_: str) -> Node | None:
        return next((n for n in self.nodes if n.id == id_), None)

    def edge_labels(self) -> set[tuple[str, str, str]]:
        return {(e.source, e.label, e.target) for e in self.edges}


def delivery(graph: Graph) -> Diagram:
    """The delivery diagram of `graph`."""
    links = _Links(graph)
    diagram = Diagram()
    sources = {
        c.name: project
        for c in graph.of_type(SOURCE)
        if (project := _child(graph, c, PROJECT)) is not None
    }
    for role, project in sorted(sources.items(), key=lambda kv: kv[0] != "canonical"):
        _source_project(diagram, graph, links, role, project)
    _mirror(diagram, graph, links, sources)
    deployments = _deployments(diagram, graph, links, sources)
    fleets = _fleets(diagram, graph)
    _deploy_edges(diagram, graph, links, deployments, fleets)
    _docker_hub(diagram, graph, links, sources)
    return diagram


def mermaid(graph: Graph, highlight: Collection[str] = ()) -> str:
    """The diagram as a Mermaid flowchart; parts realised by a URN in `highlight` (the
    resources a change touches) are drawn in the `changed` class."""
    return render(delivery(graph), highlight)


def render(diagram: Diagram, highlight: Collection[str] = ()) -> str:
    marked = set(highlight)
    lines = ["flowchart LR"]
    for node in diagram.nodes:
        if node.group is None:
            lines.append(f'  {node.id}["{node.label}"]')
    for group in diagram.groups:
        lines.append(f'  subgraph {group.id}["{group.label}"]')
        lines.extend(
            f'    {node.id}["{node.label}"]' for node in diagram.nodes if node.group == group.id
        )
        lines.append("  end")
    for edge in diagram.edges:
        lines.append(f"  {edge.source} -- {edge.label} --> {edge.target}")
    changed = [n.id for n in diagram.nodes if n.realised_by & marked]
    changed += [g.id for g in diagram.groups if g.realised_by & marked]
    links = [str(i) for i, e in enumerate(diagram.edges) if e.realised_by & marked]
    if changed or links:
        lines.append("  classDef changed fill:#fff3bf,stroke:#e8590c,stroke-width:2px")
    if changed:
        lines.append(f"  class {','.join(changed)} changed")
    if links:
        lines.append(f"  linkStyle {','.join(links)} stroke:#e8590c,stroke-width:3px")
    return "\n".join(lines)


# --- the parts ---------------------------------------------------------------------------


class _Links:
    """The property dependencies of the graph, read as "this input was built from that"."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def sources(self, resource: Resource, prop: str, type_: str | None = None) -> list[Resource]:
        found = [self.graph.get(u) for u in resource.property_dependencies.get(prop, ())]
        return [r for r in found if type_ is None or r.type == type_]

    def built_from(self, resource: Resource, prop: str, target: Resource) -> bool:
        return target.urn in resource.property_dependencies.get(prop, ())

    def of_project(self, type_: str, project: Resource) -> list[Resource]:
        return [r for r in self.graph.of_type(type_) if self.built_from(r, "project", project)]


def _source_project(
    diagram: Diagram, graph: Graph, links: _Links, role: str, project: Resource
) -> None:
    group = _id(role)
    path = _output(graph, f"{role}Project", "path") or str(project.inputs.get("path", role))
    diagram.groups.append(
        Group(group, f"AIGW project ({role})<br/>{path}", frozenset({project.urn}))
    )
    default = project.inputs.get("defaultBranch", "main")
    for branch in links.of_project(BRANCH, project):
        is_main = branch.inputs.get("branch") == default
        node_id = f"{group}Main" if is_main else f"{group}Stable"
        label = str(default) if is_main else f"branches {branch.inputs.get('branch')}"
        diagram.nodes.append(Node(node_id, label, group, frozenset({branch.urn})))
    for tag in links.of_project(TAG, project):
        label = f"tags {tag.inputs.get('tag')}"
        diagram.nodes.append(Node(f"{group}Tags", label, group, frozenset({tag.urn})))
    main = diagram.node(f"{group}Main")
    for rule in links.of_project(REGISTRY, project):
        repository = str(rule.inputs.get("repositoryPathPattern", "")).rsplit("/", 1)[-1]
        node = Node(f"{group}CR", f"container registry: {repository}", group, frozenset({rule.urn}))
        diagram.nodes.append(node)
        if main is not None:
            diagram.edges.append(
                Edge(main.id, "build", node.id, main.realised_by | node.realised_by)
            )
    for rule in links.of_project(PACKAGE, project):
        if not project.inputs.get("packagesEnabled"):
            continue
        name = rule.inputs.get("packageNamePattern")
        node = Node(f"{group}PR", f"package registry: {name}", group, frozenset({rule.urn}))
        diagram.nodes.append(node)
        if main is not None:
            diagram.edges.append(
                Edge(main.id, "build", node.id, main.realised_by | node.realised_by)
            )
        readable = project.inputs.get("packageRegistryAccessLevel") == "public" or (
            project.inputs.get("packageRegistryAccessLevel") == "enabled"
            and project.inputs.get("visibilityLevel") == "public"
        )
        if readable:
            consumer = _output(graph, "packageRegistry", "consumer") or "GitLab-LSP"
            realised = frozenset({project.urn, rule.urn})
            diagram.nodes.append(Node("LSP", f"GitLab-LSP<br/>{consumer}", None, realised))
            diagram.edges.append(Edge("LSP", "depends", node.id, realised))


def _mirror(diagram: Diagram, graph: Graph, links: _Links, sources: dict[str, Resource]) -> None:
    for mirror in graph.of_type(MIRROR):
        for role, project in sources.items():
            if not links.built_from(mirror, "project", project):
                continue
            for token in links.sources(mirror, "url", ACCESS_TOKEN):
                for target_role, target in sources.items():
                    if target_role != role and links.built_from(token, "project", target):
                        realised = frozenset({mirror.urn, token.urn})
                        diagram.edges.append(
                            Edge(_id(role), "push mirror", _id(target_role), realised)
                        )


def _deployments(
    diagram: Diagram, graph: Graph, links: _Links, sources: dict[str, Resource]
) -> dict[str, Resource]:
    """One node per Runway deployment project; its trigger and pull edges."""
    found: dict[str, Resource] = {}
    components = sorted(graph.of_type(DEPLOYMENT), key=lambda c: c.name)
    if components:
        diagram.groups.append(Group("Runway", "Runway deployment projects", frozenset()))
    for component in components:
        project = _child(graph, component, PROJECT)
        if project is None:
            continue
        node_id = _id("R", component.name)
        path = _output(graph, "runwayDeployments", component.name, "project")
        label = f"{component.name}<br/>{path}" if path else component.name
        diagram.nodes.append(Node(node_id, label, "Runway", frozenset({project.urn})))
        found[node_id] = project
        for trigger in links.of_project(TRIGGER, project):
            for variable in graph.of_type(VARIABLE):
                if not links.built_from(variable, "value", trigger):
                    continue
                for role, source in sources.items():
                    main = diagram.node(f"{_id(role)}Main")
                    if main is not None and links.built_from(variable, "project", source):
                        realised = frozenset({trigger.urn, variable.urn})
                        diagram.edges.append(Edge(main.id, "trigger", node_id, realised))
        for scope in graph.of_type(ALLOWLIST):
            if not links.built_from(scope, "targetProjectId", project):
                continue
            for role, source in sources.items():
                registry = diagram.node(f"{_id(role)}CR")
                if registry is not None and links.built_from(scope, "project", source):
                    diagram.edges.append(Edge(node_id, "pull", registry.id, frozenset({scope.urn})))
    return found


def _fleets(diagram: Diagram, graph: Graph) -> dict[str, Resource]:
    """One node per fleet, labelled with its hostname and regions; by node id, the fleet."""
    found: dict[str, Resource] = {}
    components = sorted(graph.of_type(FLEET), key=lambda c: c.name)
    if components:
        diagram.groups.append(Group("GCP", "Google Cloud Run", frozenset()))
    for fleet in components:
        services = [r for r in graph.children(fleet.urn) if r.type == SERVICE]
        if not services:
            continue
        regions = ", ".join(sorted(str(s.inputs.get("location")) for s in services))
        hosts = [
            d
            for c in graph.children(fleet.urn)
            if c.type == CERTIFICATE
            for d in (c.inputs.get("managed") or {}).get("domains", [])
        ]
        label = f"{fleet.name.upper()} fleet<br/>{', '.join(hosts)}<br/>{regions}".replace(
            "<br/><br/>", "<br/>"
        )
        node_id = _id("F", fleet.name)
        diagram.nodes.append(Node(node_id, label, "GCP", frozenset(s.urn for s in services)))
        found[node_id] = fleet
    return found


def _deploy_edges(
    diagram: Diagram,
    graph: Graph,
    links: _Links,
    deployments: dict[str, Resource],
    fleets: dict[str, Resource],
) -> None:
    for node_id, project in deployments.items():
        told = [
            variable
            for variable in links.of_project(VARIABLE, project)
            if variable.inputs.get("key") == SERVICE_ACCOUNT_VARIABLE
        ]
        accounts = {
            account.urn for variable in told for account in links.sources(variable, "value")
        }
        for fleet_id, fleet in fleets.items():
            grants = [
                grant.urn
                for grant in graph.of_type(SERVICE_GRANT)
                if grant.inputs.get("role") == "roles/run.developer"
                and accounts & set(grant.property_dependencies.get("member", ()))
                and any(
                    graph.get(s).parent == fleet.urn
                    for s in grant.property_dependencies.get("name", ())
                )
            ]
            if grants:
                realised = frozenset(grants) | _urns(told)
                diagram.edges.append(Edge(node_id, "deploy", fleet_id, realised))


def _docker_hub(
    diagram: Diagram, graph: Graph, links: _Links, sources: dict[str, Resource]
) -> None:
    repositories = graph.of_type(DOCKERHUB)
    if not repositories:
        return
    names = sorted(f"{r.inputs.get('namespace')}/{r.inputs.get('name')}" for r in repositories)
    diagram.nodes.append(
        Node("DH", "Docker Hub<br/>" + "<br/>".join(names), None, _urns(repositories))
    )
    for role, project in sources.items():
        tags = diagram.node(f"{_id(role)}Tags")
        if tags is None:
            continue
        credentials = [
            v
            for v in links.of_project(VARIABLE, project)
            if str(v.inputs.get("key", "")).startswith(DOCKERHUB_VARIABLE_PREFIX)
            and tags.realised_by & set(v.dependencies)
        ]
        if credentials:
            diagram.edges.append(Edge(tags.id, "push", "DH", _urns(credentials)))


# --- helpers ------------------------------------------------------------------------------


def _child(graph: Graph, component: Resource, type_: str) -> Resource | None:
    return next((r for r in graph.children(component.urn) if r.type == type_), None)


def _output(graph: Graph, *path: str) -> str | None:
    value: object = graph.outputs
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _urns(resources: Iterable[Resource]) -> frozenset[str]:
    return frozenset(r.urn for r in resources)


def _id(*parts: str) -> str:
    """A Mermaid node id: `canonical` -> `Canonical`, (`R`, `ai-gateway`) -> `R_ai_gateway`."""
    if len(parts) == 1:
        return parts[0][:1].upper() + re.sub(r"\W", "_", parts[0][1:])
    return "_".join(re.sub(r"\W", "_", p) for p in parts)
