"""The offline engine: run the Pulumi program under the SDK's mock monitor, record the graph.

This is the one place that evaluates the program without the CLI (DESIGN.md section 5).
`stackctl graph`, `diff`, `check` and the tests all call `evaluate`; nothing else runs
`__main__.py`. What the SDK does offline, and what leaks between two runs in one process,
is measured in `shared/notes/offline-engine.md`; each run here therefore gets its own event
loop, its own context (the SDK keeps its settings and root resource in context variables),
and a fresh import of the project's own modules.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import hashlib
import json
import pickletools
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime import stack as runtime_stack

from stackctl import provenance
from stackctl.errors import StackctlError
from stackctl.stackfile import StackConfig, StackFileError, load_stack

ROOT = Path(__file__).resolve().parent.parent
SECRET = "[secret]"  # noqa: S105 (the marker shown instead of a secret)
UNKNOWN = "[unknown]"
STACK_TYPE = "pulumi:pulumi:Stack"
DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"
PROVIDER_KEY = "__provider"
"""The input in which a dynamic resource carries its pickled provider (dill, base64)."""


class EngineError(StackctlError):
    """The program could not be evaluated: bad stack file, bad config, or a failing program.

    `resources` holds what was registered before the failure (for a config that fails
    validation: nothing but the root stack)."""

    def __init__(self, message: str, resources: Sequence[Resource] = ()) -> None:
        super().__init__(message)
        self.resources = tuple(resources)


@dataclass(frozen=True)
class Resource:
    """One registration, as DESIGN.md section 5 shows it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: Mapping[str, Any]
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    protect: bool
    retain_on_delete: bool
    import_id: str | None
    fingerprints: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Per input, a digest of its value with secrets revealed: lets `diff` say that a
    secret changed without showing it. Not part of the JSON document."""
    ignore_changes: tuple[str, ...] = ()
    """Input paths the engine leaves alone once created (`ignore_changes`). Not part of the
    JSON document, whose shape DESIGN.md section 5 fixes; the text tree shows them."""
    additional_secret_outputs: tuple[str, ...] = ()
    """Outputs the engine must keep secret though the provider does not say so."""
    aliases: tuple[Mapping[str, Any], ...] = ()
    """Former identities (an alias spec as JSON, or `{"urn": ...}`) whose state is adopted."""
    provider: str | None = None
    """The explicit provider reference (`<urn>::<id>`); `None` for the default provider."""
    version: str | None = None
    """The provider plugin version the resource asks for."""
    plugin_download_url: str | None = None
    """Where the engine downloads that plugin from; `None` for Pulumi's own."""

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": list(self.dependencies),
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "importId": self.import_id,
        }


@dataclass(frozen=True)
class Graph:
    project: str
    stack: str
    resources: tuple[Resource, ...]
    outputs: Mapping[str, Any]
    output_fingerprints: Mapping[str, str] = field(default_factory=dict, compare=False)
    _by_urn: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)
    _chains: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_urn.update({r.urn: r for r in self.resources})

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
        }

    def get(self, urn: str) -> Resource:
        return self._by_urn[urn]

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> Resource:
        """The resource with this logical name (names are unique in this program)."""
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def chain(self, urn: str) -> tuple[str, ...]:
        """The longest dependency chain that ends at `urn` (first what must exist first):
        what the engine must create one after another before it can create `urn`."""
        if urn not in self._chains:
            self._chains[urn] = ()  # a guard: Pulumi refuses cycles, a broken graph may not
            longest = max(
                (self.chain(d) for d in self.get(urn).dependencies if d in self._by_urn),
                key=len,
                default=(),
            )
            self._chains[urn] = (*longest, urn)
        return self._chains[urn]

    def longest_chain(self) -> tuple[str, ...]:
        """The graph's longest dependency chain: how many resources must be created one
        after another however parallel the engine is."""
        return max((self.chain(r.urn) for r in self.resources), key=len, default=())


def evaluate(
    stack: str,
    overrides: Sequence[str] = (),
    *,
    root: Path = ROOT,
    unknowns: bool = False,
    reveal_secrets: bool = False,
) -> Graph:
    """Evaluate `root`'s program for `stack` offline and return its graph.

    The program always runs as in a preview (`pulumi.runtime.is_dry_run()` is true: nothing
    is applied). By default every resource is answered with deterministic fake ids and
    outputs, so the graph reads like a deployed stack; `unknowns=True` leaves ids and
    provider-computed outputs unknown, as a `pulumi preview` of a new stack sees them.
    `reveal_secrets` is for tests that check what a secret is built from; offline secrets
    are placeholders and fake tokens, and no command of stackctl sets it.

    CI's provenance variables (`CI_COMMIT_SHA`, `AIGW_GRAPH_HASH`) are hidden from the
    program: offline, a stack always exports `delivery` as not applied from CI, so the graph
    is the same in a CI job as on a workstation.
    """
    try:
        config = load_stack(root, stack, overrides)
    except StackFileError as err:
        raise EngineError(str(err)) from err
    with provenance.hidden():
        return contextvars.copy_context().run(_run, config, root, unknowns, reveal_secrets)


def _run(config: StackConfig, root: Path, unknowns: bool, reveal_secrets: bool) -> Graph:
    loop = _new_loop()
    recorder = _Recorder(unknowns, reveal_secrets)
    try:
        with _program_imports(root):
            stack_outputs = _run_program(loop, recorder, config, root)
        outputs = loop.run_until_complete(_resolve(stack_outputs, reveal_secrets))
        revealed = loop.run_until_complete(_resolve(stack_outputs, True))
    finally:
        _close(loop)
    return Graph(
        project=config.project,
        stack=config.stack,
        resources=tuple(sorted(recorder.resources, key=lambda r: r.urn)),
        outputs=outputs,
        output_fingerprints=fingerprints(revealed),
    )


def _run_program(
    loop: asyncio.AbstractEventLoop, recorder: _Recorder, config: StackConfig, root: Path
) -> dict[str, Any]:
    """Run `__main__.py` under the recorder; return what it exported."""
    pulumi.runtime.set_all_config(config.as_sdk_config(), sorted(config.secret_keys))
    # The SDK keeps the root stack and the set of pending outputs in context variables
    # whose defaults are shared objects: give this run its own.
    settings.ROOT.set(None)
    settings.SETTINGS.outputs = set()
    mocks.set_mocks(
        recorder,
        project=config.project,
        stack=config.stack,
        preview=True,
        monitor=recorder.monitor,
    )

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    try:
        loop.run_until_complete(runtime_stack.run_pulumi_func(program))
    except (pulumi.RunError, EngineError) as err:
        raise EngineError(str(err), recorder.resources) from err
    except Exception as err:
        raise EngineError(_program_failure(err, root), recorder.resources) from err
    stack_resource = settings.get_root_resource()
    assert isinstance(stack_resource, runtime_stack.Stack)
    return stack_resource.outputs


def _program_failure(err: Exception, root: Path) -> str:
    """Name the failure and the innermost line of the project's own code that raised it."""
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if f.filename.startswith(f"{root}/") and "/.venv/" not in f.filename
    ]
    where = ""
    if frames:
        where = f" (at {Path(frames[-1].filename).relative_to(root)}:{frames[-1].lineno})"
    return f"the program failed: {type(err).__name__}: {err}{where}"


class _Loop(asyncio.SelectorEventLoop):
    """A run's event loop, with the event loops its worker threads need closed with it.

    The SDK makes its monitor calls from the loop's thread pool, and the mock monitor gives
    each worker thread an event loop of its own; left open, those are reported at exit."""

    def __init__(self) -> None:
        super().__init__()
        self.worker_loops: list[asyncio.AbstractEventLoop] = []
        self.set_default_executor(ThreadPoolExecutor(initializer=self._start_worker))
        self.set_exception_handler(_ignore_orphaned_failures)

    def _start_worker(self) -> None:
        worker = asyncio.new_event_loop()
        asyncio.set_event_loop(worker)
        self.worker_loops.append(worker)


def _ignore_orphaned_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed registration leaves futures nobody awaits; the failure itself is reported."""
    if context.get("message") != "Future exception was never retrieved":
        loop.default_exception_handler(context)


def _new_loop() -> _Loop:
    loop = _Loop()
    asyncio.set_event_loop(loop)
    return loop


def _close(loop: _Loop) -> None:
    """Cancel what a failed program left pending, then close the loop and its workers'."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    for worker in loop.worker_loops:
        worker.close()
    asyncio.set_event_loop(None)


_TOOLING = frozenset({"stackctl", "tests", "policy", "bench", "__main__"})
"""What under a project's root is not the program's importable code: the tools beside it,
and `__main__.py`, which is run, never imported (the `__main__` module is the caller's)."""


@contextmanager
def _program_imports(root: Path) -> Iterator[None]:
    """The program imports its own modules (`components`) from `root`, for this run only.

    Modules already imported from `root` are reused: only `components/settings/` reads
    config, and only when called, so nothing a module computes at import depends on the
    stack (tests/test_conventions.py holds the code to that), and re-importing them on every
    run would cost more than evaluating the program. Modules of the same names imported from
    another checkout (the revision `diff` reads, a test's scratch project) are set aside for
    the run and put back after it, so each run sees its own program and its caller keeps its
    modules."""
    packages = {
        p.stem
        for p in root.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.stem not in _TOOLING
    }

    def ours(name: str) -> bool:
        return name.partition(".")[0] in packages

    inside = f"{root}/"
    foreign = {
        name: module
        for name, module in sys.modules.items()
        if ours(name) and not (getattr(module, "__file__", None) or "").startswith(inside)
    }
    for name in foreign:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        if foreign:
            for name in [n for n in sys.modules if ours(n)]:
                del sys.modules[name]
            sys.modules.update(foreign)


class _Recorder(mocks.Mocks):
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
                "add one to stackctl.engine.FAKE_INVOKES"
            )
        return answer(args.args), []


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, recorder: _Recorder) -> None:
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
            if request.type == STACK_TYPE:
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
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                aliases=(
                    *(json_format.MessageToDict(alias) for alias in request.aliases),
                    *({"urn": urn} for urn in request.aliasURNs),
                ),
                provider=request.provider or None,
                version=request.version or None,
                plugin_download_url=request.pluginDownloadURL or None,
            )
        )
        return response


def fingerprints(values: Mapping[str, Any]) -> dict[str, str]:
    """A digest of each value, to compare values that may hold secrets without showing them."""
    return {
        key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
        for key, value in values.items()
    }


def _readable_provider(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A dynamic resource's `__provider` as a reviewer reads it, instead of base64."""
    serialized = inputs.get(PROVIDER_KEY)
    known = isinstance(serialized, str) and serialized not in (SECRET, UNKNOWN)
    if type_.startswith(DYNAMIC_TYPE_PREFIX) and known:
        return {**inputs, PROVIDER_KEY: describe_dynamic_provider(str(serialized))}
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


def holds_secret(value: Any) -> bool:
    """Whether a value of the graph (inputs, outputs) has a secret marker anywhere in it."""
    if isinstance(value, dict):
        return any(holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_secret(v) for v in value)
    return bool(value == SECRET)


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


async def _resolve(value: Any, reveal: bool) -> Any:
    """Stack outputs as plain JSON, secrets masked and unknowns marked."""
    if isinstance(value, pulumi.Output):
        if not await value.is_known():
            return UNKNOWN
        if await value.is_secret() and not reveal:
            return SECRET
        return await _resolve(await value.future(), reveal)
    if isinstance(value, pulumi.Resource):
        return await _resolve(value.urn, reveal)
    if isinstance(value, Mapping):
        return {k: await _resolve(v, reveal) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [await _resolve(v, reveal) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- fake answers -------------------------------------------------------------------------
# What a provider would compute, faked deterministically so the graph reads like a deployed
# stack. Only outputs the program reads are faked; the rest stay absent.


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _number(*parts: str) -> int:
    return int(_digest(*parts)[:8], 16) % 90_000_000 + 10_000_000


def _project_number(project: Any) -> int:
    """A Google Cloud project's number: twelve digits, derived from its id."""
    return int(_digest(str(project), "number")[:12], 16) % 900_000_000_000 + 100_000_000_000


def fake_id_of(type_: str, name: str, inputs: Mapping[str, Any]) -> str:
    """The id a provider would give a new resource: `<name>-id`, unless the program parses
    ids of that type (a GitLab project id is a number the program passes on as one)."""
    maker = FAKE_IDS.get(type_)
    return maker(name, inputs) if maker else f"{name}-id"


FAKE_IDS: dict[str, Callable[[str, Mapping[str, Any]], str]] = {
    "gitlab:index/project:Project": lambda name, inputs: str(_number(name, "project")),
    "gcp:secretmanager/secret:Secret": lambda name, inputs: (
        f"projects/{inputs.get('project')}/secrets/{inputs.get('secretId')}"
    ),
}


def _service_account(name: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    email = f"{inputs.get('accountId')}@{inputs.get('project')}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{inputs.get('project')}/serviceAccounts/{email}",
    }


def _service_agent(name: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    service = str(inputs.get("service", "")).split(".")[0]
    email = (
        f"service-{_project_number(inputs.get('project'))}@gcp-sa-{service}.iam.gserviceaccount.com"
    )
    return {"email": email, "member": f"serviceAccount:{email}"}


def _pool_name(inputs: Mapping[str, Any]) -> str:
    return (
        f"projects/{_project_number(inputs.get('project'))}/locations/global/"
        f"workloadIdentityPools/{inputs.get('workloadIdentityPoolId')}"
    )


def fake_outputs(type_: str, name: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Computed outputs for a resource of `type_` (what `new_resource` adds to its inputs)."""
    maker = FAKE_OUTPUTS.get(type_)
    return maker(name, id_, inputs) if maker else {}


FAKE_OUTPUTS: dict[str, Callable[[str, str, Mapping[str, Any]], dict[str, Any]]] = {
    "gitlab:index/projectAccessToken:ProjectAccessToken": lambda name, id_, inputs: {
        "token": f"glpat-offline-{_digest(name)[:20]}",
        "userId": _number(name, "user"),
    },
    "gitlab:index/pipelineTrigger:PipelineTrigger": lambda name, id_, inputs: {
        "token": f"glptt-offline-{_digest(name)[:20]}",
    },
    "gitlab:index/projectDeployToken:ProjectDeployToken": lambda name, id_, inputs: {
        "token": f"gldt-offline-{_digest(name)[:20]}",
        "username": f"gitlab+deploy-token-{_number(name, 'deploy-token')}",
    },
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_agent,
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": lambda name, id_, inputs: {
        "name": _pool_name(inputs),
    },
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (
        lambda name, id_, inputs: {
            "name": f"{_pool_name(inputs)}/providers/{inputs.get('workloadIdentityPoolProviderId')}"
        }
    ),
    "gcp:secretmanager/secretVersion:SecretVersion": lambda name, id_, inputs: {
        "name": f"{inputs.get('secret')}/versions/1",
        "version": "1",
    },
    "gcp:cloudrunv2/service:Service": lambda name, id_, inputs: {
        "uri": f"https://{inputs.get('name')}-{_project_number(inputs.get('project'))}"
        f".{inputs.get('location')}.run.app",
    },
    "gcp:compute/globalAddress:GlobalAddress": lambda name, id_, inputs: {
        "address": "34.{}.{}.{}".format(*(int(_digest(name)[i : i + 2], 16) for i in (0, 2, 4))),
    },
}


FAKE_INVOKES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "docker:index/getRegistryImage:getRegistryImage": lambda args: {
        "id": args.get("name"),
        "name": args.get("name"),
        "sha256Digest": f"sha256:{_digest(str(args.get('name')))}",
    },
    "gitlab:index/getProject:getProject": lambda args: {
        "id": str(_number(str(args.get("pathWithNamespace")))),
        "pathWithNamespace": args.get("pathWithNamespace"),
    },
    "gitlab:index/getGroup:getGroup": lambda args: {
        "groupId": _number(str(args.get("fullPath"))),
        "fullPath": args.get("fullPath"),
        "id": str(_number(str(args.get("fullPath")))),
    },
}
