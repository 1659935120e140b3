"""The release edge in both stacks: Docker Hub repositories and the push credentials.

Through the offline engine: what each stack registers, with which options and dependencies,
and where the push token comes from (secret config, the environment, or, in a preview without
either, an unknown secret) without ever appearing in the graph.
"""

from __future__ import annotations

import json

import pytest

from components.settings import SettingsError, parse_settings
from stackctl import text
from stackctl.engine import EngineError, Graph, evaluate
from stackctl.stackfile import secret_placeholder
from tests.conftest import Evaluations, stack_config

REPOSITORY = "pulumi-python:dynamic/dockerhub:Repository"
VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
NAMES = ["model-gateway", "model-gateway-self-hosted", "model-gateway-self-hosted-fips"]
PROVIDER = (
    "[dynamic provider components.dockerhub.DockerHubRepositoryProvider: by reference, no state]"
)
ENV_TOKEN = "dckr_pat_FROM-THE-ENVIRONMENT-42"


@pytest.mark.parametrize(("stack", "namespace"), [("prod", "gitlab"), ("staging", "gitlabstaging")])
def test_each_stack_has_the_three_repositories_in_its_namespace(
    stack: str, namespace: str, request: pytest.FixtureRequest
) -> None:
    graph: Graph = request.getfixturevalue(stack)
    repositories = graph.of_type(REPOSITORY)
    assert [(r.name, r.inputs["name"]) for r in repositories] == [
        (f"dockerhub-{name}", name) for name in NAMES
    ]
    for repository in repositories:
        assert repository.inputs["namespace"] == namespace
        assert repository.inputs["visibility"] == "public"
        assert repository.inputs["__provider"] == PROVIDER
        assert graph.get(repository.parent or "").type == "aigw:delivery:DockerHubRelease"
    assert graph.outputs["dockerHubRepositories"] == {
        name: f"docker.io/{namespace}/{name}" for name in NAMES
    }


def test_prod_repositories_can_never_be_deleted_by_the_stack(prod: Graph) -> None:
    for repository in prod.of_type(REPOSITORY):
        assert repository.protect, repository.name
        assert repository.retain_on_delete, repository.name
    tree = text.render(prod)
    assert (
        "dynamic/dockerhub:Repository dockerhub-model-gateway-self-hosted  namespace=gitlab "
        "name=model-gateway-self-hosted visibility=public  [protect, retain]"
    ) in tree


def test_prod_adopts_the_live_descriptions_and_staging_manages_its_own(
    prod: Graph, staging: Graph
) -> None:
    for repository in prod.of_type(REPOSITORY):
        assert "shortDescription" not in repository.inputs
        assert "fullDescription" not in repository.inputs
    sandbox = staging.named("dockerhub-model-gateway-self-hosted")
    assert not sandbox.protect
    assert sandbox.inputs["shortDescription"].startswith("Staging build of the GitLab AI Gateway")
    assert sandbox.inputs["fullDescription"].startswith("# GitLab AI Gateway (staging)\n")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_both_projects_get_the_push_credentials_only_for_protected_release_tags(
    stack: str, request: pytest.FixtureRequest
) -> None:
    graph: Graph = request.getfixturevalue(stack)
    release = graph.named("dockerhub")
    variables = {v.name: v for v in graph.of_type(VARIABLE) if v.parent == release.urn}
    assert sorted(variables) == [
        f"dockerhub-{project}-{part}"
        for project in ("canonical", "security")
        for part in ("password", "username")
    ]
    username = "gitlab" if stack == "prod" else "gitlabstaging"
    for project in ("canonical", "security"):
        release_tags = graph.named(f"{project}-release-tags")
        assert release_tags.inputs["tag"] == "self-hosted-v*-ee"
        password = variables[f"dockerhub-{project}-password"]
        user = variables[f"dockerhub-{project}-username"]
        for variable in (password, user):
            assert variable.inputs["project"] == release_tags.inputs["project"]
            assert variable.inputs["protected"] is True
            assert variable.inputs["raw"] is True
            # Created only once the release tags are protected.
            assert release_tags.urn in variable.dependencies
            assert graph.named(f"{project}-project").urn in variable.dependencies
        assert password.inputs["key"] == "DOCKERHUB_PASSWORD"
        assert (password.inputs["masked"], password.inputs["hidden"]) == (True, True)
        assert password.inputs["value"] == "[secret]"
        # The username is the public namespace, not a credential: masking it would blank out
        # every image reference in the release logs.
        assert user.inputs["key"] == "DOCKERHUB_USERNAME"
        assert (user.inputs["masked"], user.inputs["hidden"]) == (False, False)
        assert user.inputs["value"] == username


def test_prod_variables_sit_in_the_adopted_projects(prod: Graph) -> None:
    assert prod.named("dockerhub-canonical-password").inputs["project"] == "39903947"
    assert prod.named("dockerhub-security-password").inputs["project"] == "61869127"


def test_a_preview_without_a_token_shows_an_unknown_secret(evaluations: Evaluations) -> None:
    revealed = evaluations("prod", reveal_secrets=True)
    assert revealed.named("dockerhub-canonical-password").inputs["value"] == "[unknown]"


def test_the_token_from_the_environment_is_used_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKERHUB_TOKEN", ENV_TOKEN)
    graph = evaluate("staging")
    assert ENV_TOKEN not in json.dumps(graph.to_json())
    assert ENV_TOKEN not in text.render(graph)
    assert graph.named("dockerhub-security-password").inputs["value"] == "[secret]"
    revealed = evaluate("staging", reveal_secrets=True)
    assert revealed.named("dockerhub-security-password").inputs["value"] == ENV_TOKEN


def test_secret_config_wins_over_the_environment(
    scratch_project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERHUB_TOKEN", ENV_TOKEN)
    secret = {"aigw-delivery:dockerhubToken": {"secure": "v1:AAAAencrypted"}}
    root = scratch_project(stacks={"s": {**stack_config("staging"), **secret}})
    graph = evaluate("s", root=root, reveal_secrets=True)
    placeholder = secret_placeholder("v1:AAAAencrypted")
    assert graph.named("dockerhub-canonical-password").inputs["value"] == placeholder
    assert placeholder not in json.dumps(evaluate("s", root=root).to_json())


def test_pulumi_up_without_a_token_fails_saying_how_to_set_it() -> None:
    raw = {
        k.split(":", 1)[1]: v if isinstance(v, str) else json.dumps(v)
        for k, v in stack_config("staging").items()
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, environ={}, dry_run=False)
    assert str(caught.value) == (
        "invalid configuration for aigw-delivery (1 problem):\n"
        "  - aigw-delivery:dockerhubToken: is not set and DOCKERHUB_TOKEN is not in the "
        "environment: `pulumi up` needs the Docker Hub push token for the DOCKERHUB_PASSWORD CI "
        "variables; set it with `pulumi config set --secret aigw-delivery:dockerhubToken` or "
        "export DOCKERHUB_TOKEN"
    )
    settings = parse_settings(raw, environ={"DOCKERHUB_TOKEN": ENV_TOKEN}, dry_run=False)
    assert settings.dockerhub_token is not None
    assert ENV_TOKEN not in repr(settings)


@pytest.mark.parametrize("token", ["short", "has a space in it"])
def test_a_token_gitlab_cannot_mask_is_refused_without_showing_it(token: str) -> None:
    raw = {
        k.split(":", 1)[1]: v if isinstance(v, str) else json.dumps(v)
        for k, v in stack_config("staging").items()
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, environ={"DOCKERHUB_TOKEN": token})
    assert "  - DOCKERHUB_TOKEN (environment) = [secret]: must be at least 8 characters" in str(
        caught.value
    )
    assert token not in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        parse_settings({**raw, "dockerhubToken": token}, secret={"dockerhubToken"})
    assert "  - aigw-delivery:dockerhubToken = [secret]: must be at least 8" in str(caught.value)
    assert token not in str(caught.value)


def test_a_plain_text_token_is_refused_without_showing_it() -> None:
    with pytest.raises(EngineError) as caught:
        evaluate("prod", ["dockerhubToken=dckr_pat_in-plain-text"])
    assert "aigw-delivery:dockerhubToken: is not a secret" in str(caught.value)
    assert "dckr_pat_in-plain-text" not in str(caught.value)
