"""Pull: deploy tokens, Secret Manager, the Artifact Registry remote repositories, digests."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from components.pull import token_expiry
from stackctl.engine import Graph, evaluate, fake_id_of
from tests.conftest import stack_config

DEPLOY_TOKEN = "gitlab:index/projectDeployToken:ProjectDeployToken"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
SECRET_IAM = "gcp:secretmanager/secretIamMember:SecretIamMember"
SERVICE = "gcp:cloudrunv2/service:Service"


def regions_in_use(stack: str) -> dict[str, set[str]]:
    """From the stack file: the regions that pull from each registry."""
    config = stack_config(stack)
    fleets = config["aigw-delivery:fleets"]
    used: dict[str, set[str]] = {}
    for fleet in fleets.values():
        used.setdefault(fleet.get("imageRegistry", "security"), set()).update(fleet["regions"])
    for deployment in config["aigw-delivery:runway"]["deployments"].values():
        regions = deployment.get("regions", fleets[deployment["fleet"]]["regions"])
        used.setdefault(deployment.get("pullFrom", "security"), set()).update(regions)
    return used


def project_id(graph: Graph, name: str) -> str:
    project = graph.named(name)
    return project.import_id or fake_id_of(project.type, project.name, project.inputs)


def test_each_registry_in_use_gets_one_expiring_read_registry_token(stack_graph: Graph) -> None:
    used = regions_in_use(stack_graph.stack)
    tokens = {r.name: r for r in stack_graph.of_type(DEPLOY_TOKEN)}
    assert set(tokens) == {f"pull-{registry}-token" for registry in used}
    for registry in used:
        token = tokens[f"pull-{registry}-token"]
        assert token.inputs["project"] == project_id(stack_graph, f"{registry}-project")
        assert token.inputs["scopes"] == ["read_registry"]
        expires = date.fromisoformat(token.inputs["expiresAt"].removesuffix("T00:00:00Z"))
        days_left = (expires - date.today()).days
        # Replaced every 30 days (the stack files' rotationDays), valid for one to two periods.
        assert 30 < days_left <= 60


@pytest.mark.parametrize(
    ("today", "expires"),
    [
        (date(2026, 11, 26), date(2027, 1, 15)),  # period 2026-11-16 .. 2026-12-15
        (date(2026, 12, 15), date(2027, 1, 15)),  # the last day of that period
        (date(2026, 12, 16), date(2027, 2, 14)),  # a new period: a new token
    ],
)
def test_tokens_are_replaced_each_period_and_never_run_short(today: date, expires: date) -> None:
    assert token_expiry(today, 30) == expires
    assert timedelta(days=30) < expires - today <= timedelta(days=60)


def test_the_token_is_kept_in_secret_manager_as_a_secret(reveal_staging: Graph) -> None:
    for registry in ("security", "canonical"):
        secret = reveal_staging.named(f"pull-{registry}-secret")
        version = reveal_staging.named(f"pull-{registry}-secret-version")
        assert secret.inputs["secretId"] == f"gitlab-{registry}-registry-pull"
        assert secret.inputs["replication"] == {"auto": {}}
        assert (
            version.inputs["secret"]
            == f"projects/gitlab-runway-staging/secrets/{secret.inputs['secretId']}"
        )
        assert version.inputs["secretData"].startswith("gldt-offline-")
        assert reveal_staging.named(f"pull-{registry}-token").urn in version.dependencies


def test_secret_data_is_never_shown(staging: Graph) -> None:
    assert staging.named("pull-security-secret-version").inputs["secretData"] == "[secret]"


def test_only_the_artifact_registry_agent_reads_each_secret(stack_graph: Graph) -> None:
    agent = stack_graph.named("pull-agent")
    assert agent.inputs["service"] == "artifactregistry.googleapis.com"
    bindings = stack_graph.of_type(SECRET_IAM)
    assert len(bindings) == len(regions_in_use(stack_graph.stack))
    for binding in bindings:
        registry = binding.name.removeprefix("pull-").removesuffix("-secret-access")
        assert binding.inputs["secretId"] == f"gitlab-{registry}-registry-pull"
        assert binding.inputs["role"] == "roles/secretmanager.secretAccessor"
        assert binding.inputs["member"].startswith("serviceAccount:service-")
        assert binding.inputs["member"].endswith("@gcp-sa-artifactregistry.iam.gserviceaccount.com")
        assert agent.urn in binding.dependencies
    # No secret access granted any other way (project-level IAM) anywhere in the graph.
    assert not [r for r in stack_graph.resources if r.type.startswith("gcp:projects/iAM")]


def test_one_remote_repository_per_registry_and_region_in_use(stack_graph: Graph) -> None:
    expected = {
        f"pull-{registry}-{region}"
        for registry, regions in regions_in_use(stack_graph.stack).items()
        for region in regions
    }
    repositories = {r.name: r for r in stack_graph.of_type(REPOSITORY)}
    assert set(repositories) == expected
    for name, repository in repositories.items():
        registry = name.split("-")[1]
        token = stack_graph.named(f"pull-{registry}-token")
        version = stack_graph.named(f"pull-{registry}-secret-version")
        inputs = repository.inputs
        assert inputs["location"] == name.removeprefix(f"pull-{registry}-")
        assert inputs["repositoryId"] == f"gitlab-{registry}"
        assert (inputs["format"], inputs["mode"]) == ("DOCKER", "REMOTE_REPOSITORY")
        remote = inputs["remoteRepositoryConfig"]
        assert remote["dockerRepository"] == {
            "customRepository": {"uri": "https://registry.gitlab.com"}
        }
        credentials = remote["upstreamCredentials"]["usernamePasswordCredentials"]
        assert credentials["username"].startswith("gitlab+deploy-token-")
        assert credentials["passwordSecretVersion"].endswith(
            f"/secrets/gitlab-{registry}-registry-pull/versions/1"
        )
        # Its credentials come from the token's secret, readable before the first pull.
        assert {token.urn, version.urn} <= set(repository.dependencies)
        assert stack_graph.named(f"pull-{registry}-secret-access").urn in repository.dependencies
        production = stack_graph.stack == "prod"
        assert (repository.protect, repository.retain_on_delete) == (production, production)


def test_cloud_run_runs_the_image_by_digest_through_its_regions_repository(
    stack_graph: Graph,
) -> None:
    fleets = stack_config(stack_graph.stack)["aigw-delivery:fleets"]
    for service in stack_graph.of_type(SERVICE):
        fleet_id, region = service.name.split("-", 1)
        region = region.removesuffix("-service")
        registry = fleets[fleet_id].get("imageRegistry", "security")
        repository = stack_graph.named(f"pull-{registry}-{region}")
        image = service.inputs["template"]["containers"][0]["image"]
        digest = stack_graph.outputs["imageDigests"][fleet_id]
        path = stack_graph.outputs["containerRegistries"][registry].split("/", 1)[1]
        project = stack_config(stack_graph.stack)["aigw-delivery:gcp"]["projectId"]
        assert image == f"{region}-docker.pkg.dev/{project}/gitlab-{registry}/{path}@{digest}"
        assert repository.urn in service.dependencies


def test_prod_deploys_the_configured_digest_and_looks_nothing_up(prod: Graph) -> None:
    fleets = stack_config("prod")["aigw-delivery:fleets"]
    assert prod.outputs["imageDigests"] == {k: f["image"] for k, f in fleets.items()}
    assert not prod.of_type("pulumi:providers:docker")


def test_a_staging_tag_is_resolved_to_its_digest_with_the_read_token(
    reveal_staging: Graph,
) -> None:
    fleet = reveal_staging.outputs["fleets"]["aigw"]
    assert fleet["image"]["reference"] == "self-hosted-v18.6.0-ee"
    assert fleet["image"]["digest"].startswith("sha256:")
    assert len(fleet["image"]["digest"]) == len("sha256:") + 64
    lookup = reveal_staging.named("pull-security-lookup")
    # A provider's configuration reaches the engine as JSON text.
    [auth] = json.loads(lookup.inputs["registryAuth"])
    assert auth["address"] == "registry.gitlab.com"
    assert auth["password"].startswith("gldt-offline-")
    assert reveal_staging.named("pull-security-token").urn in lookup.dependencies


def test_another_tag_resolves_to_another_digest() -> None:
    graph = evaluate("staging", ["fleets.aigw.image=self-hosted-v18.7.0-ee"])
    staging_digests = graph.outputs["imageDigests"]
    assert staging_digests["aigw"] != staging_digests["dws"]


def test_a_pinned_digest_in_staging_needs_no_lookup() -> None:
    digest = "sha256:" + "ab" * 32
    graph = evaluate("staging", [f"fleets.aigw.image={digest}", f"fleets.dws.image={digest}"])
    assert graph.outputs["imageDigests"] == {"aigw": digest, "dws": digest}
    assert not graph.of_type("pulumi:providers:docker")
