"""What a preview says, counted: the widget's plan, the ops, the outcome, what changes.

The note (`stackctl.note`) and the command (`stackctl.report`) both read a preview through
these, so the summary line, `plan.json` and the exit code cannot disagree.

GitLab's terraform report (`plan.json`, the merge request's infrastructure widget) is
`{"create": N, "update": N, "delete": N}`: a replace counts as one create and one delete,
an import (adopting what exists) as neither, so an import with an update (an adoption that
changes the live resource) counts as one update; the root stack, components and the parts of a
replacement are not resources that change (`Preview.resource_steps`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from stackctl.events import Events
from stackctl.preview import CHANGING_OPS, Preview, Step

ORDER: Final = CHANGING_OPS
"""The ops a note lists, most dangerous first."""


def plan(preview: Preview) -> dict[str, int]:
    """GitLab's terraform report for the merge-request widget."""
    counts = op_counts(preview)
    return {
        "create": counts["create"] + counts["replace"],
        "update": counts["update"],
        "delete": counts["delete"] + counts["replace"],
    }


def op_counts(preview: Preview) -> dict[str, int]:
    """Resources per changing op. The reader refuses an op Pulumi does not have, so nothing
    a preview plans can be left out of these counts."""
    counts = dict.fromkeys(ORDER, 0)
    for step in preview.resource_steps:
        if step.op in counts:
            counts[step.op] += 1
    return counts


@dataclass(frozen=True)
class Outcome:
    """What the note says of the preview as a whole."""

    failed: bool
    errors: int
    mandatory: int


def outcome(preview: Preview, events: Events | None) -> Outcome:
    mandatory = sum(1 for v in (events.violations if events else ()) if v.level == "mandatory")
    errors = len(preview.errors)
    return Outcome(failed=bool(errors or mandatory), errors=errors, mandatory=mandatory)


def changing(preview: Preview) -> list[Step]:
    """The changed resources in the order a note lists them: by op, then type, then name."""
    steps = [s for s in preview.resource_steps if s.op in ORDER]
    return sorted(steps, key=lambda s: (ORDER.index(s.op), s.type, s.name))


def adopted_changes(preview: Preview) -> list[Step]:
    """The steps that change a live resource while adopting it: an `update` or `replace`
    of a URN that the same preview imports (`stackctl.preview.Reader.no_resource_twice`
    has the engine's order). GitLab's widget counts such a pair as one update (a replace:
    one create and one delete), since the import itself changes nothing."""
    imported = {s.urn for s in preview.resource_steps if s.op == "import"}
    return [s for s in changing(preview) if s.op != "import" and s.urn in imported]


def changed_urns(preview: Preview) -> list[str]:
    """The URNs a change touches: what the delivery diagram highlights."""
    return [s.urn for s in preview.resource_steps if s.op in ORDER]


def highlight(graph_urns: Collection[str], preview: Preview) -> list[str]:
    """The offline graph's URNs of the changed resources, matched by identity (a URN
    without stack and project), so a preview of a fully qualified stack still matches."""
    from stackctl.diff import identity

    changed = {identity(u) for u in changed_urns(preview)}
    return [u for u in graph_urns if identity(u) in changed]
