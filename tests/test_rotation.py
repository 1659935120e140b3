"""Token renewal: one token per rotation period, kept in state; never a rotate call.

The order a new period runs in (new token, new mirror, old mirror deleted, old token revoked
last) follows from the graph's edges and from which inputs force replacement: the period
feeds the token's `name` (replaces a project access token) and `expiresAt`, the token feeds
the mirror's `url` (replaces a push mirror). The engine creates replacements before deleting
what they replace and deletes dependents before what they depend on.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from stackctl.engine import EngineError, Graph, evaluate
from stackctl.provenance import graph_hash
from tests.wiring import fed_by

ROTATING = "time:index/rotating:Rotating"


def test_a_new_period_gives_a_new_token_before_the_mirror_switches_to_it(
    stack_graph: Graph,
) -> None:
    period = stack_graph.named("mirror-token-period")
    token = stack_graph.named("mirror-token")
    mirror = stack_graph.named("mirror-push")
    assert period.type == ROTATING
    # The period is in the token's name, which forces a new token rather than an update...
    assert fed_by(stack_graph, token, "name") == {"mirror-token-period"}
    assert fed_by(stack_graph, token, "expiresAt") == {"mirror-token-period"}
    # ...and never GitLab's rotate API, which revokes the token the mirror still uses.
    assert "rotationConfiguration" not in token.inputs
    # The new token's URL forces a new mirror, created after the token it needs: deleting
    # the old mirror comes before revoking the old token, since it depends on it.
    assert fed_by(stack_graph, mirror, "url") == {"mirror-token"}
    assert token.urn in mirror.dependencies
    assert period.urn in token.dependencies
    for resource in (token, mirror):
        assert not {"name", "url", "expiresAt"} & set(resource.ignore_changes)


def test_the_mirror_token_outlives_its_period_by_rotate_before_days() -> None:
    graph = evaluate("prod")
    period = graph.named("mirror-token-period")
    token = graph.named("mirror-token")
    # prod: tokenExpirationDays 90, rotateBeforeDays 14: a new token every 76 days, each
    # valid 90 days from its period's start.
    assert period.inputs["rotationDays"] == 76
    # The token's name says which period it belongs to (its first day).
    match = re.fullmatch(r"push mirror from .+ \((\d{4}-\d\d-\d\d)\)", token.inputs["name"])
    assert match
    start = dt.date.fromisoformat(match[1])
    assert dt.date.fromisoformat(token.inputs["expiresAt"]) - start == dt.timedelta(days=90)


def test_pull_tokens_are_renewed_per_period_kept_in_state(stack_graph: Graph) -> None:
    period = stack_graph.named("pull-token-period")
    assert period.type == ROTATING
    assert period.inputs["rotationDays"] == 30
    tokens = [r for r in stack_graph.resources if r.name.startswith("pull-") and "Deploy" in r.type]
    assert tokens
    for token in tokens:
        assert fed_by(stack_graph, token, "expiresAt") == {"pull-token-period"}


class _Day(dt.date):
    """`datetime.date` on another day."""

    day_of_run = dt.date(2026, 12, 15)

    @classmethod
    def today(cls) -> _Day:
        d = cls.day_of_run
        return cls(d.year, d.month, d.day)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_graph_hash_is_the_same_on_any_day(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Across a rotation period's end (30 days from 2024-01-01: 2026-12-15 | 2026-12-16)."""
    hashes = set()
    for day in (dt.date(2026, 12, 15), dt.date(2026, 12, 16), dt.date(2031, 7, 1)):
        monkeypatch.setattr(_Day, "day_of_run", day)
        monkeypatch.setattr(dt, "date", _Day)
        hashes.add(graph_hash(evaluate(stack)))
        monkeypatch.undo()
    assert len(hashes) == 1


def test_a_mirror_that_would_overwrite_the_security_project_is_refused() -> None:
    with pytest.raises(EngineError) as refused:
        evaluate("prod", ["aigw-delivery:mirror.keepDivergentRefs=false"])
    assert "aigw-delivery:mirror.keepDivergentRefs" in str(refused.value)
    assert "must be true" in str(refused.value)
    # Nothing half-registered: only the stack itself.
    assert [r.type for r in refused.value.resources] == ["pulumi:pulumi:Stack"]
