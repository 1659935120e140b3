"""Runway deployment projects: trigger, registry access and what tells them where to deploy."""

from __future__ import annotations

import json

import pytest

from stackctl.engine import Graph, Resource
from tests.conftest import stack_config
from tests.wiring import fed_by

PROJECT = "gitlab:index/project:Project"
VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
TRIGGER = "gitlab:index/pipelineTrigger:PipelineTrigger"
JOB_TOKEN_SCOPE = "gitlab:index/projectJobTokenScope:ProjectJobTokenScope"


def deployments(stack: str) -> dict[str, dict]:
    found: dict[str, dict] = stack_config(stack)["aigw-delivery:runway"]["deployments"]
    return found


def variables_of(graph: Graph, project: str) -> dict[str, Resource]:
    """The CI variables of the project named `project` (given its id), by key."""
    return {
        r.inputs["key"]: r
        for r in graph.of_type(VARIABLE)
        if fed_by(graph, r, "project") == {project}
    }


def test_each_deployment_of_the_stack_has_its_project(stack_graph: Graph) -> None:
    expected = deployments(stack_graph.stack)
    runway = {
        r.name.removesuffix("-project"): r
        for r in stack_graph.of_type(PROJECT)
        if r.name.removesuffix("-project") in expected
    }
    assert set(runway) == set(expected)
    for deployment_id, project in runway.items():
        path = expected[deployment_id]["project"]["path"]
        assert project.inputs["path"] == path.rsplit("/", 1)[1]
        assert project.inputs["archiveOnDestroy"] is True


def test_staging_has_a_load_test_deployment_and_prod_does_not(staging: Graph, prod: Graph) -> None:
    assert set(deployments("staging")) == {"ai-gateway", "duo-workflow-svc", "dws-loadtest"}
    assert set(deployments("prod")) == {"ai-gateway", "duo-workflow-svc"}
    assert staging.outputs["runwayDeployments"]["dws-loadtest"]["pullsFrom"] == "canonical"


def test_prod_adopts_the_deployment_projects_and_protects_them(prod: Graph) -> None:
    """No id is guessed in the stack file: prod imports each project by its full path."""
    for deployment_id, settings in deployments("prod").items():
        project = prod.named(f"{deployment_id}-project")
        assert "importId" not in settings["project"]
        # The project API takes the full path as the id: it is the one imported.
        assert project.import_id == settings["project"]["path"]
        variables = variables_of(prod, f"{deployment_id}-project")
        assert variables
        assert {v.inputs["project"] for v in variables.values()} == {project.import_id}
        assert project.protect
        assert project.retain_on_delete
        # Adopted: its name and namespace are the live project's.
        assert "name" not in project.inputs
        assert "namespaceId" not in project.inputs


def test_staging_creates_them_in_the_sandbox_group(staging: Graph) -> None:
    namespaces = set()
    for deployment_id in deployments("staging"):
        project = staging.named(f"{deployment_id}-project")
        assert project.import_id is None
        assert not project.protect
        assert project.inputs["name"] == project.inputs["path"]
        namespaces.add(project.inputs["namespaceId"])
    assert len(namespaces) == 1


def test_trigger_tokens_are_masked_protected_hidden_variables_of_the_security_project(
    stack_graph: Graph,
) -> None:
    for deployment_id in deployments(stack_graph.stack):
        trigger = stack_graph.named(f"{deployment_id}-trigger")
        deployment_project = stack_graph.named(f"{deployment_id}-project")
        assert deployment_project.urn in trigger.dependencies  # a trigger of that project
        variable = stack_graph.named(f"{deployment_id}-trigger-token")
        key = "RUNWAY_TRIGGER_TOKEN_" + deployment_id.upper().replace("-", "_")
        assert fed_by(stack_graph, variable, "project") == {"security-project"}
        assert variable.inputs["key"] == key
        assert variable.inputs["value"] == "[secret]"
        assert variable.inputs["masked"] is True
        assert variable.inputs["protected"] is True
        assert variable.inputs["hidden"] is True
        assert variable.inputs["raw"] is True
        assert trigger.urn in variable.dependencies


def test_the_trigger_variable_holds_the_trigger_token(stack_graph: Graph) -> None:
    for deployment_id in deployments(stack_graph.stack):
        variable = stack_graph.named(f"{deployment_id}-trigger-token")
        assert fed_by(stack_graph, variable, "value") == {f"{deployment_id}-trigger"}


def test_each_deployment_project_is_on_its_registry_projects_job_token_allowlist(
    stack_graph: Graph,
) -> None:
    scopes = stack_graph.of_type(JOB_TOKEN_SCOPE)
    expected = deployments(stack_graph.stack)
    assert len(scopes) == len(expected)
    for deployment_id, settings in expected.items():
        scope = stack_graph.named(f"{deployment_id}-registry-access")
        registry = settings.get("pullFrom", "security")
        deployment_project = stack_graph.named(f"{deployment_id}-project")
        assert fed_by(stack_graph, scope, "project") == {f"{registry}-project"}
        assert fed_by(stack_graph, scope, "targetProjectId") == {f"{deployment_id}-project"}
        # GitLab's API takes the target as a number: the program converts the project id.
        assert isinstance(scope.inputs["targetProjectId"], int)
        if deployment_project.import_id and deployment_project.import_id.isdigit():
            assert scope.inputs["targetProjectId"] == int(deployment_project.import_id)
        assert deployment_project.urn in scope.dependencies


def test_the_load_test_deployment_is_admitted_by_the_canonical_project(staging: Graph) -> None:
    scope = staging.named("dws-loadtest-registry-access")
    assert fed_by(staging, scope, "project") == {"canonical-project"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_deploy_variables_name_project_provider_account_services_and_regions(
    stack: str, request: pytest.FixtureRequest
) -> None:
    graph: Graph = request.getfixturevalue(stack)
    deploy = graph.outputs["deploy"]
    for deployment_id, settings in deployments(stack).items():
        fleet = settings["fleet"]
        fleet_settings = stack_config(stack)["aigw-delivery:fleets"][fleet]
        variables = variables_of(graph, f"{deployment_id}-project")
        values = {k: v.inputs["value"] for k, v in variables.items()}
        regions = sorted(settings.get("regions", fleet_settings["regions"]))
        registry = settings.get("pullFrom", "security")
        assert values == {
            "RUNWAY_GCP_PROJECT": deploy["gcpProject"],
            "RUNWAY_WORKLOAD_IDENTITY_PROVIDER": deploy["workloadIdentityProvider"],
            "RUNWAY_OIDC_AUDIENCE": deploy["audience"],
            "RUNWAY_SERVICE_ACCOUNT": deploy["deployers"][deployment_id],
            "RUNWAY_REGIONS": ",".join(regions),
            "RUNWAY_SERVICES": json.dumps(
                {region: fleet_settings["serviceName"] for region in regions}
            ),
            "RUNWAY_IMAGE_REPOSITORY": f"gitlab-{registry}/"
            + graph.outputs["containerRegistries"][registry].split("/", 1)[1],
        }
        for variable in variables.values():
            # Where to deploy is not a credential: readable in the project's settings.
            assert variable.inputs["masked"] is False
            assert "hidden" not in variable.inputs
        services = variables["RUNWAY_SERVICES"].dependencies
        for region in regions:
            assert graph.named(f"{fleet}-{region}-service").urn in services


def test_no_variable_value_and_no_output_carries_a_token(prod: Graph, staging: Graph) -> None:
    for graph in (prod, staging):
        text = json.dumps(graph.to_json())
        for prefix in ("glptt-", "gldt-", "glpat-"):
            assert prefix not in text
