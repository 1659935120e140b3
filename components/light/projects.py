"""`pulumi_gcp.projects`'s classes the program uses, light at run time
(components/light/__init__.py). Read from pulumi-gcp 10.2 (`pulumi_gcp/projects/`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.light import stand_ins
from components.light.gcp import GcpResource
from contract import Gcp

SDK = "pulumi_gcp.projects"
"""The SDK module these stand in for."""


class _ServiceIdentity(GcpResource):
    TYPE = Gcp.SERVICE_IDENTITY
    OUTPUTS = ("member",)


LIGHT = stand_ins(_ServiceIdentity)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.projects import ServiceIdentity as ServiceIdentity
else:
    globals().update(LIGHT)
