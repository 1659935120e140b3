"""The policy pack's entry point for the Pulumi CLI (`pulumi preview --policy-pack policy`).

The CLI runs this file from inside `policy/` (`python -m pulumi.policy <engine> .`), where the
policies are the top-level package `delivery` and the repository root is not on `sys.path`:
`_root` puts it there first, so `delivery` can import `contract.py`. Building the `PolicyPack`
starts the analyzer's gRPC server and blocks, so nothing else may import this file: tests and
`stackctl check` import `policy.delivery` instead.
"""

import _root  # type: ignore[import-not-found]  # noqa: F401  # first: contract.py importable
import delivery  # type: ignore[import-not-found]  # policy/ is sys.path[0] under the CLI
from pulumi_policy import PolicyPack

PolicyPack(**delivery.pack_arguments())
