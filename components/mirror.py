"""The push mirror from the canonical project to the security project.

GitLab pushes the canonical project's protected branches to the security project over
https, authenticated with a project access token of the security project; the mirror URL
embeds it, so it is a secret. Divergent refs are kept (settings refuse otherwise): the
security project's own fixes are never overwritten.

Renewal without a gap. GitLab's rotate API revokes the old token at once, before the
mirror's URL could change, and a push or rotate with a revoked token of a rotated family
revokes the new one too (docs.gitlab.com/api/project_access_tokens/#rotate-a-project-access-token,
"automatic reuse detection" in docs.gitlab.com/api/personal_access_tokens/). So there is no
`rotation_configuration` and no rotate call. Instead each rotation period
(`components/rotation.py`, kept in state) gets a token of its own: its `name` carries the
period's first day, and `name` forces replacement of a project access token (provider
`resource_gitlab_project_access_token.go`, `RequiresReplace`). `url` forces replacement of
the mirror (`resource_gitlab_project_push_mirror.go`; GitLab's remote mirror update takes no
url). Both keep Pulumi's default create-before-delete (`delete_before_replace` false, set
explicitly so a transform cannot flip it unnoticed), and the engine deletes replaced
resources after their replacements exist, dependents first (pulumi/pulumi
`pkg/resource/deploy/step_generator.go`: a create-before-delete replacement leaves the old
state pending deletion, and `GenerateDeletes`, run once every registration is done, deletes
it "due to replacement", in reverse dependency order): a new period therefore runs

1. create the new token (the old one still works, the mirror still pushes with it);
2. create the new mirror with the new token's URL;
3. delete the old mirror, then revoke the old token, last.

The token expires `tokenExpirationDays` after its period began, `rotateBeforeDays` after
the next period starts: the margin for a refreshing `up` to renew it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pulumi

from components import rotation
from components.base import DeliveryComponent
from components.light import gitlab
from components.rules import MANAGED_BY
from components.settings import MirrorSettings
from components.source import SourceProject

MIRROR_USER = "push-mirror"
"""Git over https takes a project access token as the password and any non-blank user."""


class PushMirror(DeliveryComponent):
    """Canonical -> security: a write token per period on the target, a mirror on the source."""

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
        self.period = rotation.period(
            self.child("token-period"), settings.renewal_days, self.child_opts()
        )
        self.token = gitlab.ProjectAccessToken(
            self.child("token"),
            project=target.project.id,
            name=self.period.rfc3339.apply(
                lambda start: f"push mirror from {source.settings.path} ({rotation.day_of(start)})"
            ),
            description="Lets the canonical project's push mirror write to this project. "
            f"{MANAGED_BY}; renewed by pulumi up, one token per period.",
            scopes=["write_repository"],
            access_level="maintainer",
            expires_at=self.period.rfc3339.apply(
                lambda start: rotation.days_after(start, settings.token_expiration_days)
            ),
            opts=self.child_opts(delete_before_replace=False),
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
            opts=self.child_opts(additional_secret_outputs=["url"], delete_before_replace=False),
        )
        self.register_outputs({"id": self.mirror.id})
