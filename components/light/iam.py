"""`pulumi_gcp.iam`'s classes the program uses, light at run time
(components/light/__init__.py). Read from pulumi-gcp 10.2 (`pulumi_gcp/iam/`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.light import stand_ins
from components.light.gcp import GcpResource
from contract import Gcp

SDK = "pulumi_gcp.iam"
"""The SDK module these stand in for."""


class _WorkloadIdentityPool(GcpResource):
    TYPE = Gcp.WIF_POOL
    OUTPUTS = ("name", "workload_identity_pool_id")


class _WorkloadIdentityPoolProvider(GcpResource):
    TYPE = Gcp.WIF_PROVIDER
    OUTPUTS = ("name",)


LIGHT = stand_ins(_WorkloadIdentityPool, _WorkloadIdentityPoolProvider)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.iam import WorkloadIdentityPool as WorkloadIdentityPool
    from pulumi_gcp.iam import WorkloadIdentityPoolProvider as WorkloadIdentityPoolProvider
else:
    globals().update(LIGHT)
