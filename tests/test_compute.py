"""`components/compute.py` registers what `pulumi_gcp.compute`'s classes would: checked by
registering each resource both ways, with the same arguments, under the offline engine."""

from __future__ import annotations

import re

import pytest

from stackctl.engine import evaluate
from tests.conftest import MINIMAL_CONFIG, make_scratch_project

PROGRAM = """\
import pulumi
from pulumi_gcp import compute as sdk

from components import compute as ours

for side, module in (("sdk", sdk), ("ours", ours)):
    neg = module.RegionNetworkEndpointGroup(
        f"{side}-neg", project="p", region="us-east1", network_endpoint_type="SERVERLESS",
        cloud_run={"service": "svc"},
    )
    backend = module.BackendService(
        f"{side}-backend", project="p", description="d", load_balancing_scheme="EXTERNAL_MANAGED",
        protocol="HTTP2", backends=[{"group": neg.id}],
    )
    url_map = module.URLMap(f"{side}-url-map", project="p", default_service=backend.id)
    certificate = module.ManagedSslCertificate(
        f"{side}-certificate", project="p", managed={"domains": ["a.example.com"]},
    )
    proxy = module.TargetHttpsProxy(
        f"{side}-https-proxy", project="p", url_map=url_map.id, ssl_certificates=[certificate.id],
    )
    address = module.GlobalAddress(
        f"{side}-address", project="p", ip_version="IPV4", address_type="EXTERNAL",
        description="d", opts=pulumi.ResourceOptions(protect=True),
    )
    module.GlobalForwardingRule(
        f"{side}-https", project="p", target=proxy.id, ip_address=address.id, ip_protocol="TCP",
        port_range="443", load_balancing_scheme="EXTERNAL_MANAGED",
    )
    pulumi.export(f"{side}-address", address.address)
"""

PARTS = ["neg", "backend", "url-map", "certificate", "https-proxy", "address", "https"]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory):
    root = make_scratch_project(
        tmp_path_factory.mktemp("compute"), stacks={"x": MINIMAL_CONFIG}, program=PROGRAM
    )
    return evaluate("x", root=root)


@pytest.mark.parametrize("part", PARTS)
def test_the_same_type_inputs_and_options_as_the_sdk(both, part: str) -> None:
    sdk, ours = both.named(f"sdk-{part}"), both.named(f"ours-{part}")
    assert ours.type == sdk.type
    assert ours.inputs == _as_ours(sdk.inputs)
    assert (ours.protect, ours.retain_on_delete) == (sdk.protect, sdk.retain_on_delete)
    assert [both.get(d).name.removeprefix("sdk-") for d in sdk.dependencies] == [
        both.get(d).name.removeprefix("ours-") for d in ours.dependencies
    ]


def test_outputs_read_like_the_sdks(both) -> None:
    """`address.address` resolves to what the provider computes (here the engine's fake)."""
    for side in ("sdk", "ours"):
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", both.outputs[f"{side}-address"]), side


def _as_ours(value: object) -> object:
    """The SDK side's inputs with references to its own resources named as ours are."""
    if isinstance(value, dict):
        return {k: _as_ours(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_ours(v) for v in value]
    if isinstance(value, str) and value.startswith("sdk-"):
        return "ours-" + value.removeprefix("sdk-")
    return value
