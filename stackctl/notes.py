"""Posting a stack's preview note on the merge request, through python-gitlab.

One note per stack per merge request, updated in place on every pipeline: the note starts
with a hidden marker (`<!-- aigw-delivery preview: STACK -->`), and the note to update is the
oldest one by the token's own user that carries this stack's marker. Notes by anyone else,
even quoting the marker, and the other stack's note are never touched; nothing is deleted.

Everything comes from the CI job's variables: `CI_SERVER_URL`, `CI_PROJECT_ID`,
`CI_MERGE_REQUEST_IID` (set in merge request pipelines) and the token in
`PREVIEW_NOTE_TOKEN` (a project access token of this repository with the `api` scope and
the Reporter role, the least that may write notes; a CI job token may not). No variable's value
is printed: an error names the variable, and every message is scrubbed
(`stackctl.scrub`), so neither the token nor a credential pasted into another variable (a
`user:password@` in `CI_SERVER_URL`) reaches a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from stackctl.errors import StackctlError
from stackctl.scrub import clip, scrub

TOKEN_ENV = "PREVIEW_NOTE_TOKEN"  # noqa: S105 (the variable's name, not a token)
REQUIRED = ("CI_SERVER_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", TOKEN_ENV)
LIMIT = 1_000_000
"""GitLab refuses a note longer than this many characters: `Note` validates its body's length
against `Gitlab::Database::MAX_TEXT_SIZE_LIMIT` (gitlabhq/gitlabhq app/models/note.rb,
lib/gitlab/database.rb). `stackctl.note` renders within it."""


_HOST = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252})(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?"
)
MAX_NOTES = 10_000
"""How many notes of the merge request are looked through for this stack's: GitLab allows
5,000 on one (`Noteable::MAX_NOTES_LIMIT`, gitlabhq/gitlabhq app/models/concerns/noteable.rb),
so the search ends even when a server keeps answering with more pages."""


class NoteError(StackctlError):
    """The note could not be posted. The message is scrubbed."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


@dataclass(frozen=True)
class Target:
    url: str
    project: str
    merge_request: int
    token: str

    def __repr__(self) -> str:  # the token must not reach a log through a repr
        return f"Target({self.url!r}, project={self.project!r}, mr=!{self.merge_request})"


@dataclass(frozen=True)
class Posted:
    action: str
    """created or updated"""
    note_id: int
    url: str


def target_from(environ: Mapping[str, str]) -> Target:
    """Where to post, from the CI job's variables; every missing one named at once."""
    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise NoteError(
            f"--post needs {', '.join(missing)} in the environment: the merge request "
            f"pipeline sets the CI_* variables; {TOKEN_ENV} is a protected, masked CI "
            "variable of this project (README: merge requests)"
        )
    for name in ("CI_PROJECT_ID", "CI_MERGE_REQUEST_IID"):
        if not (environ[name].isascii() and environ[name].isdigit()):
            raise NoteError(f"{name} must be a number (its value is not shown)")
    return Target(
        url=_server_url(environ["CI_SERVER_URL"]),
        project=environ["CI_PROJECT_ID"],
        merge_request=int(environ["CI_MERGE_REQUEST_IID"]),
        token=environ[TOKEN_ENV],
    )


def _server_url(value: str) -> str:
    """`CI_SERVER_URL` as the base of API calls: `http(s)://host[:port][/path]` and nothing
    that could be a credential. A value with a user or password in it (`user:pass@`, even a
    password with `/` in it, which `urlsplit` takes for the start of the path) is refused
    without being shown, as is anything else that is not a plain server URL."""
    problem = "CI_SERVER_URL must be the GitLab server's URL, such as https://gitlab.com"
    value = value.strip()
    if "@" in value or "%40" in value.lower() or scrub(value) != value:
        raise NoteError(
            f"{problem}, without a user or password in it (its value is not shown: it holds "
            "one; the token goes in PREVIEW_NOTE_TOKEN)"
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("https", "http")
        or not _HOST.fullmatch(parts.netloc)
        or parts.query
        or parts.fragment
    ):
        raise NoteError(f"{problem} (its value is not shown)")
    return value.rstrip("/")


def post(body: str, marker: str, target: Target) -> Posted:
    """Create this stack's note, or update the one posted before (found by `marker`)."""
    import gitlab

    if len(body) > LIMIT:
        raise NoteError(
            f"the note is {len(body):,} characters, over GitLab's limit of {LIMIT:,}: "
            "nothing was posted"
        )
    client = gitlab.Gitlab(
        target.url,
        private_token=target.token,
        timeout=30,
        retry_transient_errors=True,
        keep_base_url=True,
    )
    try:
        client.auth()
        me = client.user.id if client.user is not None else None
        project = client.projects.get(target.project, lazy=True)
        merge_request = project.mergerequests.get(target.merge_request, lazy=True)
        note = _find(merge_request, me, marker)
        if note is not None:
            note.body = body
            note.save()
            action = "updated"
        else:
            note = _create_once(gitlab, merge_request, body, me, marker)
            action = "created"
    except gitlab.exceptions.GitlabError as err:
        raise NoteError(_explain(err, target)) from None
    except OSError as err:  # requests' connection errors are OSErrors
        raise NoteError(f"cannot reach {target.url}: {type(err).__name__}") from None
    link = f"{target.url}/-/merge_requests/{target.merge_request}#note_{note.id}"
    return Posted(action=action, note_id=int(note.id), url=link)


def _find(merge_request: Any, me: int | None, marker: str) -> Any:
    """The oldest note on the merge request that this stack's report posted, if any."""
    notes = merge_request.notes.list(iterator=True, sort="asc", order_by="created_at")
    return next((note for note in islice(notes, MAX_NOTES) if _is_ours(note, me, marker)), None)


def _create_once(gitlab: Any, merge_request: Any, body: str, me: int | None, marker: str) -> Any:
    """Create the note without python-gitlab's blind retry of the POST: when the answer to it
    is lost (a 5xx after GitLab may have saved the note), look again before creating, so a
    retry never leaves a second note for the stack."""
    try:
        return merge_request.notes.create({"body": body}, retry_transient_errors=False)
    except gitlab.exceptions.GitlabCreateError as err:
        if (err.response_code or 0) < 500:
            raise
    found = _find(merge_request, me, marker)
    if found is not None:
        found.body = body
        found.save()
        return found
    return merge_request.notes.create({"body": body}, retry_transient_errors=False)


def _is_ours(note: Any, me: int | None, marker: str) -> bool:
    body = getattr(note, "body", "") or ""
    author = getattr(note, "author", None) or {}
    return (
        not getattr(note, "system", False)
        and body.startswith(marker)
        and (me is None or author.get("id") == me)
    )


def _explain(err: Any, target: Target) -> str:
    code = getattr(err, "response_code", None)
    message = clip(str(getattr(err, "error_message", "") or err), 500, known=[target.token])
    where = f"merge request !{target.merge_request} of project {target.project}"
    hints = {
        401: f"{TOKEN_ENV} is not a valid token (expired or revoked?)",
        403: f"the token in {TOKEN_ENV} may not write notes on {where}: it needs the api "
        "scope and at least the Reporter role",
        404: f"{where} is not visible to the token in {TOKEN_ENV}",
    }
    hint = hints.get(code or 0, "")
    status = f"GitLab answered {code}" if code else "GitLab failed"
    return f"{status} ({message}){': ' + hint if hint else ''}"
