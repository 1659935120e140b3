"""Every delivery diagram the project produces, rendered as GitLab renders it.

GitLab draws Mermaid with Mermaid 11 and dagre (no ELK), with the configuration in
`tests/mermaid/gitlab.json` (gitlab-org/gitlab `app/assets/javascripts/lib/mermaid.js`:
theme `neutral`, `htmlLabels`, `securityLevel: strict`). mermaid-cli renders with the
Mermaid release package-lock.json pins (11.13.0, the one GitLab 19.0 bundles; mermaid-cli
11.12.0 loads whichever `mermaid` is installed beside it), in Debian's headless Chromium
(`tests/mermaid/puppeteer.json`; npm installs no browser here).

The diagrams: README.md's copy, the staging stack's (`graph --format mermaid`; prod's is
README's, `tests/test_diagram.py` holds them equal), and both stacks with every part
highlighted, the longest a merge request note can carry. One mermaid-cli run renders all
of them from one Markdown file (one browser start). A parse error fails the run; each SVG
must hold exactly the diagram's groups, nodes and edges, and each text must stay within
GitLab's 2,000 characters, past which GitLab shows a "Display" button instead.
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


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory, drawn: dict[str, tuple[str, diagram.Diagram]]
) -> dict[str, str]:
    """The SVG of each diagram, rendered in one mermaid-cli run."""
    if not CHROMIUM.is_file():
        raise AssertionError(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    mmdc = tool("@mermaid-js/mermaid-cli/src/cli.js")
    work = tmp_path_factory.mktemp("mermaid")
    source = work / "diagrams.md"
    source.write_text("".join(f"```mermaid\n{text}\n```\n\n" for text, _ in drawn.values()))
    args = ["-p", str(CONFIG / "puppeteer.json"), "-c", str(CONFIG / "gitlab.json")]
    args += ["-i", str(source), "-o", str(work / "out.md"), "-e", "svg", "-q"]
    done = run(mmdc, args, work, work, timeout=300)
    assert done.returncode == 0, f"mermaid-cli failed:\n{done.stderr[-3000:]}"
    return {name: (work / f"out-{i}.svg").read_text() for i, name in enumerate(drawn, 1)}


@pytest.mark.parametrize("name", ["readme", "staging", "prod-note", "staging-note"])
def test_gitlab_renders_the_diagram_without_a_click(
    drawn: dict[str, tuple[str, diagram.Diagram]], name: str
) -> None:
    text, _ = drawn[name]
    assert len(text) <= diagram.MAX_CHARS, f"{name}: {len(text)} characters"


@pytest.mark.parametrize("name", ["readme", "staging", "prod-note", "staging-note"])
def test_the_rendered_diagram_holds_every_group_node_and_edge(
    drawn: dict[str, tuple[str, diagram.Diagram]], rendered: dict[str, str], name: str
) -> None:
    """Nothing lost and nothing invented between the model and what Mermaid drew: a label
    Mermaid misreads as syntax shows up here as a node or an edge too many or too few."""
    _, model = drawn[name]
    alias = diagram.aliases(model)
    svg = rendered[name]
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
    drawn: dict[str, tuple[str, diagram.Diagram]], rendered: dict[str, str]
) -> None:
    _, model = drawn["staging-note"]
    alias = diagram.aliases(model)
    changed = {
        id_ for id_, classes in _classes(rendered["staging-note"]).items() if "changed" in classes
    }
    groups = {alias[g.id] for g in model.groups if g.realised_by}
    assert changed == {alias[n.id] for n in model.nodes} | groups
    assert not any("changed" in c for c in _classes(rendered["staging"]).values())


def test_a_parse_error_fails_the_render(tmp_path: Path, staging: Graph) -> None:
    """The render is Mermaid's own parse: staging's diagram with one edge label left
    unclosed is refused."""
    mmdc = tool("@mermaid-js/mermaid-cli/src/cli.js")
    source = tmp_path / "broken.mmd"
    source.write_text(diagram.mermaid(staging).replace("-->|build|", "-->|build", 1))
    args = ["-p", str(CONFIG / "puppeteer.json"), "-c", str(CONFIG / "gitlab.json")]
    args += ["-i", str(source), "-o", str(tmp_path / "broken.svg"), "-q"]
    done = run(mmdc, args, tmp_path, tmp_path, timeout=300)
    assert done.returncode != 0
    assert "Parse error" in done.stderr
