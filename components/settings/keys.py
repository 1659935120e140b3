"""The stable keys that name resources: fleet and deployment ids.

Their limits come from what they name: a fleet id ends in `<id>-runtime` and a deployment id
in `<id>-deployer`, Google Cloud service account ids of at most 30 characters (contract.py
derives `FLEET_ID_MAX` and `DEPLOYMENT_ID_MAX`). A fleet id is also the value of its
services' `fleet` label, which Google Cloud allows up to 63 lowercase letters, digits, '_'
and '-' (https://cloud.google.com/compute/docs/labeling-resources#requirements): the rule
here is stricter on both counts."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

from contract import DEPLOYMENT_ID_MAX, FLEET_ID_MAX


def _key_id(limit: int, named: str) -> Any:
    """A stable key (fleet or deployment id) that names resources: short, DNS-like."""

    def check(value: str) -> str:
        if not re.fullmatch(r"[a-z]([a-z0-9-]*[a-z0-9])?", value) or len(value) > limit:
            raise ValueError(
                f"must be lowercase letters, digits and '-', at most {limit} characters "
                f"(it names {named})"
            )
        return value

    return AfterValidator(check)


FleetId = Annotated[
    str, _key_id(FLEET_ID_MAX, "the fleet's resources and its '<id>-runtime' account")
]
DeploymentId = Annotated[
    str, _key_id(DEPLOYMENT_ID_MAX, "the deployment's '<id>-deployer' service account")
]
