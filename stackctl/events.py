"""Reading the preview's engine event log: the policy violations the JSON document lacks.

Pulumi's JSON display drops policy events, so a preview failed only by a mandatory policy
looks successful in `pulumi preview --json`. The engine's event log
(`PULUMI_DEBUG_COMMANDS=true pulumi preview --event-log FILE`, one `apitype.EngineEvent` per
line, the log the Automation API reads: pulumi/pulumi sdk/go/common/apitype/events.go) has
them as `policyEvent`s, and its `summaryEvent` names the packs that ran. Without the log, the
report says that violations are not listed.

The log is read a line at a time, each line and the whole bounded; every line is read with
the same rules as the document (`stackctl.jsonfile`, `stackctl.preview.Reader`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Final

from stackctl import jsonfile
from stackctl.preview import PreviewError, Reader, kind
from stackctl.scrub import clip

ENFORCEMENT_LEVELS: Final = frozenset(
    {"advisory", "mandatory", "remediate", "disabled", "warning", "none"}
)
"""A `policyEvent`'s `enforcementLevel`: the engine writes `apitype.EnforcementLevel`
(pkg/backend/display/events.go; advisory, mandatory, remediate, disabled: apitype/policy.go);
`PolicyEvent`'s comment in events.go still names the older warning and none."""
EVENT_LOG_MAX_BYTES: Final = 512 * 2**20
EVENT_LINE_MAX_BYTES: Final = 32 * 2**20
"""One event (a resource's old and new states at most) is far smaller than this."""


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    pack: str
    level: str
    """One of `ENFORCEMENT_LEVELS`, as the engine says."""
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


def read_events(path: Path) -> Events:
    """Policy violations and the packs that ran, from `pulumi preview --event-log FILE`
    (one `apitype.EngineEvent` per line, sdk/go/common/apitype/events.go).

    A last line cut off mid-object (the preview was killed) is tolerated and reported as an
    incomplete log; a malformed line elsewhere is an error naming its line number."""
    violations: list[PolicyViolation] = []
    packs: dict[str, str] = {}
    finished = cut_off = False
    try:
        ahead: tuple[int, str] | None = None  # one line of look-ahead: is this the last one?
        for line in chain(_event_lines(path), [None]):
            if ahead is not None:
                event = _event(f"{path}:{ahead[0]}", ahead[1], last=line is None)
                if event is None:
                    cut_off = True
                    break
                reader = Reader(f"{path}:{ahead[0]}")
                if (policy := event.get("policyEvent")) is not None:
                    violations.append(_violation(reader, reader.object(policy, "policyEvent")))
                if (summary := event.get("summaryEvent")) is not None:
                    finished = True
                    packs.update(_packs(reader, reader.object(summary, "summaryEvent")))
            ahead = line
    except FileNotFoundError:
        raise PreviewError(
            f"{path}: no such file (the event log of the preview: "
            "PULUMI_DEBUG_COMMANDS=true pulumi preview --event-log FILE)"
        ) from None
    except OSError as err:
        raise PreviewError(f"{path}: cannot be read: {err.strerror or err}") from None
    return Events(
        violations=tuple(violations), policy_packs=packs, complete=finished and not cut_off
    )


def _event(where: str, line: str, last: bool) -> dict[str, Any] | None:
    """One engine event; None for a last line cut off mid-object."""
    try:
        event = jsonfile.loads(line)
    except jsonfile.JsonError as problem:
        if last and "truncated" in str(problem):
            return None
        raise PreviewError(f"{where}: not a JSON engine event: it {problem}") from None
    if not isinstance(event, dict):
        raise PreviewError(f"{where}: not a JSON engine event: {kind(event)}")
    return event


def _packs(reader: Reader, summary: Mapping[str, Any]) -> dict[str, str]:
    """The packs that ran, name → version (`SummaryEvent.PolicyPacks`)."""
    found = reader.object(summary.get("PolicyPacks") or {}, "summaryEvent.PolicyPacks")
    for name, version in found.items():
        if not isinstance(version, str):
            where = f"summaryEvent.PolicyPacks[{json.dumps(clip(name, 60))}]"
            raise reader.fail(where, f"must be a version, {kind(version)}")
    return found


def _event_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The log's non-blank lines with their numbers, each bounded, the whole bounded."""
    total = 0
    with path.open("rb") as stream:
        for number in range(1, EVENT_LOG_MAX_BYTES + 2):
            raw = stream.readline(EVENT_LINE_MAX_BYTES + 1)
            if not raw:
                return
            total += len(raw)
            where = f"{path}:{number}"
            if len(raw) > EVENT_LINE_MAX_BYTES or total > EVENT_LOG_MAX_BYTES:
                limit = EVENT_LINE_MAX_BYTES if len(raw) > EVENT_LINE_MAX_BYTES else total
                raise PreviewError(
                    f"{where}: the event log is larger than Pulumi writes for this stack "
                    f"(over {limit // 2**20} MiB): not read"
                )
            try:
                text = jsonfile.decode(raw)
            except jsonfile.JsonError as problem:
                raise PreviewError(f"{where}: the event log {problem}") from None
            if text.strip():
                yield number, text


def _violation(reader: Reader, policy: Mapping[str, Any]) -> PolicyViolation:
    def text(key: str, required: bool = False) -> str:
        return reader.string(policy, key, "policyEvent", required).strip()

    version = text("policyPackVersionTag") or text("policyPackVersion")
    level = text("enforcementLevel", required=True)
    return PolicyViolation(
        policy=text("policyName", required=True),
        pack=f"{text('policyPackName')} {version}".strip(),
        level=reader.choice(
            level, ENFORCEMENT_LEVELS, "policyEvent.enforcementLevel", "an enforcement level"
        ),
        message=text("message"),
        urn=text("resourceUrn") or None,
    )
