"""`stackctl report`: read a preview, render its note, write `note.md` and `plan.json`, post.

The parts, one job each: `stackctl.preview` and `stackctl.events` read what Pulumi wrote
(refusing, with the place, anything they would misread), `stackctl.plan` counts it,
`stackctl.note` renders the Markdown note, `stackctl.notes` posts it, `stackctl.scrub`
keeps credentials out of all of it. This module runs them in order.

Both files are written whole or not at all: each is written to a temporary file in the same
directory and renamed over the old one (`os.replace`, atomic on POSIX within a file system),
so a job killed half-way, or a disk that fills up, never leaves a half note for the artifact
or a half plan for the widget.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from stackctl import events as event_log
from stackctl import preview as previews
from stackctl.errors import StackctlError
from stackctl.note import marker, render
from stackctl.plan import changing, highlight, outcome, plan
from stackctl.preview import Preview
from stackctl.scrub import clip, one_line

STACK_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
"""What Pulumi accepts as a stack name (`ParseStackName`, pulumi/pulumi
sdk/go/common/tokens/stack_name.go): it goes into the note's hidden marker verbatim."""
SUCCEEDED = 0
PREVIEW_FAILED = 2
"""Exit codes of `stackctl report`; 1 is an input it cannot read or a note it cannot post."""


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
    if not STACK_NAME.fullmatch(stack):
        raise StackctlError(
            "--stack must be a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.' "
            "(its value is not shown)"
        )
    try:
        document = previews.load(preview_file)
        log = event_log.read_events(events) if events is not None else None
    except previews.PreviewError as err:
        if post:
            try:
                _post_unreadable(stack, str(err), out_dir, environ)
            except StackctlError as posting:
                raise StackctlError(
                    f"{err}; and the note saying so could not be posted: {posting}"
                ) from None
        raise
    result = outcome(document, log)
    drawn, why_not, opening = _draw(document, stack, root) if diagram else (None, "", [])
    note = render(
        document,
        stack,
        events=log,
        diagram=drawn,
        diagram_note=why_not,
        blast=opening,
        footer=_footer(environ),
    )
    counts = plan(document)
    _write(out_dir, note, None if result.failed else counts)
    print(
        f"{one_line(stack, 80)}: {'preview failed' if result.failed else 'preview succeeded'}; "
        f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to "
        f"delete; wrote {out_dir / 'note.md'}"
        + ("" if result.failed else f" and {out_dir / 'plan.json'}")
    )
    if post:
        from stackctl import notes

        posted = notes.post(note, marker(stack), notes.target_from(environ))
        print(f"{one_line(stack, 80)}: {posted.action} the merge request note {posted.url}")
    if result.failed:
        print(
            f"{one_line(stack, 80)}: the preview failed ({result.errors} error diagnostics, "
            f"{result.mandatory} mandatory policy violations): see {out_dir / 'note.md'}",
            file=sys.stderr,
        )
        return PREVIEW_FAILED
    return SUCCEEDED


def _write(out_dir: Path, note: str, counts: Mapping[str, int] | None) -> None:
    """`note.md`, and `plan.json` unless the preview failed (then a stale one is removed, so
    the widget shows no counts rather than wrong ones)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _replace(out_dir / "note.md", note)
        plan_file = out_dir / "plan.json"
        if counts is None:
            plan_file.unlink(missing_ok=True)
        else:
            _replace(plan_file, json.dumps(dict(counts)) + "\n")
    except OSError as err:
        raise StackctlError(
            f"cannot write the report to {out_dir}: {err.strerror or type(err).__name__}"
        ) from None


def _replace(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a temporary file beside it, renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _post_unreadable(stack: str, problem: str, out_dir: Path, environ: Mapping[str, str]) -> None:
    from stackctl import notes
    from stackctl.note import unreadable

    note = unreadable(stack, problem, footer=_footer(environ))
    with contextlib.suppress(StackctlError):  # the error reported matters more than a copy
        _write(out_dir, note, None)
    posted = notes.post(note, marker(stack), notes.target_from(environ))
    print(f"{one_line(stack, 80)}: {posted.action} the merge request note {posted.url} (no report)")


def _draw(document: Preview, stack: str, root: Path) -> tuple[str | None, str, list[str]]:
    """The delivery diagram of the stack's offline graph at this checkout, changed parts
    highlighted, and the blast radius of the same changed resources, by part of that
    diagram; without the graph (the stack does not evaluate), the reason and no opening."""
    from stackctl import blast, diagram
    from stackctl.engine import evaluate

    try:
        graph = evaluate(stack, root=root)
    except Exception as err:  # a failing program is reported by `graph`; here it costs a picture
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, f"the {stack} stack does not evaluate offline ({clip(first, 300)})", []
    touches = [
        blast.Touch(s.urn, s.op, s.protected, state.inputs if state else {})
        for s in changing(document)
        for state in [s.new or s.old]
    ]
    opening = blast.opening(blast.parts(graph, touches))
    try:
        drawn = diagram.mermaid(graph, highlight([r.urn for r in graph.resources], document))
    except Exception as err:  # a picture is not worth losing the note over
        why = f"it could not be drawn ({type(err).__name__}: {clip(str(err), 300)})"
        return None, why, opening
    return drawn, "", opening


def _footer(environ: Mapping[str, str]) -> str:
    """Which pipeline wrote the note: it is updated in place, so say what it is of."""
    from stackctl.note import html

    parts = []
    if commit := environ.get("CI_COMMIT_SHA"):
        parts.append(f"commit {html(commit[:12])}")
    if pipeline := environ.get("CI_PIPELINE_URL"):
        parts.append(f'<a href="{html(pipeline)}">pipeline</a>')
    return " · ".join(["Updated in place by <code>stackctl report</code>", *parts])
