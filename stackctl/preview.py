"""Reading what `pulumi preview --json` prints: the document, typed, every place checked.

The document is Pulumi's `PreviewDigest` (pulumi/pulumi pkg/display/json.go): one JSON
object with `steps` (`PreviewStep`: op, urn, oldState and newState as `apitype.ResourceV3`,
diffReasons, replaceReasons, detailedDiff), `diagnostics` (urn, prefix, message, severity),
`changeSummary` (op → count), `duration`, `config`, `maybeCorrupt`. Unchanged resources are
left out, except the root stack, whose step is always there. Secrets are `"[secret]"`.

Policy violations are not in the document: Pulumi's JSON display drops policy events. They
are in the engine's event log, which `stackctl.events` reads with this module's `Reader`.

Everything a reviewer can be misled by is an error here, with where it is (`steps[3].op`,
`steps[0].newState.protect`, `events.jsonl:7`): a file that is empty, truncated, not JSON,
too large or nested too deep (`stackctl.jsonfile`), an op Pulumi does not have, a field of
the wrong type (`"protect": "false"` is not false, it is wrong), the same resource changed
twice. Every message is scrubbed (`stackctl.scrub`): a document may quote a credential
where a name was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from contract import Pulumi
from stackctl import jsonfile
from stackctl.errors import StackctlError
from stackctl.scrub import CLIP_MARGIN, clip, scrub

STACK_TYPE: Final = Pulumi.STACK

CHANGING_OPS: Final = ("delete", "replace", "update", "create", "import")
"""The ops a reviewer must read and the widget counts, most dangerous first."""
ADOPTION_CHANGES: Final = frozenset({"update", "replace"})
"""What may follow an `import` step of the same URN: the live resource changed by adoption."""
REPLACEMENT_PARTS: Final = frozenset(
    {
        "create-replacement",
        "delete-replaced",
        "discard-replaced",
        "import-replacement",
        "read-replacement",
    }
)
"""The parts of a `replace` (shown with `--show-replacement-steps`): its `replace` step
stands for them."""
OPS: Final = (
    frozenset(CHANGING_OPS)
    | REPLACEMENT_PARTS
    | {
        "same",
        "read",
        "refresh",
        "discard",
        "remove-pending-replace",
        "diff",
        "extend-parameterize",
    }
)
"""Every step op Pulumi has: the `display.StepOp` constants of pulumi/pulumi
pkg/resource/deploy/step.go (`OpSame` … `OpExtendParameterize`). The rest change nothing."""
DIFF_KINDS: Final = frozenset(
    {"add", "add-replace", "delete", "delete-replace", "update", "update-replace"}
)
"""`plugin.DiffKind.String()` (sdk/go/common/resource/plugin/provider.go)."""
SEVERITIES: Final = frozenset({"debug", "info", "info#err", "warning", "error"})
"""`diag.Severity` (sdk/go/common/diag/sink.go)."""
URN_PREFIX: Final = "urn:pulumi:"

PREVIEW_MAX_BYTES: Final = 64 * 2**20
"""A preview of every resource of prod, with old and new states, is a few MiB."""


class PreviewError(StackctlError):
    """The preview document (or its event log) cannot be read as one. The message is
    scrubbed: it may quote part of the document."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


@dataclass(frozen=True)
class PropertyDiff:
    path: str
    kind: str
    """add, delete, update, or their `-replace` forms."""
    input_diff: bool
    """Old inputs against new inputs; otherwise the old state (outputs) against new inputs."""

    @property
    def replaces(self) -> bool:
        return self.kind.endswith("-replace")


@dataclass(frozen=True)
class State:
    """A resource's `oldState` or `newState` (Pulumi's ResourceV3)."""

    type: str
    custom: bool
    """False for a component: a logical grouping that nothing is created for."""
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    protect: bool
    retain_on_delete: bool
    import_id: str | None
    secret_outputs: frozenset[str]
    """`additionalSecretOutputs`: properties the provider's state holds as secrets."""


@dataclass(frozen=True)
class Step:
    op: str
    urn: str
    old: State | None
    new: State | None
    diff_reasons: tuple[str, ...]
    replace_reasons: tuple[str, ...]
    detailed_diff: tuple[PropertyDiff, ...] | None
    """None when the provider gave no detailed diff (the reasons name top-level keys)."""

    @property
    def type(self) -> str:
        parts = self.urn.split("::")
        if len(parts) >= 4:
            return parts[2].rsplit("$", 1)[-1]
        state = self.new or self.old
        return state.type if state else "?"

    @property
    def name(self) -> str:
        """Everything after the URN's third `::`, as `URN.Name()` (sdk/go/common/resource/urn)."""
        return self.urn.split("::", 3)[-1]

    @property
    def custom(self) -> bool:
        return all(s.custom for s in (self.old, self.new) if s is not None)

    @property
    def protected(self) -> bool:
        return any(s is not None and s.protect for s in (self.old, self.new))

    @property
    def retained(self) -> bool:
        return any(s is not None and s.retain_on_delete for s in (self.old, self.new))


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    """info, info#err, warning or error (debug messages are never in the document)."""
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Preview:
    source: str
    steps: tuple[Step, ...]
    diagnostics: tuple[Diagnostic, ...]
    change_summary: Mapping[str, int]
    maybe_corrupt: bool = False

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def resource_steps(self) -> tuple[Step, ...]:
        """Steps of the stack's resources: the root stack, components (nothing is created
        for them) and the parts of replacements (their `replace` step stands for them) left
        out."""
        return tuple(
            s
            for s in self.steps
            if s.type != STACK_TYPE and s.custom and s.op not in REPLACEMENT_PARTS
        )

    @property
    def unchanged(self) -> int:
        return int(self.change_summary.get("same", 0))


# --- the document ---------------------------------------------------------------------------


def load(path: Path) -> Preview:
    """Read `pulumi preview --json`'s output from `path`."""
    try:
        data = jsonfile.read_capped(path, PREVIEW_MAX_BYTES)
        text = jsonfile.decode(data)
    except FileNotFoundError:
        raise PreviewError(f"{path}: no such file") from None
    except OSError as err:
        raise PreviewError(f"{path}: cannot be read: {err.strerror or err}") from None
    except jsonfile.JsonError as problem:
        raise PreviewError(f"{path} {problem}") from None
    return parse(text, str(path))


def parse(text: str, source: str = "preview") -> Preview:
    if not text.strip():
        raise PreviewError(
            f"{source} is empty: `pulumi preview --json` printed nothing, so it failed before "
            "the preview started (its error is in the job log, on stderr)"
        )
    try:
        document = jsonfile.loads(text)
    except jsonfile.JsonError as problem:
        hint = "; the preview was cut off before it finished printing: re-run it"
        raise PreviewError(
            f"{source} {problem}{hint if 'truncated' in str(problem) else ''}"
        ) from None
    if not isinstance(document, dict):
        raise PreviewError(
            f"{source} is not a `pulumi preview --json` document: expected an object with "
            f"steps, diagnostics and changeSummary, {kind(document)}"
        )
    if not document.keys() & {"steps", "diagnostics", "changeSummary"}:
        keys = ", ".join(clip(k, 40) for k in sorted(document)[:10])
        raise PreviewError(
            f"{source} is not a `pulumi preview --json` document: it has none of steps, "
            f"diagnostics, changeSummary (keys: {keys or 'none'})"
        )
    reader = Reader(source)
    steps = tuple(
        reader.step(raw, f"steps[{i}]")
        for i, raw in enumerate(reader.list(document, "steps", "steps"))
    )
    reader.no_resource_twice(steps)
    diagnostics = tuple(
        reader.diagnostic(raw, f"diagnostics[{i}]")
        for i, raw in enumerate(reader.list(document, "diagnostics", "diagnostics"))
    )
    summary = reader.object(document.get("changeSummary") or {}, "changeSummary")
    for op, count in summary.items():
        reader.choice(op, OPS, f"changeSummary[{json.dumps(clip(op, 40))}]", "a step op")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise reader.fail(f"changeSummary.{clip(op, 40)}", f"must be a count, {kind(count)}")
    return Preview(
        source=source,
        steps=steps,
        diagnostics=diagnostics,
        change_summary=dict(summary),
        maybe_corrupt=reader.flag(document, "maybeCorrupt", "", default=False),
    )


class Reader:
    """Typed access to the document, naming the place of anything malformed."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> PreviewError:
        return PreviewError(f"{self.source}: {where} {problem}")

    def list(self, parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list, {kind(value)}")
        return value

    def object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be an object, {kind(value)}")
        return value

    def string(self, parent: Mapping[str, Any], key: str, where: str, required: bool) -> str:
        value = parent.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise self.fail(_join(where, key), f"must be a non-empty string, {kind(value)}")
        return value

    def flag(self, parent: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        """A JSON boolean: `"false"` or `0` would read as true, so they are errors."""
        value = parent.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(_join(where, key), f"must be true or false, {kind(value)}")
        return value

    def choice(self, value: str, allowed: frozenset[str], where: str, what: str) -> str:
        if value not in allowed:
            raise self.fail(
                where,
                f"is not {what} Pulumi has: {json.dumps(clip(value, 60))} "
                f"(known: {', '.join(sorted(allowed))})",
            )
        return value

    def strings(self, parent: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.list(parent, key, _join(where, key))
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{_join(where, key)}[{i}]", f"must be a string, {kind(value)}")
        return tuple(values)

    def step(self, raw: Any, where: str) -> Step:
        step = self.object(raw, where)
        op = self.choice(self.string(step, "op", where, True), OPS, f"{where}.op", "a step op")
        urn = self.string(step, "urn", where, required=True)
        if not urn.startswith(URN_PREFIX) or urn.count("::") < 3:
            raise self.fail(f"{where}.urn", f"is not a Pulumi URN: {json.dumps(clip(urn, 120))}")
        detailed = step.get("detailedDiff")
        diffs: tuple[PropertyDiff, ...] | None = None
        if detailed is not None:
            entries = self.object(detailed, f"{where}.detailedDiff")
            diffs = tuple(
                self.property_diff(path, value, f"{where}.detailedDiff[{json.dumps(path)}]")
                for path, value in sorted(entries.items())
            )
        return Step(
            op=op,
            urn=urn,
            old=self.state(step.get("oldState"), f"{where}.oldState"),
            new=self.state(step.get("newState"), f"{where}.newState"),
            diff_reasons=self.strings(step, "diffReasons", where),
            replace_reasons=self.strings(step, "replaceReasons", where),
            detailed_diff=diffs,
        )

    def property_diff(self, path: str, raw: Any, where: str) -> PropertyDiff:
        entry = self.object(raw, where)
        kind = self.string(entry, "kind", where, required=True)
        return PropertyDiff(
            path=path,
            kind=self.choice(kind, DIFF_KINDS, f"{where}.kind", "a diff kind"),
            input_diff=self.flag(entry, "inputDiff", where, default=False),
        )

    def state(self, raw: Any, where: str) -> State | None:
        if raw is None:
            return None
        state = self.object(raw, where)
        import_id = state.get("importID")
        if import_id is not None and not isinstance(import_id, str):
            raise self.fail(f"{where}.importID", f"must be a string, {kind(import_id)}")
        return State(
            type=self.string(state, "type", where, required=False),
            custom=self.flag(state, "custom", where, default=True),
            inputs=self.object(state.get("inputs") or {}, f"{where}.inputs"),
            outputs=self.object(state.get("outputs") or {}, f"{where}.outputs"),
            protect=self.flag(state, "protect", where, default=False),
            retain_on_delete=self.flag(state, "retainOnDelete", where, default=False),
            import_id=import_id or None,
            secret_outputs=frozenset(self.strings(state, "additionalSecretOutputs", where)),
        )

    def no_resource_twice(self, steps: tuple[Step, ...]) -> None:
        """Two changes of one resource would be counted twice: Pulumi plans one per URN,
        but for an adoption that changes the live resource. Since pulumi/pulumi#19339 the
        step generator runs an `import` step, then diffs the imported state against the
        program and appends an `update` (or a `replace`) for the same URN
        (pkg/resource/deploy/step_generator.go, `continueStepsFromImport`); the JSON display
        appends one step per `ResourcePreEvent` (pkg/backend/display/json.go), so the
        document holds the pair in that order. Only that pair is allowed."""
        seen: dict[str, int] = {}
        for i, step in enumerate(steps):
            if step.op not in CHANGING_OPS:
                continue
            first = seen.get(step.urn)
            if first is not None and steps[first].op == "import" and step.op in ADOPTION_CHANGES:
                seen[step.urn] = i
                continue
            if step.urn in seen:
                raise self.fail(
                    f"steps[{i}].urn",
                    f"is the same resource as steps[{seen[step.urn]}].urn "
                    f"({json.dumps(clip(step.name, 80))}): one resource, two changes",
                )
            seen[step.urn] = i

    def diagnostic(self, raw: Any, where: str) -> Diagnostic:
        entry = self.object(raw, where)
        prefix = self.string(entry, "prefix", where, required=False)
        message = self.string(entry, "message", where, required=False)
        severity = self.string(entry, "severity", where, required=False) or "info"
        urn = self.string(entry, "urn", where, required=False) or None
        return Diagnostic(
            severity=self.choice(severity, SEVERITIES, f"{where}.severity", "a severity"),
            message=(prefix + message).strip(),
            urn=urn,
        )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def kind(value: Any) -> str:
    """What was found instead, for a message: its JSON kind and a short, scrubbed view."""
    if value is None:
        return "found nothing"
    names = {dict: "an object", list: "a list", bool: "a boolean"}
    if type(value) in names:
        return f"found {names[type(value)]}"
    if isinstance(value, str):  # only the head is shown: never serialise a huge string whole
        return f"found a string {clip(json.dumps(value[:CLIP_MARGIN], ensure_ascii=False), 60)}"
    return f"found a number {clip(json.dumps(value), 60)}"
