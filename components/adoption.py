"""Adoption: the import id of every resource prod already has, and why the rest is created.

An import id is derived only from settings and ids the stack knows (project ids, paths,
regions, names, a variable's key and scope), in the format of each provider's import, as
the pinned SDKs document it (the `## Import` section of each resource's docstring in
pulumi_gcp 10.2.0 and pulumi_gitlab 10.4.0; the service account's from
terraform-provider-google `website/docs/r/google_service_account.html.markdown`, its
pulumi docstring has none). `tests/test_adoption.py` holds one pattern per type citing it.

Since Pulumi v3.174.0 (pulumi/pulumi#19339; docs: pulumi/docs#18198) an import whose inputs
differ from the live resource is not refused: the engine imports, then updates. So an
adopted resource can still change live on the first `pulumi up`: the preview says which.

`CREATED` says, per type, why the stack creates it even where its part exists; it is the
list `python -m stackctl graph --format imports` prints beside the adoption plan.
"""

from __future__ import annotations

from typing import Final

from contract import DOCKERHUB_REPOSITORY, Gcp, GitLab, Time

CREATED: Final[dict[str, str]] = {
    GitLab.ACCESS_TOKEN: "a token's value is not returned on import, and the mirror URL is "
    "built from it: a new token is created (one per rotation period), the old one is revoked "
    "by hand after the switch",
    Time.ROTATING: "a rotation period exists only in state: it starts on the first up "
    "(components/rotation.py)",
    GitLab.DEPLOY_TOKEN: "a deploy token's value is not returned on import, and the pull "
    "secret is built from it: a new one is created, the old one revoked by hand",
    GitLab.PIPELINE_TRIGGER: "a trigger's token is not available on import, and the "
    "RUNWAY_TRIGGER_TOKEN_* variable is built from it",
    GitLab.PUSH_MIRROR: "its import id is a mirror id only GitLab knows, and its url (which "
    "forces replacement) carries the new token: a new mirror is created, the old one removed "
    "by hand",
    GitLab.REGISTRY_PROTECTION: "its import id is a rule id only GitLab knows: delete an "
    "existing rule for the same pattern before the first up, or it is refused",
    GitLab.PACKAGE_PROTECTION: "its import id is a rule id only GitLab knows: delete an "
    "existing rule for the same package before the first up, or it is refused",
    Gcp.SECRET_VERSION: "a version holds the new deploy token: it is a new version of the "
    "adopted secret",
    Gcp.SERVICE_IDENTITY: "the provider does not support importing it; creating it returns "
    "the project's existing service agent",
    Gcp.SECRET_IAM_MEMBER: "an IAM member is one binding added to the policy (read, modify, "
    "write): adding one that exists changes nothing",
    Gcp.SERVICE_IAM_MEMBER: "an IAM member is one binding added to the policy: adding one "
    "that exists changes nothing",
    DOCKERHUB_REPOSITORY: "no import id: the stack's own provider adopts an existing "
    "repository on create (components/dockerhub.py)",
    Gcp.SERVICE_ACCOUNT_IAM_MEMBER: "an IAM member is one binding added to the policy: "
    "adding one that exists changes nothing",
}
"""Why the stack creates a resource of this type even where its part exists."""

CREATED_UNLESS_PINNED: Final[dict[str, str]] = {
    GitLab.JOB_TOKEN_SCOPE: "its import id needs the deployment project's numeric id: pin "
    "runway.deployments.*.project.importId to adopt it; adding an entry that exists is "
    "refused by GitLab",
}
"""Adopted when a setting gives what the id needs, created (for this reason) otherwise."""


def reason_created(type_: str) -> str | None:
    """Why a resource of `type_` is created in a part that exists; None: it is adopted."""
    return CREATED.get(type_) or CREATED_UNLESS_PINNED.get(type_)


def live_name(names: dict[str, str], logical: str, rule: str) -> str:
    """The live name of the resource `logical`: the override in `existing.names`, else the
    stack's rule."""
    return names.get(logical, rule)


# --- GitLab (pulumi_gitlab 10.4.0, `## Import`) -------------------------------------------


def gitlab_project(id_or_path: str) -> str:
    """`gitlab:index/project`: the id or the full path (GET /projects/:id takes either)."""
    return id_or_path


def branch_protection(project: str, branch: str) -> str:
    return f"{project}:{branch}"


def tag_protection(project: str, tag: str) -> str:
    return f"{project}:{tag}"


def project_variable(project: str, key: str, scope: str = "*") -> str:
    """`project:key:environment_scope`."""
    return f"{project}:{key}:{scope}"


def job_token_scope(project: str, target_project_id: int) -> str:
    """`projectId:type:targetId`."""
    return f"{project}:project:{target_project_id}"


# --- Google Cloud (pulumi_gcp 10.2.0, `## Import`: the first form, no provider defaults) ---


def cloud_run_service(project: str, region: str, name: str) -> str:
    return f"projects/{project}/locations/{region}/services/{name}"


def artifact_repository(project: str, region: str, repository_id: str) -> str:
    return f"projects/{project}/locations/{region}/repositories/{repository_id}"


def secret(project: str, secret_id: str) -> str:
    return f"projects/{project}/secrets/{secret_id}"


def service_account(project: str, account_id: str) -> str:
    return f"projects/{project}/serviceAccounts/{account_id}@{project}.iam.gserviceaccount.com"


def wif_pool(project: str, pool_id: str) -> str:
    return f"projects/{project}/locations/global/workloadIdentityPools/{pool_id}"


def wif_provider(project: str, pool_id: str, provider_id: str) -> str:
    return f"{wif_pool(project, pool_id)}/providers/{provider_id}"


GLOBAL_COLLECTIONS: Final = {
    Gcp.GLOBAL_ADDRESS: "addresses",
    Gcp.FORWARDING_RULE: "forwardingRules",
    Gcp.HTTPS_PROXY: "targetHttpsProxies",
    Gcp.URL_MAP: "urlMaps",
    Gcp.CERTIFICATE: "sslCertificates",
    Gcp.BACKEND_SERVICE: "backendServices",
}


def global_resource(type_: str, project: str, name: str) -> str:
    """`projects/{{project}}/global/<collection>/{{name}}` of a load balancer resource."""
    return f"projects/{project}/global/{GLOBAL_COLLECTIONS[type_]}/{name}"


def region_neg(project: str, region: str, name: str) -> str:
    return f"projects/{project}/regions/{region}/networkEndpointGroups/{name}"
