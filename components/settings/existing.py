"""What already exists where the stack runs: per part of the delivery diagram, and the live
names of the resources the stack names itself.

A part that exists is adopted (each resource gets an `import` id derived from settings and
ids the stack knows, `components/adoption.py`); a part that does not is created. Prod's
parts all exist (the diagram is what runs there); staging creates everything.

`names` gives the live name of a resource whose name the stack would otherwise derive
(`components/adoption.py`, `live_name`): the load balancers' resources, whose `name`
forces replacement on every one of their types (terraform-provider-google,
`google/services/compute/resource_compute_*.go`, `ForceNew` on `name`), so the name the
stack passes and the name in the import id must both be the live one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, model_validator

from components.settings.base import Model, environment_of

GCE_NAME = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
"""Compute Engine resource names (RFC 1035: 1-63 characters, lowercase letters, digits and
'-', starting with a letter): the `name` field of every load balancer resource."""

PARTS = ("source", "runway", "identity", "pull", "fleets")


class ExistingSettings(Model):
    """Per part of the diagram, whether it exists already (and is therefore adopted)."""

    source: bool = False
    """The source projects, their protections, CI variables and push mirror."""
    runway: bool = False
    """The Runway deployment projects and their CI variables."""
    identity: bool = False
    """The Workload Identity pool and provider, and the deployer service accounts."""
    pull: bool = False
    """The pull secret and the remote repositories in Artifact Registry."""
    fleets: bool = False
    """The runtime accounts, the Cloud Run services and the load balancers."""
    names: dict[
        Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")],
        Annotated[str, Field(pattern=GCE_NAME)],
    ] = Field(default_factory=dict)
    """Logical resource name -> its live name, where the live name is not the stack's rule."""

    @model_validator(mode="after")
    def _prod_exists(self, info: ValidationInfo) -> ExistingSettings:
        missing = [p for p in PARTS if not getattr(self, p)]
        if missing and environment_of(info) == "prod":
            raise ValueError(
                "prod runs every part of the diagram, so it adopts them: set "
                + ", ".join(f"existing.{p}" for p in missing)
                + " to true"
            )
        return self

    @property
    def any(self) -> bool:
        return any(getattr(self, p) for p in PARTS)
