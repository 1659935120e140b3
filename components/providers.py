"""The stack's explicit providers: built once from settings, handed down to every part.

Default providers are disabled for the packages the program uses
(`pulumi:disable-default-providers` in Pulumi.yaml), so a resource or invoke that forgets its
provider fails at preview instead of reaching prod through ambient credentials and settings.
Each top-level component gets `Providers.options()`: a component's `providers` are inherited
by its children (the SDK picks a child's provider from its parent's by package), and an
invoke finds its provider through `InvokeOptions(parent=...)` (pulumi/runtime/invoke.py).

- Google Cloud: `project` from settings (the resources no longer repeat it), and
  `default_labels` that every labelled resource gets (`managed-by`, `stack`).
- GitLab: `base_url` from the GitLab settings URL. The token is `GITLAB_TOKEN` from the
  environment of `pulumi up`, never config (the provider reads it there itself).
- time (pulumiverse-time, the rotation periods of `components/rotation.py`): no settings and
  no credentials, explicit all the same so that one rule holds for every package the
  program uses.
- Docker Hub: the dynamic provider of `components/dockerhub.py` is stateless by design (its
  pickle holds no attributes) and reads its credentials from the environment; what the
  stack decides about Docker Hub, the namespace, is the `DockerHubAccount` its repositories
  are built with.

The pulumi-docker providers of the registry tag lookups are explicit already, one per
registry, with the pull token (components/pull.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp
import pulumiverse_time

from components.light import gitlab
from components.rules import MANAGER
from components.settings import Settings

GITLAB_API = "/api/v4/"
"""The GitLab provider's `base_url` is the API endpoint, ending with a slash
(`pulumi_gitlab.Provider`: "e.g. `https://my.gitlab.server/api/v4/` ... must end with a slash")."""


@dataclass(frozen=True)
class DockerHubAccount:
    """The Docker Hub namespace the stack's repositories are created in."""

    namespace: str


@dataclass(frozen=True)
class Providers:
    gcp: pulumi_gcp.Provider
    gitlab: gitlab.Provider
    time: pulumiverse_time.Provider
    dockerhub: DockerHubAccount

    def options(self) -> pulumi.ResourceOptions:
        """A top-level component's options: its children use these providers."""
        return pulumi.ResourceOptions(providers=[self.gcp, self.gitlab, self.time])


def stack_providers(settings: Settings) -> Providers:
    return Providers(
        gcp=pulumi_gcp.Provider(
            "gcp",
            project=settings.gcp.project_id,
            default_labels={"managed-by": MANAGER, "stack": pulumi.get_stack()},
        ),
        gitlab=gitlab.Provider("gitlab", base_url=settings.gitlab.url.rstrip("/") + GITLAB_API),
        time=pulumiverse_time.Provider("time"),
        dockerhub=DockerHubAccount(namespace=settings.dockerhub.namespace),
    )
