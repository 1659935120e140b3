"""Docker Hub repositories (dynamic resources) recognised by their properties, kept in the
stack's namespaces and protected in production."""

from __future__ import annotations

import pytest

from policy.delivery.dockerhub import dockerhub_allowed_namespaces
from policy.delivery.protection import prod_resources_protected
from tests.policy_harness import UNKNOWN, RealAnalyzer, not_checked, resource, settings, violations

DYNAMIC = "pulumi-python:dynamic/dockerhub:Repository"  # the type DockerHubRepository registers
PROD = {"allowedNamespaces": ["gitlab"]}


def repository(namespace: object = "gitlab", name: str = "model-gateway-self-hosted", **opts):
    inputs = {
        "__provider": "gASVxxx-pickled-provider",  # recorded offline, never sent to a policy
        "namespace": namespace,
        "name": name,
        "visibility": "public",
        "shortDescription": "GitLab AI Gateway for self-hosted models",
    }
    return resource(DYNAMIC, f"dockerhub-{name}", inputs, **opts)


def test_repositories_in_the_allowed_namespace_pass() -> None:
    assert violations(dockerhub_allowed_namespaces, repository(), config=PROD) == []


def test_a_repository_outside_the_stacks_namespaces_is_caught() -> None:
    [(name, message)] = violations(
        dockerhub_allowed_namespaces, repository("gitlab-staging"), config=PROD
    )
    assert name == "dockerhub-model-gateway-self-hosted"
    assert message == (
        "Docker Hub repository gitlab-staging/model-gateway-self-hosted is in namespace "
        '"gitlab-staging"; this stack may only use gitlab'
    )


def test_without_config_no_namespace_is_allowed() -> None:
    [(_, message)] = violations(dockerhub_allowed_namespaces, repository())
    assert message.endswith("may only use no namespace (allowedNamespaces is empty)")


@pytest.mark.parametrize("type_", ["pulumi-python:dynamic:Resource", DYNAMIC])
def test_any_dynamic_type_with_the_properties_is_a_repository(type_: str) -> None:
    generic = resource(type_, "repo", {"namespace": "evil", "name": "x", "visibility": "public"})
    assert violations(dockerhub_allowed_namespaces, generic, config=PROD)


def test_other_dynamic_resources_are_not_docker_hub_repositories() -> None:
    other = resource(DYNAMIC, "something", {"name": "x", "namespace": "y"})  # no visibility
    assert violations(dockerhub_allowed_namespaces, other, config=PROD) == []
    assert violations(prod_resources_protected, other) == []


def test_an_unknown_namespace_is_a_note() -> None:
    pending = repository(UNKNOWN)
    assert violations(dockerhub_allowed_namespaces, pending, config=PROD) == []
    assert not_checked(dockerhub_allowed_namespaces, pending, config=PROD)


def test_recognised_without_the_provider_input_which_the_cli_never_sends() -> None:
    """The engine skips `__`-prefixed keys (SkipInternalKeys): the real analyzer must still
    recognise the repository from namespace, name and visibility."""
    analyzer = RealAnalyzer(settings({"dockerhub-allowed-namespaces": PROD}))
    [found] = analyzer.analyze(repository("someone-else", protect=True))
    assert found.policy == "dockerhub-allowed-namespaces"
    assert analyzer.analyze(repository(protect=True)) == []


def test_prod_repositories_are_protected_and_retained() -> None:
    assert violations(prod_resources_protected, repository(protect=True, retain=True)) == []
    [(_, message)] = violations(prod_resources_protected, repository(protect=True))
    assert "a Docker Hub repository cannot be re-created without harm" in message
    assert message.endswith("set retain_on_delete")
    assert violations(prod_resources_protected, repository(), config={"production": False}) == []
