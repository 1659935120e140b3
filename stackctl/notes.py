"""Posting a stack's preview note on the merge request, through python-gitlab.

One note per stack per merge request, updated in place on every pipeline: the note starts
with a hidden marker (`<!-- aigw-delivery preview: STACK -->`), and the note to update is the
oldest one by the token's own user that carries this stack's marker. Notes by anyone else,
even quoting the marker, and the other stack's note are never touched; nothing is deleted.

Everything comes from the CI job's variables: `CI_SERVER_URL`, `CI_PROJECT_ID`,
`CI_MERGE_REQUEST_IID` (set in merge request pipelines) and the token in
`PREVIEW_NOTE_TOKEN` (a project access token of this repository with the `api` scope and
the Reporter role, the least that may write notes; a CI job token may not). The token is
never printed: not in messages, not in errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stackctl.errors import StackctlError

TOKEN_ENV = "PREVIEW_NOTE_TOKEN"  # noqa: S105 (the variable's name, not a token)
REQUIRED = ("CI_SERVER_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", TOKEN_ENV)
LIMIT = 1_000_000
"""GitLab refuses a note longer than this (characters)."""


class NoteError(StackctlError):
    """The note could not be posted."""


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
    iid = environ["CI_MERGE_REQUEST_IID"]
    if not iid.isdigit():
        raise NoteError(f"CI_MERGE_REQUEST_IID must be a number, not {iid!r}")
    return Target(
        url=environ["CI_SERVER_URL"].rstrip("/"),
        project=environ["CI_PROJECT_ID"],
        merge_request=int(iid),
        token=environ[TOKEN_ENV],
    )


def post(body: str, marker: str, target: Target) -> Posted:
    """Create this stack's note, or update the one posted before (found by `marker`)."""
    import gitlab

    if len(body) > LIMIT:
        body = _shortened(body)
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
    return next(
        (
            note
            for note in merge_request.notes.list(iterator=True, sort="asc", order_by="created_at")
            if _is_ours(note, me, marker)
        ),
        None,
    )


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
    message = str(getattr(err, "error_message", "") or err).replace(target.token, "[secret]")
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


def _shortened(body: str) -> str:
    """A note within GitLab's limit: the head of the report and a pointer to the artifact."""
    tail = (
        "\n\n_The note was cut here: GitLab limits a note to 1,000,000 characters. "
        "The whole report is `note.md` in the job's artifacts._\n"
    )
    head = body[: LIMIT - len(tail) - 1000].rsplit("\n", 1)[0]
    lines = head.splitlines()
    if sum(1 for line in lines if line.lstrip().startswith("```")) % 2:
        head += "\n```"  # the cut fell inside a code block: close it
    head += "\n</details>" * max(0, head.count("<details>") - head.count("</details>"))
    return head + tail
