"""Each stack holds what its inventory (tests/inventories/<stack>.yaml) says it does."""

from __future__ import annotations

import pytest

from stackctl.engine import Graph
from tests import inventory


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_matches_its_inventory(stack: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(stack)
    assert inventory.check(graph, inventory.load(stack)) == []


def test_the_inventory_check_reports_what_differs(prod: Graph) -> None:
    wrong = {
        "counts": {"gitlab:index/project:Project": 3},
        "resources": {
            "security-project": {"protect": False, "inputs": {"visibilityLevel": "public"}},
            "no-such-resource": {},
        },
        "outputs": {"environment": "staging"},
    }
    problems = inventory.check(prod, wrong)
    assert any(p.startswith("counts:") for p in problems)
    assert "resources.security-project.protect: expected False, found True" in problems
    assert (
        "resources.security-project.inputs.visibilityLevel: expected 'public', found 'private'"
    ) in problems
    assert "resources.no-such-resource: not in the graph" in problems
    assert "outputs.environment: expected 'staging', found 'prod'" in problems


def test_a_fake_value_is_checked_by_its_shape_and_its_label(staging: Graph) -> None:
    """`{fake: ...}` accepts any value of its shape, and a label must stand for one value."""
    security = {"fake": "<number:security>"}
    right = {
        "resources": {
            "mirror-token": {"inputs": {"project": security}},
            "dockerhub-security-password": {"inputs": {"project": security}},
        }
    }
    assert inventory.check(staging, right) == []
    wrong = {
        "resources": {
            "mirror-token": {"inputs": {"project": security, "scopes": {"fake": "<number>"}}},
            # The canonical project's id cannot also be the security project's.
            "mirror-push": {"inputs": {"project": security}},
            "canonical-project": {"inputs": {"path": {"fake": "sandbox-<text>"}}},
        }
    }
    problems = inventory.check(staging, wrong)
    assert (
        "resources.mirror-token.inputs.scopes: expected a value of the form '<number>', "
        "found ['write_repository']"
    ) in problems
    assert any(p.startswith("resources.mirror-push.inputs.project: expected") for p in problems)
    assert any(p.startswith("resources.canonical-project.inputs.path:") for p in problems)
    assert len(problems) == 3
