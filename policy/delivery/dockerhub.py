"""Docker Hub: repositories only in the namespaces this stack may publish to.

Self-hosted customers pull `gitlab/model-gateway-self-hosted`; a repository created in a
personal or look-alike namespace would publish the image where nobody audits it, and staging
must never write to production's namespace. Which namespaces a stack may use is policy config.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .kinds import is_dockerhub_repository
from .reading import UNKNOWN, Reader, setting, show

NAMESPACES_CONFIG = PolicyConfigSchema(
    properties={
        "allowedNamespaces": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The Docker Hub namespaces this stack may hold repositories in. "
            "Empty by default: a stack checked without its policy config may hold none.",
            "default": [],
        },
    }
)


def _allowed_namespaces(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_dockerhub_repository(args.resource_type, args.props):
        return
    allowed = list(setting(args, NAMESPACES_CONFIG, "allowedNamespaces"))
    reader = Reader()
    namespace = reader.get(args.props, "namespace")
    name = reader.get(args.props, "name")
    if namespace is not UNKNOWN and namespace not in allowed:
        repository = f"{namespace}/{name}" if isinstance(name, str) else show(namespace)
        report(
            f"Docker Hub repository {repository} is in namespace {show(namespace)}; this stack "
            f"may only use {', '.join(allowed) or 'no namespace (allowedNamespaces is empty)'}",
            None,
        )
    reader.finish()


dockerhub_allowed_namespaces = ResourceValidationPolicy(
    name="dockerhub-allowed-namespaces",
    description="Docker Hub repositories are only in the namespaces allowed for the stack.",
    validate=_allowed_namespaces,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=NAMESPACES_CONFIG,
)

POLICIES = [dockerhub_allowed_namespaces]
