"""The generated parts of README.md: the prod delivery diagram, drawn from the graph.

    .venv/bin/python -m stackctl.docs        # rewrite them (also: make diagram)

tests/test_diagram.py fails when README.md's copy is stale, naming this command, and
tests/test_diagram_render.py renders the copy as GitLab does.
"""

from __future__ import annotations

import re
import sys

from stackctl import diagram
from stackctl.engine import ROOT, evaluate

README = ROOT / "README.md"
START = "<!-- generated: python -m stackctl.docs (stack prod) -->"
END = "<!-- end generated -->"
BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
REFRESH = "make diagram (or .venv/bin/python -m stackctl.docs)"


def diagram_block(stack: str = "prod") -> str:
    """The README's diagram section as `stackctl graph prod --format mermaid` draws it."""
    return f"{START}\n```mermaid\n{diagram.mermaid(evaluate(stack))}\n```\n{END}"


def refreshed(text: str) -> str:
    if not BLOCK.search(text):
        raise SystemExit(f"{README.name} has no generated block ({START})")
    return BLOCK.sub(lambda _: diagram_block(), text)


def main() -> int:
    before = README.read_text()
    after = refreshed(before)
    if after != before:
        README.write_text(after)
        print(f"{README.name}: the prod diagram was refreshed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
