"""Google Cloud's settings: the project and Workload Identity Federation, the Runway
deployments and the Cloud Run fleets, with Cloud Run's own limits."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from components.settings.base import Model, Problem, environment_of, matching, problems_at
from components.settings.source import HttpsUrl, ProjectSettings

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


def _region(value: str) -> str:
    if value not in CLOUD_RUN_REGIONS:
        close = difflib.get_close_matches(value, sorted(CLOUD_RUN_REGIONS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            "is not a Cloud Run region (see CLOUD_RUN_REGIONS in components/settings/cloud.py)"
            + hint
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


class WorkloadIdentitySettings(Model):
    """The federation that lets the deployment projects' pipelines act in Google Cloud."""

    pool_id: Annotated[str, AfterValidator(_pool_id)] = "gitlab-deployments"
    provider_id: Annotated[str, AfterValidator(_pool_id)] = "gitlab-com"
    issuer: HttpsUrl = "https://gitlab.com"
    audience: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^\S+$")]


class GcpSettings(Model):
    """The Google Cloud project the fleets run in, and how GitLab CI is trusted there."""

    project_id: Annotated[
        str,
        matching(
            r"[a-z][a-z0-9-]{4,28}[a-z0-9]",
            "must be a Google Cloud project id: 6 to 30 lowercase letters, digits and '-'",
        ),
    ]
    workload_identity: WorkloadIdentitySettings


SUBJECT_LIMIT = 127
"""Google caps the mapped `google.subject` at 127 bytes; GitLab's token subject is
`project_path:<path>:ref_type:branch:ref:<branch>`."""


class DeploymentSettings(Model):
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


class ProbeSettings(Model):
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


class FleetSettings(Model):
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
    env: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict
    )

    @field_validator("image")
    @classmethod
    def _prod_pins_digest(cls, value: str, info: ValidationInfo) -> str:
        if environment_of(info) == "prod" and not is_digest(value):
            raise ValueError(
                "prod pins the image by digest: give 'sha256:<64 hex digits>', not a tag"
            )
        return value

    @field_validator("image_registry")
    @classmethod
    def _prod_from_security(cls, value: str, info: ValidationInfo) -> str:
        if value != "security" and environment_of(info) == "prod":
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
