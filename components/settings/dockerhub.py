"""The release edge's settings: the Docker Hub namespace, account and repositories."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from components import dockerhub_names
from components.settings.base import Model


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


class DockerHubRepositorySettings(Model):
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


class DockerHubSettings(Model):
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
