"""Explicit providers: every resource and invoke uses the stack's, none falls back to a
default provider, and the offline engine refuses one that would, as the engine does."""

from __future__ import annotations

import json

import pytest
import yaml

from contract import DOCKERHUB_REPOSITORY, Pulumi
from stackctl.engine import ROOT, EngineError, Graph, evaluate
from tests.conftest import MINIMAL_CONFIG, stack_config

STRICT = {k: v for k, v in MINIMAL_CONFIG.items() if not k.startswith("pulumi:")}
"""A scratch stack with the project's own `pulumi:disable-default-providers`."""


def provider_inputs(graph: Graph, package: str) -> dict[str, object]:
    [provider] = graph.of_type(Pulumi.PROVIDER_PREFIX + package)
    return dict(provider.inputs)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_resource_uses_its_packages_explicit_provider(
    stack: str, request: pytest.FixtureRequest
) -> None:
    graph: Graph = request.getfixturevalue(stack)
    providers = {r.urn: r for r in graph.resources if r.type.startswith(Pulumi.PROVIDER_PREFIX)}
    for resource in graph.resources:
        if not resource.custom or resource.urn in providers:
            continue
        if resource.type == DOCKERHUB_REPOSITORY:
            assert resource.provider is None, resource.name  # the dynamic provider's own
            continue
        package = resource.type.split(":", 1)[0]
        assert resource.provider in providers, resource.name
        assert providers[resource.provider].type == Pulumi.PROVIDER_PREFIX + package


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_providers_take_their_configuration_from_settings(
    stack: str, request: pytest.FixtureRequest
) -> None:
    graph: Graph = request.getfixturevalue(stack)
    gcp = provider_inputs(graph, "gcp")
    assert gcp["project"] == stack_config(stack)["aigw-delivery:gcp"]["projectId"]
    assert json.loads(str(gcp["defaultLabels"])) == {"managed-by": "aigw-delivery", "stack": stack}
    gitlab = provider_inputs(graph, "gitlab")
    assert gitlab["baseUrl"] == "https://gitlab.com/api/v4/"
    assert "token" not in gitlab  # GITLAB_TOKEN from the environment, never config


def test_a_google_cloud_resource_is_in_its_providers_project() -> None:
    """No resource repeats `project`; what the provider fills in (the deployers' emails) is
    of the project the provider is configured with."""
    graph = evaluate("staging", ["gcp.projectId=elsewhere-123"])
    assert provider_inputs(graph, "gcp")["project"] == "elsewhere-123"
    assert all("project" not in r.inputs for r in graph.resources if r.type.startswith("gcp:"))
    emails = graph.outputs["deploy"]["deployers"].values()
    assert all(e.endswith("@elsewhere-123.iam.gserviceaccount.com") for e in emails)


def test_default_providers_are_disabled_for_every_package_the_program_uses(
    staging: Graph,
) -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    disabled = project["config"]["pulumi:disable-default-providers"]["value"]
    packages = {
        r.type.removeprefix(Pulumi.PROVIDER_PREFIX)
        if r.type.startswith(Pulumi.PROVIDER_PREFIX)
        # the dynamic provider's package: see the test below
        else r.type.split(":", 1)[0]
        for r in staging.resources
        if r.custom
    }
    assert set(disabled) == packages - {"pulumi-python"}


def test_a_resource_without_its_provider_fails_like_the_engine(scratch_project) -> None:
    root = scratch_project(
        stacks={"x": STRICT},
        program="import pulumi_gitlab as gitlab\ngitlab.Project('p', name='p')\n",
    )
    with pytest.raises(EngineError) as failure:
        evaluate("x", root=root)
    assert str(failure.value) == (
        "Default provider for 'gitlab' disabled. 'urn:pulumi:x::aigw-delivery::"
        "pulumi:pulumi:Stack$gitlab:index/project:Project::p' must use an explicit provider."
    )


def test_an_invoke_without_its_provider_fails_like_the_engine(scratch_project) -> None:
    root = scratch_project(
        stacks={"x": STRICT},
        program="import pulumi_gitlab as gitlab\ngitlab.get_group(full_path='g')\n",
    )
    with pytest.raises(EngineError, match=r"Invoke: Default provider for 'gitlab' disabled\. "):
        evaluate("x", root=root)


def test_an_explicit_provider_inherited_from_a_component_is_enough(scratch_project) -> None:
    program = (
        "import pulumi\nimport pulumi_gitlab as gitlab\n"
        "provider = gitlab.Provider('gitlab')\n"
        "box = pulumi.ComponentResource('x:y:Box', 'box', None,"
        " pulumi.ResourceOptions(providers=[provider]))\n"
        "group = gitlab.get_group(full_path='g', opts=pulumi.InvokeOptions(parent=box))\n"
        "gitlab.Project('p', name='p', namespace_id=group.group_id,"
        " opts=pulumi.ResourceOptions(parent=box))\n"
    )
    root = scratch_project(stacks={"x": STRICT}, program=program)
    graph = evaluate("x", root=root)
    assert graph.named("p").provider == graph.named("gitlab").urn


def test_disabling_every_default_provider_would_stop_the_docker_hub_repositories() -> None:
    """Why Pulumi.yaml lists packages instead of `*`: the engine would deny the Python dynamic
    provider's default too, and the Docker Hub repositories have no other."""
    with pytest.raises(EngineError, match="Default provider for 'pulumi-python' disabled"):
        evaluate("staging", ['pulumi:disable-default-providers=["*"]'])


def test_gcloud_settings_of_the_environment_stay_out_of_the_graph(
    staging: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Google Cloud SDK fills an unset provider `region` from the environment; the
    offline graph (and the hash promote compares) must not depend on the machine."""
    monkeypatch.setenv("CLOUDSDK_COMPUTE_REGION", "europe-north1")
    monkeypatch.setenv("GOOGLE_ZONE", "europe-north1-a")
    again = evaluate("staging")
    assert "region" not in provider_inputs(again, "gcp")
    assert again.to_json() == staging.to_json()
