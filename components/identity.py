"""Deploy identity: how a Runway deployment pipeline acts in Google Cloud, without keys.

A Workload Identity Federation pool trusts GitLab's OIDC ID tokens. Its provider admits a
token only from a configured deployment project's protected ref (the attribute condition);
each deployment gets its own deployer service account, which only its own project's
pipelines may impersonate. What a deployer may do is granted where it applies, on the
fleet's services and runtime account (components/fleet.py), never on the project.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi

from components import adoption
from components.base import DeliveryComponent
from components.light import iam, serviceaccount
from components.settings import DeploymentSettings, GcpSettings
from contract import deployer_account_id

SUBJECT_LIMIT = 127
"""Google rejects a token exchange whose mapped `google.subject` exceeds 127 bytes ("The size
of mapped attribute exceeds the 127 bytes limit"; `attributeMapping` in the IAM API's
WorkloadIdentityPoolProvider reference, quoted in gitlab-org/gitlab!114147)."""

SUBJECT_MAPPING = (
    '"project_id:" + string(assertion.project_id) + ":job_id:" + string(assertion.job_id)'
)
"""`google.subject`, bounded whatever the project's path or the ref. GitLab's own `sub`
(`project_path:<path>:ref_type:<type>:ref:<ref>`, docs.gitlab.com/ci/secrets/
id_token_authentication/, configurable per project since 18.7) grows with the path and the
branch or tag name and passes 127 bytes for long ones, failing the exchange at run time.
The project and job ids are decimal integers (GitLab sends them as strings, the same page's
example payload; `string()` reads a number too), at most int64's 19 digits: at most 57
bytes (tests/test_identity.py evaluates this expression with a CEL implementation). The
subject is what Cloud Logging shows: the job id leads to the pipeline, ref and commit.
Nothing grants by subject: grants are `principalSet`s of `attribute.project_path`."""

ATTRIBUTE_MAPPING = {
    "google.subject": SUBJECT_MAPPING,
    "attribute.project_path": "assertion.project_path",
    "attribute.project_id": "assertion.project_id",
    "attribute.namespace_path": "assertion.namespace_path",
    "attribute.ref": "assertion.ref",
    "attribute.ref_type": "assertion.ref_type",
    # GitLab has sent this claim as the string "true" and as a boolean; string() reads both.
    "attribute.ref_protected": "string(assertion.ref_protected)",
}
"""GitLab ID token claims kept as attributes: the project and the ref a pipeline runs for."""


def attribute_condition(project_paths: list[str]) -> str:
    """Admit tokens of exactly these projects' pipelines on protected refs. gitlab.com issues
    tokens for every project on it, so the condition is what keeps everyone else out."""
    return (
        f"assertion.project_path in {json.dumps(sorted(project_paths))} "
        '&& string(assertion.ref_protected) == "true"'
    )


class DeployIdentity(DeliveryComponent):
    """The federation pool and GitLab provider, and one deployer account per deployment."""

    def __init__(
        self,
        name: str,
        *,
        gcp: GcpSettings,
        deployments: Mapping[str, DeploymentSettings],
        adopt: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("DeployIdentity", name, opts)
        federation = gcp.workload_identity
        self.audience = federation.audience
        project = gcp.project_id if adopt else None  # where they exist, they are adopted
        # A deleted pool or provider keeps its id for 30 days: in prod they must survive
        # (components/rules.py).
        self.pool = iam.WorkloadIdentityPool(
            self.child("pool"),
            workload_identity_pool_id=federation.pool_id,
            display_name="GitLab deployments",
            description="GitLab CI pipelines of the Runway deployment projects.",
            opts=self.child_opts(
                import_=project and adoption.wif_pool(project, federation.pool_id)
            ),
        )
        self.provider = iam.WorkloadIdentityPoolProvider(
            self.child("gitlab"),
            workload_identity_pool_id=self.pool.workload_identity_pool_id,
            workload_identity_pool_provider_id=federation.provider_id,
            display_name="GitLab CI",
            description=f"ID tokens of {federation.issuer} for the Runway deployment projects' "
            "protected refs.",
            attribute_mapping=ATTRIBUTE_MAPPING,
            attribute_condition=attribute_condition([d.project.path for d in deployments.values()]),
            oidc={"issuer_uri": federation.issuer, "allowed_audiences": [federation.audience]},
            opts=self.child_opts(
                import_=project
                and adoption.wif_provider(project, federation.pool_id, federation.provider_id)
            ),
        )
        self.deployers: dict[str, serviceaccount.Account] = {}
        for deployment_id, deployment in deployments.items():
            account = serviceaccount.Account(
                self.child(deployer_account_id(deployment_id)),
                account_id=deployer_account_id(deployment_id),
                display_name=f"Runway deployer: {deployment_id}",
                description=f"Deploys the {deployment.fleet} fleet from {deployment.project.path}.",
                opts=self.child_opts(
                    import_=project
                    and adoption.service_account(project, deployer_account_id(deployment_id))
                ),
            )
            # Only this deployment's own project (its protected refs, by the provider's
            # condition) may act as its deployer.
            serviceaccount.IAMMember(
                self.child(f"{deployment_id}-impersonation"),
                service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=pulumi.Output.concat(
                    "principalSet://iam.googleapis.com/",
                    self.pool.name,
                    "/attribute.project_path/",
                    deployment.project.path,
                ),
                opts=self.child_opts(),
            )
            self.deployers[deployment_id] = account
        self.register_outputs(
            {
                "provider": self.provider.name,
                "deployers": {k: a.email for k, a in self.deployers.items()},
            }
        )
