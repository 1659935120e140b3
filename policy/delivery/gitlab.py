"""GitLab invariants: the security project is private, the push mirror pushes only what is
protected and never overwrites what diverged in the security project, tokens expire.

Messages never quote the mirror URL: it carries a token, and under the Pulumi CLI a policy
sees secrets in plaintext while its messages end up in CI logs.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .graph import sources
from .kinds import (
    EXPIRING_TOKENS,
    PROJECT,
    PROJECT_ACCESS_TOKEN,
    PUSH_MIRROR,
)
from .reading import UNKNOWN, Reader, show

MANDATORY = EnforcementLevel.MANDATORY

# --- the security project ------------------------------------------------------------------


def mirror_targets(mirror: PolicyResource) -> list[PolicyResource]:
    """The projects a push mirror pushes to, as the graph shows them.

    The mirror's URL is a secret built from a project access token of the target project
    (components/mirror.py: a project access token of the security project, and the push mirror
    on the canonical one), so the edges url -> token -> project name the
    target even in a preview where the URL, the token and the project's id are all unknown.
    Paths cannot serve: a project's inputs carry only its last path segment (both real
    projects are `ai-assist`), and ids are unknown until the project exists.
    """
    tokens = [t for t in sources(mirror, "url") if t.resource_type == PROJECT_ACCESS_TOKEN]
    targets = {
        p.urn: p for t in tokens for p in sources(t, "project") if p.resource_type == PROJECT
    }
    return list(targets.values())


def _security_project_private(args: StackValidationArgs, report: ReportViolation) -> None:
    reader = Reader()
    for mirror in (r for r in args.resources if r.resource_type == PUSH_MIRROR):
        targets = mirror_targets(mirror)
        if not targets:
            report(
                f"cannot tell which project the push mirror {mirror.name} pushes to: build its "
                "url from a project access token of the target project, so that the target "
                "(the security project) is visible in the graph",
                mirror.urn,
            )
        for project in targets:
            visibility = reader.get(project.props, "visibilityLevel")
            if visibility is not UNKNOWN and visibility != "private":
                report(
                    f"{project.name} is the security project (the push mirror {mirror.name} "
                    f"pushes to it) and must be private: visibilityLevel is {show(visibility)}",
                    project.urn,
                )
    reader.finish()


security_project_private = StackValidationPolicy(
    name="security-project-private",
    description="The security project, the one the push mirror pushes to, is private.",
    validate=_security_project_private,
    enforcement_level=MANDATORY,
    remediation_steps="Set visibilityLevel: private on the project the mirror pushes to.",
)

# --- the push mirror -----------------------------------------------------------------------


def _push_mirror(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != PUSH_MIRROR:
        return
    reader = Reader()
    only_protected = reader.get(args.props, "onlyProtectedBranches")
    if only_protected is not UNKNOWN and only_protected is not True:
        report(
            f"onlyProtectedBranches is {show(only_protected)}: the mirror would push every "
            "branch, including unreviewed ones, to the security project (GitLab's default is "
            "false, so set it to true)",
            None,
        )
    keep = reader.get(args.props, "keepDivergentRefs")
    if keep is not UNKNOWN and keep is not True:
        # GitLab overwrites a diverged ref of the target and removes refs the source lacks
        # unless divergent refs are kept (GitLab's doc/user/project/repository/mirror/push.md,
        # "Keep divergent refs"; gitlab-org/gitaly#2452). Unset is refused too: the mirror
        # must say it, not rest on a provider default that has changed before.
        report(
            f"keepDivergentRefs is {show(keep)}: GitLab would overwrite refs that diverged in "
            "the security project (unreleased security fixes on main and stable branches) "
            "and remove refs canonical does not have; set it to true",
            None,
        )
    url = reader.get(args.props, "url")
    if isinstance(url, str) and not url.startswith("https://"):
        scheme = url.split("://", 1)[0] if "://" in url else "no scheme"
        report(
            f"the mirror must push over https, not {scheme!r} "
            "(the URL itself is not shown: it carries a token)",
            None,
        )
    reader.finish()


push_mirror_protected_https = ResourceValidationPolicy(
    name="push-mirror-protected-branches-https",
    description="Push mirrors push only protected branches, over https, keeping divergent refs.",
    validate=_push_mirror,
    enforcement_level=MANDATORY,
)

# --- access and deploy tokens ------------------------------------------------------------------


def _tokens_expire(args: ResourceValidationArgs, report: ReportViolation) -> None:
    rotates = EXPIRING_TOKENS.get(args.resource_type)
    if rotates is None:
        return
    reader = Reader()
    rotation = reader.get(args.props, "rotationConfiguration") if rotates else None
    expires = reader.get(args.props, "expiresAt")
    known = [v for v in (rotation, expires) if v is not UNKNOWN]
    if any(known):
        return
    if len(known) < 2:
        reader.finish()  # nothing known says it expires, and something is unknown
    how = "set rotationConfiguration (or expiresAt)" if rotates else "set expiresAt"
    report(f"the token never expires: {how}", None)


tokens_expire_or_rotate = ResourceValidationPolicy(
    name="tokens-expire-or-rotate",
    description="Access tokens expire or rotate; deploy tokens expire.",
    validate=_tokens_expire,
    enforcement_level=MANDATORY,
)

POLICIES = [
    security_project_private,
    push_mirror_protected_https,
    tokens_expire_or_rotate,
]
