"""The load balancers' Compute Engine resources, registered without importing `pulumi_gcp.compute`.

Why not the SDK's classes: `pulumi_gcp.compute` is one package of ~290 modules over two 5 MB
modules of types, and using any of its classes imports all of it: `stackctl graph prod`
took 2.35 s / 177 MB with the SDK's classes against 1.20 s / 110 MB with these (the same
graph hash; docs/benchmarks.md, bench/run.py), for the seven resource types a load balancer
needs; every `pulumi up` pays the same.

How it stays the SDK's: for mypy (`TYPE_CHECKING`) the seven names below *are* the SDK's
classes, so every call the program makes is checked against their real signatures; at run
time they are the light classes of this module, which register what the SDK's would: the
same type token, the same inputs under the same names (snake_case keyword arguments sent
camelCased, as the SDK sends them), the options the SDK's own `_internal_init` adds (read in
`pulumi_gcp/compute/<resource>.py` of pulumi-gcp 10.2: `additional_secret_outputs` on the
global address and forwarding rule, the managed certificate's alias from its misspelt old
type), and the provider version and plugin download URL the SDK's classes set.
tests/test_compute.py evaluates both real stacks with the SDK's classes swapped in and
compares the whole recorded graph, so the two cannot drift apart unnoticed.

No input may be a free-form map (labels) whose keys must stay as written: keys are
camelCased at every depth.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pydantic.alias_generators import to_camel

from contract import Gcp

__all__ = [
    "BackendService",
    "ComputeResource",
    "GlobalAddress",
    "GlobalForwardingRule",
    "ManagedSslCertificate",
    "RegionNetworkEndpointGroup",
    "TargetHttpsProxy",
    "URLMap",
    "plugin",
]

SDK_PACKAGE = "pulumi_gcp"


@cache
def plugin() -> tuple[str, str | None]:
    """The gcp provider's version and plugin download URL, as the SDK's classes set them.

    Read from the package's `pulumi-plugin.json`, the public record a provider SDK ships of
    its plugin (`resource`, `name`, `version`, `server`; "for Python, the content is inside a
    pulumi-plugin.json file inside the package": `PulumiPluginJSON` in github:pulumi/pulumi
    sdk/go/common/resource/plugin/plugin.go, what the CLI reads to install plugins):
    `version` is the semver the SDK's `get_version()` derives from the package's metadata,
    `server` the download URL its `get_plugin_download_url()` returns (absent for providers
    Pulumi publishes itself, so `None`). The private `_utilities`
    module is never imported; tests/test_compute.py checks both values against it."""
    text = resources.files(SDK_PACKAGE).joinpath("pulumi-plugin.json").read_text()
    record = json.loads(text)
    return str(record["version"]), record.get("server") or None


class ComputeResource(pulumi.CustomResource):
    """A `gcp:compute/...` resource: `TYPE` is its type token, `OUTPUTS` what the program reads
    besides its id, `SECRET_OUTPUTS` and `ALIASES` the options the SDK's class adds."""

    TYPE: ClassVar[str]
    OUTPUTS: ClassVar[tuple[str, ...]] = ()
    SECRET_OUTPUTS: ClassVar[tuple[str, ...]] = ()
    ALIASES: ClassVar[tuple[str, ...]] = ()
    """Former type tokens of the resource, given as aliases so state under them is kept."""

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **inputs: Any
    ) -> None:
        if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
            # The SDK's other overload, `(name, args, opts)`, type-checks but is not served
            # here: inputs are keyword arguments.
            raise TypeError(
                f"{type(self).__name__} {resource_name!r}: pass inputs as keyword arguments "
                f"and options as opts=pulumi.ResourceOptions(...), not {type(opts).__name__}"
            )
        props: dict[str, Any] = {
            to_camel(key): _camel_keys(value) for key, value in inputs.items() if value is not None
        }
        for output in self.OUTPUTS:
            props.setdefault(output, None)
        version, download_url = plugin()
        # Merged in the SDK's order: its defaults, the caller's options, then its own.
        merged = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(version=version, plugin_download_url=download_url), opts
        )
        own = pulumi.ResourceOptions(
            additional_secret_outputs=list(self.SECRET_OUTPUTS) or None,
            aliases=[pulumi.Alias(type_=alias) for alias in self.ALIASES] or None,
        )
        super().__init__(self.TYPE, resource_name, props, pulumi.ResourceOptions.merge(merged, own))


# The light classes, named as the SDK's with a leading underscore; the public names are bound
# at the end of the module.


class _RegionNetworkEndpointGroup(ComputeResource):
    TYPE = Gcp.NEG


class _BackendService(ComputeResource):
    TYPE = Gcp.BACKEND_SERVICE


class _URLMap(ComputeResource):
    TYPE = Gcp.URL_MAP


class _ManagedSslCertificate(ComputeResource):
    TYPE = Gcp.CERTIFICATE
    ALIASES = ("gcp:compute/mangedSslCertificate:MangedSslCertificate",)


class _TargetHttpsProxy(ComputeResource):
    TYPE = Gcp.HTTPS_PROXY


class _GlobalAddress(ComputeResource):
    TYPE = Gcp.GLOBAL_ADDRESS
    OUTPUTS = ("address",)
    SECRET_OUTPUTS = ("effectiveLabels", "pulumiLabels")
    address: pulumi.Output[str]


class _GlobalForwardingRule(ComputeResource):
    TYPE = Gcp.FORWARDING_RULE
    SECRET_OUTPUTS = ("effectiveLabels", "pulumiLabels")


LIGHT: dict[str, type[ComputeResource]] = {
    cls.__name__.removeprefix("_"): cls
    for cls in (
        _RegionNetworkEndpointGroup,
        _BackendService,
        _URLMap,
        _ManagedSslCertificate,
        _TargetHttpsProxy,
        _GlobalAddress,
        _GlobalForwardingRule,
    )
}
"""The light class of each SDK class name this module stands in for."""

if TYPE_CHECKING:
    from pulumi_gcp.compute import (
        BackendService,
        GlobalAddress,
        GlobalForwardingRule,
        ManagedSslCertificate,
        RegionNetworkEndpointGroup,
        TargetHttpsProxy,
        URLMap,
    )
else:
    RegionNetworkEndpointGroup = _RegionNetworkEndpointGroup
    BackendService = _BackendService
    URLMap = _URLMap
    ManagedSslCertificate = _ManagedSslCertificate
    TargetHttpsProxy = _TargetHttpsProxy
    GlobalAddress = _GlobalAddress
    GlobalForwardingRule = _GlobalForwardingRule


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(k): _camel_keys(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value
