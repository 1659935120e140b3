"""A Runway deployment project and its edges (trigger, pull, deploy).

- trigger: a pipeline trigger in the deployment project; its token is a masked, protected,
  hidden CI variable of the security project, named after the deployment, so only the
  security project's protected-branch pipelines (its `main`) can start a deployment.
- pull: the registry's project admits the deployment project's CI job tokens (its job-token
  allowlist), so deployment jobs can read the images they roll out.
- deploy: CI variables tell the deployment pipeline where to deploy: the Google Cloud
  project, the Workload Identity provider and audience, its deployer account, its services
  and regions, and the image repository. None of them is a credential (the pipeline gets
  its credentials from GitLab's ID token), so none is masked.
"""

from __future__ import annotations

import json

import pulumi

from components import adoption
from components.base import DeliveryComponent
from components.fleet import Fleet
from components.identity import DeployIdentity
from components.light import gitlab
from components.projects import gitlab_project, project_ref
from components.pull import RegistryPull
from components.settings import DeploymentSettings, GcpSettings
from components.source import SourceProject
from contract import SERVICE_ACCOUNT_VARIABLE, trigger_variable


class RunwayDeployment(DeliveryComponent):
    """A deployment project, its trigger, its registry access and its deploy variables."""

    def __init__(
        self,
        name: str,
        settings: DeploymentSettings,
        *,
        production: bool,
        adopt: bool,
        gcp: GcpSettings,
        security: SourceProject,
        registry: SourceProject,
        pull: RegistryPull,
        identity: DeployIdentity,
        fleet: Fleet,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("RunwayDeployment", name, opts)
        self.settings = settings
        self.project = gitlab_project(self, settings.project, adopt=adopt)
        ref = project_ref(settings.project) if adopt else None
        self.regions = sorted(settings.regions or fleet.settings.regions)

        self.trigger = gitlab.PipelineTrigger(
            self.child("trigger"),
            project=self.project.id,
            description=f"Started by {security.settings.path}'s main pipeline.",
            opts=self.child_opts(additional_secret_outputs=["token"]),
        )
        token: pulumi.Output[str] = pulumi.Output.secret(self.trigger.token)
        self.trigger_variable = gitlab.ProjectVariable(
            self.child("trigger-token"),
            project=security.project.id,
            key=trigger_variable(name),
            value=token,
            description=f"Trigger token of {settings.project.path}.",
            masked=True,
            protected=True,
            hidden=True,
            raw=True,
            environment_scope="*",
            opts=self.child_opts(
                import_=security.adopted_as
                and adoption.project_variable(security.adopted_as, trigger_variable(name))
            ),
        )
        # Adopted only where the deployment project's numeric id is pinned (the id needs it).
        pinned = settings.project.import_id if adopt else None
        self.registry_access = gitlab.ProjectJobTokenScope(
            self.child("registry-access"),
            project=registry.project.id,
            target_project_id=self._numeric_id(adopt),
            opts=self.child_opts(
                import_=registry.adopted_as
                and pinned
                and adoption.job_token_scope(registry.adopted_as, pinned)
            ),
        )

        services = pulumi.Output.all(
            *(fleet.services[region].name for region in self.regions)
        ).apply(lambda names: json.dumps(dict(zip(self.regions, names, strict=True))))
        variables: dict[str, pulumi.Input[str]] = {
            "RUNWAY_GCP_PROJECT": gcp.project_id,
            "RUNWAY_WORKLOAD_IDENTITY_PROVIDER": identity.provider.name,
            "RUNWAY_OIDC_AUDIENCE": identity.audience,
            SERVICE_ACCOUNT_VARIABLE: identity.deployers[name].email,
            "RUNWAY_REGIONS": ",".join(self.regions),
            "RUNWAY_SERVICES": services,
            # <region>-docker.pkg.dev/<project>/<this> is the image's path in every region.
            "RUNWAY_IMAGE_REPOSITORY": (
                f"{pull.repository_id(settings.pull_from)}/{pull.image_path(settings.pull_from)}"
            ),
        }
        self.variables = {
            key: gitlab.ProjectVariable(
                self.child(key.lower().replace("_", "-")),
                project=self.project.id,
                key=key,
                value=value,
                description="Where this deployment deploys.",
                masked=False,
                protected=False,
                raw=True,
                environment_scope="*",
                opts=self.child_opts(import_=ref and adoption.project_variable(ref, key)),
            )
            for key, value in variables.items()
        }
        self.register_outputs(
            {"project": self.project.id, "triggerVariable": trigger_variable(name)}
        )

    def _numeric_id(self, adopt: bool) -> pulumi.Input[int]:
        """The deployment project's numeric id, which the job-token allowlist takes: pinned
        (`importId`), else the created project's id; a project adopted by its path (whose
        id may then be its path) is looked up by that path."""
        project = self.settings.project
        if project.import_id is not None:
            return project.import_id
        if not adopt:
            return self.project.id.apply(int)
        found = gitlab.get_project_output(
            path_with_namespace=project.path, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # Through the project resource too: the allowlist entry still follows its project.
        return pulumi.Output.all(self.project.id, found.id).apply(lambda ids: int(ids[1]))
