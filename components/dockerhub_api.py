"""Docker Hub's API v2, as much of it as the Docker Hub repository provider needs.

No Pulumi provider manages Docker Hub repositories, so `components/dockerhub.py` is a dynamic
provider built on this client. The client is separate so that the provider holds nothing: it
is constructed per provider call from the environment (`DOCKERHUB_USERNAME`,
`DOCKERHUB_TOKEN`, `DOCKERHUB_API_URL`), logs in, does its work and is closed. The token and
the bearer token it trades them for live only in that call, and every message this module
builds passes through one redaction step so that neither can reach a log or an exception.

Endpoints, and what each one rests on. Docker Hub's OpenAPI document (github:docker/docs,
content/reference/api/hub/latest.yaml, excerpt vendored in tests/schemas/dockerhub-api.yaml)
documents the first three; the other three are not in it, and are the calls Docker's own
Terraform provider makes for the same jobs (github:docker/terraform-provider-docker,
internal/hubclient/client_repository.go: `UpdateRepository`, `SetRepositoryPrivacy`,
`DeleteRepository`):

    POST   /v2/auth/token                           documented: {identifier, secret} -> access_token
    GET    /v2/namespaces/{ns}/repositories/{name}  documented: repository_info (404: none)
    POST   /v2/namespaces/{ns}/repositories         documented: repo_creation_request -> 201
    PATCH  /v2/namespaces/{ns}/repositories/{name}  not documented: description, full_description
                                                    (Docker's hub-mcp server, src/repos.ts, sends
                                                    this; Terraform PATCHes the same fields at
                                                    /v2/repositories/{ns}/{name}/)
    POST   /v2/repositories/{ns}/{name}/privacy     not documented: {is_private} (Terraform's
                                                    path, without a trailing slash)
    DELETE /v2/repositories/{ns}/{name}/            not documented: Terraform's path

Credentials never follow a redirect: no call follows one (`allow_redirects=False`). A
redirect would re-send the log-in body (the token itself) or the bearer header to wherever
`Location` points, another origin or plain http included; Docker Hub's document gives none of
these calls a 3xx answer, so a 3xx is a failure naming the call, never a success (a create
answered by a redirect to some 200 page did not create anything).

The bearer token "expires in 10 minutes" (the document's `AuthCreateTokenResponse`): the
client logs in again before that, and a 401 on an authenticated call is answered by one new
log-in and one more try before it counts as refused credentials, so a long `pulumi up` does
not fail half-way.

Retries (urllib3): 429 waits for `Retry-After` (or Docker Hub's `X-Retry-After`, a Unix time),
capped; 5xx, connection errors, read timeouts and a connection that breaks off in the middle
of an answer's body back off exponentially, within one budget of tries per call, for every
method used here. Retrying a POST that the server did process is safe for what this client
does: a repeated create answers "already exists", which the provider resolves by reading the
repository (see `RepositoryConflictError`); privacy, PATCH and DELETE set absolute states.
401 (after the one new log-in) and 403 are never retried. Every try is bounded in time: the
connect timeout, the read timeout for the answer's headers and for each read of its body, and
a wall-clock bound on the whole body (`HttpPolicy.answer_deadline`), so a server that trickles
its answer a byte at a time cannot hold a call open.

Why one module of more than 400 lines: every message it builds, from any call, goes through
one `_redact` holding this conversation's credentials, and every request through one
`_exchange`; split in two, the credentials would have to travel to the other module's messages.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from components.dockerhub_names import (  # noqa: F401 (the client's vocabulary, re-exported)
    DEFAULT_API_URL,
    ENV_API_URL,
    ENV_TOKEN,
    ENV_USERNAME,
    REGISTRY,
    looks_like_token,
    pull_reference,
)

# --- errors -----------------------------------------------------------------------------------


class DockerHubError(Exception):
    """A Docker Hub call failed. The message is safe to show: it never holds a credential."""


class DockerHubAuthError(DockerHubError):
    """Docker Hub refused the credentials (401, also after logging in again) or the permission
    (403)."""


class RepositoryConflictError(DockerHubError):
    """Create answered 400 or 409: often "already exists", sometimes a refused value. The caller
    tells them apart by reading the repository, not by parsing the server's wording (the
    OpenAPI document gives create a 400 `bad_request` and no 409, and says nothing of an
    existing repository)."""


# --- the HTTP policy --------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retries. Production uses `DEFAULT_POLICY`; tests patch it to tiny waits."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    """For the answer's headers, and for each read of its body."""
    answer_deadline: float = 60.0
    """The wall-clock bound on reading one answer's body, from its headers to its last byte
    (overrun by at most one read timeout: a single socket read cannot be cut short)."""
    max_answer_bytes: int = 1 << 20
    """A larger answer is refused unread: a repository, with its 25,000-character README, is
    far smaller."""
    retries: int = 5
    """Tries after the first, for each kind of failure and in total."""
    backoff_factor: float = 0.5
    """Waits 0, 1, 2, 4, 8 s before the retries (urllib3 retries the first failure at once)."""
    backoff_max: float = 30.0
    retry_after_max: int = 60
    """A longer `Retry-After` is cut to this: a bounded run beats a stack stuck for an hour."""
    bearer_lifetime: float = 9 * 60
    """How long a bearer token is used before logging in again: Docker Hub's expire in 10
    minutes (`AuthCreateTokenResponse.access_token` in the OpenAPI document)."""


DEFAULT_POLICY = HttpPolicy()

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRIED_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "DELETE"})
_CHUNK = 16 * 1024


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


def _retry(policy: HttpPolicy) -> Retry:
    return _HubRetry(
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


@dataclass(frozen=True)
class _Answer:
    """One answer, read in full within the policy's bounds."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    tries: int

    @property
    def status_text(self) -> str:
        return f"{self.status} {self.reason}".strip()


class _BrokenOffError(Exception):
    """The connection broke off while the body was being read: retried within the budget."""


# --- repositories -----------------------------------------------------------------------------

# The `repository_info` fields the client reads: the JSON types the OpenAPI document gives
# them, and whether it lists them as `required`. `full_description` is neither required nor
# non-null there. `description` is a required string in `repository_info`, but `nullable` in
# the same document's `repository_list_entry`, so null is read as "" rather than risk failing
# a `pulumi up` over a repository that has no description. Any other type is refused, never
# coerced: a `"false"` that became a truthy string would flip a repository's visibility.
_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "namespace": ((str,), True),
    "name": ((str,), True),
    "description": ((str, type(None)), True),
    "full_description": ((str, type(None)), False),
    "is_private": ((bool,), True),
}


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
        action = f"read {namespace}/{name}"
        for key, (types, required) in _FIELDS.items():
            if key not in data:
                if not required:
                    continue
                raise DockerHubError(f"{action}: Docker Hub's answer has no '{key}'")
            if not isinstance(data[key], types) or (
                bool not in types and isinstance(data[key], bool)
            ):
                raise DockerHubError(
                    f"{action}: Docker Hub's answer has a '{key}' of type "
                    f"{type(data[key]).__name__}, not {' or '.join(_json_type(t) for t in types)}"
                )
        if (data["namespace"], data["name"]) != (namespace, name):
            raise DockerHubError(
                f"{action}: Docker Hub answered with another repository "
                f"({_clip(str(data['namespace']))}/{_clip(str(data['name']))})"
            )
        return cls(
            namespace=namespace,
            name=name,
            description=data["description"] or "",
            full_description=data.get("full_description") or "",
            is_private=data["is_private"],
        )


@dataclass
class DockerHubClient:
    """One provider call's conversation with Docker Hub. Use it as a context manager."""

    api_url: str
    username: str
    token: str = field(repr=False)
    policy: HttpPolicy = DEFAULT_POLICY
    _bearer: str | None = field(default=None, init=False, repr=False)
    _bearer_until: float = field(default=0.0, init=False, repr=False)
    _session: requests.Session = field(init=False, repr=False)
    _adapter: HTTPAdapter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")
        self._session = requests.Session()
        # An explicit (empty) auth: requests would otherwise add a ~/.netrc entry's password
        # to a request without one (the log-in). Proxies from the environment still apply.
        self._session.auth = _no_auth
        self._adapter = HTTPAdapter(max_retries=_retry(self.policy))
        self._session.mount("https://", self._adapter)
        self._session.mount("http://", self._adapter)
        self._session.headers.update({"Accept": "application/json", "User-Agent": "aigw-delivery"})

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
        username = env[ENV_USERNAME]
        if username.startswith("dckr_"):
            # Refused before it is sent anywhere, and never printed.
            raise DockerHubAuthError(
                f"{ENV_USERNAME} holds what looks like an access token (it starts with "
                f"'dckr_'; not shown): are {ENV_USERNAME} and {ENV_TOKEN} swapped? "
                f"{ENV_USERNAME} is the Docker ID (or organization) the token belongs to"
            )
        api_url = env.get(ENV_API_URL) or DEFAULT_API_URL
        _check_api_url(api_url)
        # Read at call time, so a test's patched policy applies.
        return cls(api_url, username, env[ENV_TOKEN], policy=DEFAULT_POLICY)

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
        answer = self._call(action, "GET", _repo_path(namespace, name))
        if answer.status == 404:
            return None
        self._expect(action, answer, (200,))
        return Repository.from_api(self._json(action, answer), namespace, name)

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
        answer = self._call(action, "POST", path, body)
        if answer.status in (400, 409):
            raise RepositoryConflictError(self._failure(action, answer))
        # The body of a created repository is not needed: the caller knows what it asked.
        self._expect(action, answer, (200, 201))

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
        answer = self._call(action, "PATCH", _repo_path(namespace, name), body)
        self._expect(action, answer, (200,))

    def set_private(self, namespace: str, name: str, private: bool) -> None:
        action = f"make {namespace}/{name} {'private' if private else 'public'}"
        path = f"/v2/repositories/{_segment(namespace)}/{_segment(name)}/privacy"
        answer = self._call(action, "POST", path, {"is_private": private})
        self._expect(action, answer, (200, 201, 204))

    def delete_repository(self, namespace: str, name: str) -> bool:
        """Delete it; False when it was already gone."""
        action = f"delete {namespace}/{name}"
        path = f"/v2/repositories/{_segment(namespace)}/{_segment(name)}/"
        answer = self._call(action, "DELETE", path)
        if answer.status == 404:
            return False
        self._expect(action, answer, (200, 202, 204))
        return True

    # --- the conversation ---------------------------------------------------------------

    def _login(self) -> str:
        """Trade the username and token for a bearer token, kept for `bearer_lifetime`."""
        if self._bearer is not None and time.monotonic() < self._bearer_until:
            return self._bearer
        self._bearer = None
        action = "log in"
        body = {"identifier": self.username, "secret": self.token}
        answer = self._exchange(action, "POST", "/v2/auth/token", body, bearer=None)
        if answer.status in (401, 403):
            raise DockerHubAuthError(
                self._redact(
                    f"{action}: Docker Hub refused the credentials in {ENV_USERNAME} and "
                    f"{ENV_TOKEN} (user {self._shown_user()}, {answer.status_text}): check "
                    f"that {ENV_TOKEN} holds a valid personal access token of that user, or an "
                    "organization access token with the organization as the username"
                )
            )
        self._expect(action, answer, (200,))
        bearer = self._json(action, answer).get("access_token")
        if not isinstance(bearer, str) or not bearer:
            raise DockerHubError(f"{action}: Docker Hub's answer has no access_token")
        self._bearer = bearer
        self._bearer_until = time.monotonic() + self.policy.bearer_lifetime
        return bearer

    def _call(
        self, action: str, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> _Answer:
        """An authenticated call. A 401 means the bearer expired or was revoked: log in once
        more and try once more; a second 401 is refused credentials, naming the call."""
        answer = self._exchange(action, method, path, body, bearer=self._login())
        if answer.status != 401:
            return answer
        self._bearer = None
        answer = self._exchange(action, method, path, body, bearer=self._login())
        if answer.status == 401:
            raise DockerHubAuthError(
                self._redact(
                    f"{action}: Docker Hub refused it ({answer.status_text}) even after "
                    f"logging in again as {self._shown_user()}: check the token in {ENV_TOKEN} "
                    "(revoked, or without access to this namespace)"
                )
            )
        return answer

    def _exchange(
        self,
        action: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        *,
        bearer: str | None,
    ) -> _Answer:
        """One request and its whole answer, within the policy's retries and time bounds.

        urllib3 retries what fails before the body (connect, headers, retried statuses); a
        body that breaks off is retried here, with the state urllib3 left, so both share one
        budget. No redirect is followed."""
        headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
        url = self.api_url + path
        retry = _retry(self.policy)
        try:
            while True:
                self._adapter.max_retries = retry
                try:
                    response = self._session.request(
                        method,
                        url,
                        json=body,
                        headers=headers,
                        timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                        allow_redirects=False,
                        stream=True,
                    )
                except requests.RequestException as err:
                    # `from None`: the cause's text is summarised here; nothing else of it is
                    # needed, and its repr could quote what was sent.
                    raise DockerHubError(
                        self._redact(
                            f"{action}: no answer from Docker Hub at {self.api_url} ({method} "
                            f"{path}) after {self.policy.retries + 1} tries: {self._reason(err)}"
                        )
                    ) from None
                state = getattr(response.raw, "retries", None)
                retry = state if isinstance(state, Retry) else retry
                try:
                    content = self._read(action, response)
                except _BrokenOffError:
                    tries = 1 + len(retry.history)
                    try:
                        retry = retry.increment(method, url, error=ProtocolError("broken off"))
                    except MaxRetryError:
                        raise DockerHubError(
                            f"{action}: Docker Hub's answer ({method} {path}) broke off before "
                            f"its end, after {tries} tries"
                        ) from None
                    retry.sleep()
                    continue
                finally:
                    response.close()
                answer = _Answer(
                    status=response.status_code,
                    reason=response.reason or "",
                    headers=response.headers,
                    body=content,
                    tries=1 + len(retry.history),
                )
                if 300 <= answer.status < 400:
                    raise DockerHubError(self._redirected(action, method, path, answer))
                return answer
        finally:
            self._adapter.max_retries = _retry(self.policy)

    def _read(self, action: str, response: requests.Response) -> bytes:
        """The body, within `answer_deadline` and `max_answer_bytes`; `_BrokenOffError` if the
        connection breaks off before its end."""
        limit = self.policy.max_answer_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise DockerHubError(
                f"{action}: Docker Hub's answer is {int(declared)} bytes, more than the "
                f"{limit} this client reads ({_status(response)})"
            )
        deadline = time.monotonic() + self.policy.answer_deadline
        parts: list[bytes] = []
        size = 0
        try:
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                parts.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise DockerHubError(
                        f"{action}: Docker Hub's answer is more than the {limit} bytes this "
                        f"client reads ({_status(response)})"
                    )
                if time.monotonic() > deadline:
                    raise DockerHubError(
                        f"{action}: Docker Hub's answer did not arrive in full within "
                        f"{self.policy.answer_deadline:g} s ({size} bytes by then; "
                        f"{_status(response)})"
                    )
        except (ProtocolError, ReadTimeoutError, SSLError) as err:
            raise _BrokenOffError() from err
        except DecodeError:
            raise DockerHubError(
                f"{action}: Docker Hub's answer could not be decoded "
                f"({response.headers.get('Content-Encoding', 'no content encoding')})"
            ) from None
        return b"".join(parts)

    def _redirected(self, action: str, method: str, path: str, answer: _Answer) -> str:
        return self._redact(
            f"{action}: Docker Hub answered {answer.status_text} ({method} {path}), a redirect "
            f"to {_origin(answer.headers.get('Location', ''))}: not followed (this client "
            "follows no redirect, so that no credential goes anywhere it was not sent) and "
            f"not a success; check {ENV_API_URL}"
        )

    def _expect(self, action: str, answer: _Answer, ok: tuple[int, ...]) -> None:
        if answer.status in ok:
            return
        if answer.status in (401, 403):
            raise DockerHubAuthError(
                self._redact(
                    f"{action}: Docker Hub refused it ({answer.status_text}): the account in "
                    f"{ENV_USERNAME} ({self._shown_user()}) or the token in {ENV_TOKEN} lacks "
                    "the permission; it needs admin (repo:admin) access to the namespace"
                )
            )
        raise DockerHubError(self._failure(action, answer))

    def _failure(self, action: str, answer: _Answer) -> str:
        after = f" after {answer.tries} tries" if answer.tries > 1 else ""
        said = _server_message(answer.body)
        return self._redact(
            f"{action}: Docker Hub answered {answer.status_text}{after}"
            + (f": {said}" if said else "")
        )

    def _json(self, action: str, answer: _Answer) -> dict[str, Any]:
        data = _parse(answer.body)
        if not isinstance(data, dict):
            kind = _clip(answer.headers.get("Content-Type", "no content type"))
            raise DockerHubError(
                f"{action}: Docker Hub answered {answer.status_text} with a body that is not a "
                f"JSON object ({kind}, {len(answer.body)} bytes)"
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

    def _shown_user(self) -> str:
        """The username as a message may show it: only if it has a Docker ID's form."""
        if looks_like_token(self.username):
            return f"not shown: it is not a Docker ID, is {ENV_USERNAME} holding a token?"
        return repr(self.username)

    def _redact(self, text: str) -> str:
        """Every message this client builds goes through here: no credential leaves in it."""
        secrets = [self.token, self._bearer]
        if looks_like_token(self.username):
            secrets.append(self.username)
        for secret in secrets:
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """The request as it is: this client's only credentials are the ones it sets itself."""
    return request


def _check_api_url(url: str) -> None:
    """An https URL of a host, nothing else: no credentials in it (requests would send them as
    Basic auth, and errors print the URL), http only to this machine."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        parts = None
    shown = _without_userinfo(url)
    if parts is None or not parts.hostname:
        raise DockerHubError(f"{ENV_API_URL} = {shown!r}: not a URL of a host")
    if parts.username is not None or parts.password is not None:
        raise DockerHubError(
            f"{ENV_API_URL} = {shown!r}: must not hold a user name or password (user:password@"
            f"); the credentials are {ENV_USERNAME} and {ENV_TOKEN}"
        )
    if parts.query or parts.fragment:
        raise DockerHubError(f"{ENV_API_URL} = {shown!r}: must have no query or fragment")
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise DockerHubError(
            f"{ENV_API_URL} = {shown!r}: must be an https:// URL (http:// only for a local "
            "test server): the token must not travel in the clear"
        )


def _without_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.rpartition("@")[2]
    authority, slash, tail = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{tail}"


def _origin(location: str) -> str:
    """Where a redirect points, as far as a message may say: scheme, host and port only."""
    if not location:
        return "nowhere (no Location)"
    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError:
        return "an unreadable Location"
    if not parts.hostname:
        return "another path on the same origin"
    return _clip(f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else ""))


def _segment(value: str) -> str:
    return quote(value, safe="")


def _repo_path(namespace: str, name: str) -> str:
    return f"/v2/namespaces/{_segment(namespace)}/repositories/{_segment(name)}"


def _status(response: requests.Response) -> str:
    return f"{response.status_code} {response.reason or ''}".strip()


def _json_type(kind: type) -> str:
    return {str: "a string", bool: "a boolean", type(None): "null"}.get(kind, kind.__name__)


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # includes UnicodeDecodeError
        return None


def _server_message(body: bytes) -> str:
    """What Docker Hub said about a failure, if it said it in JSON (the document's `error`
    schema: `message`, `detail`; `ValueError`: `text`); short, one line."""
    data = _parse(body)
    if not isinstance(data, dict):
        return ""
    for key in ("message", "detail", "error", "text"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return _clip(value)
    return ""
