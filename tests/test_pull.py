"""Pull: deploy tokens, Secret Manager, the Artifact Registry remote repositories, digests."""

from __future__ import annotations

import json

from stackctl.engine import Graph, evaluate
from tests.conftest import stack_config
from tests.wiring import fed_by

DEPLOY_TOKEN = "gitlab:index/projectDeployToken:ProjectDeployToken"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
SECRET_IAM = "gcp:secretmanager/secretIamMember:SecretIamMember"
SERVICE = "gcp:cloudrunv2/service:Service"


AIGW_REGIONS = {
    "asia-northeast1",
    "asia-northeast3",
    "europe-west2",
    "europe-west3",
    "europe-west9",
    "us-east4",
}
REGIONS_IN_USE: dict[str, dict[str, set[str]]] = {
    # The AIGW fleet's six regions and the DWS fleet's us-east1 pull from the security
    # registry; dws-loadtest (us-east1 only) pulls from the canonical one.
    "staging": {"security": AIGW_REGIONS | {"us-east1"}, "canonical": {"us-east1"}},
    # Both fleets from the security registry: AIGW's six regions, DWS's three (two shared).
    "prod": {"security": AIGW_REGIONS | {"us-east1"}},
}
"""Per stack, the regions that pull from each registry, as the stack files configure them."""


def test_each_registry_in_use_gets_one_expiring_read_registry_token(stack_graph: Graph) -> None:
    used = REGIONS_IN_USE[stack_graph.stack]
    tokens = {r.name: r for r in stack_graph.of_type(DEPLOY_TOKEN)}
    assert set(tokens) == {f"pull-{registry}-token" for registry in used}
    for registry in used:
        token = tokens[f"pull-{registry}-token"]
        assert fed_by(stack_graph, token, "project") == {f"{registry}-project"}
        assert token.inputs["scopes"] == ["read_registry"]
        # Renewed each period (tests/test_rotation.py), never without an expiry.
        assert fed_by(stack_graph, token, "expiresAt") == {"pull-token-period"}


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
        # The secret holds the deploy token's token, and nothing else.
        assert fed_by(reveal_staging, version, "secretData") == {f"pull-{registry}-token"}
        assert version.inputs["secretData"] not in ("", "[secret]", "[unknown]")


def test_secret_data_is_never_shown(staging: Graph) -> None:
    assert staging.named("pull-security-secret-version").inputs["secretData"] == "[secret]"


def test_only_the_artifact_registry_agent_reads_each_secret(stack_graph: Graph) -> None:
    agent = stack_graph.named("pull-agent")
    assert agent.inputs["service"] == "artifactregistry.googleapis.com"
    bindings = stack_graph.of_type(SECRET_IAM)
    assert {b.name for b in bindings} == {
        f"pull-{registry}-secret-access" for registry in REGIONS_IN_USE[stack_graph.stack]
    }
    for binding in bindings:
        registry = binding.name.removeprefix("pull-").removesuffix("-secret-access")
        assert binding.inputs["secretId"] == f"gitlab-{registry}-registry-pull"
        assert binding.inputs["role"] == "roles/secretmanager.secretAccessor"
        # The member is the agent's own (its `member` output), not a spelled-out address.
        assert fed_by(stack_graph, binding, "member") == {"pull-agent"}
    # No secret access granted any other way (project-level IAM) anywhere in the graph.
    assert not [r for r in stack_graph.resources if r.type.startswith("gcp:projects/iAM")]


def test_one_remote_repository_per_registry_and_region_in_use(stack_graph: Graph) -> None:
    expected = {
        f"pull-{registry}-{region}"
        for registry, regions in REGIONS_IN_USE[stack_graph.stack].items()
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
        assert set(credentials) == {"username", "passwordSecretVersion"}
        # Its credentials are the token's username and the token's secret version (their
        # outputs), readable before the first pull.
        assert {token.name, version.name} <= fed_by(
            stack_graph, repository, "remoteRepositoryConfig"
        )
        assert {token.urn, version.urn} <= set(repository.dependencies)
        assert stack_graph.named(f"pull-{registry}-secret-access").urn in repository.dependencies
        production = stack_graph.stack == "prod"
        assert (repository.protect, repository.retain_on_delete) == (production, production)


def test_cloud_run_runs_the_image_by_digest_through_its_regions_repository(
    staging: Graph,
) -> None:
    # Staging creates its services; prod's run already and keep their image
    # (tests/test_running_image.py).
    stack_graph = staging
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


def test_prod_runs_what_runs_and_looks_no_tag_up(prod: Graph) -> None:
    for fleet_id, digest in prod.outputs["imageDigests"].items():
        for service in prod.of_type(SERVICE):
            if service.name.startswith(f"{fleet_id}-"):
                assert service.inputs["template"]["containers"][0]["image"].endswith(f"@{digest}")
    assert not prod.of_type("pulumi:providers:docker")


def test_a_staging_tag_is_resolved_to_its_digest_with_the_read_token(
    reveal_staging: Graph,
) -> None:
    fleet = reveal_staging.outputs["fleets"]["aigw"]
    assert fleet["image"]["reference"] == "self-hosted-v18.6.0-ee"
    # The tag is looked up, and the services run what it resolved to.
    digest = fleet["image"]["digest"]
    assert digest != fleet["image"]["reference"]
    for service in reveal_staging.of_type(SERVICE):
        if service.name.startswith("aigw-"):
            assert service.inputs["template"]["containers"][0]["image"].endswith(f"@{digest}")
    lookup = reveal_staging.named("pull-security-lookup")
    # A provider's configuration reaches the engine as JSON text.
    [auth] = json.loads(lookup.inputs["registryAuth"])
    assert auth["address"] == "registry.gitlab.com"
    assert fed_by(reveal_staging, lookup, "registryAuth") == {"pull-security-token"}


def test_another_tag_resolves_to_another_digest() -> None:
    graph = evaluate("staging", ["fleets.aigw.image=self-hosted-v18.7.0-ee"])
    staging_digests = graph.outputs["imageDigests"]
    assert staging_digests["aigw"] != staging_digests["dws"]


def test_a_pinned_digest_in_staging_needs_no_lookup() -> None:
    digest = "sha256:" + "ab" * 32
    graph = evaluate("staging", [f"fleets.aigw.image={digest}", f"fleets.dws.image={digest}"])
    assert graph.outputs["imageDigests"] == {"aigw": digest, "dws": digest}
    assert not graph.of_type("pulumi:providers:docker")
