"""`python -m stackctl check`: the real stacks pass, unsafe config is caught and named, and the
offline run agrees with the policy SDK's own analyzer.

The verb runs in this process (`run_cli`), on evaluations shared per (stack, overrides)
(`shared_evaluations`): several tests check the same preview under other policy configs.
That `python -m stackctl` runs as a command is tests/test_cli.py's."""

from __future__ import annotations

import json

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.proxy import UnknownValueError

from stackctl.check import CheckError, check_graph, policy_properties, resource_options
from stackctl.engine import ROOT, Graph, Resource
from stackctl.policy_config import default_config_file, load_policy_config
from tests.conftest import Evaluations, run_cli
from tests.policy_harness import RealAnalyzer, as_diagnostics, diagnostics_set

MIRROR_URN = (
    "urn:pulumi:{}::aigw-delivery::aigw:delivery:PushMirror"
    "$gitlab:index/projectPushMirror:ProjectPushMirror::mirror-push"
)
SECURITY_URN = (
    "urn:pulumi:{}::aigw-delivery::aigw:delivery:SourceProject"
    "$gitlab:index/project:Project::security-project"
)


pytestmark = pytest.mark.usefixtures("shared_evaluations")


@pytest.fixture(scope="module", params=["staging", "prod"])
def preview(request: pytest.FixtureRequest, evaluations: Evaluations) -> Graph:
    """Each real stack as a preview of a new stack sees it."""
    return evaluations(request.param, unknowns=True)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_both_stacks_pass_every_mandatory_policy(capsys, evaluations, stack) -> None:
    code, out, err = run_cli(capsys, "check", stack)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    resources = len(evaluations(stack).resources)
    assert lines[0] == (
        f"policy pack aigw-delivery · stack {stack} · 17 policies over {resources} resources · "
        f"config policy/config/{stack}.json"
    )
    assert "mandatory  " not in out
    assert "advisory  " not in out
    notes = out.count("\nnot checked  ")
    assert out.count("can't be known during preview") == notes
    # The mirror URL is a secret built from a token minted on the first update, and each
    # token's expiry comes from its rotation period, created in the same update (the mirror
    # token and one pull token per registry: staging pulls from two): only those.
    expected = {"staging": 4, "prod": 3}[stack]
    assert notes == expected
    assert lines[-1] == (
        "passed: 0 mandatory violations, 0 advisory violations, "
        f"{expected} policy runs not finished on values unknown before the update"
    )


def test_what_a_preview_cannot_know_is_reported_as_not_checked(capsys) -> None:
    """The mirror URL embeds a token minted on the first update: as in `pulumi preview`, the
    https check cannot run, which is a note, not a violation and not a crash."""
    _, out, _ = run_cli(capsys, "check", "staging")
    assert (
        "not checked  push-mirror-protected-branches-https\n"
        "  gitlab:index/projectPushMirror:ProjectPushMirror mirror-push\n"
        f"  {MIRROR_URN.format('staging')}\n"
        "  can't run policy 'push-mirror-protected-branches-https' during preview: "
        "string value at .url can't be known during preview"
    ) in out


UNSAFE = ["source.security.visibility=public", "mirror.onlyProtectedBranches=false"]
"""Two unsafe edits of two policies' resources at once: each must be caught on its own."""


@pytest.mark.parametrize(
    ("overrides", "caught"),
    [
        (
            UNSAFE,
            [
                (
                    "security-project-private",
                    "gitlab:index/project:Project security-project",
                    'must be private: visibilityLevel is "public"',
                ),
                (
                    "push-mirror-protected-branches-https",
                    "gitlab:index/projectPushMirror:ProjectPushMirror mirror-push",
                    "onlyProtectedBranches is false: the mirror would push every branch",
                ),
            ],
        ),
        (
            ["source.security.visibility=internal"],
            [
                (
                    "security-project-private",
                    "gitlab:index/project:Project security-project",
                    'visibilityLevel is "internal"',
                )
            ],
        ),
    ],
    ids=["public-and-every-branch", "internal"],
)
@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_unsafe_config_is_caught_naming_the_resource(capsys, stack, overrides, caught) -> None:
    code, out, _ = run_cli(capsys, "check", stack, *(f"--config={o}" for o in overrides))
    assert code == 1
    for policy, resource, reason in caught:
        block = out.split(f"mandatory  {policy}\n", 1)[1]
        assert block.startswith(f"  {resource}\n  urn:pulumi:{stack}::")
        assert reason in block.split("\n\n", 1)[0]
    violations = f"{len(caught)} mandatory violation{'s' if len(caught) > 1 else ''},"
    assert out.splitlines()[-1].startswith(f"FAILED: {violations}")


def test_docker_hub_repositories_outside_the_stacks_namespace_are_caught(capsys) -> None:
    code, out, _ = run_cli(capsys, "check", "staging", "-c", "dockerhub.namespace=gitlab")
    assert code == 1
    blocks = out.split("mandatory  dockerhub-allowed-namespaces\n")[1:]
    named = sorted(block.splitlines()[0].split()[-1] for block in blocks)
    assert named == [
        "dockerhub-model-gateway",
        "dockerhub-model-gateway-self-hosted",
        "dockerhub-model-gateway-self-hosted-fips",
    ]
    assert 'is in namespace "gitlab"; this stack may only use gitlabstaging' in out


def test_a_stack_checked_without_its_policy_config_is_held_to_production(
    capsys, tmp_path, evaluations
) -> None:
    empty = tmp_path / "none.json"
    empty.write_text("")
    code, out, _ = run_cli(capsys, "check", "staging", "--policy-config", str(empty))
    assert code == 1
    # Every GitLab project and Docker Hub repository: none is protected in staging.
    graph = evaluations("staging")
    kept = len(graph.of_type("gitlab:index/project:Project")) + len(
        graph.of_type("pulumi-python:dynamic/dockerhub:Repository")
    )
    assert kept >= 5
    assert out.count("mandatory  prod-resources-protected\n") == kept
    assert "set protect, retain_on_delete" in out


@pytest.mark.parametrize(
    ("level", "code", "shown"),
    [
        ("advisory", 0, "advisory  security-project-private"),
        ("disabled", 0, None),
        ("remediate", 1, "mandatory  security-project-private"),  # as the SDK's analyzer does
    ],
)
def test_enforcement_levels_come_from_policy_config(capsys, tmp_path, level, code, shown) -> None:
    config = tmp_path / "prod.json"
    settings = json.loads((ROOT / "policy/config/prod.json").read_text())
    settings["security-project-private"] = {"enforcementLevel": level}
    settings["push-mirror-protected-branches-https"] = {"enforcementLevel": "advisory"}
    config.write_text(json.dumps(settings))
    argv = ["check", "prod", *(f"--config={o}" for o in UNSAFE)]
    status, out, _ = run_cli(capsys, *argv, "--policy-config", str(config))
    assert status == code
    assert ("security-project-private\n" in out) is (shown is not None)
    if shown:
        assert shown in out
    assert "advisory  push-mirror-protected-branches-https\n" in out


def test_all_sets_every_level_as_in_the_cli(capsys, tmp_path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"all": "advisory"}))
    argv = ["check", "prod", *(f"--config={o}" for o in UNSAFE)]
    code, out, _ = run_cli(capsys, *argv, "--policy-config", str(config))
    assert code == 0
    assert "advisory  push-mirror-protected-branches-https" in out
    assert "advisory  security-project-private" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON"),
        ("[]", "must be a JSON object keyed by policy name"),
        ('{"no-such-policy": "advisory"}', "no-such-policy: no such policy in the pack"),
        ('{"iam-no-basic-roles": "sometimes"}', "'sometimes' is not an enforcement level"),
        (
            '{"cloud-run-image-pinned-by-digest": {"requireDigests": false}}',
            "requireDigests: not a setting of this policy (settings: requireDigest)",
        ),
        (
            '{"dockerhub-allowed-namespaces": {"allowedNamespaces": "gitlab"}}',
            "allowedNamespaces: 'gitlab' is not of type 'array'",
        ),
    ],
)
def test_bad_policy_config_is_one_clear_error(capsys, tmp_path, content, message) -> None:
    config = tmp_path / "bad.json"
    config.write_text(content)
    code, out, err = run_cli(capsys, "check", "prod", "--policy-config", str(config))
    assert (code, out) == (1, "")
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_bad_stack_config_is_the_engines_error(capsys) -> None:
    code, out, err = run_cli(capsys, "check", "prod", "-c", "source.canonical.importId=x")
    assert (code, out) == (1, "")
    assert "aigw-delivery:source.canonical.importId" in err


def test_a_policy_sees_properties_as_the_engine_sends_them() -> None:
    """Unknowns behind the SDK's proxy, secrets unseen (but marked), `__` keys dropped,
    numbers as protobuf doubles."""
    inputs = {
        "__provider": "pickled-provider",
        "expirationDays": 90,
        "url": "[secret]",
        "project": "[unknown]",
        "nested": {"__internal": 1, "list": ["a", "[unknown]"]},
    }
    props = policy_properties(inputs)
    assert set(props) == {"expirationDays", "url", "project", "nested"}
    assert props["expirationDays"] == 90.0
    assert isinstance(props["expirationDays"], float)
    assert set(props["nested"]) == {"list"}
    assert props["nested"]["list"][0] == "a"
    with pytest.raises(UnknownValueError) as url:
        _ = props["url"]
    with pytest.raises(UnknownValueError) as item:
        _ = props["nested"]["list"][1]
    assert url.value.message == "string value at .url can't be known during preview"
    assert item.value.message == "string value at .nested.list.1 can't be known during preview"
    record = Resource("urn:x", "t", "n", None, True, inputs, (), {}, True, False, None)
    options = resource_options(record)
    assert (options.protect, options.retain_on_delete) == (True, False)
    assert options.secret_properties == {"url"}


def test_a_policy_that_crashes_is_an_error_naming_it(evaluations) -> None:
    def broken(args, report):
        raise KeyError("template")

    policy = ResourceValidationPolicy(name="broken", description="Broken.", validate=broken)
    stack = evaluations("prod", unknowns=True)
    with pytest.raises(CheckError, match=r"policy broken failed on urn:pulumi:prod::.*KeyError"):
        check_graph(stack, load_policy_config(None, [policy]), [policy])


def test_offline_and_the_real_analyzer_agree_on_the_real_stacks(preview) -> None:
    settings = load_policy_config(default_config_file(preview.stack))
    offline = check_graph(preview, settings).findings
    real = RealAnalyzer(settings).analyze_all(preview)
    assert as_diagnostics(offline) == diagnostics_set(real)
    assert {d.level for d in real} == {EnforcementLevel.ADVISORY}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_offline_and_the_real_analyzer_agree_on_violations(evaluations, stack) -> None:
    unsafe = evaluations(stack, UNSAFE, unknowns=True)
    settings = load_policy_config(default_config_file(stack))
    offline = check_graph(unsafe, settings).findings
    real = diagnostics_set(RealAnalyzer(settings).analyze_all(unsafe))
    assert as_diagnostics(offline) == real
    mandatory = {(policy, urn) for policy, urn, level, _ in real if level.value == "mandatory"}
    assert mandatory == {
        ("security-project-private", SECURITY_URN.format(stack)),
        ("push-mirror-protected-branches-https", MIRROR_URN.format(stack)),
    }


def test_a_mandatory_violation_exits_1_with_nothing_on_stderr(capsys) -> None:
    """What CI's policy job reads: the exit code, the violation on stdout, stderr empty (the
    process's exit code is `main`'s: tests/test_cli.py runs the module as a command)."""
    code, out, err = run_cli(capsys, "check", "prod", *(f"--config={o}" for o in UNSAFE))
    assert code == 1, err
    assert "mandatory  push-mirror-protected-branches-https" in out
    assert err == ""
