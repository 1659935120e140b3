"""`components/light/` registers what the provider SDKs' classes would.

Both real stacks are evaluated twice: as the program runs (the light stand-ins), and with the
SDKs' own classes and invoke functions swapped in under the same names. The two recorded
graphs must be equal in everything the engine records: inputs, secrets, dependencies and
property dependencies, protect, retain, ignore_changes, additional secret outputs, aliases,
provider, version and download URL, and the stack's outputs. Any drift (a new SDK default, a
changed alias, an input sent differently, a map whose keys the SDK keeps) fails here.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pulumi
import pytest

from components import light
from stackctl.engine import ROOT, Graph, evaluate

MODULES: tuple[ModuleType, ...] = tuple(
    module
    for module in (
        importlib.import_module(f"components.light.{found.name}")
        for found in pkgutil.iter_modules(light.__path__)
    )
    if hasattr(module, "LIGHT")
)
"""Every module of stand-ins under components/light/ (all but the shared `gcp` base)."""


def test_the_modules_of_stand_ins_are_found() -> None:
    names = {m.__name__.rpartition(".")[2] for m in MODULES}
    assert {"gitlab", "cloudrunv2", "compute", "iam", "serviceaccount"} <= names
    assert len(names) == len(list((ROOT / "components" / "light").glob("*.py"))) - 2


@pytest.fixture(scope="module")
def sdks() -> dict[str, ModuleType]:
    """The SDK modules, imported by the tests that need them only (they cost a second)."""
    return {m.__name__: importlib.import_module(m.SDK) for m in MODULES}


@pytest.fixture(scope="module", params=["staging", "prod"])
def both(request: pytest.FixtureRequest, sdks: dict[str, ModuleType]) -> tuple[Graph, Graph]:
    """(as the program runs, with the SDKs' classes) for one stack."""
    stack: str = request.param
    light_graph: Graph = request.getfixturevalue(stack)
    with pytest.MonkeyPatch.context() as patch:
        for module in MODULES:
            for name in module.LIGHT:
                patch.setattr(module, name, getattr(sdks[module.__name__], name))
        with_sdk = evaluate(stack)
    return light_graph, with_sdk


def _record(graph: Graph) -> dict[str, dict[str, Any]]:
    """Everything the engine recorded per resource, fingerprints of secrets included."""
    return {r.urn: dataclasses.asdict(r) for r in graph.resources}


def test_the_stand_ins_register_the_same_graph_as_the_sdks(both: tuple[Graph, Graph]) -> None:
    light_graph, with_sdk = both
    assert _record(light_graph) == _record(with_sdk)
    assert light_graph.outputs == with_sdk.outputs
    assert light_graph.output_fingerprints == with_sdk.output_fingerprints


def test_the_sdk_options_are_there_to_compare(both: tuple[Graph, Graph]) -> None:
    """The comparison covers what the SDKs' classes add: every stand-in's secret outputs and
    aliases are recorded, and so is the SDK's plugin version, on the stack's own provider."""
    light_graph, _ = both
    classes = [
        stand_in
        for module in MODULES
        for stand_in in module.LIGHT.values()
        if isinstance(stand_in, type) and issubclass(stand_in, light.LightResource)
    ]
    covered = 0
    for cls in classes:
        for resource in light_graph.of_type(cls.TYPE):
            covered += 1
            # The SDK's options come after the caller's (ResourceOptions.merge appends).
            assert _ends_with(resource.additional_secret_outputs, cls.SECRET_OUTPUTS)
            assert _ends_with([a["spec"]["type"] for a in resource.aliases], cls.ALIASES)
            assert (resource.version, resource.plugin_download_url) == _sdk_plugin(cls.PACKAGE)
            assert resource.provider is not None
            package = cls.PACKAGE.removeprefix("pulumi_")
            assert resource.provider.endswith(f"pulumi:providers:{package}::{package}")
    assert covered == len(
        [r for r in light_graph.resources if r.type.startswith(("gcp:", "gitlab:"))]
    )
    [provider] = light_graph.of_type("pulumi:providers:gitlab")
    assert provider.additional_secret_outputs == ("token",)


def _ends_with(items: Sequence[str], tail: Sequence[str]) -> bool:
    return tuple(items[len(items) - len(tail) :]) == tuple(tail)


def _sdk_plugin(package: str) -> tuple[str, str | None]:
    """The version and download URL the SDK's classes set, from its private module."""
    utilities = importlib.import_module(f"{package}._utilities")
    return utilities.get_version(), utilities.get_plugin_download_url()


@pytest.mark.parametrize("package", ["pulumi_gcp", "pulumi_gitlab"])
def test_the_plugin_version_is_the_sdks(package: str) -> None:
    assert light.plugin(package) == _sdk_plugin(package)


def test_every_stand_in_replaces_an_sdk_name_of_its_kind(sdks: dict[str, ModuleType]) -> None:
    for module in MODULES:
        sdk = sdks[module.__name__]
        for name, stand_in in module.LIGHT.items():
            original = getattr(sdk, name)
            if isinstance(stand_in, type):
                base = (
                    pulumi.ProviderResource
                    if issubclass(stand_in, light.LightProvider)
                    else pulumi.CustomResource
                )
                assert issubclass(original, base), name
            else:
                assert name.endswith("_output"), name
                assert callable(original), name
            assert getattr(module, name) is stand_in


def test_the_program_runs_without_importing_the_sdk_modules() -> None:
    """What the stand-ins are for: `stackctl graph` never pays for the SDKs' modules.

    `pulumi_gcp` registers its packages lazily (`importlib.util.LazyLoader`): a package name is
    in `sys.modules` from the start, its modules only once something is used. `pulumi_gitlab`
    imports every module from its `__init__`, so it must not be imported at all."""
    script = (
        "import sys\n"
        "from stackctl.engine import evaluate\n"
        "evaluate('prod')\n"
        "evaluate('staging')\n"
        f"sdks = {[m.SDK for m in MODULES]!r}\n"
        "lazy = {s for s in sdks if s.startswith('pulumi_gcp.')}  # LazyLoader's stand-ins\n"
        "print(sorted(m for m in sys.modules if m not in lazy"
        " and any(m == s or m.startswith(s + '.') for s in sdks)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
