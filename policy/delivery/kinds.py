"""Which resources the policies look at: type tokens, and how to recognise the rest.

The tokens of what the program registers come from `contract.py` (the program, the tools and
this pack share them); the lists of other tokens a policy also watches for (group and
instance variables, other token kinds) are the pack's own and stay here. Property names are
the engine's camelCase ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from contract import Gcp, GitLab, Pulumi

from .reading import keys

# --- GitLab -------------------------------------------------------------------------------

PROJECT = GitLab.PROJECT
PUSH_MIRROR = GitLab.PUSH_MIRROR
PROJECT_ACCESS_TOKEN = GitLab.ACCESS_TOKEN
TAG_PROTECTION = GitLab.TAG_PROTECTION
PROJECT_VARIABLE = GitLab.VARIABLE

CI_VARIABLES: Mapping[str, bool] = {
    # type -> whether GitLab can hide its value (instance variables cannot be hidden)
    PROJECT_VARIABLE: True,
    "gitlab:index/groupVariable:GroupVariable": True,
    "gitlab:index/instanceVariable:InstanceVariable": False,
}

EXPIRING_TOKENS: Mapping[str, bool] = {
    # type -> whether it can rotate (rotationConfiguration); otherwise it must set expiresAt
    PROJECT_ACCESS_TOKEN: True,
    "gitlab:index/groupAccessToken:GroupAccessToken": True,
    "gitlab:index/personalAccessToken:PersonalAccessToken": True,
    "gitlab:index/projectServiceAccountAccessToken:ProjectServiceAccountAccessToken": True,
    "gitlab:index/groupServiceAccountAccessToken:GroupServiceAccountAccessToken": True,
    GitLab.DEPLOY_TOKEN: False,
    "gitlab:index/groupDeployToken:GroupDeployToken": False,
}

CREDENTIAL_SOURCES = frozenset(
    {
        # Resources whose outputs are credentials: a CI variable fed from one holds a credential.
        *EXPIRING_TOKENS,
        GitLab.PIPELINE_TRIGGER,
        "gitlab:index/userImpersonationToken:UserImpersonationToken",
        "gitlab:index/clusterAgentToken:ClusterAgentToken",
        "gitlab:index/runnerControllerToken:RunnerControllerToken",
        "gcp:serviceaccount/key:Key",
        Gcp.SECRET_VERSION,
        "random:index/randomPassword:RandomPassword",
    }
)

# --- Google Cloud -------------------------------------------------------------------------

CLOUD_RUN_SERVICE = Gcp.SERVICE
SERVICE_ACCOUNT = Gcp.SERVICE_ACCOUNT
WIF_PROVIDER = Gcp.WIF_PROVIDER

PROJECT_WIDE_IAM = frozenset(
    f"gcp:{scope}/iAM{kind}:IAM{kind}"
    for scope in ("projects", "folder", "organizations")
    for kind in ("Member", "Binding", "Policy")
)
CLOUD_RUN_SERVICE_IAM = frozenset(
    {
        *(f"gcp:cloudrunv2/serviceIam{k}:ServiceIam{k}" for k in ("Member", "Binding", "Policy")),
        *(f"gcp:cloudrun/iam{k}:Iam{k}" for k in ("Member", "Binding", "Policy")),
    }
)

IamKind = Literal["member", "binding", "policy"]
_IAM_KINDS: tuple[IamKind, ...] = ("member", "binding", "policy")


def iam_grant_kind(type_: str) -> IamKind | None:
    """Whether `type_` grants IAM roles, and how: one member or several (`role`), or a whole
    policy (`policyData`, a JSON document of bindings).

    Every Google Cloud IAM resource of pulumi-gcp follows one naming scheme (`IAMMember`,
    `ServiceIamBinding`, `BucketIAMPolicy`, whatever the service), so a grant on a resource
    type no policy names explicitly is still seen. `IamMemberRemove` and audit configs grant
    nothing and are not matched.
    """
    if not type_.startswith("gcp:"):
        return None
    name = type_.rsplit(":", 1)[-1].lower()
    return next((kind for kind in _IAM_KINDS if name.endswith("iam" + kind)), None)


# --- Docker Hub (the dynamic provider) -----------------------------------------------------

DYNAMIC = Pulumi.DYNAMIC_PREFIX
DOCKERHUB_PROPERTIES = frozenset({"namespace", "name", "visibility"})


def is_dockerhub_repository(type_: str, props: Mapping[str, Any]) -> bool:
    """A Docker Hub repository of the dynamic provider.

    A dynamic resource's type names only what its class chose to call it, so a Docker Hub
    repository is recognised by its properties. Its `__provider` input (the pickled
    provider) is no help: the engine leaves `__`-prefixed keys out of what it sends a policy
    pack (`SkipInternalKeys`), and `stackctl check` does the same.
    """
    return type_.startswith(DYNAMIC) and keys(props) >= DOCKERHUB_PROPERTIES
