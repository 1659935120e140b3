"""The offline answers: what a provider would compute, faked deterministically.

The recorder (`stackctl.recorder`) adds these to a resource's inputs so the graph reads
like a deployed stack. Only outputs the program reads are faked; the rest stay absent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from contract import Docker, Gcp, GitLab, Time


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _number(*parts: str) -> int:
    return int(_digest(*parts)[:8], 16) % 90_000_000 + 10_000_000


def _project_number(project: Any) -> int:
    """A Google Cloud project's number: twelve digits, derived from its id."""
    return int(_digest(str(project), "number")[:12], 16) % 900_000_000_000 + 100_000_000_000


OFFLINE_PERIOD_START = datetime(2000, 1, 1, tzinfo=UTC)
"""The start of every rotation period offline: fixed, so that the graph never depends on the
day it is evaluated (a real `pulumiverse_time.Rotating` keeps its start in state)."""


def _rotating(name: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    start = OFFLINE_PERIOD_START
    end = start + timedelta(days=int(inputs.get("rotationDays") or 0))
    return {
        "rfc3339": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rotationRfc3339": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "unix": int(start.timestamp()),
    }


def fake_id_of(
    type_: str, name: str, inputs: Mapping[str, Any], provider: Mapping[str, Any] | None = None
) -> str:
    """The id a provider would give a new resource: `<name>-id`, unless the program parses
    ids of that type (a GitLab project id is a number the program passes on as one).
    `provider` is the configuration of the provider it is registered with."""
    maker = FAKE_IDS.get(type_)
    return maker(name, completed(type_, inputs, provider or {})) if maker else f"{name}-id"


PROJECT_SCOPED = frozenset(
    {
        Gcp.SERVICE,
        Gcp.SERVICE_IAM_MEMBER,
        Gcp.REPOSITORY,
        Gcp.SECRET,
        Gcp.SECRET_IAM_MEMBER,
        Gcp.SERVICE_IDENTITY,
        Gcp.SERVICE_ACCOUNT,
        Gcp.WIF_POOL,
        Gcp.WIF_PROVIDER,
        Gcp.NEG,
        Gcp.BACKEND_SERVICE,
        Gcp.URL_MAP,
        Gcp.CERTIFICATE,
        Gcp.HTTPS_PROXY,
        Gcp.GLOBAL_ADDRESS,
        Gcp.FORWARDING_RULE,
    }
)
"""The Google Cloud resources the program registers that live in a project: an optional
`project` input that, left unset, the provider fills in from its own `project` (the
google provider's `DefaultProviderProject`), and returns as an output."""


def completed(
    type_: str, inputs: Mapping[str, Any], provider: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The inputs as the provider completes them from its configuration."""
    if type_ in PROJECT_SCOPED and inputs.get("project") is None and provider.get("project"):
        return {**inputs, "project": provider["project"]}
    return inputs


FAKE_IDS: dict[str, Callable[[str, Mapping[str, Any]], str]] = {
    GitLab.PROJECT: lambda name, inputs: str(_number(name, "project")),
    Gcp.SECRET: lambda name, inputs: (
        f"projects/{inputs.get('project')}/secrets/{inputs.get('secretId')}"
    ),
}


def _service_account(name: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    email = f"{inputs.get('accountId')}@{inputs.get('project')}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{inputs.get('project')}/serviceAccounts/{email}",
    }


def _service_agent(name: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    service = str(inputs.get("service", "")).split(".")[0]
    email = (
        f"service-{_project_number(inputs.get('project'))}@gcp-sa-{service}.iam.gserviceaccount.com"
    )
    return {"email": email, "member": f"serviceAccount:{email}"}


def _pool_name(inputs: Mapping[str, Any]) -> str:
    return (
        f"projects/{_project_number(inputs.get('project'))}/locations/global/"
        f"workloadIdentityPools/{inputs.get('workloadIdentityPoolId')}"
    )


def fake_outputs(
    type_: str,
    name: str,
    id_: str,
    inputs: Mapping[str, Any],
    provider: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Computed outputs for a resource of `type_` (what `new_resource` adds to its inputs):
    those its provider computes, with what it fills in from its own configuration."""
    full = completed(type_, inputs, provider or {})
    maker = FAKE_OUTPUTS.get(type_)
    outputs = maker(name, id_, full) if maker else {}
    return {**{k: v for k, v in full.items() if k not in inputs}, **outputs}


FAKE_OUTPUTS: dict[str, Callable[[str, str, Mapping[str, Any]], dict[str, Any]]] = {
    GitLab.ACCESS_TOKEN: lambda name, id_, inputs: {
        "token": f"glpat-offline-{_digest(name)[:20]}",
        "userId": _number(name, "user"),
    },
    GitLab.PIPELINE_TRIGGER: lambda name, id_, inputs: {
        "token": f"glptt-offline-{_digest(name)[:20]}",
    },
    GitLab.DEPLOY_TOKEN: lambda name, id_, inputs: {
        "token": f"gldt-offline-{_digest(name)[:20]}",
        "username": f"gitlab+deploy-token-{_number(name, 'deploy-token')}",
    },
    Gcp.SERVICE_ACCOUNT: _service_account,
    Time.ROTATING: _rotating,
    Gcp.SERVICE_IDENTITY: _service_agent,
    Gcp.WIF_POOL: lambda name, id_, inputs: {
        "name": _pool_name(inputs),
    },
    Gcp.WIF_PROVIDER: (
        lambda name, id_, inputs: {
            "name": f"{_pool_name(inputs)}/providers/{inputs.get('workloadIdentityPoolProviderId')}"
        }
    ),
    Gcp.SECRET_VERSION: lambda name, id_, inputs: {
        "name": f"{inputs.get('secret')}/versions/1",
        "version": "1",
    },
    Gcp.SERVICE: lambda name, id_, inputs: {
        "uri": f"https://{inputs.get('name')}-{_project_number(inputs.get('project'))}"
        f".{inputs.get('location')}.run.app",
    },
    Gcp.GLOBAL_ADDRESS: lambda name, id_, inputs: {
        "address": "34.{}.{}.{}".format(*(int(_digest(name)[i : i + 2], 16) for i in (0, 2, 4))),
    },
}


def running_image(project: str, location: str, name: str) -> str:
    """The image a running Cloud Run service reports offline: one digest per service name
    (a fleet runs one image everywhere), through the region's remote repository."""
    return (
        f"{location}-docker.pkg.dev/{project}/gitlab-security/offline/model-gateway"
        f"@sha256:{_digest(project, name, 'running')}"
    )


def _live_service(args: Mapping[str, Any]) -> dict[str, Any]:
    """The Cloud Run data source's answer for a service that runs (only the fields the
    program reads, in `pulumi_gcp/cloudrunv2/get_service.py`'s shape: `templates` a list)."""
    project, location, name = (str(args.get(k)) for k in ("project", "location", "name"))
    return {
        "id": f"projects/{project}/locations/{location}/services/{name}",
        "name": name,
        "location": location,
        "project": project,
        "templates": [{"containers": [{"image": running_image(project, location, name)}]}],
    }


FAKE_INVOKES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    Gcp.GET_SERVICE: _live_service,
    Docker.GET_REGISTRY_IMAGE: lambda args: {
        "id": args.get("name"),
        "name": args.get("name"),
        "sha256Digest": f"sha256:{_digest(str(args.get('name')))}",
    },
    GitLab.GET_PROJECT: lambda args: {
        "id": str(_number(str(args.get("pathWithNamespace")))),
        "pathWithNamespace": args.get("pathWithNamespace"),
    },
    GitLab.GET_GROUP: lambda args: {
        "groupId": _number(str(args.get("fullPath"))),
        "fullPath": args.get("fullPath"),
        "id": str(_number(str(args.get("fullPath")))),
    },
}
