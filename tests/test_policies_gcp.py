"""Cloud Run, IAM and Workload Identity Federation policies on hand-built inputs with the real
pulumi-gcp type tokens and property shapes (the fleets land on another branch)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from pulumi_policy import EnforcementLevel

from contract import CLOUD_RUN_DEPLOY_OWNED
from policy.delivery import cloudrun, iam
from policy.delivery.cel import admitted_project_paths
from stackctl.engine import Resource
from tests.policy_harness import UNKNOWN, RealAnalyzer, not_checked, resource, settings, violations

SERVICE = "gcp:cloudrunv2/service:Service"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"us-east4-docker.pkg.dev/gitlab-runway-production/gitlab-security/model-gateway@{DIGEST}"
RUNTIME_SA = "aigw-runtime@gitlab-runway-production.iam.gserviceaccount.com"


def service(name: str = "aigw-us-east4", template: object = None, **inputs: object):
    """A Cloud Run v2 service as the fleets build it; keyword arguments override inputs."""
    if template is None:
        template = {
            "serviceAccount": RUNTIME_SA,
            "containers": [
                {"name": "model-gateway", "image": IMAGE, "ports": {"containerPort": 8080}}
            ],
            "scaling": {"minInstanceCount": 8, "maxInstanceCount": 100},
        }
    base = {
        "location": "us-east4",
        "ingress": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
        "deletionProtection": True,
        "template": template,
    }
    made = resource(SERVICE, name, {**base, **inputs})
    return dataclasses.replace(made, ignore_changes=CLOUD_RUN_DEPLOY_OWNED)


def with_image(image: object, account: object = RUNTIME_SA) -> dict[str, object]:
    return {"serviceAccount": account, "containers": [{"name": "model-gateway", "image": image}]}


CLOUD_RUN = [
    cloudrun.cloud_run_image_from_artifact_registry,
    cloudrun.cloud_run_image_pinned,
    cloudrun.cloud_run_no_default_service_account,
    cloudrun.cloud_run_deletion_protection,
    cloudrun.cloud_run_ingress,
]


@pytest.mark.parametrize("policy", CLOUD_RUN, ids=lambda p: p.name)
def test_the_fleets_service_shape_passes_every_cloud_run_policy(policy) -> None:
    assert violations(policy, service()) == []
    assert not_checked(policy, service()) == []


@pytest.mark.parametrize(
    "image",
    [
        "registry.gitlab.com/gitlab-org/modelops/ai-assist/model-gateway@" + DIGEST,
        "gcr.io/gitlab-runway-production/model-gateway@" + DIGEST,
        "docker.io/gitlab/model-gateway-self-hosted:self-hosted-v18.6.0-ee",
        "us-east4-docker.pkg.dev.evil.example/p/r/i@" + DIGEST,
        "us-east4-docker.pkg.dev/only-project@" + DIGEST,
    ],
)
def test_images_from_outside_artifact_registry_are_caught(image) -> None:
    [(name, message)] = violations(
        cloudrun.cloud_run_image_from_artifact_registry, service(template=with_image(image))
    )
    assert name == "aigw-us-east4"
    assert f"container model-gateway runs {image!r}, which is not in Artifact Registry" in message


def test_every_container_is_checked_sidecars_too() -> None:
    template = {
        "serviceAccount": RUNTIME_SA,
        "containers": [{"image": IMAGE}, {"image": "docker.io/library/nginx:1"}],
    }
    [(_, message)] = violations(
        cloudrun.cloud_run_image_from_artifact_registry, service(template=template)
    )
    assert message.startswith("container #1 runs 'docker.io/library/nginx:1'")


def test_a_tag_is_caught_where_digests_are_required_and_allowed_where_not() -> None:
    tagged = service(template=with_image(IMAGE.split("@")[0] + ":self-hosted-v18.6.0-ee"))
    [(_, message)] = violations(cloudrun.cloud_run_image_pinned, tagged)
    assert "a mutable reference: pin it by digest" in message
    assert (
        violations(cloudrun.cloud_run_image_pinned, tagged, config={"requireDigest": False}) == []
    )
    assert (
        violations(cloudrun.cloud_run_image_pinned, service(template=with_image(IMAGE[:-1]))) != []
    )


def test_an_unknown_image_is_a_note() -> None:
    unknown = service(template=with_image(UNKNOWN))
    for policy in (
        cloudrun.cloud_run_image_from_artifact_registry,
        cloudrun.cloud_run_image_pinned,
    ):
        assert violations(policy, unknown) == []
        assert "template.containers.0.image can't be known" in not_checked(policy, unknown)[0]


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (None, "template.serviceAccount is unset"),
        ("", "template.serviceAccount is unset"),
        ("123456789012-compute@developer.gserviceaccount.com", "the default service account"),
        ("gitlab-runway-production@appspot.gserviceaccount.com", "the default service account"),
    ],
)
def test_the_default_service_account_is_caught(account, expected) -> None:
    template = with_image(IMAGE, account)
    if account is None:
        del template["serviceAccount"]
    [(_, message)] = violations(
        cloudrun.cloud_run_no_default_service_account, service(template=template)
    )
    assert expected in message


def test_an_account_of_unknown_origin_not_known_yet_is_a_note() -> None:
    """An email unknown until the update, built from nothing the stack creates: a note."""
    pending = service(template=with_image(IMAGE, UNKNOWN))
    assert violations(cloudrun.cloud_run_no_default_service_account, pending) == []
    assert not_checked(cloudrun.cloud_run_no_default_service_account, pending)


def test_an_account_the_stack_creates_is_its_own_even_before_it_exists() -> None:
    """The fleets' runtime account: its email is unknown in a preview of a new stack, but the
    graph shows it comes from a service account of the stack, never a default one."""
    runtime = resource("gcp:serviceaccount/account:Account", "aigw-runtime", {"accountId": "x"})
    pending = resource(
        SERVICE,
        "aigw-us-east4",
        {"template": with_image(IMAGE, UNKNOWN)},
        deps={"template": [runtime]},
    )
    policy = cloudrun.cloud_run_no_default_service_account
    assert violations(policy, runtime, pending) == []
    assert not_checked(policy, runtime, pending) == []


def test_deletion_protection_in_production_only_and_unset_means_the_default() -> None:
    unprotected = service(deletionProtection=False)
    [(_, message)] = violations(cloudrun.cloud_run_deletion_protection, unprotected)
    assert message.startswith("deletionProtection is false")
    config = {"production": False}
    assert violations(cloudrun.cloud_run_deletion_protection, unprotected, config=config) == []
    unset = resource(SERVICE, "s", {"template": with_image(IMAGE)})  # provider default: true
    assert violations(cloudrun.cloud_run_deletion_protection, unset) == []


@pytest.mark.parametrize(
    ("ingress", "shown"),
    [
        ("INGRESS_TRAFFIC_ALL", '"INGRESS_TRAFFIC_ALL"'),
        ("INGRESS_TRAFFIC_INTERNAL_ONLY", '"INGRESS_TRAFFIC_INTERNAL_ONLY"'),
        (None, "unset (Cloud Run's default is INGRESS_TRAFFIC_ALL)"),
    ],
)
def test_ingress_other_than_the_load_balancer_is_caught(ingress, shown) -> None:
    inputs = {"template": with_image(IMAGE)}
    if ingress:
        inputs["ingress"] = ingress
    [(_, message)] = violations(cloudrun.cloud_run_ingress, resource(SERVICE, "s", inputs))
    assert message.startswith(f"ingress is {shown}: set INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER")


# --- IAM -------------------------------------------------------------------------------------

PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SERVICE_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
DEPLOYER = "serviceAccount:ai-gateway-deployer@gitlab-runway-production.iam.gserviceaccount.com"


def grant(type_: str, role: str, name: str = "grant", **inputs: object):
    return resource(type_, name, {"role": role, "member": DEPLOYER, **inputs})


def policy_data(*roles: str) -> str:
    return json.dumps({"bindings": [{"role": r, "members": [DEPLOYER]} for r in roles]})


@pytest.mark.parametrize(
    "granted",
    [
        grant(PROJECT_MEMBER, "roles/owner", project="gitlab-runway-production"),
        grant("gcp:projects/iAMBinding:IAMBinding", "roles/editor"),
        grant("gcp:folder/iAMMember:IAMMember", "roles/viewer"),
        grant("gcp:storage/bucketIAMMember:BucketIAMMember", "roles/viewer"),
        grant(SERVICE_MEMBER, "roles/editor", location="us-east4"),
        resource(
            "gcp:projects/iAMPolicy:IAMPolicy", "p", {"policyData": policy_data("roles/owner")}
        ),
        resource(
            "gcp:secretmanager/secretIamPolicy:SecretIamPolicy",
            "p",
            {"policyData": policy_data("roles/secretmanager.secretAccessor", "roles/editor")},
        ),
    ],
    ids=lambda r: r.type.rsplit(":", 1)[-1],
)
def test_basic_roles_are_caught_on_every_kind_of_grant(granted) -> None:
    [(_, message)] = violations(iam.iam_no_basic_roles, granted)
    assert message.startswith("grants the basic role roles/")


def test_predefined_roles_pass_and_removals_are_not_grants() -> None:
    assert (
        violations(
            iam.iam_no_basic_roles,
            grant(SERVICE_MEMBER, "roles/run.developer", "a"),
            grant("gcp:serviceaccount/iAMMember:IAMMember", "roles/iam.serviceAccountUser", "b"),
            resource(
                "gcp:projects/iAMPolicy:IAMPolicy",
                "c",
                {"policyData": policy_data("roles/run.invoker")},
            ),
            resource("gcp:projects/iamMemberRemove:IamMemberRemove", "d", {"role": "roles/owner"}),
        )
        == []
    )


def test_an_unreadable_policy_is_caught_and_an_unknown_one_is_a_note() -> None:
    broken = resource("gcp:projects/iAMPolicy:IAMPolicy", "p", {"policyData": "{not json"})
    assert violations(iam.iam_no_basic_roles, broken) == [
        ("p", "(policyData is not a JSON IAM policy)")
    ]
    pending = resource("gcp:projects/iAMPolicy:IAMPolicy", "p", {"policyData": UNKNOWN})
    assert violations(iam.iam_no_basic_roles, pending) == []
    assert not_checked(iam.iam_no_basic_roles, pending)


def test_run_developer_on_a_service_passes() -> None:
    own = grant(SERVICE_MEMBER, "roles/run.developer", location="us-east4", name="aigw-us-east4")
    v1 = grant("gcp:cloudrun/iamMember:IamMember", "roles/run.developer", "v1")
    assert violations(iam.iam_run_developer_on_services, own, v1) == []


@pytest.mark.parametrize(
    ("granted", "where"),
    [
        (grant(PROJECT_MEMBER, "roles/run.developer"), "project-wide"),
        (grant("gcp:projects/iAMBinding:IAMBinding", "roles/run.developer"), "project-wide"),
        (
            resource(
                "gcp:organizations/iAMPolicy:IAMPolicy",
                "grant",
                {"policyData": policy_data("roles/run.developer")},
            ),
            "project-wide",
        ),
        (
            grant("gcp:serviceaccount/iAMMember:IAMMember", "roles/run.developer"),
            "on a gcp:serviceaccount/iAMMember:IAMMember",
        ),
    ],
)
def test_run_developer_anywhere_but_a_service_is_caught(granted, where) -> None:
    [(_, message)] = violations(iam.iam_run_developer_on_services, granted)
    assert message.startswith(f"grants roles/run.developer {where}")


# --- Workload Identity Federation --------------------------------------------------------------

WIF = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
RUNWAY = "gitlab-com/gl-infra/platform/runway/deployments"
CONDITION = (
    f'assertion.project_path in ["{RUNWAY}/ai-gateway", "{RUNWAY}/duo-workflow-svc"]'
    ' && assertion.ref_protected == "true"'
)


def provider(condition: object) -> Resource:
    inputs: dict[str, object] = {
        "workloadIdentityPoolId": "gitlab",
        "oidc": {"issuerUri": "https://gitlab.com"},
        "attributeMapping": {"google.subject": "assertion.sub"},
    }
    if condition is not None:
        inputs["attributeCondition"] = condition
    return resource(WIF, "gitlab-oidc", inputs)


def test_a_condition_naming_the_deployment_projects_passes() -> None:
    assert violations(iam.wif_condition_names_projects, provider(CONDITION)) == []
    allowed = {"allowedProjectPaths": [f"{RUNWAY}/ai-gateway", f"{RUNWAY}/duo-workflow-svc"]}
    assert violations(iam.wif_condition_names_projects, provider(CONDITION), config=allowed) == []


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, "attributeCondition is unset"),
        ("", "attributeCondition is unset"),
        ("true", "does not restrict assertion.project_path"),
        ('assertion.project_path.startsWith("gitlab-com/")', "does not restrict"),
        ('assertion.namespace_path == "gitlab-com"', "does not restrict"),
        (
            f'assertion.project_path == "{RUNWAY}/ai-gateway" || assertion.ref == "main"',
            "does not restrict",
        ),
        ('assertion.project_path != "gitlab-org/x"', "does not restrict"),
        ('assertion.project_path == "gitlab-com/*"', "not full project paths"),
        ('assertion.project_path in ["ai-gateway"]', "not full project paths"),
    ],
)
def test_conditions_that_do_not_name_projects_are_caught(condition, expected) -> None:
    [(_, message)] = violations(iam.wif_condition_names_projects, provider(condition))
    assert expected in message


def test_projects_not_allowed_for_the_stack_are_caught() -> None:
    config = {"allowedProjectPaths": [f"{RUNWAY}/ai-gateway"]}
    [(_, message)] = violations(
        iam.wif_condition_names_projects, provider(CONDITION), config=config
    )
    assert (
        message
        == f"attributeCondition admits ['{RUNWAY}/duo-workflow-svc'], not allowed in this stack"
    )


@pytest.mark.parametrize(
    ("condition", "paths"),
    [
        ('assertion.project_path == "a/b"', {"a/b"}),
        ('"a/b" == attribute.project_path', {"a/b"}),
        (
            '(assertion.project_path == "a/b" || assertion.project_path == "c/d") && x',
            {"a/b", "c/d"},
        ),
        ('assertion.project_path in ["a/b", "c/d"] && assertion.project_path == "a/b"', {"a/b"}),
        ('((assertion.project_path in ["a/b"]))', {"a/b"}),
        ('(assertion.project_path == "a/b") || (assertion.ref == "main")', None),
        ('!(assertion.project_path == "a/b")', None),
        ('assertion.project_path in ["a/b"] || true', None),
        ('assertion.sub == "project_path:a/b:ref_type:branch:ref:main"', None),
    ],
)
def test_which_projects_a_condition_admits(condition, paths) -> None:
    admitted = admitted_project_paths(condition)
    assert (admitted if admitted is None else set(admitted)) == paths


def test_the_fleets_shapes_pass_through_the_real_analyzer() -> None:
    analyzer = RealAnalyzer(settings())
    for part in (service(), grant(SERVICE_MEMBER, "roles/run.developer"), provider(CONDITION)):
        assert analyzer.analyze(part) == []
    [found] = analyzer.analyze(grant(PROJECT_MEMBER, "roles/run.developer"))
    assert (found.policy, found.level) == (
        "iam-run-developer-on-services-only",
        EnforcementLevel.MANDATORY,
    )
