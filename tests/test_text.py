"""The text tree of `stackctl graph STACK` reads in the order of the delivery diagram."""

from __future__ import annotations

import pytest

from contract import Component, GitLab, Pulumi
from stackctl.engine import Graph, Resource
from stackctl.text import render

EXPECTED_COMPONENTS = {
    "staging": [
        "aigw:delivery:SourceProject canonical",
        "aigw:delivery:SourceProject security",
        "aigw:delivery:PushMirror mirror",
        "aigw:delivery:RegistryPull pull",
        "aigw:delivery:RunwayDeployment ai-gateway",
        "aigw:delivery:RunwayDeployment duo-workflow-svc",
        "aigw:delivery:RunwayDeployment dws-loadtest",
        "aigw:delivery:DeployIdentity identity",
        "aigw:delivery:Fleet aigw",
        "aigw:delivery:Fleet dws",
        "aigw:delivery:DockerHubRelease dockerhub",
    ],
    "prod": [
        "aigw:delivery:SourceProject canonical",
        "aigw:delivery:SourceProject security",
        "aigw:delivery:PushMirror mirror",
        "aigw:delivery:RegistryPull pull",
        "aigw:delivery:RunwayDeployment ai-gateway",
        "aigw:delivery:RunwayDeployment duo-workflow-svc",
        "aigw:delivery:DeployIdentity identity",
        "aigw:delivery:Fleet aigw",
        "aigw:delivery:Fleet dws",
        "aigw:delivery:DockerHubRelease dockerhub",
    ],
}
"""The stack's components as the tree lists them: source projects (canonical, which the
mirror pushes from, then security), mirror, registries and pull, Runway deployments,
identity, fleets, Docker Hub."""


def _top_level(text: str) -> list[str]:
    """The components directly under the stack, as the tree prints them."""
    return [
        line.removeprefix("├── ").removeprefix("└── ")
        for line in text.splitlines()
        if line.startswith(("├── ", "└── "))
    ]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_components_follow_the_delivery_diagram(stack: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(stack)
    top = _top_level(render(graph))
    providers = [line.split("  ")[0] for line in top if line.startswith(Pulumi.PROVIDER_PREFIX)]
    assert providers == [
        "pulumi:providers:gcp gcp",
        "pulumi:providers:gitlab gitlab",
        "pulumi:providers:time time",
    ]
    assert top[len(providers) :] == EXPECTED_COMPONENTS[stack]


def test_the_mirrors_source_comes_first_whatever_the_names() -> None:
    """Which source project comes first is read from the mirror, not from the names: here
    the mirror pushes from `zeta` to `alpha`, and a fleet named `aaa` still comes after."""
    stack = _resource(Pulumi.STACK, "s", None)
    alpha = _resource(Component.SOURCE_PROJECT, "alpha", stack.urn)
    zeta = _resource(Component.SOURCE_PROJECT, "zeta", stack.urn)
    fleet = _resource(Component.FLEET, "aaa", stack.urn)
    mirror = _resource(Component.PUSH_MIRROR, "mirror", stack.urn)
    zeta_project = _resource(GitLab.PROJECT, "zeta-project", zeta.urn)
    alpha_project = _resource(GitLab.PROJECT, "alpha-project", alpha.urn)
    push = _resource(GitLab.PUSH_MIRROR, "mirror-push", mirror.urn, project=(zeta_project.urn,))
    graph = Graph(
        "p", "s", (stack, alpha, zeta, fleet, mirror, zeta_project, alpha_project, push), {}
    )
    assert _top_level(render(graph)) == [
        "aigw:delivery:SourceProject zeta",
        "aigw:delivery:SourceProject alpha",
        "aigw:delivery:PushMirror mirror",
        "aigw:delivery:Fleet aaa",
    ]


def _resource(type_: str, name: str, parent: str | None, **deps: tuple[str, ...]) -> Resource:
    custom = not type_.startswith((Component.PREFIX, Pulumi.STACK))
    return Resource(
        urn=f"urn:pulumi:s::p::{type_}::{name}",
        type=type_,
        name=name,
        parent=parent,
        custom=custom,
        inputs={},
        dependencies=tuple(u for urns in deps.values() for u in urns),
        property_dependencies=deps,
        protect=False,
        retain_on_delete=False,
        import_id=None,
    )
