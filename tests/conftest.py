"""Shared fixtures: the real stacks evaluated once per session, and scratch projects."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackctl.cli import main
from stackctl.engine import ROOT, Graph, evaluate


@pytest.fixture(scope="session", autouse=True)
def _no_real_dockerhub_credentials() -> Iterator[None]:
    """No test sees a developer's real Docker Hub credentials (the program and the provider
    read them from the environment), and the graphs are the same wherever the suite runs."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN", "DOCKERHUB_API_URL"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def prod() -> Graph:
    return evaluate("prod")


@pytest.fixture(scope="session")
def staging() -> Graph:
    return evaluate("staging")


@pytest.fixture(scope="session")
def reveal_staging() -> Graph:
    """Staging with secrets shown: for tests of what a secret is made of (offline fakes)."""
    return evaluate("staging", reveal_secrets=True)


@pytest.fixture(scope="session", params=["staging", "prod"])
def stack_graph(request: pytest.FixtureRequest) -> Graph:
    """Each real stack in turn (the same evaluation as the `staging` and `prod` fixtures)."""
    graph: Graph = request.getfixturevalue(request.param)
    return graph


ProjectFactory = Callable[..., Path]

MINIMAL_CONFIG: dict[str, object] = {
    "aigw-delivery:environment": "staging",
    "aigw-delivery:source": {},
    "aigw-delivery:gcp": {},
    "aigw-delivery:fleets": {},
    "aigw-delivery:runway": {},
    "pulumi:disable-default-providers": [],
}
"""Every key `Pulumi.yaml` requires, with empty values: enough for the CLI's own checks, for
tests whose program does not read settings. Their resources use default providers, which
the project disables for real stacks (tests/test_providers.py)."""


@pytest.fixture
def scratch_project(tmp_path: Path) -> ProjectFactory:
    """A copy of this project whose stack files (and optionally program) a test writes.

    `scratch_project(stacks={"x": {...}}, program="...")` returns the project's root; the
    stack values are the `config:` mapping of `Pulumi.<name>.yaml`, or raw text for a
    malformed file.
    """

    def make(stacks: dict[str, object] | None = None, program: str | None = None) -> Path:
        return make_scratch_project(tmp_path, stacks, program)

    return make


def make_scratch_project(
    base: Path, stacks: dict[str, object] | None = None, program: str | None = None
) -> Path:
    """The scratch project of `scratch_project`, under `base` (for module-scoped fixtures)."""
    root = base / "project"
    root.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", root)
    (root / "components").symlink_to(ROOT / "components")
    if program is None:
        shutil.copy(ROOT / "__main__.py", root)
    else:
        (root / "__main__.py").write_text(program)
    for name, content in (stacks or {}).items():
        text = content if isinstance(content, str) else yaml.safe_dump({"config": content})
        (root / f"Pulumi.{name}.yaml").write_text(text)
    return root


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` mapping of a real stack file, for tests that build variations of it."""
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    config: dict[str, Any] = raw["config"]
    return config


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`python -m stackctl ARGV` in this process: its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
