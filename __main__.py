"""aigw-delivery: the delivery of the AI Gateway and the Duo Workflow Service as one graph.

Built in the order of the delivery diagram (README): the source projects, the
push mirror between them, then what the later parts hang on them: how Artifact Registry
pulls from the GitLab registries, the identity the deployments deploy with, the fleets, the
Runway deployment projects that trigger, pull and deploy, and last the release edge that
pushes protected release tags to Docker Hub.
"""

import pulumi

from components import rules
from components.fleet import Fleet
from components.identity import DeployIdentity
from components.mirror import PushMirror
from components.providers import stack_providers
from components.pull import RegistryPull
from components.release import DockerHubRelease
from components.runway import RunwayDeployment
from components.settings import RegistryName, dockerhub_push_token, load_settings
from components.source import SourceProject
from contract import PROVENANCE_OUTPUT

settings = load_settings()
# The class-wide rules first, so that they see every resource; then the providers every part
# is built with (default providers are disabled: Pulumi.yaml).
rules.register(settings.production)
providers = stack_providers(settings)
with_providers = providers.options()
source = settings.source

canonical = SourceProject(
    "canonical",
    source.canonical,
    source=source,
    release=settings.release,
    gitlab_settings=settings.gitlab,
    production=settings.production,
    adopt=settings.existing.source,
    package=source.package,
    opts=with_providers,
)
security = SourceProject(
    "security",
    source.security,
    source=source,
    release=settings.release,
    gitlab_settings=settings.gitlab,
    production=settings.production,
    adopt=settings.existing.source,
    opts=with_providers,
)
mirror = PushMirror(
    "mirror", source=canonical, target=security, settings=settings.mirror, opts=with_providers
)

registries: dict[RegistryName, SourceProject] = {"canonical": canonical, "security": security}
pull = RegistryPull("pull", settings=settings, sources=registries, opts=with_providers)
identity = DeployIdentity(
    "identity",
    gcp=settings.gcp,
    deployments=settings.runway.deployments,
    adopt=settings.existing.identity,
    opts=with_providers,
)
fleets = {
    fleet_id: Fleet(
        fleet_id,
        fleet,
        production=settings.production,
        pull=pull,
        deployments=settings.runway.of_fleet(fleet_id),
        deployers=identity.deployers,
        existing=settings.existing,
        opts=with_providers,
    )
    for fleet_id, fleet in settings.fleets.items()
}
deployments = {
    deployment_id: RunwayDeployment(
        deployment_id,
        deployment,
        production=settings.production,
        adopt=settings.existing.runway,
        gcp=settings.gcp,
        security=security,
        registry=registries[deployment.pull_from],
        pull=pull,
        identity=identity,
        fleet=fleets[deployment.fleet],
        opts=with_providers,
    )
    for deployment_id, deployment in settings.runway.deployments.items()
}
dockerhub = DockerHubRelease(
    "dockerhub",
    settings.dockerhub,
    push_token=dockerhub_push_token(settings),
    projects=[canonical, security],
    release=settings.release,
    account=providers.dockerhub,
    opts=with_providers,
)

pulumi.export("environment", settings.environment)
for name, project in (("canonicalProject", canonical), ("securityProject", security)):
    pulumi.export(
        name, {"id": project.project.id, "path": project.settings.path, "webUrl": project.web_url}
    )
pulumi.export(
    "pushMirror",
    {
        "id": mirror.mirror.id,
        "from": canonical.settings.path,
        "to": security.settings.path,
        "onlyProtectedBranches": settings.mirror.only_protected_branches,
    },
)
pulumi.export("containerRegistries", {"canonical": canonical.image, "security": security.image})
pulumi.export(
    "packageRegistry",
    {
        "package": source.package.name,
        "project": canonical.settings.path,
        "npmRegistry": canonical.npm_registry,
        "consumer": source.package.consumer,
    },
)
pulumi.export(
    "fleets",
    {
        fleet_id: {
            "hostname": fleet.settings.hostname,
            "address": fleet.address.address,
            "image": {"reference": fleet.settings.image, "digest": fleet.digest},
            "regions": fleet.region_outputs(),
        }
        for fleet_id, fleet in fleets.items()
    },
)
pulumi.export(
    "deploy",
    {
        "gcpProject": settings.gcp.project_id,
        "workloadIdentityProvider": identity.provider.name,
        "audience": identity.audience,
        "deployers": {k: account.email for k, account in identity.deployers.items()},
    },
)
pulumi.export(
    "runwayDeployments",
    {
        deployment_id: {
            "project": deployment.settings.project.path,
            "fleet": deployment.settings.fleet,
            "pullsFrom": deployment.settings.pull_from,
            "regions": deployment.regions,
            "triggerVariable": deployment.trigger_variable.key,
        }
        for deployment_id, deployment in deployments.items()
    },
)
pulumi.export("imageDigests", {fleet_id: fleet.digest for fleet_id, fleet in fleets.items()})
pulumi.export("pullTokenExpiresAt", pull.expires)
pulumi.export("dockerHubRepositories", dockerhub.pull_references)
# Where this `pulumi up` came from (`delivery`), for `stackctl promote`.
pulumi.export(PROVENANCE_OUTPUT, settings.provenance.export())
