"""The delivery diagram, drawn from a stack's graph, as GitLab renders it.

Every node and edge is found from the resources that realise it and the dependencies
between them, never from a list of what should be there: an edge whose resources are
missing from the graph is missing from the picture. What ties a resource to a project, a
deployment to its account, a grant to a service, are the graph's property dependencies
(`project` built from a project's id, `member` from an account's email).

- build: a protected `main` and a protected container repository (or package rule) in the
  same project;
- push mirror: a push mirror on the canonical project whose URL is built from a token of
  the security project; drawn between the two projects' protected `main` branches (it
  pushes protected branches only);
- trigger: a pipeline trigger in a deployment project whose token is a CI variable of the
  security project;
- pulled by: the job-token allowlist of a source project admitting a deployment project
  (the image goes from the registry to the deployment);
- deploy: `run.developer` on a fleet's services for the account a deployment's pipeline is
  told to use (its `RUNWAY_SERVICE_ACCOUNT` variable);
- dependency of: a package protection rule in a project whose package registry anyone can
  read, and GitLab-LSP that installs the package;
- push: Docker Hub credentials in a project, made after its release tags were protected,
  and Docker Hub repositories to push to.

Every edge points the way things flow (code, images, deployments), so the layout ranks
never fight an edge drawn against the flow.

Where it is read: README.md, `stackctl graph --format mermaid` and the merge request notes,
all rendered by GitLab with Mermaid 11 and its default dagre layout, not ELK
(gitlab-org/gitlab `app/assets/javascripts/lib/mermaid.js`: theme `neutral`, `htmlLabels`,
`securityLevel: strict`). That renderer decides the shape of the output:

- top to bottom (`flowchart TB`): canonical, security, Runway, Cloud Run are ranks of one
  flow, so the four groups stack in that order instead of a staircase of subgraphs;
- edges join nodes only, never subgraphs: dagre draws an edge ending on a cluster as a stub;
- subgraph titles are one line: a second title line is not given room, and the first node
  covers it;
- node ids in the Mermaid text are short aliases (`n0`, `n1`, ...) given in drawing order,
  and the Runway projects' common group path is said once, in their group's title:
  GitLab renders a diagram of more than 2,000 characters (`MAX_CHARS`) only after a click
  (`MAX_CHAR_LIMIT` in `app/assets/javascripts/behaviors/markdown/render_sandboxed_mermaid.js`).
  The model (`Diagram`) keeps readable ids (`CanonicalMain`, `R_ai_gateway`).
- `wrappingWidth` is raised in the diagram's own front matter so that hostnames and
  region lists are not broken at their hyphens (GitLab's config leaves it at Mermaid's
  200 px, and lets a diagram set it).

`tests/test_diagram_render.py` renders every diagram the project produces with the Mermaid
release GitLab bundles, in headless Chromium, and fails on a parse error or a diagram over
the limit.

Longer than the project's usual 400 lines because of this docstring and one function per
part of the diagram: the parts read the same graph the same way, and apart they would need
the graph's links handed between modules.
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
    _package_consumer(diagram, graph, sources)
    return diagram


def mermaid(graph: Graph, highlight: Collection[str] = ()) -> str:
    """The diagram as a Mermaid flowchart; parts realised by a URN in `highlight` (the
    resources a change touches) are drawn in the `changed` class."""
    return render(delivery(graph), highlight)


MAX_CHARS = 2000
"""GitLab renders a longer Mermaid diagram only after a click on "Display"."""
FRONT_MATTER = "---\nconfig:\n  flowchart:\n    wrappingWidth: 320\n---"
"""Labels wrap at 320 px instead of 200: hostnames and paths stay whole."""
CHANGED = "classDef changed fill:#fff3bf,stroke:#e8590c,stroke-width:2px"
CHANGED_EDGE = "stroke:#e8590c,stroke-width:3px"


def render(diagram: Diagram, highlight: Collection[str] = ()) -> str:
    """The Mermaid text: groups and their nodes, then the nodes of no group, then the
    edges (in the model's order: `linkStyle` counts them), then what is highlighted."""
    marked = set(highlight)
    alias = aliases(diagram)
    lines = [FRONT_MATTER, "flowchart TB"]
    for group in diagram.groups:
        members = [n for n in diagram.nodes if n.group == group.id]
        if not members:
            continue
        lines.append(f'subgraph {alias[group.id]}["{group.label}"]')
        lines.extend(f'{alias[n.id]}["{n.label}"]' for n in members)
        lines.append("end")
    lines.extend(f'{alias[n.id]}["{n.label}"]' for n in diagram.nodes if n.group is None)
    lines.extend(f"{alias[e.source]}-->|{e.label}|{alias[e.target]}" for e in diagram.edges)
    changed = [alias[n.id] for n in diagram.nodes if n.realised_by & marked]
    changed += [alias[g.id] for g in diagram.groups if g.realised_by & marked]
    links = [str(i) for i, e in enumerate(diagram.edges) if e.realised_by & marked]
    if changed or links:
        lines.append(CHANGED)
    if changed:
        lines.append(f"class {','.join(changed)} changed")
    if links:
        lines.append(f"linkStyle {','.join(links)} {CHANGED_EDGE}")
    return "\n".join(lines)


def aliases(diagram: Diagram) -> dict[str, str]:
    """Short Mermaid ids, in drawing order: the text stays under `MAX_CHARS`."""
    ids = [g.id for g in diagram.groups] + [n.id for n in diagram.nodes]
    return {id_: f"n{i}" for i, id_ in enumerate(ids)}


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
    """The project's group: `main`, what it builds, then the release tags and the stable
    branches. That order is dagre's first guess at the order in a rank, and it keeps the
    nodes that are linked (main, the registries) out of the way of the mirror's edge."""
    group = _id(role)
    path = _output(graph, f"{role}Project", "path") or str(project.inputs.get("path", role))
    diagram.groups.append(Group(group, f"{role}: {path}", frozenset({project.urn})))
    default = project.inputs.get("defaultBranch", "main")
    later: list[Node] = []
    for branch in links.of_project(BRANCH, project):
        realised = frozenset({branch.urn})
        if branch.inputs.get("branch") == default:
            diagram.nodes.append(Node(f"{group}Main", str(default), group, realised))
        else:
            label = f"branches {branch.inputs.get('branch')}"
            later.append(Node(f"{group}Stable", label, group, realised))
    tags = [
        Node(f"{group}Tags", f"tags {tag.inputs.get('tag')}", group, frozenset({tag.urn}))
        for tag in links.of_project(TAG, project)
    ]
    later = tags + later
    main = diagram.node(f"{group}Main")
    built: list[Node] = []
    for rule in links.of_project(REGISTRY, project):
        repository = str(rule.inputs.get("repositoryPathPattern", "")).rsplit("/", 1)[-1]
        label = f"container registry<br>{repository}"
        built.append(Node(f"{group}CR", label, group, frozenset({rule.urn})))
    if project.inputs.get("packagesEnabled"):
        for rule in links.of_project(PACKAGE, project):
            name = rule.inputs.get("packageNamePattern")
            label = f"package registry<br>{name}"
            built.append(Node(f"{group}PR", label, group, frozenset({rule.urn})))
    for node in built:
        diagram.nodes.append(node)
        if main is not None:
            diagram.edges.append(
                Edge(main.id, "build", node.id, main.realised_by | node.realised_by)
            )
    diagram.nodes.extend(later)


def _package_consumer(diagram: Diagram, graph: Graph, sources: dict[str, Resource]) -> None:
    """GitLab-LSP, which installs the package from a registry anyone can read. Drawn after
    Docker Hub: placed first, dagre routes the security project's push through it."""
    for role, project in sources.items():
        registry = diagram.node(f"{_id(role)}PR")
        readable = project.inputs.get("packageRegistryAccessLevel") == "public" or (
            project.inputs.get("packageRegistryAccessLevel") == "enabled"
            and project.inputs.get("visibilityLevel") == "public"
        )
        if registry is None or not readable:
            continue
        consumer = _output(graph, "packageRegistry", "consumer") or "GitLab-LSP"
        realised = frozenset({project.urn, *registry.realised_by})
        diagram.nodes.append(Node("LSP", f"GitLab-LSP<br>{consumer}", None, realised))
        diagram.edges.append(Edge(registry.id, "dependency of", "LSP", realised))


def _mirror(diagram: Diagram, graph: Graph, links: _Links, sources: dict[str, Resource]) -> None:
    for mirror in graph.of_type(MIRROR):
        for role, project in sources.items():
            if not links.built_from(mirror, "project", project):
                continue
            for token in links.sources(mirror, "url", ACCESS_TOKEN):
                for target_role, target in sources.items():
                    if target_role != role and links.built_from(token, "project", target):
                        realised = frozenset({mirror.urn, token.urn})
                        source = _main_or_group(diagram, role)
                        target_id = _main_or_group(diagram, target_role)
                        diagram.edges.append(Edge(source, "push mirror", target_id, realised))


def _deployments(
    diagram: Diagram, graph: Graph, links: _Links, sources: dict[str, Resource]
) -> dict[str, Resource]:
    """One node per Runway deployment project; its trigger and pull edges."""
    found: dict[str, Resource] = {}
    projects = {
        c.name: project
        for c in sorted(graph.of_type(DEPLOYMENT), key=lambda c: c.name)
        if (project := _child(graph, c, PROJECT)) is not None
    }
    paths = {name: _output(graph, "runwayDeployments", name, "project") for name in projects}
    parent = _common_parent([p for p in paths.values() if p])
    if projects:
        title = f"Runway: {parent}" if parent else "Runway deployment projects"
        diagram.groups.append(Group("Runway", title, frozenset()))
    for name, project in projects.items():
        node_id = _id("R", name)
        path = paths[name]
        relative = path[len(parent) + 1 :] if path and parent else path
        label = name if relative in (None, name) else f"{name}<br>{relative}"
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
                    realised = frozenset({scope.urn})
                    diagram.edges.append(Edge(registry.id, "pulled by", node_id, realised))
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
        located = sorted(str(s.inputs.get("location")) for s in services)
        regions = "<br>".join(", ".join(located[i : i + 2]) for i in range(0, len(located), 2))
        hosts = [
            d
            for c in graph.children(fleet.urn)
            if c.type == CERTIFICATE
            for d in (c.inputs.get("managed") or {}).get("domains", [])
        ]
        label = "<br>".join(
            x for x in (f"{fleet.name.upper()} fleet", ", ".join(hosts), regions) if x
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
    label = "<br>".join(["Docker Hub", *names])
    diagram.nodes.append(Node("DH", label, None, _urns(repositories)))
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


def _main_or_group(diagram: Diagram, role: str) -> str:
    """A project's protected default branch, where the mirror's protected branches are
    drawn from and to; the project's group when it has none."""
    main = diagram.node(f"{_id(role)}Main")
    return main.id if main is not None else _id(role)


def _common_parent(paths: list[str]) -> str:
    """The longest group path every one of `paths` is under: `a/b/c`, `a/b/d` -> `a/b`."""
    if not paths:
        return ""
    split = [p.split("/")[:-1] for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


def _id(*parts: str) -> str:
    """A Mermaid node id: `canonical` -> `Canonical`, (`R`, `ai-gateway`) -> `R_ai_gateway`."""
    if len(parts) == 1:
        return parts[0][:1].upper() + re.sub(r"\W", "_", parts[0][1:])
    return "_".join(re.sub(r"\W", "_", p) for p in parts)
