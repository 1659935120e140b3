"""The Docker Hub push token of the release jobs: secret config (`dockerhubToken`) or, failing
that, `DOCKERHUB_TOKEN` in the environment of `pulumi up`. It is read here, so that the rest
of the program only ever sees a secret Output; its value never appears in a problem,
wherever it came from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import pulumi
from pulumi.output import UNKNOWN

from components import dockerhub_names
from components.settings.base import PROJECT
from components.settings.errors import environment_line, line

TOKEN_KEY = "dockerhubToken"  # noqa: S105 (the name of the config key, not a token)
"""The Docker Hub push token: secret config, else `DOCKERHUB_TOKEN` from the environment."""
TOKEN_ENV = dockerhub_names.ENV_TOKEN


def read_push_token(
    configured: str | None,
    is_secret: bool,
    environ: Mapping[str, str] | None,
    dry_run: bool,
) -> tuple[str | None, list[str]]:
    """The token and the problems with it: secret config first, then the environment."""
    if configured:
        if not is_secret:
            return None, [
                line(
                    TOKEN_KEY,
                    "",
                    None,
                    "is not a secret: a token in plain text (in a stack file, on a command line) "
                    f"is a leak; set it with `pulumi config set --secret {PROJECT}:{TOKEN_KEY}`",
                )
            ]
        problem = _maskable(configured)
        return configured, [
            line(TOKEN_KEY, "", configured, problem, secret=True)
        ] if problem else []
    from_env = (environ or {}).get(TOKEN_ENV)
    if from_env:
        problem = _maskable(from_env)
        if problem:
            return from_env, [environment_line(TOKEN_ENV, from_env, problem, secret=True)]
        return from_env, []
    if dry_run:
        return None, []  # a preview shows the variable with an unknown secret value
    return None, [
        line(
            TOKEN_KEY,
            "",
            None,
            f"is not set and {TOKEN_ENV} is not in the environment: `pulumi up` needs the Docker "
            "Hub push token for the DOCKERHUB_PASSWORD CI variables; set it with "
            f"`pulumi config set --secret {PROJECT}:{TOKEN_KEY}` or export {TOKEN_ENV}",
        )
    ]


def _maskable(token: str) -> str | None:
    """GitLab masks (and so can hide) only values of 8 or more characters without whitespace
    (https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable); a control character would
    also break the `docker login` the release job runs with it."""
    if len(token) < 8 or any(c.isspace() or not c.isprintable() for c in token):
        return (
            "must be at least 8 characters without whitespace or control characters, or GitLab "
            "cannot mask and hide the DOCKERHUB_PASSWORD variable"
        )
    return None


def push_token_output(token: str | None) -> pulumi.Output[str]:
    """The push token as a secret Output for the CI variables. In a preview without one, an
    unknown secret: the preview (and `stackctl graph`) shows the variable, `pulumi up` is
    refused in `parse_settings` already."""
    if token is None:
        return pulumi.Output.secret(cast(str, UNKNOWN))
    return pulumi.Output.secret(token)
