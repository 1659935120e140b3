"""`stackctl report --post`: one note per stack on the merge request, updated in place.

Against a local server that speaks the GitLab notes API (tests/fake_gitlab.py), through the
same python-gitlab calls the CI job makes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitlab import utils as gitlab_utils
from pytest_httpserver import HTTPServer

from stackctl.cli import main
from stackctl.note import marker
from stackctl.notes import NoteError, post, target_from
from tests.fake_gitlab import BOT, HUMAN, TOKEN, FakeGitLab

PREVIEWS = Path(__file__).parent / "previews"


@pytest.fixture
def gitlab(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeGitLab:
    fake = FakeGitLab(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request("").respond_with_handler(fake.handle)
    for name, value in {
        "CI_SERVER_URL": fake.base_url,
        "CI_PROJECT_ID": fake.project,
        "CI_MERGE_REQUEST_IID": str(fake.merge_request),
        "PREVIEW_NOTE_TOKEN": TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("CI_COMMIT_SHA", "CI_PIPELINE_URL"):
        monkeypatch.delenv(name, raising=False)
    return fake


def report(tmp_path: Path, document: str, stack: str, *extra: str) -> int:
    return main(
        [
            *("report", str(PREVIEWS / document), "--stack", stack),
            *("--out-dir", str(tmp_path / stack), "--no-diagram", "--post", *extra),
        ]
    )


def bodies_of(fake: FakeGitLab, stack: str) -> list[str]:
    return [n["body"] for n in fake.notes if n["body"].startswith(marker(stack))]


def test_the_first_post_creates_the_second_updates_the_same_note(
    gitlab: FakeGitLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 25 notes by reviewers first: the bot's note is found on the second page.
    others = [gitlab.add(f"review comment {i}") for i in range(25)]
    before = {n["id"]: n["body"] for n in gitlab.notes}

    assert report(tmp_path, "updates.json", "staging") == 0
    [created] = [n for n in gitlab.notes if n["author"] == BOT]
    assert created["body"] == (tmp_path / "staging" / "note.md").read_text()
    assert "created the merge request note" in capsys.readouterr().out

    assert report(tmp_path, "empty.json", "staging") == 0
    assert [n["id"] for n in gitlab.notes if n["author"] == BOT] == [created["id"]]
    assert bodies_of(gitlab, "staging") == [(tmp_path / "staging" / "note.md").read_text()]
    assert "**No changes**" in created["body"]
    assert gitlab.writes() == [
        ("POST", "/api/v4/projects/1234/merge_requests/17/notes"),
        ("PUT", f"/api/v4/projects/1234/merge_requests/17/notes/{created['id']}"),
    ]
    assert {n["id"]: n["body"] for n in gitlab.notes if n["id"] in others} == before
    assert "updated the merge request note" in capsys.readouterr().out


def test_each_stack_has_its_own_note(gitlab: FakeGitLab, tmp_path: Path) -> None:
    assert report(tmp_path, "updates.json", "staging") == 0
    assert report(tmp_path, "empty.json", "prod") == 0
    assert report(tmp_path, "creates.json", "staging") == 0
    assert report(tmp_path, "empty.json", "prod") == 0
    assert len(bodies_of(gitlab, "staging")) == 1
    assert len(bodies_of(gitlab, "prod")) == 1
    assert "4 to create" in bodies_of(gitlab, "staging")[0]


def test_a_note_by_someone_else_with_the_marker_is_left_alone(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    quoted = gitlab.add(f"{marker('staging')}\nI copied the bot's note here", author=HUMAN)
    assert report(tmp_path, "empty.json", "staging") == 0
    assert next(n for n in gitlab.notes if n["id"] == quoted)["body"].endswith("note here")
    assert [n["author"] for n in gitlab.notes if n["body"].startswith(marker("staging"))] == [
        HUMAN,
        BOT,
    ]


def test_a_failed_preview_is_posted_too_and_still_fails(gitlab: FakeGitLab, tmp_path: Path) -> None:
    assert report(tmp_path, "failed.json", "prod") == 2
    [body] = bodies_of(gitlab, "prod")
    assert "**Preview failed** with 2 errors" in body


def test_missing_ci_variables_are_named_and_the_note_is_still_written(
    gitlab: FakeGitLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CI_MERGE_REQUEST_IID")
    monkeypatch.delenv("PREVIEW_NOTE_TOKEN")
    assert report(tmp_path, "empty.json", "prod") == 1
    err = capsys.readouterr().err
    assert "error: --post needs CI_MERGE_REQUEST_IID, PREVIEW_NOTE_TOKEN in the environment" in err
    assert (tmp_path / "prod" / "note.md").exists()
    assert gitlab.requests == []


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (403, "may not write notes on merge request !17 of project 1234"),
        (401, "PREVIEW_NOTE_TOKEN is not a valid token"),
    ],
)
def test_gitlab_refusals_are_explained_without_the_token(
    gitlab: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    hint: str,
) -> None:
    if status == 401:
        monkeypatch.setenv("PREVIEW_NOTE_TOKEN", "glpat-REVOKED-000000000000")
    else:
        gitlab.fail_with = status
    assert report(tmp_path, "empty.json", "prod") == 1
    out, err = capsys.readouterr()
    assert f"GitLab answered {status}" in err
    assert hint in err
    assert TOKEN not in out + err
    assert "glpat-REVOKED" not in out + err
    assert "Traceback" not in err


def test_the_target_never_shows_its_token() -> None:
    target = target_from(
        {
            "CI_SERVER_URL": "https://gitlab.com/",
            "CI_PROJECT_ID": "1",
            "CI_MERGE_REQUEST_IID": "2",
            "PREVIEW_NOTE_TOKEN": TOKEN,
        }
    )
    assert target.url == "https://gitlab.com"
    assert TOKEN not in repr(target)
    assert TOKEN not in str(target)
    with pytest.raises(NoteError, match="CI_MERGE_REQUEST_IID must be a number"):
        target_from(
            {
                "CI_SERVER_URL": "https://gitlab.com",
                "CI_PROJECT_ID": "1",
                "CI_MERGE_REQUEST_IID": "!2",
                "PREVIEW_NOTE_TOKEN": "t",
            }
        )


@pytest.mark.parametrize("saved", [True, False], ids=["saved", "not-saved"])
def test_a_lost_answer_to_the_creation_never_leaves_two_notes(
    gitlab: FakeGitLab, tmp_path: Path, saved: bool
) -> None:
    gitlab.lost_answers = [saved]
    assert report(tmp_path, "updates.json", "staging") == 0
    assert bodies_of(gitlab, "staging") == [(tmp_path / "staging" / "note.md").read_text()]


def test_an_unreachable_gitlab_is_retried_then_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(gitlab_utils.time, "sleep", waits.append)  # type: ignore[attr-defined]
    target = target_from(
        {
            "CI_SERVER_URL": "http://127.0.0.1:9",  # discard: nothing listens
            "CI_PROJECT_ID": "1",
            "CI_MERGE_REQUEST_IID": "2",
            "PREVIEW_NOTE_TOKEN": TOKEN,
        }
    )
    with pytest.raises(NoteError, match=r"cannot reach http://127.0.0.1:9"):
        post("body", marker("staging"), target)
    assert len(waits) == 10  # python-gitlab's backoff: 0.1 s doubling, about 100 s in all


def test_a_report_over_gitlabs_limit_is_posted_shortened_with_summary_and_warnings_whole(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    stem = "urn:pulumi:staging::aigw-delivery::gitlab:index/projectVariable:ProjectVariable::"
    deletes = [
        {"op": "delete", "urn": f"{stem}old-{i}", "oldState": {"type": "x", "custom": True}}
        for i in range(300)
    ]
    chatter = [
        {"severity": "warning", "message": f"warning {i}: " + "x" * 9_000} for i in range(200)
    ]
    document = tmp_path / "huge.json"
    document.write_text(json.dumps({"steps": deletes, "diagnostics": chatter}))
    code = main(
        [
            *("report", str(document), "--stack", "staging"),
            *("--out-dir", str(tmp_path / "staging"), "--no-diagram", "--post"),
        ]
    )
    assert code == 0
    [posted] = bodies_of(gitlab, "staging")
    assert posted == (tmp_path / "staging" / "note.md").read_text()
    assert len(posted) <= 1_000_000
    assert "**Plan:** 0 to create, 0 to update, 0 to replace, 300 to delete." in posted
    assert "> **This change has 300 deletes:**" in posted
    assert all(f"**`old-{i}`**" in posted for i in range(300))  # the warning block is whole
    assert "more diagnostics not shown: the note would pass GitLab's limit" in posted
    assert "[cut: 9,01" in posted  # each long message says it was cut


def test_a_server_url_with_a_password_is_refused_without_showing_it(
    capsys: pytest.CaptureFixture[str],
    gitlab: FakeGitLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI_SERVER_URL", "https://bot:Hunter2-Secret/x@gitlab.example.com")
    assert report(tmp_path, "empty.json", "staging") == 1
    out, err = capsys.readouterr()
    assert "CI_SERVER_URL must be the GitLab server's URL" in err
    assert "without a user or password" in err
    assert "Hunter2" not in out + err
    assert gitlab.requests == []


def test_an_unreadable_preview_replaces_the_note_instead_of_leaving_it_stale(
    gitlab: FakeGitLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report(tmp_path, "updates.json", "staging") == 0
    truncated = tmp_path / "preview.json"
    truncated.write_text((PREVIEWS / "updates.json").read_text()[:500])
    code = main(
        [
            *("report", str(truncated), "--stack", "staging"),
            *("--out-dir", str(tmp_path / "staging"), "--no-diagram", "--post"),
        ]
    )
    assert code == 1
    assert f"error: {truncated} is truncated" in capsys.readouterr().err
    [body] = bodies_of(gitlab, "staging")
    assert "**No report**: the preview's output could not be read" in body
    assert "is truncated" in body
    assert not (tmp_path / "staging" / "plan.json").exists()


def test_an_unreadable_preview_quoting_a_credential_posts_no_credential(
    gitlab: FakeGitLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = tmp_path / "preview.json"
    urn = "urn:pulumi:s::p::t::n"
    hostile.write_text(json.dumps({"steps": [{"op": "glpat-ZQXcanary0123456789ab", "urn": urn}]}))
    code = main(
        [
            *("report", str(hostile), "--stack", "staging"),
            *("--out-dir", str(tmp_path / "staging"), "--no-diagram", "--post"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "steps[0].op is not a step op Pulumi has" in err
    [body] = bodies_of(gitlab, "staging")
    assert 'steps[0].op is not a step op Pulumi has: "[secret]"' in body
    assert "ZQX" not in out + err + body + (tmp_path / "staging" / "note.md").read_text()


def test_an_unreadable_preview_that_cannot_be_posted_says_both(
    gitlab: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PREVIEW_NOTE_TOKEN")
    (tmp_path / "preview.json").write_text("")
    code = main(
        [
            *("report", str(tmp_path / "preview.json"), "--stack", "staging"),
            *("--out-dir", str(tmp_path / "staging"), "--no-diagram", "--post"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("error: ") == 1
    assert "preview.json is empty" in err
    assert "and the note saying so could not be posted: --post needs PREVIEW_NOTE_TOKEN" in err


@pytest.mark.parametrize("variable", ["CI_PROJECT_ID", "CI_MERGE_REQUEST_IID", "CI_SERVER_URL"])
def test_a_token_pasted_into_the_wrong_variable_is_never_shown(
    gitlab: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    monkeypatch.setenv(variable, "corp-ZQX-pasted-token")
    assert report(tmp_path, "empty.json", "staging") == 1
    out, err = capsys.readouterr()
    assert f"error: {variable} must be" in err
    assert "ZQX" not in out + err
    assert gitlab.requests == []
