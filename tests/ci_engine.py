"""gitlab-ci-local over a copy of `.gitlab-ci.yml`: what a CI engine makes of the file.

gitlab-ci-local (https://github.com/firecow/gitlab-ci-local, pinned in package-lock.json)
reads the file as GitLab does: `extends`, `default`, `!reference`, `parallel: matrix`, and
`rules:if` evaluated with GitLab's expression grammar. A pipeline is the predefined
variables GitLab sets for it, passed with `--variable` (or removed with `--unset-variable`:
a merge request or tag pipeline has no `CI_COMMIT_BRANCH`); `--list-json` answers with
every job and its `when` (`never`: not created), `--preview` with every job expanded.
Neither needs a network or a container engine. The engine runs on a copy of the file in a
scratch git repository, so the checkout is never touched.

The engine validates the expanded file against GitLab's CI schema on every run unless
`--json-schema-validation=false` (gitlab-ci-local `src/parser.ts`, `Parser.create`; the
default is `true`, `src/argv.ts`; both as `dist/index.js` of the pinned release bundles
them), which is half of a listing's time: only `--preview`
validates here, once per file, and tests/test_ci.py checks the file against GitLab's schema
as check-jsonschema vendors it.

`workflow:rules` are evaluated by the engine only for their variables, never to drop the
pipeline (gitlab-ci-local `src/parser.ts`). So the copy carries one more job,
`workflow:rules`, whose rules are the workflow's: the engine's answer for it is whether
GitLab creates the pipeline at all.
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from stackctl.engine import ROOT
from tests.node_tools import run, tool

CI_FILE = ROOT / ".gitlab-ci.yml"
PROBE = "workflow:rules"
PUSH_MAIN = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
"""A push to the default branch (the engine's scratch repository's default is `main`)."""


def load(path: Path = CI_FILE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


class Engine:
    """gitlab-ci-local over a scratch repository holding a copy of the CI file."""

    def __init__(self, root: Path, ci: dict[str, Any]) -> None:
        self.repo = root / "repo"
        self.home = root / "home"
        self.repo.mkdir()
        self.home.mkdir()
        probe = {"stage": ci["stages"][0], "rules": ci["workflow"]["rules"], "script": ["true"]}
        (self.repo / ".gitlab-ci.yml").write_text(yaml.safe_dump({**ci, PROBE: probe}))
        git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
        for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "ci"]):
            subprocess.run([*git, *command], cwd=self.repo, check=True, capture_output=True)
        self.entry = tool("gitlab-ci-local/dist/index.js")

    def __call__(self, *args: str, validate: bool = False) -> str:
        """The engine's answer to `args`; `validate`: check the file against the schema too."""
        if not validate:
            args = (*args, "--json-schema-validation=false")
        done = run(self.entry, [*args, "--home", str(self.home)], self.repo, self.home)
        assert done.returncode == 0, f"gitlab-ci-local {' '.join(args)}:\n{done.stderr}"
        return done.stdout

    def listing(self, variables: dict[str, str], unset: list[str]) -> list[dict[str, Any]]:
        """`--list-json` for a pipeline with these predefined variables: every job, its
        `when` (`never`: not created), `allow_failure`, `needs`."""
        args = ["--list-json"]
        for name, value in variables.items():
            args += ["--variable", f"{name}={value}"]
        for name in unset:
            args += ["--unset-variable", name]
        args += ["--ignore-predefined-vars", ",".join(variables)]
        listed: list[dict[str, Any]] = json.loads(self(*args))
        return listed

    def jobs(self, variables: dict[str, str], unset: list[str]) -> dict[str, str] | None:
        """The jobs the pipeline creates and their `when`; None: no pipeline."""
        listed = {job["name"]: job["when"] for job in self.listing(variables, unset)}
        if listed.pop(PROBE) == "never":
            return None
        return {name: when for name, when in listed.items() if when != "never"}

    @functools.cache  # noqa: B019 (an engine lives as long as the session that made it)
    def resolved(self) -> dict[str, Any]:
        """Every job as the engine expands it (`extends`, `!reference`, inherited defaults),
        the expanded file valid against the engine's copy of GitLab's schema. Asked once
        per engine: the file does not change under it, and tests only read the answer."""
        resolved: dict[str, Any] = yaml.safe_load(self("--preview", validate=True))
        return resolved
