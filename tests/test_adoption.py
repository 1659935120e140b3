"""Adoption: every custom resource of prod is adopted with an id in its provider's import
format, or created for a reason stated in components/adoption.py; staging adopts nothing.

One pattern per type, each the `## Import` section of the pinned SDK's docstring
(pulumi_gcp 10.2.0 `pulumi_gcp/<module>/<resource>.py`, pulumi_gitlab 10.4.0
`pulumi_gitlab/<resource>.py`), first form; the service account's from
terraform-provider-google `website/docs/r/google_service_account.html.markdown`."""

from __future__ import annotations

import json
import re

import pytest

from components.adoption import reason_created
from contract import Gcp, GitLab, Pulumi
from stackctl.cli import main
from stackctl.engine import Graph

P = "gitlab-runway-production"
SEG = r"[^/\s]+"
ID_FORMATS: dict[str, str] = {
    # `projects/{{project}}/locations/{{location}}/services/{{name}}`
    Gcp.SERVICE: rf"projects/{P}/locations/{SEG}/services/{SEG}",
    # `projects/{{project}}/locations/{{location}}/repositories/{{repository_id}}`
    Gcp.REPOSITORY: rf"projects/{P}/locations/{SEG}/repositories/{SEG}",
    # `projects/{{project}}/secrets/{{secret_id}}`
    Gcp.SECRET: rf"projects/{P}/secrets/{SEG}",
    # `projects/{{project_id}}/serviceAccounts/{{email}}`
    Gcp.SERVICE_ACCOUNT: rf"projects/{P}/serviceAccounts/[a-z0-9-]+@{P}\.iam\.gserviceaccount\.com",
    # `projects/{{project}}/locations/global/workloadIdentityPools/{{workload_identity_pool_id}}`
    Gcp.WIF_POOL: rf"projects/{P}/locations/global/workloadIdentityPools/{SEG}",
    # `.../workloadIdentityPools/{{pool}}/providers/{{provider}}` (ids spelled out there)
    Gcp.WIF_PROVIDER: rf"projects/{P}/locations/global/workloadIdentityPools/{SEG}/providers/{SEG}",
    # `projects/{{project}}/global/addresses/{{name}}` and likewise per collection
    Gcp.GLOBAL_ADDRESS: rf"projects/{P}/global/addresses/{SEG}",
    Gcp.FORWARDING_RULE: rf"projects/{P}/global/forwardingRules/{SEG}",
    Gcp.HTTPS_PROXY: rf"projects/{P}/global/targetHttpsProxies/{SEG}",
    Gcp.URL_MAP: rf"projects/{P}/global/urlMaps/{SEG}",
    Gcp.CERTIFICATE: rf"projects/{P}/global/sslCertificates/{SEG}",
    Gcp.BACKEND_SERVICE: rf"projects/{P}/global/backendServices/{SEG}",
    # `projects/{{project}}/regions/{{region}}/networkEndpointGroups/{{name}}`
    Gcp.NEG: rf"projects/{P}/regions/{SEG}/networkEndpointGroups/{SEG}",
    # "the id or the URL-encoded path of the project" (`pulumi import ... richardc/example`)
    GitLab.PROJECT: r"[0-9]+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+",
    # `<project_id>:<branch>`, `<project_id>:<tag_name>`
    GitLab.BRANCH_PROTECTION: r"[0-9]+:[^:\s]+",
    GitLab.TAG_PROTECTION: r"[0-9]+:[^:\s]+",
    # `project:key:environment_scope` ('12345:project_variable_key:*'); project: id or path
    GitLab.VARIABLE: r"[^:\s]+:[A-Za-z0-9_]+:\*",
    # `projectId:type:targetId` (123:project:321)
    GitLab.JOB_TOKEN_SCOPE: r"[0-9]+:project:[0-9]+",
}


def custom(graph: Graph) -> list:
    return [
        r for r in graph.resources if r.custom and not r.type.startswith(Pulumi.PROVIDER_PREFIX)
    ]


def test_every_prod_resource_is_adopted_in_its_providers_format_or_created_for_a_reason(
    prod: Graph,
) -> None:
    unexplained = []
    for resource in custom(prod):
        if resource.import_id is None:
            if reason_created(resource.type) is None:
                unexplained.append(resource.name)
            continue
        pattern = ID_FORMATS.get(resource.type)
        assert pattern is not None, f"{resource.name}: {resource.type} has no documented format"
        assert re.fullmatch(pattern, resource.import_id), (resource.name, resource.import_id)
    assert unexplained == []


@pytest.mark.parametrize(
    ("name", "import_id"),
    [
        ("canonical-main", "39903947:main"),
        ("security-stable-branches", "61869127:stable-*-ee"),
        ("security-release-tags", "61869127:self-hosted-v*-ee"),
        ("dockerhub-canonical-password", "39903947:DOCKERHUB_PASSWORD:*"),
        ("ai-gateway-trigger-token", "61869127:RUNWAY_TRIGGER_TOKEN_AI_GATEWAY:*"),
        ("aigw-us-east4-service", f"projects/{P}/locations/us-east4/services/ai-gateway"),
        ("pull-security-secret", f"projects/{P}/secrets/gitlab-security-registry-pull"),
        ("dws-address", f"projects/{P}/global/addresses/duo-workflow-svc-address"),
    ],
)
def test_import_ids_come_from_settings(prod: Graph, name: str, import_id: str) -> None:
    assert prod.named(name).import_id == import_id


def test_a_load_balancer_resource_is_named_as_it_is_imported(prod: Graph) -> None:
    """`name` forces replacement: the name passed and the name in the import id agree."""
    for type_ in (Gcp.GLOBAL_ADDRESS, Gcp.BACKEND_SERVICE, Gcp.NEG, Gcp.URL_MAP):
        for resource in prod.of_type(type_):
            assert resource.import_id is not None
            assert resource.import_id.rsplit("/", 1)[1] == resource.inputs["name"]


def test_staging_adopts_nothing(staging: Graph) -> None:
    assert [r.name for r in custom(staging) if r.import_id is not None] == []


def test_a_live_name_override_reaches_name_and_import_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(["graph", "prod", "--format", "imports", "-c", "existing.names.aigw-address=lb-ip"])
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    (address,) = [r for r in plan["resources"] if r["name"] == "aigw-address"]
    assert address["id"] == f"projects/{P}/global/addresses/lb-ip"


def test_prod_that_would_create_a_part_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "prod", "-c", "existing.fleets=false"]) == 1
    assert "existing.fleets" in capsys.readouterr().err


@pytest.mark.usefixtures("shared_evaluations")
def test_imports_format_is_a_bulk_import_file_with_every_adopted_resource_once(
    prod: Graph, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "prod", "--format", "imports"]) == 0
    plan = json.loads(capsys.readouterr().out)
    adopted = {r.name: r for r in custom(prod) if r.import_id is not None}
    names = [entry["name"] for entry in plan["resources"]]
    assert sorted(names) == sorted(adopted)
    assert len(set(names)) == len(names)
    for entry in plan["resources"]:
        resource = adopted[entry["name"]]
        assert (entry["type"], entry["id"]) == (resource.type, resource.import_id)
        # parent and provider are keys of the name table, whose values are URNs
        assert plan["nameTable"][entry["parent"]] == resource.parent
        assert plan["nameTable"][entry["provider"]] == resource.provider
    created = {c["name"] for c in plan["created"]}
    assert created == {r.name for r in custom(prod) if r.import_id is None}
    assert all(reason_created(c["type"]) == c["reason"] for c in plan["created"])
