"""Typed settings: the only module that reads `pulumi.Config`.

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

import difflib
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
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components import dockerhub_names
from stackctl import provenance as applied_from

PROJECT = "aigw-delivery"
ENVIRONMENTS = ("staging", "prod")
TOKEN_KEY = "dockerhubToken"  # noqa: S105 (the name of the config key, not a token)
"""The Docker Hub push token: secret config, else `DOCKERHUB_TOKEN` from the environment."""
TOKEN_ENV = dockerhub_names.ENV_TOKEN


class SettingsError(pulumi.RunError):
    """The stack's config is invalid. A `RunError`, so the CLI prints it without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid configuration for {PROJECT} ({count}):\n" + "\n".join(problems))


# --- value rules ---------------------------------------------------------------------------

_GITLAB_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _gitlab_path(value: str) -> str:
    segments = value.split("/")
    if len(segments) < 2 or not all(_GITLAB_SEGMENT.match(s) for s in segments):
        raise ValueError(
            "must be a GitLab project path 'group[/subgroup...]/project' of letters, digits, "
            "'_', '-' and '.', each part not starting with '-' or '.'"
        )
    if any(s.endswith((".git", ".atom")) or ".." in s for s in segments):
        raise ValueError("a GitLab path part must not end in '.git' or '.atom' or contain '..'")
    return value


def _tag_pattern(value: str) -> str:
    # GitLab wildcards: '*' matches anything. The pattern must describe release tags
    # self-hosted-vX.Y.Z-ee and nothing wider.
    if not re.fullmatch(r"self-hosted-v(\d+|\*)(\.(\d+|\*)){0,2}-ee", value):
        raise ValueError(
            "must be a release tag pattern of the form self-hosted-vX.Y.Z-ee, "
            "where parts may be '*' (for example 'self-hosted-v*-ee')"
        )
    return value


def _branch_pattern(value: str) -> str:
    if not re.fullmatch(r"stable-(\d+|\*)(-(\d+|\*))?-ee", value):
        raise ValueError(
            "must be a stable branch pattern of the form stable-X-Y-ee, "
            "where parts may be '*' (for example 'stable-*-ee')"
        )
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"must be a valid regular expression ({err})") from err
    return value


def _container_repository(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*", value):
        raise ValueError(
            "must be a container repository name: lowercase letters, digits, '.', '_', '-'"
        )
    return value


def _npm_package(value: str) -> str:
    if not re.fullmatch(r"@[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*", value):
        raise ValueError("must be a scoped npm package name '@scope/name' in lowercase")
    return value


def _https_url(value: str) -> str:
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?", value):
        raise ValueError(
            "must be an https:// URL with a host and no path, for example https://gitlab.com"
        )
    return value


def _hostname(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?", value):
        raise ValueError("must be a host name, for example registry.gitlab.com")
    return value


def _dockerhub_namespace(value: str) -> str:
    problem = dockerhub_names.namespace_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _dockerhub_repository(value: str) -> str:
    problem = dockerhub_names.repository_problem(value)
    if problem:
        raise ValueError(problem)
    return value


GitLabPath = Annotated[str, AfterValidator(_gitlab_path)]
TagPattern = Annotated[str, AfterValidator(_tag_pattern)]
BranchPattern = Annotated[str, AfterValidator(_branch_pattern)]
Regex = Annotated[str, AfterValidator(_regex)]
ProtectionLevel = Literal["maintainer", "owner", "admin"]


class _Model(BaseModel):
    """Strict, camelCase, closed: a typo in a key or a string where a number belongs fails."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )


def _environment(info: ValidationInfo) -> str | None:
    return (info.context or {}).get("environment")


# --- the parts of the diagram -------------------------------------------------------------


class GitLabSettings(_Model):
    """The GitLab instance: where mirrors push and registries live."""

    url: Annotated[str, AfterValidator(_https_url)] = "https://gitlab.com"
    registry_host: Annotated[str, AfterValidator(_hostname)] = "registry.gitlab.com"


class ProjectSettings(_Model):
    """One GitLab project: adopted by import where `importId` is set (and, in prod, by the id
    of the project at `path` otherwise: `components/projects.py`), created elsewhere."""

    path: GitLabPath
    name: str | None = None
    description: str | None = None
    visibility: Literal["private", "internal", "public"]
    import_id: Annotated[int, Field(gt=0)] | None = None

    @property
    def namespace(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[1]


class CleanupPolicy(_Model):
    """The container registry cleanup policy; the values GitLab's API accepts."""

    enabled: bool = True
    cadence: Literal["1d", "7d", "14d", "1month", "3month"] = "1d"
    keep_n: Literal[1, 5, 10, 25, 50, 100] = 10
    older_than: Literal["7d", "14d", "30d", "60d", "90d"] = "30d"
    name_regex_delete: Regex = ".*"
    name_regex_keep: Regex = ""


class RegistrySettings(_Model):
    """The container registry both projects build `model-gateway` into."""

    repository: Annotated[str, AfterValidator(_container_repository)] = "model-gateway"
    push_access_level: ProtectionLevel = "maintainer"
    delete_access_level: ProtectionLevel = "maintainer"
    cleanup: CleanupPolicy = CleanupPolicy()


class PackageSettings(_Model):
    """The npm package published to the canonical project's registry and who installs it."""

    name: Annotated[str, AfterValidator(_npm_package)] = "@gitlab-org/duo-workflow-service"
    type: Literal["npm"] = "npm"
    push_access_level: ProtectionLevel = "maintainer"
    delete_access_level: ProtectionLevel = "maintainer"
    registry_access_level: Literal["enabled", "public"] = "public"
    consumer: GitLabPath = "gitlab-org/editor-extensions/gitlab-lsp"


class SourceSettings(_Model):
    """The canonical project and its security mirror, and what hangs on them."""

    canonical: ProjectSettings
    security: ProjectSettings
    default_branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]+$")] = "main"
    registry: RegistrySettings = RegistrySettings()
    package: PackageSettings = PackageSettings()

    @field_validator("canonical", "security")
    @classmethod
    def _prod_pins_ids(cls, value: ProjectSettings, info: ValidationInfo) -> ProjectSettings:
        """Their ids are known and stable where a path can move: prod adopts them by id."""
        if value.import_id is None and _environment(info) == "prod":
            at = ("source", str(info.field_name), "importId")
            rule = "prod adopts existing projects: set the numeric GitLab project id to import"
            raise _problems([(at, None, rule)])
        return value

    @field_validator("security")
    @classmethod
    def _distinct(cls, value: ProjectSettings, info: ValidationInfo) -> ProjectSettings:
        canonical = info.data.get("canonical")
        if canonical is not None and canonical.path == value.path:
            raise ValueError(
                "the security project must be a different project from the canonical one"
            )
        if canonical is not None and value.import_id and canonical.import_id == value.import_id:
            raise ValueError("the security project's importId is the canonical project's")
        return value


class ReleaseSettings(_Model):
    """The release naming: protected tags push to Docker Hub, stable branches carry fixes."""

    tag_pattern: TagPattern = "self-hosted-v*-ee"
    stable_branch_pattern: BranchPattern = "stable-*-ee"


class MirrorSettings(_Model):
    """The push mirror from canonical to security and its rotating token."""

    token_expiration_days: Annotated[int, Field(ge=7, le=365)] = 90
    rotate_before_days: Annotated[int, Field(ge=1, le=90)] = 14
    only_protected_branches: bool = True
    keep_divergent_refs: bool = False

    @field_validator("rotate_before_days")
    @classmethod
    def _before_expiry(cls, value: int, info: ValidationInfo) -> int:
        expiry = info.data.get("token_expiration_days")
        if expiry is not None and value >= expiry:
            raise ValueError(f"must be less than tokenExpirationDays ({expiry})")
        return value


class DockerHubRepositorySettings(_Model):
    """One Docker Hub repository. A description left unset is not managed: adopting a live
    repository then keeps the description it has."""

    name: Annotated[str, AfterValidator(_dockerhub_repository)] | None = None
    short_description: (
        Annotated[str, Field(max_length=dockerhub_names.SHORT_DESCRIPTION_MAX)] | None
    ) = None
    full_description: (
        Annotated[str, Field(max_length=dockerhub_names.FULL_DESCRIPTION_MAX)] | None
    ) = None
    visibility: Literal["public", "private"] = "public"


class DockerHubSettings(_Model):
    """The Docker Hub end of the release edge: where protected release tags push, and as whom.

    Repositories are keyed by a stable name (the key names the resource; `name` defaults to
    it), so renaming a repository on Docker Hub is a change of `name`, not a new resource."""

    namespace: Annotated[str, AfterValidator(_dockerhub_namespace)]
    username: Annotated[str, AfterValidator(_dockerhub_namespace)]
    """The account the release jobs log in as (`DOCKERHUB_USERNAME`): a Docker ID with a
    personal access token, or the organization itself with an organization access token."""
    repositories: Annotated[dict[str, DockerHubRepositorySettings], Field(min_length=1)]

    @field_validator("repositories")
    @classmethod
    def _keys_and_names(
        cls, value: dict[str, DockerHubRepositorySettings]
    ) -> dict[str, DockerHubRepositorySettings]:
        for key in value:
            problem = dockerhub_names.repository_problem(key)
            if problem:
                raise ValueError(
                    f"the key {key!r} names a resource and defaults the name: {problem}"
                )
        names = [repo.name or key for key, repo in value.items()]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two repositories are both named {', '.join(twice)}")
        return value

    def repository_name(self, key: str) -> str:
        return self.repositories[key].name or key

    def pull_reference(self, key: str) -> str:
        return dockerhub_names.pull_reference(self.namespace, self.repository_name(key))


# --- Google Cloud, the Runway deployments and the fleets ----------------------------------

CLOUD_RUN_REGIONS = frozenset(
    {
        "africa-south1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "southamerica-east1",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    }
)
"""Regions where Cloud Run (and Artifact Registry) run services, late 2026. A region missing
here is rejected; add it when Google opens it."""

RegistryName = Literal["security", "canonical"]
"""Which source project's container registry: the security one, or the canonical one
(non-production deployments only, diagram note 8)."""

ServerName = Literal["ai-gateway", "duo-workflow-service"]


@dataclass(frozen=True)
class Server:
    """What the `model-gateway` image runs, chosen by environment variables: the protocol its
    port speaks decides the Cloud Run port name and which health checks can reach it."""

    title: str
    protocol: Literal["http1", "h2c"]
    probes: frozenset[str]
    """The probe types its port answers (`httpGet` needs an HTTP endpoint, `grpc` the gRPC
    health service)."""
    env: Mapping[str, str]
    """The variables that make the image run this program (and nothing else)."""
    port_env: str | None
    """The variable the program reads its port from; None when it reads Cloud Run's PORT."""


SERVERS: Mapping[str, Server] = {
    "ai-gateway": Server(
        title="the AI Gateway",
        protocol="http1",
        probes=frozenset({"httpGet", "tcpSocket"}),
        env={},
        port_env="AIGW_FASTAPI__API_PORT",
    ),
    "duo-workflow-service": Server(
        title="the Duo Workflow Service",
        protocol="h2c",
        probes=frozenset({"grpc", "tcpSocket"}),
        env={"ENABLE_DUO_WORKFLOW_SERVICE": "true", "DISABLE_AI_GATEWAY": "true"},
        port_env=None,
    ),
}

RESERVED_ENV = frozenset({"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"})
"""Variables Cloud Run sets itself and refuses in a service's environment."""

_MIN_CPUS_FOR_MEMORY = ((24 * 1024, 8), (16 * 1024, 6), (8 * 1024, 4), (4 * 1024, 2))
"""Cloud Run's floor: more than this many MiB of memory needs at least this many CPUs."""

Problem = tuple[tuple[str | int, ...], Any, str]
"""A rule broken somewhere else than where it was found: (config path, value, rule)."""


def _problems(found: list[Problem]) -> PydanticCustomError:
    """Rules that compare sections (a deployment's fleet, a fleet's regions) are checked where
    both are visible; this error carries the exact config path of each broken rule, and
    `parse_settings` reports each one under its own key."""
    return PydanticCustomError(
        "cross_reference",
        "{count} cross-reference problems",
        {"count": len(found), "problems": found},
    )


def _region(value: str) -> str:
    if value not in CLOUD_RUN_REGIONS:
        close = difflib.get_close_matches(value, sorted(CLOUD_RUN_REGIONS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            "is not a Cloud Run region (see CLOUD_RUN_REGIONS in components/settings.py)" + hint
        )
    return value


def _unique_regions(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("must name at least one region")
    repeated = sorted({r for r in value if value.count(r) > 1})
    if repeated:
        raise ValueError(
            f"names {', '.join(repeated)} more than once: a region holds one service per fleet"
        )
    return value


def _cpu(value: str) -> str:
    millis = re.fullmatch(r"([1-9]\d*)m", value)
    if value in ("1", "2", "4", "6", "8") or (millis and 80 <= int(millis[1]) <= 1000):
        return value
    raise ValueError(
        "must be a Cloud Run CPU limit: '1', '2', '4', '6' or '8', or millicores '80m' to '1000m'"
    )


def cpu_millis(value: str) -> int:
    """A valid CPU limit in millicores."""
    return int(value[:-1]) if value.endswith("m") else int(value) * 1000


def _memory(value: str) -> str:
    if not re.fullmatch(r"[1-9]\d*(Mi|Gi)", value):
        raise ValueError("must be a memory limit in Mi or Gi, for example '512Mi' or '8Gi'")
    if not 128 <= memory_mib(value) <= 32 * 1024:
        raise ValueError("must be from 128Mi to 32Gi (Cloud Run's limits)")
    return value


def memory_mib(value: str) -> int:
    """A valid memory limit in MiB."""
    return int(value[:-2]) * (1024 if value.endswith("Gi") else 1)


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def _image_reference(value: str) -> str:
    if not (_DIGEST.fullmatch(value) or _TAG.fullmatch(value)):
        raise ValueError(
            "must be a tag of the model-gateway image (for example 'self-hosted-v18.6.0-ee') "
            "or a digest 'sha256:<64 lowercase hex digits>'"
        )
    return value


def is_digest(reference: str) -> bool:
    return _DIGEST.fullmatch(reference) is not None


def _dns_name(value: str) -> str:
    label = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
    if len(value) > 253 or not re.fullmatch(rf"{label}(\.{label})+", value):
        raise ValueError("must be a lowercase DNS name, for example ai-gateway.runway.gitlab.net")
    return value


def _key_id(limit: int, named: str) -> Any:
    """A stable key (fleet or deployment id) that names resources: short, DNS-like."""

    def check(value: str) -> str:
        if not re.fullmatch(r"[a-z]([a-z0-9-]*[a-z0-9])?", value) or len(value) > limit:
            raise ValueError(
                f"must be lowercase letters, digits and '-', at most {limit} characters "
                f"(it names {named})"
            )
        return value

    return AfterValidator(check)


def _gcp_project_id(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", value):
        raise ValueError(
            "must be a Google Cloud project id: 6 to 30 lowercase letters, digits and '-'"
        )
    return value


def _pool_id(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9-]{4,32}", value) or value.startswith("gcp-"):
        raise ValueError(
            "must be 4 to 32 lowercase letters, digits and '-', not starting with 'gcp-'"
        )
    return value


Region = Annotated[str, AfterValidator(_region)]
Regions = Annotated[list[Region], AfterValidator(_unique_regions)]
FleetId = Annotated[str, _key_id(22, "the fleet's resources and its '<id>-runtime' account")]
DeploymentId = Annotated[str, _key_id(21, "the deployment's '<id>-deployer' service account")]


class WorkloadIdentitySettings(_Model):
    """The federation that lets the deployment projects' pipelines act in Google Cloud."""

    pool_id: Annotated[str, AfterValidator(_pool_id)] = "gitlab-deployments"
    provider_id: Annotated[str, AfterValidator(_pool_id)] = "gitlab-com"
    issuer: Annotated[str, AfterValidator(_https_url)] = "https://gitlab.com"
    audience: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^\S+$")]


class GcpSettings(_Model):
    """The Google Cloud project the fleets run in, and how GitLab CI is trusted there."""

    project_id: Annotated[str, AfterValidator(_gcp_project_id)]
    workload_identity: WorkloadIdentitySettings


SUBJECT_LIMIT = 127
"""Google caps the mapped `google.subject` at 127 bytes; GitLab's token subject is
`project_path:<path>:ref_type:branch:ref:<branch>`."""


class DeploymentSettings(_Model):
    """One Runway deployment project: which fleet it deploys, from which registry."""

    project: ProjectSettings
    fleet: FleetId
    pull_from: RegistryName = Field(default="security", validate_default=True)
    regions: Regions | None = None
    """The fleet regions this deployment rolls out to; all of its fleet's when not set."""

    @field_validator("project")
    @classmethod
    def _subject_fits(cls, value: ProjectSettings) -> ProjectSettings:
        subject = f"project_path:{value.path}:ref_type:branch:ref:main"
        if len(subject.encode()) > SUBJECT_LIMIT:
            raise ValueError(
                f"path is too long for Workload Identity: GitLab's token subject {subject!r} "
                f"exceeds the {SUBJECT_LIMIT} bytes Google allows in google.subject"
            )
        return value

    @field_validator("pull_from")
    @classmethod
    def _prod_pulls_security(cls, value: str, info: ValidationInfo) -> str:
        if value != "security" and _environment(info) == "prod":
            raise ValueError(
                "prod deployments pull from the security registry; the canonical one is for "
                "non-production deployments (diagram note 8)"
            )
        return value


class PullTokenSettings(_Model):
    """The read_registry deploy tokens Artifact Registry pulls with: they expire, and are
    replaced by `pulumi up` every `rotationDays` (each is valid for two periods)."""

    rotation_days: Annotated[int, Field(ge=7, le=180)] = 30


class RunwaySettings(_Model):
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
            raise _problems(found)
        return value

    def of_fleet(self, fleet: str) -> dict[str, DeploymentSettings]:
        """The deployments that deploy `fleet`, by id."""
        return {n: d for n, d in self.deployments.items() if d.fleet == fleet}


class ProbeSettings(_Model):
    """A Cloud Run health check of the container's port."""

    type: Literal["httpGet", "tcpSocket", "grpc"]
    path: str | None = Field(default=None, validate_default=True)
    grpc_service: str | None = None
    initial_delay_seconds: Annotated[int, Field(ge=0, le=3600)] = 0
    period_seconds: Annotated[int, Field(ge=1, le=3600)] = 10
    timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = 1
    failure_threshold: Annotated[int, Field(ge=1, le=100)] = 3

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if kind == "httpGet" and (value is None or not value.startswith("/")):
            raise ValueError("an httpGet probe needs a path starting with '/'")
        if kind not in (None, "httpGet") and value is not None:
            raise ValueError(f"only httpGet probes have a path (this one is {kind})")
        return value

    @field_validator("grpc_service")
    @classmethod
    def _grpc_service(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if value is not None and kind not in (None, "grpc"):
            raise ValueError(f"only grpc probes name a gRPC service (this one is {kind})")
        return value

    @field_validator("timeout_seconds")
    @classmethod
    def _within_period(cls, value: int, info: ValidationInfo) -> int:
        period = info.data.get("period_seconds")
        if period is not None and value > period:
            raise ValueError(f"must not exceed periodSeconds ({period})")
        return value


class FleetSettings(_Model):
    """One fleet: the same Cloud Run service in each of its regions behind one load balancer."""

    serves: ServerName
    service_name: Annotated[str, Field(pattern=r"^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$")]
    hostname: Annotated[str, AfterValidator(_dns_name)]
    regions: Regions
    image: Annotated[str, AfterValidator(_image_reference)]
    """The image the services are created with: a digest, or (outside prod) a tag that is
    resolved to its digest. Later rollouts belong to the deployment pipelines."""
    image_registry: RegistryName = Field(default="security", validate_default=True)
    max_instances: Annotated[int, Field(ge=1, le=1000)]
    min_instances: Annotated[int, Field(ge=0, le=1000)] = 0
    cpu: Annotated[str, AfterValidator(_cpu)] = "1"
    memory: Annotated[str, AfterValidator(_memory)] = "512Mi"
    concurrency: Annotated[int, Field(ge=1, le=1000)] = 80
    startup_cpu_boost: bool = False
    timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    execution_environment: Literal["gen1", "gen2"] = "gen2"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    http2: bool = Field(default=False, validate_default=True)
    startup_probe: ProbeSettings | None = None
    liveness_probe: ProbeSettings | None = None
    env: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = {}

    @field_validator("image")
    @classmethod
    def _prod_pins_digest(cls, value: str, info: ValidationInfo) -> str:
        if _environment(info) == "prod" and not is_digest(value):
            raise ValueError(
                "prod pins the image by digest: give 'sha256:<64 hex digits>', not a tag"
            )
        return value

    @field_validator("image_registry")
    @classmethod
    def _prod_from_security(cls, value: str, info: ValidationInfo) -> str:
        if value != "security" and _environment(info) == "prod":
            raise ValueError("prod fleets run images from the security registry")
        return value

    @field_validator("min_instances")
    @classmethod
    def _min_within_max(cls, value: int, info: ValidationInfo) -> int:
        most = info.data.get("max_instances")
        if most is not None and value > most:
            raise ValueError(f"must not exceed maxInstances ({most})")
        return value

    @field_validator("memory")
    @classmethod
    def _enough_cpu(cls, value: str, info: ValidationInfo) -> str:
        cpu = info.data.get("cpu")
        for above, cpus in _MIN_CPUS_FOR_MEMORY:
            if cpu is not None and memory_mib(value) > above and cpu_millis(cpu) < cpus * 1000:
                raise ValueError(
                    f"needs at least {cpus} CPUs on Cloud Run (cpu is {cpu!r}): more than "
                    f"{above // 1024}Gi of memory requires {cpus}"
                )
        return value

    @field_validator("concurrency")
    @classmethod
    def _fractional_cpu_serves_one(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")
        if cpu is not None and cpu_millis(cpu) < 1000 and value != 1:
            raise ValueError(f"must be 1 with less than one CPU (cpu is {cpu!r})")
        return value

    @field_validator("http2")
    @classmethod
    def _port_speaks_it(cls, value: bool, info: ValidationInfo) -> bool:
        serves = info.data.get("serves")
        if serves is None:
            return value
        server = SERVERS[serves]
        if value and server.protocol != "h2c":
            raise ValueError(
                f"{server.title} answers HTTP/1.1 only on its port; end-to-end HTTP/2 "
                "(an 'h2c' port) needs a server that speaks it"
            )
        if not value and server.protocol == "h2c":
            raise ValueError(
                f"{server.title} speaks gRPC, which needs HTTP/2 end to end: set http2 to "
                "true, or Cloud Run downgrades its requests to HTTP/1.1"
            )
        return value

    @field_validator("startup_probe", "liveness_probe")
    @classmethod
    def _probe_reaches_port(
        cls, value: ProbeSettings | None, info: ValidationInfo
    ) -> ProbeSettings | None:
        serves = info.data.get("serves")
        if value is None or serves is None:
            return value
        server = SERVERS[serves]
        if value.type not in server.probes:
            raise ValueError(
                f"{server.title}'s port does not answer {value.type} probes "
                f"(use {' or '.join(sorted(server.probes))})"
            )
        if info.field_name == "liveness_probe" and value.type == "tcpSocket":
            raise ValueError("Cloud Run liveness probes are httpGet or grpc, not tcpSocket")
        if info.field_name == "startup_probe" and (
            value.period_seconds > 240 or value.initial_delay_seconds > 240
        ):
            raise ValueError(
                "a startup probe's periodSeconds and initialDelaySeconds are at most 240"
            )
        return value

    @field_validator("env")
    @classmethod
    def _env_owned_elsewhere(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        serves = info.data.get("serves")
        owned: set[str] = set()
        if serves is not None:
            server = SERVERS[serves]
            owned = set(server.env) | ({server.port_env} if server.port_env else set())
        clash = sorted((set(value) & RESERVED_ENV) | (set(value) & owned))
        if clash:
            raise ValueError(
                f"sets {', '.join(clash)}: Cloud Run sets PORT and K_* itself, and the stack "
                "sets the variables that choose the program and its port (from serves and port)"
            )
        return value

    @property
    def environment_variables(self) -> dict[str, str]:
        """Everything the container gets: the variables choosing the program and its port,
        then the configured ones."""
        server = SERVERS[self.serves]
        chosen = dict(server.env)
        if server.port_env:
            chosen[server.port_env] = str(self.port)
        return {**chosen, **self.env}


class Settings(_Model):
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
            raise _problems(
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
            raise _problems(found)
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
                        "[secret]" if name in secret else text,
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
        return configured, [_line(TOKEN_KEY, "", "[secret]", problem)] if problem else []
    from_env = (environ or {}).get(TOKEN_ENV)
    if from_env:
        problem = _maskable(from_env)
        return from_env, [f"  - {TOKEN_ENV} (environment) = [secret]: {problem}"] if problem else []
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
            _line(str(loc[0]), _path(loc[1:]), "[secret]" if loc[0] in secret else value, rule)
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
    value = "[secret]" if top in secret else error.get("input")
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
    text = value if value == "[secret]" else json.dumps(value, sort_keys=True)
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
