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
    # --- Google Cloud, fleets and Runway deployments ---
    (
        "prod",
        ["fleets.aigw.regions[0]=us-east9"],
        "aigw-delivery:fleets.aigw.regions[0]",
        "is not a Cloud Run region",
    ),
    (
        "prod",
        ["fleets.aigw.regions[0]=us-eats4"],
        "aigw-delivery:fleets.aigw.regions[0]",
        "did you mean 'us-east4'?",
    ),
    (
        "prod",
        ['fleets.dws.regions=["us-east1", "asia-northeast1", "us-east1"]'],
        "aigw-delivery:fleets.dws.regions",
        "names us-east1 more than once",
    ),
    ("prod", ["fleets.dws.regions=[]"], "aigw-delivery:fleets.dws.regions", "at least one region"),
    (
        "prod",
        ['runway.deployments.duo-workflow-svc.regions=["us-east1"]'],
        "aigw-delivery:fleets.dws.regions[1]",
        "no deployment deploys fleet 'dws' to this region",
    ),
    (
        "prod",
        ['runway.deployments.ai-gateway.regions=["us-east4", "us-west1"]'],
        "aigw-delivery:runway.deployments.ai-gateway.regions[1]",
        "is not a region of fleet 'aigw'",
    ),
    (
        "prod",
        ["runway.deployments.ai-gateway.fleet=aigw2"],
        "aigw-delivery:runway.deployments.ai-gateway.fleet",
        "is not a fleet (fleets: aigw, dws)",
    ),
    ("prod", ['fleets.aigw.cpu="3"'], "aigw-delivery:fleets.aigw.cpu", "Cloud Run CPU limit"),
    ("prod", ["fleets.aigw.cpu=2 cores"], "aigw-delivery:fleets.aigw.cpu", "Cloud Run CPU limit"),
    ("prod", ["fleets.aigw.memory=8GB"], "aigw-delivery:fleets.aigw.memory", "in Mi or Gi"),
    ("prod", ["fleets.aigw.memory=64Gi"], "aigw-delivery:fleets.aigw.memory", "128Mi to 32Gi"),
    (
        "prod",
        ["fleets.aigw.memory=16Gi"],
        "aigw-delivery:fleets.aigw.memory",
        "needs at least 4 CPUs",
    ),
    (
        "prod",
        ["fleets.aigw.cpu=500m", "fleets.aigw.memory=512Mi"],
        "aigw-delivery:fleets.aigw.concurrency",
        "must be 1 with less than one CPU",
    ),
    (
        "prod",
        ["fleets.aigw.concurrency=0"],
        "aigw-delivery:fleets.aigw.concurrency",
        "greater than or equal to 1",
    ),
    (
        "prod",
        ["fleets.aigw.concurrency=1001"],
        "aigw-delivery:fleets.aigw.concurrency",
        "less than or equal to 1000",
    ),
    (
        "prod",
        ["fleets.dws.timeoutSeconds=3601"],
        "aigw-delivery:fleets.dws.timeoutSeconds",
        "less than or equal to 3600",
    ),
    (
        "prod",
        ["fleets.dws.minInstances=65"],
        "aigw-delivery:fleets.dws.minInstances",
        "must not exceed maxInstances (64)",
    ),
    (
        "staging",
        ["fleets.aigw.image=model gateway:latest"],
        "aigw-delivery:fleets.aigw.image",
        "must be a tag of the model-gateway image",
    ),
    (
        "staging",
        ["fleets.aigw.image=sha256:abc123"],
        "aigw-delivery:fleets.aigw.image",
        "or a digest 'sha256:<64 lowercase hex digits>'",
    ),
    (
        "prod",
        ["fleets.aigw.image=self-hosted-v18.6.0-ee"],
        "aigw-delivery:fleets.aigw.image",
        "prod pins the image by digest",
    ),
    (
        "prod",
        ["fleets.aigw.http2=true"],
        "aigw-delivery:fleets.aigw.http2",
        "answers HTTP/1.1 only on its port",
    ),
    (
        "prod",
        ["fleets.dws.http2=false"],
        "aigw-delivery:fleets.dws.http2",
        "speaks gRPC, which needs HTTP/2 end to end",
    ),
    (
        "prod",
        ['fleets.dws.startupProbe={"type": "httpGet", "path": "/health"}'],
        "aigw-delivery:fleets.dws.startupProbe",
        "does not answer httpGet probes",
    ),
    (
        "prod",
        ['fleets.aigw.livenessProbe={"type": "tcpSocket"}'],
        "aigw-delivery:fleets.aigw.livenessProbe",
        "liveness probes are httpGet or grpc",
    ),
    (
        "prod",
        ['fleets.aigw.startupProbe={"type": "httpGet"}'],
        "aigw-delivery:fleets.aigw.startupProbe.path",
        "needs a path starting with '/'",
    ),
    (
        "prod",
        ["fleets.aigw.startupProbe.timeoutSeconds=20"],
        "aigw-delivery:fleets.aigw.startupProbe.timeoutSeconds",
        "must not exceed periodSeconds (10)",
    ),
    (
        "prod",
        ["fleets.aigw.startupProbe.periodSeconds=300", "fleets.aigw.startupProbe.timeoutSeconds=5"],
        "aigw-delivery:fleets.aigw.startupProbe",
        "at most 240",
    ),
    ("prod", ['fleets.aigw.env.PORT="9000"'], "aigw-delivery:fleets.aigw.env", "sets PORT"),
    (
        "prod",
        ['fleets.dws.env.DISABLE_AI_GATEWAY="false"'],
        "aigw-delivery:fleets.dws.env",
        "sets DISABLE_AI_GATEWAY",
    ),
    (
        "prod",
        ["fleets.aigw.serves=gateway"],
        "aigw-delivery:fleets.aigw.serves",
        "'ai-gateway' or 'duo-workflow-service'",
    ),
    (
        "prod",
        ["fleets.aigw.minInstance=1"],
        "aigw-delivery:fleets.aigw.minInstance",
        "not a known setting (known here: concurrency, cpu,",
    ),
    (
        "prod",
        ["fleets.aigw.hostname=https://ai-gateway.runway.gitlab.net"],
        "aigw-delivery:fleets.aigw.hostname",
        "lowercase DNS name",
    ),
    ("prod", ["fleets={}"], "aigw-delivery:fleets", "at least 1 item"),
    (
        "prod",
        ["runway.deployments.ai-gateway.pullFrom=canonical"],
        "aigw-delivery:runway.deployments.ai-gateway.pullFrom",
        "prod deployments pull from the security registry",
    ),
    (
        "prod",
        ["fleets.aigw.imageRegistry=canonical"],
        "aigw-delivery:fleets.aigw.imageRegistry",
        "prod fleets run images from the security registry",
    ),
    (
        "prod",
        ["runway.deployments.ai-gateway.project.importId=0"],
        "aigw-delivery:runway.deployments.ai-gateway.project.importId",
        "greater than 0",
    ),
    (
        "prod",
        ['runway.deployments.duo-workflow-svc-load-test={"project": {}, "fleet": "dws"}'],
        "aigw-delivery:runway.deployments.duo-workflow-svc-load-test",
        "at most 21 characters",
    ),
    (
        "prod",
        [
            "runway.deployments.duo-workflow-svc.project.path="
            "gitlab-com/gl-infra/platform/runway/deployments/ai-gateway"
        ],
        "aigw-delivery:runway.deployments.duo-workflow-svc.project.path",
        "is also deployment 'ai-gateway''s project",
    ),
    (
        "prod",
        [
            "runway.deployments.ai-gateway.project.path="
            "gitlab-org/security/modelops/applied-ml/code-suggestions/ai-assist"
        ],
        "aigw-delivery:runway.deployments.ai-gateway.project.path",
        "is a source project",
    ),
    (
        "prod",
        ["runway.pullToken.rotationDays=365"],
        "aigw-delivery:runway.pullToken.rotationDays",
        "less than or equal to 180",
    ),
    ("prod", ["runway.deployments={}"], "aigw-delivery:runway.deployments", "at least 1 item"),
    (
        "prod",
        ["gcp.workloadIdentity.issuer=https://gitlab.example.com"],
        "aigw-delivery:gcp.workloadIdentity.issuer",
        "must be the GitLab instance that issues the CI ID tokens (https://gitlab.com)",
    ),
    (
        "prod",
        ["gcp.workloadIdentity.poolId=gcp-gitlab"],
        "aigw-delivery:gcp.workloadIdentity.poolId",
        "not starting with 'gcp-'",
    ),
    (
        "prod",
        ["gcp.workloadIdentity.audience=two words"],
        "aigw-delivery:gcp.workloadIdentity.audience",
        "must be non-empty without whitespace",
    ),
    (
        "prod",
        ["gcp.projectId=Runway_Prod"],
        "aigw-delivery:gcp.projectId",
        "Google Cloud project id",
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


def test_a_secret_structured_key_is_refused_without_reading_it() -> None:
    raw = {"environment": "staging", "source": '{"canonical": {"path": "hunter2"}}'}
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, secret={"source"})
    assert "hunter2" not in str(caught.value)
    assert "  - aigw-delivery:source: holds a secret" in str(caught.value)
    assert "aigw-delivery:source is required" not in str(caught.value)


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
