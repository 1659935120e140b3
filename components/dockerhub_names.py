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
# resource inputs with them, so a value is refused the same way wherever it comes from, and
# before any request is sent (a refused value never reaches Docker Hub half-way through an
# update).
#
# Sources, in github:docker/docs:
# - content/reference/api/hub/latest.yaml at commit c065f8002e74b9ef1a9a5afe638f8ae13da5193d,
#   Docker Hub's OpenAPI document (the tests vendor an excerpt in
#   tests/schemas/dockerhub-api.yaml and check these rules against it),
#   `components.schemas.repo_creation_request`: `name` 2 to 255 characters matching
#   `^[a-z0-9]+(?:[._-][a-z0-9]+)*$`, `description` maxLength 100, `full_description`
#   maxLength 25000.
# - that document gives `namespace` no pattern; its rule is the Docker ID's, in
#   content/manuals/accounts/create-account.md (as of docker/docs#21438): "between 4 and 30
#   characters long, and can only contain numbers and lowercase letters" (an organization's
#   name is a namespace of the same form).
# JSON Schema's maxLength counts characters (code points), as Python's `len` does.

SHORT_DESCRIPTION_MAX = 100
FULL_DESCRIPTION_MAX = 25_000
REPOSITORY_MIN, REPOSITORY_MAX = 2, 255
NAMESPACE_MIN, NAMESPACE_MAX = 4, 30
_NAMESPACE = re.compile(rf"[a-z0-9]{{{NAMESPACE_MIN},{NAMESPACE_MAX}}}")
_REPOSITORY = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")


def namespace_problem(value: str) -> str | None:
    """Why `value` is not a Docker Hub namespace (a Docker ID or organization), or None."""
    if not _NAMESPACE.fullmatch(value):
        return (
            "must be a Docker Hub namespace (Docker ID or organization): "
            f"{NAMESPACE_MIN} to {NAMESPACE_MAX} lowercase letters and digits"
        )
    return None


def repository_problem(value: str) -> str | None:
    """Why `value` is not a Docker Hub repository name, or None."""
    if not REPOSITORY_MIN <= len(value) <= REPOSITORY_MAX or not _REPOSITORY.fullmatch(value):
        return (
            f"must be a Docker Hub repository name: {REPOSITORY_MIN} to {REPOSITORY_MAX} "
            "lowercase letters and digits, separated by single '.', '_' or '-'"
        )
    return None


def description_problem(value: str, limit: int) -> str | None:
    """Why `value` does not fit Docker Hub's length limit for a description, or None."""
    if len(value) > limit:
        return f"must be at most {limit} characters (it has {len(value)})"
    return None


def short_description_problem(value: str) -> str | None:
    return description_problem(value, SHORT_DESCRIPTION_MAX)


def full_description_problem(value: str) -> str | None:
    return description_problem(value, FULL_DESCRIPTION_MAX)


def looks_like_token(value: str) -> bool:
    """Whether `value` may be a credential rather than a Docker ID: anything that is not of a
    namespace's form (a Docker ID or an organization name, which are public) counts, so an
    access token (`dckr_pat_…`, `dckr_oat_…`, or an older UUID-shaped one) pasted into
    `DOCKERHUB_USERNAME` is never printed as if it were a name."""
    return value.startswith("dckr_") or namespace_problem(value) is not None


def pull_reference(namespace: str, name: str) -> str:
    return f"{REGISTRY}/{namespace}/{name}"
