"""The offline engine's runner: evaluate the program under the SDK's mock monitor.

This is the one place that evaluates the program without the CLI. `stackctl graph`, `diff`,
`check` and the tests all call `evaluate`; nothing else runs `__main__.py`. The SDK keeps
its settings, root resource and pending outputs in process-wide and context variables, so
two runs in one process would leak into each other: each run here therefore gets its own
event loop, its own context, and its own view of the project's modules.

The graph model is `stackctl.graph`, the mock monitor that records it `stackctl.recorder`,
the offline answers `stackctl.fakes`; their names are re-exported here for the tools.
"""

from __future__ import annotations

import asyncio
import contextvars
import runpy
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime import resource as resource_runtime
from pulumi.runtime import stack as runtime_stack
from pulumi.runtime.proto import source_pb2

from contract import PROVENANCE_ENV, SECRET, UNKNOWN, Pulumi
from stackctl import provenance
from stackctl.fakes import FAKE_INVOKES, fake_id_of, fake_outputs
from stackctl.graph import EngineError, Graph, Resource, fingerprints, holds_secret
from stackctl.recorder import Recorder, describe_dynamic_provider, disabled_default_providers
from stackctl.stackfile import StackConfig, StackFileError, load_stack

__all__ = [
    "DYNAMIC_TYPE_PREFIX",
    "FAKE_INVOKES",
    "PROVIDER_KEY",
    "ROOT",
    "SECRET",
    "STACK_TYPE",
    "UNKNOWN",
    "EngineError",
    "Graph",
    "Resource",
    "describe_dynamic_provider",
    "evaluate",
    "fake_id_of",
    "fake_outputs",
    "fingerprints",
    "holds_secret",
]
"""What the rest of stackctl and the tests import from here; each lives in its own module."""

ROOT = Path(__file__).resolve().parent.parent
STACK_TYPE = Pulumi.STACK
DYNAMIC_TYPE_PREFIX = Pulumi.DYNAMIC_PREFIX
PROVIDER_KEY = Pulumi.DYNAMIC_PROVIDER_KEY
GOOGLE_SDK_ENV = (
    *("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"),
    *("GOOGLE_REGION", "GCLOUD_REGION", "CLOUDSDK_COMPUTE_REGION"),
    *("GOOGLE_ZONE", "GCLOUD_ZONE", "CLOUDSDK_COMPUTE_ZONE"),
)
"""What `pulumi_gcp.Provider` reads an unset `project`, `region` or `zone` from when it is
constructed (pulumi_gcp/provider.py, `_internal_init`)."""
HIDDEN_ENV = (*PROVENANCE_ENV, *GOOGLE_SDK_ENV)
DISABLE_DEFAULT_PROVIDERS = "pulumi:disable-default-providers"
"""The stack config key that turns packages' default providers off (the engine reads it in
`shouldDenyRequest`, pkg/resource/deploy/default_providers.go)."""


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

    The variables the Google Cloud SDK's `Provider` reads its unset `project`, `region` and
    `zone` from are hidden too, so that no workstation's or CI image's gcloud settings get into
    the graph. CI's provenance variables (`CI_COMMIT_SHA`, `AIGW_GRAPH_HASH`) are hidden from the
    program: offline, a stack always exports `delivery` as not applied from CI, so the graph
    is the same in a CI job as on a workstation.
    """
    try:
        config = load_stack(root, stack, overrides)
    except StackFileError as err:
        raise EngineError(str(err)) from err
    with provenance.hidden(names=HIDDEN_ENV):
        return contextvars.copy_context().run(_run, config, root, unknowns, reveal_secrets)


def _run(config: StackConfig, root: Path, unknowns: bool, reveal_secrets: bool) -> Graph:
    loop = _new_loop()
    disabled = disabled_default_providers(config.values.get(DISABLE_DEFAULT_PROVIDERS))
    recorder = Recorder(unknowns, reveal_secrets, disabled)
    try:
        with _program_imports(root), _no_source_positions():
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
    loop: asyncio.AbstractEventLoop, recorder: Recorder, config: StackConfig, root: Path
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


@contextmanager
def _no_source_positions() -> Iterator[None]:
    """Registrations without the SDK's capture of the program's stack, for this run only.

    For every registration the SDK captures the Python stack (`_get_stack_trace` in
    pulumi/runtime/resource.py: `traceback.extract_stack()`, each frame's source line read,
    a file URI built per frame) to send the engine as the resource's source position and
    stack trace, which the CLI shows in diagnostics. No offline output uses them (the
    recorder keeps neither), and the capture is about a sixth of an evaluation's time; so
    offline registrations carry an empty stack trace and no source position, as the SDK
    sends when it finds no frame of the program's (tests/test_engine.py holds the SDK to
    calling this function, so that an SDK that renames it is noticed)."""
    original = resource_runtime._get_stack_trace
    resource_runtime._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        resource_runtime._get_stack_trace = original


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
