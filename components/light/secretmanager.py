"""`pulumi_gcp.secretmanager`'s classes the program uses, light at run time
(components/light/__init__.py). Read from pulumi-gcp 10.2 (`pulumi_gcp/secretmanager/`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.light import stand_ins
from components.light.gcp import LABELLED_SECRETS, GcpResource
from contract import Gcp

SDK = "pulumi_gcp.secretmanager"
"""The SDK module these stand in for."""


class _Secret(GcpResource):
    TYPE = Gcp.SECRET
    OUTPUTS = ("secret_id",)
    SECRET_OUTPUTS = LABELLED_SECRETS


class _SecretVersion(GcpResource):
    TYPE = Gcp.SECRET_VERSION
    OUTPUTS = ("name",)
    SECRET_INPUTS = ("secret_data", "secret_data_wo")
    SECRET_OUTPUTS = ("secretData", "secretDataWo")


class _SecretIamMember(GcpResource):
    TYPE = Gcp.SECRET_IAM_MEMBER


LIGHT = stand_ins(_Secret, _SecretVersion, _SecretIamMember)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.secretmanager import Secret as Secret
    from pulumi_gcp.secretmanager import SecretIamMember as SecretIamMember
    from pulumi_gcp.secretmanager import SecretVersion as SecretVersion
else:
    globals().update(LIGHT)
