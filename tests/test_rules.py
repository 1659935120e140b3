"""The class-wide rules (components/rules.py): what each covers in prod, by name, so that a
new resource's coverage is a reviewed change, and what they make of it."""

from __future__ import annotations

from components import rules
from stackctl.engine import Graph

KEPT_IN_PROD = [
    "ai-gateway-project",
    "aigw-address",
    "canonical-project",
    "dockerhub-model-gateway",
    "dockerhub-model-gateway-self-hosted",
    "dockerhub-model-gateway-self-hosted-fips",
    "duo-workflow-svc-project",
    "dws-address",
    "identity-gitlab",
    "identity-pool",
    "pull-security-asia-northeast1",
    "pull-security-asia-northeast3",
    "pull-security-europe-west2",
    "pull-security-europe-west3",
    "pull-security-europe-west9",
    "pull-security-us-east1",
    "pull-security-us-east4",
    "security-project",
]

DESCRIBED_IN_PROD = [
    "ai-gateway-runway-gcp-project",
    "ai-gateway-runway-image-repository",
    "ai-gateway-runway-oidc-audience",
    "ai-gateway-runway-regions",
    "ai-gateway-runway-service-account",
    "ai-gateway-runway-services",
    "ai-gateway-runway-workload-identity-provider",
    "ai-gateway-trigger",
    "ai-gateway-trigger-token",
    "aigw-address",
    "aigw-asia-northeast1-service",
    "aigw-asia-northeast3-service",
    "aigw-backend",
    "aigw-europe-west2-service",
    "aigw-europe-west3-service",
    "aigw-europe-west9-service",
    "aigw-runtime",
    "aigw-us-east4-service",
    "dockerhub-canonical-password",
    "dockerhub-canonical-username",
    "dockerhub-security-password",
    "dockerhub-security-username",
    "duo-workflow-svc-runway-gcp-project",
    "duo-workflow-svc-runway-image-repository",
    "duo-workflow-svc-runway-oidc-audience",
    "duo-workflow-svc-runway-regions",
    "duo-workflow-svc-runway-service-account",
    "duo-workflow-svc-runway-services",
    "duo-workflow-svc-runway-workload-identity-provider",
    "duo-workflow-svc-trigger",
    "duo-workflow-svc-trigger-token",
    "dws-address",
    "dws-asia-northeast1-service",
    "dws-backend",
    "dws-europe-west2-service",
    "dws-runtime",
    "dws-us-east1-service",
    "identity-ai-gateway-deployer",
    "identity-duo-workflow-svc-deployer",
    "identity-pool",
    "mirror-token",
    "pull-security-asia-northeast1",
    "pull-security-asia-northeast3",
    "pull-security-europe-west2",
    "pull-security-europe-west3",
    "pull-security-europe-west9",
    "pull-security-us-east1",
    "pull-security-us-east4",
]

LABELLED_IN_PROD = {
    "aigw-address": "fleet",
    "aigw-asia-northeast1-service": "fleet",
    "aigw-asia-northeast3-service": "fleet",
    "aigw-europe-west2-service": "fleet",
    "aigw-europe-west3-service": "fleet",
    "aigw-europe-west9-service": "fleet",
    "aigw-https": "fleet",
    "aigw-us-east4-service": "fleet",
    "dws-address": "fleet",
    "dws-asia-northeast1-service": "fleet",
    "dws-europe-west2-service": "fleet",
    "dws-https": "fleet",
    "dws-us-east1-service": "fleet",
    "pull-security-asia-northeast1": "registry-pull",
    "pull-security-asia-northeast3": "registry-pull",
    "pull-security-europe-west2": "registry-pull",
    "pull-security-europe-west3": "registry-pull",
    "pull-security-europe-west9": "registry-pull",
    "pull-security-secret": "registry-pull",
    "pull-security-us-east1": "registry-pull",
    "pull-security-us-east4": "registry-pull",
}


def test_what_prod_keeps(prod: Graph) -> None:
    kept = sorted(r.name for r in prod.resources if r.protect)
    assert kept == KEPT_IN_PROD
    assert kept == sorted(r.name for r in prod.resources if r.retain_on_delete)
    assert kept == sorted(r.name for r in prod.resources if r.type in rules.KEPT)


def test_staging_keeps_nothing(staging: Graph) -> None:
    assert not [r.name for r in staging.resources if r.protect or r.retain_on_delete]


def test_what_says_it_is_managed_by_the_stack(prod: Graph) -> None:
    described = sorted(r.name for r in prod.resources if r.type in rules.DESCRIBED)
    assert described == DESCRIBED_IN_PROD
    for name in described:
        text = prod.named(name).inputs["description"]
        assert text.endswith(f" {rules.MANAGED_BY}.") or f" {rules.MANAGED_BY}; " in text, name
    # The address's description forces its replacement: whatever prod's live address
    # carries is kept at adoption (tests/test_replacement.py).
    assert "description" in prod.named("aigw-address").ignore_changes
    assert (
        prod.named("mirror-token")
        .inputs["description"]
        .endswith("Managed by aigw-delivery; renewed by pulumi up, one token per period.")
    )


def test_what_is_labelled_with_its_part(prod: Graph) -> None:
    labelled = {
        r.name: r.inputs["labels"][rules.PART_LABEL]
        for r in prod.resources
        if rules.PART_LABEL in (r.inputs.get("labels") or {})
    }
    assert labelled == LABELLED_IN_PROD
    assert prod.named("aigw-us-east4-service").inputs["labels"] == {
        "fleet": "aigw",
        "part": "fleet",
    }


def test_the_part_is_the_components_kind() -> None:
    urn = "urn:pulumi:prod::aigw-delivery::aigw:delivery:RegistryPull::pull"
    assert rules.part_of(urn) == "registry-pull"
    assert rules.part_of("urn:pulumi:prod::aigw-delivery::pulumi:pulumi:Stack::s") is None
