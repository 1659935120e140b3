"""`python -m stackctl`: the stack's command-line tool (DESIGN.md section 5)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from stackctl import diff, text
from stackctl.engine import ROOT, EngineError, evaluate


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except EngineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
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
    graph.add_argument("--format", choices=("text", "json"), default="text")
    _add_config_option(graph)
    graph.set_defaults(run=_graph)

    diff = verbs.add_parser(
        "diff",
        help="compare two stacks or revisions offline; exit 0 equal, 2 different, 1 error",
    )
    diff.add_argument(
        "left", metavar="A", help="a stack (prod) or a stack at a revision (prod@main)"
    )
    diff.add_argument("right", metavar="B", help="the same forms as A")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=_diff)
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


def _diff(args: argparse.Namespace) -> int:
    root = args.cwd.resolve()
    result = diff.compare(
        diff.load(args.left, root), diff.load(args.right, root), args.left, args.right
    )
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(diff.render(result))
    return 0 if result.equal else 2


def _graph(args: argparse.Namespace) -> int:
    graph = evaluate(args.stack, args.config, root=args.cwd.resolve())
    if args.format == "json":
        print(json.dumps(graph.to_json(), indent=2))
    else:
        print(text.render(graph))
    return 0
