"""Settings refuse what the APIs would refuse, and never print what may be a secret.

Each bad config runs through the offline engine (as `pulumi preview` would run the program)
and through `python -m stackctl graph`: the error names the key, states the rule, nothing but
the root stack is registered, no traceback is printed, and no canary (the push token in the
environment, or a token pasted into the wrong key) appears in any output.
"""

from __future__ import annotations

import json

import pytest

from contract import DEPLOYMENT_ID_MAX, FLEET_ID_MAX, SECRET
from stackctl.engine import STACK_TYPE, EngineError, evaluate
from tests.conftest import run_cli

ENV_TOKEN = "dckr_pat_ENVCANARY0123456789abcdefQ"
"""The push token `pulumi up` would take from its environment: in every run, never shown."""
GLPAT = "glpat-CANARYxY9zQ3mK7pL2vN8wR4tB"
DCKR = "dckr_pat_CANARYq8Lm3Nz7Vx2Kc9"
YA29 = "ya29.a0CANARYAfH6SMBx3kQ9pZ"
RANDOM = "Xk9Qz3Lm8Rt2Vb7Np4Wc6Jh5"
"""No known prefix: a high-entropy string, as a pasted password or API key is."""
PEM = "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"


def js(value: str) -> str:
    """An override VALUE as JSON text, so that control characters survive `-c`."""
    return json.dumps(value)


# (stack, overrides, the key the message names, a phrase of the rule, values never shown)
LIMITS: list[tuple[str, list[str], str, str, list[str]]] = [
    # --- GitLab project ids: positive int64 (the provider parses ids with strconv.Atoi) ---
    (
        "prod",
        ["source.canonical.importId=9223372036854775808"],
        "source.canonical.importId",
        "less than or equal to 9223372036854775807",
        [],
    ),
    (
        "prod",
        ["runway.deployments.ai-gateway.project.importId=99999999999999999999"],
        "runway.deployments.ai-gateway.project.importId",
        "less than or equal to 9223372036854775807",
        [],
    ),
    (
        "prod",
        ["source.canonical.importId=-9223372036854775809"],
        "source.canonical.importId",
        "greater than 0",
        [],
    ),
    ("prod", ["source.security.importId=0"], "source.security.importId", "greater than 0", []),
    ("prod", ["source.canonical.importId=1.5"], "source.canonical.importId", "valid integer", []),
    ("prod", ["source.canonical.importId=true"], "source.canonical.importId", "valid integer", []),
    # --- GitLab project names (255, project_name_regex) and paths (255 per part) ---
    (
        "staging",
        ["source.canonical.name=" + "n" * 256],
        "source.canonical.name",
        "at most 255 characters",
        [],
    ),
    (
        "staging",
        ["source.canonical.name=-leading-dash"],
        "source.canonical.name",
        "GitLab's project name rule",
        [],
    ),
    (
        "staging",
        ["source.security.name=" + js("AI Gateway\nsecurity")],
        "source.security.name",
        "GitLab's project name rule",
        [],
    ),
    ("staging", ["source.canonical.name=a/b"], "source.canonical.name", "project name rule", []),
    ("staging", ['source.canonical.name=""'], "source.canonical.name", "project name rule", []),
    (
        "staging",
        ["source.canonical.path=gitlab-org/" + "a" * 256],
        "source.canonical.path",
        "at most 255 per group or project path",
        [],
    ),
    (
        "staging",
        ["source.security.path=" + "g" * 256 + "/project"],
        "source.security.path",
        "at most 255 per group or project path",
        [],
    ),
    (
        "prod",
        ["source.package.consumer=gitlab-org/" + "c" * 256],
        "source.package.consumer",
        "at most 255 per group or project path",
        [],
    ),
    (
        "prod",
        ["source.canonical.path=" + js("gitlab-org/ai-assist\n")],
        "source.canonical.path",
        "GitLab project path",
        [],
    ),
    (
        "prod",
        ["source.canonical.path=gitlab-org/ai assist"],
        "source.canonical.path",
        "GitLab project path",
        [],
    ),
    # --- GitLab descriptions: 2000 characters, no control characters but newline and tab ---
    (
        "staging",
        ["source.canonical.description=" + "d" * 2001],
        "source.canonical.description",
        "at most 2000 characters",
        [],
    ),
    (
        "staging",
        ["runway.deployments.ai-gateway.project.description=" + "d" * 2001],
        "runway.deployments.ai-gateway.project.description",
        "at most 2000 characters",
        [],
    ),
    (
        "staging",
        ["source.security.description=" + js("a\x00b")],
        "source.security.description",
        "U+0000 at position 1",
        [],
    ),
    (
        "staging",
        ["source.security.description=" + js("colour \x1b[31mred")],
        "source.security.description",
        "control characters other than newline and tab",
        [],
    ),
    # --- URLs: https origin, port 1-65535, no credentials, no control characters ---
    ("prod", ["gitlab.url=https://gitlab.com:0"], "gitlab.url", "outside 1-65535", []),
    ("prod", ["gitlab.url=https://gitlab.com:"], "gitlab.url", "outside 1-65535", []),
    ("prod", ["gitlab.url=https://gitlab.com:99999"], "gitlab.url", "from 1 to 65535", []),
    (
        "prod",
        [f"gitlab.url=https://ci:{GLPAT}@gitlab.com"],
        "gitlab.url",
        "must not carry credentials",
        [GLPAT],
    ),
    (
        "prod",
        ["gitlab.url=https://deployer:hunter2@gitlab.com"],
        "gitlab.url",
        "must not carry credentials",
        ["hunter2", "deployer"],
    ),
    ("prod", ["gitlab.url=" + js("https://gitlab.com\n")], "gitlab.url", "single line", []),
    (
        "prod",
        ["gitlab.url=" + js("https://gitlab.com\r\nX-Injected: 1")],
        "gitlab.url",
        "U+000D",
        [],
    ),
    ("prod", ["gitlab.url=" + js("https://gitlab.com\t")], "gitlab.url", "single line", []),
    ("prod", ["gitlab.url=https://gitlab.com/"], "gitlab.url", "path, query or fragment", []),
    ("prod", ["gitlab.url=https://gitlab.com?x=1"], "gitlab.url", "path, query or fragment", []),
    ("prod", ["gitlab.url=https://gitlab..com"], "gitlab.url", "no valid host name", []),
    ("prod", ["gitlab.url=ftp://gitlab.com"], "gitlab.url", "is not https://", []),
    (
        "prod",
        ["gitlab.registryHost=registry.gitlab.com:0"],
        "gitlab.registryHost",
        "port from 1 to 65535",
        [],
    ),
    (
        "prod",
        ["gitlab.registryHost=registry.gitlab.com:99999"],
        "gitlab.registryHost",
        "port from 1 to 65535",
        [],
    ),
    (
        "prod",
        ["gitlab.registryHost=" + js("registry.gitlab.com\n")],
        "gitlab.registryHost",
        "single line",
        [],
    ),
    (
        "prod",
        [f"gitlab.registryHost=bot:{DCKR}@registry.gitlab.com"],
        "gitlab.registryHost",
        "no credentials or path",
        [DCKR],
    ),
    (
        "prod",
        ["gitlab.registryHost=registry.gitlab.com/group"],
        "gitlab.registryHost",
        "no credentials or path",
        [],
    ),
    (
        "prod",
        ["gcp.workloadIdentity.issuer=https://gitlab.com:99999"],
        "gcp.workloadIdentity.issuer",
        "from 1 to 65535",
        [],
    ),
    (
        "prod",
        [f"gcp.workloadIdentity.issuer=https://oauth2:{GLPAT}@gitlab.com"],
        "gcp.workloadIdentity.issuer",
        "must not carry credentials",
        [GLPAT],
    ),
    (
        "prod",
        ["gcp.workloadIdentity.issuer=" + js("https://gitlab.com\u2028")],
        "gcp.workloadIdentity.issuer",
        "U+2028",
        [],
    ),
    (
        "prod",
        ["fleets.aigw.hostname=" + js("ai-gateway.runway.gitlab.net\n")],
        "fleets.aigw.hostname",
        "lowercase DNS name",
        [],
    ),
    (
        "prod",
        ["fleets.aigw.hostname=" + "a" * 64 + ".gitlab.net"],
        "fleets.aigw.hostname",
        "lowercase DNS name",
        [],
    ),
    (
        "prod",
        ["fleets.aigw.env.AIGW_GITLAB_URL=" + js("https://gitlab.com/\nX-Evil: 1")],
        "fleets.aigw.env",
        "AIGW_GITLAB_URL is a URL with a control character",
        [],
    ),
    (
        "prod",
        [f"fleets.aigw.env.AIGW_GITLAB_URL=https://bot:{GLPAT}@gitlab.com/"],
        "fleets.aigw.env",
        "URL with credentials",
        [GLPAT],
    ),
    (
        "prod",
        ["fleets.aigw.env.AIGW_NOTE=" + js("a\x00b")],
        "fleets.aigw.env.AIGW_NOTE",
        "control characters other than newline and tab",
        [],
    ),
    (
        "prod",
        ["fleets.aigw.startupProbe.path=" + js("/monitoring/ready\r\n")],
        "fleets.aigw.startupProbe.path",
        "single line",
        [],
    ),
    (
        "prod",
        ["fleets.aigw.startupProbe.path=/monitoring ready"],
        "fleets.aigw.startupProbe.path",
        "HTTP request line",
        [],
    ),
    (
        "prod",
        ["fleets.dws.startupProbe=" + json.dumps({"type": "grpc", "grpcService": "svc\n"})],
        "fleets.dws.startupProbe.grpcService",
        "single line",
        [],
    ),
    # --- the Workload Identity audience: one allowed audience of at most 256 characters ---
    (
        "prod",
        ["gcp.workloadIdentity.audience=" + "a" * 257],
        "gcp.workloadIdentity.audience",
        "at most 256 characters",
        [],
    ),
    (
        "prod",
        ["gcp.workloadIdentity.audience=" + js("aigw-delivery-prod\n")],
        "gcp.workloadIdentity.audience",
        "single line",
        [],
    ),
    (
        "prod",
        ["gcp.workloadIdentity.audience=" + js("aigw\x00")],
        "gcp.workloadIdentity.audience",
        "U+0000",
        [],
    ),
    # --- ids that name service accounts (contract.py's limits) ---
    (
        "prod",
        ["fleets." + "f" * (FLEET_ID_MAX + 1) + "={}"],
        "fleets." + "f" * (FLEET_ID_MAX + 1),
        f"at most {FLEET_ID_MAX} characters",
        [],
    ),
    (
        "staging",
        [
            "runway.deployments."
            + "d" * (DEPLOYMENT_ID_MAX + 1)
            + '={"project": {}, "fleet": "dws"}'
        ],
        "runway.deployments." + "d" * (DEPLOYMENT_ID_MAX + 1),
        f"at most {DEPLOYMENT_ID_MAX} characters",
        [],
    ),
    # --- a credential pasted into a key that holds none: refused by the key's rule, never shown ---
    (
        "staging",
        ["source.canonical.description=" + js(GLPAT + "\x07")],
        "source.canonical.description",
        "control characters",
        [GLPAT],
    ),
    (
        "staging",
        ["source.canonical.description=" + js("token " + PEM + "x" * 2000)],
        "source.canonical.description",
        "at most 2000 characters",
        [PEM[:30]],
    ),
    (
        "staging",
        [f"source.canonical.name={GLPAT}/x"],
        "source.canonical.name",
        "name rule",
        [GLPAT],
    ),
    ("prod", [f"dockerhub.username={DCKR}"], "dockerhub.username", "Docker Hub namespace", [DCKR]),
    (
        "prod",
        [f"dockerhub.username={RANDOM}"],
        "dockerhub.username",
        "Docker Hub namespace",
        [RANDOM],
    ),
    (
        "prod",
        [f"dockerhub.namespace={YA29}"],
        "dockerhub.namespace",
        "Docker Hub namespace",
        [YA29],
    ),
    (
        "prod",
        [f"release.tagPattern={GLPAT}"],
        "release.tagPattern",
        "self-hosted-vX.Y.Z-ee",
        [GLPAT],
    ),
    ("prod", [f"fleets.aigw.serviceName={DCKR}"], "fleets.aigw.serviceName", "pattern", [DCKR]),
    ("prod", [f"gcp.projectId={YA29}"], "gcp.projectId", "Google Cloud project id", [YA29]),
    (
        "prod",
        [f"fleets.aigw.image={GLPAT}"],
        "fleets.aigw.image",
        "prod pins the image by digest",
        [GLPAT],
    ),
    (
        "prod",
        ["source.defaultBranch=" + js(GLPAT + "\n")],
        "source.defaultBranch",
        "pattern",
        [GLPAT],
    ),
    (
        "prod",
        ["mirror.tokenExpirationDays=" + js(PEM)],
        "mirror.tokenExpirationDays",
        "valid integer",
        [PEM[:30]],
    ),
    (
        "prod",
        [f"source.canonical.path=gitlab-org/{RANDOM} x"],
        "source.canonical.path",
        "GitLab project path",
        [RANDOM],
    ),
    (
        "prod",
        [f"runway.deployments.ai-gateway.fleet={GLPAT}"],
        "runway.deployments.ai-gateway.fleet",
        "lowercase letters, digits and '-'",
        [GLPAT],
    ),
    (
        "prod",
        ["fleets.aigw.env.AIGW_API_KEY=" + js("key\x00" + RANDOM)],
        "fleets.aigw.env.AIGW_API_KEY",
        "control characters",
        [RANDOM],
    ),
    ("prod", [f"{GLPAT}=1"], SECRET, "not a known setting", [GLPAT]),
    # --- a credential in a plain key whose rule it passes: refused all the same ---
    (
        "staging",
        [f"source.canonical.description=Mirror token: {GLPAT}"],
        "source.canonical.description",
        "holds what only a credential starts with",
        [GLPAT],
    ),
    (
        "prod",
        [f"fleets.aigw.env.AIGW_DOCKER_TOKEN={DCKR}"],
        "fleets.aigw.env.AIGW_DOCKER_TOKEN",
        "holds what only a credential starts with",
        [DCKR],
    ),
    (
        "prod",
        [f"gcp.workloadIdentity.audience={YA29}"],
        "gcp.workloadIdentity.audience",
        "holds what only a credential starts with",
        [YA29],
    ),
    (
        "staging",
        ["runway.deployments.ai-gateway.project.description=" + js(PEM + "\nabc")],
        "runway.deployments.ai-gateway.project.description",
        "holds what only a credential starts with",
        [PEM[:30]],
    ),
    # --- what else the APIs refuse ---
    (
        "prod",
        ["fleets.aigw.env.AIGW_BIG=" + "é" * 16385],
        "fleets.aigw.env",
        "longer than the 32768 bytes Cloud Run allows",
        [],
    ),
    (
        "prod",
        ["source.package.name=@gitlab-org/" + "p" * 210],
        "source.package.name",
        "at most 214 characters",
        [],
    ),
    ("prod", ["source.defaultBranch=main.lock"], "source.defaultBranch", "Git accepts", []),
    ("prod", ["source.defaultBranch=release/../main"], "source.defaultBranch", "Git accepts", []),
    ("prod", ["source.defaultBranch=-main"], "source.defaultBranch", "Git accepts", []),
    (
        "prod",
        ["source.registry.cleanup.nameRegexKeep=^(?!self-hosted).*$"],
        "source.registry.cleanup.nameRegexKeep",
        "RE2",
        [],
    ),
    (
        "prod",
        ["source.registry.cleanup.nameRegexDelete=(a)\\1"],
        "source.registry.cleanup.nameRegexDelete",
        "RE2",
        [],
    ),
    (
        "prod",
        ['source.registry.cleanup.nameRegexDelete=""'],
        "source.registry.cleanup.nameRegexDelete",
        "must not be empty while the cleanup policy is enabled",
        [],
    ),
]


@pytest.fixture
def token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pulumi up`'s push token in the environment: the program reads it in every run."""
    monkeypatch.setenv("DOCKERHUB_TOKEN", ENV_TOKEN)


@pytest.mark.usefixtures("token_in_environment")
@pytest.mark.parametrize(
    ("stack", "overrides", "key", "rule", "hidden"),
    LIMITS,
    ids=[" ".join(o)[:60] for _, o, _, _, _ in LIMITS],
)
def test_a_bad_config_names_its_key_registers_nothing_and_shows_no_secret(
    stack: str,
    overrides: list[str],
    key: str,
    rule: str,
    hidden: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(EngineError) as caught:
        evaluate(stack, overrides)
    message = str(caught.value)
    named = f"aigw-delivery:{key}" if key != SECRET else f"aigw-delivery:{SECRET}"
    assert f"{named} " in message or f"{named}:" in message, message
    assert rule in message, message
    assert [r.type for r in caught.value.resources] == [STACK_TYPE]

    code, out, err = run_cli(capsys, "graph", stack, *(a for o in overrides for a in ("-c", o)))
    assert code == 1
    assert out == ""
    assert err.startswith("error: invalid configuration for aigw-delivery"), err
    assert "Traceback" not in err
    for output in (message, err):
        for value in (ENV_TOKEN, *hidden):
            assert value not in output, output


def test_a_url_is_shown_without_its_credentials() -> None:
    with pytest.raises(EngineError) as caught:
        evaluate("prod", ["gitlab.url=http://deployer:hunter2@gitlab.com:99999"])
    assert 'aigw-delivery:gitlab.url = "http://gitlab.com:99999": ' in str(caught.value)


def test_a_harmless_value_is_still_shown() -> None:
    with pytest.raises(EngineError) as caught:
        evaluate("prod", ["gitlab.registryHost=registry.gitlab.com:99999"])
    assert 'gitlab.registryHost = "registry.gitlab.com:99999": ' in str(caught.value)


def test_the_image_digests_of_the_stack_files_are_not_taken_for_credentials() -> None:
    with pytest.raises(EngineError) as caught:
        evaluate("staging", ["fleets.aigw.image=sha256:" + "3f" * 31 + "x"])
    assert '"sha256:3f3f' in str(caught.value)
