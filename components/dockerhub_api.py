"""Docker Hub's API v2, as much of it as the Docker Hub repository provider needs.

No Pulumi provider manages Docker Hub repositories, so `components/dockerhub.py` is a dynamic
provider built on this client. The client is separate so that the provider holds nothing: it
is constructed per provider call from the environment (`DOCKERHUB_USERNAME`,
`DOCKERHUB_TOKEN`, `DOCKERHUB_API_URL`), logs in, does its work and is closed. The token and
the bearer token it trades them for live only in that call, and every message this module
builds passes through one redaction step so that neither can reach a log or an exception.

Endpoints (Docker Hub API v2; the `namespaces` ones are the documented current API, the
`repositories/{namespace}/{name}/` ones are the older API that Docker's own tools still use for
what the current one does not cover):

    POST   /v2/auth/token                         log in: {identifier, secret} -> access_token
    GET    /v2/namespaces/{ns}/repositories/{name}  read a repository (404: there is none)
    POST   /v2/namespaces/{ns}/repositories         create one (400/409: it may already exist)
    PATCH  /v2/namespaces/{ns}/repositories/{name}  set description, full_description
    POST   /v2/repositories/{ns}/{name}/privacy/    set is_private
    DELETE /v2/repositories/{ns}/{name}/            delete (404: already gone)

Retries (urllib3): 429 waits for `Retry-After` (or Docker Hub's `X-Retry-After`, a Unix time),
capped; 5xx, connection errors and read timeouts back off exponentially, a bounded number of
times, for every method used here. Retrying a POST that the server did process is safe for
what this client does: a repeated create answers "already exists", which the provider resolves
by reading the repository (see `RepositoryConflictError`); privacy, PATCH and DELETE set
absolute states. 401 and 403 are never retried: they fail at once, naming the environment
variables to check.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from components.dockerhub_names import (  # noqa: F401 (the client's vocabulary, re-exported)
    DEFAULT_API_URL,
    ENV_API_URL,
    ENV_TOKEN,
    ENV_USERNAME,
    REGISTRY,
    pull_reference,
)

# --- errors -----------------------------------------------------------------------------------


class DockerHubError(Exception):
    """A Docker Hub call failed. The message is safe to show: it never holds a credential."""


class DockerHubAuthError(DockerHubError):
    """Docker Hub refused the credentials (401) or the permission (403). Never retried."""


class RepositoryConflictError(DockerHubError):
    """Create answered 400 or 409: often "already exists", sometimes a refused value. The caller
    tells them apart by reading the repository, not by parsing the server's wording."""


# --- the HTTP policy --------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retries. Production uses `DEFAULT_POLICY`; tests patch it to tiny waits."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 5
    """Tries after the first, for each kind of failure and in total."""
    backoff_factor: float = 0.5
    """Waits 0, 1, 2, 4, 8 s before the retries (urllib3 retries the first failure at once)."""
    backoff_max: float = 30.0
    retry_after_max: int = 60
    """A longer `Retry-After` is cut to this: a bounded run beats a stack stuck for an hour."""


DEFAULT_POLICY = HttpPolicy()

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRIED_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "DELETE"})


class _HubRetry(Retry):
    """urllib3's Retry, also honouring Docker Hub's `X-Retry-After` (a Unix time) on a 429."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            return None  # unreadable: back off as for any other failure
        if seconds is not None:
            return seconds
        stamp = (response.headers.get("X-Retry-After") or "").strip()
        if not stamp.isdigit():
            return None
        return min(max(int(stamp) - time.time(), 0.0), self.retry_after_max)


def _session(policy: HttpPolicy) -> requests.Session:
    retry = _HubRetry(
        total=policy.retries,
        connect=policy.retries,
        read=policy.retries,
        status=policy.retries,
        other=0,
        allowed_methods=RETRIED_METHODS,
        status_forcelist=RETRIED_STATUSES,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        retry_after_max=policy.retry_after_max,
        respect_retry_after_header=True,
        # The last answer is returned, not raised, so the error names its status and message.
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"Accept": "application/json", "User-Agent": "aigw-delivery"})
    return session


# --- repositories -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Repository:
    """A repository as Docker Hub reports it."""

    namespace: str
    name: str
    description: str
    full_description: str
    is_private: bool

    @classmethod
    def from_api(cls, data: Mapping[str, Any], namespace: str, name: str) -> Repository:
        private = data.get("is_private")
        if not isinstance(private, bool):
            raise DockerHubError(
                f"read {namespace}/{name}: Docker Hub's answer has no boolean 'is_private'"
            )
        return cls(
            namespace=str(data.get("namespace") or namespace),
            name=str(data.get("name") or name),
            description=str(data.get("description") or ""),
            full_description=str(data.get("full_description") or ""),
            is_private=private,
        )


@dataclass
class DockerHubClient:
    """One provider call's conversation with Docker Hub. Use it as a context manager."""

    api_url: str
    username: str
    token: str = field(repr=False)
    policy: HttpPolicy = DEFAULT_POLICY
    _bearer: str | None = field(default=None, init=False, repr=False)
    _session: requests.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")
        self._session = _session(self.policy)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> DockerHubClient:
        """The client for the credentials and API URL in the environment of this process."""
        env = os.environ if environ is None else environ
        missing = [name for name in (ENV_USERNAME, ENV_TOKEN) if not env.get(name)]
        if missing:
            raise DockerHubAuthError(
                f"{' and '.join(missing)} must be set in the environment of `pulumi up` "
                "(the Docker Hub account that administers the repositories, and its personal "
                "or organization access token)"
            )
        api_url = env.get(ENV_API_URL) or DEFAULT_API_URL
        _check_api_url(api_url)
        # Read at call time, so a test's patched policy applies.
        return cls(api_url, env[ENV_USERNAME], env[ENV_TOKEN], policy=DEFAULT_POLICY)

    def __enter__(self) -> DockerHubClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()
        self._bearer = None

    # --- repository operations ----------------------------------------------------------

    def get_repository(self, namespace: str, name: str) -> Repository | None:
        """The repository, or None when Docker Hub has none by that name."""
        action = f"read {namespace}/{name}"
        with self._call(action, "GET", _repo_path(namespace, name)) as response:
            if response.status_code == 404:
                return None
            self._expect(action, response, (200,))
            return Repository.from_api(self._json(action, response), namespace, name)

    def create_repository(
        self,
        namespace: str,
        name: str,
        *,
        private: bool,
        description: str | None,
        full_description: str | None,
    ) -> None:
        """Create it. Raises `RepositoryConflictError` on 400/409 (it may exist already)."""
        action = f"create {namespace}/{name}"
        body: dict[str, Any] = {
            "namespace": namespace,
            "name": name,
            "is_private": private,
            "registry": REGISTRY,
        }
        if description is not None:
            body["description"] = description
        if full_description is not None:
            body["full_description"] = full_description
        path = f"/v2/namespaces/{_segment(namespace)}/repositories"
        with self._call(action, "POST", path, body) as response:
            if response.status_code in (400, 409):
                raise RepositoryConflictError(self._failure(action, response))
            # The body of a created repository is not needed: the caller knows what it asked.
            self._expect(action, response, (200, 201))

    def update_descriptions(
        self, namespace: str, name: str, *, description: str | None, full_description: str | None
    ) -> None:
        """Set whichever of the two descriptions is given."""
        body = {
            key: value
            for key, value in (("description", description), ("full_description", full_description))
            if value is not None
        }
        if not body:
            return
        action = f"update the descriptions of {namespace}/{name}"
        with self._call(action, "PATCH", _repo_path(namespace, name), body) as response:
            self._expect(action, response, (200,))

    def set_private(self, namespace: str, name: str, private: bool) -> None:
        action = f"make {namespace}/{name} {'private' if private else 'public'}"
        path = f"/v2/repositories/{_segment(namespace)}/{_segment(name)}/privacy/"
        with self._call(action, "POST", path, {"is_private": private}) as response:
            self._expect(action, response, (200, 201, 204))

    def delete_repository(self, namespace: str, name: str) -> bool:
        """Delete it; False when it was already gone."""
        action = f"delete {namespace}/{name}"
        path = f"/v2/repositories/{_segment(namespace)}/{_segment(name)}/"
        with self._call(action, "DELETE", path) as response:
            if response.status_code == 404:
                return False
            self._expect(action, response, (200, 202, 204))
            return True

    # --- the conversation ---------------------------------------------------------------

    def _login(self) -> str:
        """Trade the username and token for a short-lived bearer token, once per client."""
        if self._bearer is not None:
            return self._bearer
        action = "log in"
        body = {"identifier": self.username, "secret": self.token}
        with self._call(action, "POST", "/v2/auth/token", body, authenticated=False) as response:
            if response.status_code in (401, 403):
                raise DockerHubAuthError(
                    self._redact(
                        f"Docker Hub refused the credentials in {ENV_USERNAME} and {ENV_TOKEN} "
                        f"(user {self.username!r}, {_status(response)}): check that "
                        f"{ENV_TOKEN} holds a valid personal access token of that user, or an "
                        "organization access token with the organization as the username"
                    )
                )
            self._expect(action, response, (200,))
            bearer = self._json(action, response).get("access_token")
        if not isinstance(bearer, str) or not bearer:
            raise DockerHubError("log in: Docker Hub's answer has no access_token")
        self._bearer = bearer
        return bearer

    @contextmanager
    def _call(
        self,
        action: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        authenticated: bool = True,
    ) -> Iterator[requests.Response]:
        headers = {"Authorization": f"Bearer {self._login()}"} if authenticated else {}
        try:
            response = self._session.request(
                method,
                self.api_url + path,
                json=body,
                headers=headers,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
            )
        except requests.RequestException as err:
            # `from None`: the cause's text is summarised here; nothing else of it is needed.
            raise DockerHubError(
                self._redact(
                    f"{action}: no answer from Docker Hub at {self.api_url} ({method} {path}) "
                    f"after {self.policy.retries + 1} tries: {self._reason(err)}"
                )
            ) from None
        try:
            yield response
        finally:
            response.close()

    def _expect(self, action: str, response: requests.Response, ok: tuple[int, ...]) -> None:
        if response.status_code in ok:
            return
        if response.status_code in (401, 403):
            raise DockerHubAuthError(
                self._redact(
                    f"{action}: Docker Hub refused it ({_status(response)}): the account in "
                    f"{ENV_USERNAME} ({self.username!r}) or the token in {ENV_TOKEN} lacks the "
                    "permission; it needs admin (repo:admin) access to the namespace"
                )
            )
        raise DockerHubError(self._failure(action, response))

    def _failure(self, action: str, response: requests.Response) -> str:
        tries = _tries(response)
        after = f" after {tries} tries" if tries > 1 else ""
        said = _server_message(response)
        return self._redact(
            f"{action}: Docker Hub answered {_status(response)}{after}"
            + (f": {said}" if said else "")
        )

    def _json(self, action: str, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            kind = response.headers.get("Content-Type", "no content type")
            raise DockerHubError(
                f"{action}: Docker Hub answered {_status(response)} with a body that is not a "
                f"JSON object ({kind}, {len(response.content)} bytes)"
            )
        return data

    def _reason(self, err: requests.RequestException) -> str:
        cause: BaseException = err
        if err.args and isinstance(err.args[0], MaxRetryError):
            cause = err.args[0].reason or err.args[0]
        if isinstance(cause, ReadTimeoutError) or isinstance(err, requests.ReadTimeout):
            return f"no answer within the read timeout ({self.policy.read_timeout:g} s)"
        if isinstance(cause, ConnectTimeoutError) or isinstance(err, requests.ConnectTimeout):
            return f"could not connect within {self.policy.connect_timeout:g} s"
        if isinstance(cause, NewConnectionError):
            return "could not connect (connection refused or host unreachable)"
        if isinstance(cause, ProtocolError):
            return "the connection broke off"
        return type(cause).__name__

    def _redact(self, text: str) -> str:
        """Every message this client builds goes through here: no credential leaves in it."""
        for secret in (self.token, self._bearer):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def _check_api_url(url: str) -> None:
    parts = urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise DockerHubError(
            f"{ENV_API_URL} = {url!r}: must be an https:// URL (http:// only for a local "
            "test server): the token must not travel in the clear"
        )


def _segment(value: str) -> str:
    return quote(value, safe="")


def _repo_path(namespace: str, name: str) -> str:
    return f"/v2/namespaces/{_segment(namespace)}/repositories/{_segment(name)}"


def _status(response: requests.Response) -> str:
    return f"{response.status_code} {response.reason or ''}".strip()


def _tries(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return 1 + len(getattr(retries, "history", ()) or ())


def _server_message(response: requests.Response) -> str:
    """What Docker Hub said about a failure, if it said it in JSON; short, one line."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("message", "detail", "error", "text"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 200 else text[:197] + "..."
    return ""
