"""The offline engine: the graph it records, re-runs in one process, and its failures."""

from __future__ import annotations

import inspect
import json
import sys

import pytest

from stackctl.engine import STACK_TYPE, EngineError, Graph, evaluate
from tests.conftest import MINIMAL_CONFIG, Evaluations, stack_config


def test_a_later_run_in_the_same_process_is_as_the_first(staging: Graph, prod: Graph) -> None:
    """The first runs are the session's (this process evaluated both stacks for the
    fixtures); what the rest of the suite shares between tests rests on this. Each run here
    follows one of the other stack, so nothing may leak from one into the next, and the
    program's modules are kept: re-importing them on every run would cost more than the
    run."""
    settings_module = sys.modules["components.settings"]
    again_prod = evaluate("prod")
    again_staging = evaluate("staging")
    assert again_prod.to_json() == prod.to_json()
    assert again_staging.to_json() == staging.to_json()
    assert staging.to_json() != prod.to_json()
    assert all(
        r.urn.startswith("urn:pulumi:staging::aigw-delivery::") for r in again_staging.resources
    )
    assert again_staging.outputs["environment"] == "staging"
    assert sys.modules["components.settings"] is settings_module


def test_json_has_exactly_the_documented_shape(prod: Graph) -> None:
    document = json.loads(json.dumps(prod.to_json()))
    assert set(document) == {"project", "stack", "resources", "outputs"}
    assert (document["project"], document["stack"]) == ("aigw-delivery", "prod")
    for resource in document["resources"]:
        assert set(resource) == {
            "urn",
            "type",
            "name",
            "parent",
            "custom",
            "inputs",
            "dependencies",
            "protect",
            "retainOnDelete",
            "importId",
            "provider",
        }
    roots = [r for r in document["resources"] if r["parent"] is None]
    assert [r["type"] for r in roots] == [STACK_TYPE]
    urns = {r["urn"] for r in document["resources"]}
    for resource in document["resources"]:
        assert resource["parent"] is None or resource["parent"] in urns
        assert set(resource["dependencies"]) <= urns


def test_secrets_are_shown_as_markers_never_as_values(
    prod: Graph, evaluations: Evaluations
) -> None:
    text = json.dumps(prod.to_json())
    assert "glpat-" not in text
    assert prod.named("mirror-push").inputs["url"] == "[secret]"
    revealed = evaluations("prod", reveal_secrets=True)
    assert revealed.named("mirror-push").inputs["url"].startswith("https://push-mirror:")


def test_components_parent_their_resources(prod: Graph) -> None:
    components = {r.name: r for r in prod.resources if r.type.startswith("aigw:delivery:")}
    assert set(components) == {
        "canonical",
        "security",
        "mirror",
        "pull",
        "identity",
        "aigw",
        "dws",
        "ai-gateway",
        "duo-workflow-svc",
        "dockerhub",
    }
    for resource in prod.resources:
        if resource.custom and resource.name not in ("gcp", "gitlab", "time"):  # the providers
            parent = prod.get(resource.parent or "")
            assert parent.type.startswith("aigw:delivery:"), resource.name
            assert resource.name.startswith(parent.name + "-"), resource.name


def test_unknowns_mode_leaves_what_providers_compute_unknown(evaluations: Evaluations) -> None:
    graph = evaluations("staging", unknowns=True)
    assert graph.named("canonical-main").inputs["project"] == "[unknown]"
    assert graph.outputs["canonicalProject"]["id"] == "[unknown]"
    # What the program knows by itself stays known.
    assert graph.outputs["canonicalProject"]["path"].endswith("/ai-assist")


def test_reordering_config_changes_no_urn(evaluations: Evaluations) -> None:
    """Mappings and lists given in another order: the same identities."""

    def reverse(value: object) -> object:
        if isinstance(value, dict):
            return {k: reverse(v) for k, v in reversed(list(value.items()))}
        if isinstance(value, list):
            return [reverse(v) for v in reversed(value)]
        return value

    for stack in ("staging", "prod"):
        overrides = [
            f"{key}={json.dumps(reverse(value))}"
            for key, value in reversed(list(stack_config(stack).items()))
        ]
        before = {r.urn for r in evaluations(stack).resources}
        assert {r.urn for r in evaluate(stack, overrides).resources} == before


def test_two_resources_with_one_urn_are_refused(scratch_project) -> None:
    root = scratch_project(
        stacks={"x": MINIMAL_CONFIG},
        program=(
            "import pulumi_gitlab as gitlab\n"
            "gitlab.Project('twice', name='a')\n"
            "gitlab.Project('twice', name='b')\n"
        ),
    )
    with pytest.raises(EngineError, match=r"two resources share the URN .*Project::twice"):
        evaluate("x", root=root)


def test_a_failing_program_names_the_error_and_the_line(scratch_project) -> None:
    root = scratch_project(
        stacks={"x": MINIMAL_CONFIG},
        program="import pulumi_gitlab as gitlab\n\ngitlab.Project('p', nmae='typo')\n",
    )
    with pytest.raises(
        EngineError, match=r"the program failed: TypeError: .*nmae.* \(at __main__.py:3\)"
    ):
        evaluate("x", root=root)


def test_an_invoke_without_an_offline_answer_is_named(scratch_project) -> None:
    root = scratch_project(
        stacks={"x": MINIMAL_CONFIG},
        program="import pulumi_gitlab as gitlab\n\ngitlab.get_user(username='x')\n",
    )
    with pytest.raises(
        EngineError, match="no answer for the invoke 'gitlab:index/getUser:getUser'"
    ):
        evaluate("x", root=root)


def test_the_program_runs_as_in_a_preview(scratch_project) -> None:
    """Offline nothing is applied: a program may leave a value it lacks unknown, as in
    `pulumi preview`, and must refuse only when it is really applied."""
    root = scratch_project(
        stacks={"x": MINIMAL_CONFIG},
        program="import pulumi\n\npulumi.export('dry', pulumi.runtime.is_dry_run())\n",
    )
    assert evaluate("x", root=root).outputs == {"dry": True}


def test_chains_follow_dependencies(prod: Graph) -> None:
    """The mirror waits for the security project's token, which waits for the project and its
    rotation period (two chains of the same length: either is the longest)."""
    names = [prod.get(urn).name for urn in prod.chain(prod.named("mirror-push").urn)]
    assert names[1:] == ["mirror-token", "mirror-push"]
    assert names[0] in ("security-project", "mirror-token-period")
    assert prod.chain(prod.named("canonical-project").urn) == (prod.named("canonical-project").urn,)
    assert len(prod.longest_chain()) >= len(names)


TRANSFORMS_PROGRAM = """\
import pulumi
import pulumi_gitlab as gitlab

def tagging(tag):
    def transform(args):
        said = args.props.get("description") or ""
        props = {**args.props, "description": f"{said}{tag},"}
        return pulumi.ResourceTransformResult(props, args.opts)
    return transform

def protecting(args):
    if args.type_ != "gitlab:index/project:Project":
        return None
    opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True))
    return pulumi.ResourceTransformResult(args.props, opts)

pulumi.runtime.register_resource_transform(tagging("stack"))
pulumi.runtime.register_resource_transform(protecting)
outer = pulumi.ComponentResource(
    "x:y:Outer", "outer", None, pulumi.ResourceOptions(transforms=[tagging("outer")])
)
inner = pulumi.ComponentResource(
    "x:y:Inner", "inner", None,
    pulumi.ResourceOptions(parent=outer, transforms=[tagging("inner")]),
)
gitlab.Project(
    "p", name="p",
    opts=pulumi.ResourceOptions(parent=inner, transforms=[tagging("own")]),
)
gitlab.ProjectVariable("v", project="1", key="K", value="v")
"""


def test_transforms_run_as_the_engine_runs_them(scratch_project) -> None:
    """The resource's own transforms, then its ancestors' nearest first, then the stack's in
    the order registered (pkg/resource/deploy/source_eval.go); what they change, properties
    and options, is what the graph records."""
    root = scratch_project(stacks={"x": MINIMAL_CONFIG}, program=TRANSFORMS_PROGRAM)
    graph = evaluate("x", root=root)
    project = graph.named("p")
    assert project.inputs["description"] == "own,inner,outer,stack,"
    assert project.protect is True
    variable = graph.named("v")
    assert variable.inputs["description"] == "stack,"
    assert variable.protect is False
    assert variable.inputs["value"] == "v"


def test_offline_registrations_skip_only_the_sdks_stack_capture() -> None:
    """`_no_source_positions` replaces the function the SDK calls for each registration's
    source position, for a run only: if an SDK release stops calling it, the saving would be
    gone silently, and after a run the SDK's own function is back."""
    from pulumi.runtime import resource as resource_runtime

    source = inspect.getsource(resource_runtime.register_resource)
    assert "stack_trace = _get_stack_trace()" in source
    assert resource_runtime._get_stack_trace.__module__ == "pulumi.runtime.resource"
