"""`components/compute.py` registers what `pulumi_gcp.compute`'s classes would.

Both real stacks are evaluated twice: as the program runs (the light classes), and with the
SDK's own classes swapped in under the same names. The two recorded graphs must be equal in
everything the engine records: inputs, dependencies and property dependencies, protect,
retain, ignore_changes, additional secret outputs, aliases, provider, version and download
URL, and the stack's outputs. Any drift (a new SDK default, a changed alias, an input the
light classes send differently) fails here.
"""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
from types import ModuleType
from typing import Any

import pulumi
import pytest

from components import compute
from contract import Gcp
from stackctl.engine import ROOT, Graph, evaluate


@pytest.fixture(scope="module")
def sdk() -> ModuleType:
    """`pulumi_gcp.compute`, imported by the tests that need it only (it costs a second)."""
    return importlib.import_module("pulumi_gcp.compute")


@pytest.fixture(scope="module", params=["staging", "prod"])
def both(request: pytest.FixtureRequest, sdk: ModuleType) -> tuple[Graph, Graph]:
    """(as the program runs, with the SDK's classes) for one stack."""
    stack: str = request.param
    light: Graph = request.getfixturevalue(stack)
    with pytest.MonkeyPatch.context() as patch:
        for name in compute.LIGHT:
            patch.setattr(compute, name, getattr(sdk, name))
        with_sdk = evaluate(stack)
    return light, with_sdk


def _record(graph: Graph) -> dict[str, dict[str, Any]]:
    """Everything the engine recorded per resource, fingerprints of secrets included."""
    return {r.urn: dataclasses.asdict(r) for r in graph.resources}


def test_the_light_classes_register_the_same_graph_as_the_sdks(
    both: tuple[Graph, Graph],
) -> None:
    light, with_sdk = both
    assert _record(light) == _record(with_sdk)
    assert light.outputs == with_sdk.outputs
    assert light.output_fingerprints == with_sdk.output_fingerprints


def test_the_sdk_options_are_there_to_compare(both: tuple[Graph, Graph]) -> None:
    """The comparison covers the options the SDK's classes add: they are recorded, and the
    version and download URL are the ones the SDK's own module gives."""
    light, _ = both
    for address in light.of_type(Gcp.GLOBAL_ADDRESS) + light.of_type(Gcp.FORWARDING_RULE):
        assert address.additional_secret_outputs == ("effectiveLabels", "pulumiLabels")
    for certificate in light.of_type(Gcp.CERTIFICATE):
        [alias] = certificate.aliases
        assert alias["spec"]["type"] == "gcp:compute/mangedSslCertificate:MangedSslCertificate"
    balancer = [r for r in light.resources if r.type.startswith("gcp:compute/")]
    assert len(balancer) >= 7 * 2  # both fleets' load balancers
    for resource in balancer:
        assert (resource.version, resource.plugin_download_url) == _sdk_plugin()
        assert resource.provider is not None
        assert resource.provider.endswith("pulumi:providers:gcp::gcp")  # the stack's own


def _sdk_plugin() -> tuple[str, str | None]:
    """The version and download URL the SDK's classes set, from its private module."""
    from pulumi_gcp import _utilities

    version, url = _utilities.get_version(), _utilities.get_plugin_download_url()  # type: ignore[no-untyped-call]
    return version, url


def test_the_plugin_version_is_the_sdks() -> None:
    assert compute.plugin() == _sdk_plugin()


def test_every_light_class_stands_in_for_an_sdk_class_of_its_name(sdk: ModuleType) -> None:
    for name, light in compute.LIGHT.items():
        sdk_class = getattr(sdk, name)
        assert issubclass(sdk_class, pulumi.CustomResource)
        assert getattr(compute, name) is light


def test_the_program_runs_without_importing_pulumi_gcp_compute() -> None:
    """What the light classes are for: `stackctl graph` never pays for the SDK's module.

    `pulumi_gcp` registers its packages lazily (`importlib.util.LazyLoader`): the package
    name is in `sys.modules` from the start, its modules only once something is used."""
    script = (
        "import sys\n"
        "from stackctl.engine import evaluate\n"
        "evaluate('prod')\n"
        "print(sorted(m for m in sys.modules if m.startswith('pulumi_gcp.compute.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
