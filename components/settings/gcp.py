"""The Google Cloud project the fleets run in, and the Workload Identity Federation that lets
the Runway deployment projects' pipelines act there."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from components.settings.base import Model, matching
from components.settings.text import HttpsUrl, SingleLine, at_most

AUDIENCE_MAX = 256
"""`oidc.allowedAudiences[]`: "Each audience may be at most 256 characters" (IAM API,
WorkloadIdentityPoolProvider.Oidc, https://cloud.google.com/iam/docs/reference/rest/v1/
projects.locations.workloadIdentityPools.providers)."""
NO_SPACE = (
    "must be non-empty without whitespace: it is compared with the ID token's aud claim as is"
)


def _pool_id(value: str) -> str:
    """Pool and provider ids: 4 to 32 characters `[a-z0-9-]`, the prefix `gcp-` reserved for
    Google (IAM API, workloadIdentityPools.create and providers.create)."""
    if not re.fullmatch(r"[a-z0-9-]{4,32}", value) or value.startswith("gcp-"):
        raise ValueError(
            "must be 4 to 32 lowercase letters, digits and '-', not starting with 'gcp-'"
        )
    return value


class WorkloadIdentitySettings(Model):
    """The federation that lets the deployment projects' pipelines act in Google Cloud."""

    pool_id: Annotated[str, AfterValidator(_pool_id)] = "gitlab-deployments"
    provider_id: Annotated[str, AfterValidator(_pool_id)] = "gitlab-com"
    issuer: HttpsUrl = "https://gitlab.com"
    audience: Annotated[
        SingleLine,
        at_most(AUDIENCE_MAX, "Google's limit for an allowed audience"),
        matching(r"\S+", NO_SPACE),
    ]
    """The `aud` of the deployment pipelines' ID tokens: the provider's one allowed audience,
    and the `RUNWAY_OIDC_AUDIENCE` CI variable the pipelines put in `id_tokens`."""


class GcpSettings(Model):
    """The Google Cloud project the fleets run in, and how GitLab CI is trusted there."""

    project_id: Annotated[
        str,
        matching(
            r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
            "must be a Google Cloud project id: 6 to 30 lowercase letters, digits and '-'",
        ),
    ]
    workload_identity: WorkloadIdentitySettings
