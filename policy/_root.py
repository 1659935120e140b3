"""Puts the repository root on `sys.path`, so the pack can import `contract.py` under the CLI.

The Pulumi CLI runs a Python policy pack as `python -u -m pulumi.policy <engine> <pack dir>`
with the pack's directory as its working directory (pulumi/pulumi,
sdk/python/cmd/pulumi-language-python/main.go, `RunPlugin`), and `pulumi.policy` runs the
directory with `runpy.run_path` (sdk/python/lib/pulumi/policy/__main__.py). So `policy/` is on
`sys.path` and the repository root is not: `contract` would not import. `policy/__main__.py`
imports this module first. From the repository root (tests, `stackctl check`) the root is on
the path already and nothing here runs.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
"""The repository root: where `contract.py` is."""

if ROOT not in sys.path:
    sys.path.append(ROOT)
