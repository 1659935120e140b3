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
