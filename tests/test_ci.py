"""`.gitlab-ci.yml`: valid for GitLab, and the pipeline DESIGN.md section 6 asks for.

The file is checked against GitLab's CI schema as check-jsonschema vendors it (offline). Then
what matters is checked on the file as GitLab reads it: `extends` merged, `default` inherited,
and each job's `rules` evaluated for the pipelines this repository has (merge requests from
unprotected and protected branches, a push to the default branch, a schedule), so a rule that
would run an apply in a merge request, or skip the drift check, fails here.
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from check_jsonschema import main as check_jsonschema  # type: ignore[import-untyped]
from click.testing import CliRunner

from stackctl.engine import ROOT

CI_FILE = ROOT / ".gitlab-ci.yml"
CREDENTIALS = ROOT / ".ci" / "google-credentials"
RESERVED = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
    "pages",
}
PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/gitlab/providers/aigw"
ACCOUNT = "aigw-delivery-preview@gitlab-runway-staging.iam.gserviceaccount.com"


def load() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CI_FILE.read_text())
    return loaded


def validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        check_jsonschema,
        ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci", str(path)],
    )
    return result.exit_code, result.output


# --- reading the file as GitLab does -------------------------------------------------------


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`extends`: hashes merge deeply, everything else (lists included) is replaced."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def job(ci: dict[str, Any], name: str) -> dict[str, Any]:
    raw = ci[name]
    parents = raw.get("extends", [])
    resolved: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        resolved = _merge(resolved, job(ci, parent))
    resolved = _merge(resolved, {k: v for k, v in raw.items() if k != "extends"})
    if not name.startswith("."):
        for key, value in ci.get("default", {}).items():
            resolved.setdefault(key, copy.deepcopy(value))
    return resolved


def jobs(ci: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job(ci, name)
        for name in ci
        if name not in RESERVED and not name.startswith(".") and isinstance(ci[name], dict)
    }


_COMPARISON = re.compile(r'^(\$\w+|"[^"]*")\s*(==|!=)\s*(\$\w+|"[^"]*")$')


def evaluate(expression: str, env: dict[str, str]) -> bool:
    """The part of GitLab's `rules:if` grammar this file uses: `||`, `&&`, `==`, `!=`, a
    variable alone (set and non-empty). Anything else fails the test, not silently passes."""

    def operand(text: str) -> str | None:
        return env.get(text[1:]) if text.startswith("$") else text[1:-1]

    def term(text: str) -> bool:
        text = text.strip()
        if match := _COMPARISON.match(text):
            left, op, right = match.groups()
            equal = operand(left) == operand(right)
            return equal if op == "==" else not equal
        if re.fullmatch(r"\$\w+", text):
            return bool(env.get(text[1:]))
        raise AssertionError(f"rules:if the test cannot read: {text!r}")

    return any(
        all(term(part) for part in alternative.split("&&"))
        for alternative in expression.split("||")
    )


def decide(rules: list[dict[str, Any]] | None, env: dict[str, str]) -> dict[str, Any] | None:
    """The first matching rule's outcome; None when the job is not in the pipeline."""
    for rule in rules or [{}]:
        if "if" not in rule or evaluate(rule["if"], env):
            if rule.get("when") == "never":
                return None
            return {
                "when": rule.get("when", "on_success"),
                "allow_failure": rule.get("allow_failure", False),
            }
    return None


def pipeline(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The jobs GitLab creates for a pipeline with these predefined variables."""
    ci = load()
    if decide(ci["workflow"]["rules"], env) is None:
        return {}
    found = {}
    for name, resolved in jobs(ci).items():
        outcome = decide(resolved.get("rules"), env)
        if outcome is not None:
            found[name] = outcome
    return found


BASE = {"CI_DEFAULT_BRANCH": "main"}
MR = {
    **BASE,
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED": "false",
}
PROTECTED_MR = {**MR, "CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED": "true"}
MAIN = {**BASE, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}
BRANCH = {**BASE, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature"}
SCHEDULE = {**BASE, "CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"}
TAG = {**BASE, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1"}


def commands(resolved: dict[str, Any]) -> list[str]:
    return [*resolved.get("before_script", []), *resolved.get("script", [])]


def touches_a_stack(resolved: dict[str, Any]) -> bool:
    return any(re.search(r"\bpulumi (preview|up|stack|login)\b", c) for c in commands(resolved))


# --- the tests -------------------------------------------------------------------------------


def test_the_file_is_valid_for_gitlab() -> None:
    code, output = validate(CI_FILE)
    assert code == 0, output
    assert "ok -- validation done" in output


def test_the_schema_check_catches_a_broken_file(tmp_path: Path) -> None:
    broken = load()
    broken["deploy:prod"]["environment"]["deployment_tier"] = ["production"]
    broken["lint"]["when"] = "sometimes"
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(yaml.safe_dump(broken))
    code, output = validate(path)
    assert code == 1
    assert "deploy:prod" in output
    assert "lint" in output


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (MR, {"lint", "test", "graph-diff", "policy-check"}),
        (
            PROTECTED_MR,
            {"lint", "test", "graph-diff", "policy-check", "preview:staging", "preview:prod"},
        ),
        (MAIN, {"lint", "test", "deploy:staging", "deploy:prod"}),
        (SCHEDULE, {"drift:staging", "drift:prod"}),
        (BRANCH, set()),
        (TAG, set()),
    ],
    ids=["mr", "protected-mr", "main", "schedule", "other-branch", "tag"],
)
def test_each_pipeline_runs_its_jobs(env: dict[str, str], expected: set[str]) -> None:
    assert set(pipeline(env)) == expected


def test_merge_to_main_applies_staging_and_waits_for_a_person_for_prod() -> None:
    main_pipeline = pipeline(MAIN)
    assert main_pipeline["deploy:staging"] == {"when": "on_success", "allow_failure": False}
    assert main_pipeline["deploy:prod"] == {"when": "manual", "allow_failure": False}
    ci = load()
    assert job(ci, "deploy:staging")["needs"] == ["lint", "test"]
    assert job(ci, "deploy:prod")["needs"] == ["deploy:staging"]


def test_prod_is_a_protected_environment_job_that_promotes_before_it_applies() -> None:
    prod = job(load(), "deploy:prod")
    assert prod["environment"]["name"] == "production"
    assert prod["environment"]["deployment_tier"] == "production"
    script = prod["script"]
    gate = next(i for i, c in enumerate(script) if "stackctl promote" in c)
    apply = next(i for i, c in enumerate(script) if c.startswith("pulumi up"))
    assert gate < apply
    assert "--from staging --to prod" in script[gate]
    assert '--stack "$STACK"' in script[apply]
    assert prod["variables"]["STACK"] == "prod"
    assert prod["interruptible"] is False


def test_every_job_that_touches_a_stack_holds_its_resource_group() -> None:
    ci = load()
    stack_jobs = {n: j for n, j in jobs(ci).items() if touches_a_stack(j)}
    assert set(stack_jobs) == {
        "preview:staging",
        "preview:prod",
        "deploy:staging",
        "deploy:prod",
        "drift:staging",
        "drift:prod",
    }
    for name, resolved in stack_jobs.items():
        stack = resolved["variables"]["STACK"]
        assert stack in ("staging", "prod")
        assert resolved["resource_group"] == stack, name
        assert name.endswith(f":{stack}")
    for name, resolved in jobs(ci).items():
        if name not in stack_jobs:
            assert "resource_group" not in resolved, f"{name} holds a stack it does not touch"


def test_google_cloud_access_is_oidc_and_never_a_key() -> None:
    text = CI_FILE.read_text() + CREDENTIALS.read_text()
    for key_material in (
        "GOOGLE_CREDENTIALS",
        "private_key",
        "service_account_key",
        "activate-service-account",
        "--key-file",
        "base64 -d",
    ):
        assert key_material not in text
    for name, resolved in jobs(load()).items():
        if touches_a_stack(resolved):
            token = resolved["id_tokens"]["GCP_ID_TOKEN"]
            assert token["aud"] == "https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER"
            assert (
                'export GOOGLE_APPLICATION_CREDENTIALS="$(.ci/google-credentials)"'
                in resolved["before_script"]
            ), name
        else:
            assert "id_tokens" not in resolved, f"{name} has no use for a Google identity"


def test_stack_jobs_use_the_bucket_the_kms_key_and_this_commits_graph_hash() -> None:
    pulumi = job(load(), ".pulumi")["before_script"]
    assert 'pulumi login "$PULUMI_BACKEND_URL"' in pulumi
    assert any("secretsprovider: $PULUMI_SECRETS_PROVIDER" in c for c in pulumi)
    [hash_line] = [c for c in pulumi if "AIGW_GRAPH_HASH" in c]
    assert hash_line == (
        'export AIGW_GRAPH_HASH="$(.venv/bin/python -m stackctl graph "$STACK" --format hash)"'
    )
    assert pulumi.index(hash_line) == len(pulumi) - 1  # after everything that could fail


def test_merge_requests_preview_with_the_policy_pack_and_post_the_report() -> None:
    ci = load()
    for stack in ("staging", "prod"):
        preview = job(ci, f"preview:{stack}")
        run, post, status = preview["script"][-3:]
        assert run.startswith("PULUMI_DEBUG_COMMANDS=true pulumi preview --stack")
        for flag in (
            "--json",
            '--event-log "preview/$STACK/events.jsonl"',
            "--policy-pack policy",
            '--policy-pack-config "policy/config/$STACK.json"',
        ):
            assert flag in run
        assert run.endswith('> "preview/$STACK/preview.json" || status=$?')
        assert post.startswith(".venv/bin/python -m stackctl report")
        assert post.endswith("--post")
        assert status == 'exit "$status"'
        assert preview["artifacts"]["reports"]["terraform"] == "preview/*/plan.json"
        assert preview["artifacts"]["when"] == "always"
        assert preview["environment"]["name"] == f"preview/{stack}"
        assert preview["environment"]["action"] == "prepare"
        assert (ROOT / "policy" / "config" / f"{stack}.json").exists()


def test_the_offline_diff_accepts_exit_2_and_fails_on_1() -> None:
    diff = job(load(), "graph-diff")
    assert diff["parallel"]["matrix"] == [{"STACK": ["staging", "prod"]}]
    assert diff["variables"]["GIT_DEPTH"] == "0"
    script = diff["script"]
    assert any('"$STACK@$CI_MERGE_REQUEST_DIFF_BASE_SHA" "$STACK"' in c for c in script)
    assert script[-1] == 'test "$status" -eq 0 -o "$status" -eq 2'
    for status, ok in ((0, True), (2, True), (1, False)):
        shell = subprocess.run(["sh", "-c", f"status={status}; {script[-1]}"], check=False)
        assert (shell.returncode == 0) is ok


def test_the_scheduled_drift_check_fails_on_any_change() -> None:
    for stack in ("staging", "prod"):
        drift = job(load(), f"drift:{stack}")
        [preview] = [c for c in drift["script"] if c.startswith("pulumi preview")]
        assert "--refresh" in preview
        assert "--expect-no-changes" in preview
        assert drift["script"][-1] == 'exit "$status"'


# --- the credential configuration ------------------------------------------------------------


def credentials(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path)}
    return subprocess.run(
        [str(CREDENTIALS)], env={**base, **env}, capture_output=True, text=True, check=False
    )


def test_the_credential_configuration_points_at_the_id_token(tmp_path: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGgifQ.c2lnbmF0dXJl"
    done = credentials(
        tmp_path,
        GCP_ID_TOKEN=token,
        GCP_WORKLOAD_IDENTITY_PROVIDER=PROVIDER,
        GCP_SERVICE_ACCOUNT=ACCOUNT,
    )
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert done.stdout == f"{path}\n"  # the path, and nothing else: never the token
    assert path.is_relative_to(tmp_path)
    config = json.loads(path.read_text())
    assert config == {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
        f"projects/-/serviceAccounts/{ACCOUNT}:generateAccessToken",
        "credential_source": {"file": str(path.parent / "id-token"), "format": {"type": "text"}},
    }
    assert Path(config["credential_source"]["file"]).read_text() == token
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((path.parent / "id-token").stat().st_mode) == 0o600
    assert token not in done.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "GCP_ID_TOKEN is not set"),
        ({"GCP_ID_TOKEN": "t"}, "GCP_WORKLOAD_IDENTITY_PROVIDER is not set"),
        (
            {"GCP_ID_TOKEN": "t", "GCP_WORKLOAD_IDENTITY_PROVIDER": PROVIDER},
            "GCP_SERVICE_ACCOUNT is not set: it is scoped to this job's environment and protected",
        ),
        (
            {
                "GCP_ID_TOKEN": "t",
                "GCP_WORKLOAD_IDENTITY_PROVIDER": "gitlab/aigw",
                "GCP_SERVICE_ACCOUNT": ACCOUNT,
            },
            "GCP_WORKLOAD_IDENTITY_PROVIDER must be the provider's full name",
        ),
        (
            {
                "GCP_ID_TOKEN": "t",
                "GCP_WORKLOAD_IDENTITY_PROVIDER": PROVIDER,
                "GCP_SERVICE_ACCOUNT": 'x"}, "private_key": "',
            },
            "GCP_SERVICE_ACCOUNT must be a service account's email",
        ),
    ],
    ids=["no-token", "no-provider", "no-account", "bad-provider", "bad-account"],
)
def test_missing_or_malformed_settings_stop_the_job(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    done = credentials(tmp_path, **env)
    assert done.returncode == 1
    assert message in done.stderr
    assert done.stdout == ""
    assert not any(tmp_path.iterdir())
