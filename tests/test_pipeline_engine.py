"""The jobs of every kind of pipeline this repository has, as a CI engine lists them
(`tests/ci_engine.py`: gitlab-ci-local over a copy of the file), and what each job is.

`default:` is inherited by the engine only for artifacts, cache, services, image and the
scripts (gitlab-ci-local `src/data-expander.ts`, `inheritDefault`), while GitLab also
inherits `interruptible` (https://docs.gitlab.com/ci/yaml/#default). So the effective
`interruptible` is the job's own after `extends` (the engine's `--preview`), else the
file's `default:`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.ci_engine import PROBE, PUSH_MAIN, Engine, load

PROJECT_ID = "1217"  # the engine's CI_PROJECT_ID
FORK_ID = "4242"


def merge_request(source: bool, target: bool, source_project: str = PROJECT_ID) -> dict[str, str]:
    """The predefined variables of a merge request pipeline (GitLab's "Predefined variables
    for merge request pipelines")."""
    return {
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_MERGE_REQUEST_PROJECT_ID": PROJECT_ID,
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": source_project,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "infra/change",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED": str(source).lower(),
        "CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED": str(target).lower(),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": "0" * 40,
    }


VERIFY = {
    "lint": "on_success",
    "test": "on_success",
    "graph-diff: [staging]": "on_success",
    "graph-diff: [prod]": "on_success",
    "policy-check: [staging]": "on_success",
    "policy-check: [prod]": "on_success",
}
PREVIEWS = {"preview:staging": "on_success", "preview:prod": "on_success"}

# pipeline: (variables set, variables unset, the jobs created and their `when`; None: no
# pipeline at all)
PIPELINES: dict[str, tuple[dict[str, str], list[str], dict[str, str] | None]] = {
    "mr-unprotected": (merge_request(False, False), ["CI_COMMIT_BRANCH"], VERIFY),
    "mr-protected-source-unprotected-target": (
        merge_request(True, False),
        ["CI_COMMIT_BRANCH"],
        VERIFY,
    ),
    "mr-unprotected-source-protected-target": (
        merge_request(False, True),
        ["CI_COMMIT_BRANCH"],
        VERIFY,
    ),
    "mr-protected-both": (merge_request(True, True), ["CI_COMMIT_BRANCH"], VERIFY | PREVIEWS),
    "mr-from-a-fork": (merge_request(True, True, FORK_ID), ["CI_COMMIT_BRANCH"], VERIFY),
    "main": (
        PUSH_MAIN,
        [],
        {
            "lint": "on_success",
            "test": "on_success",
            "deploy:staging": "on_success",
            "deploy:prod": "manual",
        },
    ),
    "schedule": (
        {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"},
        [],
        {"drift:staging": "on_success", "drift:prod": "on_success"},
    ),
    "tag": (
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "self-hosted-v1.2.3-ee"},
        ["CI_COMMIT_BRANCH"],
        None,
    ),
    "feature-branch-push": (
        {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "infra/change"},
        [],
        None,
    ),
}

# job: (effective interruptible, resource_group, environment name, action, deployment tier)
ATTRIBUTES: dict[str, tuple[bool, str | None, tuple[str, str, str] | None]] = {
    "lint": (True, None, None),
    "test": (True, None, None),
    "graph-diff": (True, None, None),
    "policy-check": (True, None, None),
    "preview:staging": (True, "staging", ("preview/staging", "prepare", "testing")),
    "preview:prod": (True, "prod", ("preview/prod", "prepare", "testing")),
    "deploy:staging": (False, "staging", ("staging", "start", "staging")),
    "deploy:prod": (False, "prod", ("production", "start", "production")),
    "drift:staging": (False, "staging", ("preview/staging", "verify", "testing")),
    "drift:prod": (False, "prod", ("preview/prod", "verify", "testing")),
}


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def engine(ci_engine: Engine) -> Engine:
    return ci_engine


@pytest.mark.parametrize("kind", list(PIPELINES))
def test_each_pipeline_creates_exactly_its_jobs(engine: Engine, kind: str) -> None:
    variables, unset, expected = PIPELINES[kind]
    assert engine.jobs(variables, unset) == expected


def test_every_job_is_in_some_pipeline(engine: Engine) -> None:
    """A job no pipeline creates is dead code, or a rule that lost its pipeline."""
    listed = json.loads(engine("--list-json"))
    created = {name for _, _, jobs in PIPELINES.values() for name in jobs or {}}
    assert {job["name"] for job in listed} - {PROBE} == created


def test_each_job_is_interruptible_holds_its_stack_and_deploys_where_it_should(
    engine: Engine, ci: dict[str, Any]
) -> None:
    resolved = engine.resolved()
    default_interruptible = ci.get("default", {}).get("interruptible", False)
    found = {}
    for name, job in resolved.items():
        if name in {"stages", "workflow", "variables", PROBE} or not isinstance(job, dict):
            continue
        environment = job.get("environment")
        found[name] = (
            job.get("interruptible", default_interruptible),
            job.get("resource_group"),
            (environment["name"], environment["action"], environment["deployment_tier"])
            if environment
            else None,
        )
    assert found == ATTRIBUTES


def test_the_engine_tells_a_broken_rule_from_a_good_one(engine: Engine, tmp_path: Path) -> None:
    """The listing is the engine's reading, not a copy of the expectations: a preview rule
    that forgets the target branch creates previews where GitLab gives them no credentials."""
    broken = load()
    rule = broken[".preview"]["rules"][0]
    rule["if"] = re.sub(
        r"\s*&& \$CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED == \"true\"", "", rule["if"]
    )
    assert "TARGET_BRANCH_PROTECTED" not in rule["if"]
    other = Engine(tmp_path, broken)
    variables, unset, expected = PIPELINES["mr-protected-source-unprotected-target"]
    assert expected is not None
    assert other.jobs(variables, unset) == expected | PREVIEWS


# --- the README says what the engine says --------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"

README_ROWS = {
    "merge request, source branch unprotected (either target)": [
        "mr-unprotected",
        "mr-unprotected-source-protected-target",
    ],
    "merge request, protected source branch, unprotected target": [
        "mr-protected-source-unprotected-target"
    ],
    "merge request, protected source and target branches, same project": ["mr-protected-both"],
    "merge request from a fork (source project other than the merge request's)": ["mr-from-a-fork"],
    "push to `main`": ["main"],
    "schedule": ["schedule"],
    "tag, push to another branch": ["tag", "feature-branch-push"],
}
"""Each row of the README's "what each kind of pipeline creates" table, and the pipelines
of `PIPELINES` (which the engine is asked about above) it speaks for."""


def _readme_table(header: str) -> list[list[str]]:
    """The rows of the README table whose header row is `header`, as cells."""
    lines = README.read_text().splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _named(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_the_readme_lists_the_jobs_the_engine_creates() -> None:
    rows = _readme_table("| pipeline | jobs |")
    assert [label for label, _ in rows] == list(README_ROWS)
    first: dict[str, str] = {}
    for label, cell in rows:
        jobs: dict[str, str] | None
        if cell == "no pipeline":
            jobs = None
        else:
            jobs = dict(first) if cell.startswith("the same") else {}
            for name in _named(cell):
                manual = f"`{name}` (manual)" in cell
                jobs[name] = "manual" if manual else "on_success"
            first = first or jobs
        for kind in README_ROWS[label]:
            assert jobs == PIPELINES[kind][2], f"README row {label!r} against pipeline {kind}"


def test_the_readme_gives_each_job_the_attributes_the_engine_reads() -> None:
    rows = _readme_table("| job | interruptible | resource group | environment (action, tier) |")
    described: dict[str, tuple[bool, str | None, tuple[str, str, str] | None]] = {}
    for jobs_cell, interruptible, groups_cell, environment_cell in rows:
        jobs = _named(jobs_cell)
        groups: list[str | None] = [*_named(groups_cell)] or [None] * len(jobs)
        names = _named(environment_cell)
        how = re.search(r"\((\w+), (\w+)\)", environment_cell)
        for index, job in enumerate(jobs):
            environment = (names[index], how[1], how[2]) if names and how else None
            described[job] = (interruptible.startswith("yes"), groups[index], environment)
    assert described == ATTRIBUTES
