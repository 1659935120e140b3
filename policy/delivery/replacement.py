"""Protected resources free of replacement-forcing config: which inputs force a replacement,
and a policy that keeps free text and hostnames out of them.

In prod the kinds of `components/rules.py` `KEPT` are protected. The engine refuses to
replace a protected resource ("unable to replace resource ... as it is currently marked for
protection", pulumi/pulumi `pkg/resource/deploy/step_generator.go`), so an input that forces
replacement must only ever change by a deliberate act on the resource's identity (its id,
its location, its upstream), never by an ordinary config edit such as a hostname or a
description: otherwise that edit blocks every `pulumi up`.

`FORCES_REPLACEMENT` is the one table of those inputs (the engine's camelCase names, nested
paths dotted), each row read in its provider's source:

- Google Cloud: terraform-provider-google `google/services/<service>/resource_<type>.go`,
  the fields with `ForceNew: true` (pulumi-gcp bridges terraform-provider-google-beta,
  generated from the same Magic Modules definitions): `compute/resource_compute_global_
  address.go` (every field but `labels`), `artifactregistry/resource_artifact_registry_
  repository.go`, `iambeta/resource_iam_workload_identity_pool.go` and
  `..._pool_provider.go`.
- GitLab: gitlab.com/gitlab-org/terraform-provider-gitlab `internal/provider/sdk/
  resource_gitlab_project.go`: only `template_name` and `template_project_id` are
  `ForceNew`; `name`, `path`, `namespace_id` and the rest update in place.
- Docker Hub: this project's own provider, `components/dockerhub.py` (`REPLACED_BY`).

`project` (every Google Cloud resource's) is the provider's `gcp.projectId`, not an input the
program sets, and is left out. `IDENTITY` marks the inputs that *are* the resource's identity
(an id, a location, a format): changing one is choosing another resource, which is what
protection exists to stop and review. Every other forcing input is `CONSTANT`: it must be a
literal of the program, checked by the policy below to carry no hostname or URL (what an
ordinary edit changes), and by `tests/test_replacement.py` to be unchanged by editing any
free-text or hostname config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from contract import DOCKERHUB_REPOSITORY, Gcp, GitLab

from .reading import UNKNOWN, Reader

Role = Literal["identity", "constant"]
IDENTITY: Final = "identity"
CONSTANT: Final = "constant"

FORCES_REPLACEMENT: Final[Mapping[str, Mapping[str, Role]]] = {
    Gcp.GLOBAL_ADDRESS: {
        "name": IDENTITY,
        "address": IDENTITY,
        "addressType": CONSTANT,
        "description": CONSTANT,
        "ipVersion": CONSTANT,
        "network": CONSTANT,
        "prefixLength": CONSTANT,
        "purpose": CONSTANT,
    },
    Gcp.REPOSITORY: {
        "repositoryId": IDENTITY,
        "location": IDENTITY,
        "format": CONSTANT,
        "mode": CONSTANT,
        "kmsKeyName": CONSTANT,
        # The block forces replacement, and inside it its description and every upstream;
        # its upstream credentials do not (they are in the update mask).
        "remoteRepositoryConfig.description": CONSTANT,
        # The upstream is the registry this cache serves: another upstream is another cache.
        "remoteRepositoryConfig.dockerRepository": IDENTITY,
        "remoteRepositoryConfig.dockerRepository.customRepository.uri": IDENTITY,
        "remoteRepositoryConfig.dockerRepository.publicRepository": IDENTITY,
    },
    Gcp.WIF_POOL: {"workloadIdentityPoolId": IDENTITY},
    Gcp.WIF_PROVIDER: {
        "workloadIdentityPoolId": IDENTITY,
        "workloadIdentityPoolProviderId": IDENTITY,
    },
    GitLab.PROJECT: {"templateName": CONSTANT, "templateProjectId": CONSTANT},
    DOCKERHUB_REPOSITORY: {"namespace": IDENTITY, "name": IDENTITY},
}
"""Per protected type, the inputs whose change replaces the resource, and their role."""

_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOSTNAME = re.compile(
    r"(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?![\w-])", re.IGNORECASE
)
"""A DNS name of at least two labels ending in a letter-only top-level label: what a
hostname in a description looks like (`ai-gateway.runway.gitlab.net`)."""


def edit_prone(value: str) -> str | None:
    """What in `value` an ordinary config edit would change (a URL or a hostname), if any."""
    found = _URL.search(value) or _HOSTNAME.search(value)
    return found[0] if found else None


def forcing_values(type_: str, props: Any, reader: Reader) -> dict[str, Any]:
    """The forcing inputs of a resource of `type_` that are set, by dotted path."""
    found: dict[str, Any] = {}
    for path in FORCES_REPLACEMENT.get(type_, {}):
        value = reader.get(props, *path.split("."))
        if value is not None:
            found[path] = value
    return found


def _no_edit_prone_forcing_input(args: ResourceValidationArgs, report: ReportViolation) -> None:
    fields = FORCES_REPLACEMENT.get(args.resource_type)
    if fields is None or not args.opts.protect:
        return
    reader = Reader()
    ignored = set(args.opts.ignore_changes or [])
    for path, value in forcing_values(args.resource_type, args.props, reader).items():
        if fields[path] != CONSTANT or path in ignored or value is UNKNOWN:
            continue
        hit = edit_prone(value) if isinstance(value, str) else None
        if hit is not None:
            report(
                f"{path} forces replacing this protected resource, and holds {hit!r}, which "
                "an ordinary config edit changes: the edit would block every update. Make it "
                "a constant (or unset), or ignore its changes",
                None,
            )
    reader.finish()


protected_free_of_replacing_config = ResourceValidationPolicy(
    name="protected-free-of-replacing-config",
    description="A protected resource's replacement-forcing inputs hold no hostname or URL.",
    validate=_no_edit_prone_forcing_input,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES = [protected_free_of_replacing_config]
