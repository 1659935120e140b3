"""Reading what `pulumi preview --json` prints (DESIGN.md section 9), and its event log.

The document is one JSON object: `steps` (op, urn, oldState, newState, diffReasons,
replaceReasons, detailedDiff), `diagnostics` (urn, message, severity), `changeSummary`,
`duration`, `config`. Unchanged resources are left out, except the root stack, whose step
is always there. Secrets are `"[secret]"`.

Policy violations are not in the document: Pulumi's JSON display drops policy events. They
are in the engine's event log (`PULUMI_DEBUG_COMMANDS=true pulumi preview --event-log FILE`,
one JSON engine event per line, the log the Automation API reads), whose `policyEvent`
entries `read_events` collects. Without the log, a preview failed only by a mandatory
policy looks like a successful one here; the report says so.

Everything a reviewer can be misled by is an error here, with where it is: a file that is
empty, truncated or not JSON, a step without an op or URN, a field of the wrong type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl.errors import StackctlError

STACK_TYPE = "pulumi:pulumi:Stack"

CHANGING_OPS = frozenset({"create", "update", "delete", "replace", "import"})
"""The ops a reviewer must read. `create-replacement`, `delete-replaced` and
`discard-replaced` are the parts of a `replace` (shown with `--show-replacement-steps`);
`same`, `read`, `refresh` change nothing."""
REPLACEMENT_PARTS = frozenset(
    {"create-replacement", "delete-replaced", "discard-replaced", "import-replacement"}
)


class PreviewError(StackctlError):
    """The preview document (or its event log) cannot be read as one."""


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
        return self.urn.rsplit("::", 1)[-1]

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
class PolicyViolation:
    policy: str
    pack: str
    level: str
    """mandatory, warning (advisory), remediate or none (disabled), as the engine says."""
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Events:
    """What the event log adds to the document."""

    violations: tuple[PolicyViolation, ...] = ()
    policy_packs: Mapping[str, str] = field(default_factory=dict)
    """The packs that ran, name → version, from the log's summary event."""
    complete: bool = True
    """False when the log ends in a cut-off line or without its summary event."""


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PreviewError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise PreviewError(f"{path}: cannot be read: {err}") from None
    return parse(text, str(path))


def parse(text: str, source: str = "preview") -> Preview:
    if not text.strip():
        raise PreviewError(
            f"{source} is empty: `pulumi preview --json` printed nothing, so it failed before "
            "the preview started (its error is in the job log, on stderr)"
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        if err.pos >= len(text.rstrip()) or _ends_early(text):
            raise PreviewError(
                f"{source} is truncated (it ends at line {err.lineno}, column {err.colno} in "
                "the middle of the document): the preview was cut off before it finished "
                "printing; re-run it"
            ) from None
        raise PreviewError(
            f"{source} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    if not isinstance(document, dict):
        raise PreviewError(
            f"{source} is not a `pulumi preview --json` document: expected an object with "
            f"steps, diagnostics and changeSummary, found {_kind(document)}"
        )
    if not document.keys() & {"steps", "diagnostics", "changeSummary"}:
        raise PreviewError(
            f"{source} is not a `pulumi preview --json` document: it has none of steps, "
            f"diagnostics, changeSummary (keys: {', '.join(sorted(document)) or 'none'})"
        )
    reader = _Reader(source)
    steps = tuple(
        reader.step(raw, f"steps[{i}]")
        for i, raw in enumerate(reader.list(document, "steps", "steps"))
    )
    diagnostics = tuple(
        reader.diagnostic(raw, f"diagnostics[{i}]")
        for i, raw in enumerate(reader.list(document, "diagnostics", "diagnostics"))
    )
    summary = document.get("changeSummary") or {}
    if not isinstance(summary, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in summary.values()
    ):
        raise PreviewError(f"{source}: changeSummary must map each op to a count")
    return Preview(
        source=source,
        steps=steps,
        diagnostics=diagnostics,
        change_summary={str(k): int(v) for k, v in summary.items()},
        maybe_corrupt=bool(document.get("maybeCorrupt", False)),
    )


def _ends_early(text: str) -> bool:
    """Whether the text stops inside a string or with objects or lists still open, every
    bracket before that matching: cut off, rather than wrong somewhere in the middle."""
    open_brackets: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            open_brackets.append("}" if char == "{" else "]")
        elif char in "}]" and (not open_brackets or open_brackets.pop() != char):
            return False
    return in_string or bool(open_brackets)


class _Reader:
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
            raise self.fail(where, f"must be a list, found {_kind(value)}")
        return value

    def object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be an object, found {_kind(value)}")
        return value

    def string(self, parent: Mapping[str, Any], key: str, where: str, required: bool) -> str:
        value = parent.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise self.fail(f"{where}.{key}", f"must be a non-empty string, found {_kind(value)}")
        return value

    def strings(self, parent: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.list(parent, key, f"{where}.{key}")
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"{where}.{key}", "must be a list of property names")
        return tuple(values)

    def step(self, raw: Any, where: str) -> Step:
        step = self.object(raw, where)
        detailed = step.get("detailedDiff")
        diffs: tuple[PropertyDiff, ...] | None = None
        if detailed is not None:
            entries = self.object(detailed, f"{where}.detailedDiff")
            diffs = tuple(
                self.property_diff(path, value, f"{where}.detailedDiff[{path!r}]")
                for path, value in sorted(entries.items())
            )
        return Step(
            op=self.string(step, "op", where, required=True),
            urn=self.string(step, "urn", where, required=True),
            old=self.state(step.get("oldState"), f"{where}.oldState"),
            new=self.state(step.get("newState"), f"{where}.newState"),
            diff_reasons=self.strings(step, "diffReasons", where),
            replace_reasons=self.strings(step, "replaceReasons", where),
            detailed_diff=diffs,
        )

    def property_diff(self, path: str, raw: Any, where: str) -> PropertyDiff:
        entry = self.object(raw, where)
        kind = self.string(entry, "kind", where, required=True)
        return PropertyDiff(path=path, kind=kind, input_diff=bool(entry.get("inputDiff")))

    def state(self, raw: Any, where: str) -> State | None:
        if raw is None:
            return None
        state = self.object(raw, where)
        import_id = state.get("importID")
        return State(
            type=self.string(state, "type", where, required=False),
            custom=bool(state.get("custom", True)),
            inputs=self.object(state.get("inputs") or {}, f"{where}.inputs"),
            outputs=self.object(state.get("outputs") or {}, f"{where}.outputs"),
            protect=bool(state.get("protect", False)),
            retain_on_delete=bool(state.get("retainOnDelete", False)),
            import_id=str(import_id) if import_id else None,
            secret_outputs=frozenset(self.strings(state, "additionalSecretOutputs", where)),
        )

    def diagnostic(self, raw: Any, where: str) -> Diagnostic:
        entry = self.object(raw, where)
        prefix = self.string(entry, "prefix", where, required=False)
        message = self.string(entry, "message", where, required=False)
        return Diagnostic(
            severity=self.string(entry, "severity", where, required=False) or "info",
            message=(prefix + message).strip(),
            urn=self.string(entry, "urn", where, required=False) or None,
        )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


# --- the event log --------------------------------------------------------------------------


def read_events(path: Path) -> Events:
    """Policy violations and the packs that ran, from `pulumi preview --event-log FILE`.

    A last line cut off mid-object (the preview was killed) is tolerated and reported as an
    incomplete log; a malformed line elsewhere is an error naming its line number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise PreviewError(
            f"{path}: no such file (the event log of the preview: "
            "PULUMI_DEBUG_COMMANDS=true pulumi preview --event-log FILE)"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise PreviewError(f"{path}: cannot be read: {err}") from None
    violations: list[PolicyViolation] = []
    packs: dict[str, str] = {}
    finished = cut_off = False
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    for index, (number, line) in enumerate(numbered):
        try:
            event = json.loads(line)
        except json.JSONDecodeError as err:
            if index == len(numbered) - 1:
                cut_off = True
                break
            raise PreviewError(f"{path}:{number}: not a JSON engine event: {err.msg}") from None
        if not isinstance(event, dict):
            raise PreviewError(f"{path}:{number}: not a JSON engine event: {_kind(event)}")
        if isinstance(policy := event.get("policyEvent"), dict):
            violations.append(_violation(policy, f"{path}:{number}"))
        if isinstance(summary := event.get("summaryEvent"), dict):
            finished = True
            found = summary.get("PolicyPacks") or {}
            if isinstance(found, dict):
                packs.update({str(k): str(v) for k, v in found.items()})
    complete = finished and not cut_off
    return Events(violations=tuple(violations), policy_packs=packs, complete=complete)


_COLOR = re.compile(r"<\{%[^%]*%\}>")
"""Pulumi's colour directives (`<{%fg 3%}>`), which an event's message may carry."""


def _violation(policy: Mapping[str, Any], where: str) -> PolicyViolation:
    def text(key: str) -> str:
        value = policy.get(key)
        return value.strip() if isinstance(value, str) else ""

    if not text("policyName"):
        raise PreviewError(f"{where}: a policyEvent without a policyName")
    version = text("policyPackVersionTag") or text("policyPackVersion")
    pack = f"{text('policyPackName')} {version}".strip()
    return PolicyViolation(
        policy=text("policyName"),
        pack=pack,
        level=text("enforcementLevel") or "mandatory",
        message=_COLOR.sub("", text("message")),
        urn=text("resourceUrn") or None,
    )
