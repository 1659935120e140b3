"""A fake Docker Hub (API v2) on 127.0.0.1, with faults a test injects.

It speaks the endpoints `components.dockerhub_api` uses, keeps repositories in memory, checks
the bearer token on every call, and counts what it was asked: every request, and every
repository it actually created, so a test can tell "created once" from "created twice". Faults
answer the next matching request(s) instead of the fake (429, 5xx, malformed bodies, 401...),
optionally after doing the real work first (`process=True`: the server did it, the answer got
lost) and optionally after a delay (a read timeout on the client's side).

What this fake knows of Docker Hub comes from its documentation and from public clients; the
live service was not available where this was written (see README, "Docker Hub").
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

USERNAME = "gitlabtest"
TOKEN = "dckr_pat_TESTSECRET-0123456789"  # a fake credential the tests look for in every output
BEARER = "bearer-TESTBEARER-9876543210"

_REPO = re.compile(r"^/v2/namespaces/(?P<ns>[^/]+)/repositories/(?P<name>[^/]+)$")
_REPOS = re.compile(r"^/v2/namespaces/(?P<ns>[^/]+)/repositories$")
_PRIVACY = re.compile(r"^/v2/repositories/(?P<ns>[^/]+)/(?P<name>[^/]+)/privacy/$")
_LEGACY = re.compile(r"^/v2/repositories/(?P<ns>[^/]+)/(?P<name>[^/]+)/$")


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None
    headers: dict[str, str]
    body: str
    delay: float
    process: bool
    times: int


@dataclass
class FakeHub:
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    bodies: list[tuple[str, str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
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
        self.repositories[f"{namespace}/{name}"] = {
            "namespace": namespace,
            "name": name,
            "description": description,
            "full_description": full_description,
            "is_private": private,
            "repository_type": "image",
            "status": 1,
            "pull_count": 0,
        }

    def fail(
        self,
        method: str,
        path: str,
        status: int | None = 500,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: str | dict[str, Any] = "",
        delay: float = 0.0,
        process: bool = False,
    ) -> None:
        """Answer the next `times` requests matching `method` and the regex `path` with
        `status` (None: the real answer, after `delay`)."""
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
            )
        )

    def count(self, method: str, path_regex: str = ".*") -> int:
        return sum(1 for m, p in self.requests if m == method and re.search(path_regex, p))

    # --- the server side -----------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.method, request.path))
            fault = self._take_fault(request)
        if fault is None:
            return self._serve(request)
        answer = self._serve(request) if fault.process else None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is None:  # only late: the real answer, after the delay
            return answer if answer is not None else self._serve(request)
        content_type = fault.headers.pop("Content-Type", "application/json")
        return Response(
            fault.body, status=fault.status or 500, headers=fault.headers, content_type=content_type
        )

    def _take_fault(self, request: Request) -> Fault | None:
        for fault in self.faults:
            if fault.method == request.method and fault.path.search(request.path):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return Fault(**{**fault.__dict__, "headers": dict(fault.headers)})
        return None

    def _serve(self, request: Request) -> Response:
        path, method = request.path, request.method
        body = request.get_json(silent=True) if request.data else None
        with self.lock:
            self.bodies.append((method, path, body))
            if (method, path) == ("POST", "/v2/auth/token"):
                return self._login(body)
            if request.headers.get("Authorization") != f"Bearer {BEARER}":
                return _json({"message": "unauthorized"}, 401)
            if match := _REPO.match(path):
                return self._repository(method, f"{match['ns']}/{match['name']}", body)
            if (match := _REPOS.match(path)) and method == "POST":
                return self._create(match["ns"], body)
            if (match := _PRIVACY.match(path)) and method == "POST":
                return self._privacy(f"{match['ns']}/{match['name']}", body)
            if (match := _LEGACY.match(path)) and method == "DELETE":
                return self._delete(f"{match['ns']}/{match['name']}")
        return _json({"message": "no such endpoint in the fake"}, 404)

    def _login(self, body: Any) -> Response:
        if body == {"identifier": USERNAME, "secret": TOKEN}:
            return _json({"access_token": BEARER})
        return _json({"detail": "Incorrect authentication credentials"}, 401)

    def _repository(self, method: str, key: str, body: Any) -> Response:
        repo = self.repositories.get(key)
        if repo is None:
            return _json({"message": "object not found", "errinfo": {}}, 404)
        if method == "GET":
            return _json(repo)
        if method == "PATCH":
            for field_name in ("description", "full_description"):
                if field_name in body:
                    repo[field_name] = body[field_name]
            return _json(repo)
        return _json({"message": "method not allowed"}, 405)

    def _create(self, namespace: str, body: Any) -> Response:
        key = f"{namespace}/{body['name']}"
        if body.get("namespace") != namespace:
            return _json({"message": "namespace in body and path differ"}, 400)
        if key in self.repositories:
            return _json(
                {"message": "Repository with this Name and Namespace already exists."}, 400
            )
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
            return _json({"message": "object not found"}, 404)
        repo["is_private"] = bool(body["is_private"])
        return _json({"is_private": repo["is_private"]})

    def _delete(self, key: str) -> Response:
        if self.repositories.pop(key, None) is None:
            return _json({"message": "object not found"}, 404)
        return Response(status=202)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")
