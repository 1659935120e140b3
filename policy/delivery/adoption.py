"""Adopted resources: what the stack does not own stays as the deploy tools left it.

Prod adopts what runs today, and its services keep being rolled out by the deployment
pipelines. The program ignores the fields those pipelines own
(`contract.CLOUD_RUN_DEPLOY_OWNED`); this policy holds it to that, so a refactor that drops
the option fails at preview instead of reverting the last rollout's metadata in every region.

What a policy cannot see: whether a resource is imported, and what its live state is. The
analyzer protocol carries neither (pulumi/pulumi `proto/pulumi/analyzer.proto`:
`AnalyzerResource` holds type, properties, URN, name, options, provider, parent and
dependencies; `AnalyzerResourceOptions` holds protect, ignoreChanges, deleteBeforeReplace,
additionalSecretOutputs, aliases, customTimeouts and parent, but no import id). So the other
half of "adoption changes nothing unreviewed", an import that the same `up` then updates, is
judged on the preview by the prod apply gate (`stackctl gate`), which sees the import and
update steps.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from contract import CLOUD_RUN_DEPLOY_OWNED

from .kinds import CLOUD_RUN_SERVICE
from .protection import PRODUCTION_CONFIG, production


def _deploy_fields_ignored(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CLOUD_RUN_SERVICE or not production(args):
        return
    missing = [field for field in CLOUD_RUN_DEPLOY_OWNED if field not in args.opts.ignore_changes]
    if missing:
        report(
            "in production (policy config: production is true) the deployment pipelines roll "
            "this service out, and a `pulumi up` would revert what they set: add "
            f"{', '.join(missing)} to ignore_changes",
            None,
        )


adopted_services_leave_deploy_fields = ResourceValidationPolicy(
    name="adopted-services-leave-deploy-fields",
    description="In production Cloud Run services ignore what the deployment pipelines set.",
    validate=_deploy_fields_ignored,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PRODUCTION_CONFIG,
)

POLICIES = [adopted_services_leave_deploy_fields]
