"""Typed settings: the only package that reads `pulumi.Config`.

Every config key of the project is validated here, all at once, before the program registers
a single resource: a bad value fails the run with one message that names each key (as a
`pulumi config set --path` path), the offending value where it is safe to show
(`errors.py`) and the rule it breaks.

Settings check the *form* of the config: types, formats, ranges, the limits of the APIs the
values are sent to, and how values fit together (a prod stack adopts its projects, a tag
pattern follows the release naming). Whether the resulting graph is *safe* (the security
project private, the mirror limited to protected branches) is the policy pack's job
(`policy/`), so that the same invariant is checked once, on the graph, whatever config
produced it.

One module per section of the config (`source.py`, `dockerhub.py`, `gcp.py`, `fleets.py`
with `probes.py`, `servers.py` and `regions.py`, `runway.py`), the rules they share (`base.py`
for models, `text.py` for free text, URLs and hosts, `keys.py` for the ids that name
resources), and beside them what is not config: the push token (`push_token.py`), where a
run comes from (`provenance.py`), which keys may be secret (`secrets.py`) and how problems
are reported (`errors.py`). This module holds the root model, whose rules compare sections,
and the reading.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import Field, PrivateAttr, SecretStr, ValidationError, ValidationInfo, field_validator

from components.settings.adoption import AdoptionSettings
from components.settings.base import PROJECT, Model, Problem, problems_at
from components.settings.dockerhub import DockerHubRepositorySettings, DockerHubSettings
from components.settings.errors import SettingsError, describe, line, model_in
from components.settings.existing import ExistingSettings
from components.settings.fleets import PLACEHOLDER_DIGEST, FleetSettings, is_digest
from components.settings.gcp import GcpSettings, WorkloadIdentitySettings
from components.settings.keys import FleetId
from components.settings.probes import ProbeSettings
from components.settings.provenance import Provenance, read_provenance
from components.settings.push_token import TOKEN_KEY, push_token_output, read_push_token
from components.settings.regions import CLOUD_RUN_REGIONS
from components.settings.runway import DeploymentSettings, PullTokenSettings, RunwaySettings
from components.settings.secrets import pasted_credentials, refused_secrets
from components.settings.servers import SERVERS, Server
from components.settings.source import (
    CleanupPolicy,
    GitLabSettings,
    MirrorSettings,
    PackageSettings,
    ProjectSettings,
    RegistryName,
    RegistrySettings,
    ReleaseSettings,
    SourceSettings,
)

__all__ = [
    "CLOUD_RUN_REGIONS",
    "PLACEHOLDER_DIGEST",
    "PROJECT",
    "SERVERS",
    "AdoptionSettings",
    "CleanupPolicy",
    "DeploymentSettings",
    "DockerHubRepositorySettings",
    "DockerHubSettings",
    "ExistingSettings",
    "FleetSettings",
    "GcpSettings",
    "GitLabSettings",
    "MirrorSettings",
    "PackageSettings",
    "ProbeSettings",
    "ProjectSettings",
    "Provenance",
    "PullTokenSettings",
    "RegistryName",
    "RegistrySettings",
    "ReleaseSettings",
    "RunwaySettings",
    "Server",
    "Settings",
    "SettingsError",
    "SourceSettings",
    "WorkloadIdentitySettings",
    "dockerhub_push_token",
    "is_digest",
    "load_settings",
    "parse_settings",
]

ENVIRONMENTS = ("staging", "prod")


class Settings(Model):
    """All of the stack's config, validated."""

    environment: Literal["staging", "prod"]
    gitlab: GitLabSettings = GitLabSettings()
    source: SourceSettings
    release: ReleaseSettings = ReleaseSettings()
    mirror: MirrorSettings = MirrorSettings()
    dockerhub: DockerHubSettings
    dockerhub_token: SecretStr | None = None
    """The push token (`dockerhubToken` or `DOCKERHUB_TOKEN`), resolved by `parse_settings`;
    None only in a preview that has neither. Hand it on with `dockerhub_push_token`."""
    gcp: GcpSettings
    fleets: Annotated[dict[FleetId, FleetSettings], Field(min_length=1)]
    runway: RunwaySettings
    existing: ExistingSettings = Field(default_factory=dict, validate_default=True)
    """What exists already and is adopted (`existing.py`)."""
    adoption: AdoptionSettings = AdoptionSettings()
    """Read by the apply gate only (stackctl/gate.py), validated with the rest."""

    @field_validator("gcp")
    @classmethod
    def _issuer_is_gitlab(cls, value: GcpSettings, info: ValidationInfo) -> GcpSettings:
        gitlab = info.data.get("gitlab")
        issuer = value.workload_identity.issuer
        if gitlab is not None and issuer != gitlab.url:
            raise problems_at(
                [
                    (
                        ("gcp", "workloadIdentity", "issuer"),
                        issuer,
                        f"must be the GitLab instance that issues the CI ID tokens ({gitlab.url})",
                    )
                ]
            )
        return value

    @field_validator("runway")
    @classmethod
    def _deployments_fit_fleets(cls, value: RunwaySettings, info: ValidationInfo) -> RunwaySettings:
        fleets: dict[str, FleetSettings] | None = info.data.get("fleets")
        source: SourceSettings | None = info.data.get("source")
        found: list[Problem] = []
        for name, deployment in value.deployments.items():
            at = ("runway", "deployments", name)
            if source is not None and deployment.project.path in (
                source.canonical.path,
                source.security.path,
            ):
                found.append(
                    (
                        (*at, "project", "path"),
                        deployment.project.path,
                        "is a source project: a deployment project is a project of its own",
                    )
                )
            if fleets is None:
                continue
            fleet = fleets.get(deployment.fleet)
            if fleet is None:
                known = ", ".join(sorted(fleets))
                found.append(
                    ((*at, "fleet"), deployment.fleet, f"is not a fleet (fleets: {known})")
                )
                continue
            for i, region in enumerate(deployment.regions or ()):
                if region not in fleet.regions:
                    found.append(
                        (
                            (*at, "regions", i),
                            region,
                            f"is not a region of fleet {deployment.fleet!r} "
                            f"({', '.join(fleet.regions)}): there is no service to deploy",
                        )
                    )
        for name, fleet in (fleets or {}).items():
            deployments = value.of_fleet(name)
            covered = {r for d in deployments.values() for r in (d.regions or fleet.regions)}
            for i, region in enumerate(fleet.regions):
                if region not in covered:
                    by = ", ".join(sorted(deployments)) or "none"
                    found.append(
                        (
                            ("fleets", name, "regions", i),
                            region,
                            f"no deployment deploys fleet {name!r} to this region (its "
                            f"deployments: {by}): nothing would roll out its image",
                        )
                    )
        if found:
            raise problems_at(found)
        return value

    _provenance: Provenance = PrivateAttr(default_factory=Provenance)

    @property
    def production(self) -> bool:
        return self.environment == "prod"

    @property
    def provenance(self) -> Provenance:
        """Where this run comes from (not config: CI's environment), set by `parse_settings`."""
        return self._provenance


def dockerhub_push_token(settings: Settings) -> pulumi.Output[str]:
    """The push token as a secret Output for the CI variables (an unknown secret in a
    preview that has none)."""
    token = settings.dockerhub_token
    return push_token_output(None if token is None else token.get_secret_value())


# --- reading ----------------------------------------------------------------------------------


def load_settings() -> Settings:
    """Read this project's config from the running Pulumi program and validate it.

    A key the CLI marks secret is never read with the plain getter: the token through the
    runtime's `get_config` (what `Config.get_secret` wraps in `Output.secret`; the token is
    wrapped the same way in `dockerhub_push_token`), the others not at all (`secrets.py`)."""
    config = pulumi.Config(PROJECT)
    prefix = f"{PROJECT}:"
    names = sorted(k[len(prefix) :] for k in _config_keys() if k.startswith(prefix))
    secret = {name for name in names if runtime_config.is_config_secret(prefix + name)}
    raw: dict[str, str | None] = {}
    for name in names:
        if name not in secret:
            raw[name] = config.get(name)
        elif name == TOKEN_KEY:
            raw[name] = runtime_config.get_config(config.full_key(name))
    return parse_settings(raw, secret, environ=os.environ, dry_run=pulumi.runtime.is_dry_run())


def _config_keys() -> set[str]:
    """Every config key the program was given. The SDK has no public listing: the CLI passes
    config in `PULUMI_CONFIG`, tests and the offline engine through `set_all_config`."""
    return set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())


def parse_settings(
    raw: Mapping[str, str | None],
    secret: Collection[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    dry_run: bool = True,
) -> Settings:
    """Validate config strings (objects as JSON, as the SDK hands them over) into `Settings`.

    `secret` names the keys the CLI marks secret; `environ` supplies `DOCKERHUB_TOKEN` when
    `dockerhubToken` is not set, and where the run comes from (`CI_COMMIT_SHA`,
    `AIGW_GRAPH_HASH`); `dry_run` says whether the program runs as a preview, which may do
    without the token and the graph hash."""
    provenance, problems = read_provenance(environ or {}, dry_run)
    refused, refusals = refused_secrets(secret)
    problems.extend(refusals)
    values: dict[str, Any] = {}
    token, token_problems = read_push_token(
        raw.get(TOKEN_KEY), TOKEN_KEY in secret, environ, dry_run
    )
    problems.extend(token_problems)
    if token is not None:
        values[TOKEN_KEY] = token
    for name, text in raw.items():
        if name == TOKEN_KEY or name in refused or text is None:
            continue
        field = Settings.model_fields.get(_snake(name))
        if field is not None and _is_structured(field.annotation):
            try:
                values[name] = json.loads(text)
            except ValueError as err:
                problems.append(
                    line(name, "", text, f"must be a structured value (JSON/YAML object): {err}")
                )
                continue
        else:
            values[name] = text
    environment = values.get("environment")
    context = {"environment": environment if environment in ENVIRONMENTS else None}
    settings = None
    try:
        settings = Settings.model_validate(values, context=context)
    except ValidationError as err:
        problems.extend(
            problem
            for e in err.errors()
            if not (e["loc"] and e["loc"][0] in refused)  # refused: reported once, above
            for problem in describe(e, {*secret, TOKEN_KEY}, Settings)
        )
    if settings is not None:
        problems.extend(pasted_credentials(values))
    if problems or settings is None:
        raise SettingsError(problems)
    settings._provenance = provenance
    return settings


def _is_structured(annotation: Any) -> bool:
    return model_in(annotation) is not None or getattr(annotation, "__origin__", None) in (
        list,
        dict,
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
