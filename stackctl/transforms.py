"""Resource transforms, applied offline the way the Pulumi engine applies them.

The SDK's mock monitor does not run transforms: it resolves a stack transform's callback to
its Python function (`Mocks.register_transform`) and a resource's own transforms to
`MockResourceArgs.transforms`, and leaves running them to the mocks
(pulumi/runtime/mocks.py). Under the CLI it is the engine that runs them, in
`resmon.RegisterResource` (pulumi/pulumi, pkg/resource/deploy/source_eval.go): before it looks
at anything else of a registration, it collects the resource's own transforms, then those of
each of its ancestors (nearest first), then the stack's (in the order they were registered),
and calls each in turn with the properties and options the previous one returned. A transform
may change the properties and the options (protect, retainOnDelete, ignoreChanges, dependsOn,
provider, import, ...); the type, name, parent and custom flag are what they were. A callback
that returns no options or no properties leaves them as they were (`wrapTransformCallback`).

So does this module, and with the SDK's own marshalling: each step is a `TransformRequest`
handed to the callback the SDK registered (`_CallbackServicer`, pulumi/runtime/_callbacks.py),
which builds the `ResourceTransformArgs` the program's function sees and serializes what it
returns, exactly as it does for the engine. The callback runs on the program's event loop,
where the SDK created it; the monitor calls arrive on the loop's worker threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Sequence
from typing import Any

from google.protobuf.message import Message
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.proto import callback_pb2, resource_pb2

from stackctl.graph import EngineError


class Transforms:
    """The stack's transforms and each resource's own, and how to apply them to a request."""

    def __init__(self) -> None:
        self.stack: list[callback_pb2.Callback] = []
        self._own: dict[str, Sequence[callback_pb2.Callback]] = {}
        self._parents: dict[str, str] = {}
        self._lock = threading.Lock()

    def register_stack(self, callback: callback_pb2.Callback) -> None:
        with self._lock:
            self.stack.append(callback)

    def apply(self, urn: str, request: Any) -> Any:
        """`request` (a `RegisterResourceRequest`) as the transforms leave it: a new request
        when any transform applies, else `request` itself."""
        with self._lock:
            self._own[urn] = list(request.transforms)
            self._parents[urn] = request.parent
            chain = list(request.transforms)
            ancestor = request.parent
            while ancestor:
                chain.extend(self._own.get(ancestor, ()))
                ancestor = self._parents.get(ancestor, "")
            chain.extend(self.stack)
        if not chain:
            return request
        step = resource_pb2.TransformRequest(
            type=request.type,
            name=request.name,
            custom=request.custom,
            parent=request.parent,
            properties=request.object,
            options=_options(request),
        )
        for callback in chain:
            response = _call(callback, step)
            if response.HasField("properties"):
                step.properties.CopyFrom(response.properties)
            if response.HasField("options"):
                step.options.CopyFrom(response.options)
        return _transformed(request, step)


def _call(
    callback: callback_pb2.Callback, step: resource_pb2.TransformRequest
) -> resource_pb2.TransformResponse:
    """Run one transform callback through the SDK's servicer, on the loop that owns it."""
    for servicer in _CallbackServicer._servicers:
        function = servicer._callbacks.get(callback.token)
        if function is not None:
            response = asyncio.run_coroutine_threadsafe(
                _awaited(function(step.SerializeToString())), servicer._loop
            ).result()
            assert isinstance(response, resource_pb2.TransformResponse)
            return response
    raise EngineError(f"a transform of {step.type} {step.name!r} is not registered with the SDK")


async def _awaited(awaitable: Awaitable[Message]) -> Message:
    return await awaitable


def _options(request: Any) -> resource_pb2.TransformResourceOptions:
    """The options the engine hands a transform, from the registration (source_eval.go)."""
    options = resource_pb2.TransformResourceOptions(
        depends_on=request.dependencies,
        ignore_changes=request.ignoreChanges,
        replace_on_changes=request.replaceOnChanges,
        version=request.version,
        provider=request.provider,
        providers=request.providers,
        plugin_download_url=request.pluginDownloadURL,
        deleted_with=request.deletedWith,
        additional_secret_outputs=request.additionalSecretOutputs,
        plugin_checksums=request.pluginChecksums,
        hide_diff=request.hideDiffs,
        replace_with=request.replace_with,
        aliases=request.aliases,
        **{"import": request.importId},
    )
    if request.HasField("protect"):
        options.protect = request.protect
    if request.HasField("retainOnDelete"):
        options.retain_on_delete = request.retainOnDelete
    if request.deleteBeforeReplaceDefined:
        options.delete_before_replace = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        options.custom_timeouts.CopyFrom(request.customTimeouts)
    return options


def _transformed(request: Any, step: resource_pb2.TransformRequest) -> Any:
    """A copy of `request` with what the transforms returned in place of what it had."""
    result = type(request)()
    result.CopyFrom(request)
    options = step.options
    result.object.CopyFrom(step.properties)
    result.ClearField("dependencies")
    result.dependencies.extend(options.depends_on)
    result.ClearField("ignoreChanges")
    result.ignoreChanges.extend(options.ignore_changes)
    result.ClearField("additionalSecretOutputs")
    result.additionalSecretOutputs.extend(options.additional_secret_outputs)
    result.ClearField("replaceOnChanges")
    result.replaceOnChanges.extend(options.replace_on_changes)
    result.provider = options.provider
    result.importId = getattr(options, "import")
    result.deletedWith = options.deleted_with
    if options.HasField("protect"):
        result.protect = options.protect
    else:
        result.ClearField("protect")
    if options.HasField("retain_on_delete"):
        result.retainOnDelete = options.retain_on_delete
    else:
        result.ClearField("retainOnDelete")
    return result
