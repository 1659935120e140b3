"""The merge request pipeline's offline jobs under gitlab-ci-local: how long until a reviewer
has the diff, the widget's counts and the policy result.

    .venv/bin/python bench/mr_pipeline.py [--jobs graph-diff policy-check lint test]

A scratch clone of this checkout's HEAD (its parent is the merge base) runs the jobs with
gitlab-ci-local's shell executor (`--force-shell-executor`: the jobs' image is not pulled;
the host has the same tools), as a merge request pipeline from an unprotected branch. The
cache is warm: the clone links the checkout's `.venv` and `node_modules`, so `make venv`
finds them up to date, as a runner's restored cache does. Each job's own duration is read
from gitlab-ci-local's output; the times at which `graph-diff/plan.json`,
`graph-diff/diff.md` are written (their modification times) are measured from the start.
A script, not a test: the numbers depend on the machine (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.node_tools import NODE_BIN, tool  # noqa: E402

MR_PIPELINE = {
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED": "false",
    "CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED": "true",
    "CI_MERGE_REQUEST_PROJECT_ID": "1",
    "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1",
}
# gitlab-ci-local's "finished in" times: "845 ms", "9.46 s", "2.22 min", "1 min 3.5 s".
DONE = re.compile(
    r"^(?P<job>[^\s].*?)\s+finished in (?P<time>[\d]+ min [\d.]+ s|[\d.]+ ?(?:ms|s|min))"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", nargs="+", default=["graph-diff", "policy-check", "lint", "test"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mr-bench-") as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        base = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "HEAD~1"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for linked in (".venv", "node_modules"):
            (clone / linked).symlink_to((ROOT / linked).resolve())
        # A restored cache is newer than the files its key is built from: make finds the
        # stamps up to date instead of rebuilding what the cache holds.
        for key in ("requirements.txt", "package.json", "package-lock.json"):
            os.utime(clone / key, (0, 0))
        variables = {**MR_PIPELINE, "CI_MERGE_REQUEST_DIFF_BASE_SHA": base}
        command = [str(NODE_BIN / "node"), str(tool("gitlab-ci-local/dist/index.js"))]
        command += ["--force-shell-executor", "--home", str(Path(tmp) / "home")]
        for name, value in variables.items():
            command += ["--variable", f"{name}={value}"]
        command += ["--unset-variable", "CI_COMMIT_BRANCH", *args.jobs]
        env = {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}"}
        start = time.time()
        done = subprocess.run(
            command, cwd=clone, env=env, capture_output=True, text=True, check=False
        )
        total = time.time() - start
        # The shell executor runs in the clone: the files appear there, and their times
        # say when a reviewer could have had them (gitlab-ci-local prints a job's log
        # only when it ends, so the log's order is not the order of events).
        written = {
            str(path.relative_to(clone)): path.stat().st_mtime - start
            for path in sorted(clone.glob("graph-diff/*"))
        }
        durations = []
        for line in done.stdout.splitlines():
            plain = re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip()
            if (match := DONE.search(plain)) is not None:
                durations.append((match["job"].strip(), match["time"]))
        code = done.returncode
    for job, took in durations:
        print(f"{job}: {took}")
    for what, at in written.items():
        print(f"{what} written at {at:.1f} s")
    print(f"pipeline wall time {total:.1f} s, exit {code}")
    if code:
        print(done.stdout[-3000:], file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
