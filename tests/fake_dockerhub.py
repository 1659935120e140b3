"""A fake Docker Hub (API v2) on 127.0.0.1, with faults a test injects.

It speaks the endpoints `components.dockerhub_api` uses, in the shapes of Docker Hub's own
OpenAPI document (`tests/schemas/dockerhub-api.yaml`): a repository is a `repository_info`
with every field that schema requires, errors are its `error` object (`message`, `detail`,
`errinfo`), and the status codes are the document's (201 on create, 404 for a missing
repository, 401 for a bad bearer). Every request it receives, and every answer it gives to a
documented operation, is checked against the document (`tests.dockerhub_spec`) by
`violations()`, which the tests' fixture requires to be empty.

It keeps repositories in memory, checks the bearer token on every call, and counts what it
was asked: every request, every log-in, and every repository it actually created, so a test
can tell "created once" from "created twice". Faults answer the next matching request(s)
instead of the fake: a status with headers and a body (429, 5xx, 3xx with a `Location`,
malformed bodies, 401...), optionally after doing the real work first (`process=True`: the
server did it, the answer got lost), after a delay (a read timeout on the client's side), as a
body trickled byte by byte (`trickle`), one that breaks off after its first bytes
(`break_off`), or one in pieces without a length (`chunked`).

What this fake knows of Docker Hub beyond that document comes from Docker's Terraform
provider and hub-mcp server (see tests/dockerhub_spec.py); the live service was not available
where this was written (see README, "Docker Hub").
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.wrappers import Request, Response

from components.dockerhub_api import HttpPolicy
from tests import dockerhub_spec

USERNAME = "gitlabtest"
TOKEN = "dckr_pat_TESTSECRET-0123456789"  # a fake credential the tests look for in every output
BEARER = "bearer-TESTBEARER-9876543210"

_REPO = re.compile(r"^/v2/namespaces/(?P<ns>[^/]+)/repositories/(?P<name>[^/]+)$")
_REPOS = re.compile(r"^/v2/namespaces/(?P<ns>[^/]+)/repositories$")
_PRIVACY = re.compile(r"^/v2/repositories/(?P<ns>[^/]+)/(?P<name>[^/]+)/privacy$")
_LEGACY = re.compile(r"^/v2/repositories/(?P<ns>[^/]+)/(?P<name>[^/]+)/$")
_STAMP = "2026-01-20T10:30:00Z"
POLICY = HttpPolicy(read_timeout=1.0)
"""Production policy, except the read timeout: a timeout test waits it out for real. A second
leaves room for a loaded machine (a request retried on a slow answer would change the counts
the tests check)."""


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None
    headers: dict[str, str]
    body: str | bytes
    delay: float
    process: bool
    times: int
    trickle: float | None = None
    """Send the body a byte at a time, this many seconds apart."""
    break_off: bool = False
    """Send the headers (with the full Content-Length) and a few bytes, then drop the
    connection."""
    chunked: bool = False
    """Send the body in 4 KiB pieces with no Content-Length (chunked transfer)."""


@dataclass
class FakeHub:
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    bodies: list[tuple[str, str, Any]] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    exchanges: list[tuple[str, str, dict[str, str], bytes, Response | None]] = field(
        default_factory=list
    )
    """Every request (method, path, Authorization, body) with the fake's own answer (None for
    a fault's): checked against the document by `violations`, after the test, so the
    check's cost never counts against the client's timeouts."""
    bearer: str = BEARER
    """The bearer the next log-in hands out; a test changes it to expire the one in use."""
    logins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what a test sets up -------------------------------------------------------------

    def add(
        self,
        namespace: str,
        name: str,
        *,
        description: str = "",
        full_description: str = "",
        private: bool = False,
    ) -> None:
        """A repository as GET answers it: every field `repository_info` requires."""
        self.repositories[f"{namespace}/{name}"] = {
            "user": namespace,
            "name": name,
            "namespace": namespace,
            "repository_type": "image",
            "status": 1,
            "status_description": "active",
            "description": description,
            "is_private": private,
            "is_automated": False,
            "star_count": 0,
            "pull_count": 0,
            "last_updated": _STAMP,
            "last_modified": _STAMP,
            "date_registered": _STAMP,
            "collaborator_count": 0,
            "affiliation": None,
            "hub_user": namespace,
            "has_starred": False,
            "full_description": full_description,
            "permissions": {"read": True, "write": True, "admin": True},
            "media_types": [],
            "content_types": [],
            "categories": [],
            "immutable_tags_settings": {"enabled": False, "rules": []},
            "storage_size": None,
            "source": None,
        }

    def fail(
        self,
        method: str,
        path: str,
        status: int | None = 500,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: str | bytes | dict[str, Any] = "",
        delay: float = 0.0,
        process: bool = False,
        trickle: float | None = None,
        break_off: bool = False,
        chunked: bool = False,
    ) -> None:
        """Answer the next `times` requests matching `method` and the regex `path` with
        `status` (None: the real answer, after `delay`, trickled or broken off if asked)."""
        text = json.dumps(body) if isinstance(body, dict) else body
        self.faults.append(
            Fault(
                method,
                re.compile(path),
                status,
                headers or {},
                text,
                delay,
                process,
                times,
                trickle,
                break_off,
                chunked,
            )
        )

    def count(self, method: str, path_regex: str = ".*") -> int:
        return sum(1 for m, p in self.requests if m == method and re.search(path_regex, p))

    # --- the server side -----------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        data = request.get_data()
        with self.lock:
            self.requests.append((request.method, request.path))
            self.headers_seen.append(dict(request.headers))
            fault = self._take_fault(request)
        answer = self._serve(request) if fault is None else None
        with self.lock:
            self.exchanges.append(
                (request.method, request.path, _auth_header(request), data, answer)
            )
        if fault is None:
            assert answer is not None
            return answer
        answer = self._serve(request) if fault.process else None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is None:  # only late, slow or broken: the real answer
            real = answer if answer is not None else self._serve(request)
            return _shaped(real, fault)
        content_type = fault.headers.pop("Content-Type", "application/json")
        return _shaped(
            Response(
                fault.body, status=fault.status, headers=fault.headers, content_type=content_type
            ),
            fault,
        )

    def violations(self) -> list[str]:
        """What, of the requests received and the fake's own answers, the document (or, for
        the three undocumented calls, Terraform's shapes) does not describe."""
        found: list[str] = []
        for method, path, auth, data, answer in self.exchanges:
            asked = dockerhub_spec.request_problems(method, path, auth, data)
            found += asked
            if answer is not None and not asked:  # an answer to an unknown call: said above
                found += dockerhub_spec.response_problems(
                    method, path, answer.get_data(), answer.status_code, answer.content_type or ""
                )
        return found

    def _take_fault(self, request: Request) -> Fault | None:
        for fault in self.faults:
            if fault.method == request.method and fault.path.search(request.path):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return replace(fault, headers=dict(fault.headers))
        return None

    def _serve(self, request: Request) -> Response:
        path, method = request.path, request.method
        body = request.get_json(silent=True) if request.data else None
        with self.lock:
            self.bodies.append((method, path, body))
            if (method, path) == ("POST", "/v2/auth/token"):
                return self._login(body)
            if request.headers.get("Authorization") != f"Bearer {self.bearer}":
                return _error(401, "Unauthorized", detail="token expired or invalid")
            if match := _REPO.match(path):
                return self._repository(method, f"{match['ns']}/{match['name']}", body)
            if (match := _REPOS.match(path)) and method == "POST":
                return self._create(match["ns"], body)
            if (match := _PRIVACY.match(path)) and method == "POST":
                return self._privacy(f"{match['ns']}/{match['name']}", body)
            if (match := _LEGACY.match(path)) and method == "DELETE":
                return self._delete(f"{match['ns']}/{match['name']}")
        return _error(404, "no such endpoint in the fake")

    def _login(self, body: Any) -> Response:
        self.logins += 1
        if body == {"identifier": USERNAME, "secret": TOKEN}:
            return _json({"access_token": self.bearer})
        return _error(401, "Unauthorized", detail="Incorrect authentication credentials")

    def _repository(self, method: str, key: str, body: Any) -> Response:
        repo = self.repositories.get(key)
        if repo is None:
            return _error(404, "object not found")
        if method == "GET":
            return _json(repo)
        if method == "PATCH":
            for field_name in ("description", "full_description"):
                if field_name in body:
                    repo[field_name] = body[field_name]
            return _json(repo)
        return _error(405, "method not allowed")

    def _create(self, namespace: str, body: Any) -> Response:
        key = f"{namespace}/{body['name']}"
        if body.get("namespace") != namespace:
            return _error(400, "namespace in body and path differ")
        if key in self.repositories:
            return _error(400, "Repository with this Name and Namespace already exists.")
        self.add(
            namespace,
            body["name"],
            description=body.get("description", ""),
            full_description=body.get("full_description", ""),
            private=body.get("is_private", False),
        )
        self.created[key] += 1
        return _json(self.repositories[key], 201)

    def _privacy(self, key: str, body: Any) -> Response:
        repo = self.repositories.get(key)
        if repo is None:
            return _error(404, "object not found")
        repo["is_private"] = bool(body["is_private"])
        return _json({"is_private": repo["is_private"]})

    def _delete(self, key: str) -> Response:
        if self.repositories.pop(key, None) is None:
            return _error(404, "object not found")
        return Response(status=202)


def _auth_header(request: Request) -> dict[str, str]:
    value = request.headers.get("Authorization")
    return {"Authorization": value} if value else {}


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _error(status: int, message: str, *, detail: str | None = None) -> Response:
    """The document's `error` object."""
    body: dict[str, Any] = {"message": message, "errinfo": {}}
    if detail is not None:
        body["detail"] = detail
    return _json(body, status)


def _shaped(response: Response, fault: Fault) -> Response:
    """The answer as the fault delivers it: whole, trickled, or broken off."""
    data = response.get_data()
    if fault.break_off:

        def broken() -> Iterator[bytes]:
            yield data[:5]
            raise ConnectionResetError("the fake drops the connection mid-body")

        response.response = broken()
        response.headers["Content-Length"] = str(max(len(data), 6))
    elif fault.trickle is not None:
        pause = fault.trickle

        def trickled() -> Iterator[bytes]:
            for i in range(len(data)):
                time.sleep(pause)
                yield data[i : i + 1]

        response.response = trickled()
        response.headers.pop("Content-Length", None)
    elif fault.chunked:
        response.response = (data[i : i + 4096] for i in range(0, len(data), 4096))
        response.headers.pop("Content-Length", None)
    return response
