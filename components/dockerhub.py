"""Docker Hub repositories as Pulumi resources: a dynamic provider.

No Pulumi provider manages Docker Hub repositories, so `DockerHubRepositoryProvider` does, over
`components.dockerhub_api`. Pulumi pickles the provider (with dill) into every resource's state
and unpickles it in its provider process. It lives in this importable module so that the pickle
is a reference to the class, tens of bytes, and it holds no attributes at all: no session to
fail pickling, no credential to end up in the state. Each method reads the credentials from the
environment of the process that runs it (`DOCKERHUB_USERNAME`, `DOCKERHUB_TOKEN`,
`DOCKERHUB_API_URL`) and closes its client before it returns.

What each step does:
- check: the inputs follow Docker Hub's naming rules and length limits, those of its OpenAPI
  document (`components/dockerhub_names.py`, the rules the settings apply too), with no
  network: a value Docker Hub would refuse stops the preview, not an update half-way.
- diff: a new namespace or name replaces the repository; descriptions and visibility update it
  in place (no network, so previews need no Docker Hub credentials).
- create: adopts a repository that already exists; if its settings differ it is updated to the
  stack's, and the step says so (a warning, and the `adoption` output).
- read: a repository that is gone is reported gone, so `pulumi refresh` shows the drift.
- update, delete: as their names say; deleting one that is already gone succeeds.

A description left unset (None) is not managed: it is neither written nor compared, so adopting
a live repository never overwrites its README unless the stack says what it should be.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic.dynamic import PROVIDER_KEY
from pulumi.runtime import rpc

from components.dockerhub_names import (
    full_description_problem,
    namespace_problem,
    pull_reference,
    repository_problem,
    short_description_problem,
)

if TYPE_CHECKING:
    from components.dockerhub_api import DockerHubClient, Repository
    from components.providers import DockerHubAccount

PROPERTIES = ("namespace", "name", "shortDescription", "fullDescription", "visibility")
REPLACED_BY = ("namespace", "name")
"""Docker Hub cannot rename or move a repository: a new one is created, the old one deleted."""
DESCRIPTIONS = ("shortDescription", "fullDescription")
VISIBILITIES = ("public", "private")


@dataclass(frozen=True)
class RepositorySpec:
    """What the stack asks for; None descriptions are left as they are on Docker Hub."""

    namespace: str
    name: str
    short_description: str | None
    full_description: str | None
    private: bool

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> RepositorySpec:
        return cls(
            namespace=str(props["namespace"]),
            name=str(props["name"]),
            short_description=_optional_str(props.get("shortDescription")),
            full_description=_optional_str(props.get("fullDescription")),
            private=props["visibility"] == "private",
        )

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def differences(self, live: Repository) -> list[str]:
        """The inputs whose value on Docker Hub is not the stack's."""
        found = []
        if self.short_description is not None and self.short_description != live.description:
            found.append("shortDescription")
        if self.full_description is not None and self.full_description != live.full_description:
            found.append("fullDescription")
        if self.private != live.is_private:
            found.append("visibility")
        return found

    def outputs(self, adoption: str | None) -> dict[str, Any]:
        outs: dict[str, Any] = {
            "namespace": self.namespace,
            "name": self.name,
            "visibility": "private" if self.private else "public",
            "pullReference": pull_reference(self.namespace, self.name),
            "url": f"https://hub.docker.com/r/{self.namespace}/{self.name}",
            "adoption": adoption,
        }
        if self.short_description is not None:
            outs["shortDescription"] = self.short_description
        if self.full_description is not None:
            outs["fullDescription"] = self.full_description
        return outs


class DockerHubRepositoryProvider(pulumi.dynamic.ResourceProvider):
    """Creates, adopts, reads, updates and deletes one Docker Hub repository. Stateless."""

    # The pickle holds a class reference and nothing else (tests check the bytes), so there is
    # nothing to hide; a readable `__provider` lets `stackctl graph` show what was pickled.
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        failures: list[pulumi.dynamic.CheckFailure] = []
        inputs = {k: v for k, v in news.items() if k in PROPERTIES}
        for key in sorted(set(news) - set(PROPERTIES) - {PROVIDER_KEY}):
            failures.append(pulumi.dynamic.CheckFailure(key, "is not an input of a repository"))
        for key in ("namespace", "name", "visibility"):
            if inputs.get(key) is None:
                failures.append(pulumi.dynamic.CheckFailure(key, "is required"))
        for key, value in inputs.items():
            if value is None or value == rpc.UNKNOWN:
                continue  # unknown in a preview: checked again once it is known
            problem = _problem(key, value)
            if problem:
                failures.append(pulumi.dynamic.CheckFailure(key, problem))
        return pulumi.dynamic.CheckResult(inputs, failures)

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [
            key
            for key in PROPERTIES
            if not (key in DESCRIPTIONS and news.get(key) is None)
            and (news.get(key) == rpc.UNKNOWN or olds.get(key) != news.get(key))
        ]
        return pulumi.dynamic.DiffResult(
            changes=bool(changed),
            replaces=[key for key in changed if key in REPLACED_BY],
            # The new repository has another name: both can exist while one replaces the other.
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        from components import dockerhub_api as api

        spec = RepositorySpec.from_props(props)
        with _hub() as hub:
            live = hub.get_repository(spec.namespace, spec.name)
            if live is None:
                try:
                    hub.create_repository(
                        spec.namespace,
                        spec.name,
                        private=spec.private,
                        description=spec.short_description,
                        full_description=spec.full_description,
                    )
                    return pulumi.dynamic.CreateResult(spec.id, spec.outputs(adoption=None))
                except api.RepositoryConflictError as conflict:
                    # Created meanwhile (by someone else, or by a retried POST of ours) or a
                    # refused value: only reading it tells which.
                    live = hub.get_repository(spec.namespace, spec.name)
                    if live is None:
                        raise conflict from None
            changed = _reconcile(hub, spec, live)
        if changed:
            adoption = f"existed with other settings; updated {', '.join(changed)}"
            _warn(f"Docker Hub repository {spec.id} already {adoption} to match the stack")
        else:
            adoption = "existed with the same settings; adopted as it is"
        return pulumi.dynamic.CreateResult(spec.id, spec.outputs(adoption=adoption))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        namespace, name = _identity(id_, props)
        with _hub() as hub:
            live = hub.get_repository(namespace, name)
        if live is None:
            # An empty id tells the engine the resource is gone; outs must still be a dict.
            return pulumi.dynamic.ReadResult("", {})
        # The live repository as the stack would describe it. Only the descriptions the stack
        # manages are reported, so that one left unmanaged never shows up as drift.
        seen = RepositorySpec(
            namespace=live.namespace,
            name=live.name,
            short_description=live.description
            if props.get("shortDescription") is not None
            else None,
            full_description=live.full_description
            if props.get("fullDescription") is not None
            else None,
            private=live.is_private,
        )
        outs = seen.outputs(adoption=props.get("adoption"))
        return pulumi.dynamic.ReadResult(id_, outs)

    def update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        from components.dockerhub_api import DockerHubError

        spec = RepositorySpec.from_props(news)
        with _hub() as hub:
            live = hub.get_repository(spec.namespace, spec.name)
            if live is None:
                raise DockerHubError(
                    f"{id_} no longer exists on Docker Hub: run `pulumi refresh` so the stack "
                    "forgets it, then `pulumi up` creates it again"
                )
            _reconcile(hub, spec, live)
        return pulumi.dynamic.UpdateResult(spec.outputs(adoption=olds.get("adoption")))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        namespace, name = _identity(id_, props)
        with _hub() as hub:
            hub.delete_repository(namespace, name)


class DockerHubRepository(pulumi.dynamic.Resource, module="dockerhub", name="Repository"):
    """A Docker Hub repository: type `pulumi-python:dynamic/dockerhub:Repository` in the graph.

    `short_description` / `full_description` left None are not managed (see the module doc)."""

    def __init__(
        self,
        resource_name: str,
        *,
        account: DockerHubAccount,
        name: str,
        visibility: str,
        short_description: str | None = None,
        full_description: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "namespace": account.namespace,
            "name": name,
            "visibility": visibility,
            "shortDescription": short_description,
            "fullDescription": full_description,
        }
        super().__init__(DockerHubRepositoryProvider(), resource_name, props, opts)


def _hub() -> DockerHubClient:
    """This call's client. Imported here, not with this module: `requests` is needed only when
    the provider runs (`pulumi up`, `refresh`), not every time the program is evaluated."""
    from components.dockerhub_api import DockerHubClient

    return DockerHubClient.from_environment()


def _reconcile(hub: DockerHubClient, spec: RepositorySpec, live: Repository) -> list[str]:
    """Make the live repository what the spec says; return the inputs that had to change."""
    changed = spec.differences(live)
    if "shortDescription" in changed or "fullDescription" in changed:
        hub.update_descriptions(
            spec.namespace,
            spec.name,
            description=spec.short_description if "shortDescription" in changed else None,
            full_description=spec.full_description if "fullDescription" in changed else None,
        )
    if "visibility" in changed:
        hub.set_private(spec.namespace, spec.name, spec.private)
    return changed


def _problem(key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if key == "namespace":
        return namespace_problem(value)
    if key == "name":
        return repository_problem(value)
    if key == "visibility":
        return None if value in VISIBILITIES else "must be 'public' or 'private'"
    if key == "shortDescription":
        return short_description_problem(value)
    return full_description_problem(value)


def _identity(id_: str, props: Mapping[str, Any]) -> tuple[str, str]:
    from components.dockerhub_api import DockerHubError

    namespace, name = props.get("namespace"), props.get("name")
    if isinstance(namespace, str) and isinstance(name, str):
        return namespace, name
    namespace, _, name = id_.partition("/")
    if not namespace or not name:
        raise DockerHubError(f"{id_!r} is not a Docker Hub repository id 'namespace/name'")
    return namespace, name


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _warn(message: str) -> None:
    """The provider process has no engine connection: Pulumi shows its stderr instead."""
    print(f"warning: {message}", file=sys.stderr)
