"""`python -m stackctl graph`: what a reviewer sees, and how it fails."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stackctl.engine import ROOT
from tests.conftest import run_cli


def test_text_shows_components_resources_settings_and_counts(capsys, shared_evaluations) -> None:
    code, out, err = run_cli(capsys, "graph", "prod")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    count = len(shared_evaluations("prod").resources)
    assert lines[0].startswith(f"aigw-delivery · stack prod · {count} resources")
    assert "├── aigw:delivery:SourceProject canonical" in out
    assert (
        "gitlab:Project security-project  path=ai-assist visibilityLevel=private  "
        "[import 61869127, protect, retain]" in out
    )
    assert "gitlab:ProjectPushMirror mirror-push  url=[secret] onlyProtectedBranches=true" in out
    assert "Resources by type:" in out
    assert "     4  gitlab:index/branchProtection:BranchProtection" in lines
    # The project comes before what protects it, inside its component.
    project_line = next(i for i, line in enumerate(lines) if "canonical-project" in line)
    main_line = next(i for i, line in enumerate(lines) if "canonical-main" in line)
    assert project_line < main_line


def test_json_is_the_documented_document(capsys, shared_evaluations) -> None:
    code, out, _ = run_cli(capsys, "graph", "staging", "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert (document["project"], document["stack"]) == ("aigw-delivery", "staging")
    assert len(document["resources"]) == len(shared_evaluations("staging").resources)
    assert "glpat" not in out
    assert "gASV" not in out  # dynamic providers are described, not dumped as base64


def test_config_overrides_change_this_run_only(capsys) -> None:
    """Both runs evaluate (no shared evaluations): the second must not see the first's."""
    code, out, _ = run_cli(
        capsys,
        "graph",
        "prod",
        "--format",
        "json",
        "--config",
        "source.security.visibility=internal",
        "-c",
        "aigw-delivery:mirror.keepDivergentRefs=true",
    )
    resources = {r["name"]: r for r in json.loads(out)["resources"]}
    assert code == 0
    assert resources["security-project"]["inputs"]["visibilityLevel"] == "internal"
    assert resources["mirror-push"]["inputs"]["keepDivergentRefs"] is True
    _, again, _ = run_cli(capsys, "graph", "prod", "--format", "json")
    assert {r["name"]: r for r in json.loads(again)["resources"]}["security-project"]["inputs"][
        "visibilityLevel"
    ] == "private"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["graph", "qa"], "error: no stack named 'qa': Pulumi.qa.yaml does not exist"),
        (["graph", "../prod"], "error: invalid stack name '../prod'"),
        (
            ["graph", "prod", "-c", "source.canonical.importId=x"],
            "aigw-delivery:source.canonical.importId",
        ),
        (["graph", "prod", "-c", "novalue"], "expected KEY=VALUE"),
    ],
)
def test_errors_are_one_clear_message_and_exit_1(capsys, argv: list[str], message: str) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 1
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_a_malformed_stack_file_is_reported_with_its_line(capsys, scratch_project) -> None:
    root = scratch_project(stacks={"broken": "config:\n  aigw-delivery:source: {canonical: [\n"})
    code, out, err = run_cli(capsys, "--cwd", str(root), "graph", "broken")
    assert (code, out) == (1, "")
    assert "error: Pulumi.broken.yaml is not valid YAML (line 3, column 1)" in err


def test_a_missing_project_file_is_reported(capsys, tmp_path) -> None:
    code, _, err = run_cli(capsys, "--cwd", str(tmp_path), "graph", "prod")
    assert code == 1
    assert "Pulumi.yaml does not exist" in err


def test_the_module_runs_as_a_command_without_tracebacks() -> None:
    """A failure as a process: exit 1, one message, no traceback. (Success as a process is
    the next test's; the JSON document, `test_json_is_the_documented_document`'s.)"""
    bad = subprocess.run(
        [sys.executable, "-m", "stackctl", "graph", "prod", "-c", "environment=qa"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert "aigw-delivery:environment" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_reader_that_leaves_early_is_not_an_error() -> None:
    """`stackctl graph prod --format json | head -1`: no traceback when the reader stops
    reading (the document is larger than a pipe holds, so the writer does meet the closed
    pipe)."""
    graph = subprocess.Popen(
        [sys.executable, "-m", "stackctl", "graph", "prod", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert graph.stdout is not None
    assert graph.stderr is not None
    first = graph.stdout.readline()
    graph.stdout.close()  # the reader leaves
    errors = graph.stderr.read()
    assert graph.wait() == 0
    assert first == "{\n"
    assert "Traceback" not in errors
