"""The GitLab source side: canonical and security projects, their protections, the mirror."""

from __future__ import annotations

import re

import pytest

from stackctl.engine import Graph, evaluate
from tests.wiring import fed_by

PROJECT = "gitlab:index/project:Project"
CANONICAL = "gitlab-org/modelops/applied-ml/code-suggestions/ai-assist"
SECURITY = "gitlab-org/security/modelops/applied-ml/code-suggestions/ai-assist"
SOURCE_PROJECTS = ("canonical-project", "security-project")


def test_prod_adopts_the_real_projects_and_can_never_delete_them(prod: Graph) -> None:
    projects = {r.name: r for r in prod.of_type(PROJECT) if r.name in SOURCE_PROJECTS}
    assert {n: r.import_id for n, r in projects.items()} == {
        "canonical-project": "39903947",
        "security-project": "61869127",
    }
    for project in projects.values():
        assert project.protect, project.name
        assert project.retain_on_delete, project.name
        assert project.inputs["archiveOnDestroy"] is True
        # An adopted project keeps its namespace and name: import would fail on a mismatch.
        assert "namespaceId" not in project.inputs
        assert "name" not in project.inputs


def test_staging_creates_sandbox_projects_in_the_configured_group(staging: Graph) -> None:
    for name in ("canonical-project", "security-project"):
        project = staging.named(name)
        assert project.import_id is None
        assert not project.protect
        assert project.inputs["initializeWithReadme"] is True
        assert isinstance(project.inputs["namespaceId"], int)
    # Both projects live in the one sandbox group the stack file names.
    assert (
        staging.named("canonical-project").inputs["namespaceId"]
        == staging.named("security-project").inputs["namespaceId"]
    )
    moved = evaluate(
        "staging",
        [
            "source.canonical.path=sandbox/elsewhere/ai-assist",
            "source.security.path=sandbox/elsewhere/ai-assist-security",
        ],
    )
    assert (
        moved.named("canonical-project").inputs["namespaceId"]
        != staging.named("canonical-project").inputs["namespaceId"]
    )


def test_the_security_project_is_private_and_canonical_public(stack_graph: Graph) -> None:
    assert stack_graph.named("security-project").inputs["visibilityLevel"] == "private"
    assert stack_graph.named("canonical-project").inputs["visibilityLevel"] == "public"


@pytest.mark.parametrize("side", ["canonical", "security"])
def test_both_projects_protect_main_stable_branches_and_release_tags(
    prod: Graph, side: str
) -> None:
    project_id = prod.named(f"{side}-project").import_id
    branches = {
        r.inputs["branch"]: r
        for r in prod.of_type("gitlab:index/branchProtection:BranchProtection")
        if r.inputs["project"] == project_id
    }
    assert set(branches) == {"main", "stable-*-ee"}
    for branch in branches.values():
        assert branch.inputs["allowForcePush"] is False
        assert branch.inputs["mergeAccessLevel"] == "maintainer"
    tags = [
        r
        for r in prod.of_type("gitlab:index/tagProtection:TagProtection")
        if r.inputs["project"] == project_id
    ]
    assert [t.inputs["tag"] for t in tags] == ["self-hosted-v*-ee"]


def test_release_patterns_come_from_settings() -> None:
    graph = evaluate(
        "prod",
        ["release.tagPattern=self-hosted-v18.*-ee", "release.stableBranchPattern=stable-18-*-ee"],
    )
    assert graph.named("canonical-release-tags").inputs["tag"] == "self-hosted-v18.*-ee"
    assert graph.named("security-stable-branches").inputs["branch"] == "stable-18-*-ee"


def test_container_registries_have_cleanup_and_protect_model_gateway(prod: Graph) -> None:
    for side, path in (("canonical", CANONICAL), ("security", SECURITY)):
        project = prod.named(f"{side}-project")
        assert project.inputs["containerRegistryAccessLevel"] == "enabled"
        policy = project.inputs["containerExpirationPolicy"]
        assert policy["enabled"] is True
        assert policy["keepN"] == 25
        protection = prod.named(f"{side}-registry-protection")
        assert protection.inputs["repositoryPathPattern"] == f"{path}/model-gateway"
        assert protection.inputs["project"] == project.import_id
        assert protection.dependencies == (project.urn,)
    assert prod.outputs["containerRegistries"] == {
        "canonical": f"registry.gitlab.com/{CANONICAL}/model-gateway",
        "security": f"registry.gitlab.com/{SECURITY}/model-gateway",
    }


def test_only_canonical_publishes_the_npm_package_readable_by_gitlab_lsp(prod: Graph) -> None:
    rules = prod.of_type("gitlab:index/projectPackageProtectionRule:ProjectPackageProtectionRule")
    assert [(r.name, r.inputs["packageNamePattern"], r.inputs["packageType"]) for r in rules] == [
        ("canonical-package-protection", "@gitlab-org/duo-workflow-service", "npm")
    ]
    canonical = prod.named("canonical-project").inputs
    assert canonical["packagesEnabled"] is True
    assert canonical["packageRegistryAccessLevel"] == "public"
    assert "packagesEnabled" not in prod.named("security-project").inputs
    assert prod.outputs["packageRegistry"] == {
        "package": "@gitlab-org/duo-workflow-service",
        "project": CANONICAL,
        "npmRegistry": "https://gitlab.com/api/v4/projects/39903947/packages/npm/",
        "consumer": "gitlab-org/editor-extensions/gitlab-lsp",
    }


def test_the_mirror_pushes_canonical_to_security_with_a_token_per_period() -> None:
    graph = evaluate("prod", reveal_secrets=True)
    token = graph.named("mirror-token")
    mirror = graph.named("mirror-push")
    assert token.inputs["project"] == "61869127"  # a token of the security project
    assert token.inputs["scopes"] == ["write_repository"]
    assert mirror.inputs["project"] == "39903947"  # a mirror on the canonical project
    assert token.urn in mirror.dependencies
    # https://push-mirror:<the token's value>@gitlab.com/<security path>.git
    assert fed_by(graph, mirror, "url") == {"mirror-token"}
    url = mirror.inputs["url"]
    assert re.fullmatch(rf"https://push-mirror:[^@/:]+@gitlab\.com/{re.escape(SECURITY)}\.git", url)
    assert mirror.inputs["onlyProtectedBranches"] is True
    # Refs that diverged in the security project (unreleased security fixes) are kept.
    assert mirror.inputs["keepDivergentRefs"] is True


def test_the_mirror_url_and_token_are_secrets(prod: Graph) -> None:
    assert prod.named("mirror-push").inputs["url"] == "[secret]"
    assert "url" not in prod.outputs["pushMirror"]
    assert prod.outputs["pushMirror"]["to"] == SECURITY


def test_in_prod_nothing_that_must_survive_is_unprotected(prod: Graph) -> None:
    must_survive = [r for r in prod.resources if r.type == PROJECT]
    assert must_survive
    assert all(r.protect and r.retain_on_delete for r in must_survive)
