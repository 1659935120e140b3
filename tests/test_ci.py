"""`.gitlab-ci.yml`: what neither GitLab's schema nor the CI engine's job listing checks.

The file is checked against GitLab's CI schema as check-jsonschema vendors it (offline).
Which jobs each pipeline creates, and each job's `interruptible`, resource group and
environment, are asserted in `tests/test_pipeline_engine.py` as gitlab-ci-local lists them.
What is left is here, on the jobs as the engine expands them (`--preview`): what the
scripts run and in which order, that every job touching a stack holds that stack's
resource group and a Google identity while no other job does, and the keyless credential
configuration `.ci/google-credentials` writes.
"""

from __future__ import annotations

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
from tests.ci_engine import CI_FILE, PROBE, PUSH_MAIN, Engine, load

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


def validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        check_jsonschema,
        ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci", str(path)],
    )
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def engine(ci_engine: Engine) -> Engine:
    return ci_engine


@pytest.fixture(scope="module")
def resolved(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every job as the engine expands it: `extends` merged, `default` scripts inherited."""
    return {
        name: job
        for name, job in engine.resolved().items()
        if name not in RESERVED and name != PROBE and isinstance(job, dict)
    }


def commands(job: dict[str, Any]) -> list[str]:
    return [*job.get("before_script", []), *job.get("script", [])]


def touches_a_stack(job: dict[str, Any]) -> bool:
    return any(re.search(r"\bpulumi (preview|up|stack|login)\b", c) for c in commands(job))


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


def test_merge_to_main_applies_staging_and_waits_for_a_person_for_prod(
    engine: Engine, resolved: dict[str, dict[str, Any]]
) -> None:
    """Manual and blocking: the pipeline waits at deploy:prod (allow_failure false), and a
    refused promotion fails it."""
    listed = {job["name"]: job for job in engine.listing(PUSH_MAIN, [])}
    assert listed["deploy:staging"]["when"] == "on_success"
    assert (listed["deploy:prod"]["when"], listed["deploy:prod"]["allow_failure"]) == (
        "manual",
        False,
    )
    assert [n["job"] for n in resolved["deploy:staging"]["needs"]] == ["lint", "test"]
    assert [n["job"] for n in resolved["deploy:prod"]["needs"]] == ["deploy:staging"]


def test_prod_promotes_before_it_applies(resolved: dict[str, dict[str, Any]]) -> None:
    prod = resolved["deploy:prod"]
    script = prod["script"]
    gate = next(i for i, c in enumerate(script) if "stackctl promote" in c)
    apply = next(i for i, c in enumerate(script) if c.startswith("pulumi up"))
    assert gate < apply
    assert "--from staging --to prod" in script[gate]
    assert '--stack "$STACK"' in script[apply]
    assert prod["variables"]["STACK"] == "prod"


def test_every_job_that_touches_a_stack_holds_its_resource_group(
    resolved: dict[str, dict[str, Any]],
) -> None:
    stack_jobs = {n: j for n, j in resolved.items() if touches_a_stack(j)}
    assert set(stack_jobs) == {
        "preview:staging",
        "preview:prod",
        "deploy:staging",
        "deploy:prod",
        "drift:staging",
        "drift:prod",
    }
    for name, job in stack_jobs.items():
        stack = job["variables"]["STACK"]
        assert stack in ("staging", "prod")
        assert job["resource_group"] == stack, name
        assert name.endswith(f":{stack}")
    for name, job in resolved.items():
        if name not in stack_jobs:
            assert "resource_group" not in job, f"{name} holds a stack it does not touch"


def test_google_cloud_access_is_oidc_and_never_a_key(resolved: dict[str, dict[str, Any]]) -> None:
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
    for name, job in resolved.items():
        if touches_a_stack(job):
            token = job["id_tokens"]["GCP_ID_TOKEN"]
            assert token["aud"] == "https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER"
            assert (
                'export GOOGLE_APPLICATION_CREDENTIALS="$(.ci/google-credentials)"'
                in job["before_script"]
            ), name
        else:
            assert "id_tokens" not in job, f"{name} has no use for a Google identity"


@pytest.mark.parametrize("name", ["preview:staging", "deploy:prod", "drift:prod"])
def test_stack_jobs_use_the_bucket_the_kms_key_and_this_commits_graph_hash(
    resolved: dict[str, dict[str, Any]], name: str
) -> None:
    pulumi = resolved[name]["before_script"]
    assert 'pulumi login "$PULUMI_BACKEND_URL"' in pulumi
    assert any("secretsprovider: $PULUMI_SECRETS_PROVIDER" in c for c in pulumi)
    [hash_line] = [c for c in pulumi if "AIGW_GRAPH_HASH" in c]
    assert hash_line == (
        'export AIGW_GRAPH_HASH="$(.venv/bin/python -m stackctl graph "$STACK" --format hash)"'
    )
    assert pulumi.index(hash_line) == len(pulumi) - 1  # after everything that could fail


def test_merge_requests_preview_with_the_policy_pack_and_post_the_report(
    resolved: dict[str, dict[str, Any]],
) -> None:
    for stack in ("staging", "prod"):
        preview = resolved[f"preview:{stack}"]
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
        assert (ROOT / "policy" / "config" / f"{stack}.json").exists()


def test_the_offline_diff_accepts_exit_2_and_fails_on_1(
    resolved: dict[str, dict[str, Any]],
) -> None:
    diff = resolved["graph-diff"]
    assert diff["parallel"]["matrix"] == [{"STACK": ["staging", "prod"]}]
    assert diff["variables"]["GIT_DEPTH"] == "0"
    script = diff["script"]
    assert any('"$STACK@$CI_MERGE_REQUEST_DIFF_BASE_SHA" "$STACK"' in c for c in script)
    assert script[-1] == 'test "$status" -eq 0 -o "$status" -eq 2'
    for status, ok in ((0, True), (2, True), (1, False)):
        shell = subprocess.run(["sh", "-c", f"status={status}; {script[-1]}"], check=False)
        assert (shell.returncode == 0) is ok


def test_the_offline_diff_gives_every_merge_request_its_counts_and_its_markdown(
    resolved: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The widget's terraform report and the exposed Markdown are the files the job's
    `stackctl diff` writes, at paths GitLab shows: no variable, no glob
    (https://docs.gitlab.com/ci/yaml/#artifactsexpose_as)."""
    diff = resolved["graph-diff"]
    artifacts = diff["artifacts"]
    [run] = [c for c in diff["script"] if "stackctl diff" in c]
    out_dir = re.search(r"--out-dir (\S+)", run)
    assert out_dir is not None
    assert artifacts["expose_as"]
    assert artifacts["paths"] == [f"{out_dir[1]}/diff.md"]
    assert artifacts["reports"]["terraform"] == f"{out_dir[1]}/plan.json"
    for path in [*artifacts["paths"], artifacts["reports"]["terraform"]]:
        assert not {"$", "*"} & set(path)
        assert not path.startswith("./")
    assert "token" not in run.lower()


def test_the_scheduled_drift_check_fails_on_any_change(
    resolved: dict[str, dict[str, Any]],
) -> None:
    for stack in ("staging", "prod"):
        drift = resolved[f"drift:{stack}"]
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
