"""`stackctl diff`: structural differences between stacks and revisions, offline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stackctl.diff import compare, identity
from stackctl.engine import ROOT, Graph, evaluate
from tests.conftest import MINIMAL_CONFIG, Evaluations, run_cli, stack_config

SCRATCH_PROGRAM = """\
import pulumi
import pulumi_gitlab as gitlab

config = pulumi.Config()
for name in config.require_object("projects"):
    gitlab.Project(name, name=name, visibility_level="private")
"""


@pytest.mark.usefixtures("shared_evaluations")
def test_identical_stacks_are_equal_and_exit_0(capsys) -> None:
    code, out, _ = run_cli(capsys, "diff", "prod", "prod")
    assert code == 0
    assert out.startswith("diff prod → prod: 0 added, 0 removed, 0 replaced, 0 changed")


def test_a_changed_input_shows_its_path_and_values(prod: Graph, evaluations: Evaluations) -> None:
    changed = evaluations("prod", ["source.registry.cleanup.keepN=50"])
    result = compare(prod, changed)
    by_name = {c.name: c for c in result.changed}
    assert set(by_name) == {"canonical-project", "security-project"}
    [change] = by_name["security-project"].changes
    assert (change.path, change.old, change.new) == ("containerExpirationPolicy.keepN", 25, 50)
    assert (result.added, result.removed, result.replaced) == ((), (), ())


@pytest.mark.usefixtures("shared_evaluations")
def test_staging_and_prod_compare_resource_by_resource(capsys) -> None:
    code, out, _ = run_cli(capsys, "diff", "staging", "prod", "--format", "json")
    document = json.loads(out)
    assert code == 2
    assert document["equal"] is False
    # Prod runs DWS in three regions, staging in one; only staging has the load-test deployment.
    added = {r["name"] for r in document["added"]}
    removed = {r["name"] for r in document["removed"]}
    assert {"dws-europe-west2-service", "dws-asia-northeast1-service"} <= added
    assert {"dws-loadtest-project", "dws-loadtest-trigger"} <= removed
    assert not any(name.startswith(("canonical-", "security-", "mirror-")) for name in added)
    changed = {c["name"]: c for c in document["changed"]}
    paths = {c["path"]: c for c in changed["security-project"]["changes"]}
    assert paths["[importId]"]["old"] is None
    assert paths["[importId]"]["new"] == "61869127"
    assert paths["[protect]"]["new"] is True


def test_a_changed_secret_is_shown_only_as_changed(prod: Graph, evaluations: Evaluations) -> None:
    moved = evaluations("prod", ["source.security.path=gitlab-org/security/elsewhere"])
    result = compare(prod, moved)
    mirror = next(c for c in result.changed if c.name == "mirror-push")
    [url] = [c for c in mirror.changes if c.path == "url"]
    assert url.secret
    assert url.render() == "url: [secret] changed"
    assert "glpat" not in json.dumps(result.to_json())


def test_added_and_removed_resources(scratch_project) -> None:
    base = MINIMAL_CONFIG
    root = scratch_project(
        stacks={
            "a": {**base, "aigw-delivery:projects": ["one", "two"]},
            "b": {**base, "aigw-delivery:projects": ["two", "three"]},
        },
        program=SCRATCH_PROGRAM,
    )
    _declare(root, "projects")
    result = compare(evaluate("a", root=root), evaluate("b", root=root))
    assert [r.name for r in result.added] == ["three"]
    assert [r.name for r in result.removed] == ["one"]
    assert result.changed == ()


def test_a_resource_that_moves_to_another_parent_is_replaced(scratch_project) -> None:
    program = (
        "import pulumi\nimport pulumi_gitlab as gitlab\n\n"
        "class Box(pulumi.ComponentResource):\n"
        "    def __init__(self, name):\n"
        "        super().__init__('aigw:delivery:Box', name)\n\n"
        "parent = Box('box') if pulumi.Config().get_bool('boxed') else None\n"
        "gitlab.Project('p', name='p', opts=pulumi.ResourceOptions(parent=parent))\n"
    )
    base = MINIMAL_CONFIG
    root = scratch_project(
        stacks={
            "flat": {**base, "aigw-delivery:boxed": False},
            "boxed": {**base, "aigw-delivery:boxed": True},
        },
        program=program,
    )
    _declare(root, "boxed", "boolean")
    result = compare(evaluate("flat", root=root), evaluate("boxed", root=root))
    [(old, new)] = result.replaced
    assert (old.name, new.name) == ("p", "p")
    assert identity(new.urn) == "aigw:delivery:Box$gitlab:index/project:Project::p"
    assert [r.name for r in result.added] == ["box"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding a copy of this project, built once for the revision tests:
    `HEAD~1` the project as it is, `HEAD` (checked out) keeping more images, and the branch
    `broken` (not checked out) one commit past `HEAD` with a stack file that does not parse.
    The tests only read it (`diff` reads revisions with `git archive`), and the one that
    must not touch the checkout compares `git status` before and after."""
    repo = _repository(tmp_path_factory.mktemp("history"))
    stack_file = repo / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("keepN: 25", "keepN: 50"))
    _git(repo, "commit", "-qam", "keep more images")
    _git(repo, "checkout", "-qb", "broken")
    stack_file.write_text("config:\n  aigw-delivery:source: {canonical: [\n")
    _git(repo, "commit", "-qam", "break the stack file")
    _git(repo, "checkout", "-q", "-")
    return repo


def test_revisions_are_read_without_touching_the_checkout(history: Path, capsys) -> None:
    status_before = _git(history, "status", "--porcelain")

    # The revision against the checkout (HEAD): only the revision is read with git.
    code, out, _ = run_cli(capsys, "--cwd", str(history), "diff", "prod@HEAD~1", "prod")
    assert code == 2
    assert "containerExpirationPolicy.keepN: 25 → 50" in out
    assert _git(history, "status", "--porcelain") == status_before


def test_a_revision_that_no_longer_parses_is_a_clear_error(history: Path, capsys) -> None:
    argv = ["--cwd", str(history), "diff", "prod@broken", "prod"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 1
    assert out == ""
    assert "error: prod@broken: Pulumi.prod.yaml is not valid YAML" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["diff", "prod", "prod@no-such-branch"], "'no-such-branch' is not a revision"),
        (["diff", "prod", "prod@"], "expected STACK@REV"),
        (["diff", "qa", "prod"], "no stack named 'qa'"),
    ],
)
@pytest.mark.usefixtures("shared_evaluations")
def test_bad_sides_exit_1(capsys, argv: list[str], message: str) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert code == 1
    assert message in err


def _declare(root: Path, key: str, type_: str = "array") -> None:
    extra = f"  {key}:\n    type: {type_}\n    description: test\n"
    if type_ == "array":
        extra += "    items:\n      type: string\n"
    (root / "Pulumi.yaml").write_text((root / "Pulumi.yaml").read_text() + extra)


def _repository(base: Path) -> Path:
    """A git repository holding a copy of this project (without its tests), one commit deep.

    The copy is what `git add -A` would commit in this checkout: tracked and untracked
    files, less what `.gitignore` ignores (`git ls-files --cached --others
    --exclude-standard`), so that neither `.venv` nor the 20,000 files of `node_modules`
    are copied."""
    repo = base / "repo"
    listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in listed.split("\0"):
        source = ROOT / name
        if not name or name.startswith("tests/") or not source.is_file():
            continue  # a file deleted in the checkout but not yet in the index
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    _git(repo, "config", "user.name", "t")
    _git(repo, "config", "user.email", "t@t")
    return repo


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_an_added_and_a_removed_region(prod: Graph, evaluations: Evaluations) -> None:
    regions = stack_config("prod")["aigw-delivery:fleets"]["aigw"]["regions"]
    moved = [r for r in regions if r != "europe-west9"] + ["us-west1"]
    running = [r for r in regions if r != "europe-west9"]  # the new region does not run yet
    result = compare(
        prod,
        evaluations(
            "prod",
            [
                f"fleets.aigw.regions={json.dumps(moved)}",
                f"fleets.aigw.existingRegions={json.dumps(running)}",
            ],
        ),
    )
    added = sorted(r.name for r in result.added)
    removed = sorted(r.name for r in result.removed)
    assert added == [
        "aigw-us-west1-ai-gateway-developer",
        "aigw-us-west1-neg",
        "aigw-us-west1-service",
        "pull-security-us-west1",
    ]
    assert removed == [
        "aigw-europe-west9-ai-gateway-developer",
        "aigw-europe-west9-neg",
        "aigw-europe-west9-service",
        "pull-security-europe-west9",
    ]
    # What spans the regions changes in place: the backend's list of NEGs, the region lists
    # the deployment pipeline reads, the outputs.
    changed = {c.name: c for c in result.changed}
    assert any(p.path.startswith("backends[") for p in changed["aigw-backend"].changes)
    assert "ai-gateway-runway-regions" in changed
    assert result.replaced == ()
