"""Versioned applies: where a `pulumi up` comes from, recorded by the stack for promote.

The program reads the commit and its graph hash from CI's environment (settings), exports
them as `delivery`; offline the export is "not applied from CI" whatever the environment, so
the graph, and the hash CI computes of it, do not depend on where they are evaluated.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re

import pytest

from components.settings import SettingsError, parse_settings
from contract import GRAPH_HASH_ENV, NOT_FROM_CI, REVISION_ENV
from stackctl.cli import main
from stackctl.engine import Graph
from stackctl.provenance import graph_hash
from tests.conftest import stack_config

COMMIT = "3f2c1e0d9b8a7968574635241302f1e0d9c8b7a6"
HASH = "9" * 64
TOKEN = {"DOCKERHUB_TOKEN": "dckr_pat_FROM-THE-ENVIRONMENT-42"}


def raw(stack: str = "staging") -> dict[str, str]:
    return {
        k.split(":", 1)[1]: v if isinstance(v, str) else json.dumps(v)
        for k, v in stack_config(stack).items()
    }


def test_an_apply_from_ci_records_the_commit_and_graph_hash() -> None:
    environ = {**TOKEN, REVISION_ENV: COMMIT, GRAPH_HASH_ENV: HASH}
    settings = parse_settings(raw(), environ=environ, dry_run=False)
    assert settings.provenance.export() == {"revision": COMMIT, "graphHash": HASH}


def test_anywhere_else_both_are_not_from_ci() -> None:
    settings = parse_settings(raw(), environ=TOKEN, dry_run=False)
    assert settings.provenance.export() == {"revision": NOT_FROM_CI, "graphHash": NOT_FROM_CI}


def test_an_apply_from_ci_without_the_graph_hash_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw(), environ={**TOKEN, REVISION_ENV: COMMIT}, dry_run=False)
    assert str(caught.value).splitlines()[1] == (
        "  - AIGW_GRAPH_HASH (environment): is not set but CI_COMMIT_SHA is: `pulumi up` from "
        "CI records both (export AIGW_GRAPH_HASH=$(python -m stackctl graph STACK --format "
        "hash) before it), or neither outside CI"
    )
    # A preview may do without it (a merge request preview computes it, but need not).
    preview = parse_settings(raw(), environ={REVISION_ENV: COMMIT}, dry_run=True)
    assert preview.provenance.export() == {"revision": COMMIT, "graphHash": NOT_FROM_CI}


def test_malformed_values_are_named_with_the_config_problems() -> None:
    bad = {**raw(), "environment": "qa"}
    with pytest.raises(SettingsError) as caught:
        parse_settings(bad, environ={REVISION_ENV: "main", GRAPH_HASH_ENV: "abc"})
    message = str(caught.value)
    assert message.startswith("invalid configuration for aigw-delivery (3 problems):")
    assert '  - CI_COMMIT_SHA (environment) = "main": must be a full commit SHA' in message
    assert '  - AIGW_GRAPH_HASH (environment) = "abc": must be the 64 hex digits' in message
    assert "  - aigw-delivery:environment" in message


@pytest.mark.parametrize(
    ("environ", "shown", "hidden"),
    [
        (
            {REVISION_ENV: "glpat-CANARYxY9zQ3mK7pL2vN8"},
            f"{REVISION_ENV} (environment) = [secret]",
            "glpat-",
        ),
        (
            {GRAPH_HASH_ENV: "dckr_pat_CANARYq8Lm3Nz7"},
            f"{GRAPH_HASH_ENV} (environment) = [secret]",
            "dckr_pat_",
        ),
        (
            {REVISION_ENV: "https://ci:hunter2@gitlab.com"},
            f'{REVISION_ENV} (environment) = "https://gitlab.com": must be a full commit SHA',
            "hunter2",
        ),
    ],
)
def test_a_credential_in_a_provenance_variable_is_never_shown(
    environ: dict[str, str], shown: str, hidden: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw(), environ={**TOKEN, **environ}, dry_run=True)
    assert shown in str(caught.value)
    assert hidden not in str(caught.value)


def test_each_stack_exports_where_it_was_applied_from(stack_graph: Graph) -> None:
    assert stack_graph.outputs["delivery"] == {
        "revision": NOT_FROM_CI,
        "graphHash": NOT_FROM_CI,
    }


def test_the_offline_graph_and_its_hash_ignore_ci_variables(
    staging: Graph, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(REVISION_ENV, COMMIT)
    monkeypatch.setenv(GRAPH_HASH_ENV, HASH)
    assert main(["graph", "staging", "--format", "hash"]) == 0
    printed = capsys.readouterr().out
    assert re.fullmatch(r"[0-9a-f]{64}\n", printed)
    assert printed.strip() == graph_hash(staging)
    assert (os.environ[REVISION_ENV], os.environ[GRAPH_HASH_ENV]) == (COMMIT, HASH)  # restored


def test_the_hash_covers_the_graph_but_not_the_record_of_itself(staging: Graph) -> None:
    recorded = dataclasses.replace(
        staging, outputs={**staging.outputs, "delivery": {"revision": COMMIT, "graphHash": HASH}}
    )
    assert graph_hash(recorded) == graph_hash(staging)
    first = staging.resources[0]
    changed = dataclasses.replace(
        staging,
        resources=(dataclasses.replace(first, protect=not first.protect), *staging.resources[1:]),
    )
    assert graph_hash(changed) != graph_hash(staging)
    other_output = dataclasses.replace(staging, outputs={**staging.outputs, "environment": "x"})
    assert graph_hash(other_output) != graph_hash(staging)


def test_staging_and_prod_hash_differently(staging: Graph, prod: Graph) -> None:
    assert graph_hash(staging) != graph_hash(prod)
