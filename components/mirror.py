"""The push mirror from the canonical project to the security project.

GitLab pushes the canonical project's protected branches to the security project over
https, authenticated with a project access token of the security project. The token
rotates (GitLab's rotation API, applied on `pulumi up` inside the rotation window); the
mirror URL embeds it, so it is a secret and is rewritten whenever the token rotates.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pulumi
import pulumi_gitlab as gitlab

from components.base import DeliveryComponent
from components.rules import MANAGED_BY
from components.settings import MirrorSettings
from components.source import SourceProject

MIRROR_USER = "push-mirror"
"""Git over https takes a project access token as the password and any non-blank user."""


class PushMirror(DeliveryComponent):
    """Canonical -> security: a rotating write token on the target, a mirror on the source."""

    def __init__(
        self,
        name: str,
        *,
        source: SourceProject,
        target: SourceProject,
        settings: MirrorSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("PushMirror", name, opts)
        self.token = gitlab.ProjectAccessToken(
            self.child("token"),
            project=target.project.id,
            name=f"push mirror from {source.settings.path}",
            description="Lets the canonical project's push mirror write to this project. "
            f"{MANAGED_BY}; rotated by pulumi up.",
            scopes=["write_repository"],
            access_level="maintainer",
            rotation_configuration=gitlab.ProjectAccessTokenRotationConfigurationArgs(
                expiration_days=settings.token_expiration_days,
                rotate_before_days=settings.rotate_before_days,
            ),
            opts=self.child_opts(),
        )
        host = urlsplit(target.web_url).netloc
        url: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.concat(
                "https://",
                MIRROR_USER,
                ":",
                self.token.token,
                "@",
                host,
                "/",
                target.settings.path,
                ".git",
            )
        )
        self.mirror = gitlab.ProjectPushMirror(
            self.child("push"),
            project=source.project.id,
            url=url,
            auth_method="password",
            enabled=True,
            only_protected_branches=settings.only_protected_branches,
            keep_divergent_refs=settings.keep_divergent_refs,
            opts=self.child_opts(additional_secret_outputs=["url"]),
        )
        self.register_outputs({"id": self.mirror.id})
