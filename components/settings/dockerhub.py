"""The release edge's settings: the Docker Hub namespace, account and repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from components import dockerhub_names
from components.settings.base import Model


def _rule(problem: Callable[[str], str | None]) -> AfterValidator:
    """A pydantic validator from one of `dockerhub_names`' rules, the ones the provider's
    `check` applies too, so config and resource inputs are refused alike."""

    def validate(value: str) -> str:
        found = problem(value)
        if found:
            raise ValueError(found)
        return value

    return AfterValidator(validate)


_dockerhub_namespace = _rule(dockerhub_names.namespace_problem)
_dockerhub_repository = _rule(dockerhub_names.repository_problem)
_short_description = _rule(dockerhub_names.short_description_problem)
_full_description = _rule(dockerhub_names.full_description_problem)


class DockerHubRepositorySettings(Model):
    """One Docker Hub repository. A description left unset is not managed: adopting a live
    repository then keeps the description it has."""

    name: Annotated[str, _dockerhub_repository] | None = None
    short_description: Annotated[str, _short_description] | None = None
    full_description: Annotated[str, _full_description] | None = None
    visibility: Literal["public", "private"] = "public"


class DockerHubSettings(Model):
    """The Docker Hub end of the release edge: where protected release tags push, and as whom.

    Repositories are keyed by a stable name (the key names the resource; `name` defaults to
    it), so renaming a repository on Docker Hub is a change of `name`, not a new resource."""

    namespace: Annotated[str, _dockerhub_namespace]
    username: Annotated[str, _dockerhub_namespace]
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
