"""`stackctl promote`: the gate between staging and prod, against a stand-in Pulumi CLI.

`tests/doubles/pulumi` is a test double for the real CLI: put first on PATH, it answers
`pulumi stack output --json --stack NAME` with the outputs a test records, and logs every call.
The gate's refusals need no evaluation (they come first); the passing and hash cases use the
session's evaluated graphs, and one runs the whole verb as CI does.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stackctl import promote
from stackctl.cli import main
from stackctl.engine import ROOT, Graph
from stackctl.provenance import NOT_FROM_CI, graph_hash

DOUBLES = Path(__file__).parent / "doubles"
HEAD = subprocess.run(
    ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
).stdout.strip()
OTHER = "0" * 40


@pytest.fixture
def outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory the pulumi double answers from, with the double first on PATH."""
    directory = tmp_path / "pulumi-double"
    directory.mkdir()
    monkeypatch.setenv("PULUMI_DOUBLE_DIR", str(directory))
    monkeypatch.setenv("PATH", f"{DOUBLES}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    return directory


def record(directory: Path, stack: str, delivery: object = None, **more: object) -> None:
    document = dict(more)
    if delivery is not None:
        document["delivery"] = delivery
    (directory / f"{stack}.json").write_text(json.dumps(document, indent=4))


def applied(revision: str, hash_: str) -> dict[str, str]:
    return {"revision": revision, "graphHash": hash_}


@pytest.fixture
def graphs(staging: Graph, prod: Graph) -> promote.GraphLoader:
    return {"staging": staging, "prod": prod}.__getitem__


def gate(graphs: promote.GraphLoader | None = None, revision: str = HEAD) -> tuple[int, str]:
    out = io.StringIO()
    code = promote.run("staging", "prod", root=ROOT, revision=revision, graphs=graphs, out=out)
    return code, out.getvalue()


def calls(directory: Path) -> list[str]:
    return (directory / "calls").read_text().splitlines()


def test_the_gate_passes_for_what_staging_applied_and_prints_what_prod_gets(
    outputs: Path, graphs: promote.GraphLoader, staging: Graph
) -> None:
    record(outputs, "staging", applied(HEAD, graph_hash(staging)), environment="staging")
    record(outputs, "prod", applied(OTHER, "f" * 64), environment="prod")
    code, printed = gate(graphs)
    assert code == 0
    lines = printed.splitlines()
    assert lines[0] == f"promote staging → prod at {HEAD}"
    assert lines[1].startswith(f"  staging: applied from {HEAD[:12]} by CI, graph ")
    assert lines[2] == f"  prod: applied from {OTHER[:12]} → {HEAD[:12]}"
    assert "What prod will get: this commit's staging and prod stacks, offline" in printed
    assert "diff staging → prod: " in printed
    assert "+ gcp:Service dws-europe-west2-service" in printed  # prod's extra DWS regions
    assert f"(No diff of prod since its last apply: {OTHER[:12]} cannot be evaluated here" in (
        printed
    )
    assert lines[-1] == f"promotion allowed: `pulumi up --stack prod` may apply {HEAD[:12]}"
    # It read both stacks' outputs and did nothing else.
    assert calls(outputs) == [
        "stack output --json --non-interactive --stack staging",
        "stack output --json --non-interactive --stack prod",
    ]


def test_the_first_promotion_has_no_prod_record(
    outputs: Path, graphs: promote.GraphLoader, staging: Graph
) -> None:
    record(outputs, "staging", applied(HEAD, graph_hash(staging)))
    record(outputs, "prod")
    code, printed = gate(graphs)
    assert code == 0
    assert f"  prod: never applied by CI → {HEAD[:12]}" in printed


@pytest.mark.parametrize(
    ("staging_outputs", "reason"),
    [
        ({}, "staging has no outputs: it has never been applied by this program from CI"),
        (
            {"environment": "staging"},
            "staging has no `delivery` output: it has never been applied by this program",
        ),
        (
            {"delivery": applied(NOT_FROM_CI, NOT_FROM_CI)},
            "staging's last successful apply was not run by CI",
        ),
        (
            {"delivery": applied(OTHER, "a" * 64)},
            f"staging was last applied from {OTHER[:12]}, not from {HEAD[:12]}: prod may only "
            "get a commit staging has applied",
        ),
    ],
    ids=["never-applied", "no-record", "not-from-ci", "other-commit"],
)
def test_the_gate_refuses_what_staging_has_not_applied(
    outputs: Path, staging_outputs: dict[str, object], reason: str
) -> None:
    (outputs / "staging.json").write_text(json.dumps(staging_outputs))
    record(outputs, "prod")
    with pytest.raises(promote.RefusedError, match="^" + reason.replace("(", r"\(")):
        gate(graphs=lambda stack: pytest.fail("a refusal needs no evaluation"))


def test_the_gate_refuses_a_graph_that_is_not_the_one_staging_applied(
    outputs: Path, graphs: promote.GraphLoader, staging: Graph
) -> None:
    record(outputs, "staging", applied(HEAD, "b" * 64))
    record(outputs, "prod")
    with pytest.raises(promote.RefusedError) as refused:
        gate(graphs)
    message = str(refused.value)
    assert message.startswith(f"staging was applied from {HEAD[:12]}, but with another graph")
    assert f"this commit's offline staging graph hashes to {graph_hash(staging)[:16]}" in message
    assert f"re-run deploy:staging for {HEAD[:12]}" in message


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            lambda d: (
                (d / "staging.exit").write_text("255"),
                (d / "staging.stderr").write_text(
                    'error: failed to load checkpoint: blob (key ".pulumi/stacks/aigw-delivery/'
                    'staging.json") (code=PermissionDenied)\n'
                ),
            ),
            "`pulumi stack output --json --stack staging` failed (exit 255):\n"
            "error: failed to load checkpoint",
        ),
        (
            lambda d: (
                (d / "staging.exit").write_text("255"),
                (d / "staging.stderr").write_text(
                    "error: cannot log in to https://ci:glpat-0123456789abcdefghij@gitlab.com\n"
                ),
            ),
            "`pulumi stack output --json --stack staging` failed (exit 255):\n"
            "error: cannot log in to https://[secret]@gitlab.com",
        ),
        (
            lambda d: (d / "staging.json").write_text('{"delivery": {"revision": '),
            "`pulumi stack output --json --stack staging` printed something that is not JSON",
        ),
        (
            lambda d: (d / "staging.json").write_text('["delivery"]'),
            '`pulumi stack output --json --stack staging` printed ["delivery"], not an object',
        ),
        (
            lambda d: (d / "staging.json").write_text('{"delivery": "abc"}'),
            "staging's `delivery` output is not what this program exports",
        ),
    ],
    ids=[
        "cli-fails",
        "cli-fails-quoting-a-credential",
        "truncated",
        "not-an-object",
        "malformed-record",
    ],
)
def test_what_the_gate_cannot_read_is_an_error(outputs: Path, setup, message: str) -> None:
    setup(outputs)
    with pytest.raises(promote.PromoteError, match="^" + _literal(message)):
        gate(graphs=lambda stack: pytest.fail("no evaluation"))


def test_without_the_cli_the_gate_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "git").symlink_to(shutil.which("git") or "git")  # git, and no pulumi
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(promote.PromoteError, match="the pulumi CLI is not on PATH"):
        gate(graphs=lambda stack: pytest.fail("no evaluation"))


def test_a_malformed_prod_record_stops_the_gate_too(outputs: Path, staging: Graph) -> None:
    record(outputs, "staging", applied(HEAD, graph_hash(staging)))
    (outputs / "prod.json").write_text('{"delivery": {"revision": 42}}')
    with pytest.raises(promote.PromoteError, match="prod's `delivery` output is not"):
        gate(graphs=lambda stack: pytest.fail("no evaluation"))


def test_an_unknown_revision_is_an_error(outputs: Path) -> None:
    with pytest.raises(promote.PromoteError, match="'no-such-rev' is not a commit"):
        gate(revision="no-such-rev")


def test_the_verb_exits_3_on_refusal_and_1_on_error(
    outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record(outputs, "staging", applied(OTHER, "a" * 64))
    assert main(["promote", "--from", "staging", "--to", "prod", "--revision", HEAD]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"refused: staging was last applied from {OTHER[:12]}")
    (outputs / "staging.exit").write_text("1")
    assert main(["promote", "--revision", HEAD]) == 1
    assert capsys.readouterr().err.startswith("error: `pulumi stack output")
    assert main(["promote", "--from", "prod", "--to", "prod"]) == 1
    assert "--from and --to are both 'prod'" in capsys.readouterr().err


@pytest.mark.usefixtures("shared_evaluations")
def test_the_verb_passes_as_the_ci_job_runs_it(
    outputs: Path, staging: Graph, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """The whole verb, on this checkout's stacks, with the commit from CI_COMMIT_SHA. The
    verb's evaluations are the session's (`shared_evaluations`): that an evaluation in a CI
    job gives the graph a workstation's does is tests/test_provenance.py's."""
    monkeypatch.setenv("CI_COMMIT_SHA", HEAD)
    record(outputs, "staging", applied(HEAD, graph_hash(staging)))
    record(outputs, "prod", applied(NOT_FROM_CI, NOT_FROM_CI))
    assert main(["promote", "--from", "staging", "--to", "prod"]) == 0
    out = capsys.readouterr().out
    assert f"  prod: applied from outside CI (not applied from CI) → {HEAD[:12]}" in out
    assert out.rstrip().endswith(f"may apply {HEAD[:12]}")


def _literal(text: str) -> str:
    import re

    return re.escape(text)
