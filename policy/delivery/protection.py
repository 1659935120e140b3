"""Production keeps what cannot be re-created without harm; which stack is production is
policy config.

A policy cannot see the stack's name or config, and guessing the environment from names would
let a renamed stack slip through. Each policy whose rule depends on the environment takes a
`production` setting, which defaults to true: a stack run without its policy config
(`--policy-pack-config policy/config/<stack>.json`) is held to production's rules, so a
missing file fails closed.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kinds import PROJECT, is_dockerhub_repository
from .reading import UNKNOWN, Reader, setting

PRODUCTION_CONFIG = PolicyConfigSchema(
    properties={
        "production": {
            "type": "boolean",
            "description": "Whether this stack is production. Defaults to true, so that a "
            "stack checked without its policy config is held to production's rules.",
            "default": True,
        },
    }
)


def production(args: ResourceValidationArgs) -> bool:
    return bool(setting(args, PRODUCTION_CONFIG, "production"))


def _protected_in_prod(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == PROJECT:
        kind = "GitLab project"
    elif is_dockerhub_repository(args.resource_type, args.props):
        kind = "Docker Hub repository"
    else:
        return
    if not production(args):
        return
    reader = Reader()
    missing = []
    if not args.opts.protect:
        missing.append("protect")
    # Not part of the analyzer protocol: the CLI cannot show it to a policy. `stackctl check`
    # passes it from the graph, so the offline check (run on every merge request) holds it.
    if getattr(args.opts, "retain_on_delete", None) is False:
        missing.append("retain_on_delete")
    if kind == "GitLab project":
        archive = reader.get(args.props, "archiveOnDestroy")
        if archive is not UNKNOWN and archive is not True:
            missing.append("archiveOnDestroy: true")
    if missing:
        report(
            f"in production (policy config: production is true) a {kind} cannot be "
            "re-created without harm (its history, its pulls and its users would be lost): "
            f"set {', '.join(missing)}",
            None,
        )
    reader.finish()


prod_resources_protected = ResourceValidationPolicy(
    name="prod-resources-protected",
    description="In production every GitLab project and Docker Hub repository is protected "
    "and retained on delete.",
    validate=_protected_in_prod,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PRODUCTION_CONFIG,
)

POLICIES = [prod_resources_protected]
