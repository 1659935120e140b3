"""The release edge: protected `self-hosted-vX.Y.Z-ee` tags push to Docker Hub.

Two halves. The Docker Hub repositories the release jobs push to (protected and retained in
prod: deleting one would break every self-hosted customer's pull). And the push credentials,
as CI variables of both the canonical and the security project (the security project cuts
security releases with the same tags): `DOCKERHUB_USERNAME` and `DOCKERHUB_PASSWORD`, both
protected, so that only pipelines of protected refs, the protected release tags among them,
receive them. Each variable is created only after its project's release tags are protected,
so there is never a moment when an unprotected tag could read the token.

What is masked: the password, always, and hidden too (GitLab hides only masked values). The
username is not a credential: it is the namespace customers see in every pull reference, and
GitLab masks every occurrence of a masked value in job logs, so masking `gitlab` would blank
out every image reference and URL in the release logs. It is protected like the password.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components import adoption
from components.base import DeliveryComponent
from components.dockerhub import DockerHubRepository
from components.light import gitlab
from components.providers import DockerHubAccount
from components.rules import MANAGED_BY
from components.settings import DockerHubSettings, ReleaseSettings
from components.source import SourceProject
from contract import DOCKERHUB_VARIABLE_PREFIX

USERNAME_VARIABLE = DOCKERHUB_VARIABLE_PREFIX + "USERNAME"
PASSWORD_VARIABLE = DOCKERHUB_VARIABLE_PREFIX + "PASSWORD"


class DockerHubRelease(DeliveryComponent):
    """Docker Hub repositories, and the credentials protected release tags push to them with."""

    def __init__(
        self,
        name: str,
        settings: DockerHubSettings,
        *,
        push_token: pulumi.Output[str],
        projects: Sequence[SourceProject],
        release: ReleaseSettings,
        account: DockerHubAccount,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("DockerHubRelease", name, opts)
        self.settings = settings
        self.repositories = {
            key: DockerHubRepository(
                self.child(key),
                account=account,
                name=settings.repository_name(key),
                visibility=repo.visibility,
                short_description=repo.short_description,
                full_description=repo.full_description,
                opts=self.child_opts(),
            )
            for key, repo in sorted(settings.repositories.items())
        }
        self.pull_references = {key: settings.pull_reference(key) for key in self.repositories}

        where = f"{settings.namespace}/* on Docker Hub"
        tags = f"protected release tags ({release.tag_pattern})"
        self.variables: list[gitlab.ProjectVariable] = []
        for project in projects:
            only_after = [project.release_tags]
            ref = project.adopted_as  # the release jobs already have these variables
            self.variables.append(
                gitlab.ProjectVariable(
                    self.child(f"{project.component_name}-username"),
                    project=project.project.id,
                    key=USERNAME_VARIABLE,
                    value=settings.username,
                    description=f"The account the {tags} push to {where} as.",
                    protected=True,
                    masked=False,
                    hidden=False,
                    raw=True,
                    opts=self.child_opts(
                        depends_on=only_after,
                        import_=ref and adoption.project_variable(ref, USERNAME_VARIABLE),
                    ),
                )
            )
            self.variables.append(
                gitlab.ProjectVariable(
                    self.child(f"{project.component_name}-password"),
                    project=project.project.id,
                    key=PASSWORD_VARIABLE,
                    value=push_token,
                    description=f"The token the {tags} push to {where} with. "
                    f"{MANAGED_BY}; set it with dockerhubToken.",
                    protected=True,
                    masked=True,
                    hidden=True,
                    raw=True,
                    opts=self.child_opts(
                        depends_on=only_after,
                        additional_secret_outputs=["value"],
                        import_=ref and adoption.project_variable(ref, PASSWORD_VARIABLE),
                    ),
                )
            )
        self.register_outputs({"pullReferences": self.pull_references})
