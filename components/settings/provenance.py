"""Where a `pulumi up` comes from: the commit CI applies and the hash of that commit's offline
graph, read from CI's environment (`CI_COMMIT_SHA`, `AIGW_GRAPH_HASH`; contract.py owns the
names and the shape of the `delivery` output `stackctl promote` reads back)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from components.settings.errors import environment_line
from contract import GRAPH_HASH_ENV, NOT_FROM_CI, REVISION_ENV, ProvenanceRecord, provenance_record


@dataclass(frozen=True)
class Provenance:
    """The commit a `pulumi up` applies and the hash of that commit's offline graph, as CI
    hands them over; `NOT_FROM_CI` for both anywhere else."""

    revision: str = NOT_FROM_CI
    graph_hash: str = NOT_FROM_CI

    def export(self) -> ProvenanceRecord:
        return provenance_record(self.revision, self.graph_hash)


_COMMIT = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
"""A full commit SHA: SHA-1 (40 hex digits) or SHA-256 (64) repositories."""
_SHA256 = re.compile(r"[0-9a-f]{64}")


def read_provenance(environ: Mapping[str, str], dry_run: bool) -> tuple[Provenance, list[str]]:
    """Where this run comes from. Both variables are optional (a `pulumi up` by hand records
    `NOT_FROM_CI`), but a CI job that gives the commit must give the graph hash with it, or
    staging would record an apply that promote can never verify. A malformed value is
    shown only if it cannot be a credential (errors.shown)."""
    revision = environ.get(REVISION_ENV) or None
    graph_hash = environ.get(GRAPH_HASH_ENV) or None
    problems = []
    if revision is not None and not _COMMIT.fullmatch(revision):
        problems.append(
            environment_line(
                REVISION_ENV,
                revision,
                "must be a full commit SHA (40 or 64 lowercase hex digits), as GitLab CI sets it",
            )
        )
    if graph_hash is not None and not _SHA256.fullmatch(graph_hash):
        problems.append(
            environment_line(
                GRAPH_HASH_ENV,
                graph_hash,
                "must be the 64 hex digits `python -m stackctl graph STACK --format hash` prints",
            )
        )
    if not dry_run and (revision is None) != (graph_hash is None):
        given, missing = (
            (REVISION_ENV, GRAPH_HASH_ENV) if graph_hash is None else (GRAPH_HASH_ENV, REVISION_ENV)
        )
        problems.append(
            environment_line(
                missing,
                None,
                f"is not set but {given} is: `pulumi up` from CI records both (export "
                f"{GRAPH_HASH_ENV}=$(python -m stackctl graph STACK --format hash) before it), "
                "or neither outside CI",
            )
        )
    return (
        Provenance(revision=revision or NOT_FROM_CI, graph_hash=graph_hash or NOT_FROM_CI),
        problems,
    )
