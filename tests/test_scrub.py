"""`stackctl.scrub`: every credential form GitLab, Docker Hub and Google issue is hidden, and
nothing a reviewer needs verbatim (names, ids, reasons, paths) is touched."""

from __future__ import annotations

import pytest

from stackctl.scrub import GITLAB_TOKEN_PREFIXES, clip, scrub

BODY = "ZQXa1b2c3d4e5f6g7h8i9"

CREDENTIALS = [
    *(pytest.param(f"{prefix}-{BODY}", id=prefix) for prefix in GITLAB_TOKEN_PREFIXES),
    pytest.param(f"glpat-{BODY}.01.0w1abcdef", id="glpat-routable"),
    pytest.param(f"TOKEN_glpat-{BODY}", id="glued-to-a-word"),
    pytest.param(f"SIE-glpat-{BODY}", id="instance-prefix"),
    pytest.param(f"GLPAT-{BODY}", id="upper-case-prefix"),
    pytest.param("glpat-ZQX<{%fg 3%}>a1b2c3<{%reset%}>d4e5f6g7h8", id="pulumi-colour-inside"),
    pytest.param("glpat-ZQX\x1b[1;31ma1b2c3d4\x1b[0me5f6g7h8", id="ansi-inside"),
    pytest.param("glpat-ZQX\x00a1b2c3d4e5f6g7h8i9", id="nul-inside"),
    pytest.param("glpat-ZQX\u200ba1b2c3d4e5f6g7h8i9", id="zero-width-inside"),
    pytest.param(f"GR1348941{BODY}", id="runner-registration"),
    pytest.param(f"_gitlab_session={BODY}", id="session-cookie"),
    pytest.param(f"dckr_pat_{BODY}", id="dockerhub-pat"),
    pytest.param(f"dckr_oat_{BODY}", id="dockerhub-oat"),
    pytest.param(f"ya29.{BODY}-xyz", id="google-access-token"),
    pytest.param(f"1//0{BODY}xyz", id="google-refresh-token"),
    pytest.param(f"AIza{BODY}{BODY}", id="google-api-key"),
    pytest.param(f"GOCSPX-{BODY}", id="google-client-secret"),
    pytest.param(
        "-----BEGIN PRIVATE KEY-----\nMIIEvZQX\n-----END PRIVATE KEY-----", id="private-key"
    ),
    pytest.param('"-----BEGIN RSA PRIVATE KEY-----\\nMIIEvZQX\\n', id="private-key-cut-off"),
    pytest.param(f"Authorization: Bearer {BODY}", id="bearer"),
    pytest.param(f"basic {BODY}==", id="basic"),
    pytest.param(f"PRIVATE-TOKEN: {BODY}", id="private-token-header"),
    pytest.param(f"https://gitlab.com/api/v4/x?private_token={BODY}&a=1", id="query-token"),
    pytest.param("https://bot:ZQXpass@gitlab.com/x.git", id="url-password"),
    pytest.param("https://bot:ZQXpa/ss@gitlab.com/x.git", id="url-password-slash"),
    pytest.param("https://bot:ZQXp@ss@gitlab.com/x.git", id="url-password-at"),
    pytest.param("https://me@corp.example:ZQXpw@gitlab.com/x", id="url-user-is-an-email"),
    pytest.param("HTTPS://bot:ZQXpass@GITLAB.COM/x", id="url-upper-case"),
    pytest.param("git+ssh://bot:ZQXpass@10.0.0.1:22/x", id="url-other-scheme-ip"),
    pytest.param(f"https://{BODY}@gitlab.com/x.git", id="url-token-as-user"),
    pytest.param("https%3A%2F%2Fbot%3AZQXpass%40gitlab.com%2Fx", id="url-percent-encoded"),
    pytest.param("https://bot:ZQX%2Fpass%40x@gitlab.com/x", id="url-encoded-password"),
]


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_a_credential_is_hidden_wherever_it_appears(credential: str) -> None:
    for text in (credential, f"error: {credential}.", f'{{"url": "{credential}"}}'):
        scrubbed = scrub(text)
        assert "ZQX" not in scrubbed
        assert "[secret]" in scrubbed


VERBATIM = [
    "urn:pulumi:prod::aigw-delivery::aigw:delivery:PushMirror$"
    "gitlab:index/projectAccessToken:ProjectAccessToken::mirror-token",
    "security-project-mirror-token-rotation",
    "dws-loadtest-trigger",
    "gitlab-org/security/modelops/applied-ml/code-suggestions/ai-assist",
    "projects/gitlab-runway-production/locations/us-east4/services/ai-gateway",
    "projects/123/locations/global/workloadIdentityPools/runway/providers/gitlab",
    "278964",
    "template.containers[0].envs[1].value",
    'labels["app.kubernetes.io/name"]',
    "rotationConfiguration.expirationDays",
    "secretData",
    "https://registry.npmjs.org/@gitlab-org/duo-workflow-service",
    "https://registry.npmjs.org:443/@gitlab-org/duo-workflow-service",
    "https://gitlab.com/api/v4/projects/1/packages/npm/%40gitlab-org%2Fduo-workflow-service",
    "https://ai-gateway.runway.gitlab.net/monitoring/healthz",
    "registry.gitlab.com/gitlab-org/modelops/applied-ml/code-suggestions/ai-assist/model-gateway"
    "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "glpat-documentation",
    "a token-name with glpat in it",
    "[secret] (changed)",
    "ends with a tab\tand a newline\n",
    "ünïcödé ✓ → ±",
]


@pytest.mark.parametrize("text", VERBATIM)
def test_names_ids_reasons_and_paths_are_left_verbatim(text: str) -> None:
    assert scrub(text) == text


def test_a_cut_never_leaves_the_head_of_a_credential() -> None:
    for offset in range(-40, 40, 3):
        text = "x" * (1000 + offset) + f"glpat-{BODY}" + "y" * 5000
        cut = clip(text, 1000)
        assert "ZQX" not in cut
        assert cut.endswith(f"… [cut: {len(text):,} characters in all]")
    assert clip("short", 1000) == "short"


def test_a_hostile_text_is_scrubbed_in_bounded_time() -> None:
    # Many scheme starts with no host after them, and one huge run without spaces.
    text = "https://a:" * 50_000 + "@" * 50_000
    assert len(scrub(text)) <= len(text)


def test_a_known_secret_is_hidden_whatever_its_shape() -> None:
    text = "GitLab answered 401 for token corp-ZQX7f3a (revoked)"
    assert scrub(text) == text  # no credential shape: only knowing it finds it
    assert scrub(text, known=["corp-ZQX7f3a"]) == "GitLab answered 401 for token [secret] (revoked)"
    assert "ZQX" not in clip(text * 100, 50, known=["corp-ZQX7f3a"])
    assert scrub("a b c", known=["", "b"]) == "a b c"  # too short to look for
