"""The policy pack's entry point for the Pulumi CLI (`pulumi preview --policy-pack policy`).

The CLI runs this file from inside `policy/` (`python -m pulumi.policy <engine> .`), where the
policies are the top-level package `delivery`. Building the `PolicyPack` starts the analyzer's
gRPC server and blocks, so nothing else may import this file: tests and `stackctl check` import
`policy.delivery` instead.
"""

import delivery  # type: ignore[import-not-found]  # policy/ is sys.path[0] under the CLI
from pulumi_policy import PolicyPack

PolicyPack(**delivery.pack_arguments())
