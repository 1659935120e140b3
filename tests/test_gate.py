"""`stackctl gate` on recorded previews of adoptions with live changes (tests/previews/
adoption*.json, built following pulumi/pulumi's step generator and JSON display): refused
until each changed property is accepted in the stack's `adoption.accept`, then passed; a
partial acceptance names what is still refused; `hidden`/`masked` changes on an existing
variable are refused whatever the config; nothing secret in any output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stackctl.cli import main

ROOT = Path(__file__).parent.parent
PREVIEWS = Path(__file__).parent / "previews"
PROJECT_ACCEPTED = ["archiveOnDestroy", "description", "mergeRequestsAccessLevel"]


def project(tmp_path: Path, accept: dict[str, list[str]] | None = None, extra: str = "") -> Path:
    """A copy of the project files the gate reads, prod's config plus `adoption.accept`."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", root)
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    if accept is not None:
        text += f"  aigw-delivery:adoption:\n    accept: {json.dumps(accept)}\n"
    (root / "Pulumi.prod.yaml").write_text(text + extra)
    return root


def gate(root: Path, name: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--cwd", str(root), "gate", str(PREVIEWS / f"{name}.json"), "--stack", "prod"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "glpat-AdoptionLeak" not in out + err
    return code, out, err


def test_an_adoption_with_live_changes_is_refused_naming_each_property(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = gate(project(tmp_path), "adoption_masked", capsys)
    assert code == 3
    assert (
        "Project security-project would be changed on adoption (update) and these properties "
        "are not accepted in adoption.accept.security-project: archiveOnDestroy, description, "
        "mergeRequestsAccessLevel"
    ) in err
    assert '~ mergeRequestsAccessLevel: "enabled" → "private"' in err
    assert "deploy key [secret]" in err  # the live description's token, scrubbed


def test_accepted_by_name_it_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads((PREVIEWS / "adoption.json").read_text())
    document["steps"] = [s for s in document["steps"] if "ProjectVariable" not in s["urn"]]
    document["diagnostics"] = []
    only_project = tmp_path / "project.json"
    only_project.write_text(json.dumps(document))
    root = project(tmp_path, {"security-project": PROJECT_ACCEPTED})
    code = main(["--cwd", str(root), "gate", str(only_project), "--stack", "prod"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "accepted: Project security-project: ~ mergeRequestsAccessLevel" in out
    assert "the gate passes: 1 adopted resource(s) changed live" in out


def test_an_accepted_project_does_not_accept_a_hidden_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"security-project": PROJECT_ACCEPTED})
    code, out, err = gate(root, "adoption", capsys)
    # the project passes; the variable's hidden change is refused whatever is accepted
    assert "security-project" not in err
    assert "accepted: Project security-project: ~ mergeRequestsAccessLevel" in out
    assert code == 3
    assert "changes hidden on an existing CI variable" in err


def test_a_partial_acceptance_names_what_is_still_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"security-project": ["description"]})
    code, out, err = gate(root, "adoption_masked", capsys)
    assert code == 3
    assert "accepted: Project security-project: ~ description" in out
    assert "adoption.accept.security-project: archiveOnDestroy, mergeRequestsAccessLevel (" in err


def test_a_parent_path_accepts_what_is_under_it_and_a_stale_entry_is_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accept = {"security-project": PROJECT_ACCEPTED, "security-main": ["pushAccessLevel"]}
    root = project(tmp_path, accept)
    _, out, err = gate(root, "adoption_masked", capsys)
    assert "security-project" not in err
    assert "adoption.accept.security-main lists pushAccessLevel, which this preview" in out


def test_masked_off_on_an_existing_hidden_variable_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"security-project": PROJECT_ACCEPTED})
    code, _, err = gate(root, "adoption_masked", capsys)
    assert code == 3
    assert (
        "ProjectVariable ai-gateway-trigger-token (variable RUNWAY_TRIGGER_TOKEN_AI_GATEWAY) "
        "changes masked on an existing CI variable"
    ) in err


def test_a_preview_without_adoptions_or_variable_changes_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = gate(project(tmp_path), "empty", capsys)
    assert code == 0
    assert "the gate passes" in out


def test_a_preview_that_failed_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = gate(project(tmp_path), "failed", capsys)
    assert code == 3
    assert "the preview failed" in err


@pytest.mark.parametrize(
    ("accept", "named"),
    [
        ({"security-project": ["a..b"]}, "aigw-delivery:adoption.accept.security-project[0]"),
        ({"security-project": []}, "aigw-delivery:adoption.accept.security-project"),
        ({"security-project": ["glpat-Zx81ksLQ0pYvN3mW7rTq"]}, "adoption.accept"),
    ],
)
def test_bad_acceptances_are_one_clear_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    accept: dict[str, list[str]],
    named: str,
) -> None:
    code, out, err = gate(project(tmp_path, accept), "adoption", capsys)
    assert code == 1
    assert err.startswith("error: Pulumi.prod.yaml: invalid configuration")
    assert named in err
    assert "glpat-Zx81" not in out + err


def test_an_unreadable_config_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    (root / "Pulumi.prod.yaml").write_text("config: [unclosed\n")
    code, _, err = gate(root, "adoption", capsys)
    assert code == 1
    assert err.startswith("error: Pulumi.prod.yaml")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"resources": []}', "is not a `pulumi preview --json` document"),
        ("", "is empty"),
        ('{"steps": [{"op": "import"', "truncated"),
    ],
)
def test_a_preview_that_is_not_a_preview_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    bad = tmp_path / "preview.json"
    bad.write_text(text)
    code = main(["--cwd", str(project(tmp_path)), "gate", str(bad), "--stack", "prod"])
    err = capsys.readouterr().err
    assert code == 1
    assert says in err
    assert err.count("\n") == 1


def test_a_preview_of_another_stack_is_refused_as_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    shutil.copy(ROOT / "Pulumi.staging.yaml", root)
    code = main(["--cwd", str(root), "gate", str(PREVIEWS / "adoption.json"), "--stack", "staging"])
    assert code == 1
    assert "is a preview of stack 'prod', not of 'staging'" in capsys.readouterr().err
