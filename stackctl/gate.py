"""`stackctl gate`: may `pulumi up` apply this preview? Refuses live changes nobody accepted.

Two things a `pulumi up` can do that no reviewer should learn about afterwards:

- **An adoption that changes the live resource.** Since pulumi/pulumi#19339 (v3.174.0) an
  import whose inputs differ is imported and then updated in the same run (pulumi/docs#18198);
  `pulumi preview --json` shows an `import` step and then an `update` (or `replace`) step on
  the same URN (`stackctl.plan.adopted_changes`). Each changed property must be accepted by
  name in the stack's config (`adoption.accept`, components/settings/adoption.py), or the
  gate refuses and names what is not accepted.
- **`hidden`, or `masked` while hidden, changed on an existing CI variable.** GitLab sets
  `hidden` only when a variable is created ("Hiding a variable is only possible when
  creating a new variable", docs.gitlab.com/ci/variables/#hide-a-cicd-variable), and a
  hidden variable must stay masked; the provider's update fails. Refused in every stack,
  whatever the config says: recreate the variable in a change of its own.

The config is read as the program reads it (the stack file through `stackctl.stackfile`, the
values validated by `components.settings`), so a typo in `adoption.accept` fails here as in
`pulumi up`. Nothing is changed; every string printed is scrubbed, and property values are
shown as the note shows them (secrets never).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from contract import GitLab
from stackctl import preview as previews
from stackctl import properties
from stackctl.errors import StackctlError
from stackctl.plan import adopted_changes
from stackctl.preview import Preview, Step
from stackctl.scrub import one_line

PASSED: Final = 0
REFUSED: Final = 3
"""Exit codes as `stackctl promote`'s; 1 is a preview or config the gate cannot read."""
VARIABLE_TYPES: Final = frozenset({GitLab.VARIABLE})
"""CI variable types whose `hidden` GitLab fixes at creation."""
NAME_WIDTH: Final = 200


@dataclass
class Verdict:
    """What the gate found: the refusals (one line each) and what was accepted."""

    refused: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    """`adoption.accept` entries that match no change of this preview (stale, or a typo)."""

    @property
    def passed(self) -> bool:
        return not self.refused


def run(preview_file: Path, *, stack: str, root: Path, out: TextIO | None = None) -> int:
    """Read the preview and the stack's config, print the verdict, return the exit code."""
    out = out or sys.stdout
    document = previews.load(preview_file)
    accept = _accepted(root, stack)
    verdict = judge(document, stack, accept)
    for line in verdict.accepted:
        print(f"accepted: {line}", file=out)
    for line in verdict.unused:
        print(f"note: {line}", file=out)
    if verdict.refused:
        for line in verdict.refused:
            print(f"refused: {line}", file=sys.stderr)
        print(
            f"{one_line(stack, 80)}: the gate refuses this preview ({len(verdict.refused)} "
            "problem(s) above); nothing was applied",
            file=sys.stderr,
        )
        return REFUSED
    adopted = len(adopted_changes(document))
    print(
        f"{one_line(stack, 80)}: the gate passes: {adopted} adopted resource(s) changed live, "
        "every change accepted in adoption.accept",
        file=out,
    )
    return PASSED


def judge(document: Preview, stack: str, accept: Mapping[str, list[str]]) -> Verdict:
    """The gate's decision on one preview, given `adoption.accept`."""
    verdict = Verdict()
    _same_stack(document, stack)
    if document.errors:
        verdict.refused.append(
            f"the preview failed ({len(document.errors)} error diagnostic(s)): "
            "`pulumi up` would fail the same way"
        )
    used: set[tuple[str, str]] = set()
    for step in adopted_changes(document):
        name = step.name
        changed = properties.changes(step)
        if not changed:
            verdict.refused.append(
                f"{_what(step)} would be changed on adoption, and the preview names no property "
                "to accept: align the stack with the live resource"
            )
            continue
        missing: list[tuple[str, str]] = []
        for diff in changed:
            matched = [p for p in accept.get(name, ()) if _covers(p, diff.path)]
            used.update((name, p) for p in matched)
            row = one_line(properties.row(step, diff), 300)
            if matched:
                verdict.accepted.append(f"{_what(step)}: {row}")
            else:
                missing.append((one_line(diff.path, NAME_WIDTH), row))
        if missing:
            paths = ", ".join(path for path, _ in missing)
            rows = "; ".join(row for _, row in missing)
            verdict.refused.append(
                f"{_what(step)} would be changed on adoption ({step.op}) and these properties "
                f"are not accepted in adoption.accept.{_key(name)}: {paths} ({rows})"
            )
    for step in document.resource_steps:
        verdict.refused.extend(_fixed_at_creation(step))
    for name, listed in sorted(accept.items()):
        for path in listed:
            if (name, path) not in used:
                verdict.unused.append(
                    f"adoption.accept.{_key(name)} lists {one_line(path, NAME_WIDTH)}, which this "
                    "preview does not change on adoption (remove it once prod has adopted)"
                )
    return verdict


def _fixed_at_creation(step: Step) -> list[str]:
    """`hidden`, or `masked` on a hidden variable, changed on a variable that exists."""
    if step.type not in VARIABLE_TYPES or step.op not in ("update", "replace") or step.old is None:
        return []
    paths = {d.path for d in properties.changes(step)}
    was_hidden = _flag(step.old.inputs, "hidden") or _flag(step.old.outputs, "hidden")
    found = []
    if "hidden" in paths:
        found.append("hidden")
    if "masked" in paths and (
        was_hidden or (step.new is not None and _flag(step.new.inputs, "hidden"))
    ):
        found.append("masked")
    if not found:
        return []
    return [
        f"{_what(step)} changes {' and '.join(found)} on an existing CI variable: GitLab sets "
        "`hidden` only when a variable is created, and a hidden variable stays masked "
        "(docs.gitlab.com/ci/variables/#hide-a-cicd-variable). Keep the variable's current "
        "setting, or remove the variable and create it again in a change of its own"
    ]


def _flag(values: Mapping[str, Any], key: str) -> bool:
    return values.get(key) is True


def _covers(accepted: str, path: str) -> bool:
    return path == accepted or path.startswith((f"{accepted}.", f"{accepted}["))


def _what(step: Step) -> str:
    key = ""
    if step.type in VARIABLE_TYPES:
        state = step.new or step.old
        value = state.inputs.get("key") if state else None
        if isinstance(value, str):
            key = f" (variable {one_line(value, 100)})"
    short = step.type.rsplit(":", 1)[-1]
    return f"{short} {one_line(step.name, NAME_WIDTH)}{key}"


def _key(name: str) -> str:
    return one_line(name, NAME_WIDTH)


def _same_stack(document: Preview, stack: str) -> None:
    """A preview of another stack would be judged against the wrong acceptances."""
    for step in document.steps:
        parts = step.urn.split("::")
        if len(parts) >= 2 and parts[0].startswith(previews.URN_PREFIX):
            found = parts[0][len(previews.URN_PREFIX) :]
            if found.rsplit("/", 1)[-1] != stack:
                raise StackctlError(
                    f"{document.source} is a preview of stack {one_line(found, 100)!r}, "
                    f"not of {one_line(stack, 100)!r}"
                )
            return


def _accepted(root: Path, stack: str) -> dict[str, list[str]]:
    """`adoption.accept` from the stack's config, read and validated as the program reads it."""
    from components.settings import PROJECT, SettingsError, parse_settings
    from stackctl.stackfile import load_stack

    config = load_stack(root, stack)
    prefix = f"{PROJECT}:"
    raw = {
        key[len(prefix) :]: value
        for key, value in config.as_sdk_config().items()
        if key.startswith(prefix)
    }
    secret = {key[len(prefix) :] for key in config.secret_keys if key.startswith(prefix)}
    try:
        settings = parse_settings(raw, secret, environ={}, dry_run=True)
    except SettingsError as err:
        raise StackctlError(f"Pulumi.{stack}.yaml: {err}") from None
    return {name: list(paths) for name, paths in settings.adoption.accept.items()}
