"""Light stand-ins for the provider SDKs' classes: what the program registers at run time.

Why: a provider SDK's class costs far more than what it registers.
- Importing any class of `pulumi_gitlab` runs its package `__init__`, which imports all 231
  of its modules (about 0.4 s); `pulumi_gcp.compute` is ~290 modules over two 5 MB modules of
  types (0.9 s), `cloudrunv2` and `iam` about 0.2 s each.
- Each SDK instance creates an output, with four futures, for every property of its type
  whether the program reads it or not (`transfer_properties` in pulumi/runtime/rpc.py):
  220 for a GitLab project, 92 for a Cloud Run service.
`stackctl graph`, every test and every `pulumi up` pay both (docs/benchmarks.md).

How they stay the SDKs':
- For mypy (`TYPE_CHECKING`) each name of the modules of this package *is* the SDK's class,
  function or `...ArgsDict` type, so every call the program makes is checked against the
  real signatures. Nested inputs are written as dicts, which the SDK's signatures accept
  (`Union[...Args, ...ArgsDict]`).
- At run time they are `LightResource` subclasses that register what the SDK's class would:
  the same type token; the inputs under the same names (snake_case keyword arguments sent
  camelCased at every depth, as the SDK's type metadata translates them, but for the keys of
  the free-form maps in `FREE_FORM_MAPS`); the inputs the SDK wraps as secrets; the options
  its `_internal_init` adds (`additional_secret_outputs`, aliases); and the provider version
  and plugin download URL the SDK's classes set (`get_resource_opts_defaults`). Each module
  says which SDK version it was read from.
- The outputs the program reads are listed per class (`OUTPUTS`); reading any other is an
  `AttributeError` in the first offline evaluation, not a silent `None`.
- tests/test_light.py evaluates both real stacks with every SDK class and function swapped
  in under the same names and compares the whole recorded graph (inputs, secrets,
  dependencies, options, version and download URL) and the stack's outputs, so the two
  cannot drift apart unnoticed; it also checks that the program runs without importing the
  SDK modules these stand in for.

The providers of `components/providers.py` are the SDKs' own but for GitLab's (its class is
in the package whose `__init__` imports everything); `pulumi_gcp.Provider` and
`pulumiverse_time.Provider` cost a few milliseconds.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import pulumi
from pydantic.alias_generators import to_camel, to_snake

__all__ = [
    "FREE_FORM_MAPS",
    "LightProvider",
    "LightResource",
    "Result",
    "invoke",
    "plugin",
    "stand_ins",
]

FREE_FORM_MAPS = frozenset(
    {"annotations", "attribute_mapping", "headers", "labels", "limits", "version_aliases"}
)
"""Inputs, at any depth, that are maps of the user's keys (`Mapping[str, str]` in the SDKs'
types): their keys are sent as written, not camelCased."""


@cache
def plugin(package: str) -> tuple[str, str | None]:
    """A provider SDK's plugin version and download URL, as its classes set them.

    Read from the package's `pulumi-plugin.json`, the public record a provider SDK ships of
    its plugin (`resource`, `name`, `version`, `server`; "for Python, the content is inside a
    pulumi-plugin.json file inside the package": `PulumiPluginJSON` in github:pulumi/pulumi
    sdk/go/common/resource/plugin/plugin.go, what the CLI reads to install plugins):
    `version` is the semver the SDK's `get_version()` derives from the package's metadata,
    `server` the download URL its `get_plugin_download_url()` returns (absent for providers
    Pulumi publishes itself, so `None`). The file is found without importing the package
    (`find_spec` runs no `__init__`: pulumi_gitlab's imports all its modules); the private
    `_utilities` module is never imported (tests/test_light.py checks both values against it)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the provider SDK {package!r} is not installed", name=package)
    text = (Path(spec.submodule_search_locations[0]) / "pulumi-plugin.json").read_text()
    record = json.loads(text)
    return str(record["version"]), record.get("server") or None


def _wire(value: Any) -> Any:
    """A nested input as the SDK sends it: dict keys camelCased at every depth but inside the
    free-form maps, unset (None) entries left out, as `input_type_to_dict` leaves them."""
    if isinstance(value, Mapping):
        return {
            to_camel(key): value[key] if key in FREE_FORM_MAPS else _wire(value[key])
            for key in value
            if value[key] is not None
        }
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


class _Registered:
    """What the light classes share: the class constants the SDK's class would add."""

    PACKAGE: ClassVar[str]
    """The SDK's package (`pulumi_gcp`): whose plugin version the resource asks for."""
    TYPE: ClassVar[str]
    OUTPUTS: ClassVar[tuple[str, ...]] = ()
    """The outputs the program reads besides `id` (snake_case attribute names)."""
    SECRET_INPUTS: ClassVar[tuple[str, ...]] = ()
    """Inputs the SDK's class wraps as secrets (`pulumi.Output.secret` in `_internal_init`)."""
    JSON_INPUTS: ClassVar[tuple[str, ...]] = ()
    """A provider's inputs the SDK sends as JSON text (`.apply(pulumi.runtime.to_json)`: a
    provider's configuration is strings)."""
    SECRET_OUTPUTS: ClassVar[tuple[str, ...]] = ()
    """The SDK's `additional_secret_outputs`, camelCased as it gives them."""
    ALIASES: ClassVar[tuple[str, ...]] = ()
    """Former type tokens of the resource, given as aliases so state under them is kept."""

    @classmethod
    def _props(cls, resource_name: str, opts: object, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
            # The SDK's other overload, `(name, args, opts)`, type-checks but is not served
            # here: inputs are keyword arguments.
            raise TypeError(
                f"{cls.__name__} {resource_name!r}: pass inputs as keyword arguments "
                f"and options as opts=pulumi.ResourceOptions(...), not {type(opts).__name__}"
            )
        props: dict[str, Any] = {}
        for key, value in inputs.items():
            if value is None:
                continue
            if key in cls.JSON_INPUTS:
                value = pulumi.Output.from_input(value).apply(pulumi.runtime.to_json)
            elif key not in FREE_FORM_MAPS:
                value = _wire(value)
            props[to_camel(key)] = (
                pulumi.Output.secret(value) if key in cls.SECRET_INPUTS else value
            )
        for output in cls.OUTPUTS:
            props.setdefault(to_camel(output), None)
        return props

    @classmethod
    def _options(cls, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
        """Merged in the SDK's order: its defaults, the caller's options, then its own."""
        version, download_url = plugin(cls.PACKAGE)
        merged = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(version=version, plugin_download_url=download_url), opts
        )
        own = pulumi.ResourceOptions(
            additional_secret_outputs=list(cls.SECRET_OUTPUTS) or None,
            aliases=[pulumi.Alias(type_=alias) for alias in cls.ALIASES] or None,
        )
        return pulumi.ResourceOptions.merge(merged, own)

    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **inputs: Any
    ) -> None:
        props = self._props(resource_name, opts, inputs)
        # The next class in the MRO is the SDK's CustomResource or ProviderResource, whose
        # constructors both take (type or package, name, props, opts).
        super().__init__(self.TYPE, resource_name, props, self._options(opts))  # type: ignore[call-arg]
        for output in self.OUTPUTS:
            # Under the SDK's attribute names: the engine answers camelCase.
            self.__dict__[output] = self.__dict__[to_camel(output)]


class LightResource(_Registered, pulumi.CustomResource):
    """A provider resource registered as its SDK class would register it."""


class LightProvider(_Registered, pulumi.ProviderResource):
    """A provider registered as its SDK's `Provider` class would register it; `TYPE` is the
    package name (`gitlab`), which the SDK makes `pulumi:providers:gitlab`."""


class Result:
    """An invoke's answer read as the SDK's result types read it: `result.group_id` is the
    engine's `groupId`, and nested objects and lists are `Result`s too."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self._fields = fields

    def __getattr__(self, name: str) -> Any:
        try:
            return _result(self._fields[to_camel(name)])
        except KeyError:
            raise AttributeError(
                f"the invoke's answer has no {name!r} (fields: {', '.join(sorted(self._fields))})"
            ) from None

    def __repr__(self) -> str:
        return f"Result({', '.join(to_snake(k) for k in sorted(self._fields))})"


def _result(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Result(value)
    if isinstance(value, list):
        return [_result(item) for item in value]
    return value


def invoke(
    package: str,
    token: str,
    args: Mapping[str, Any],
    opts: pulumi.InvokeOutputOptions | None,
) -> pulumi.Output[Any]:
    """An invoke as the SDK's `get_..._output` sends it: the arguments camelCased, the
    provider version and download URL its `get_invoke_opts_defaults` adds, the answer read
    as a `Result`."""
    version, download_url = plugin(package)
    merged = pulumi.InvokeOutputOptions.merge(
        pulumi.InvokeOutputOptions(version=version, plugin_download_url=download_url), opts
    )
    answer = pulumi.runtime.invoke_output(token, _wire(args), opts=merged)
    return answer.apply(Result)


def stand_ins(*light: Any) -> dict[str, Any]:
    """A module's stand-ins by the SDK name each replaces: the light class or function named
    as the SDK's with a leading underscore. The module binds them under those names at run
    time (for mypy the names are the SDK's), and tests/test_light.py swaps them back."""
    return {item.__name__.removeprefix("_"): item for item in light}
