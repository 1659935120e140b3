"""The merge-request note: one stack's preview as Markdown, within GitLab's note limit.

Ordered the way Atlantis orders a plan comment: one summary line with the counts, then a
warning block listing every delete and replace (protected and retained resources called out
by name), then each resource's changed properties, old → new, then diagnostics and policy
violations, then the delivery diagram with the changed parts highlighted. Long parts are
folded in `<details>`.

Secrets never appear. The preview already writes `[secret]` for secret values; on top of
that a property whose old or new value is (or lies inside) a secret, or that the provider
marks secret (`additionalSecretOutputs`), is shown only as changed. Every string taken from
the preview or the event log (values, names, import ids, reasons, property paths,
diagnostics, policy messages) passes through `stackctl.scrub` on its way in, bounded in
length (a cut says so), and the finished note once more.

GitLab refuses a note over `notes.LIMIT` characters. The summary and the warning block are
always there whole; when the rest does not fit, the diagram goes first, then diagnostics
from the end, then the changed resources from the end of the list (the least dangerous
ops), then policy violations from the end, each cut saying how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from stackctl import properties
from stackctl.events import Events
from stackctl.notes import LIMIT
from stackctl.plan import Outcome, adopted_changes, changing, op_counts, outcome
from stackctl.preview import Preview, Step
from stackctl.scrub import clip, one_line, scrub
from stackctl.text import short_type

MARKER: Final = "<!-- aigw-delivery preview: {stack} -->"
"""The hidden first line that finds this stack's note again on the merge request."""

FOLD_LINES: Final = 8
"""A resource with more changed properties than this has them folded."""
FOLD_RESOURCES: Final = 15
"""More changed resources than this and the whole list is folded."""
FOLD_MESSAGES: Final = 10
NAME_WIDTH: Final = 200
"""Names, ids, reasons and paths: longer ones are cut (saying so)."""
MESSAGE_WIDTH: Final = 8000
"""A diagnostic or policy message: a longer one is cut (saying so), the rest of the note kept."""
BUDGET: Final = LIMIT - 20_000
"""What the note may use of GitLab's limit: scrubbing the finished note may lengthen it a
little (`u@host` becomes `[secret]@host`)."""
CUT_ORDER: Final = (2, 0, 1)
"""Which list loses items first when the note is too long: the diagnostics, then the changed
resources, then the policy violations (the parts of `render`: changes, violations,
diagnostics)."""
REASONS_SHOWN: Final = 10
"""A replace's reasons named in the warning block; more are counted (its diff lists them)."""
ADOPTED_ROWS: Final = 20
"""An adopted resource's changed properties listed in the warning block; more are counted."""
SIGNS: Final = {"create": "+", "update": "~", "delete": "-", "replace": "±", "import": "="}


def marker(stack: str) -> str:
    return MARKER.format(stack=stack)


@dataclass(frozen=True)
class _Part:
    """A list the budget may shorten: its lines before, one block per item, lines after."""

    before: list[str]
    items: list[list[str]]
    after: list[str]
    what: str
    """What an item is, for the line that says how many were left out."""

    def lines(self, keep: int | None = None) -> list[str]:
        kept = self.items if keep is None else self.items[:keep]
        body = [line for item in kept for line in item]
        if len(kept) < len(self.items):
            left = len(self.items) - len(kept)
            body += [
                f"_{left} more {self.what} not shown: the note would pass GitLab's limit of "
                f"{LIMIT:,} characters; `pulumi preview` shows them all._",
                "",
            ]
        return [*self.before, *body, *self.after]

    def sizes(self) -> list[int]:
        return [sum(len(line) + 1 for line in item) for item in self.items]


def render(
    preview: Preview,
    stack: str,
    *,
    events: Events | None = None,
    diagram: str | None = None,
    diagram_note: str = "",
    blast: Sequence[str] = (),
    footer: str = "",
    budget: int = BUDGET,
) -> str:
    """The merge-request note for one stack's preview, as Markdown, at most `budget`
    characters but for the summary and the warning block, which are never cut. `blast` is
    the blast-radius opening (`stackctl.blast.opening`), given first, never cut."""
    result = outcome(preview, events)
    steps = changing(preview)
    head = [marker(stack), f"#### Pulumi preview of `{_code(stack)}`", "", *blast]
    head += [_summary(preview, result), "", *_warnings(preview, steps)]
    tail = ["", f"<sub>{footer}</sub>"] if footer else []
    parts = [_changes(steps), *_problems(preview, events)]
    picture = _diagram(diagram, diagram_note)

    def size(lines: Sequence[str]) -> int:
        return sum(len(line) + 1 for line in lines)

    room = budget - size(head) - size(tail)
    keeps: list[int | None] = [None] * len(parts)
    if size(picture) + sum(size(p.lines()) for p in parts) > room:
        picture = _diagram(None, "it would not fit in GitLab's note limit")
        room -= size(picture)
        for index in CUT_ORDER:
            total = sum(size(p.lines(k)) for p, k in zip(parts, keeps, strict=True))
            if total <= room:
                break
            others = total - size(parts[index].lines())
            keeps[index] = _fitting(parts[index], room - others)
    lines = [*head]
    for part, keep in zip(parts, keeps, strict=True):
        lines += part.lines(keep)
    lines += [*picture, *tail]
    return scrub("\n".join(lines).rstrip() + "\n")


def _fitting(part: _Part, room: int) -> int | None:
    """How many of the part's items fit in `room` characters (None: all of them)."""
    if sum(len(line) + 1 for line in part.lines()) <= room:
        return None
    fixed = sum(len(line) + 1 for line in part.lines(0))
    used, keep = fixed, 0
    for item in part.sizes():
        if used + item > room:
            break
        used, keep = used + item, keep + 1
    return keep


def unreadable(stack: str, problem: str, *, footer: str = "") -> str:
    """The note that replaces a stack's note when its preview cannot be read: the merge
    request must not go on showing an older preview as this pipeline's."""
    lines = [
        marker(stack),
        f"#### Pulumi preview of `{_code(stack)}`",
        "",
        "**No report**: the preview's output could not be read, so nothing here says what "
        "this change does to the stack. The job log has the preview's own error.",
        "",
        *_message(problem),
    ]
    if footer:
        lines += ["", f"<sub>{footer}</sub>"]
    return scrub("\n".join(lines) + "\n")


def _summary(preview: Preview, result: Outcome) -> str:
    counts = op_counts(preview)
    changes = ", ".join(f"{counts[op]} to {op}" for op in ("create", "update", "replace", "delete"))
    if counts["import"]:
        changes += f", {counts['import']} to import"
        if adopted := len(adopted_changes(preview)):
            changes += f" ({adopted} of them changed live)"
    same = "same" in preview.change_summary
    unchanged = f" · {preview.unchanged} unchanged" if same else ""
    if result.failed:
        why = []
        if result.errors:
            why.append(f"{result.errors} error{'s' if result.errors != 1 else ''}")
        if result.mandatory:
            s = "s" if result.mandatory != 1 else ""
            why.append(f"{result.mandatory} mandatory policy violation{s}")
        planned = f" (planned before it failed: {changes})" if preview.resource_steps else ""
        return f"**Preview failed** with {' and '.join(why)}: nothing can be applied{planned}."
    if not any(counts.values()):
        return f"**No changes**{f' ({preview.unchanged} unchanged)' if same else ''}."
    return f"**Plan:** {changes}{unchanged}."


def _warnings(preview: Preview, steps: Sequence[Step]) -> list[str]:
    lines: list[str] = []
    if preview.maybe_corrupt:
        lines += [
            "> [!warning]",
            "> Pulumi reports that resources of this stack may be corrupt (`maybeCorrupt`): "
            "check the stack's state before applying.",
            "",
        ]
    lines += _adoptions(preview)
    risky = [s for s in steps if s.op in ("delete", "replace")]
    if not risky:
        return lines
    deletes = sum(1 for s in risky if s.op == "delete")
    replaces = len(risky) - deletes
    counted = " and ".join(
        f"{n} {word}{'s' if n != 1 else ''}"
        for n, word in ((deletes, "delete"), (replaces, "replace"))
        if n
    )
    lines += ["> [!warning]", f"> **This change has {counted}:**"]
    for step in risky:
        line = f"> - **{step.op}** `{_code(short_type(step.type))}` **`{_code(step.name)}`**"
        if step.op == "replace" and step.replace_reasons:
            reasons = [f"`{_code(r)}`" for r in step.replace_reasons[:REASONS_SHOWN]]
            if len(step.replace_reasons) > REASONS_SHOWN:
                reasons.append(f"{len(step.replace_reasons) - REASONS_SHOWN} more")
            line += f" (because of {', '.join(reasons)})"
        for note in _keeps(step):
            line += f" — {note}"
        lines.append(line)
    return [*lines, ""]


def _adoptions(preview: Preview) -> list[str]:
    """Resources this preview adopts and then changes: the live resource serves users today,
    and the same `pulumi up` would change it. Each with what would change, old → new."""
    adopted = adopted_changes(preview)
    if not adopted:
        return []
    n = len(adopted)
    lines = [
        "> [!warning]",
        f"> **Adopting changes {n} live resource{'s' if n != 1 else ''}:** each is imported, "
        "then changed in the same `pulumi up`. The prod apply gate (`stackctl gate`) refuses "
        "every property not accepted in `adoption.accept`.",
    ]
    for step in adopted:
        lines.append(f"> - **{step.op}** `{_code(short_type(step.type))}` **`{_code(step.name)}`**")
        changed = properties.changes(step)
        for diff in changed[:ADOPTED_ROWS]:
            lines.append(f">   - `{_code(properties.row(step, diff))}`")
        if len(changed) > ADOPTED_ROWS:
            lines.append(f">   - {len(changed) - ADOPTED_ROWS} more (listed under Changes)")
        if not changed:
            lines.append(">   - (the provider named no property: see `pulumi preview --diff`)")
    return [*lines, ""]


def _keeps(step: Step) -> list[str]:
    notes = []
    if step.protected:
        notes.append(
            f"**protected**: Pulumi refuses to {step.op} it (`pulumi up` fails) until "
            "`protect` is removed in a change of its own"
        )
    if step.retained:
        what = "the old one" if step.op == "replace" else "it"
        notes.append(
            f"**retained on delete**: {what} is dropped from the stack but left in place, "
            "not deleted"
        )
    return notes


def _changes(steps: Sequence[Step]) -> _Part:
    items = [_resource(step) for step in steps]
    if not steps:
        return _Part([], [], [], "resources")
    title = f"Changes ({len(steps)} resource{'s' if len(steps) != 1 else ''})"
    if len(steps) > FOLD_RESOURCES:
        return _Part(
            [f"<details><summary><b>{title}</b></summary>", ""],
            items,
            ["</details>", ""],
            "resources",
        )
    return _Part([f"##### {title}", ""], items, [], "resources")


def _resource(step: Step) -> list[str]:
    head = (
        f"<code>{SIGNS[step.op]} {step.op}</code> <code>{html(short_type(step.type))}"
        f"</code> <b>{html(step.name)}</b>"
    )
    flags = [f for f, on in (("protected", step.protected), ("retained", step.retained)) if on]
    if step.op == "import":
        state = step.new or step.old
        if state is not None and state.import_id:
            flags.append(f"adopts id {html(state.import_id)}")
    if flags:
        head += f" <i>({', '.join(flags)})</i>"
    rows = list(properties.rows(step))
    if not rows:
        return [f"- {head}", ""]
    block = _fenced("diff", rows)
    if len(rows) > FOLD_LINES:
        count = f"{len(rows)} propert{'ies' if len(rows) != 1 else 'y'}"
        return [f"<details><summary>{head} · {count}</summary>", "", *block, "</details>", ""]
    return [f"- {head}", "", *_indent(block), ""]


def _indent(lines: Sequence[str]) -> list[str]:
    return [f"  {line}" if line else line for line in lines]


# --- diagnostics and policy violations ------------------------------------------------------


def _problems(preview: Preview, events: Events | None) -> list[_Part]:
    """The policy violations, then the diagnostics, each a list the budget may shorten."""
    header = ["##### Diagnostics and policy violations", ""]
    policy = _policy(events)
    policy = _Part([*header, *policy.before], policy.items, policy.after, policy.what)
    shown = [d for d in preview.diagnostics if d.message]
    if not shown:
        return [policy, _Part(["No diagnostics.", ""], [], [], "diagnostics")]
    items = []
    for diagnostic in shown:
        where = f" `{_code(_name(diagnostic.urn))}`" if diagnostic.urn else ""
        items.append(
            [f"- **{diagnostic.severity}**{where}:", *_indent(_message(diagnostic.message))]
        )
    title = f"Diagnostics ({len(shown)})"
    if len(shown) > FOLD_MESSAGES:
        return [
            policy,
            _Part(
                [f"<details><summary>{title}</summary>", ""],
                items,
                ["</details>", ""],
                "diagnostics",
            ),
        ]
    return [policy, _Part([f"{title}:", ""], items, [""], "diagnostics")]


def _policy(events: Events | None) -> _Part:
    if events is None:
        return _Part(
            [
                "Policy violations are not part of `pulumi preview --json`, and this preview's "
                "event log was not given (`--events`): none are listed here. A mandatory "
                "violation fails the preview job; `stackctl check` lists the pack's findings "
                "offline.",
                "",
            ],
            [],
            [],
            "policy violations",
        )
    lines: list[str] = []
    packs = ", ".join(f"{name} {version}" for name, version in sorted(events.policy_packs.items()))
    ran = f" from the policy packs `{_code(packs)}`" if packs else ""
    if not events.complete:
        lines.append(
            "The preview's event log ends early (the preview did not finish): the policy "
            "violations below may be incomplete."
        )
    if not events.violations:
        return _Part([*lines, f"No policy violations{ran}.", ""], [], [], "policy violations")
    lines += [f"Policy violations ({len(events.violations)}){ran}:", ""]
    items = []
    for violation in events.violations:
        where = f" on `{_code(_name(violation.urn))}`" if violation.urn else ""
        level = {"warning": "advisory", "none": "disabled"}.get(violation.level, violation.level)
        items.append(
            [
                f"- **{level}** `{_code(violation.policy)}`{where}:",
                *_indent(_message(violation.message)),
            ]
        )
    return _Part(lines, items, [""], "policy violations")


# --- the diagram ----------------------------------------------------------------------------


def _diagram(diagram: str | None, note: str) -> list[str]:
    if diagram is None:
        return [f"<sub>No delivery diagram: {html(note)}</sub>", ""] if note else []
    return [
        "<details><summary>Delivery diagram (changed parts highlighted)</summary>",
        "",
        *_fenced("mermaid", diagram.splitlines()),
        "</details>",
    ]


# --- text safety ----------------------------------------------------------------------------


def _message(text: str) -> list[str]:
    """A diagnostic or policy message as a text block: scrubbed whole (a private key spans
    lines), cut if it is long."""
    return _fenced("text", clip(text, MESSAGE_WIDTH).splitlines())


def _name(urn: str) -> str:
    return urn.split("::", 3)[-1]


def _fenced(language: str, lines: Sequence[str]) -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it, so that no
    message can close it early and inject Markdown into the note."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def _code(text: str) -> str:
    """Text for inline code: scrubbed, bounded, and backticks cannot end it early."""
    return one_line(text, NAME_WIDTH).replace("`", "'")


def html(text: str) -> str:
    """Text for HTML: scrubbed, bounded, escaped."""
    return (
        one_line(text, NAME_WIDTH).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )
