"""`pulumi_gcp.compute`'s classes the load balancers use, light at run time
(components/light/__init__.py).

`pulumi_gcp.compute` is the costliest of them: ~290 modules over two 5 MB modules of types,
all imported by any of its classes (`stackctl graph prod` took 2.35 s / 177 MB with the SDK's
classes against 1.20 s / 110 MB with these when they were written). Read from pulumi-gcp
10.2 (`pulumi_gcp/compute/<resource>.py`): `additional_secret_outputs` on the global address
and forwarding rule, the managed certificate's alias from its misspelt old type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.light import stand_ins
from components.light.gcp import LABELLED_SECRETS, GcpResource
from contract import Gcp

SDK = "pulumi_gcp.compute"
"""The SDK module these stand in for."""


class _RegionNetworkEndpointGroup(GcpResource):
    TYPE = Gcp.NEG


class _BackendService(GcpResource):
    TYPE = Gcp.BACKEND_SERVICE


class _URLMap(GcpResource):
    TYPE = Gcp.URL_MAP


class _ManagedSslCertificate(GcpResource):
    TYPE = Gcp.CERTIFICATE
    ALIASES = ("gcp:compute/mangedSslCertificate:MangedSslCertificate",)


class _TargetHttpsProxy(GcpResource):
    TYPE = Gcp.HTTPS_PROXY


class _GlobalAddress(GcpResource):
    TYPE = Gcp.GLOBAL_ADDRESS
    OUTPUTS = ("address",)
    SECRET_OUTPUTS = LABELLED_SECRETS


class _GlobalForwardingRule(GcpResource):
    TYPE = Gcp.FORWARDING_RULE
    SECRET_OUTPUTS = LABELLED_SECRETS


LIGHT = stand_ins(
    _RegionNetworkEndpointGroup,
    _BackendService,
    _URLMap,
    _ManagedSslCertificate,
    _TargetHttpsProxy,
    _GlobalAddress,
    _GlobalForwardingRule,
)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.compute import BackendService as BackendService
    from pulumi_gcp.compute import GlobalAddress as GlobalAddress
    from pulumi_gcp.compute import GlobalForwardingRule as GlobalForwardingRule
    from pulumi_gcp.compute import ManagedSslCertificate as ManagedSslCertificate
    from pulumi_gcp.compute import RegionNetworkEndpointGroup as RegionNetworkEndpointGroup
    from pulumi_gcp.compute import TargetHttpsProxy as TargetHttpsProxy
    from pulumi_gcp.compute import URLMap as URLMap
else:
    globals().update(LIGHT)
