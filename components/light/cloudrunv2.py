"""`pulumi_gcp.cloudrunv2`'s classes the program uses, light at run time
(components/light/__init__.py). Read from pulumi-gcp 10.2 (`pulumi_gcp/cloudrunv2/`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from components.light import invoke, stand_ins
from components.light.gcp import LABELLED_SECRETS, PACKAGE, GcpResource
from contract import Gcp

SDK = "pulumi_gcp.cloudrunv2"
"""The SDK module these stand in for."""


class _Service(GcpResource):
    TYPE = Gcp.SERVICE
    OUTPUTS = ("name", "uri")
    SECRET_OUTPUTS = LABELLED_SECRETS


class _ServiceIamMember(GcpResource):
    TYPE = Gcp.SERVICE_IAM_MEMBER


def _get_service_output(
    *, opts: pulumi.InvokeOutputOptions | None = None, **args: Any
) -> pulumi.Output[Any]:
    return invoke(PACKAGE, Gcp.GET_SERVICE, args, opts)


LIGHT = stand_ins(_Service, _ServiceIamMember, _get_service_output)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.cloudrunv2 import Service as Service
    from pulumi_gcp.cloudrunv2 import ServiceIamMember as ServiceIamMember
    from pulumi_gcp.cloudrunv2 import ServiceTemplateArgsDict as ServiceTemplateArgsDict
    from pulumi_gcp.cloudrunv2 import (
        ServiceTemplateContainerArgsDict as ServiceTemplateContainerArgsDict,
    )
    from pulumi_gcp.cloudrunv2 import (
        ServiceTemplateContainerLivenessProbeArgsDict as ServiceTemplateContainerLivenessProbeArgsDict,  # noqa: E501
    )
    from pulumi_gcp.cloudrunv2 import (
        ServiceTemplateContainerStartupProbeArgsDict as ServiceTemplateContainerStartupProbeArgsDict,  # noqa: E501
    )
    from pulumi_gcp.cloudrunv2 import get_service_output as get_service_output
else:
    globals().update(LIGHT)
