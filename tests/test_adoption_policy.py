"""The pack's adoption policy: services leave what the deployment pipelines set (issue 11)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contract import CLOUD_RUN_DEPLOY_OWNED, Gcp
from policy.delivery.adoption import adopted_services_leave_deploy_fields as policy
from stackctl.engine import Graph
from tests.policy_harness import RealAnalyzer, resource, settings, violations


def test_every_service_of_both_stacks_ignores_the_deploy_fields(stack_graph: Graph) -> None:
    services = [r for r in stack_graph.resources if r.type == Gcp.SERVICE]
    assert services
    for service in services:
        assert violations(policy, service) == []


@pytest.mark.parametrize("dropped", CLOUD_RUN_DEPLOY_OWNED)
def test_a_service_that_would_revert_a_rollout_is_refused_in_prod(
    prod: Graph, dropped: str
) -> None:
    service = next(r for r in prod.resources if r.type == Gcp.SERVICE)
    careless = replace(
        service, ignore_changes=tuple(f for f in service.ignore_changes if f != dropped)
    )
    [(name, message)] = violations(policy, careless)
    assert name == service.name
    assert f"add {dropped} to ignore_changes" in message


def test_the_cli_sees_the_same_violation(prod: Graph) -> None:
    """Through the policy SDK's analyzer, as `pulumi preview --policy-pack` runs it."""
    service = next(r for r in prod.resources if r.type == Gcp.SERVICE)
    careless = replace(service, ignore_changes=())
    analyzer = RealAnalyzer(settings(), [policy])
    [diagnostic] = analyzer.analyze(careless)
    assert diagnostic.policy == policy.name
    assert "template.revision" in diagnostic.message


def test_staging_is_not_held_to_it() -> None:
    service = resource(Gcp.SERVICE, "svc", {"name": "svc"})
    assert violations(policy, service, config={"production": False}) == []
    assert violations(policy, service)  # without its config a stack is held to production
