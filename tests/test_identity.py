"""Deploy identity: who may deploy what, through Workload Identity Federation and IAM."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import celpy
from celpy.adapter import json_to_cel

from components.identity import SUBJECT_LIMIT
from stackctl.engine import Graph, Resource, evaluate
from tests.conftest import stack_config
from tests.wiring import fed_by

SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
SERVICE_IAM = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}


def deployments(stack: str) -> dict[str, dict]:
    found: dict[str, dict] = stack_config(stack)["aigw-delivery:runway"]["deployments"]
    return found


def roles_in(value: object) -> list[str]:
    """Every IAM role named anywhere in a resource's inputs."""
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in ([v] if k == "role" else roles_in(v))]
    if isinstance(value, list):
        return [r for v in value for r in roles_in(v)]
    return []


def test_the_pool_and_provider_survive_in_prod(prod: Graph, staging: Graph) -> None:
    for name in ("identity-pool", "identity-gitlab"):
        assert prod.named(name).protect
        assert prod.named(name).retain_on_delete
        assert not staging.named(name).protect


def test_the_provider_trusts_gitlab_tokens_for_the_configured_audience(
    stack_graph: Graph,
) -> None:
    provider = stack_graph.named("identity-gitlab")
    federation = stack_config(stack_graph.stack)["aigw-delivery:gcp"]["workloadIdentity"]
    assert provider.inputs["oidc"] == {
        "issuerUri": "https://gitlab.com",
        "allowedAudiences": [federation["audience"]],
    }
    assert stack_graph.named("identity-pool").urn in provider.dependencies
    mapping = provider.inputs["attributeMapping"]
    assert "assertion.sub" not in mapping["google.subject"]
    assert mapping["attribute.project_path"] == "assertion.project_path"
    assert mapping["attribute.ref_protected"] == "string(assertion.ref_protected)"
    assert {"attribute.ref", "attribute.ref_type", "attribute.project_id"} <= set(mapping)


def test_the_condition_admits_exactly_the_deployment_projects_on_protected_refs(
    stack_graph: Graph,
) -> None:
    condition = stack_graph.named("identity-gitlab").inputs["attributeCondition"]
    match = re.fullmatch(
        r'assertion\.project_path in (\[.*\]) && string\(assertion\.ref_protected\) == "true"',
        condition,
    )
    assert match, condition
    admitted = json.loads(match[1])
    expected = [d["project"]["path"] for d in deployments(stack_graph.stack).values()]
    assert sorted(admitted) == sorted(expected)
    # Neither source project can deploy: only the Runway projects are admitted.
    for source in stack_graph.outputs["canonicalProject"], stack_graph.outputs["securityProject"]:
        assert source["path"] not in admitted


def test_each_deployer_is_impersonable_only_by_its_own_project(stack_graph: Graph) -> None:
    impersonations = [
        r
        for r in stack_graph.of_type(SA_IAM)
        if r.inputs["role"] == "roles/iam.workloadIdentityUser"
    ]
    assert len(impersonations) == len(deployments(stack_graph.stack))
    for deployment_id, settings in deployments(stack_graph.stack).items():
        deployer = stack_graph.named(f"identity-{deployment_id}-deployer")
        assert deployer.inputs["accountId"] == f"{deployment_id}-deployer"
        [binding] = [r for r in impersonations if deployer.urn in r.dependencies]
        # The pool's principals (`principalSet://iam.googleapis.com/<pool name>/...`, the
        # name the pool has in Google Cloud) whose project_path is this deployment's.
        member = binding.inputs["member"]
        assert member.startswith("principalSet://iam.googleapis.com/")
        assert member.endswith("/attribute.project_path/" + settings["project"]["path"])
        # On the deployer itself (its `name` output); the member made from the pool's name.
        assert fed_by(stack_graph, binding, "serviceAccountId") == {deployer.name}
        assert fed_by(stack_graph, binding, "member") == {"identity-pool"}


def test_deployers_are_run_developers_of_their_own_services_only(stack_graph: Graph) -> None:
    config = stack_config(stack_graph.stack)
    fleets = config["aigw-delivery:fleets"]
    developers = stack_graph.of_type(SERVICE_IAM)
    expected = {
        (deployment_id, settings["fleet"], region)
        for deployment_id, settings in deployments(stack_graph.stack).items()
        for region in settings.get("regions", fleets[settings["fleet"]]["regions"])
    }
    found = set()
    for binding in developers:
        assert binding.inputs["role"] == "roles/run.developer"
        [deployer] = fed_by(stack_graph, binding, "member")
        deployment_id = deployer.removeprefix("identity-").removesuffix("-deployer")
        service = next(
            stack_graph.get(u)
            for u in binding.dependencies
            if stack_graph.get(u).type == "gcp:cloudrunv2/service:Service"
        )
        fleet_id = service.name.split("-", 1)[0]
        assert binding.inputs["name"] == service.inputs["name"]
        assert binding.inputs["location"] == service.inputs["location"]
        found.add((deployment_id, fleet_id, service.inputs["location"]))
    assert found == expected


def test_deployers_may_act_as_their_fleets_runtime_account_only(stack_graph: Graph) -> None:
    users = [
        r for r in stack_graph.of_type(SA_IAM) if r.inputs["role"] == "roles/iam.serviceAccountUser"
    ]
    expected = {
        (deployment_id, settings["fleet"])
        for deployment_id, settings in deployments(stack_graph.stack).items()
    }
    found = set()
    for binding in users:
        [account] = fed_by(stack_graph, binding, "serviceAccountId")
        assert account.endswith("-runtime"), account
        [deployer] = fed_by(stack_graph, binding, "member")
        deployment_id = deployer.removeprefix("identity-").removesuffix("-deployer")
        found.add((deployment_id, account.removesuffix("-runtime")))
    assert found == expected


def test_no_basic_role_and_no_project_wide_grant_anywhere(stack_graph: Graph) -> None:
    granted: list[tuple[Resource, str]] = [
        (r, role) for r in stack_graph.resources for role in roles_in(dict(r.inputs))
    ]
    assert granted
    assert not [(r.name, role) for r, role in granted if role in BASIC_ROLES]
    project_level = [
        r.name
        for r in stack_graph.resources
        if re.match(r"gcp:(projects|organizations|folders)/iAM", r.type)
    ]
    assert project_level == []
    # run.developer only ever on a service.
    assert {r.type for r, role in granted if role == "roles/run.developer"} == {SERVICE_IAM}


def test_outputs_name_the_provider_and_the_deployers(prod: Graph) -> None:
    """The outputs are the values the deployment projects are told to deploy with (Google
    Cloud gives them; offline they are the engine's)."""
    deploy = prod.outputs["deploy"]
    assert set(deploy["deployers"]) == {"ai-gateway", "duo-workflow-svc"}
    for deployment_id, email in deploy["deployers"].items():
        variable = prod.named(f"{deployment_id}-runway-service-account")
        assert fed_by(prod, variable, "value") == {f"identity-{deployment_id}-deployer"}
        assert variable.inputs["value"] == email
        provider = prod.named(f"{deployment_id}-runway-workload-identity-provider")
        assert fed_by(prod, provider, "value") == {"identity-gitlab"}
        assert provider.inputs["value"] == deploy["workloadIdentityProvider"]


INT64_MAX = 2**63 - 1


def subject(mapping: str, claims: Mapping[str, object]) -> str:
    """`google.subject` as Google computes it: the mapping evaluated as CEL over the token."""
    environment = celpy.Environment()
    program = environment.program(environment.compile(mapping))
    return str(program.evaluate({"assertion": json_to_cel(dict(claims))}))


LONGEST_PATH = "/".join(["g" * 255] * 20)
LONGEST_REF = "stable-" + "9" * 240 + "-ee"


def test_the_subject_stays_within_googles_limit_for_any_path_and_ref(stack_graph: Graph) -> None:
    """The longest project path and ref GitLab allows, and ids at int64's maximum, as strings
    (GitLab's form) and as numbers, still map to a subject Google accepts."""
    mapping = stack_graph.named("identity-gitlab").inputs["attributeMapping"]["google.subject"]
    claims: dict[str, object] = {
        "sub": f"project_path:{LONGEST_PATH}:ref_type:branch:ref:{LONGEST_REF}",
        "project_path": LONGEST_PATH,
        "ref": LONGEST_REF,
        "ref_type": "branch",
        "project_id": str(INT64_MAX),
        "job_id": str(INT64_MAX),
    }
    for ids in (str, int):
        token = {**claims, "project_id": ids(INT64_MAX), "job_id": ids(INT64_MAX)}
        mapped = subject(mapping, token)
        assert len(mapped.encode()) <= SUBJECT_LIMIT, mapped
        assert mapped == f"project_id:{INT64_MAX}:job_id:{INT64_MAX}"
    # What the stack's real deployment projects send on a stable branch is unique per job.
    assert subject(mapping, {**claims, "project_id": "64521649", "job_id": "302"}) == (
        "project_id:64521649:job_id:302"
    )


def test_a_long_deployment_path_is_accepted_and_still_maps_a_bounded_subject() -> None:
    """The path GitLab's own `sub` made too long (112 bytes on `main`, more on a stable
    branch or tag) is fine: the subject no longer carries it."""
    path = (
        "gitlab-org/modelops/applied-ml/code-suggestions/aigw-delivery-staging/runway/"
        "deployments/ai-gateway"
    )
    graph = evaluate("staging", [f"runway.deployments.ai-gateway.project.path={path}"])
    provider = graph.named("identity-gitlab")
    assert path in provider.inputs["attributeCondition"]
    claims = {"project_path": path, "ref": LONGEST_REF, "project_id": "1", "job_id": "2"}
    mapped = subject(provider.inputs["attributeMapping"]["google.subject"], claims)
    assert len(mapped.encode()) <= SUBJECT_LIMIT
