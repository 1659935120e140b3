"""A secret stays secret wherever it sits in the config.

The CLI marks a whole top-level key secret when any leaf in it is `secure:` and hands the
program the key decrypted (components/settings/secrets.py): `dockerhubToken` is carried as a
secret to every output; any other key holding a secret is refused, naming the key, before
anything is registered, and neither its ciphertext nor its plaintext is shown anywhere.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.settings import SettingsError, parse_settings
from contract import SECRET
from stackctl.engine import STACK_TYPE, EngineError, evaluate
from stackctl.stackfile import secret_placeholder
from tests.conftest import ProjectFactory, run_cli, stack_config

CIPHERTEXT = "v1:AAAAcanaryCIPHERTEXT=="
PLAINTEXT = "glpat-PLAINcanaryQ7mK2xZ9vL4"


def with_secure_leaf(path: list[str | int]) -> dict[str, Any]:
    """The staging stack's config with the value at `path` replaced by a `secure:` one."""
    config = copy.deepcopy(stack_config("staging"))
    container: Any = config
    for part in path[:-1]:
        container = container[part]
    container[path[-1]] = {"secure": CIPHERTEXT}
    return config


# (where the secure leaf is, the top-level key the error must name)
SECURE_LEAVES: list[tuple[list[str | int], str]] = [
    (["aigw-delivery:fleets", "aigw", "env", "AIGW_GITLAB_URL"], "fleets"),
    (["aigw-delivery:source", "canonical", "description"], "source"),
    (["aigw-delivery:dockerhub", "repositories", "model-gateway", "shortDescription"], "dockerhub"),
    (["aigw-delivery:gcp", "workloadIdentity", "audience"], "gcp"),
    (["aigw-delivery:runway", "deployments", "ai-gateway", "project", "description"], "runway"),
    (["aigw-delivery:mirror", "tokenExpirationDays"], "mirror"),
    (["aigw-delivery:release", "tagPattern"], "release"),
    (["aigw-delivery:fleets", "dws", "regions", 0], "fleets"),
    (["aigw-delivery:environment"], "environment"),
]


@pytest.fixture
def secure_stack(scratch_project: ProjectFactory, request: pytest.FixtureRequest) -> Path:
    path, _ = request.param
    return scratch_project(stacks={"staging": stack_config("staging"), "s": with_secure_leaf(path)})


@pytest.mark.parametrize(
    ("secure_stack", "key"),
    [(case, case[1]) for case in SECURE_LEAVES],
    indirect=["secure_stack"],
    ids=[".".join(map(str, p)).removeprefix("aigw-delivery:") for p, _ in SECURE_LEAVES],
)
def test_a_secret_a_key_cannot_carry_is_refused_naming_the_key(
    secure_stack: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(EngineError) as caught:
        evaluate("s", root=secure_stack)
    message = str(caught.value)
    assert f"  - aigw-delivery:{key}: holds a secret (a `secure:` value)" in message, message
    assert message.count("holds a secret") == 1
    assert [r.type for r in caught.value.resources] == [STACK_TYPE]
    outputs = [message]
    for argv in (
        ["graph", "s"],
        ["graph", "s", "--format", "json"],
        ["graph", "s", "--format", "mermaid"],
        ["diff", "staging", "s"],
    ):
        code, out, err = run_cli(capsys, "-C", str(secure_stack), *argv)
        assert code == 1, argv
        assert "Traceback" not in err
        assert f"aigw-delivery:{key}: holds a secret" in err
        outputs += [out, err]
    for output in outputs:
        assert CIPHERTEXT not in output
        assert secret_placeholder(CIPHERTEXT) not in output


def test_the_plaintext_the_cli_hands_over_is_never_read_into_a_problem() -> None:
    """Under the CLI the program gets the key decrypted: a bad value in it is not reported
    (nor shown), the refusal is."""
    fleets = copy.deepcopy(stack_config("staging")["aigw-delivery:fleets"])
    fleets["aigw"]["env"]["AIGW_API_KEY"] = PLAINTEXT
    fleets["aigw"]["hostname"] = PLAINTEXT  # would fail its rule, quoting the value
    raw = {
        k.split(":", 1)[1]: v if isinstance(v, str) else json.dumps(v)
        for k, v in stack_config("staging").items()
    }
    raw["fleets"] = json.dumps(fleets)
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, secret={"fleets"})
    assert PLAINTEXT not in str(caught.value)
    assert caught.value.problems == [
        line for line in caught.value.problems if line.startswith("  - aigw-delivery:fleets: holds")
    ]


def test_the_push_token_is_carried_as_a_secret_to_every_output(
    scratch_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    base = stack_config("staging")
    root = scratch_project(
        stacks={
            "a": {**base, "aigw-delivery:dockerhubToken": {"secure": CIPHERTEXT}},
            "b": {**base, "aigw-delivery:dockerhubToken": {"secure": CIPHERTEXT + "2"}},
        }
    )
    graph = evaluate("a", root=root)
    assert graph.named("dockerhub-security-password").inputs["value"] == SECRET
    placeholders = (secret_placeholder(CIPHERTEXT), secret_placeholder(CIPHERTEXT + "2"))
    for argv in (
        ["graph", "a"],
        ["graph", "a", "--format", "json"],
        ["graph", "a", "--format", "mermaid"],
    ):
        code, out, err = run_cli(capsys, "-C", str(root), *argv)
        assert code == 0, err
        assert not any(p in out + err for p in placeholders)
        assert CIPHERTEXT not in out + err
    code, out, err = run_cli(capsys, "-C", str(root), "diff", "a", "b")
    assert code == 2, err
    assert f"{SECRET} changed" in out
    assert not any(p in out + err for p in placeholders)
