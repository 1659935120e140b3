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
from stackctl import diagram, diff, text
from stackctl.engine import STACK_TYPE, EngineError, evaluate
from stackctl.stackfile import load_stack, secret_placeholder
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


def as_the_cli_hands_it_over(root: Path, stack: str) -> tuple[dict[str, str], set[str]]:
    """The stack's config as the program receives it (`stackctl.stackfile`, which reads stack
    files as the CLI does): the values as strings, and the keys marked secret."""
    config = load_stack(root, stack)
    prefix = "aigw-delivery:"
    raw = {
        k.removeprefix(prefix): v for k, v in config.as_sdk_config().items() if k.startswith(prefix)
    }
    return raw, {k.removeprefix(prefix) for k in config.secret_keys}


@pytest.mark.parametrize(
    ("path", "key"),
    SECURE_LEAVES,
    ids=[".".join(map(str, p)).removeprefix("aigw-delivery:") for p, _ in SECURE_LEAVES],
)
def test_a_secret_a_key_cannot_carry_is_refused_naming_the_key(
    scratch_project: ProjectFactory, path: list[str | int], key: str
) -> None:
    root = scratch_project(stacks={"s": with_secure_leaf(path)})
    raw, secret = as_the_cli_hands_it_over(root, "s")
    assert secret == {key}
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, secret)
    message = str(caught.value)
    assert caught.value.problems[0].startswith(
        f"  - aigw-delivery:{key}: holds a secret (a `secure:` value)"
    ), message
    assert message.count("holds a secret") == 1
    assert CIPHERTEXT not in message
    assert secret_placeholder(CIPHERTEXT) not in message


def test_the_refusal_reaches_every_output_and_registers_nothing(
    scratch_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf: list[str | int] = ["aigw-delivery:fleets", "aigw", "env", "AIGW_GITLAB_URL"]
    root = scratch_project(stacks={"s": with_secure_leaf(leaf)})
    with pytest.raises(EngineError) as caught:
        evaluate("s", root=root)
    assert "  - aigw-delivery:fleets: holds a secret" in str(caught.value)
    assert [r.type for r in caught.value.resources] == [STACK_TYPE]
    outputs = [str(caught.value)]
    code, out, err = run_cli(capsys, "-C", str(root), "graph", "s", "--format", "json")
    assert code == 1
    assert "Traceback" not in err
    assert "aigw-delivery:fleets: holds a secret" in err
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
    scratch_project: ProjectFactory,
) -> None:
    base = stack_config("staging")
    root = scratch_project(
        stacks={
            "a": {**base, "aigw-delivery:dockerhubToken": {"secure": CIPHERTEXT}},
            "b": {**base, "aigw-delivery:dockerhubToken": {"secure": CIPHERTEXT + "2"}},
        }
    )
    a, b = evaluate("a", root=root), evaluate("b", root=root)
    assert a.named("dockerhub-security-password").inputs["value"] == SECRET
    changes = diff.compare(a, b, "a", "b")
    outputs = [
        text.render(a),
        json.dumps(a.to_json()),
        diagram.mermaid(a),
        diff.render(changes),
        json.dumps(changes.to_json()),
    ]
    assert f"{SECRET} changed" in outputs[3]
    for output in outputs:
        assert CIPHERTEXT not in output
        assert secret_placeholder(CIPHERTEXT) not in output
        assert secret_placeholder(CIPHERTEXT + "2") not in output
