"""One Cloud Run fleet: the same service in each of its regions behind one load balancer,
with Cloud Run's own limits."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from components.settings.base import Model, environment_of
from components.settings.probes import ProbeSettings
from components.settings.regions import Regions
from components.settings.servers import SERVERS, ServerName
from components.settings.source import RegistryName
from components.settings.text import Paragraphs, control_character, is_dns_name

ENV_VALUE_MAX_BYTES = 32768
ENV_COUNT_MAX = 1000
"""Cloud Run: a variable's value is at most 32768 bytes (Admin API v2, EnvVar.value), and a
service has at most 1000 variables
(https://cloud.google.com/run/docs/configuring/services/overview-environment-variables)."""
RESERVED_ENV = frozenset({"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"})
"""Variables Cloud Run sets itself and refuses in a service's environment."""

_MIN_CPUS_FOR_MEMORY = ((24 * 1024, 8), (16 * 1024, 6), (8 * 1024, 4), (4 * 1024, 2))
"""Cloud Run's floor: more than this many MiB of memory needs at least this many CPUs."""


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


def _hostname(value: str) -> str:
    if value != value.lower() or not is_dns_name(value):
        raise ValueError("must be a lowercase DNS name, for example ai-gateway.runway.gitlab.net")
    return value


PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
"""The all-zero digest stack files once carried until the running image was known. It names
no image: refused everywhere (a fleet whose services run takes its image from them)."""


class FleetSettings(Model):
    """One fleet: the same Cloud Run service in each of its regions behind one load balancer."""

    serves: ServerName
    service_name: Annotated[str, Field(pattern=r"^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$")]
    hostname: Annotated[str, AfterValidator(_hostname)]
    regions: Regions
    image: Annotated[str, AfterValidator(_image_reference)] | None = None
    """The image a fleet none of whose services runs yet is created with: a digest, or
    (outside prod) a tag resolved to its digest. A fleet with `existingRegions` takes its
    image from the running services instead (components/fleet.py), so it gives none."""
    existing_regions: list[str] = Field(default_factory=list)
    """The regions of `regions` whose service runs today: the stack sends each the image it
    runs (read live at every run), and creates the others with the image the first of these
    runs. A region is listed here once its service exists (after the `up` that created it)."""
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
    env: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Paragraphs] = Field(
        default_factory=dict
    )
    """Plain variables: a value here is stored and shown in plain text (a secret belongs in
    Secret Manager, not in config: see `components/settings/secrets.py`)."""

    @field_validator("image")
    @classmethod
    def _prod_pins_digest(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value == PLACEHOLDER_DIGEST:
            raise ValueError(
                "is the all-zero placeholder, which names no image: leave image unset where "
                "the fleet's services run (existingRegions), or give the digest to create with"
            )
        if value is not None and environment_of(info) == "prod" and not is_digest(value):
            raise ValueError(
                "prod pins the image by digest: give 'sha256:<64 hex digits>', not a tag"
            )
        return value

    @model_validator(mode="after")
    def _image_known(self) -> FleetSettings:
        """Every service gets an image that runs or was chosen: the running one where the
        fleet runs somewhere, else `image`; never both, so no stale digest lingers."""
        unknown = sorted(set(self.existing_regions) - set(self.regions))
        if unknown:
            raise ValueError(
                f"existingRegions lists {', '.join(unknown)}, which regions does not hold"
            )
        if len(set(self.existing_regions)) != len(self.existing_regions):
            raise ValueError("existingRegions lists a region twice")
        if self.existing_regions and self.image is not None:
            raise ValueError(
                "image is set while existingRegions run: the services keep the image they "
                "run and new regions get it too; remove image"
            )
        if not self.existing_regions and self.image is None:
            raise ValueError(
                "needs image (none of its services runs yet: existingRegions is empty)"
            )
        return self

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

    @field_validator("env")
    @classmethod
    def _within_cloud_run_limits(cls, value: dict[str, str]) -> dict[str, str]:
        """Cloud Run's limits, and a value that is a URL (the GitLab and portal URLs the
        servers call) is one line with no credentials in it: the server puts it in request
        lines and headers."""
        if len(value) + 2 > ENV_COUNT_MAX:  # with the two the stack sets at most
            raise ValueError(f"sets {len(value)} variables: Cloud Run allows {ENV_COUNT_MAX}")
        for name, text in value.items():
            if len(text.encode()) > ENV_VALUE_MAX_BYTES:
                raise ValueError(
                    f"{name} is longer than the {ENV_VALUE_MAX_BYTES} bytes Cloud Run allows"
                )
            if re.match(r"[a-z][a-z0-9+.-]*://", text):
                found = control_character(text)
                if found:
                    raise ValueError(f"{name} is a URL with a control character ({found})")
                if "@" in text.split("://", 1)[1].split("/", 1)[0]:
                    raise ValueError(f"{name} is a URL with credentials (user:password@) in it")
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
