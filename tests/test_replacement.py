"""No protected resource takes config that forces its replacement (issue 11, finding 7).

Prod protects what cannot be re-created (components/rules.py), and the engine refuses to
replace a protected resource: an input that forces replacement and follows an ordinary config
edit (a hostname, a description) would block every `pulumi up` after that edit.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.rules import KEPT
from policy.delivery.reading import Reader
from policy.delivery.replacement import (
    CONSTANT,
    FORCES_REPLACEMENT,
    forcing_values,
    protected_free_of_replacing_config,
)
from stackctl.engine import Graph, Resource, evaluate
from tests.policy_harness import resource, violations

ADDRESS = "gcp:compute/globalAddress:GlobalAddress"

EVERYWHERE = [
    # Hostnames and free text: what an operator edits without meaning to replace anything.
    "fleets.aigw.hostname=edited-aigw.example.org",
    "fleets.dws.hostname=edited-dws.example.org",
    "source.canonical.description=Edited canonical description.",
    "source.security.description=Edited security description.",
    "source.canonical.name=Edited canonical name",
    "source.security.name=Edited security name",
]
ORDINARY_EDITS = {
    "staging": EVERYWHERE,
    "prod": [
        *EVERYWHERE,
        "dockerhub.repositories.model-gateway.shortDescription=Edited short description",
        "dockerhub.repositories.model-gateway.fullDescription=Edited full description",
    ],
}


def protected_forcing_inputs(graph: Graph) -> dict[str, dict[str, object]]:
    """Per protected resource, the values of its replacement-forcing inputs."""
    reader = Reader()
    return {r.name: forcing_values(r.type, r.inputs, reader) for r in graph.resources if r.protect}


def test_the_table_covers_every_kind_prod_protects() -> None:
    assert set(FORCES_REPLACEMENT) == set(KEPT)


def test_every_protected_resource_of_both_stacks_is_in_the_table(stack_graph: Graph) -> None:
    protected = {r.type for r in stack_graph.resources if r.protect}
    assert protected <= set(FORCES_REPLACEMENT)
    if stack_graph.stack == "prod":
        assert protected == set(KEPT)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_ordinary_edits_leave_every_forcing_input_of_protected_resources_unchanged(
    stack: str, request: pytest.FixtureRequest
) -> None:
    before: Graph = request.getfixturevalue(stack)
    after = evaluate(stack, ORDINARY_EDITS[stack])
    # The edits took effect (the certificate follows the hostname: it is not protected).
    assert before.named("aigw-certificate").inputs != after.named("aigw-certificate").inputs
    expected = protected_forcing_inputs(before)
    if stack == "prod":
        assert expected  # prod protects resources: the comparison is not vacuous
        assert {n for n, r in expected.items() if r} >= {"aigw-address", "dws-address"}
    assert protected_forcing_inputs(after) == expected


def test_the_address_description_is_a_constant_ignored_once_it_exists(prod: Graph) -> None:
    """Adopting prod's live address keeps its live description (ignore_changes takes the
    imported value), and the hostname is never in it."""
    for fleet in ("aigw", "dws"):
        address = prod.named(f"{fleet}-address")
        assert "description" in address.ignore_changes
        assert "runway.gitlab.net" not in address.inputs["description"]


# --- the policy ---------------------------------------------------------------------------


def address(description: str, *, protect: bool = True, ignored: bool = False) -> Resource:
    made = resource(
        ADDRESS,
        "aigw-address",
        {"ipVersion": "IPV4", "addressType": "EXTERNAL", "description": description},
        protect=protect,
    )
    return replace(made, ignore_changes=("description",)) if ignored else made


POLICY = protected_free_of_replacing_config


@pytest.mark.parametrize(
    ("description", "hit"),
    [
        ("ai-gateway.runway.gitlab.net. Managed by aigw-delivery.", "ai-gateway.runway.gitlab.net"),
        ("Serves https://ai-gateway.example.com", "https://"),
    ],
)
def test_the_policy_refuses_a_hostname_in_a_protected_forcing_input(
    description: str, hit: str
) -> None:
    [(name, message)] = violations(POLICY, address(description))
    assert name == "aigw-address"
    assert f"description forces replacing this protected resource, and holds {hit!r}" in message


def test_the_policy_passes_a_constant_an_unprotected_or_an_ignored_description() -> None:
    assert violations(POLICY, address("The fleet's load balancer address. Managed by x.")) == []
    assert violations(POLICY, address("ai-gateway.runway.gitlab.net.", protect=False)) == []
    assert violations(POLICY, address("ai-gateway.runway.gitlab.net.", ignored=True)) == []


def test_both_stacks_pass_the_policy(stack_graph: Graph) -> None:
    assert violations(POLICY, *stack_graph.resources) == []


def test_identity_inputs_are_not_judged_as_free_text() -> None:
    """A registry cache's upstream URL is its identity (another upstream is another cache),
    not free text; its remote description is free text and must stay a constant."""
    roles = FORCES_REPLACEMENT["gcp:artifactregistry/repository:Repository"]
    assert roles["remoteRepositoryConfig.description"] == CONSTANT
    assert roles["remoteRepositoryConfig.dockerRepository.customRepository.uri"] != CONSTANT
