"""The mock monitor: answers the SDK as an engine would and records every registration.

The SDK's own `MockMonitor` does the protocol; `_RecordingMonitor` writes each request down
as a `Resource` of the graph (inputs as plain JSON, secrets and unknowns as markers), and
`Recorder` answers registrations and invokes with the offline fakes (`stackctl.fakes`).
"""

from __future__ import annotations

import base64
import binascii
import pickletools
import threading
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks, rpc

from contract import SECRET, UNKNOWN, Pulumi
from stackctl.fakes import FAKE_INVOKES, fake_id_of, fake_outputs
from stackctl.graph import EngineError, Resource, fingerprints
from stackctl.transforms import Transforms


class Recorder(mocks.Mocks):
    """Answers the SDK like an engine would and writes down every registration.

    `disabled` are the packages whose default provider the stack disables
    (`pulumi:disable-default-providers`; `*` for all but `pulumi` itself)."""

    def __init__(self, unknowns: bool, reveal_secrets: bool, disabled: frozenset[str]) -> None:
        self.unknowns = unknowns
        self.reveal_secrets = reveal_secrets
        self.disabled = disabled
        self.resources: list[Resource] = []
        self.secret_outputs: frozenset[str] = frozenset()
        self.provider_inputs: dict[str, Mapping[str, Any]] = {}
        """Each explicit provider's inputs by URN: the configuration its resources get."""
        self.monitor = _RecordingMonitor(self)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self.unknowns:
            # A preview of a new stack: nothing exists yet, so ids and outputs are unknown.
            return (args.resource_id or "", dict(args.inputs))
        config = self.provider_inputs.get(provider_urn(args.provider) or "", {})
        fake_id = args.resource_id or fake_id_of(args.typ, args.name, args.inputs, config)
        state = {**fake_outputs(args.typ, args.name, fake_id, args.inputs, config), **args.inputs}
        # The engine keeps the outputs a provider declares secret as secrets; so do we.
        return fake_id, {
            k: _wrap_secret(v) if k in self.secret_outputs else v for k, v in state.items()
        }

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        answer = FAKE_INVOKES.get(args.token)
        if answer is None:
            raise EngineError(
                f"the offline engine has no answer for the invoke {args.token!r}: "
                "add one to stackctl.fakes.FAKE_INVOKES"
            )
        return answer(args.args), []

    def denied(self, package: str) -> bool:
        """Whether the default provider of `package` is disabled: as the engine's
        `shouldDenyRequest` (pulumi/pulumi, pkg/resource/deploy/default_providers.go), which
        never denies `pulumi` and denies every other package, dynamic providers
        (`pulumi-python`) included, for `*`."""
        return package != "pulumi" and ("*" in self.disabled or package in self.disabled)


def disabled_default_providers(value: Any) -> frozenset[str]:
    """`pulumi:disable-default-providers` as the engine reads it: a list of package names
    (JSON in the SDK's flat config), `*` for all; unset or empty disables nothing."""
    if value in (None, ""):
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EngineError(
            f"pulumi:disable-default-providers must be a list of package names, not {value!r}"
        )
    return frozenset(v.strip() for v in value)


def provider_urn(reference: str | None) -> str | None:
    """The URN in a provider reference (`<urn>::<id>`), None for no reference."""
    return reference.rsplit("::", 1)[0] if reference else None


def _denied_message(package: str, what: str) -> str:
    """The engine's error for a registration or invoke left to a disabled default provider
    (pulumi/pulumi, sdk/go/common/diag/errors.go, `GetDefaultProviderDenied`)."""
    return f"Default provider for '{package}' disabled. '{what}' must use an explicit provider."


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.recorder = recorder
        self.lock = threading.Lock()
        self.transforms = Transforms()
        self.component_providers: dict[str, dict[str, str]] = {}

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.transforms.register_stack(request)
        return super().RegisterStackTransform(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        package = request.tok.split(":", 1)[0]
        if not request.provider and self.recorder.denied(package):
            raise EngineError("Invoke: " + _denied_message(package, request.tok))
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.lock:
            if urn in self.resources:
                raise EngineError(f"two resources share the URN {urn}")
        request = self.transforms.apply(urn, request)
        provider = self._provider(urn, request)
        with self.lock:
            self.recorder.secret_outputs = frozenset(request.additionalSecretOutputs)
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
            if request.type == Pulumi.STACK:
                self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, "", {})
        inputs = json_format.MessageToDict(request.object)
        plain = _plain(inputs, self.recorder.reveal_secrets)
        if request.type.startswith(Pulumi.PROVIDER_PREFIX):
            self.recorder.provider_inputs[urn] = _plain(inputs, reveal=True)
        self.recorder.resources.append(
            Resource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                inputs=_readable_provider(request.type, plain),
                dependencies=tuple(sorted(request.dependencies)),
                property_dependencies={
                    k: tuple(sorted(v.urns))
                    for k, v in sorted(request.propertyDependencies.items())
                },
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                import_id=request.importId or None,
                provider=provider_urn(provider),
                fingerprints=fingerprints(_plain(inputs, reveal=True)),
                ignore_changes=tuple(request.ignoreChanges),
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                delete_before_replace=(
                    request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
                ),
                aliases=(
                    *(json_format.MessageToDict(alias) for alias in request.aliases),
                    *({"urn": urn} for urn in request.aliasURNs),
                ),
                version=request.version or None,
                plugin_download_url=request.pluginDownloadURL or None,
            )
        )
        return response

    def _provider(self, urn: str, request: Any) -> str:
        """The provider reference the engine resolves for this registration
        (`resolveProvider` in pkg/resource/deploy/source_eval.go: its own, else its
        `providers` entry for its package, else its component parent's); a custom resource
        left to a disabled default provider is refused with the engine's error
        (`GetDefaultProviderDenied` in pkg/resource/deploy/step_generator.go)."""
        package = request.type.split(":", 1)[0]
        with self.lock:
            inherited = self.component_providers.get(request.parent, {})
            if not request.custom:
                self.component_providers[urn] = {**inherited, **request.providers}
                return ""
        provider: str = (
            request.provider or request.providers.get(package) or inherited.get(package, "")
        )
        if request.type.startswith(Pulumi.PROVIDER_PREFIX):
            return ""
        if not provider and self.recorder.denied(package):
            raise EngineError(_denied_message(package, urn))
        return provider


def _readable_provider(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A dynamic resource's `__provider` as a reviewer reads it, instead of base64."""
    serialized = inputs.get(Pulumi.DYNAMIC_PROVIDER_KEY)
    known = isinstance(serialized, str) and serialized not in (SECRET, UNKNOWN)
    if type_.startswith(Pulumi.DYNAMIC_PREFIX) and known:
        return {**inputs, Pulumi.DYNAMIC_PROVIDER_KEY: describe_dynamic_provider(str(serialized))}
    return inputs


_BY_REFERENCE = ["SHORT_BINUNICODE", "SHORT_BINUNICODE", "STACK_GLOBAL", "EMPTY_TUPLE", "NEWOBJ"]


def describe_dynamic_provider(serialized: str) -> str:
    """What a serialized dynamic provider holds, read with `pickletools` (nothing is unpickled).

    A provider class in an importable module, with no attributes, pickles to a reference to the
    class and nothing else: `[dynamic provider module.Class: by reference, no state]`. Anything
    else (attributes, a class pickled by value) is reported with its size, so that a provider
    that starts capturing something shows up in the graph and its diff."""
    try:
        data = base64.b64decode(serialized, validate=True)
        ops = list(pickletools.genops(data))
    except (binascii.Error, ValueError):
        return f"[dynamic provider: not a pickle, {len(serialized)} characters]"
    shape = [op.name for op, _, _ in ops if op.name not in ("PROTO", "FRAME", "MEMOIZE", "STOP")]
    if shape == _BY_REFERENCE:
        module, name = (str(arg) for op, arg, _ in ops if op.name == "SHORT_BINUNICODE")
        return f"[dynamic provider {module}.{name}: by reference, no state]"
    return f"[dynamic provider with state or pickled by value: {len(data)} bytes]"


def _wrap_secret(value: Any) -> Any:
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _plain(value: Any, reveal: bool = False) -> Any:
    """A registration's inputs as plain JSON: secrets and unknowns as markers, refs as URNs."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return _plain(value.get("value"), reveal) if reveal else SECRET
        if sig == rpc._special_resource_sig:
            return value.get("urn")
        return {k: _plain(v, reveal) for k, v in value.items() if k != rpc._special_sig_key}
    if isinstance(value, list):
        return [_plain(v, reveal) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
