"""`pulumi_gcp.serviceaccount`'s classes the program uses, light at run time
(components/light/__init__.py). Read from pulumi-gcp 10.2 (`pulumi_gcp/serviceaccount/`):
both carry the alias of their old `serviceAccount` module's type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.light import stand_ins
from components.light.gcp import GcpResource
from contract import Gcp

SDK = "pulumi_gcp.serviceaccount"
"""The SDK module these stand in for."""


class _Account(GcpResource):
    TYPE = Gcp.SERVICE_ACCOUNT
    OUTPUTS = ("email", "name", "member")
    ALIASES = ("gcp:serviceAccount/account:Account",)


class _IAMMember(GcpResource):
    TYPE = Gcp.SERVICE_ACCOUNT_IAM_MEMBER
    ALIASES = ("gcp:serviceAccount/iAMMember:IAMMember",)


LIGHT = stand_ins(_Account, _IAMMember)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.serviceaccount import Account as Account
    from pulumi_gcp.serviceaccount import IAMMember as IAMMember
else:
    globals().update(LIGHT)
