"""Every delivery diagram the project produces, rendered as GitLab renders it.

GitLab draws Mermaid with Mermaid 11 and dagre (no ELK), with the configuration in
`tests/mermaid/gitlab.json` (gitlab-org/gitlab `app/assets/javascripts/lib/mermaid.js`:
theme `neutral`, `htmlLabels`, `securityLevel: strict`). mermaid-cli renders with the
Mermaid release package-lock.json pins (11.13.0, the one GitLab 19.0 bundles; mermaid-cli
11.12.0 loads whichever `mermaid` is installed beside it), in Debian's headless Chromium
(`tests/mermaid/puppeteer.json`; npm installs no browser here).

The diagrams: README.md's copy, the staging stack's (`graph --format mermaid`; prod's is
README's, `tests/test_diagram.py` holds them equal), and both stacks with every part
highlighted, the longest a merge request note can carry (`RENDERED`: staging's plain
diagram is drawn as the first lines of its note). One browser renders them,
and a diagram that must not parse beside them (`tests/mermaid/render.mjs`: mermaid-cli's own
`renderMermaid`, with the options `mmdc` gives it; one browser start costs more than the
renders). A parse error fails that diagram's render; each SVG must hold exactly the
diagram's groups, nodes and edges, and each text must stay within GitLab's 2,000
characters, past which GitLab shows a "Display" button instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackctl import diagram
from stackctl.docs import BLOCK, README
from stackctl.engine import Graph
from tests.node_tools import run, tool

CONFIG = Path(__file__).parent / "mermaid"
CHROMIUM = Path("/usr/bin/chromium")


def _readme_text() -> str:
    match = BLOCK.search(README.read_text())
    assert match, "README.md has no generated diagram block"
    fenced = re.search(r"```mermaid\n(.*?)\n```", match.group(0), re.S)
    assert fenced, "README.md's diagram block has no mermaid fence"
    return fenced.group(1)


def _every_urn(graph: Graph) -> list[str]:
    return [r.urn for r in graph.resources]


@pytest.fixture(scope="module")
def drawn(prod: Graph, staging: Graph) -> dict[str, tuple[str, diagram.Diagram]]:
    """What each diagram says, by name: its Mermaid text and the model it was drawn from."""
    readme = _readme_text()
    assert readme == diagram.mermaid(prod), "README.md's diagram is stale: run make diagram"
    return {
        "readme": (readme, diagram.delivery(prod)),
        "staging": (diagram.mermaid(staging), diagram.delivery(staging)),
        "prod-note": (
            diagram.mermaid(prod, _every_urn(prod)),
            diagram.delivery(prod),
        ),
        "staging-note": (
            diagram.mermaid(staging, _every_urn(staging)),
            diagram.delivery(staging),
        ),
    }


RENDERED = ("readme", "prod-note", "staging-note")
"""The diagrams the browser draws. A plain diagram's text is its note's first lines (the note
only appends the `changed` class and link styles), so drawing staging's note draws every
statement of staging's plain diagram too; README's plain diagram is drawn as itself, the
one a reader sees, and shows what no highlight looks like."""

BROKEN = "broken"
"""The staging diagram with one edge label left unclosed: Mermaid's parse must refuse it."""


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory,
    drawn: dict[str, tuple[str, diagram.Diagram]],
    staging: Graph,
) -> dict[str, tuple[str | None, str | None]]:
    """Each diagram's (SVG, None) if Mermaid drew it, (None, its error) if it refused it; the
    diagrams in `drawn` and `BROKEN`, rendered in one browser."""
    if not CHROMIUM.is_file():
        raise AssertionError(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    tool("@mermaid-js/mermaid-cli/src/cli.js")  # installed, or the failure names the fix
    work = tmp_path_factory.mktemp("mermaid")
    texts = {name: text for name, (text, _) in drawn.items() if name in RENDERED}
    texts[BROKEN] = diagram.mermaid(staging).replace("-->|build|", "-->|build", 1)
    args = [str(CONFIG / "puppeteer.json"), str(CONFIG / "gitlab.json"), str(work)]
    for name, text in texts.items():
        (work / f"{name}.mmd").write_text(text)
        args.append(f"{name}={work / f'{name}.mmd'}")
    done = run(CONFIG / "render.mjs", args, work, work, timeout=300)
    assert done.returncode == 0, f"the browser did not render:\n{done.stderr[-3000:]}"
    return {name: _outcome(work, name) for name in texts}


def _outcome(work: Path, name: str) -> tuple[str | None, str | None]:
    svg, error = work / f"{name}.svg", work / f"{name}.error"
    return (
        svg.read_text() if svg.is_file() else None,
        error.read_text() if error.is_file() else None,
    )


def _svg(rendered: dict[str, tuple[str | None, str | None]], name: str) -> str:
    """The SVG Mermaid drew for `name`; a failure with Mermaid's error if it drew none."""
    svg, error = rendered[name]
    assert svg is not None, f"Mermaid did not render {name}:\n{(error or '')[-3000:]}"
    return svg


@pytest.mark.parametrize("name", ["readme", "staging", "prod-note", "staging-note"])
def test_gitlab_renders_the_diagram_without_a_click(
    drawn: dict[str, tuple[str, diagram.Diagram]], name: str
) -> None:
    text, _ = drawn[name]
    assert len(text) <= diagram.MAX_CHARS, f"{name}: {len(text)} characters"


def test_a_plain_diagram_is_the_first_lines_of_its_note(
    drawn: dict[str, tuple[str, diagram.Diagram]],
) -> None:
    """What lets the browser draw the notes only, for staging."""
    for plain, note in (("readme", "prod-note"), ("staging", "staging-note")):
        assert drawn[note][0].startswith(drawn[plain][0] + "\n")


@pytest.mark.parametrize("name", RENDERED)
def test_the_rendered_diagram_holds_every_group_node_and_edge(
    drawn: dict[str, tuple[str, diagram.Diagram]],
    rendered: dict[str, tuple[str | None, str | None]],
    name: str,
) -> None:
    """Nothing lost and nothing invented between the model and what Mermaid drew: a label
    Mermaid misreads as syntax shows up here as a node or an edge too many or too few."""
    _, model = drawn[name]
    alias = diagram.aliases(model)
    svg = _svg(rendered, name)
    clusters = set(re.findall(r'<g class="cluster[^"]*" id="([^"]+)"', svg))
    nodes = set(re.findall(r'<g class="node[^"]*" id="flowchart-(.+?)-\d+"', svg))
    edges = re.findall(r'<path d="[^"]*" id="L_(.+?)_(.+?)_\d+"', svg)
    assert clusters == {alias[g.id] for g in model.groups}
    assert nodes == {alias[n.id] for n in model.nodes}
    assert sorted(edges) == sorted((alias[e.source], alias[e.target]) for e in model.edges)


def _classes(svg: str) -> dict[str, set[str]]:
    """Each drawn node's and group's id, with the classes Mermaid gave it."""
    found = re.findall(
        r'<g class="((?:node|cluster)[^"]*)" id="(?:flowchart-)?(.+?)(?:-\d+)?"', svg
    )
    return {id_: set(classes.split()) for classes, id_ in found}


def test_highlighted_parts_are_drawn_as_changed(
    drawn: dict[str, tuple[str, diagram.Diagram]],
    rendered: dict[str, tuple[str | None, str | None]],
) -> None:
    _, model = drawn["staging-note"]
    alias = diagram.aliases(model)
    changed = {
        id_
        for id_, classes in _classes(_svg(rendered, "staging-note")).items()
        if "changed" in classes
    }
    groups = {alias[g.id] for g in model.groups if g.realised_by}
    assert changed == {alias[n.id] for n in model.nodes} | groups
    assert not any("changed" in c for c in _classes(_svg(rendered, "readme")).values())


def test_a_parse_error_fails_the_render(
    rendered: dict[str, tuple[str | None, str | None]],
) -> None:
    """The render is Mermaid's own parse: staging's diagram with one edge label left
    unclosed is refused (`BROKEN`, rendered beside the others in the same browser)."""
    svg, error = rendered[BROKEN]
    assert svg is None
    assert error is not None
    assert "Parse error" in error
