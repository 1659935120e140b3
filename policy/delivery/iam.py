"""Google Cloud IAM: no basic roles, deployers scoped to their services, and a workload
identity provider that trusts only named GitLab projects.

Properties are those of pulumi-gcp 10.2: IAM members and bindings grant `role`, IAM policies
`policyData` (a JSON document of bindings); the WIF provider has `attributeCondition`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .cel import admitted_project_paths
from .kinds import CLOUD_RUN_SERVICE_IAM, PROJECT_WIDE_IAM, WIF_PROVIDER, iam_grant_kind
from .reading import UNKNOWN, Reader, setting

MANDATORY = EnforcementLevel.MANDATORY

# --- IAM -----------------------------------------------------------------------------------

BASIC_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
RUN_DEVELOPER = "roles/run.developer"


def granted_roles(args: ResourceValidationArgs, reader: Reader) -> list[str] | None:
    """The roles an IAM resource grants; None if it grants none (or cannot be read)."""
    kind = iam_grant_kind(args.resource_type)
    if kind is None:
        return None
    if kind != "policy":
        role = reader.get(args.props, "role")
        return [role] if isinstance(role, str) else None
    data = reader.get(args.props, "policyData")
    if not isinstance(data, str):
        return None
    try:
        bindings: Any = json.loads(data).get("bindings") or []
    except (ValueError, AttributeError):
        return ["(policyData is not a JSON IAM policy)"]
    return [b["role"] for b in bindings if isinstance(b, dict) and isinstance(b.get("role"), str)]


def _no_basic_roles(args: ResourceValidationArgs, report: ReportViolation) -> None:
    reader = Reader()
    for role in granted_roles(args, reader) or []:
        if role in BASIC_ROLES:
            report(
                f"grants the basic role {role}, which spans every service of its scope: grant "
                "the predefined role the job needs",
                None,
            )
        elif role.startswith("(policyData"):
            report(role, None)
    reader.finish()


iam_no_basic_roles = ResourceValidationPolicy(
    name="iam-no-basic-roles",
    description="No basic role (roles/owner, roles/editor, roles/viewer) is granted anywhere.",
    validate=_no_basic_roles,
    enforcement_level=MANDATORY,
)


def _run_developer_on_services(args: ResourceValidationArgs, report: ReportViolation) -> None:
    reader = Reader()
    roles = granted_roles(args, reader) or []
    if RUN_DEVELOPER in roles and args.resource_type not in CLOUD_RUN_SERVICE_IAM:
        where = (
            "project-wide, so the deployer could change every service in the project"
            if args.resource_type in PROJECT_WIDE_IAM
            else f"on a {args.resource_type}"
        )
        report(
            f"grants {RUN_DEVELOPER} {where}: grant it on the deployment's own Cloud Run "
            "services (gcp:cloudrunv2/serviceIamMember:ServiceIamMember)",
            None,
        )
    reader.finish()


iam_run_developer_on_services = ResourceValidationPolicy(
    name="iam-run-developer-on-services-only",
    description="roles/run.developer is granted on Cloud Run services, never on the project.",
    validate=_run_developer_on_services,
    enforcement_level=MANDATORY,
)

# --- Workload Identity Federation ---------------------------------------------------------

WIF_CONFIG = PolicyConfigSchema(
    properties={
        "allowedProjectPaths": {
            "type": "array",
            "items": {"type": "string"},
            "description": "If not empty, the only GitLab project paths the WIF provider may "
            "admit in this stack.",
            "default": [],
        },
    }
)
FULL_PROJECT_PATH = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")


def _wif_condition(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != WIF_PROVIDER:
        return
    reader = Reader()
    condition = reader.get(args.props, "attributeCondition")
    if condition is UNKNOWN:
        reader.finish()
        return
    paths = admitted_project_paths(condition) if isinstance(condition, str) else None
    if paths is None:
        what = (
            "does not restrict assertion.project_path to named projects"
            if isinstance(condition, str) and condition.strip()
            else "is unset"
        )
        report(
            f"attributeCondition {what}, so any GitLab pipeline could use this provider: "
            'require assertion.project_path in ["group/project", ...] (in every alternative)',
            None,
        )
        return
    malformed = sorted(p for p in paths if not FULL_PROJECT_PATH.match(p))
    if malformed:
        report(f"attributeCondition names {malformed}, which are not full project paths", None)
    allowed = set(setting(args, WIF_CONFIG, "allowedProjectPaths"))
    extra = sorted(paths - allowed) if allowed else []
    if extra:
        report(f"attributeCondition admits {extra}, not allowed in this stack", None)


wif_condition_names_projects = ResourceValidationPolicy(
    name="wif-condition-names-projects",
    description="The workload identity provider admits only named GitLab project paths.",
    validate=_wif_condition,
    enforcement_level=MANDATORY,
    config_schema=WIF_CONFIG,
)

POLICIES = [
    iam_no_basic_roles,
    iam_run_developer_on_services,
    wif_condition_names_projects,
]
