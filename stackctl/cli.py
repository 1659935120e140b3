"""`python -m stackctl`: the stack's command-line tool (README, "The graph offline")."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from stackctl.engine import ROOT, evaluate
from stackctl.errors import StackctlError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except StackctlError as err:
        # Errors name keys, not values; a token pasted where a name goes (a key, a stack
        # name) or quoted by a validation message is masked all the same.
        from stackctl.scrub import scrub

        print(f"error: {scrub(str(err))}", file=sys.stderr)
        return 1


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """Built once per process: building it is half the cost of a run that fails at once (a
    bad stack file), and parsing leaves it unchanged (`append` copies its default)."""
    parser = argparse.ArgumentParser(prog="python -m stackctl", description=__doc__)
    parser.add_argument(
        "-C",
        "--cwd",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help="the project directory (where Pulumi.yaml is), like `pulumi --cwd`; "
        "default: this checkout",
    )
    verbs = parser.add_subparsers(required=True, metavar="VERB")

    graph = verbs.add_parser("graph", help="print what a stack holds, offline (no credentials)")
    graph.add_argument("stack", help="stack name: Pulumi.<stack>.yaml is read")
    graph.add_argument(
        "--format",
        choices=("text", "json", "mermaid", "hash", "imports"),
        default="text",
        help="text: a tree; json: the graph document; mermaid: the delivery diagram; hash: "
        "the sha256 a `pulumi up` from CI records (AIGW_GRAPH_HASH) and promote checks; "
        "imports: the adoption plan, as Pulumi's bulk import file, and what is created and why",
    )
    _add_config_option(graph)
    graph.set_defaults(run=_graph)

    compare = verbs.add_parser(
        "diff",
        help="compare two stacks or revisions offline; exit 0 equal, 2 different, 1 error",
    )
    compare.add_argument(
        "left", metavar="A", help="a stack (prod) or a stack at a revision (prod@main)"
    )
    compare.add_argument("right", metavar="B", help="the same forms as A")
    compare.add_argument("--format", choices=("text", "json"), default="text")
    compare.add_argument(
        "--out-dir",
        type=Path,
        help="also write plan.json (GitLab's terraform report) and diff.md (the diff in "
        "Markdown, blast radius first) there, for the merge request",
    )
    compare.set_defaults(run=_diff)

    check = verbs.add_parser(
        "check",
        help="run the policy pack over a stack's offline graph, as a preview of a new stack",
        description="Run every policy of policy/ over the stack's graph, evaluated offline as "
        "`pulumi preview` of a new stack sees it (ids and computed outputs unknown). Prints "
        "each violation with its resource, policy and reason; exits 1 if a mandatory policy "
        "fails.",
    )
    check.add_argument("stack", help="stack name: Pulumi.<stack>.yaml is read")
    _add_config_option(check)
    check.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy config, as `pulumi preview --policy-pack-config FILE`; "
        "default: policy/config/<stack>.json if it exists",
    )
    check.set_defaults(run=_check)

    report = verbs.add_parser(
        "report",
        help="a merge-request note and GitLab's widget report from `pulumi preview --json`",
        description="Read the output of `pulumi preview --json` and write DIR/note.md (the "
        "merge-request note) and DIR/plan.json (GitLab's terraform report: create, update, "
        "delete). Exit 0: the preview succeeded; 2: the preview failed (the note says why, "
        "no plan.json); 1: the input cannot be read or the note cannot be posted.",
    )
    report.add_argument("preview", type=Path, metavar="PREVIEW.json")
    report.add_argument("--stack", required=True, help="the stack the preview is of")
    report.add_argument("--out-dir", type=Path, required=True, metavar="DIR")
    report.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="the preview's engine event log (PULUMI_DEBUG_COMMANDS=true pulumi preview "
        "--event-log FILE): the policy violations, which the JSON document does not carry",
    )
    report.add_argument(
        "--post",
        action="store_true",
        help="create or update this stack's note on the merge request (CI_SERVER_URL, "
        "CI_PROJECT_ID, CI_MERGE_REQUEST_IID, PREVIEW_NOTE_TOKEN)",
    )
    report.add_argument(
        "--no-diagram",
        action="store_true",
        help="leave out the delivery diagram (it evaluates the stack offline)",
    )
    report.set_defaults(run=_report)

    gate = verbs.add_parser(
        "gate",
        help="the apply gate: refuse a preview that changes what it adopts unless accepted",
        description="Read `pulumi preview --json` and the stack's config. Refuse when an "
        "adopted resource would be changed live on a property not accepted in the stack's "
        "adoption.accept, or when an existing CI variable's hidden (or masked while hidden) "
        "would change. Changes nothing. Exit 0: passes; 3: refused (each reason on stderr); "
        "1: the preview or the config cannot be read.",
    )
    gate.add_argument("preview", type=Path, metavar="PREVIEW.json")
    gate.add_argument("--stack", required=True, help="the stack the preview is of")
    gate.set_defaults(run=_gate)

    promote = verbs.add_parser(
        "promote",
        help="the promotion gate: may prod get this commit? (changes nothing)",
        description="Refuse unless the --from stack's last successful apply came from CI at "
        "this commit with this commit's graph; then print what the --to stack will get. Reads "
        "both stacks' outputs with `pulumi stack output --json`. Exit 0: allowed; 3: refused; "
        "1: the gate could not be evaluated.",
    )
    promote.add_argument("--from", dest="source", default="staging", metavar="STACK")
    promote.add_argument("--to", dest="target", default="prod", metavar="STACK")
    promote.add_argument(
        "--revision",
        metavar="REV",
        help="the commit being promoted; default: $CI_COMMIT_SHA, else the checkout's HEAD "
        "(the checkout is what is evaluated: run it in a checkout of that commit)",
    )
    promote.set_defaults(run=_promote)
    return parser


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value for this run, like `pulumi preview --config`; KEY may be "
        "a path into a structured value (fleets.aigw.minInstances, regions[0]); VALUE is JSON "
        "or a plain string",
    )


# Each verb imports what only it needs: `graph` must start fast (docs/benchmarks.md).


def _diff(args: argparse.Namespace) -> int:
    from stackctl import diff

    root = args.cwd.resolve()
    left, right = diff.load(args.left, root), diff.load(args.right, root)
    result = diff.compare(left, right, args.left, args.right)
    if args.out_dir is not None:
        diff.write(args.out_dir, result, right, left)
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(diff.render(result))
    return 0 if result.equal else 2


def _check(args: argparse.Namespace) -> int:
    from stackctl.check import check_graph, render
    from stackctl.policy_config import default_config_file, load_policy_config
    from stackctl.stackfile import check_stack_name

    check_stack_name(args.stack)  # before it names a policy config file
    config_file = args.policy_config or default_config_file(args.stack)
    settings = load_policy_config(config_file)
    graph = evaluate(args.stack, args.config, root=args.cwd.resolve(), unknowns=True)
    report = check_graph(graph, settings, config_file=config_file)
    print(render(report))
    return 1 if report.failed else 0


def _graph(args: argparse.Namespace) -> int:
    from stackctl import diagram, text

    graph = evaluate(args.stack, args.config, root=args.cwd.resolve())
    if args.format == "hash":
        from stackctl.provenance import graph_hash

        print(graph_hash(graph))
    elif args.format == "json":
        print(json.dumps(graph.to_json(), indent=2))
    elif args.format == "mermaid":
        print(diagram.mermaid(graph))
    elif args.format == "imports":
        from stackctl.imports import plan

        print(json.dumps(plan(graph), indent=2))
    else:
        print(text.render(graph))
    return 0


def _report(args: argparse.Namespace) -> int:
    import os

    from stackctl import report

    return report.run(
        args.preview,
        stack=args.stack,
        out_dir=args.out_dir,
        events=args.events,
        post=args.post,
        diagram=not args.no_diagram,
        root=args.cwd.resolve(),
        environ=os.environ,
    )


def _promote(args: argparse.Namespace) -> int:
    from stackctl import promote

    try:
        return promote.run(
            args.source,
            args.target,
            root=args.cwd.resolve(),
            revision=args.revision,
            out=sys.stdout,
        )
    except promote.RefusedError as refusal:
        print(f"refused: {refusal}", file=sys.stderr)
        return promote.REFUSED


def _gate(args: argparse.Namespace) -> int:
    from stackctl import gate

    return gate.run(args.preview, stack=args.stack, root=args.cwd.resolve())
