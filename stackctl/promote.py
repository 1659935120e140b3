"""`stackctl promote --from staging --to prod`: the promotion gate. It changes nothing.

Prod is applied only from a commit staging has applied successfully (stack-per-environment
promotion: README, "Versioned applies and the promotion gate").
Every stack exports where its last `pulumi up` came from (`delivery: {revision, graphHash}`,
stackctl/provenance.py); Pulumi saves a stack's outputs only when an update completes, so
they name the last *successful* apply. The gate reads them with the real CLI (`pulumi stack
output --json`, no secrets needed) and passes only if staging's last apply

1. was run by CI (a `pulumi up` by hand records `not applied from CI`),
2. came from the commit being promoted, and
3. recorded the hash of the graph this commit gives for staging today (the graph that was
   applied is the graph being promoted: same program, same stack file, same evaluation).

Then it prints what prod will get: the offline diff between the staging and prod stacks of
this commit, and, when prod's last apply came from a commit this clone has, the offline diff
of prod from that commit to this one. The CI job runs `pulumi up` on prod after it passes.

Exit codes: 0 the gate passes; 3 it refuses (the reason on stderr); 1 it could not be
evaluated (no CLI, the CLI failed, an output it cannot read, a revision git does not know).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from stackctl import provenance
from stackctl.engine import Graph, evaluate
from stackctl.errors import StackctlError
from stackctl.scrub import scrub

PASSED = 0
REFUSED = 3
TIMEOUT = 300
"""Seconds `pulumi stack output` may take (it reads the state from the bucket)."""


class PromoteError(StackctlError):
    """The gate could not be evaluated (exit 1)."""


class RefusedError(StackctlError):
    """The gate refuses the promotion (exit 3); the message says why and what to do."""


@dataclass(frozen=True)
class Applied:
    """A stack's `delivery` output: where its last successful `pulumi up` came from."""

    stack: str
    revision: str
    graph_hash: str

    @property
    def from_ci(self) -> bool:
        return self.revision != provenance.NOT_FROM_CI


GraphLoader = Callable[[str], Graph]


def run(
    source: str,
    target: str,
    *,
    root: Path,
    revision: str | None = None,
    graphs: GraphLoader | None = None,
    out: TextIO,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Evaluate the gate for promoting `source` (staging) to `target` (prod) at `revision`
    (default: `CI_COMMIT_SHA`, else the checkout's HEAD). `graphs` evaluates a stack of this
    commit offline (tests hand in graphs they evaluated once)."""
    from stackctl import diff

    env = os.environ if environ is None else environ
    if source == target:
        raise PromoteError(f"--from and --to are both {source!r}: promote between two stacks")
    load = graphs or (lambda stack: evaluate(stack, root=root))
    commit = resolve(root, revision or env.get(provenance.REVISION_ENV) or "HEAD")

    applied = read_applied(source, root, required=True)
    assert applied is not None
    if not applied.from_ci:
        raise RefusedError(
            f"{source}'s last successful apply was not run by CI (its `{provenance.OUTPUT}` "
            f"output says {provenance.NOT_FROM_CI!r}: a `pulumi up` by hand?). Promote only what "
            f"CI applied: run the deploy:{source} job for {_short(commit)}"
        )
    if applied.revision != commit:
        raise RefusedError(
            f"{source} was last applied from {_short(applied.revision)}, not from "
            f"{_short(commit)}: {target} may only get a commit {source} has applied. Wait for "
            f"deploy:{source} of {_short(commit)} to succeed, or promote "
            f"{_short(applied.revision)} instead"
        )
    current = read_applied(target, root, required=False)

    source_graph = load(source)
    expected = provenance.graph_hash(source_graph)
    if applied.graph_hash != expected:
        raise RefusedError(
            f"{source} was applied from {_short(commit)}, but with another graph: it recorded "
            f"graph hash {applied.graph_hash[:16]}…, this commit's offline {source} graph hashes "
            f"to {expected[:16]}…. Something outside the commit changed the graph (the pull "
            "token's rotation period, or the environment of the evaluation): re-run "
            f"deploy:{source} for {_short(commit)}, then promote"
        )
    target_graph = load(target)

    print(f"promote {source} → {target} at {commit}", file=out)
    print(
        f"  {source}: applied from {_short(commit)} by CI, graph {expected[:16]}… "
        "matches this commit ✓",
        file=out,
    )
    if current is None:
        print(f"  {target}: never applied by CI → {_short(commit)}", file=out)
    else:
        print(f"  {target}: applied from {_describe(current)} → {_short(commit)}", file=out)
    print("", file=out)
    print(f"What {target} will get: this commit's {source} and {target} stacks, offline", file=out)
    print(diff.render(diff.compare(source_graph, target_graph, source, target)), file=out)

    if current is not None and current.from_ci and current.revision != commit:
        print("", file=out)
        try:
            before = diff.load(f"{target}@{current.revision}", root)
        except StackctlError as err:
            print(
                f"(No diff of {target} since its last apply: {_short(current.revision)} "
                f"cannot be evaluated here: {err})",
                file=out,
            )
        else:
            print(
                f"What changes in {target} since its last apply, offline "
                f"({_short(current.revision)} → {_short(commit)})",
                file=out,
            )
            print(
                diff.render(
                    diff.compare(
                        before,
                        target_graph,
                        f"{target}@{_short(current.revision)}",
                        f"{target}@{_short(commit)}",
                    )
                ),
                file=out,
            )
    print("", file=out)
    print(f"promotion allowed: `pulumi up --stack {target}` may apply {_short(commit)}", file=out)
    return PASSED


def read_applied(stack: str, root: Path, *, required: bool) -> Applied | None:
    """The stack's `delivery` output, read with `pulumi stack output --json --stack STACK`.

    A stack without it was never applied by this program's CI: a refusal for the stack being
    promoted (`required`), None for the stack being promoted to (its first promotion)."""
    outputs = stack_outputs(stack, root)
    record = outputs.get(provenance.OUTPUT)
    if record is None:
        if not required:
            return None
        never = "has no outputs" if not outputs else f"has no `{provenance.OUTPUT}` output"
        raise RefusedError(
            f"{stack} {never}: it has never been applied by this program from CI. Merge to "
            f"the default branch and let deploy:{stack} apply it first"
        )
    revision = record.get("revision") if isinstance(record, dict) else None
    graph_hash = record.get("graphHash") if isinstance(record, dict) else None
    if not isinstance(revision, str) or not isinstance(graph_hash, str):
        raise PromoteError(
            f"{stack}'s `{provenance.OUTPUT}` output is not what this program exports: "
            f'expected {{"revision": "<commit>", "graphHash": "<sha256>"}}, found '
            f"{_preview(record)}"
        )
    return Applied(stack=stack, revision=revision, graph_hash=graph_hash)


def stack_outputs(stack: str, root: Path) -> dict[str, Any]:
    """`pulumi stack output --json --stack STACK`, run in `root`: the stack's outputs, with
    secrets as `[secret]` (promote needs none of them)."""
    command = ["pulumi", "stack", "output", "--json", "--non-interactive", "--stack", stack]
    shown = " ".join(c for c in command if c != "--non-interactive")
    executable = shutil.which("pulumi")
    if executable is None:
        raise PromoteError(
            f"the pulumi CLI is not on PATH: promote reads {stack}'s outputs with `{shown}`"
        )
    try:
        done = subprocess.run(  # noqa: S603 (a fixed command; the stack name is an argument)
            [executable, *command[1:]],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PromoteError(f"`{shown}` did not answer within {TIMEOUT} s") from None
    except OSError as err:
        raise PromoteError(f"`{shown}` could not be run: {err.strerror or err}") from None
    if done.returncode != 0:
        said = scrub("\n".join(done.stderr.strip().splitlines()[-10:])) or "(nothing on stderr)"
        raise PromoteError(f"`{shown}` failed (exit {done.returncode}):\n{said}")
    try:
        outputs = json.loads(done.stdout)
    except json.JSONDecodeError as err:
        raise PromoteError(
            f"`{shown}` printed something that is not JSON ({err.msg} at line {err.lineno}): "
            f"{_preview(done.stdout)}"
        ) from None
    if not isinstance(outputs, dict):
        raise PromoteError(
            f"`{shown}` printed {_preview(outputs)}, not an object of the stack's outputs"
        )
    return outputs


def resolve(root: Path, revision: str) -> str:
    """The full commit SHA of `revision` in the repository at `root`."""
    try:
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as err:
        raise PromoteError(f"git could not be run to find {revision!r}: {err.strerror}") from None
    if done.returncode != 0:
        raise PromoteError(f"{revision!r} is not a commit of the repository at {root}")
    return done.stdout.strip()


def _describe(applied: Applied) -> str:
    if not applied.from_ci:
        return f"outside CI ({provenance.NOT_FROM_CI})"
    return _short(applied.revision)


def _short(revision: str) -> str:
    return revision[:12] if len(revision) >= 40 else revision


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.strip() or "(nothing)"
    return text if len(text) <= 120 else text[:117] + "..."
