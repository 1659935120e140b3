"""The graph as a tree a reviewer reads: components, their resources, key settings, counts.

The components come in the order of the delivery diagram (README.md, `stackctl/diagram.py`),
so the tree reads as the delivery flows: the source projects (the one the push mirror
pushes from, then the one it pushes to), the mirror, the registries and how they are pulled,
the Runway deployments, the identity they deploy with, the fleets, and Docker Hub. The order
is by component type (`contract.Component`), never by a component's name.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from contract import DOCKERHUB_REPOSITORY, Component, Docker, Gcp, GitLab, Pulumi
from stackctl.engine import Graph, Resource

DIAGRAM_ORDER: tuple[str, ...] = (
    Component.SOURCE_PROJECT,
    Component.PUSH_MIRROR,
    Component.REGISTRY_PULL,
    Component.RUNWAY_DEPLOYMENT,
    Component.DEPLOY_IDENTITY,
    Component.FLEET,
    Component.DOCKERHUB_RELEASE,
)
"""Component types in the order the delivery diagram draws them; other types come after."""

KEY_INPUTS: dict[str, tuple[str, ...]] = {
    GitLab.PROJECT: ("path", "visibilityLevel", "packageRegistryAccessLevel"),
    GitLab.BRANCH_PROTECTION: (
        "branch",
        "pushAccessLevel",
        "mergeAccessLevel",
        "allowForcePush",
    ),
    GitLab.TAG_PROTECTION: ("tag", "createAccessLevel"),
    GitLab.REGISTRY_PROTECTION: (
        "repositoryPathPattern",
        "minimumAccessLevelForPush",
    ),
    GitLab.PACKAGE_PROTECTION: (
        "packageNamePattern",
        "packageType",
        "minimumAccessLevelForPush",
    ),
    GitLab.ACCESS_TOKEN: (
        "scopes",
        "accessLevel",
        "expiresAt",
    ),
    GitLab.PUSH_MIRROR: (
        "url",
        "onlyProtectedBranches",
        "keepDivergentRefs",
    ),
    GitLab.PIPELINE_TRIGGER: ("project",),
    GitLab.VARIABLE: (
        "project",
        "key",
        "value",
        "masked",
        "protected",
        "hidden",
    ),
    GitLab.JOB_TOKEN_SCOPE: ("project", "targetProjectId"),
    GitLab.DEPLOY_TOKEN: ("project", "scopes", "expiresAt"),
    Gcp.SERVICE_IDENTITY: ("service",),
    Gcp.SECRET: ("secretId",),
    Gcp.SECRET_VERSION: ("secretData",),
    Gcp.SECRET_IAM_MEMBER: ("secretId", "role", "member"),
    Gcp.REPOSITORY: (
        "location",
        "repositoryId",
        "mode",
        "upstream=remoteRepositoryConfig.dockerRepository.customRepository.uri",
    ),
    Gcp.WIF_POOL: ("workloadIdentityPoolId",),
    Gcp.WIF_PROVIDER: (
        "workloadIdentityPoolProviderId",
        "issuer=oidc.issuerUri",
        "audiences=oidc.allowedAudiences",
        "attributeCondition",
    ),
    Gcp.SERVICE_ACCOUNT: ("accountId",),
    Gcp.SERVICE_ACCOUNT_IAM_MEMBER: ("role", "member"),
    Gcp.SERVICE: (
        "location",
        "name",
        "min=template.scaling.minInstanceCount",
        "max=template.scaling.maxInstanceCount",
        "concurrency=template.maxInstanceRequestConcurrency",
        "cpu=template.containers.0.resources.limits.cpu",
        "memory=template.containers.0.resources.limits.memory",
        "timeout=template.timeout",
        "port=template.containers.0.ports.name",
        "ingress",
        "deletionProtection",
    ),
    Gcp.SERVICE_IAM_MEMBER: ("location", "name", "role", "member"),
    Gcp.NEG: (
        "region",
        "networkEndpointType",
        "service=cloudRun.service",
    ),
    Gcp.BACKEND_SERVICE: ("protocol", "loadBalancingScheme"),
    Gcp.URL_MAP: ("defaultService",),
    Gcp.CERTIFICATE: ("domains=managed.domains",),
    Gcp.HTTPS_PROXY: ("urlMap", "sslCertificates"),
    Gcp.GLOBAL_ADDRESS: ("ipVersion", "addressType"),
    Gcp.FORWARDING_RULE: (
        "target",
        "portRange",
        "loadBalancingScheme",
    ),
    Docker.PROVIDER: ("registryAuth",),
    DOCKERHUB_REPOSITORY: ("namespace", "name", "visibility"),
}
"""Per type, the inputs worth a glance: dotted paths (a number indexes a list), optionally
`label=path`; other types show their short scalars."""


def render(graph: Graph) -> str:
    return "\n".join(_lines(graph))


def _lines(graph: Graph) -> Iterator[str]:
    custom = sum(1 for r in graph.resources if r.custom)
    yield (
        f"{graph.project} · stack {graph.stack} · {len(graph.resources)} resources "
        f"({custom} custom, {len(graph.resources) - custom} components)"
    )
    roots = [r for r in graph.resources if r.parent is None]
    upstream = _mirror_sources(graph)
    for root in roots:
        yield f"{short_type(root.type)} {root.name}"
        yield from _tree(graph, root, "", upstream)
    if graph.outputs:
        yield ""
        yield "Outputs:"
        for key, value in graph.outputs.items():
            yield f"  {key}: {json.dumps(value, sort_keys=True)}"
    yield ""
    yield "Resources by type:"
    for type_, count in sorted(Counter(r.type for r in graph.resources).items()):
        yield f"  {count:4d}  {type_}"


def _tree(graph: Graph, node: Resource, indent: str, upstream: set[str]) -> Iterator[str]:
    # The stack's providers first (everything is registered with them), then components in
    # the diagram's order (the mirror's source first among the source projects), then
    # resources in the order they can be created, then by name.
    def order(r: Resource) -> tuple[bool, bool, int, bool, int, str]:
        rank = DIAGRAM_ORDER.index(r.type) if r.type in DIAGRAM_ORDER else len(DIAGRAM_ORDER)
        provider = r.type.startswith(Pulumi.PROVIDER_PREFIX)
        return (
            not provider,
            r.custom,
            rank,
            r.urn not in upstream,
            len(graph.chain(r.urn)),
            r.name,
        )

    children = sorted(graph.children(node.urn), key=order)
    for i, child in enumerate(children):
        last = i == len(children) - 1
        yield f"{indent}{'└── ' if last else '├── '}{describe(child)}"
        yield from _tree(graph, child, indent + ("    " if last else "│   "), upstream)


def _mirror_sources(graph: Graph) -> set[str]:
    """The components holding a project a push mirror pushes from (the mirror's `project`):
    upstream of the projects it pushes to, so they come first among their type."""
    sources: set[str] = set()
    for mirror in graph.of_type(GitLab.PUSH_MIRROR):
        for urn in mirror.property_dependencies.get("project", ()):
            parent = graph.get(urn).parent
            if parent is not None:
                sources.add(parent)
    return sources


def describe(resource: Resource) -> str:
    """One line: short type, name, key settings, and the options that keep it alive."""
    parts = [f"{short_type(resource.type)} {resource.name}"]
    settings = " ".join(f"{k}={_show(v)}" for k, v in key_inputs(resource))
    if settings:
        parts.append(settings)
    flags = [f"import {resource.import_id}"] if resource.import_id else []
    flags += [
        flag
        for flag, on in (("protect", resource.protect), ("retain", resource.retain_on_delete))
        if on
    ]
    if resource.ignore_changes:
        flags.append(f"ignores {' '.join(resource.ignore_changes)}")
    if flags:
        parts.append(f"[{', '.join(flags)}]")
    return "  ".join(parts)


def key_inputs(resource: Resource) -> list[tuple[str, Any]]:
    paths = KEY_INPUTS.get(resource.type)
    if paths is None:
        return [
            (k, v)
            for k, v in sorted(resource.inputs.items())
            if isinstance(v, str | int | bool) and len(str(v)) <= 60 and not k.startswith("__")
        ][:4]
    found = []
    for entry in paths:
        label, _, path = entry.rpartition("=")
        value: Any = resource.inputs
        for part in path.split("."):
            if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            found.append((label or path.rsplit(".", 1)[-1], value))
    return found


def short_type(type_: str) -> str:
    """`gitlab:index/project:Project` -> `gitlab:Project`; components keep their token;
    `pulumi-python:dynamic/dockerhub:Repository` -> `dynamic/dockerhub:Repository`."""
    package, _, rest = type_.partition(":")
    module, _, name = rest.rpartition(":")
    if package in ("aigw", "pulumi") or not module:
        return type_
    if package == "pulumi-python":  # a dynamic resource: its module says what it is
        return rest
    return f"{package}:{name}"


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
