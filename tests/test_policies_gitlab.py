"""GitLab policies on hand-built graphs: each passes the delivery's shapes and catches the
unsafe variant; unknown values are notes, never violations."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from pulumi_policy import EnforcementLevel

from policy.delivery import credentials, gitlab
from policy.delivery.protection import prod_resources_protected
from tests.policy_harness import (
    UNKNOWN,
    RealAnalyzer,
    graph,
    not_checked,
    resource,
    settings,
    violations,
)

PROJECT = "gitlab:index/project:Project"
TOKEN = "gitlab:index/projectAccessToken:ProjectAccessToken"
MIRROR = "gitlab:index/projectPushMirror:ProjectPushMirror"
VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
TAGS = "gitlab:index/tagProtection:TagProtection"
SECRET = "[secret]"


def projects_and_mirror(security_visibility: object = "private", project_id: object = UNKNOWN):
    """The delivery's mirror: a write token on security, a mirror on canonical built from it."""
    canonical = resource(PROJECT, "canonical-project", {"visibilityLevel": "public"})
    security = resource(PROJECT, "security-project", {"visibilityLevel": security_visibility})
    token = resource(
        TOKEN,
        "mirror-token",
        {
            "project": project_id,
            "scopes": ["write_repository"],
            "expiresAt": "2027-01-31",
        },
        deps={"project": [security]},
    )
    mirror = resource(
        MIRROR,
        "mirror-push",
        {
            "project": UNKNOWN,
            "url": SECRET,
            "onlyProtectedBranches": True,
            "keepDivergentRefs": True,
        },
        deps={"project": [canonical], "url": [token]},
    )
    return canonical, security, token, mirror


# --- security-project-private ----------------------------------------------------------------


def test_the_mirror_target_is_the_security_project_and_private_passes() -> None:
    assert violations(gitlab.security_project_private, *projects_and_mirror()) == []


@pytest.mark.parametrize("visibility", ["public", "internal", None])
def test_a_security_project_that_is_not_private_is_named(visibility) -> None:
    found = violations(gitlab.security_project_private, *projects_and_mirror(visibility))
    assert len(found) == 1
    name, message = found[0]
    assert name == "security-project"  # not the public canonical project
    assert "push mirror mirror-push pushes to it" in message
    assert ("unset" if visibility is None else f'"{visibility}"') in message


def test_the_target_is_found_through_edges_even_when_every_value_is_unknown() -> None:
    """A new staging stack: project ids, the token and the URL are all unknown."""
    parts = projects_and_mirror("public")
    assert [n for n, _ in violations(gitlab.security_project_private, *parts)] == [
        "security-project"
    ]
    assert not_checked(gitlab.security_project_private, *parts) == []


def test_an_unknown_visibility_is_a_note_not_a_violation() -> None:
    parts = projects_and_mirror(UNKNOWN)
    assert violations(gitlab.security_project_private, *parts) == []
    assert not_checked(gitlab.security_project_private, *parts) == [
        "can't run policy 'security-project-private' during preview: "
        "string value at .visibilityLevel can't be known during preview"
    ]


def test_a_mirror_whose_target_cannot_be_seen_fails_closed() -> None:
    mirror = resource(MIRROR, "elsewhere", {"url": SECRET, "onlyProtectedBranches": True})
    [(name, message)] = violations(gitlab.security_project_private, mirror)
    assert name == "elsewhere"
    assert "cannot tell which project the push mirror elsewhere pushes to" in message


# --- prod-resources-protected (GitLab projects) ------------------------------------------------


def test_prod_projects_must_be_protected_retained_and_archived() -> None:
    kept = resource(PROJECT, "kept", {"archiveOnDestroy": True}, protect=True, retain=True)
    bare = resource(PROJECT, "bare", {})
    assert violations(prod_resources_protected, kept) == []
    [(name, message)] = violations(prod_resources_protected, bare)
    assert name == "bare"
    assert "set protect, retain_on_delete, archiveOnDestroy: true" in message


def test_outside_production_projects_need_no_protection() -> None:
    bare = resource(PROJECT, "bare", {})
    assert violations(prod_resources_protected, bare, config={"production": False}) == []


def test_under_the_cli_retain_on_delete_is_invisible_and_protect_is_checked() -> None:
    """The analyzer protocol has no retainOnDelete: the real path checks protect only."""
    analyzer = RealAnalyzer(settings(), [prod_resources_protected])
    protected = resource(PROJECT, "p", {"archiveOnDestroy": True}, protect=True)
    unprotected = resource(PROJECT, "u", {"archiveOnDestroy": True})
    assert analyzer.analyze(protected) == []
    [found] = analyzer.analyze(unprotected)
    assert found.message.endswith("set protect")


# --- push-mirror-protected-branches-https --------------------------------------------------------


def mirror(**inputs: object):
    return resource(MIRROR, "mirror-push", {"project": "1", **inputs})


def test_a_mirror_of_protected_branches_over_https_passes() -> None:
    safe = mirror(
        url="https://u:t@gitlab.com/a/b.git", onlyProtectedBranches=True, keepDivergentRefs=True
    )
    assert violations(gitlab.push_mirror_protected_https, safe) == []
    assert not_checked(gitlab.push_mirror_protected_https, safe) == []


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"onlyProtectedBranches": False}, "onlyProtectedBranches is false"),
        ({}, "onlyProtectedBranches is unset"),
        # The security project's diverged refs (unreleased fixes) would be overwritten.
        ({"onlyProtectedBranches": True, "keepDivergentRefs": False}, "keepDivergentRefs is false"),
        ({"onlyProtectedBranches": True}, "keepDivergentRefs is unset"),
    ],
)
def test_an_unsafe_mirror_is_caught(inputs, expected) -> None:
    found = violations(
        gitlab.push_mirror_protected_https, mirror(url="https://x@h/p.git", **inputs)
    )
    assert [m for _, m in found if expected in m]


def test_a_mirror_over_ssh_is_caught_without_showing_the_url() -> None:
    found = violations(
        gitlab.push_mirror_protected_https,
        mirror(
            url="ssh://git:glpat-s3cr3t@host/p.git",
            onlyProtectedBranches=True,
            keepDivergentRefs=True,
        ),
    )
    assert [m for _, m in found] == [
        "the mirror must push over https, not 'ssh' (the URL itself is not shown: it carries "
        "a token)"
    ]


def test_an_unknown_url_keeps_the_other_findings_and_notes_the_rest() -> None:
    """As in a preview of a new stack: the URL embeds a token that does not exist yet."""
    unsafe = mirror(url=UNKNOWN, onlyProtectedBranches=False, keepDivergentRefs=True)
    assert len(violations(gitlab.push_mirror_protected_https, unsafe)) == 1
    [note] = not_checked(gitlab.push_mirror_protected_https, unsafe)
    assert "string value at .url can't be known during preview" in note


def test_under_the_cli_a_secret_url_reaches_the_policy_in_plaintext() -> None:
    """The engine sends secrets wrapped; the SDK unwraps them before the policy reads them."""
    secret = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": "http://u:glpat-x@h/p.git",
    }
    properties = struct_pb2.Struct()
    properties.update(
        {"project": "1", "url": secret, "onlyProtectedBranches": True, "keepDivergentRefs": True}
    )
    analyzer = RealAnalyzer(settings(), [gitlab.push_mirror_protected_https])
    [found] = analyzer.analyze(mirror(), properties)
    assert "not 'http'" in found.message
    assert "glpat" not in found.message


# --- ci-credentials-masked-protected-hidden -----------------------------------------------------


def variable(name: str, key: str, value: object = SECRET, deps=None, **flags: object):
    return resource(
        VARIABLE, name, {"project": "1", "key": key, "value": value, **flags}, deps=deps
    )


SAFE = {"masked": True, "protected": True, "hidden": True}


def test_credentials_that_are_masked_protected_and_hidden_pass() -> None:
    assert (
        violations(
            credentials.ci_credentials_masked,
            variable("password", "DOCKERHUB_PASSWORD", **SAFE),
            variable("region", "REGIONS", "us-east1,europe-west2"),
            variable("user", "DOCKERHUB_USERNAME", "gitlab"),
        )
        == []
    )


@pytest.mark.parametrize(
    ("var", "reason"),
    [
        (variable("a", "DOCKERHUB_PASSWORD", "x"), "its key DOCKERHUB_PASSWORD names a credential"),
        (variable("b", "DOCKERHUB_TOKEN", "x"), "its key DOCKERHUB_TOKEN names a credential"),
        (variable("c", "RELEASE_TOKEN", "x"), "its key RELEASE_TOKEN names a credential"),
        (variable("d", "MIRROR", "glpat-0123456789abcdefghij"), "shape of a token or key"),
        (variable("e", "X", "[secret]"), "its value is a Pulumi secret"),
    ],
)
def test_each_sign_of_a_credential_is_recognised(var, reason) -> None:
    [(name, message)] = violations(credentials.ci_credentials_masked, var)
    assert name == var.name
    assert reason in message
    assert "must be masked, protected, hidden: masked is unset" in message


def test_a_variable_fed_by_a_trigger_token_holds_a_credential_whatever_its_name() -> None:
    trigger = resource("gitlab:index/pipelineTrigger:PipelineTrigger", "ai-gateway-trigger")
    var = variable("deploy", "RUNWAY_AI_GATEWAY", UNKNOWN, deps={"value": [trigger]}, masked=True)
    [(_, message)] = violations(credentials.ci_credentials_masked, trigger, var)
    assert "its value comes from gitlab:index/pipelineTrigger:PipelineTrigger" in message
    assert "protected is unset, hidden is unset" in message


def test_the_message_never_shows_the_value() -> None:
    found = violations(
        credentials.ci_credentials_masked, variable("a", "API_TOKEN", "glpat-very-secret-value")
    )
    assert "very-secret" not in found[0][1]


def test_instance_variables_cannot_be_hidden_and_are_not_asked_to() -> None:
    instance = resource(
        "gitlab:index/instanceVariable:InstanceVariable",
        "i",
        {"key": "SOME_TOKEN", "value": "x", "masked": True, "protected": True},
    )
    assert violations(credentials.ci_credentials_masked, instance) == []


def test_the_key_pattern_is_policy_config() -> None:
    var = variable("a", "LICENCE", "x")
    assert violations(credentials.ci_credentials_masked, var) == []
    assert violations(
        credentials.ci_credentials_masked, var, config={"credentialKeyPattern": "^LIC"}
    )


def test_unknown_flags_are_notes_and_unknown_values_of_ordinary_variables_are_fine() -> None:
    credential = variable("a", "SOME_TOKEN", masked=UNKNOWN, protected=True, hidden=True)
    ordinary = variable("b", "REGIONS", UNKNOWN)
    assert violations(credentials.ci_credentials_masked, credential, ordinary) == []
    [note] = not_checked(credentials.ci_credentials_masked, credential, ordinary)
    assert ".masked can't be known" in note


# --- tokens-expire-or-rotate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "inputs", "ok"),
    [
        (TOKEN, {"rotationConfiguration": {"expirationDays": 90, "rotateBeforeDays": 14}}, True),
        (TOKEN, {"expiresAt": "2027-01-31"}, True),
        (TOKEN, {}, False),
        ("gitlab:index/groupAccessToken:GroupAccessToken", {}, False),
        (
            "gitlab:index/projectDeployToken:ProjectDeployToken",
            {"expiresAt": "2027-01-31T00:00:00Z"},
            True,
        ),
        ("gitlab:index/projectDeployToken:ProjectDeployToken", {}, False),
        (
            "gitlab:index/projectDeployToken:ProjectDeployToken",
            {"rotationConfiguration": {}},
            False,
        ),
        ("gitlab:index/pipelineTrigger:PipelineTrigger", {}, True),
    ],
)
def test_tokens_expire_or_rotate(type_, inputs, ok) -> None:
    found = violations(gitlab.tokens_expire_or_rotate, resource(type_, "t", inputs))
    assert (found == []) is ok
    if not ok:
        assert "the token never expires" in found[0][1]


def test_a_token_whose_expiry_is_unknown_is_a_note() -> None:
    token = resource(TOKEN, "t", {"expiresAt": UNKNOWN})
    assert violations(gitlab.tokens_expire_or_rotate, token) == []
    assert not_checked(gitlab.tokens_expire_or_rotate, token)
    rotating = resource(TOKEN, "t", {"expiresAt": UNKNOWN, "rotationConfiguration": {"a": 1}})
    assert not_checked(gitlab.tokens_expire_or_rotate, rotating) == []


# --- release-tags-protected-with-dockerhub-credentials -------------------------------------------


def release_edge(tag: str | None = "self-hosted-v*-ee", creators: str | None = "maintainer"):
    """A project with Docker Hub credentials and (optionally) a tag protection, ids unknown."""
    project = resource(PROJECT, "canonical-project", {"visibilityLevel": "public"})
    username = variable(
        "dh-user", "DOCKERHUB_USERNAME", "gitlab", deps={"project": [project]}, **SAFE
    )
    password = variable("dh-password", "DOCKERHUB_PASSWORD", deps={"project": [project]}, **SAFE)
    parts = [project, username, password]
    if tag is not None:
        inputs = {"project": UNKNOWN, "tag": tag}
        if creators is not None:
            inputs["createAccessLevel"] = creators
        parts.append(resource(TAGS, "canonical-release-tags", inputs, deps={"project": [project]}))
    return parts


@pytest.mark.parametrize(("tag", "creators"), [("self-hosted-v*-ee", "maintainer"), ("*", None)])
def test_release_tags_protected_where_credentials_live_pass(tag, creators) -> None:
    found = violations(credentials.release_tags_protected, *release_edge(tag, creators))
    assert found == []


@pytest.mark.parametrize(
    ("tag", "creators"),
    [(None, None), ("self-hosted-v1*-ee", "maintainer"), ("self-hosted-v*-ee", "developer")],
)
def test_credentials_without_protected_release_tags_are_caught_once_per_project(
    tag, creators
) -> None:
    found = violations(credentials.release_tags_protected, *release_edge(tag, creators))
    assert len(found) == 1
    name, message = found[0]
    assert name == "dh-user"
    assert message.startswith("project canonical-project holds Docker Hub credentials")
    assert "'self-hosted-v*-ee'" in message


def test_a_protection_on_another_project_does_not_count() -> None:
    other = resource(PROJECT, "other")
    project, *variables = release_edge(tag=None)
    elsewhere = resource(
        TAGS, "other-tags", {"tag": "self-hosted-v*-ee"}, deps={"project": [other]}
    )
    assert violations(credentials.release_tags_protected, project, *variables, other, elsewhere)


def test_projects_are_matched_by_id_when_there_are_no_edges() -> None:
    """Resources given a literal project id, as an adopted prod project's id is known."""
    var = variable("dh", "DOCKERHUB_PASSWORD", project="39903947")
    tags = resource(TAGS, "tags", {"project": "39903947", "tag": "self-hosted-v*-ee"})
    assert violations(credentials.release_tags_protected, var, tags) == []
    assert violations(credentials.release_tags_protected, var)


def test_the_release_pattern_is_policy_config() -> None:
    parts = release_edge("v*")
    assert violations(credentials.release_tags_protected, *parts)
    assert (
        violations(credentials.release_tags_protected, *parts, config={"releaseTagPattern": "v*"})
        == []
    )


def test_the_whole_pack_passes_the_delivery_shape_through_the_real_analyzer() -> None:
    parts = [*projects_and_mirror(), *release_edge()[1:]]
    analyzer = RealAnalyzer(settings({"prod-resources-protected": {"production": False}}))
    found = analyzer.analyze_all(graph(*parts))
    assert [d for d in found if d.level == EnforcementLevel.MANDATORY] == []
    # The URL is a secret built from a token not minted yet: the real analyzer notes it.
    assert [(d.policy, d.level) for d in found] == [
        ("push-mirror-protected-branches-https", EnforcementLevel.ADVISORY)
    ]
