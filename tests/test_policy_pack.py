"""The policy pack as the Pulumi CLI loads it: entry point, metadata, config files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import jsonschema
import pytest
import yaml
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from policy.delivery import PACK_NAME, POLICIES
from stackctl.engine import ROOT
from stackctl.policy_config import POLICY_DIR, load_policy_config
from tests.policy_harness import RealAnalyzer, settings

# `python -u -m pulumi.policy <engine> .` run in policy/, as the CLI runs a Python pack
# (pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go, RunPlugin), with PolicyPack
# replaced by a recorder so that no server starts.
RUN_AS_THE_CLI = textwrap.dedent(
    """
    import json, os, runpy, sys
    import pulumi_policy
    seen = {}
    class Recorder:
        def __init__(self, **kwargs):
            seen.update(kwargs)
    pulumi_policy.PolicyPack = Recorder
    root = sys.argv[1]
    root_before = any(os.path.abspath(p or ".") == root for p in sys.path)
    # The CLI's own command line: `python -u -m pulumi.policy <engine> <pack dir>`.
    sys.argv = ["pulumi.policy", "127.0.0.1:0", "."]
    try:
        runpy.run_module("pulumi.policy", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        assert done.code == 0, done.code
    print(json.dumps({
        "name": seen["name"],
        "level": seen["enforcement_level"].value,
        "policies": [p.name for p in seen["policies"]],
        "delivery": sys.modules["delivery"].__file__,
        "root_before": root_before,
        "contract": sys.modules["contract"].__file__,
    }))
    """
)


def test_the_cli_entry_point_builds_the_pack_from_inside_policy_dir() -> None:
    """The CLI runs policy/ with policy/ (not the repository root) on sys.path: the entry
    point must import the policies as `delivery`, and get the very same policies, with the
    repository's contract.py (policy/_root.py puts the root on the path)."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_AS_THE_CLI, str(ROOT)],
        cwd=POLICY_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    pack = json.loads(done.stdout)
    assert pack["name"] == PACK_NAME
    assert pack["level"] == "mandatory"
    assert pack["policies"] == [p.name for p in POLICIES]
    assert pack["delivery"] == str(POLICY_DIR / "delivery" / "__init__.py")
    assert pack["root_before"] is False
    assert pack["contract"] == str(ROOT / "contract.py")


def test_every_policy_is_mandatory_named_and_described_once() -> None:
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names)) == 17
    for policy in POLICIES:
        # None is advisory: a policy that is may say why here.
        assert policy.enforcement_level == EnforcementLevel.MANDATORY, policy.name
        assert policy.description.endswith("."), policy.name


def test_the_analyzer_reports_the_pack_as_the_cli_sees_it() -> None:
    """GetAnalyzerInfo is what `pulumi preview` reads first: levels and config schemas."""
    info = RealAnalyzer(settings()).servicer.GetAnalyzerInfo(None, None)
    assert info.name == PACK_NAME
    assert info.supportsConfig
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == {p.name for p in POLICIES}
    assert {p.enforcementLevel for p in info.policies} == {1}  # MANDATORY
    schema = by_name["cloud-run-image-pinned-by-digest"].configSchema.properties
    assert schema["requireDigest"]["default"] is True


@pytest.mark.parametrize("policy", [p for p in POLICIES if p.config_schema], ids=lambda p: p.name)
def test_config_schemas_are_valid_and_their_defaults_fail_closed(policy) -> None:
    document = {"type": "object", "properties": policy.config_schema.properties}
    jsonschema.Draft7Validator.check_schema(document)
    defaults = {k: v["default"] for k, v in policy.config_schema.properties.items()}
    jsonschema.Draft7Validator(document).validate(defaults)
    strict = {"production": True, "requireDigest": True, "allowedNamespaces": []}
    for key, value in defaults.items():
        if key in strict:
            assert value == strict[key], f"{policy.name}.{key} must default to the strict side"


def test_per_stack_config_files_hold_what_differs() -> None:
    prod = load_policy_config(POLICY_DIR / "config" / "prod.json")
    staging = load_policy_config(POLICY_DIR / "config" / "staging.json")
    for name in ("prod-resources-protected", "cloud-run-deletion-protection-in-prod"):
        assert prod[name].properties["production"] is True
        assert staging[name].properties["production"] is False
    assert prod["cloud-run-image-pinned-by-digest"].properties["requireDigest"] is True
    assert staging["cloud-run-image-pinned-by-digest"].properties["requireDigest"] is False
    assert prod["dockerhub-allowed-namespaces"].properties["allowedNamespaces"] == ["gitlab"]
    assert all(s.enforcement == EnforcementLevel.MANDATORY for s in [*prod.values()])


def test_pulumi_policy_yaml_runs_the_pack_in_the_projects_pinned_venv() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    # Resolved on both sides: a checkout may link its .venv (a CI cache, the MR benchmark).
    venv = (POLICY_DIR / project["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == (ROOT / ".venv").resolve()
    pins = {
        line.split("==")[0]: line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line
    }
    pack_pins = [
        line
        for line in (POLICY_DIR / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert pack_pins == [pins["pulumi"], pins["pulumi-policy"]]


def test_stack_policies_are_the_ones_that_need_the_graph() -> None:
    stack = sorted(p.name for p in POLICIES if isinstance(p, StackValidationPolicy))
    assert stack == [
        "ci-credentials-masked-protected-hidden",
        "cloud-run-no-default-service-account",
        "release-tags-protected-with-dockerhub-credentials",
        "security-project-private",
    ]


def test_the_readme_lists_every_policy_with_its_enforcement_level() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = {
        line.split("`")[1]: line.split("|")[2].strip()
        for line in readme.splitlines()
        if line.startswith("| `") and line.split("`")[1] in {p.name for p in POLICIES}
    }
    assert rows == {p.name: p.enforcement_level.value for p in POLICIES if p.enforcement_level}
