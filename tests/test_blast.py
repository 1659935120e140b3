"""What a merge request shows offline and first: the widget's counts, the Markdown diff, and
the blast radius by part of the delivery, from real diffs of the prod stack (a region
dropped from one fleet, a protected project replaced, a Docker Hub repository changed,
nothing changed) and from recorded previews (the live note's opening)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from stackctl import diff
from stackctl.cli import main
from stackctl.engine import Graph, evaluate
from tests.test_report import PREVIEWS

FIVE_REGIONS = '["us-east4","asia-northeast1","asia-northeast3","europe-west2","europe-west3"]'


@pytest.fixture(scope="module")
def one_region_dropped(prod: Graph) -> tuple[diff.GraphDiff, Graph]:
    """AIGW without europe-west9: that region's service, grant and endpoint group go, and
    so does the protected remote repository only that region used."""
    right = evaluate(
        "prod",
        [f"fleets.aigw.regions={FIVE_REGIONS}", f"fleets.aigw.existingRegions={FIVE_REGIONS}"],
    )
    return diff.compare(prod, right, "prod@main", "prod"), right


def opening(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index("**Blast radius** (the parts the diagram highlights):")
    return lines[start + 2 : lines.index("", start + 2)]


def test_a_region_dropped_from_one_fleet_counts_and_names_what_it_touches(
    prod: Graph, one_region_dropped: tuple[diff.GraphDiff, Graph]
) -> None:
    result, right = one_region_dropped
    assert diff.plan(result) == {"create": 0, "update": 3, "delete": 4}
    markdown = diff.markdown(result, right, prod)
    assert markdown.startswith("#### Offline graph diff: `prod@main` → `prod`\n\n**Blast radius**")
    assert opening(markdown) == [
        "- **Registries and pull**: 1 to delete; "
        "**protected resource `pull-security-europe-west9` (delete)**",
        "- **Runway deployments**: 2 to update; nothing protected replaced",
        "- **AIGW fleet**: 1 to update, 3 to delete (1 of 6 regions: europe-west9); "
        "nothing protected replaced",
        "- untouched: Source projects, Mirror, Identity, Docker Hub",
    ]
    assert "<b>aigw-europe-west9-service</b>" in markdown
    assert '~ value: "asia-northeast1,asia-northeast3,europe-west2,europe-west3,europe-west9' in (
        markdown
    )
    # The diagram highlights the same resources: the fleet and the deployment, not the mirror.
    assert "```mermaid" in markdown


def test_a_protected_replace_is_named_and_counts_as_a_create_and_a_delete(prod: Graph) -> None:
    """A resource whose identity changes (here the security project under another parent
    type) is replaced: Pulumi would delete the project and create it again."""
    moved = [
        dataclasses.replace(
            r, urn=r.urn.replace("aigw:delivery:SourceProject$", "aigw:delivery:Moved$")
        )
        if r.name == "security-project"
        else r
        for r in prod.resources
    ]
    right = dataclasses.replace(prod, resources=tuple(moved), _by_urn={}, _chains={})
    result = diff.compare(prod, right, "prod@main", "prod")
    assert diff.plan(result) == {"create": 1, "update": 0, "delete": 1}
    assert opening(diff.markdown(result, right, prod))[0] == (
        "- **Source projects**: 1 to replace; **protected resource `security-project` (replace)**"
    )


def test_a_docker_hub_change_is_its_own_part(prod: Graph) -> None:
    right = evaluate(
        "prod", ["dockerhub.repositories.model-gateway-self-hosted-fips.visibility=private"]
    )
    result = diff.compare(prod, right)
    [line, untouched] = opening(diff.markdown(result, right, prod))
    assert line.startswith("- **Docker Hub**: 1 to update;")
    assert "Docker Hub" not in untouched
    assert diff.plan(result) == {"create": 0, "update": 1, "delete": 0}


@pytest.mark.usefixtures("shared_evaluations")
def test_an_empty_diff_says_nothing_changes_and_writes_zero_counts(
    prod: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "prod", "prod", "--out-dir", str(tmp_path / "out")]) == 0
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan == {"create": 0, "update": 0, "delete": 0}
    markdown = (tmp_path / "out" / "diff.md").read_text()
    assert "**Blast radius:** nothing in the delivery changes." in markdown.splitlines()
    assert "0 added, 0 removed, 0 replaced, 0 changed" in capsys.readouterr().out


@pytest.mark.usefixtures("shared_evaluations")
def test_the_live_note_opens_with_the_blast_radius(tmp_path: Path) -> None:
    """A recorded staging preview that updates a source project, one AIGW service (in
    us-east4) and a Docker Hub repository."""
    out = tmp_path / "out"
    argv = ["report", str(PREVIEWS / "updates.json"), "--stack", "staging"]
    assert main([*argv, "--out-dir", str(out)]) == 0
    lines = (out / "note.md").read_text().splitlines()
    assert lines[1:9] == [
        "#### Pulumi preview of `staging`",
        "",
        "**Blast radius** (the parts the diagram highlights):",
        "",
        "- **Source projects**: 1 to update; nothing protected replaced",
        "- **AIGW fleet**: 1 to update (1 of 6 regions: us-east4); nothing protected replaced",
        "- **Docker Hub**: 1 to update; nothing protected replaced",
        "- untouched: Mirror, Registries and pull, Runway deployments, Identity",
    ]
    assert lines[10].startswith("**Plan:** 0 to create, 3 to update")


@pytest.mark.usefixtures("shared_evaluations")
def test_a_protected_delete_in_the_live_note_is_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["report", str(PREVIEWS / "protected.json"), "--stack", "prod"]
    assert main([*argv, "--out-dir", str(out)]) == 2
    note = (out / "note.md").read_text()
    assert (
        "- **Source projects**: 1 to delete; **protected resource `security-project` (delete)**"
        in note.splitlines()
    )
