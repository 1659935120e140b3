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
import shutil
import subprocess
import sys

import pytest

from stackctl.engine import ROOT, EngineError, Graph, evaluate
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
        # Replaced create-first: the old token keeps working until the new mirror exists.
        assert resource.delete_before_replace is False


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


FAKETIME = shutil.which("faketime")


def test_the_graph_hash_is_the_same_on_any_day() -> None:
    """The whole process under Debian's faketime (libfaketime: time(), clock_gettime() and
    so `date.today()` and `datetime.now()` all see that day), on two days with many period
    ends between them: one commit, one graph."""
    assert FAKETIME, "faketime is installed by `make debian-tools`"
    hashes = {}
    # Years apart: every period length the stacks use (30 and 76 days) ends in between.
    for day in ("2026-12-15 12:00:00", "2031-07-01 12:00:00"):
        run = subprocess.run(
            [FAKETIME, day, sys.executable, "-m", "stackctl", "graph", "prod", "--format", "hash"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        hashes[day] = run.stdout.strip()
    assert len(set(hashes.values())) == 1, hashes


def test_a_mirror_that_would_overwrite_the_security_project_is_refused() -> None:
    with pytest.raises(EngineError) as refused:
        evaluate("prod", ["aigw-delivery:mirror.keepDivergentRefs=false"])
    assert "aigw-delivery:mirror.keepDivergentRefs" in str(refused.value)
    assert "must be true" in str(refused.value)
    # Nothing half-registered: only the stack itself.
    assert [r.type for r in refused.value.resources] == ["pulumi:pulumi:Stack"]
