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
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks, rpc

from contract import SECRET, UNKNOWN, Pulumi
from stackctl.fakes import FAKE_INVOKES, fake_id_of, fake_outputs
from stackctl.graph import EngineError, Resource, fingerprints


class Recorder(mocks.Mocks):
    """Answers the SDK like an engine would and writes down every registration."""

    def __init__(self, unknowns: bool, reveal_secrets: bool) -> None:
        self.unknowns = unknowns
        self.reveal_secrets = reveal_secrets
        self.resources: list[Resource] = []
        self.secret_outputs: frozenset[str] = frozenset()
        self.monitor = _RecordingMonitor(self)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self.unknowns:
            # A preview of a new stack: nothing exists yet, so ids and outputs are unknown.
            return (args.resource_id or "", dict(args.inputs))
        fake_id = args.resource_id or fake_id_of(args.typ, args.name, args.inputs)
        state = {**fake_outputs(args.typ, args.name, fake_id, args.inputs), **args.inputs}
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


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.recorder = recorder
        self.lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        with self.lock:
            if urn in self.resources:
                raise EngineError(f"two resources share the URN {urn}")
            self.recorder.secret_outputs = frozenset(request.additionalSecretOutputs)
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
            if request.type == Pulumi.STACK:
                self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, "", {})
        inputs = json_format.MessageToDict(request.object)
        self.recorder.resources.append(
            Resource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                inputs=_readable_provider(
                    request.type, _plain(inputs, self.recorder.reveal_secrets)
                ),
                dependencies=tuple(sorted(request.dependencies)),
                property_dependencies={
                    k: tuple(sorted(v.urns))
                    for k, v in sorted(request.propertyDependencies.items())
                },
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                import_id=request.importId or None,
                fingerprints=fingerprints(_plain(inputs, reveal=True)),
                ignore_changes=tuple(request.ignoreChanges),
            )
        )
        return response


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
