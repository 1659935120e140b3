"""Hostile Docker Hub answers, one table: what the provider does with each.

Every row is an answer a broken, compromised or merely unlucky Docker Hub (or something in
between) could give on 127.0.0.1: redirects to another origin or to plain http on every call,
redirects to a 200 page where a change was asked, a connection reset in the middle of a body,
a body trickled a byte at a time, an expired bearer, HTML where JSON belongs, an answer far too
large, a `repository_info` with wrong or missing fields, absurd `Retry-After` headers. For each
the test checks what a platform engineer running `pulumi up` would notice:

- the outcome: success, or the error class and a message that names the call;
- that no credential (the token and both bearers the fake hands out) reaches the message, the
  exception's traceback, a log record or the process's output;
- that nothing was created twice, and nothing created where a redirect answered;
- that no request reached the other origin a redirect pointed to;
- that the test finished in bounded time (the tight `HttpPolicy` below; waits between retries
  are recorded by `sleeps`, not slept).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from components import dockerhub_api
from components.dockerhub import DockerHubRepositoryProvider
from components.dockerhub_api import DockerHubAuthError, DockerHubError, HttpPolicy
from tests.fake_dockerhub import BEARER, TOKEN, FakeHub

pytest_plugins = ["tests.dockerhub_fixtures"]

NS, NAME = "gitlabtest", "model-gateway"
ID = f"{NS}/{NAME}"
LOGIN = "/v2/auth/token$"
REPO = f"/v2/namespaces/{NS}/repositories/{NAME}$"
CREATE = f"/v2/namespaces/{NS}/repositories$"
PRIVACY = f"/v2/repositories/{NS}/{NAME}/privacy$"
DELETE = f"/v2/repositories/{NS}/{NAME}/$"
BEARER_2 = "bearer-SECONDBEARER-1357924680"
"""The bearer the fake hands out once the first one has expired."""
TIGHT = HttpPolicy(
    connect_timeout=1.0, read_timeout=1.0, answer_deadline=0.3, max_answer_bytes=64 * 1024
)
BOUND = 5.0
"""Seconds any one row may take, all its tries included."""

provider = DockerHubRepositoryProvider()


def props(**overrides: Any) -> dict[str, Any]:
    return {
        "namespace": NS,
        "name": NAME,
        "visibility": "public",
        "shortDescription": "The GitLab AI Gateway",
        **overrides,
    }


def run(operation: str) -> object:
    """One provider step, as the engine calls it. `create` finds no repository; `update`
    and `delete` find one that differs from the stack (so update both PATCHes and sets the
    visibility)."""
    if operation == "create":
        return provider.create(props())
    if operation == "read":
        return provider.read(ID, props())
    if operation == "update":
        return provider.update(ID, props(), props(visibility="private", shortDescription="new"))
    if operation == "delete":
        provider.delete(ID, props())
        return None
    raise AssertionError(operation)


def repository(**fields: Any) -> dict[str, Any]:
    """A `repository_info` as the fake gives it, with some fields changed or removed."""
    fake = FakeHub()
    fake.add(NS, NAME, description="The GitLab AI Gateway")
    data = {**fake.repositories[ID], **fields}
    return {k: v for k, v in data.items() if v is not _GONE}


_GONE = object()


@dataclass(frozen=True)
class Hostile:
    id: str
    operation: str
    faults: list[dict[str, Any]]
    error: type[DockerHubError] | None = None
    message: str = ""
    """A regex the error's message must match from its start."""
    existing: bool = False
    created: int = 0
    also: Callable[[FakeHub, list[float]], None] | None = field(default=None)


def redirect(method: str, path: str, status: int, to: str) -> dict[str, Any]:
    return {"method": method, "path": path, "status": status, "headers": {"Location": to}}


ELSEWHERE = "{elsewhere}"  # replaced by the other origin's URL
PLAIN_HTTP = "http://hub.docker.com"
NOT_FOLLOWED = r"a redirect to (?P<to>\S+): not followed \(this client follows no redirect"


def _logins(n: int) -> Callable[[FakeHub, list[float]], None]:
    def check(hub: FakeHub, _: list[float]) -> None:
        assert hub.logins == n

    return check


def _count(method: str, path: str, n: int) -> Callable[[FakeHub, list[float]], None]:
    def check(hub: FakeHub, _: list[float]) -> None:
        assert hub.count(method, path) == n

    return check


def _slept(waits: list[float]) -> Callable[[FakeHub, list[float]], None]:
    def check(_: FakeHub, sleeps: list[float]) -> None:
        assert sleeps == waits

    return check


def _still_there(hub: FakeHub, _: list[float]) -> None:
    assert ID in hub.repositories


def _kept(hub: FakeHub, _: list[float]) -> None:
    live = hub.repositories[ID]
    assert (live["description"], live["is_private"]) == ("old words", False)


CASES = [
    # --- redirects: never followed, never a success ------------------------------------------
    Hostile(
        "login-redirect-to-another-origin",
        "read",
        [redirect("POST", LOGIN, 307, ELSEWHERE + "/v2/auth/token")],
        DockerHubError,
        r"log in: Docker Hub answered 307 TEMPORARY REDIRECT \(POST /v2/auth/token\), "
        + NOT_FOLLOWED,
    ),
    Hostile(
        "login-redirect-to-http",
        "read",
        [redirect("POST", LOGIN, 308, PLAIN_HTTP + "/v2/auth/token")],
        DockerHubError,
        r"log in: Docker Hub answered 308 PERMANENT REDIRECT .*a redirect to http://hub\.docker"
        r"\.com: not followed",
    ),
    Hostile(
        "read-redirect-to-another-origin",
        "read",
        [redirect("GET", REPO, 301, ELSEWHERE + "/v2/namespaces/x/repositories/y")],
        DockerHubError,
        rf"read {ID}: Docker Hub answered 301 MOVED PERMANENTLY \(GET .*\), " + NOT_FOLLOWED,
    ),
    Hostile(
        "read-redirect-to-http",
        "read",
        [redirect("GET", REPO, 302, PLAIN_HTTP + "/v2/namespaces/x/repositories/y")],
        DockerHubError,
        rf"read {ID}: Docker Hub answered 302 FOUND .*a redirect to http://hub\.docker\.com",
    ),
    Hostile(
        "create-redirect-to-a-200-page",
        "create",
        [redirect("POST", CREATE, 302, ELSEWHERE + "/welcome")],
        DockerHubError,
        rf"create {ID}: Docker Hub answered 302 FOUND \(POST .*\), " + NOT_FOLLOWED,
    ),
    Hostile(
        "create-redirect-see-other-to-http",
        "create",
        [redirect("POST", CREATE, 303, PLAIN_HTTP + "/r/x")],
        DockerHubError,
        rf"create {ID}: Docker Hub answered 303 SEE OTHER .*redirect to http://hub\.docker\.com",
    ),
    Hostile(
        "patch-redirect-to-a-200-page",
        "update",
        [redirect("PATCH", REPO, 307, ELSEWHERE + "/welcome")],
        DockerHubError,
        rf"update the descriptions of {ID}: Docker Hub answered 307 TEMPORARY REDIRECT "
        r"\(PATCH .*\), " + NOT_FOLLOWED,
        existing=True,
        also=_kept,
    ),
    Hostile(
        "privacy-redirect-to-a-200-page",
        "update",
        [redirect("POST", PRIVACY, 301, ELSEWHERE + "/welcome")],
        DockerHubError,
        rf"make {ID} private: Docker Hub answered 301 MOVED PERMANENTLY \(POST .*\), "
        + NOT_FOLLOWED,
        existing=True,
    ),
    Hostile(
        "delete-redirect-to-http",
        "delete",
        [redirect("DELETE", DELETE, 302, PLAIN_HTTP + "/")],
        DockerHubError,
        rf"delete {ID}: Docker Hub answered 302 FOUND \(DELETE .*\), a redirect to http://hub",
        existing=True,
        also=_still_there,
    ),
    Hostile(
        "redirect-location-carrying-the-token",
        "read",
        [redirect("GET", REPO, 302, f"https://{TOKEN.lower()}:x@evil.example/?t={TOKEN}")],
        DockerHubError,
        rf"read {ID}: Docker Hub answered 302 FOUND .*a redirect to https://evil\.example: not",
    ),
    # --- broken and slow bodies -----------------------------------------------------------------
    Hostile(
        "read-reset-mid-body-once-then-whole",
        "read",
        [{"method": "GET", "path": REPO, "status": None, "break_off": True}],
        existing=True,
        also=_count("GET", REPO, 2),
    ),
    Hostile(
        "login-reset-mid-body-every-time",
        "read",
        [{"method": "POST", "path": LOGIN, "status": None, "break_off": True, "times": 99}],
        DockerHubError,
        r"log in: Docker Hub's answer \(POST /v2/auth/token\) broke off before its end, "
        r"after 6 tries$",
        also=_slept([1.0, 2.0, 4.0, 8.0]),
    ),
    Hostile(
        "read-5xx-and-resets-share-one-budget",
        "read",
        [
            {"method": "GET", "path": REPO, "status": 503, "times": 3},
            {"method": "GET", "path": REPO, "status": None, "break_off": True, "times": 9},
        ],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer \(GET .*\) broke off before its end, after 6 tries$",
        existing=True,
        also=_count("GET", REPO, 6),
    ),
    Hostile(
        "create-processed-then-reset-mid-body",
        "create",
        [{"method": "POST", "path": CREATE, "status": None, "break_off": True, "process": True}],
        created=1,
        also=_count("POST", CREATE, 2),
    ),
    Hostile(
        "read-body-trickled-past-the-deadline",
        "read",
        [{"method": "GET", "path": REPO, "status": None, "trickle": 0.02}],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer did not arrive in full within 0\.3 s \(\d+ bytes",
        existing=True,
        also=_count("GET", REPO, 1),
    ),
    Hostile(
        "login-body-trickled-past-the-deadline",
        "read",
        [{"method": "POST", "path": LOGIN, "status": None, "trickle": 0.02}],
        DockerHubError,
        r"log in: Docker Hub's answer did not arrive in full within 0\.3 s",
    ),
    Hostile(
        "read-huge-body-with-its-length",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": json.dumps({"x": "y" * 70_000})}],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer is 70009 bytes, more than the 65536 this client reads",
    ),
    Hostile(
        "read-huge-body-chunked",
        "read",
        [
            {
                "method": "GET",
                "path": REPO,
                "status": 200,
                "body": json.dumps({"x": "y" * 200_000}),
                "chunked": True,
            }
        ],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer is more than the 65536 bytes this client reads",
    ),
    Hostile(
        "read-body-not-what-content-encoding-says",
        "read",
        [
            {
                "method": "GET",
                "path": REPO,
                "status": 200,
                "body": "not gzip at all",
                "headers": {"Content-Encoding": "gzip"},
            }
        ],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer could not be decoded \(gzip\)",
    ),
    # --- expired and refused bearers ------------------------------------------------------
    Hostile(
        "read-401-then-success-after-logging-in-again",
        "read",
        [{"method": "GET", "path": REPO, "status": 401, "body": {"detail": "token expired"}}],
        existing=True,
        also=_logins(2),
    ),
    Hostile(
        "create-401-then-success-after-logging-in-again",
        "create",
        [{"method": "POST", "path": CREATE, "status": 401, "body": {"detail": "expired"}}],
        created=1,
        also=_logins(2),
    ),
    Hostile(
        "read-401-twice",
        "read",
        [{"method": "GET", "path": REPO, "status": 401, "times": 2, "body": {"detail": "no"}}],
        DockerHubAuthError,
        rf"read {ID}: Docker Hub refused it \(401 UNAUTHORIZED\) even after logging in again "
        r"as 'gitlabtest'",
        existing=True,
        also=_logins(2),
    ),
    Hostile(
        "delete-401-twice",
        "delete",
        [{"method": "DELETE", "path": DELETE, "status": 401, "times": 2}],
        DockerHubAuthError,
        rf"delete {ID}: Docker Hub refused it \(401 UNAUTHORIZED\) even after logging in again",
        existing=True,
        also=_still_there,
    ),
    # --- answers that are not what the document says --------------------------------------------
    Hostile(
        "read-html-instead-of-json",
        "read",
        [
            {
                "method": "GET",
                "path": REPO,
                "status": 200,
                "body": "<html><body>Welcome</body></html>",
                "headers": {"Content-Type": "text/html"},
            }
        ],
        DockerHubError,
        rf"read {ID}: Docker Hub answered 200 OK with a body that is not a JSON object "
        r"\(text/html, 33 bytes\)$",
    ),
    Hostile(
        "login-html-instead-of-json",
        "read",
        [
            {
                "method": "POST",
                "path": LOGIN,
                "status": 200,
                "body": "<html>sign in</html>",
                "headers": {"Content-Type": "text/html"},
            }
        ],
        DockerHubError,
        r"log in: Docker Hub answered 200 OK with a body that is not a JSON object",
    ),
    Hostile(
        "login-without-access-token",
        "read",
        [{"method": "POST", "path": LOGIN, "status": 200, "body": {"token": "eyJ.x.y"}}],
        DockerHubError,
        r"log in: Docker Hub's answer has no access_token$",
    ),
    Hostile(
        "read-is-private-as-a-string",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": repository(is_private="false")}],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer has a 'is_private' of type str, not a boolean$",
    ),
    Hostile(
        "read-description-as-a-number",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": repository(description=42)}],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer has a 'description' of type int, not a string or null$",
    ),
    Hostile(
        "read-without-the-optional-full-description",
        "read",
        [
            {
                "method": "GET",
                "path": REPO,
                "status": 200,
                "body": repository(full_description=_GONE),
            }
        ],
    ),
    Hostile(
        "read-full-description-as-a-list",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": repository(full_description=[])}],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer has a 'full_description' of type list, not a string "
        r"or null$",
    ),
    Hostile(
        "read-without-is-private",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": repository(is_private=_GONE)}],
        DockerHubError,
        rf"read {ID}: Docker Hub's answer has no 'is_private'$",
    ),
    Hostile(
        "read-another-repository",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": repository(name="other")}],
        DockerHubError,
        rf"read {ID}: Docker Hub answered with another repository \({NS}/other\)$",
    ),
    Hostile(
        "read-a-json-list",
        "read",
        [{"method": "GET", "path": REPO, "status": 200, "body": "[1, 2]"}],
        DockerHubError,
        rf"read {ID}: Docker Hub answered 200 OK with a body that is not a JSON object",
    ),
    # --- rate limits and server errors ----------------------------------------------------------
    Hostile(
        "read-429-with-an-absurd-retry-after",
        "read",
        [{"method": "GET", "path": REPO, "status": 429, "headers": {"Retry-After": "9" * 15}}],
        existing=True,
        also=_slept([60]),
    ),
    Hostile(
        "read-429-with-an-absurd-x-retry-after",
        "read",
        [{"method": "GET", "path": REPO, "status": 429, "headers": {"X-Retry-After": "9" * 15}}],
        existing=True,
        also=_slept([60]),
    ),
    Hostile(
        "read-429-with-a-negative-retry-after",
        "read",
        [
            {
                "method": "GET",
                "path": REPO,
                "status": 429,
                "times": 2,
                "headers": {"Retry-After": "-5"},
            }
        ],
        existing=True,
        also=_slept([1.0]),
    ),
    Hostile(
        "delete-500-echoing-the-credentials",
        "delete",
        [
            {
                "method": "DELETE",
                "path": DELETE,
                "status": 500,
                "times": 99,
                "body": {"message": f"failed for {TOKEN} with Bearer {BEARER}"},
            }
        ],
        DockerHubError,
        rf"delete {ID}: Docker Hub answered 500 INTERNAL SERVER ERROR after 6 tries: failed for "
        r"\[redacted\] with Bearer \[redacted\]$",
        existing=True,
    ),
]


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[tuple[HTTPServer, list[str]]]:
    """Another origin (another port) that redirects point at; nothing may ever reach it."""
    seen: list[str] = []

    def record(request: Request) -> Response:
        seen.append(f"{request.method} {request.path} {dict(request.headers)} {request.data!r}")
        return Response("{}", status=200, content_type="application/json")

    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    srv.expect_request(re.compile(".*")).respond_with_handler(record)
    yield srv, seen
    srv.stop()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_hostile_answer(
    case: Hostile,
    hub: FakeHub,
    sleeps: list[float],
    elsewhere: tuple[HTTPServer, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(dockerhub_api, "DEFAULT_POLICY", TIGHT)
    caplog.set_level(logging.DEBUG)
    other, reached = elsewhere
    reached.clear()
    origin = other.url_for("/").rstrip("/")
    if case.existing:
        hub.add(NS, NAME, description="old words")
    for fault in case.faults:
        fault = dict(fault)
        if "headers" in fault:
            fault["headers"] = {
                k: v.replace(ELSEWHERE, origin) for k, v in fault["headers"].items()
            }
        hub.fail(**fault)

    started = time.monotonic()
    failure: BaseException | None = None
    try:
        outcome = run(case.operation)
    except DockerHubError as err:
        failure, outcome = err, None
    elapsed = time.monotonic() - started

    if case.error is None:
        assert failure is None, str(failure)
    else:
        assert type(failure) is case.error, repr(failure)
        assert re.match(case.message, str(failure)), str(failure)
        if "{elsewhere}" in json.dumps(case.faults):
            assert f"a redirect to {origin}: not followed" in str(failure)
    printed = capsys.readouterr()
    shown = [str(failure), repr(failure), caplog.text, printed.out, printed.err, repr(outcome)]
    if failure is not None:
        shown.append("".join(traceback.format_exception(failure)))
    for text in shown:
        for credential in (TOKEN, BEARER, BEARER_2, TOKEN.lower()):
            assert credential not in text
    assert all(n == 1 for n in hub.created.values())
    assert hub.created.get(ID, 0) == case.created
    assert reached == []
    assert elapsed < BOUND
    if case.also is not None:
        case.also(hub, sleeps)


def test_an_expired_bearer_is_renewed_and_the_new_one_is_used(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Docker Hub's bearer "expires in 10 minutes": a long `pulumi up` outlives it. Here the
    fake stops accepting the first bearer after the create; the next call logs in again, gets
    the second, and carries on."""
    monkeypatch.setattr(dockerhub_api, "DEFAULT_POLICY", TIGHT)
    caplog.set_level(logging.DEBUG)
    with dockerhub_api.DockerHubClient.from_environment() as client:
        client.create_repository(NS, NAME, private=False, description=None, full_description=None)
        hub.bearer = BEARER_2  # the first one has expired
        client.set_private(NS, NAME, True)
        assert client.get_repository(NS, NAME) is not None
    assert hub.logins == 2
    assert hub.repositories[ID]["is_private"] is True
    assert [h.get("Authorization") for h in hub.headers_seen[-2:]] == [f"Bearer {BEARER_2}"] * 2
    assert BEARER not in caplog.text
    assert BEARER_2 not in caplog.text


def test_a_bearer_is_renewed_before_docker_hubs_ten_minutes_run_out(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = HttpPolicy(read_timeout=1.0, bearer_lifetime=0.0)
    monkeypatch.setattr(dockerhub_api, "DEFAULT_POLICY", policy)
    hub.add(NS, NAME)
    with dockerhub_api.DockerHubClient.from_environment() as client:
        client.get_repository(NS, NAME)
        client.get_repository(NS, NAME)
    assert hub.logins == 2  # a log-in before each call: none went out with a stale bearer
    assert hub.count("GET", REPO) == 2


# --- credentials in the wrong place ----------------------------------------------------------


def test_swapped_username_and_token_are_refused_without_printing_the_token(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERHUB_USERNAME", TOKEN)
    monkeypatch.setenv("DOCKERHUB_TOKEN", NS)
    with pytest.raises(DockerHubAuthError) as caught:
        provider.read(ID, props())
    assert str(caught.value).startswith(
        "DOCKERHUB_USERNAME holds what looks like an access token (it starts with 'dckr_'; not "
        "shown): are DOCKERHUB_USERNAME and DOCKERHUB_TOKEN swapped?"
    )
    assert TOKEN not in str(caught.value)
    assert hub.requests == []


@pytest.mark.parametrize(
    "username",
    [
        "3f0c2a8e-6b1d-4c3e-9a7f-0d5e8b2c1a94",
        "Gitlab_Bot",
        "a" * 31,
        "dckroat7awgM4jG5SQvxcvmNzhKj8PQjx",
    ],
)
def test_a_username_that_is_not_a_docker_id_is_never_printed(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    monkeypatch.setenv("DOCKERHUB_USERNAME", username)
    with pytest.raises(DockerHubAuthError) as caught:
        provider.read(ID, props())
    message = str(caught.value)
    assert message.startswith("log in: Docker Hub refused the credentials")
    assert "user not shown: it is not a Docker ID" in message
    assert username not in message


@pytest.mark.parametrize(
    "url",
    [
        f"https://gitlabtest:{TOKEN}@hub.docker.com",
        f"http://{TOKEN}@127.0.0.1:9",
        f"https://user:{TOKEN}@hub.docker.com/v2?x=1",
    ],
)
def test_an_api_url_with_credentials_is_refused_without_printing_them(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("DOCKERHUB_API_URL", url)
    with pytest.raises(DockerHubError) as caught:
        provider.read(ID, props())
    message = str(caught.value)
    assert message.startswith("DOCKERHUB_API_URL = '")
    assert "must not hold a user name or password" in message
    assert TOKEN not in message
    assert "gitlabtest:" not in message
    assert hub.requests == []


def test_gzip_answers_are_still_read(hub: FakeHub) -> None:
    """The decoding bound is not a refusal of compression: a gzip body Docker Hub may send is
    read as JSON (the hostile row above is a body that only claims to be gzip)."""
    hub.add(NS, NAME, description="The GitLab AI Gateway")
    body = gzip.compress(json.dumps(hub.repositories[ID]).encode())
    hub.fail("GET", REPO, 200, body=body, headers={"Content-Encoding": "gzip"})
    assert provider.read(ID, props()).id == ID


def test_a_netrc_password_is_never_added_to_a_request(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """requests adds a ~/.netrc entry's password to a request that has no Authorization; the
    log-in has none. The client sends only the credentials it sets itself."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password NETRC-SECRET-424242\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    hub.add(NS, NAME)
    provider.read(ID, props())
    sent = [h.get("Authorization", "") for h in hub.headers_seen]
    assert sent == ["", f"Bearer {BEARER}"]
