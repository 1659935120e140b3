"""Where a stack's last `pulumi up` came from: the contract between the program and promote.

Every stack exports `delivery: {revision, graphHash}`. At `pulumi up` in CI the program reads
the commit (`CI_COMMIT_SHA`) and the hash of that commit's offline graph (`AIGW_GRAPH_HASH`,
computed by the job with `stackctl graph STACK --format hash` just before) from its
environment; anywhere else both are `NOT_FROM_CI`. `stackctl promote` reads the export of
staging back with `pulumi stack output` and lets prod be applied only from the commit staging
was applied from, whose offline staging graph still hashes the same.

This module owns the names and the hash, so that the program (`components/settings/`),
the offline engine and promote cannot disagree about them. It imports nothing heavy: the
program imports it at every `pulumi up`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackctl.engine import Graph

OUTPUT = "delivery"
"""The stack output that carries the provenance: `{"revision": ..., "graphHash": ...}`."""
NOT_FROM_CI = "not applied from CI"
"""Both fields' value when the program did not run in a CI job that set them: offline, in a
preview on a workstation, or a `pulumi up` run by hand (which promote then refuses)."""
REVISION_ENV = "CI_COMMIT_SHA"
GRAPH_HASH_ENV = "AIGW_GRAPH_HASH"
ENVIRONMENT = (REVISION_ENV, GRAPH_HASH_ENV)


def graph_hash(graph: Graph) -> str:
    """sha256 of the graph's JSON document (DESIGN.md section 5) in canonical form (sorted
    keys, no whitespace), without the provenance output itself, which cannot contain its own
    hash. Secrets are `[secret]` in the document, so the hash reveals nothing about them."""
    document = graph.to_json()
    document["outputs"] = {k: v for k, v in document["outputs"].items() if k != OUTPUT}
    return canonical_hash(document)


def canonical_hash(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def hidden(environ: MutableMapping[str, str] | None = None) -> Iterator[None]:
    """The provenance variables removed from the environment for the duration: the offline
    graph is the same inside a CI job as on a workstation, so `stackctl graph`, `diff` and
    the hash CI computes do not depend on where they run."""
    env = os.environ if environ is None else environ
    saved = {name: env.pop(name) for name in ENVIRONMENT if name in env}
    try:
        yield
    finally:
        env.update(saved)
