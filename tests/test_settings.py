"""Bad config fails the whole run, names every problem, and registers nothing."""

from __future__ import annotations

import json

import pytest

from components.settings import SettingsError, parse_settings
from stackctl.engine import STACK_TYPE, EngineError, evaluate
from tests.conftest import stack_config

# (stack, overrides, the config key the message must name, a phrase of the rule)
BAD_CONFIGS = [
    ("prod", ["environment=production"], "aigw-delivery:environment", "'staging' or 'prod'"),
    ("prod", ["bogus=1"], "aigw-delivery:bogus", "not a known setting"),
    (
        "prod",
        ["source.canonical.visibilty=public"],
        "aigw-delivery:source.canonical.visibilty",
        "not a known setting",
    ),
    (
        "prod",
        ["source.canonical.importId=abc"],
        "aigw-delivery:source.canonical.importId",
        "valid integer",
    ),
    (
        "prod",
        ["source.canonical.importId=-4"],
        "aigw-delivery:source.canonical.importId",
        "greater than 0",
    ),
    (
        "prod",
        ['source.canonical.importId="39903947"'],
        "aigw-delivery:source.canonical.importId",
        "valid integer",
    ),
    (
        "prod",
        ["source.security.importId=null"],
        "aigw-delivery:source.security.importId",
        "prod adopts existing projects",
    ),
    (
        "prod",
        ["source.canonical.path=ai-assist"],
        "aigw-delivery:source.canonical.path",
        "GitLab project path",
    ),
    (
        "prod",
        ["source.canonical.path=gitlab-org/-bad"],
        "aigw-delivery:source.canonical.path",
        "GitLab project path",
    ),
    (
        "staging",
        ["source.security.path=gitlab-org/x/project.git"],
        "aigw-delivery:source.security.path",
        "must not end in '.git'",
    ),
    (
        "prod",
        ["source.security.visibility=secret"],
        "aigw-delivery:source.security.visibility",
        "'private', 'internal' or 'public'",
    ),
    (
        "prod",
        ["source.security.importId=39903947"],
        "aigw-delivery:source.security",
        "importId is the canonical project's",
    ),
    (
        "staging",
        [
            "source.security.path="
            + stack_config("staging")["aigw-delivery:source"]["canonical"]["path"]
        ],
        "aigw-delivery:source.security",
        "different project",
    ),
    (
        "prod",
        ["release.tagPattern=v*"],
        "aigw-delivery:release.tagPattern",
        "self-hosted-vX.Y.Z-ee",
    ),
    (
        "prod",
        ["release.tagPattern=self-hosted-*"],
        "aigw-delivery:release.tagPattern",
        "self-hosted-vX.Y.Z-ee",
    ),
    (
        "prod",
        ["release.stableBranchPattern=stable-*"],
        "aigw-delivery:release.stableBranchPattern",
        "stable-X-Y-ee",
    ),
    (
        "prod",
        ["mirror.rotateBeforeDays=120", "mirror.tokenExpirationDays=100"],
        "aigw-delivery:mirror.rotateBeforeDays",
        "less than or equal to 90",
    ),
    (
        "prod",
        ["mirror.rotateBeforeDays=30", "mirror.tokenExpirationDays=30"],
        "aigw-delivery:mirror.rotateBeforeDays",
        "less than tokenExpirationDays",
    ),
    (
        "prod",
        ["mirror.tokenExpirationDays=ninety"],
        "aigw-delivery:mirror.tokenExpirationDays",
        "valid integer",
    ),
    (
        "prod",
        ["mirror.onlyProtectedBranches=yes"],
        "aigw-delivery:mirror.onlyProtectedBranches",
        "valid boolean",
    ),
    (
        "prod",
        ["source.registry.cleanup.keepN=7"],
        "aigw-delivery:source.registry.cleanup.keepN",
        "1, 5, 10, 25, 50 or 100",
    ),
    (
        "prod",
        ["source.registry.cleanup.nameRegexKeep=(unclosed"],
        "aigw-delivery:source.registry.cleanup.nameRegexKeep",
        "valid regular expression",
    ),
    (
        "prod",
        ["source.registry.repository=Model Gateway"],
        "aigw-delivery:source.registry.repository",
        "container repository name",
    ),
    (
        "prod",
        ["source.package.name=duo-workflow-service"],
        "aigw-delivery:source.package.name",
        "scoped npm package",
    ),
    (
        "prod",
        ["source.package.registryAccessLevel=private"],
        "aigw-delivery:source.package.registryAccessLevel",
        "'enabled' or 'public'",
    ),
    ("prod", ["gitlab.url=http://gitlab.com"], "aigw-delivery:gitlab.url", "https:// URL"),
    ("prod", ["source.canonical=null"], "aigw-delivery:source.canonical", "valid dictionary"),
    ("prod", ['source={"security": {}}'], "aigw-delivery:source.canonical", "required"),
    ("prod", ["dockerhub={}"], "aigw-delivery:dockerhub.namespace", "required"),
    (
        "prod",
        ["dockerhub.namespace=GitLab"],
        "aigw-delivery:dockerhub.namespace",
        "4 to 30 lowercase letters and digits",
    ),
    (
        "staging",
        ["dockerhub.namespace=gitlab-staging"],
        "aigw-delivery:dockerhub.namespace",
        "4 to 30 lowercase letters and digits",
    ),
    (
        "prod",
        ["dockerhub.username=bot"],
        "aigw-delivery:dockerhub.username",
        "4 to 30 lowercase letters and digits",
    ),
    (
        "prod",
        ["dockerhub.repositories.model-gateway.name=Model_Gateway"],
        "aigw-delivery:dockerhub.repositories.model-gateway.name",
        "Docker Hub repository name",
    ),
    (
        "prod",
        ["dockerhub.repositories.model-gateway.visibility=internal"],
        "aigw-delivery:dockerhub.repositories.model-gateway.visibility",
        "'public' or 'private'",
    ),
    (
        "staging",
        ["dockerhub.repositories.model-gateway.shortDescription=" + "x" * 101],
        "aigw-delivery:dockerhub.repositories.model-gateway.shortDescription",
        "at most 100 characters",
    ),
    (
        "prod",
        ["dockerhub.repositories.model-gateway.colour=blue"],
        "aigw-delivery:dockerhub.repositories.model-gateway.colour",
        "not a known setting (known here: fullDescription, name, shortDescription, visibility)",
    ),
    (
        "prod",
        ["dockerhub.repositories={}"],
        "aigw-delivery:dockerhub.repositories",
        "at least 1 item",
    ),
    (
        "prod",
        ["dockerhub.repositories.self--hosted={}"],
        "aigw-delivery:dockerhub.repositories",
        "the key 'self--hosted' names a resource",
    ),
    (
        "prod",
        ["dockerhub.repositories.model-gateway.name=model-gateway-self-hosted"],
        "aigw-delivery:dockerhub.repositories",
        "two repositories are both named model-gateway-self-hosted",
    ),
    (
        "prod",
        ["dockerhubToken=dckr_pat_in-plain-text"],
        "aigw-delivery:dockerhubToken",
        "is not a secret",
    ),
]


@pytest.mark.parametrize(
    ("stack", "overrides", "key", "rule"),
    BAD_CONFIGS,
    ids=[" ".join(o) for _, o, _, _ in BAD_CONFIGS],
)
def test_bad_config_is_rejected_naming_the_key_and_registering_nothing(
    stack: str, overrides: list[str], key: str, rule: str
) -> None:
    with pytest.raises(EngineError) as caught:
        evaluate(stack, overrides)
    message = str(caught.value)
    assert f"{key} " in message or f"{key}:" in message, message
    assert rule in message, message
    assert [r.type for r in caught.value.resources] == [STACK_TYPE]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(EngineError) as caught:
        evaluate(
            "prod",
            ["environment=qa", "source.canonical.importId=x", "release.tagPattern=v*", "oops=1"],
        )
    message = str(caught.value)
    assert "(4 problems)" in message
    for key in ("environment", "source.canonical.importId", "release.tagPattern", "oops"):
        assert f"aigw-delivery:{key}" in message


def test_the_offending_value_and_rule_are_shown() -> None:
    with pytest.raises(EngineError, match=r'source.canonical.path = "nope": must be a GitLab'):
        evaluate("prod", ["source.canonical.path=nope"])


def test_a_secret_value_is_never_printed() -> None:
    raw = {"environment": "staging", "source": '{"canonical": {"path": "hunter2"}}'}
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, secret={"source"})
    assert "hunter2" not in str(caught.value)
    assert "aigw-delivery:source.canonical.path = [secret]" in str(caught.value)


def test_a_structured_key_that_is_not_json_is_reported() -> None:
    with pytest.raises(SettingsError, match=r"aigw-delivery:mirror = .*structured value"):
        parse_settings({"environment": "prod", "mirror": "{not json", "source": "{}"})


def test_the_real_stacks_are_valid() -> None:
    for stack in ("staging", "prod"):
        config = stack_config(stack)
        raw = {
            k.split(":", 1)[1]: v if isinstance(v, str) else json.dumps(v)
            for k, v in config.items()
            if k.startswith("aigw-delivery:")
        }
        settings = parse_settings(raw)
        assert settings.environment == stack
