"""Typed settings: the only package that reads `pulumi.Config`.

Every config key of the project is validated here, all at once, before the program registers
a single resource: a bad value fails the run with one message that names each key (as a
`pulumi config set --path` path), the offending value and the rule it breaks.

One secret comes from elsewhere when the stack has none: the Docker Hub push token is secret
config (`dockerhubToken`) or, failing that, `DOCKERHUB_TOKEN` in the environment of `pulumi up`;
it is read here too, so that the rest of the program only ever sees a secret Output. So is
where a `pulumi up` comes from (`CI_COMMIT_SHA`, `AIGW_GRAPH_HASH`: `Settings.provenance`),
which the stack exports for `stackctl promote`.

Settings check the *form* of the config: types, formats, ranges and how values fit together
(a prod stack adopts its projects, a tag pattern follows the release naming). Whether the
resulting graph is *safe* (the security project private, the mirror limited to protected
branches) is the policy pack's job (`policy/`), so that the same invariant is checked once,
on the graph, whatever config produced it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

import pulumi
from pulumi.output import UNKNOWN
from pulumi.runtime import config as runtime_config
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

import contract as applied_from
from components import dockerhub_names
from components.settings.base import Model, Problem, problems_at
from components.settings.cloud import (
    CLOUD_RUN_REGIONS,
    SERVERS,
    DeploymentSettings,
    FleetId,
    FleetSettings,
    GcpSettings,
    ProbeSettings,
    RegistryName,
    RunwaySettings,
    is_digest,
)
from components.settings.dockerhub import DockerHubRepositorySettings, DockerHubSettings
from components.settings.source import (
    CleanupPolicy,
    GitLabSettings,
    MirrorSettings,
    PackageSettings,
    ProjectSettings,
    RegistrySettings,
    ReleaseSettings,
    SourceSettings,
)

__all__ = [
    "CLOUD_RUN_REGIONS",
    "PLACEHOLDER_DIGEST",
    "PROJECT",
    "SERVERS",
    "CleanupPolicy",
    "DeploymentSettings",
    "DockerHubRepositorySettings",
    "DockerHubSettings",
    "FleetSettings",
    "GcpSettings",
    "GitLabSettings",
    "MirrorSettings",
    "PackageSettings",
    "ProbeSettings",
    "ProjectSettings",
    "RegistryName",
    "RegistrySettings",
    "ReleaseSettings",
    "RunwaySettings",
    "Settings",
    "SettingsError",
    "SourceSettings",
    "dockerhub_push_token",
    "is_digest",
    "load_settings",
    "parse_settings",
]

PROJECT = "aigw-delivery"
ENVIRONMENTS = ("staging", "prod")
TOKEN_KEY = "dockerhubToken"  # noqa: S105 (the name of the config key, not a token)
"""The Docker Hub push token: secret config, else `DOCKERHUB_TOKEN` from the environment."""
TOKEN_ENV = dockerhub_names.ENV_TOKEN
SHOWN_SECRET = "[secret]"  # noqa: S105 (what a problem shows instead of a secret value)


class SettingsError(pulumi.RunError):
    """The stack's config is invalid. A `RunError`, so the CLI prints it without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid configuration for {PROJECT} ({count}):\n" + "\n".join(problems))


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

    _provenance: Provenance = PrivateAttr(default_factory=lambda: Provenance())

    @property
    def production(self) -> bool:
        return self.environment == "prod"

    @property
    def provenance(self) -> Provenance:
        """Where this run comes from (not config: CI's environment), set by `parse_settings`."""
        return self._provenance


@dataclass(frozen=True)
class Provenance:
    """The commit a `pulumi up` applies and the hash of that commit's offline graph, as CI
    hands them over; `NOT_FROM_CI` for both anywhere else (stackctl.provenance)."""

    revision: str = applied_from.NOT_FROM_CI
    graph_hash: str = applied_from.NOT_FROM_CI

    def export(self) -> dict[str, str]:
        return {"revision": self.revision, "graphHash": self.graph_hash}


# --- reading and reporting ----------------------------------------------------------------


def load_settings() -> Settings:
    """Read this project's config from the running Pulumi program and validate it."""
    config = pulumi.Config(PROJECT)
    prefix = f"{PROJECT}:"
    names = sorted(k[len(prefix) :] for k in _config_keys() if k.startswith(prefix))
    raw = {name: config.get(name) for name in names}
    secret = {name for name in names if runtime_config.is_config_secret(prefix + name)}
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

    `environ` supplies `DOCKERHUB_TOKEN` when `dockerhubToken` is not set, and where the run
    comes from (`CI_COMMIT_SHA`, `AIGW_GRAPH_HASH`); `dry_run` says whether the program runs
    as a preview, which may do without the token and the graph hash."""
    problems: list[str] = []
    provenance, provenance_problems = _provenance(environ or {}, dry_run)
    problems.extend(provenance_problems)
    values: dict[str, Any] = {}
    token, token_problems = _push_token(raw.get(TOKEN_KEY), TOKEN_KEY in secret, environ, dry_run)
    problems.extend(token_problems)
    if token is not None:
        values[TOKEN_KEY] = token
    for name, text in raw.items():
        if name == TOKEN_KEY:
            continue
        if text is None:
            continue
        field = Settings.model_fields.get(_snake(name))
        if field is not None and _is_structured(field.annotation):
            try:
                values[name] = json.loads(text)
            except ValueError as err:
                problems.append(
                    _line(
                        name,
                        "",
                        SHOWN_SECRET if name in secret else text,
                        f"must be a structured value (JSON/YAML object): {err}",
                    )
                )
                continue
        else:
            values[name] = text
    environment = values.get("environment")
    context = {"environment": environment if environment in ENVIRONMENTS else None}
    try:
        settings = Settings.model_validate(values, context=context)
    except ValidationError as err:
        problems.extend(line for e in err.errors() for line in _describe(e, {*secret, TOKEN_KEY}))
        settings = None
    if settings is not None and not dry_run:
        problems.extend(
            _line("fleets", f".{name}.image", fleet.image, PLACEHOLDER_RULE)
            for name, fleet in settings.fleets.items()
            if fleet.image == PLACEHOLDER_DIGEST
        )
    if problems or settings is None:
        raise SettingsError(problems)
    settings._provenance = provenance
    return settings


_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _provenance(environ: Mapping[str, str], dry_run: bool) -> tuple[Provenance, list[str]]:
    """Where this run comes from. Both variables are optional (a `pulumi up` by hand records
    `NOT_FROM_CI`), but a CI job that gives the commit must give the graph hash with it, or
    staging would record an apply that promote can never verify."""
    revision = environ.get(applied_from.REVISION_ENV) or None
    graph_hash = environ.get(applied_from.GRAPH_HASH_ENV) or None
    problems = []
    if revision is not None and not _COMMIT.match(revision):
        problems.append(
            f"  - {applied_from.REVISION_ENV} (environment) = {_short(revision)}: must be a full "
            "commit SHA (40 or 64 lowercase hex digits), as GitLab CI sets it"
        )
    if graph_hash is not None and not _SHA256.match(graph_hash):
        problems.append(
            f"  - {applied_from.GRAPH_HASH_ENV} (environment) = {_short(graph_hash)}: must be "
            "the 64 hex digits `python -m stackctl graph STACK --format hash` prints"
        )
    if not dry_run and (revision is None) != (graph_hash is None):
        given, missing = (
            (applied_from.REVISION_ENV, applied_from.GRAPH_HASH_ENV)
            if graph_hash is None
            else (applied_from.GRAPH_HASH_ENV, applied_from.REVISION_ENV)
        )
        problems.append(
            f"  - {missing} (environment): is not set but {given} is: `pulumi up` from CI "
            f"records both (export {applied_from.GRAPH_HASH_ENV}=$(python -m stackctl graph "
            "STACK --format hash) before it), or neither outside CI"
        )
    return (
        Provenance(
            revision=revision or applied_from.NOT_FROM_CI,
            graph_hash=graph_hash or applied_from.NOT_FROM_CI,
        ),
        problems,
    )


PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
"""The digest a stack file gives until the image a fleet runs is known: it previews (the
graph, a merge request's preview) but is never applied."""
PLACEHOLDER_RULE = (
    "is the placeholder digest: set the digest of the image the fleet runs today "
    "(gcloud run services describe) before `pulumi up`"
)


def _push_token(
    configured: str | None,
    is_secret: bool,
    environ: Mapping[str, str] | None,
    dry_run: bool,
) -> tuple[str | None, list[str]]:
    """The Docker Hub push token: secret config first, then the environment. Its value never
    appears in a problem, wherever it came from."""
    if configured:
        if not is_secret:
            return None, [
                _line(
                    TOKEN_KEY,
                    "",
                    None,
                    "is not a secret: a token in plain text (in a stack file, on a command line) "
                    f"is a leak; set it with `pulumi config set --secret {PROJECT}:{TOKEN_KEY}`",
                )
            ]
        problem = _maskable(configured)
        return configured, [_line(TOKEN_KEY, "", SHOWN_SECRET, problem)] if problem else []
    from_env = (environ or {}).get(TOKEN_ENV)
    if from_env:
        problem = _maskable(from_env)
        shown = f"  - {TOKEN_ENV} (environment) = {SHOWN_SECRET}: {problem}"
        return from_env, [shown] if problem else []
    if dry_run:
        return None, []  # a preview shows the variable with an unknown secret value
    return None, [
        _line(
            TOKEN_KEY,
            "",
            None,
            f"is not set and {TOKEN_ENV} is not in the environment: `pulumi up` needs the Docker "
            "Hub push token for the DOCKERHUB_PASSWORD CI variables; set it with "
            f"`pulumi config set --secret {PROJECT}:{TOKEN_KEY}` or export {TOKEN_ENV}",
        )
    ]


def _maskable(token: str) -> str | None:
    """GitLab masks (and so can hide) only values of 8 or more characters without whitespace."""
    if len(token) < 8 or any(c.isspace() for c in token):
        return (
            "must be at least 8 characters without whitespace, or GitLab cannot mask and hide "
            "the DOCKERHUB_PASSWORD variable"
        )
    return None


def dockerhub_push_token(settings: Settings) -> pulumi.Output[str]:
    """The push token as a secret Output for the CI variables. In a preview without one, an
    unknown secret: the preview (and `stackctl graph`) shows the variable, `pulumi up` refused
    in `parse_settings` already."""
    if settings.dockerhub_token is None:
        return pulumi.Output.secret(cast(str, UNKNOWN))
    return pulumi.Output.secret(settings.dockerhub_token.get_secret_value())


def _describe(error: Any, secret: Collection[str]) -> list[str]:
    kind = error["type"]
    if kind == "cross_reference":
        return [
            _line(str(loc[0]), _path(loc[1:]), SHOWN_SECRET if loc[0] in secret else value, rule)
            for loc, value, rule in error["ctx"]["problems"]
        ]
    loc = error["loc"]
    top = str(loc[0]) if loc else ""
    path = _path(loc[1:])
    if kind == "missing":
        return [_line(top, path, None, "is required but not set")]
    if kind == "extra_forbidden":
        known = ", ".join(_known_keys(loc[:-1]))
        return [_line(top, path, None, f"is not a known setting (known here: {known})")]
    value = SHOWN_SECRET if top in secret else error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ")
    return [_line(top, path, value, message)]


def _path(parts: tuple[Any, ...]) -> str:
    """`('deployments', 'ai-gateway', 'pull_from')` -> `.deployments.ai-gateway.pullFrom`; a
    mapping key that fails its rule is named by itself (pydantic adds a `[key]` part)."""
    shown = []
    for i, part in enumerate(parts):
        if part == "[key]":
            continue
        if isinstance(part, int):
            shown.append(f"[{part}]")
        elif i + 1 < len(parts) and parts[i + 1] == "[key]":
            shown.append(f".{part}")
        else:
            shown.append(f".{_alias(part)}")
    return "".join(shown)


def _alias(part: str) -> str:
    """Pydantic names a defaulted field by its Python name; the config key is camelCase."""
    return to_camel(part) if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", part) else part


def _line(top: str, path: str, value: Any, rule: str) -> str:
    shown = "" if value is None else f" = {_short(value)}"
    return f"  - {PROJECT}:{top}{path}{shown}: {rule}"


def _short(value: Any) -> str:
    text = value if value == SHOWN_SECRET else json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    annotation: Any = Settings
    key_next = False
    for part in loc:
        if isinstance(part, int) or key_next:
            key_next = False
            continue
        model = _model_in(annotation)
        field = None
        if model is not None:
            field = next(
                (f for n, f in model.model_fields.items() if f.alias == part or n == part), None
            )
        if field is None:
            return []
        annotation = field.annotation
        key_next = _is_mapping(annotation)
    model = _model_in(annotation)
    return sorted(f.alias or n for n, f in model.model_fields.items()) if model else []


def _is_mapping(annotation: Any) -> bool:
    """A `dict[...]` field (possibly optional): its next path part is a key, not a field."""
    if getattr(annotation, "__origin__", None) is dict:
        return True
    return any(_is_mapping(a) for a in getattr(annotation, "__args__", ()) if a is not type(None))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _is_structured(annotation: Any) -> bool:
    return _model_in(annotation) is not None or getattr(annotation, "__origin__", None) in (
        list,
        dict,
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
