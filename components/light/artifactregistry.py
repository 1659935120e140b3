"""`pulumi_gcp.artifactregistry`'s classes the program uses, light at run time
(components/light/__init__.py). Read from pulumi-gcp 10.2 (`pulumi_gcp/artifactregistry/`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.light import stand_ins
from components.light.gcp import LABELLED_SECRETS, GcpResource
from contract import Gcp

SDK = "pulumi_gcp.artifactregistry"
"""The SDK module these stand in for."""


class _Repository(GcpResource):
    TYPE = Gcp.REPOSITORY
    OUTPUTS = ("location", "name", "repository_id")
    SECRET_OUTPUTS = LABELLED_SECRETS


LIGHT = stand_ins(_Repository)
"""The stand-in of each SDK name this module replaces (tests/test_light.py swaps them)."""

if TYPE_CHECKING:
    # Re-exported as the SDK's own for mypy (`X as X`).
    from pulumi_gcp.artifactregistry import Repository as Repository
    from pulumi_gcp.artifactregistry import (
        RepositoryRemoteRepositoryConfigArgsDict as RepositoryRemoteRepositoryConfigArgsDict,
    )
else:
    globals().update(LIGHT)
