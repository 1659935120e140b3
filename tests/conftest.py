"""Shared fixtures: the real stacks evaluated once per session, and scratch projects."""

from __future__ import annotations

import functools
import gc
import importlib
import pkgutil
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import stackctl
from stackctl.cli import main
from stackctl.engine import ROOT, Graph, evaluate
from tests.ci_engine import Engine, load


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the test modules are imported, their objects (the SDKs' modules and classes,
    a few hundred thousand) live as long as the process: `gc.freeze()` moves them to the
    permanent generation, which "ignore[s] them in all the future collections"
    (https://docs.python.org/3/library/gc.html#gc.freeze). Every evaluation makes tens of
    thousands of objects, and each collection they set off would otherwise walk all of
    those too: a tenth of the suite's CPU (measured on test_check, test_engine,
    test_regions and test_settings_limits: 37.2 and 38.7 s user without, 33.9 and 34.7 s
    with)."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def _no_real_dockerhub_credentials() -> Iterator[None]:
    """No test sees a developer's real Docker Hub credentials (the program and the provider
    read them from the environment), and the graphs are the same wherever the suite runs."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN", "DOCKERHUB_API_URL"):
            patch.delenv(name, raising=False)
        yield


class Evaluations:
    """This checkout's stacks, each evaluated once per test process for each (stack,
    overrides, mode) a test asks for: an evaluation costs about a second, and most tests
    only read the graph.

    Only for tests that read what an evaluation gives: the evaluation is deterministic
    (tests/test_engine.py holds a second run in one process equal to the first) and depends
    on nothing but the checkout, the stack file and the overrides, because `evaluate` hides
    the environment the program could read (CI's provenance variables, gcloud's settings)
    and the session hides Docker Hub's (`_no_real_dockerhub_credentials`). A test that sets
    an environment variable or patches the program calls `evaluate` itself, and so do the
    tests of the engine's own runs. Another checkout (a revision `diff` reads, a scratch
    project) is evaluated every time, as are evaluations that fail."""

    def __init__(self) -> None:
        self._graphs: dict[tuple[str, tuple[str, ...], bool, bool], Graph] = {}

    def __call__(
        self,
        stack: str,
        overrides: Sequence[str] = (),
        *,
        root: Path = ROOT,
        unknowns: bool = False,
        reveal_secrets: bool = False,
    ) -> Graph:
        """As `stackctl.engine.evaluate`, whose signature it keeps, so that it can stand in
        for it (`shared_evaluations`)."""
        if Path(root).resolve() != ROOT:
            return evaluate(
                stack, overrides, root=root, unknowns=unknowns, reveal_secrets=reveal_secrets
            )
        key = (stack, tuple(overrides), unknowns, reveal_secrets)
        if key not in self._graphs:
            self._graphs[key] = evaluate(
                stack, overrides, unknowns=unknowns, reveal_secrets=reveal_secrets
            )
        return self._graphs[key]


EVALUATIONS = Evaluations()
"""The test process's one store (each xdist worker is a process of its own)."""


@pytest.fixture(scope="session")
def evaluations() -> Evaluations:
    """This checkout's stacks evaluated at most once per (stack, overrides, mode)."""
    return EVALUATIONS


@functools.cache
def _evaluating_modules() -> tuple[ModuleType, ...]:
    """Every module of `stackctl` that holds the engine's `evaluate` (the engine's own
    included, for the modules that import it when called), each imported now, so that a
    verb that imports its module late finds it in place too. `stackctl.__main__` is the
    command itself: importing it would run it."""
    modules = [
        importlib.import_module(f"stackctl.{info.name}")
        for info in pkgutil.iter_modules(stackctl.__path__)
        if info.name != "__main__"
    ]
    return tuple(m for m in modules if getattr(m, "evaluate", None) is evaluate)


@pytest.fixture
def shared_evaluations(monkeypatch: pytest.MonkeyPatch) -> Evaluations:
    """For this test, the CLI and the tools (`stackctl graph`, `check`, `diff`, `report`,
    the README's diagram) evaluate through `EVALUATIONS` too."""
    for module in _evaluating_modules():
        monkeypatch.setattr(module, "evaluate", EVALUATIONS)
    return EVALUATIONS


@pytest.fixture(scope="session")
def prod(evaluations: Evaluations) -> Graph:
    return evaluations("prod")


@pytest.fixture(scope="session")
def staging(evaluations: Evaluations) -> Graph:
    return evaluations("staging")


@pytest.fixture(scope="session")
def reveal_staging(evaluations: Evaluations) -> Graph:
    """Staging with secrets shown: for tests of what a secret is made of (offline fakes)."""
    return evaluations("staging", reveal_secrets=True)


@pytest.fixture(scope="session", params=["staging", "prod"])
def stack_graph(request: pytest.FixtureRequest) -> Graph:
    """Each real stack in turn (the same evaluation as the `staging` and `prod` fixtures)."""
    graph: Graph = request.getfixturevalue(request.param)
    return graph


@pytest.fixture(scope="session")
def ci_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """gitlab-ci-local over a copy of this checkout's `.gitlab-ci.yml`, for every test that
    only asks it about that file (tests/test_ci.py, tests/test_pipeline_engine.py)."""
    return Engine(tmp_path_factory.mktemp("gitlab-ci-local"), load())


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
