"""The tools' half of the provenance output: the graph hash, and hiding CI's variables.

Every stack exports `delivery: {revision, graphHash}` (`contract.PROVENANCE_OUTPUT`, shaped as
`contract.ProvenanceRecord`). At `pulumi up` in CI the program reads the commit
(`CI_COMMIT_SHA`) and the hash of that commit's offline graph (`AIGW_GRAPH_HASH`, computed by
the job with `stackctl graph STACK --format hash` just before) from its environment; anywhere
else both are `NOT_FROM_CI`. `stackctl promote` reads the export of staging back with
`pulumi stack output` and lets prod be applied only from the commit staging was applied
from, whose offline staging graph still hashes the same.

The names and the shape live in `contract.py`, which the program imports; this module holds
only what the tools compute with them, and re-exports the names for the tools.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from contract import GRAPH_HASH_ENV, NOT_FROM_CI, PROVENANCE_ENV, PROVENANCE_OUTPUT, REVISION_ENV

__all__ = ["GRAPH_HASH_ENV", "NOT_FROM_CI", "OUTPUT", "REVISION_ENV", "graph_hash", "hidden"]

if TYPE_CHECKING:
    from stackctl.engine import Graph

OUTPUT = PROVENANCE_OUTPUT


def graph_hash(graph: Graph) -> str:
    """sha256 of the graph's JSON document in canonical form (sorted
    keys, no whitespace), without the provenance output itself, which cannot contain its own
    hash. Secrets are `[secret]` in the document, so the hash reveals nothing about them."""
    document = graph.to_json()
    document["outputs"] = {k: v for k, v in document["outputs"].items() if k != OUTPUT}
    return canonical_hash(document)


def canonical_hash(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def hidden(
    environ: MutableMapping[str, str] | None = None, names: Collection[str] = PROVENANCE_ENV
) -> Iterator[None]:
    """The provenance variables (or `names`) removed from the environment for the duration:
    the offline graph is the same inside a CI job as on a workstation, so `stackctl graph`,
    `diff` and the hash CI computes do not depend on where they run."""
    env = os.environ if environ is None else environ
    saved = {name: env.pop(name) for name in names if name in env}
    try:
        yield
    finally:
        env.update(saved)
