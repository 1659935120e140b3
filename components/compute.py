"""The load balancers' Compute Engine resources, registered without `pulumi_gcp.compute`.

`pulumi_gcp.compute` is one package of ~290 modules over two 5 MB modules of types; using
any of its classes imports all of it, 0.9 s of the 3.0 s that `stackctl graph prod` took
(measured with `python -X importtime`; bench/run.py), for the seven resource types a load
balancer needs. These classes register the same resources as the SDK's: the same type
tokens, the same inputs under the same names, with the provider version and download URL
the SDK's own classes set (`pulumi_gcp._utilities.get_resource_opts_defaults`).
tests/test_compute.py registers each both ways under the offline engine and compares what the
engine receives, so they cannot drift from the SDK.

Inputs are given as the SDK's keyword arguments (snake_case, nested as dicts) and sent
camelCased, as the SDK sends them; so no input may be a free-form map (labels) whose keys
must stay as written.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi_gcp import _utilities
from pydantic.alias_generators import to_camel

from contract import Gcp


class ComputeResource(pulumi.CustomResource):
    """A `gcp:compute/...` resource: `TYPE` is its type token, `OUTPUTS` what the program reads
    besides its id."""

    TYPE: ClassVar[str]
    OUTPUTS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **inputs: Any
    ) -> None:
        props: dict[str, Any] = {
            to_camel(key): _camel_keys(value) for key, value in inputs.items() if value is not None
        }
        for output in self.OUTPUTS:
            props.setdefault(output, None)
        super().__init__(
            self.TYPE,
            resource_name,
            props,
            pulumi.ResourceOptions.merge(_utilities.get_resource_opts_defaults(), opts),
        )


class RegionNetworkEndpointGroup(ComputeResource):
    TYPE = Gcp.NEG


class BackendService(ComputeResource):
    TYPE = Gcp.BACKEND_SERVICE


class URLMap(ComputeResource):
    TYPE = Gcp.URL_MAP


class ManagedSslCertificate(ComputeResource):
    TYPE = Gcp.CERTIFICATE


class TargetHttpsProxy(ComputeResource):
    TYPE = Gcp.HTTPS_PROXY


class GlobalAddress(ComputeResource):
    TYPE = Gcp.GLOBAL_ADDRESS
    OUTPUTS = ("address",)
    address: pulumi.Output[str]


class GlobalForwardingRule(ComputeResource):
    TYPE = Gcp.FORWARDING_RULE


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(k): _camel_keys(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value
