"""Pull: how Cloud Run gets `model-gateway` from a GitLab registry.

Cloud Run runs images from Artifact Registry only, so each region in use gets a remote
(pull-through) Docker repository whose upstream is the GitLab registry. It authenticates
with a `read_registry` deploy token of the source project, kept in Secret Manager; the
Artifact Registry service agent may read that one secret and nothing else.

One set per registry in use: the security registry for production deployments and, where a
non-production deployment pulls from it, the canonical one (diagram note 8). A deploy token
reads one project's registry only, so each registry has its own token, secret and
repositories.

Deploy tokens cannot be rotated in place: each expires two rotation periods after its
period began (`runway.pullToken.rotationDays`; the period is kept in state,
`components/rotation.py`), and the `up` of a new period replaces it: every field of a deploy
token forces replacement (provider `resource_gitlab_project_deploy_token.go`), and with
Pulumi's default create-before-delete the new token is created, stored and used before the
old one is deleted.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING

import pulumi

from components import adoption, rotation
from components.base import DeliveryComponent
from components.light import artifactregistry, gitlab, projects, secretmanager
from components.settings import RegistryName, Settings, is_digest
from components.source import SourceProject

if TYPE_CHECKING:
    import pulumi_docker as docker

VALID_PERIODS = 2
"""A pull token is valid for two periods: one past the end of its own, the margin for a
refreshing `up` to renew it."""


def regions_in_use(settings: Settings) -> dict[RegistryName, list[str]]:
    """Per registry, the regions that pull from it: the regions of the fleets whose images
    it holds and of the deployments that pull from it. Sorted: the order means nothing."""
    used: dict[RegistryName, set[str]] = {}
    for fleet in settings.fleets.values():
        used.setdefault(fleet.image_registry, set()).update(fleet.regions)
    for deployment in settings.runway.deployments.values():
        regions = deployment.regions or settings.fleets[deployment.fleet].regions
        used.setdefault(deployment.pull_from, set()).update(regions)
    return {registry: sorted(regions) for registry, regions in sorted(used.items())}


class RegistryPull(DeliveryComponent):
    """Per registry in use: a deploy token, its secret, and a remote repository per region."""

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        sources: Mapping[RegistryName, SourceProject],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("RegistryPull", name, opts)
        gcp = settings.gcp
        self.registry_host = settings.gitlab.registry_host
        self.sources = sources
        days = settings.runway.pull_token.rotation_days
        self.period = rotation.period(self.child("token-period"), days, self.child_opts())
        self.expires: pulumi.Output[str] = self.period.rfc3339.apply(
            lambda start: rotation.days_after(start, VALID_PERIODS * days)
        )
        self.repositories: dict[RegistryName, dict[str, artifactregistry.Repository]] = {}
        self.tokens: dict[RegistryName, gitlab.ProjectDeployToken] = {}
        self._lookups: dict[RegistryName, docker.Provider] = {}  # tag lookups, per registry

        self.project_id = gcp.project_id
        adopt = gcp.project_id if settings.existing.pull else None  # its secret, repositories
        self.agent = projects.ServiceIdentity(
            self.child("agent"),
            service="artifactregistry.googleapis.com",
            opts=self.child_opts(),
        )
        needs_lookup = {
            f.image_registry
            for f in settings.fleets.values()
            if f.image is not None and not is_digest(f.image)
        }
        for registry, regions in regions_in_use(settings).items():
            source = sources[registry]
            part = self.child(registry)
            token = gitlab.ProjectDeployToken(
                f"{part}-token",
                project=source.project.id,
                name="artifact-registry-pull",
                scopes=["read_registry"],
                expires_at=self.expires.apply(lambda day: f"{day}T00:00:00Z"),
                opts=self.child_opts(
                    additional_secret_outputs=["token"], delete_before_replace=False
                ),
            )
            self.tokens[registry] = token
            credential: pulumi.Output[str] = pulumi.Output.secret(token.token)
            secret = secretmanager.Secret(
                f"{part}-secret",
                secret_id=f"gitlab-{registry}-registry-pull",  # the import id's too
                replication={"auto": {}},
                opts=self.child_opts(
                    import_=adopt and adoption.secret(adopt, f"gitlab-{registry}-registry-pull")
                ),
            )
            version = secretmanager.SecretVersion(
                f"{part}-secret-version",
                secret=secret.id,
                secret_data=credential,
                opts=self.child_opts(),
            )
            # The service agent reads this secret only: no project-wide secret access.
            access = secretmanager.SecretIamMember(
                f"{part}-secret-access",
                secret_id=secret.secret_id,
                role="roles/secretmanager.secretAccessor",
                member=self.agent.member,
                opts=self.child_opts(),
            )
            self.repositories[registry] = {
                region: artifactregistry.Repository(
                    f"{part}-{region}",
                    location=region,
                    repository_id=self.repository_id(registry),
                    format="DOCKER",
                    mode="REMOTE_REPOSITORY",
                    description=f"Pull-through cache of the {registry} project's GitLab "
                    "registry, for Cloud Run.",
                    remote_repository_config=_remote(
                        f"https://{self.registry_host}", token, version, registry
                    ),
                    # Readable credentials before the first pull.
                    opts=self.child_opts(
                        depends_on=[access],
                        import_=adopt
                        and adoption.artifact_repository(
                            adopt, region, self.repository_id(registry)
                        ),
                    ),
                )
                for region in regions
            }
            if registry in needs_lookup:
                # A tag is resolved to its digest with the same read-only token.
                self._lookups[registry] = _docker().Provider(
                    f"{part}-lookup",
                    disable_docker_daemon_check=True,
                    registry_auth=[
                        _docker().ProviderRegistryAuthArgs(
                            address=self.registry_host,
                            username=token.username,
                            password=credential,
                        )
                    ],
                    opts=self.child_opts(),
                )
        self.register_outputs(
            {
                "tokenExpiresAt": self.expires,
                "repositories": {
                    registry: {region: repo.id for region, repo in repos.items()}
                    for registry, repos in self.repositories.items()
                },
            }
        )

    @staticmethod
    def repository_id(registry: RegistryName) -> str:
        """The remote repository's id, the same in every region."""
        return f"gitlab-{registry}"

    def image_path(self, registry: RegistryName) -> str:
        """The image's path below the registry host, as the remote repository serves it."""
        return self.sources[registry].image.removeprefix(f"{self.registry_host}/")

    def image(
        self, registry: RegistryName, region: str, digest: pulumi.Input[str]
    ) -> pulumi.Output[str]:
        """The image by digest, through this region's remote repository."""
        repo = self.repositories[registry][region]
        return pulumi.Output.concat(
            repo.location,
            "-docker.pkg.dev/",
            self.project_id,
            "/",
            repo.repository_id,
            "/",
            self.image_path(registry),
            "@",
            digest,
        )

    def digest(self, registry: RegistryName, reference: str) -> pulumi.Output[str]:
        """`reference` as a digest: itself when pinned, else the tag's digest, looked up in
        the GitLab registry with the pull token (pulumi-docker's registry image lookup)."""
        if is_digest(reference):
            return pulumi.Output.from_input(reference)
        found = _docker().get_registry_image_output(
            name=f"{self.sources[registry].image}:{reference}",
            opts=pulumi.InvokeOutputOptions(provider=self._lookups[registry]),
        )
        digest: pulumi.Output[str] = found.sha256_digest
        return digest


def _docker() -> ModuleType:
    """pulumi-docker, imported when a tag is to be resolved: a stack of digests (prod) does
    not pay for its import (a third of a second)."""
    return importlib.import_module("pulumi_docker")


def _remote(
    upstream: str,
    token: gitlab.ProjectDeployToken,
    version: secretmanager.SecretVersion,
    registry: str,
) -> artifactregistry.RepositoryRemoteRepositoryConfigArgsDict:
    return {
        "description": f"GitLab registry ({registry} project)",
        "docker_repository": {"custom_repository": {"uri": upstream}},
        "upstream_credentials": {
            "username_password_credentials": {
                "username": token.username,
                "password_secret_version": version.name,
            }
        },
    }
