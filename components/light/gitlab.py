"""`pulumi_gitlab`'s classes the program uses, light at run time (components/light/__init__.py).

Read from pulumi-gitlab 10.4 (`pulumi_gitlab/<resource>.py`, `_internal_init`): the inputs it
wraps as secrets and its `additional_secret_outputs`; none of these classes has an alias.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.light import LightProvider, LightResource, invoke, stand_ins
from contract import GitLab

PACKAGE = SDK = "pulumi_gitlab"
"""The SDK these stand in for, which is also the package whose plugin they ask for."""


class _Resource(LightResource):
    PACKAGE = PACKAGE


class _Provider(LightProvider):
    PACKAGE = PACKAGE
    TYPE = "gitlab"
    SECRET_INPUTS = ("token",)
    SECRET_OUTPUTS = ("token",)
    JSON_INPUTS = ("early_auth_check", "enable_auto_ci_support", "headers", "insecure", "retries")


class _Project(_Resource):
    TYPE = GitLab.PROJECT
    OUTPUTS = ("path_with_namespace",)
    SECRET_INPUTS = ("import_url_password",)
    SECRET_OUTPUTS = ("importUrlPassword", "runnersToken")


class _BranchProtection(_Resource):
    TYPE = GitLab.BRANCH_PROTECTION


class _TagProtection(_Resource):
    TYPE = GitLab.TAG_PROTECTION


class _ProjectContainerRepositoryProtection(_Resource):
    TYPE = GitLab.REGISTRY_PROTECTION


class _ProjectPackageProtectionRule(_Resource):
    TYPE = GitLab.PACKAGE_PROTECTION


class _ProjectVariable(_Resource):
    TYPE = GitLab.VARIABLE


class _PipelineTrigger(_Resource):
    TYPE = GitLab.PIPELINE_TRIGGER
    OUTPUTS = ("token",)
    SECRET_OUTPUTS = ("token",)


class _ProjectJobTokenScope(_Resource):
    TYPE = GitLab.JOB_TOKEN_SCOPE


class _ProjectAccessToken(_Resource):
    TYPE = GitLab.ACCESS_TOKEN
    OUTPUTS = ("token",)
    SECRET_OUTPUTS = ("token",)


class _ProjectPushMirror(_Resource):
    TYPE = GitLab.PUSH_MIRROR
    SECRET_INPUTS = ("url",)
    SECRET_OUTPUTS = ("url",)


class _ProjectDeployToken(_Resource):
    TYPE = GitLab.DEPLOY_TOKEN
    OUTPUTS = ("token", "username")
    SECRET_OUTPUTS = ("token",)


def _get_project_output(
    *, opts: pulumi.InvokeOutputOptions | None = None, **args: Any
) -> pulumi.Output[Any]:
    return invoke(PACKAGE, GitLab.GET_PROJECT, args, opts)


def _get_group_output(
    *, opts: pulumi.InvokeOutputOptions | None = None, **args: Any
) -> pulumi.Output[Any]:
    return invoke(PACKAGE, GitLab.GET_GROUP, args, opts)


LIGHT = stand_ins(
    _Provider,
    _Project,
    _BranchProtection,
    _TagProtection,
    _ProjectContainerRepositoryProtection,
    _ProjectPackageProtectionRule,
    _ProjectVariable,
    _PipelineTrigger,
    _ProjectJobTokenScope,
    _ProjectAccessToken,
    _ProjectPushMirror,
    _ProjectDeployToken,
    _get_project_output,
    _get_group_output,
)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gitlab import BranchProtection as BranchProtection
    from pulumi_gitlab import PipelineTrigger as PipelineTrigger
    from pulumi_gitlab import Project as Project
    from pulumi_gitlab import ProjectAccessToken as ProjectAccessToken
    from pulumi_gitlab import (
        ProjectContainerExpirationPolicyArgsDict as ProjectContainerExpirationPolicyArgsDict,
    )
    from pulumi_gitlab import (
        ProjectContainerRepositoryProtection as ProjectContainerRepositoryProtection,
    )
    from pulumi_gitlab import ProjectDeployToken as ProjectDeployToken
    from pulumi_gitlab import ProjectJobTokenScope as ProjectJobTokenScope
    from pulumi_gitlab import ProjectPackageProtectionRule as ProjectPackageProtectionRule
    from pulumi_gitlab import ProjectPushMirror as ProjectPushMirror
    from pulumi_gitlab import ProjectVariable as ProjectVariable
    from pulumi_gitlab import Provider as Provider
    from pulumi_gitlab import TagProtection as TagProtection
    from pulumi_gitlab import get_group_output as get_group_output
    from pulumi_gitlab import get_project_output as get_project_output
else:
    globals().update(LIGHT)
