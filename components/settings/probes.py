"""A Cloud Run health check of a fleet's container port."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from components.settings.base import Model
from components.settings.text import SingleLine


class ProbeSettings(Model):
    """A Cloud Run health check of the container's port."""

    type: Literal["httpGet", "tcpSocket", "grpc"]
    path: SingleLine | None = Field(default=None, validate_default=True)
    """The HTTP path probed: it goes into the request line, so one line, no whitespace."""
    grpc_service: SingleLine | None = None
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
        if value is not None and any(c.isspace() for c in value):
            raise ValueError("must not contain whitespace: it is sent in the HTTP request line")
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
