"""`stackctl report`: a merge-request note and GitLab's infrastructure widget from a preview.

The note is what a reviewer reads before approving a change to a stack, so it is ordered the
way Atlantis orders a plan comment: one summary line with the counts, then a warning block
listing every delete and replace (protected and retained resources called out by name),
then each resource's changed properties, old → new, then diagnostics and policy violations,
then the delivery diagram with the changed parts highlighted. Long parts are folded in
`<details>`.

Secrets never appear. The preview already writes `[secret]` for secret values; on top of
that a property whose old or new value is (or lies inside) a secret, or that the provider
marks secret (`additionalSecretOutputs`), is shown only as changed, and free text (values,
diagnostics, policy messages) is scrubbed of anything shaped like a credential.

`plan.json` is GitLab's terraform report, `{"create": N, "update": N, "delete": N}`: a
replace counts as one create and one delete, an import (adopting what exists) as neither.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackctl import preview as previews
from stackctl.engine import (
    DYNAMIC_TYPE_PREFIX,
    PROVIDER_KEY,
    SECRET,
    describe_dynamic_provider,
    holds_secret,
)
from stackctl.errors import StackctlError
from stackctl.preview import Events, Preview, PropertyDiff, State, Step
from stackctl.stackfile import StackFileError, parse_path
from stackctl.text import short_type

SUCCEEDED = 0
PREVIEW_FAILED = 2
"""Exit codes of `stackctl report`; 1 is an input it cannot read or a note it cannot post."""

MARKER = "<!-- aigw-delivery preview: {stack} -->"
"""The hidden first line that finds this stack's note again on the merge request."""
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine serialises a value a preview cannot know yet (`plugin.UnknownStringValue`)."""
ABSENT = object()

FOLD_LINES = 8
"""A resource with more changed properties than this has them folded."""
FOLD_RESOURCES = 15
"""More changed resources than this and the whole list is folded."""
FOLD_MESSAGES = 10
VALUE_WIDTH = 160
INTERNAL = frozenset({"__defaults"})
"""Bookkeeping inputs of bridged providers (which inputs took defaults), not settings."""

ORDER = ("delete", "replace", "update", "create", "import")
"""The ops a note lists, most dangerous first."""
SIGNS = {"create": "+", "update": "~", "delete": "-", "replace": "±", "import": "="}


def marker(stack: str) -> str:
    return MARKER.format(stack=stack)


# --- the verb -------------------------------------------------------------------------------


def run(
    preview_file: Path,
    *,
    stack: str,
    out_dir: Path,
    events: Path | None,
    post: bool,
    diagram: bool,
    root: Path,
    environ: Mapping[str, str],
) -> int:
    """`stackctl report`: read, render, write `note.md` and `plan.json`, post if asked.

    An input that cannot be read is an error (exit 1); with `--post`, the note on the merge
    request is replaced by one saying so first, so it never goes on showing an older
    preview as if it were this pipeline's."""
    try:
        document = previews.load(preview_file)
        log = previews.read_events(events) if events is not None else None
    except previews.PreviewError as err:
        if post:
            _post_unreadable(stack, str(err), out_dir, environ)
        raise
    result = outcome(document, log)
    drawn, why_not = _draw(document, stack, root) if diagram else (None, "")
    note = render(
        document,
        stack,
        events=log,
        diagram=drawn,
        diagram_note=why_not,
        footer=_footer(environ),
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "note.md").write_text(note, encoding="utf-8")
        plan_file = out_dir / "plan.json"
        if result.failed:
            plan_file.unlink(missing_ok=True)  # a failed preview has no plan to count
        else:
            plan_file.write_text(json.dumps(plan(document)) + "\n", encoding="utf-8")
    except OSError as err:
        raise StackctlError(f"cannot write the report to {out_dir}: {err}") from None
    counts = plan(document)
    print(
        f"{stack}: {'preview failed' if result.failed else 'preview succeeded'}; "
        f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to "
        f"delete; wrote {out_dir / 'note.md'}"
        + ("" if result.failed else f" and {out_dir / 'plan.json'}")
    )
    if post:
        from stackctl import notes

        posted = notes.post(note, marker(stack), notes.target_from(environ))
        print(f"{stack}: {posted.action} the merge request note {posted.url}")
    if result.failed:
        print(
            f"{stack}: the preview failed ({result.errors} error diagnostics, "
            f"{result.mandatory} mandatory policy violations): see {out_dir / 'note.md'}",
            file=sys.stderr,
        )
        return PREVIEW_FAILED
    return SUCCEEDED


def _post_unreadable(stack: str, problem: str, out_dir: Path, environ: Mapping[str, str]) -> None:
    from stackctl import notes

    note = "\n".join(
        [
            marker(stack),
            f"#### Pulumi preview of `{_code(stack)}`",
            "",
            "**No report**: the preview's output could not be read, so nothing here says what "
            "this change does to the stack. The job log has the preview's own error.",
            "",
            *_fenced("text", scrub(problem).splitlines()),
            "",
            f"<sub>{_footer(environ)}</sub>",
            "",
        ]
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "note.md").write_text(note, encoding="utf-8")
        (out_dir / "plan.json").unlink(missing_ok=True)
    except OSError:
        pass  # the error being reported matters more than this copy of it
    posted = notes.post(note, marker(stack), notes.target_from(environ))
    print(f"{stack}: {posted.action} the merge request note {posted.url} (no report)")


def _draw(document: Preview, stack: str, root: Path) -> tuple[str | None, str]:
    """The delivery diagram of the stack's offline graph at this checkout, changed parts
    highlighted; without it (the stack does not evaluate), the reason."""
    from stackctl import diagram
    from stackctl.engine import evaluate

    try:
        graph = evaluate(stack, root=root)
    except StackctlError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, f"the {stack} stack does not evaluate offline ({first})"
    try:
        return diagram.mermaid(graph, highlight([r.urn for r in graph.resources], document)), ""
    except Exception as err:  # a picture is not worth losing the note over
        return None, f"it could not be drawn ({type(err).__name__}: {err})"


def _footer(environ: Mapping[str, str]) -> str:
    """Which pipeline wrote the note: it is updated in place, so say what it is of."""
    parts = []
    if commit := environ.get("CI_COMMIT_SHA"):
        parts.append(f"commit {_html(commit[:12])}")
    if pipeline := environ.get("CI_PIPELINE_URL"):
        parts.append(f'<a href="{_html(pipeline)}">pipeline</a>')
    return " · ".join(["Updated in place by <code>stackctl report</code>", *parts])


# --- counts ---------------------------------------------------------------------------------


def plan(preview: Preview) -> dict[str, int]:
    """GitLab's terraform report for the merge-request widget."""
    counts = op_counts(preview)
    return {
        "create": counts["create"] + counts["replace"],
        "update": counts["update"],
        "delete": counts["delete"] + counts["replace"],
    }


def op_counts(preview: Preview) -> dict[str, int]:
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


# --- the note -------------------------------------------------------------------------------


def render(
    preview: Preview,
    stack: str,
    *,
    events: Events | None = None,
    diagram: str | None = None,
    diagram_note: str = "",
    footer: str = "",
) -> str:
    """The merge-request note for one stack's preview, as Markdown."""
    result = outcome(preview, events)
    steps = _changing(preview)
    lines = [marker(stack), f"#### Pulumi preview of `{_code(stack)}`", ""]
    lines.append(_summary(preview, result))
    lines.append("")
    lines.extend(_warnings(preview, steps))
    lines.extend(_changes(steps))
    lines.extend(_problems(preview, events))
    lines.extend(_diagram(diagram, diagram_note))
    if footer:
        lines.extend(["", f"<sub>{footer}</sub>"])
    return "\n".join(lines).rstrip() + "\n"


def _changing(preview: Preview) -> list[Step]:
    steps = [s for s in preview.resource_steps if s.op in ORDER]
    return sorted(steps, key=lambda s: (ORDER.index(s.op), s.type, s.name))


def _summary(preview: Preview, result: Outcome) -> str:
    counts = op_counts(preview)
    changes = ", ".join(f"{counts[op]} to {op}" for op in ("create", "update", "replace", "delete"))
    if counts["import"]:
        changes += f", {counts['import']} to import"
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
        line = f"> - **{step.op}** `{short_type(step.type)}` **`{_code(step.name)}`**"
        if step.op == "replace" and step.replace_reasons:
            line += f" (because of {', '.join(f'`{_code(r)}`' for r in step.replace_reasons)})"
        for note in _keeps(step):
            line += f" — {note}"
        lines.append(line)
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


def _changes(steps: Sequence[Step]) -> list[str]:
    if not steps:
        return []
    body: list[str] = []
    for step in steps:
        body.extend(_resource(step))
    title = f"Changes ({len(steps)} resource{'s' if len(steps) != 1 else ''})"
    if len(steps) > FOLD_RESOURCES:
        return [
            f"<details><summary><b>{title}</b></summary>",
            "",
            *body,
            "</details>",
            "",
        ]
    return [f"##### {title}", "", *body]


def _resource(step: Step) -> list[str]:
    head = (
        f"<code>{SIGNS[step.op]} {step.op}</code> <code>{_html(short_type(step.type))}"
        f"</code> <b>{_html(step.name)}</b>"
    )
    flags = [f for f, on in (("protected", step.protected), ("retained", step.retained)) if on]
    if step.op == "import":
        state = step.new or step.old
        if state is not None and state.import_id:
            flags.append(f"adopts id {_html(state.import_id)}")
    if flags:
        head += f" <i>({', '.join(flags)})</i>"
    rows = list(_rows(step))
    if not rows:
        return [f"- {head}", ""]
    block = _fenced("diff", rows)
    if len(rows) > FOLD_LINES:
        count = f"{len(rows)} propert{'ies' if len(rows) != 1 else 'y'}"
        return [f"<details><summary>{head} · {count}</summary>", "", *block, "</details>", ""]
    return [f"- {head}", "", *_indent(block), ""]


def _indent(lines: Sequence[str]) -> list[str]:
    return [f"  {line}" if line else line for line in lines]


# --- changed properties ---------------------------------------------------------------------


def _rows(step: Step) -> Iterator[str]:
    """The lines of a resource's diff block: `+ key: value`, `- key: value`,
    `~ key: old → new`, with `# forces replacement` where the change replaces it."""
    if step.op == "create" and step.new is not None:
        for key in sorted(k for k in step.new.inputs if k not in INTERNAL):
            value = _input_value(step, step.new, key)
            yield f"+ {key}: {value}"
        return
    if step.op in ("delete", "import"):
        return
    old = step.old
    new = step.new
    if step.detailed_diff or (step.detailed_diff is not None and not step.diff_reasons):
        diffs = list(step.detailed_diff)
    else:
        keys = sorted(set(step.diff_reasons) | set(step.replace_reasons))
        diffs = [
            PropertyDiff(k, "update-replace" if k in step.replace_reasons else "update", True)
            for k in keys
        ]
    for diff in diffs:
        if diff.path.split(".", 1)[0].split("[", 1)[0] not in INTERNAL:
            yield _row(step, diff, old, new)


def _row(step: Step, diff: PropertyDiff, old: State | None, new: State | None) -> str:
    path = _path(diff.path)
    before = _lookup(old.inputs if diff.input_diff else old.outputs, path) if old else ABSENT
    if before is ABSENT and old is not None and not diff.input_diff:
        before = _lookup(old.inputs, path)
    after = _lookup(new.inputs, path) if new else ABSENT
    kind = diff.kind.removesuffix("-replace")
    forces = "  # forces replacement" if diff.replaces else ""
    if _is_secret(step, diff.path, path):
        verb = {"add": "added", "delete": "removed"}.get(kind, "changed")
        sign = {"add": "+", "delete": "-"}.get(kind, "~")
        return f"{sign} {diff.path}: {SECRET} ({verb}){forces}"
    if path and path[0] == PROVIDER_KEY and step.type.startswith(DYNAMIC_TYPE_PREFIX):
        before, after = (
            describe_dynamic_provider(v) if isinstance(v, str) else v for v in (before, after)
        )
    if kind == "add" or (before is ABSENT and after is not ABSENT):
        return f"+ {diff.path}: {_show(after)}{forces}"
    if kind == "delete" or after is ABSENT:
        return f"- {diff.path}: {_show(before)}{forces}"
    return f"~ {diff.path}: {_show(before)} → {_show(after)}{forces}"


def _input_value(step: Step, state: State, key: str) -> str:
    value = state.inputs[key]
    if key in state.secret_outputs or holds_secret(value):
        return SECRET
    if key == PROVIDER_KEY and step.type.startswith(DYNAMIC_TYPE_PREFIX) and isinstance(value, str):
        return describe_dynamic_provider(value)
    return _show(value)


def _is_secret(step: Step, raw_path: str, path: list[str | int] | None) -> bool:
    """Whether any side of this property is, or lies inside, a secret: then no side is shown,
    whatever the other side holds (a value that stops being secret must not leak its old
    value, nor one that becomes secret its new one)."""
    states = [s for s in (step.old, step.new) if s is not None]
    top = path[0] if path else raw_path.split(".", 1)[0].split("[", 1)[0]
    if any(top in s.secret_outputs for s in states):
        return True
    for state in states:
        for source in (state.inputs, state.outputs):
            if path is None:
                if holds_secret(source.get(str(top))):
                    return True
            elif holds_secret(_lookup(source, path)):
                return True
    return False


def _path(raw: str) -> list[str | int] | None:
    """A detailed diff's property path (`template.containers[0].image`, `labels["a.b"]`);
    None when it cannot be parsed (then only its top-level key is looked at)."""
    try:
        return parse_path(raw)
    except StackFileError:
        return None


def _lookup(source: Mapping[str, Any], path: list[str | int] | None) -> Any:
    """The value at `path`, ABSENT if there is none; a secret met on the way is the answer."""
    if path is None:
        return ABSENT
    value: Any = source
    for part in path:
        if value == SECRET:
            return SECRET
        found = (isinstance(value, dict) and isinstance(part, str) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        )
        if not found:
            return ABSENT
        value = value[part]
    return value


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(_known(value), sort_keys=True, ensure_ascii=False)
    text = scrub(text)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _known(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v) for v in value]
    if value == UNKNOWN_VALUE:
        return "(known after apply)"
    return value


# --- diagnostics and policy violations ------------------------------------------------------


def _problems(preview: Preview, events: Events | None) -> list[str]:
    lines = ["##### Diagnostics and policy violations", ""]
    lines.extend(_policy(events))
    shown = [d for d in preview.diagnostics if d.message]
    if shown:
        body: list[str] = []
        for diagnostic in shown:
            where = f" `{_code(diagnostic.urn.rsplit('::', 1)[-1])}`" if diagnostic.urn else ""
            body.append(f"- **{diagnostic.severity}**{where}:")
            body.extend(_indent(_fenced("text", scrub(diagnostic.message).splitlines())))
        title = f"Diagnostics ({len(shown)})"
        if len(shown) > FOLD_MESSAGES:
            lines += [f"<details><summary>{title}</summary>", "", *body, "</details>", ""]
        else:
            lines += [f"{title}:", "", *body, ""]
    else:
        lines += ["No diagnostics.", ""]
    return lines


def _policy(events: Events | None) -> list[str]:
    if events is None:
        return [
            "Policy violations are not part of `pulumi preview --json`, and this preview's "
            "event log was not given (`--events`): none are listed here. A mandatory "
            "violation fails the preview job; `stackctl check` lists the pack's findings "
            "offline.",
            "",
        ]
    lines: list[str] = []
    packs = ", ".join(f"{name} {version}" for name, version in sorted(events.policy_packs.items()))
    ran = f" from the policy packs `{_code(packs)}`" if packs else ""
    if not events.complete:
        lines.append(
            "The preview's event log ends early (the preview did not finish): the policy "
            "violations below may be incomplete."
        )
    if not events.violations:
        return [*lines, f"No policy violations{ran}.", ""]
    lines += [f"Policy violations ({len(events.violations)}){ran}:", ""]
    for violation in events.violations:
        where = f" on `{_code(violation.urn.rsplit('::', 1)[-1])}`" if violation.urn else ""
        level = "advisory" if violation.level == "warning" else violation.level
        lines.append(f"- **{level}** `{_code(violation.policy)}`{where}:")
        lines.extend(_indent(_fenced("text", scrub(violation.message).splitlines())))
    return [*lines, ""]


# --- the diagram ----------------------------------------------------------------------------


def changed_urns(preview: Preview) -> list[str]:
    """The URNs a change touches: what the delivery diagram highlights."""
    return [s.urn for s in preview.resource_steps if s.op in ORDER]


def highlight(graph_urns: Collection[str], preview: Preview) -> list[str]:
    """The offline graph's URNs of the changed resources, matched by identity (a URN
    without stack and project), so a preview of a fully qualified stack still matches."""
    from stackctl.diff import identity

    changed = {identity(u) for u in changed_urns(preview)}
    return [u for u in graph_urns if identity(u) in changed]


def _diagram(diagram: str | None, note: str) -> list[str]:
    if diagram is None:
        return [f"<sub>No delivery diagram: {_html(note)}</sub>", ""] if note else []
    return [
        "<details><summary>Delivery diagram (changed parts highlighted)</summary>",
        "",
        *_fenced("mermaid", diagram.splitlines()),
        "</details>",
    ]


# --- text safety ----------------------------------------------------------------------------

_CREDENTIALS = [
    re.compile(r"\bgl[a-z]{2,8}-[A-Za-z0-9_\-]{16,}"),  # GitLab tokens: glpat-, gldt-, glptt-
    re.compile(r"\bdckr_(?:pat|oat)_[A-Za-z0-9_\-]{8,}"),  # Docker Hub access tokens
    re.compile(r"\bya29\.[A-Za-z0-9_\-.]{16,}"),  # Google OAuth access tokens
    re.compile(r"\bAIza[A-Za-z0-9_\-]{30,}"),  # Google API keys
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
    ),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9_\-.=+/]{16,}"),
]
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@\"']+:[^/\s@\"']+@")


def scrub(text: str) -> str:
    """Free text with anything shaped like a credential replaced by `[secret]`: provider
    errors and policy messages are not under our control and may quote a value."""
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{SECRET}@", text)
    for pattern in _CREDENTIALS:
        text = pattern.sub(SECRET, text)
    return text


def _fenced(language: str, lines: Sequence[str]) -> list[str]:
    """A code block whose fence is longer than any run of backticks inside it, so that no
    message can close it early and inject Markdown into the note."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def _code(text: str) -> str:
    """Text for inline code: backticks cannot end it early."""
    return text.replace("`", "'")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
