"""Docker Hub's names: its naming rules, its environment variables, its pull references.

Apart from the HTTP client (`components/dockerhub_api.py`) because the program needs these
on every run, to validate settings and describe repositories, and the client's `requests`
and `urllib3` only when the provider really talks to Docker Hub (`pulumi up`, `refresh`).
"""

from __future__ import annotations

import re

ENV_USERNAME = "DOCKERHUB_USERNAME"
ENV_TOKEN = "DOCKERHUB_TOKEN"  # noqa: S105 (the name of the variable, not a token)
ENV_API_URL = "DOCKERHUB_API_URL"
DEFAULT_API_URL = "https://hub.docker.com"
REGISTRY = "docker.io"
"""The registry host a Docker Hub repository is pulled from: `docker.io/<namespace>/<name>`."""

# --- Docker Hub's naming rules ---------------------------------------------------------------
# One place for them: the settings validate config with these, the provider's `check` validates
# resource inputs with them, so a name is refused the same way wherever it comes from.

SHORT_DESCRIPTION_MAX = 100
FULL_DESCRIPTION_MAX = 25_000
_NAMESPACE = re.compile(r"[a-z0-9]{4,30}")
_REPOSITORY = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")


def namespace_problem(value: str) -> str | None:
    """Why `value` is not a Docker Hub namespace (a Docker ID or organization), or None."""
    if not _NAMESPACE.fullmatch(value):
        return (
            "must be a Docker Hub namespace (Docker ID or organization): 4 to 30 lowercase "
            "letters and digits"
        )
    return None


def repository_problem(value: str) -> str | None:
    """Why `value` is not a Docker Hub repository name, or None."""
    if not 2 <= len(value) <= 255 or not _REPOSITORY.fullmatch(value):
        return (
            "must be a Docker Hub repository name: 2 to 255 lowercase letters and digits, "
            "separated by single '.', '_' or '-'"
        )
    return None


def description_problem(value: str, limit: int) -> str | None:
    """Why `value` does not fit Docker Hub's length limit for a description, or None."""
    if len(value) > limit:
        return f"must be at most {limit} characters (it has {len(value)})"
    return None


def pull_reference(namespace: str, name: str) -> str:
    return f"{REGISTRY}/{namespace}/{name}"
