"""The Runway deployment projects: which fleet each deploys, from which registry, and the
lifetime of the registry pull tokens."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from components.settings.base import Model, Problem, environment_of, problems_at
from components.settings.keys import DeploymentId, FleetId
from components.settings.regions import Regions
from components.settings.source import ProjectSettings, RegistryName


class DeploymentSettings(Model):
    """One Runway deployment project: which fleet it deploys, from which registry."""

    project: ProjectSettings
    fleet: FleetId
    pull_from: RegistryName = Field(default="security", validate_default=True)
    regions: Regions | None = None
    """The fleet regions this deployment rolls out to; all of its fleet's when not set."""

    # No rule on the project's path for Workload Identity: the subject Google limits to 127
    # bytes is mapped from the project and job ids, not from the path or ref
    # (components/identity.py, SUBJECT_MAPPING), so no path or ref settings allow exceeds it.

    @field_validator("pull_from")
    @classmethod
    def _prod_pulls_security(cls, value: str, info: ValidationInfo) -> str:
        if value != "security" and environment_of(info) == "prod":
            raise ValueError(
                "prod deployments pull from the security registry; the canonical one is for "
                "non-production deployments (diagram note 8)"
            )
        return value


class PullTokenSettings(Model):
    """The read_registry deploy tokens Artifact Registry pulls with: they expire, and are
    replaced by `pulumi up` every `rotationDays` (each is valid for two periods)."""

    rotation_days: Annotated[int, Field(ge=7, le=180)] = 30


class RunwaySettings(Model):
    """The Runway deployment projects, keyed by a stable deployment id."""

    deployments: Annotated[dict[DeploymentId, DeploymentSettings], Field(min_length=1)]
    pull_token: PullTokenSettings = PullTokenSettings()

    @field_validator("deployments")
    @classmethod
    def _distinct_projects(
        cls, value: dict[str, DeploymentSettings]
    ) -> dict[str, DeploymentSettings]:
        found: list[Problem] = []
        seen: dict[str, str] = {}
        for name, deployment in value.items():
            path = deployment.project.path
            if path in seen:
                found.append(
                    (
                        ("runway", "deployments", name, "project", "path"),
                        path,
                        f"is also deployment {seen[path]!r}'s project: each deployment needs "
                        "its own project (its own trigger, identity and variables)",
                    )
                )
            seen.setdefault(path, name)
        if found:
            raise problems_at(found)
        return value

    def of_fleet(self, fleet: str) -> dict[str, DeploymentSettings]:
        """The deployments that deploy `fleet`, by id."""
        return {n: d for n, d in self.deployments.items() if d.fleet == fleet}
