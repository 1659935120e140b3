"""The catalogue of programs the `model-gateway` image runs, and what each needs from Cloud
Run: the protocol of its port, the probes it answers, the variables that choose it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

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
