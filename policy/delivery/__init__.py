"""The aigw-delivery policy pack: the delivery's invariants as CrossGuard policies.

Importable without side effects, so that the same policy objects run under the Pulumi CLI
(`policy/__main__.py` builds the `PolicyPack` from `POLICIES`), offline (`python -m stackctl
check`) and in tests. The CLI runs the pack from inside `policy/`, where this package is
`delivery`; from the repository root it is `policy.delivery`. Modules inside import each
other relatively, so both work.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from . import adoption, cloudrun, credentials, dockerhub, gitlab, iam, protection, replacement

PACK_NAME = "aigw-delivery"

POLICIES: list[Policy] = [
    *gitlab.POLICIES,
    *credentials.POLICIES,
    *protection.POLICIES,
    *replacement.POLICIES,
    *cloudrun.POLICIES,
    *adoption.POLICIES,
    *iam.POLICIES,
    *dockerhub.POLICIES,
]


def pack_arguments() -> dict[str, Any]:
    """The keyword arguments of `PolicyPack` (constructing one starts a server and blocks)."""
    return {
        "name": PACK_NAME,
        "policies": POLICIES,
        "enforcement_level": EnforcementLevel.MANDATORY,
        "description": "The invariants of the AI Gateway and Duo Workflow Service delivery.",
    }
