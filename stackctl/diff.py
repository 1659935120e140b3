"""`stackctl diff A B`: the structural difference between two graphs, offline.

A and B are stacks (`staging`, `prod`) or `STACK@REV`, a stack at a git revision of this
repository. Resources are matched by identity, their URN without the stack and project
(`aigw:delivery:SourceProject$gitlab:index/project:Project::canonical-project`), so the
staging and prod stacks compare resource by resource. A resource whose type and name stay
but whose identity changes (it moved to another parent) is reported as replaced: Pulumi
would delete and re-create it. Secrets are never shown; a changed secret is reported as
changed, by comparing digests the engine keeps of each input.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl.engine import (
    SECRET,
    STACK_TYPE,
    EngineError,
    Graph,
    Resource,
    evaluate,
    holds_secret,
)
from stackctl.text import short_type

ABSENT = "(absent)"


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any
    secret: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "secret": self.secret}

    def render(self) -> str:
        if self.secret:
            return f"{self.path}: {SECRET} changed"
        return f"{self.path}: {_show(self.old)} → {_show(self.new)}"


@dataclass(frozen=True)
class ResourceChange:
    identity: str
    type: str
    name: str
    changes: tuple[Change, ...]
    resource: Resource | None = field(default=None, compare=False)
    """The resource on the right-hand side (the new one)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "type": self.type,
            "name": self.name,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class GraphDiff:
    left: str
    right: str
    added: tuple[Resource, ...] = ()
    removed: tuple[Resource, ...] = ()
    replaced: tuple[tuple[Resource, Resource], ...] = ()
    changed: tuple[ResourceChange, ...] = ()
    outputs: tuple[Change, ...] = field(default=())

    @property
    def equal(self) -> bool:
        return not (self.added or self.removed or self.replaced or self.changed or self.outputs)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.replaced)} replaced, {len(self.changed)} changed, "
            f"{len(self.outputs)} outputs changed"
        )

    def to_json(self) -> dict[str, Any]:
        def brief(r: Resource) -> dict[str, str]:
            return {"identity": identity(r.urn), "type": r.type, "name": r.name}

        return {
            "left": self.left,
            "right": self.right,
            "equal": self.equal,
            "added": [brief(r) for r in self.added],
            "removed": [brief(r) for r in self.removed],
            "replaced": [
                {
                    "type": new.type,
                    "name": new.name,
                    "from": identity(old.urn),
                    "to": identity(new.urn),
                }
                for old, new in self.replaced
            ],
            "changed": [c.to_json() for c in self.changed],
            "outputs": [c.to_json() for c in self.outputs],
        }


def identity(urn: str) -> str:
    """A URN without its stack and project: what stays the same across stacks."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return urn
    type_chain, name = parts[2], parts[3]
    return STACK_TYPE if type_chain == STACK_TYPE else f"{type_chain}::{name}"


def compare(left: Graph, right: Graph, left_name: str = "", right_name: str = "") -> GraphDiff:
    old = {identity(r.urn): r for r in left.resources}
    new = {identity(r.urn): r for r in right.resources}
    added = [new[k] for k in sorted(new.keys() - old.keys())]
    removed = [old[k] for k in sorted(old.keys() - new.keys())]
    replaced = []
    for resource in list(added):
        twin = next(
            (r for r in removed if (r.type, r.name) == (resource.type, resource.name)), None
        )
        if twin is not None:
            replaced.append((twin, resource))
            added.remove(resource)
            removed.remove(twin)
    changed = []
    for key in sorted(old.keys() & new.keys()):
        changes = _resource_changes(old[key], new[key])
        if changes:
            changed.append(
                ResourceChange(key, new[key].type, new[key].name, tuple(changes), new[key])
            )
    outputs = _changes(
        dict(left.outputs),
        dict(right.outputs),
        left.output_fingerprints,
        right.output_fingerprints,
        "",
    )
    return GraphDiff(
        left=left_name or left.stack,
        right=right_name or right.stack,
        added=tuple(added),
        removed=tuple(removed),
        replaced=tuple(replaced),
        changed=tuple(changed),
        outputs=tuple(outputs),
    )


def _resource_changes(old: Resource, new: Resource) -> list[Change]:
    changes = _changes(
        _normalise(dict(old.inputs)),
        _normalise(dict(new.inputs)),
        old.fingerprints,
        new.fingerprints,
        "",
    )
    for label, a, b in (
        ("protect", old.protect, new.protect),
        ("retainOnDelete", old.retain_on_delete, new.retain_on_delete),
        ("importId", old.import_id, new.import_id),
        ("parent", old.parent and identity(old.parent), new.parent and identity(new.parent)),
        (
            "provider",
            old.provider and identity(old.provider),
            new.provider and identity(new.provider),
        ),
        (
            "dependencies",
            sorted(map(identity, old.dependencies)),
            sorted(map(identity, new.dependencies)),
        ),
    ):
        if a != b:
            changes.append(Change(f"[{label}]", a, b))
    return changes


def _changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_prints: Mapping[str, str],
    new_prints: Mapping[str, str],
    prefix: str,
) -> list[Change]:
    found: list[Change] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key, ABSENT), new.get(key, ABSENT)
        if a == b:
            if old_prints.get(key) != new_prints.get(key) and holds_secret(a):
                found.append(Change(f"{prefix}{key}", SECRET, SECRET, secret=True))
            continue
        found.extend(_walk(a, b, f"{prefix}{key}"))
    return found


def _walk(a: Any, b: Any, path: str) -> Iterator[Change]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            x, y = a.get(key, ABSENT), b.get(key, ABSENT)
            if x != y:
                yield from _walk(x, y, f"{path}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            x = a[i] if i < len(a) else ABSENT
            y = b[i] if i < len(b) else ABSENT
            if x != y:
                yield from _walk(x, y, f"{path}[{i}]")
    else:
        yield Change(path, a, b)


def _normalise(value: Any) -> Any:
    """Resource references inside inputs compare by identity, not by stack-specific URN."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and value.startswith("urn:pulumi:"):
        return identity(value)
    return value


# --- loading each side ----------------------------------------------------------------------


def load(spec: str, root: Path, overrides: Sequence[str] = ()) -> Graph:
    """`staging` evaluates the checkout; `staging@REV` the program and stack file at REV."""
    stack, at, revision = spec.partition("@")
    if not at:
        return evaluate(stack, overrides, root=root)
    if not revision:
        raise EngineError(f"{spec!r}: expected STACK@REV, for example prod@HEAD~1")
    with checkout(root, revision) as tree:
        try:
            return evaluate(stack, overrides, root=tree)
        except EngineError as err:
            raise EngineError(f"{spec}: {err}", err.resources) from err


@contextmanager
def checkout(root: Path, revision: str) -> Iterator[Path]:
    """The files of `revision` in a temporary directory; the checkout is left untouched."""
    verify = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if verify.returncode != 0:
        raise EngineError(f"{revision!r} is not a revision of the repository at {root}")
    archive = _git(root, "archive", "--format=tar", verify.stdout.decode().strip())
    if archive.returncode != 0:
        raise EngineError(f"git archive {revision} failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="stackctl-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)  # noqa: S603, S607


# --- for the merge request: the widget's counts and the Markdown -----------------------------


def counted(diff: GraphDiff) -> list[tuple[str, str, Resource]]:
    """(op, urn, resource) of each resource the diff changes, as `pulumi up` would: added is
    create, removed is delete, replaced is replace, changed is update. Components and the
    root stack are not counted (nothing is created for them; `stackctl.plan` leaves them out
    of a preview's counts the same way); nor is a resource whose only change is its
    dependency list, which Pulumi does not diff."""
    found: list[tuple[str, str, Resource]] = []
    found += [("create", r.urn, r) for r in diff.added]
    found += [("replace", new.urn, new) for _, new in diff.replaced]
    for change in diff.changed:
        paths = {c.path for c in change.changes}
        if paths != {"[dependencies]"} and change.resource is not None:
            found.append(("update", change.resource.urn, change.resource))
    found += [("delete", r.urn, r) for r in diff.removed]
    return [(op, urn, r) for op, urn, r in found if r.custom and r.type != STACK_TYPE]


def plan(diff: GraphDiff) -> dict[str, int]:
    """GitLab's terraform report (`artifacts:reports:terraform`) for the offline diff, with
    `stackctl report`'s rules: a replace is one create and one delete."""
    ops = [op for op, _, _ in counted(diff)]
    return {
        "create": ops.count("create") + ops.count("replace"),
        "update": ops.count("update"),
        "delete": ops.count("delete") + ops.count("replace"),
    }


def markdown(diff: GraphDiff, right: Graph, left: Graph | None = None) -> str:
    """The diff for the merge request page: the blast radius first, then the counts, every
    changed resource with its changed inputs (secrets as `[secret]`), and the delivery
    diagram with the same resources highlighted. Scrubbed whole, like a note."""
    from stackctl import blast, diagram
    from stackctl.note import _code, _fenced, html
    from stackctl.scrub import scrub

    changes = counted(diff)
    touches = [blast.Touch(urn, op, r.protect, r.inputs) for op, urn, r in changes]
    counts = plan(diff)
    lines = [
        f"#### Offline graph diff: `{_code(diff.left)}` → `{_code(diff.right)}`",
        "",
        *blast.opening(blast.parts(right, touches, before=left)),
        f"**Offline plan:** {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete (a replace counts as one create and one delete); "
        f"{diff.summary()}.",
        "",
    ]
    by_urn = {c.resource.urn: c for c in diff.changed if c.resource is not None}
    replaced = {new.urn: old for old, new in diff.replaced}
    signs = {"create": "+", "update": "~", "replace": "±", "delete": "-"}
    for op, urn, resource in changes:
        flags = " <i>(protected)</i>" if resource.protect else ""
        lines.append(
            f"- <code>{signs[op]} {op}</code> <code>{html(short_type(resource.type))}</code> "
            f"<b>{html(resource.name)}</b>{flags}"
        )
        rows: list[str] = []
        if urn in by_urn:
            # The dependency list is long and follows from the inputs: the text diff has it.
            rows = [f"~ {c.render()}" for c in by_urn[urn].changes if c.path != "[dependencies]"]
        elif urn in replaced:
            rows = [f"- {identity(replaced[urn].urn)}", f"+ {identity(urn)}"]
        if rows:
            lines += ["", *(f"  {line}" for line in _fenced("diff", rows))]
        lines.append("")
    if diff.outputs:
        rows = [f"~ {c.render()}" for c in diff.outputs]
        lines += ["Stack outputs changed:", "", *_fenced("diff", rows), ""]
    highlighted = [urn for _, urn, _ in changes if urn in {r.urn for r in right.resources}]
    lines += [
        "<details><summary>Delivery diagram (changed parts highlighted)</summary>",
        "",
        *_fenced("mermaid", diagram.mermaid(right, highlighted).splitlines()),
        "</details>",
    ]
    return scrub("\n".join(lines).rstrip() + "\n")


def write(out_dir: Path, diff: GraphDiff, right: Graph, left: Graph | None = None) -> None:
    """`plan.json` and `diff.md` in `out_dir`, each whole or not at all (as `stackctl
    report` writes its files)."""
    from stackctl.errors import StackctlError
    from stackctl.report import _replace

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _replace(out_dir / "plan.json", json.dumps(plan(diff)) + "\n")
        _replace(out_dir / "diff.md", markdown(diff, right, left))
    except OSError as err:
        raise StackctlError(
            f"cannot write the diff to {out_dir}: {err.strerror or type(err).__name__}"
        ) from None


# --- rendering ------------------------------------------------------------------------------


def render(diff: GraphDiff) -> str:
    lines = [f"diff {diff.left} → {diff.right}: {diff.summary()}"]
    for resource in diff.added:
        lines.append(f"+ {short_type(resource.type)} {resource.name}")
    for resource in diff.removed:
        lines.append(f"- {short_type(resource.type)} {resource.name}")
    for old, new in diff.replaced:
        lines.append(f"± {short_type(new.type)} {new.name}  (identity changed, would be replaced)")
        lines.append(f"    from {identity(old.urn)}")
        lines.append(f"    to   {identity(new.urn)}")
    for change in diff.changed:
        lines.append(f"~ {short_type(change.type)} {change.name}")
        lines.extend(f"    {c.render()}" for c in change.changes)
    if diff.outputs:
        lines.append("~ outputs")
        lines.extend(f"    {c.render()}" for c in diff.outputs)
    return "\n".join(lines)


def _show(value: Any) -> str:
    return value if value == ABSENT else json.dumps(value, sort_keys=True)
