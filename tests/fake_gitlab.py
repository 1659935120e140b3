"""A fake GitLab notes API (v4) on 127.0.0.1, for `stackctl report --post`.

It speaks what `stackctl.notes` uses through python-gitlab: `GET /user`, and list, create and
update of a merge request's notes, with GitLab's pagination (`page`, `per_page`, default 20,
`X-Next-Page` and a `Link: rel="next"` header). It checks the `PRIVATE-TOKEN` header on every
call, keeps notes in memory and records every request, so a test can tell which notes were
written. What it knows of GitLab is its REST API documentation; no GitLab instance was
available where this was written (README).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

TOKEN = "glpat-NOTETESTTOKEN-0123456789"  # a fake credential the tests look for in every output
BOT = {"id": 4242, "username": "project_1_bot_aigw", "name": "aigw-delivery previews"}
HUMAN = {"id": 7, "username": "reviewer", "name": "A Reviewer"}

_NOTES = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<mr>\d+)/notes$")
_NOTE = re.compile(
    r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<mr>\d+)/notes/(?P<id>\d+)$"
)


@dataclass
class FakeGitLab:
    base_url: str
    project: str = "1234"
    merge_request: int = 17
    notes: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_with: int | None = None
    lost_answers: list[bool] = field(default_factory=list)
    """Answer the next note creations with 502, each after saving the note (True: the answer
    was lost on the way back) or without (False)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: str, author: dict[str, Any] = HUMAN, system: bool = False) -> int:
        note_id = 1000 + len(self.notes)
        self.notes.append(
            {"id": note_id, "body": body, "author": author, "system": system, "noteable_iid": 17}
        )
        return note_id

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.requests if m in ("POST", "PUT", "DELETE")]

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.method, request.path))
            if request.headers.get("PRIVATE-TOKEN") != TOKEN:
                return _json({"message": "401 Unauthorized"}, 401)
            if self.fail_with is not None:
                return _json({"message": f"{self.fail_with} Forbidden"}, self.fail_with)
            if request.path == "/api/v4/user" and request.method == "GET":
                return _json(BOT)
            if match := _NOTES.match(request.path):
                if not self._ours(match):
                    return _json({"message": "404 Not found"}, 404)
                if request.method == "GET":
                    return self._list(request)
                if request.method == "POST":
                    body = (request.get_json(silent=True) or request.form).get("body")
                    if self.lost_answers:
                        if self.lost_answers.pop(0):
                            self.add(str(body), author=BOT)
                        return _json({"message": "502 Bad Gateway"}, 502)
                    self.add(str(body), author=BOT)
                    return _json(self.notes[-1], 201)
            if (match := _NOTE.match(request.path)) and request.method == "PUT":
                if not self._ours(match):
                    return _json({"message": "404 Not found"}, 404)
                note = next((n for n in self.notes if n["id"] == int(match["id"])), None)
                if note is None:
                    return _json({"message": "404 Note Not Found"}, 404)
                if note["author"]["id"] != BOT["id"]:
                    return _json({"message": "403 Forbidden"}, 403)
                note["body"] = str((request.get_json(silent=True) or request.form).get("body"))
                return _json(note)
            return _json({"message": "404 Not found"}, 404)

    def _ours(self, match: re.Match[str]) -> bool:
        return match["project"] == self.project and int(match["mr"]) == self.merge_request

    def _list(self, request: Request) -> Response:
        per_page = int(request.args.get("per_page", 20))
        page = int(request.args.get("page", 1))
        ordered = sorted(
            self.notes, key=lambda n: n["id"], reverse=request.args.get("sort") != "asc"
        )
        chunk = ordered[(page - 1) * per_page : page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(ordered))}
        if page * per_page < len(ordered):
            query = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
            headers["X-Next-Page"] = str(page + 1)
            headers["Link"] = f'<{self.base_url}{request.path}?{urlencode(query)}>; rel="next"'
        return _json(chunk, headers=headers)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, headers=headers, content_type="application/json"
    )
