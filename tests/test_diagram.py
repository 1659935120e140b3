"""The delivery diagram drawn from the graph: every part of the delivery, and only what the
graph realises. How GitLab renders it: tests/test_diagram_render.py."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from stackctl import diagram
from stackctl.docs import BLOCK, README, REFRESH, diagram_block
from stackctl.engine import Graph, evaluate
from tests.conftest import stack_config

# The delivery, in the model's node ids (R_ and F_ for deployments and fleets, by their
# stable names). Every edge points the way things flow.
DIAGRAM_NODES = {
    "CanonicalMain",
    "CanonicalTags",
    "CanonicalStable",
    "CanonicalCR",
    "CanonicalPR",
    "SecurityMain",
    "SecurityCR",
    "R_ai_gateway",
    "R_duo_workflow_svc",
    "F_aigw",
    "F_dws",
    "DH",
    "LSP",
}
DIAGRAM_EDGES = {
    ("CanonicalMain", "push mirror", "SecurityMain"),
    ("CanonicalMain", "build", "CanonicalCR"),
    ("CanonicalMain", "build", "CanonicalPR"),
    ("SecurityMain", "trigger", "R_ai_gateway"),
    ("SecurityMain", "trigger", "R_duo_workflow_svc"),
    ("SecurityMain", "build", "SecurityCR"),
    ("SecurityCR", "pulled by", "R_ai_gateway"),
    ("SecurityCR", "pulled by", "R_duo_workflow_svc"),
    ("R_ai_gateway", "deploy", "F_aigw"),
    ("R_duo_workflow_svc", "deploy", "F_dws"),
    ("CanonicalPR", "dependency of", "LSP"),
    ("CanonicalTags", "push", "DH"),
}


def test_every_node_and_edge_of_the_design_is_drawn(stack_graph: Graph) -> None:
    drawn = diagram.delivery(stack_graph)
    assert {n.id for n in drawn.nodes} >= DIAGRAM_NODES
    assert {g.id for g in drawn.groups} == {"Canonical", "Security", "Runway", "GCP"}
    assert drawn.edge_labels() >= DIAGRAM_EDGES


def test_the_load_test_deployment_pulls_from_the_canonical_registry(
    staging: Graph, prod: Graph
) -> None:
    edges = diagram.delivery(staging).edge_labels()
    assert ("CanonicalCR", "pulled by", "R_dws_loadtest") in edges
    assert ("R_dws_loadtest", "deploy", "F_dws") in edges
    prod_edges = diagram.delivery(prod).edges
    assert not any("R_dws_loadtest" in (e.source, e.target) for e in prod_edges)


def test_labels_carry_the_stacks_real_names(prod: Graph, staging: Graph) -> None:
    drawn = diagram.delivery(prod)
    labels = {n.id: n.label for n in drawn.nodes} | {g.id: g.label for g in drawn.groups}
    assert (
        labels["Canonical"]
        == "canonical: gitlab-org/modelops/applied-ml/code-suggestions/ai-assist"
    )
    assert labels["Runway"] == "Runway: gitlab-com/gl-infra/platform/runway/deployments"
    assert labels["R_ai_gateway"] == "ai-gateway"
    assert labels["F_dws"] == (
        "DWS fleet<br>duo-workflow-svc.runway.gitlab.net<br>asia-northeast1, europe-west2<br>"
        "us-east1"
    )
    assert "<br>gitlab/model-gateway-self-hosted-fips" in labels["DH"]
    assert labels["CanonicalTags"] == "tags self-hosted-v*-ee"
    assert labels["LSP"] == "GitLab-LSP<br>gitlab-org/editor-extensions/gitlab-lsp"
    staged = {g.id: g.label for g in diagram.delivery(staging).groups}
    assert staged["Runway"] == "Runway: gitlab-com/gl-infra/platform/runway/aigw-delivery-staging"


def test_a_deployment_outside_the_others_group_shows_its_own_path() -> None:
    """The Runway group's title says the deployments' common group once; a deployment
    elsewhere is labelled with the rest of its path."""
    deployments = stack_config("staging")["aigw-delivery:runway"]["deployments"]
    moved = {
        **deployments,
        "dws-loadtest": {
            **deployments["dws-loadtest"],
            "project": {
                **deployments["dws-loadtest"]["project"],
                "path": "gitlab-com/gl-infra/platform/runway/loadtests/dws-loadtest",
            },
        },
    }
    graph = evaluate("staging", [f"runway.deployments={json.dumps(moved)}"])
    drawn = diagram.delivery(graph)
    labels = {n.id: n.label for n in drawn.nodes} | {g.id: g.label for g in drawn.groups}
    assert labels["Runway"] == "Runway: gitlab-com/gl-infra/platform/runway"
    assert labels["R_dws_loadtest"] == "dws-loadtest<br>loadtests/dws-loadtest"
    assert labels["R_ai_gateway"] == "ai-gateway<br>aigw-delivery-staging/ai-gateway"


def _without(graph: Graph, urns: frozenset[str]) -> Graph:
    """`graph` as if the program had not registered `urns` (nor anything depending on them)."""
    kept = tuple(
        replace(
            r,
            property_dependencies={
                k: tuple(u for u in v if u not in urns) for k, v in r.property_dependencies.items()
            },
            dependencies=tuple(u for u in r.dependencies if u not in urns),
        )
        for r in graph.resources
        if r.urn not in urns
    )
    return Graph(graph.project, graph.stack, kept, graph.outputs)


@pytest.mark.parametrize("edge", sorted(DIAGRAM_EDGES), ids=lambda e: " ".join(e))
def test_an_edge_goes_when_the_resources_that_realise_it_go(prod: Graph, edge) -> None:
    drawn = diagram.delivery(prod)
    [realised] = [e.realised_by for e in drawn.edges if (e.source, e.label, e.target) == edge]
    assert realised
    assert edge not in diagram.delivery(_without(prod, realised)).edge_labels()


@pytest.mark.parametrize(
    ("name", "edge"),
    [
        ("mirror-push", ("CanonicalMain", "push mirror", "SecurityMain")),
        ("mirror-token", ("CanonicalMain", "push mirror", "SecurityMain")),
        ("ai-gateway-trigger", ("SecurityMain", "trigger", "R_ai_gateway")),
        ("ai-gateway-trigger-token", ("SecurityMain", "trigger", "R_ai_gateway")),
        ("duo-workflow-svc-registry-access", ("SecurityCR", "pulled by", "R_duo_workflow_svc")),
        ("ai-gateway-runway-service-account", ("R_ai_gateway", "deploy", "F_aigw")),
        ("canonical-package-protection", ("CanonicalPR", "dependency of", "LSP")),
        ("security-registry-protection", ("SecurityMain", "build", "SecurityCR")),
        ("canonical-release-tags", ("CanonicalTags", "push", "DH")),
    ],
)
def test_an_edge_goes_when_one_resource_it_needs_goes(prod: Graph, name: str, edge) -> None:
    assert edge in diagram.delivery(prod).edge_labels()
    without = _without(prod, frozenset({prod.named(name).urn}))
    assert edge not in diagram.delivery(without).edge_labels()


def test_config_that_removes_what_realises_an_edge_removes_the_edge() -> None:
    """A private canonical project whose package registry follows it: GitLab-LSP cannot
    install the package any more, and the picture says so."""
    private = evaluate(
        "prod",
        [
            "source.canonical.visibility=private",
            "source.package.registryAccessLevel=enabled",
        ],
    )
    drawn = diagram.delivery(private)
    assert ("CanonicalPR", "dependency of", "LSP") not in drawn.edge_labels()
    assert drawn.node("LSP") is None
    assert ("CanonicalMain", "build", "CanonicalPR") in drawn.edge_labels()


def test_a_deployment_taken_out_of_the_config_leaves_the_picture() -> None:
    deployments = stack_config("staging")["aigw-delivery:runway"]["deployments"]
    kept = {k: v for k, v in deployments.items() if k != "dws-loadtest"}
    graph = evaluate("staging", [f"runway.deployments={json.dumps(kept)}"])
    drawn = diagram.delivery(graph)
    assert drawn.node("R_dws_loadtest") is None
    assert not any("R_dws_loadtest" in (e.source, e.target) for e in drawn.edges)
    assert ("R_duo_workflow_svc", "deploy", "F_dws") in drawn.edge_labels()


def test_changed_parts_are_highlighted(prod: Graph) -> None:
    mirror = prod.named("mirror-push").urn
    service = prod.named("aigw-us-east4-service").urn
    text = diagram.mermaid(prod, highlight={mirror, service})
    alias = diagram.aliases(diagram.delivery(prod))
    lines = text.splitlines()
    edges = [line for line in lines if "-->" in line]
    mirror_edge = next(i for i, line in enumerate(edges) if "|push mirror|" in line)
    assert f"linkStyle {mirror_edge} stroke:#e8590c,stroke-width:3px" in lines
    assert f"class {alias['F_aigw']} changed" in lines
    assert "classDef changed" not in diagram.mermaid(prod)


def test_the_text_names_every_node_once_by_its_alias(prod: Graph) -> None:
    """Short ids keep the text small; each is declared once, with its label."""
    drawn = diagram.delivery(prod)
    text = diagram.render(drawn)
    alias = diagram.aliases(drawn)
    for node in drawn.nodes:
        assert text.count(f'{alias[node.id]}["') == 1
        assert f'{alias[node.id]}["{node.label}"]' in text
    assert len(set(alias.values())) == len(alias)


@pytest.mark.usefixtures("shared_evaluations")
def test_the_readme_shows_the_current_prod_diagram() -> None:
    match = BLOCK.search(README.read_text())
    assert match, f"README.md lost its generated diagram block; restore it and run {REFRESH}"
    assert match.group(0) == diagram_block(), f"README.md's diagram is stale: run {REFRESH}"
