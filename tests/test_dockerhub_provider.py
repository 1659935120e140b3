"""The Docker Hub repository provider against a local Docker Hub, with faults injected.

Each test drives the provider's methods as the Pulumi engine would (under the mock monitor the
engine never calls them), through real HTTP to `tests.fake_dockerhub` on 127.0.0.1, and checks
what a platform engineer would notice: the outcome, how many requests it took, that nothing was
created twice or lost, and that no credential reached an output or a message. Waits between
retries are recorded, not slept: `sleeps` replaces urllib3's clock, so the production backoff
and `Retry-After` handling are what is checked, at no cost in time.
"""

from __future__ import annotations

import base64
import importlib
import socket
import time
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from components import dockerhub_api
from components.dockerhub import DockerHubRepositoryProvider
from components.dockerhub_api import DockerHubAuthError, DockerHubError, HttpPolicy
from stackctl.engine import describe_dynamic_provider
from tests.fake_dockerhub import BEARER, TOKEN, USERNAME, FakeHub

# The fake on 127.0.0.1 and its fixtures (`server`, `hub`, `sleeps`).
pytest_plugins = ["tests.dockerhub_fixtures"]

NS = "gitlabtest"
REPO = f"/v2/namespaces/{NS}/repositories/model-gateway$"
CREATE = f"/v2/namespaces/{NS}/repositories$"
LOGIN = "/v2/auth/token$"


def props(**overrides: Any) -> dict[str, Any]:
    base = {
        "namespace": NS,
        "name": "model-gateway",
        "visibility": "public",
        "shortDescription": "The GitLab AI Gateway",
        "fullDescription": "# AI Gateway\n\nPulled by self-hosted customers.",
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


provider = DockerHubRepositoryProvider()


def assert_no_credential(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text)
        assert BEARER not in str(text)


# --- create, adopt ----------------------------------------------------------------------


def test_create_makes_the_repository_once_with_the_stacks_settings(hub: FakeHub) -> None:
    result = provider.create(props())
    assert result.id == f"{NS}/model-gateway"
    assert result.outs is not None
    assert result.outs["pullReference"] == f"docker.io/{NS}/model-gateway"
    assert result.outs["adoption"] is None
    assert hub.repositories[result.id]["description"] == "The GitLab AI Gateway"
    assert hub.repositories[result.id]["is_private"] is False
    assert hub.created == {result.id: 1}
    assert hub.requests == [
        ("POST", "/v2/auth/token"),
        ("GET", f"/v2/namespaces/{NS}/repositories/model-gateway"),
        ("POST", f"/v2/namespaces/{NS}/repositories"),
    ]
    assert_no_credential(result.outs)


def test_create_adopts_an_identical_repository_without_changing_it(hub: FakeHub) -> None:
    hub.add(
        NS,
        "model-gateway",
        description="The GitLab AI Gateway",
        full_description="# AI Gateway\n\nPulled by self-hosted customers.",
    )
    result = provider.create(props())
    assert result.outs is not None
    assert result.outs["adoption"] == "existed with the same settings; adopted as it is"
    assert hub.created == {}
    assert [m for m, _ in hub.requests] == ["POST", "GET"]  # log in, read; nothing written


def test_create_updates_a_different_repository_and_says_so(
    hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add(NS, "model-gateway", description="old words", full_description="kept?", private=True)
    result = provider.create(props(fullDescription=None))
    live = hub.repositories[f"{NS}/model-gateway"]
    assert (live["description"], live["is_private"]) == ("The GitLab AI Gateway", False)
    assert live["full_description"] == "kept?"  # unmanaged: left as it was
    assert result.outs is not None
    assert result.outs["adoption"] == (
        "existed with other settings; updated shortDescription, visibility"
    )
    warning = capsys.readouterr().err
    assert f"warning: Docker Hub repository {NS}/model-gateway already existed" in warning
    assert "shortDescription, visibility" in warning
    assert hub.created == {}
    assert hub.count("PATCH") == 1
    assert hub.count("POST", "/privacy$") == 1


def test_already_exists_on_create_adopts_what_another_writer_created(hub: FakeHub) -> None:
    """Created by someone else between our read and our create: Docker Hub says it exists."""
    hub.add(NS, "model-gateway", description="theirs")
    hub.fail("GET", REPO, 404, body={"message": "object not found"})  # our first read
    result = provider.create(props())
    assert result.outs is not None
    assert (
        result.outs["adoption"]
        == "existed with other settings; updated shortDescription, fullDescription"
    )
    assert hub.count("POST", CREATE) == 1
    assert hub.count("GET", REPO) == 2  # the read that missed it, the read after "exists"
    assert hub.created == {}  # not created by us, and not twice
    assert hub.repositories[f"{NS}/model-gateway"]["description"] == "The GitLab AI Gateway"


def test_a_refused_create_is_an_error_with_docker_hubs_reason(hub: FakeHub) -> None:
    hub.fail("POST", CREATE, 400, body={"message": "Private repository quota exceeded"})
    with pytest.raises(DockerHubError) as caught:
        provider.create(props(visibility="private"))
    assert str(caught.value) == (
        f"create {NS}/model-gateway: Docker Hub answered 400 BAD REQUEST: "
        "Private repository quota exceeded"
    )
    assert hub.repositories == {}
    assert hub.count("POST", CREATE) == 1  # a 400 is not retried


# --- retries ------------------------------------------------------------------------------


def test_429_waits_for_retry_after(hub: FakeHub, sleeps: list[float]) -> None:
    hub.fail("POST", CREATE, 429, headers={"Retry-After": "7"}, body={"message": "slow down"})
    result = provider.create(props())
    assert result.id == f"{NS}/model-gateway"
    assert sleeps == [7]
    assert hub.count("POST", CREATE) == 2
    assert hub.created == {result.id: 1}


def test_429_waits_for_docker_hubs_x_retry_after_unix_time(
    hub: FakeHub, sleeps: list[float]
) -> None:
    hub.fail("GET", REPO, 429, headers={"X-Retry-After": str(int(time.time()) + 20)})
    provider.create(props())
    assert len(sleeps) == 1
    assert 18 <= sleeps[0] <= 20
    assert hub.count("GET", REPO) == 2


def test_a_retry_after_longer_than_a_minute_is_cut_to_one(
    hub: FakeHub, sleeps: list[float]
) -> None:
    hub.fail("GET", REPO, 429, headers={"Retry-After": "3600"})
    provider.create(props())
    assert sleeps == [60]


def test_an_unreadable_retry_after_falls_back_to_backoff(hub: FakeHub, sleeps: list[float]) -> None:
    hub.fail("GET", REPO, 429, times=2, headers={"Retry-After": "soon, promise"})
    provider.create(props())
    assert sleeps == [1.0]  # immediate first retry, then the backoff
    assert hub.count("GET", REPO) == 3


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_500_502_503_then_success(hub: FakeHub, sleeps: list[float], method: str) -> None:
    path = REPO if method == "GET" else CREATE
    for status in (500, 502, 503):
        hub.fail(method, path, status, body={"message": "try later"})
    result = provider.create(props())
    assert result.outs is not None
    assert hub.count(method, path) == 4
    assert sleeps == [1.0, 2.0]  # the first retry is immediate, then 0.5 s doubling
    assert hub.created == {f"{NS}/model-gateway": 1}


def test_5xx_without_end_gives_up_after_six_tries(hub: FakeHub, sleeps: list[float]) -> None:
    hub.fail("POST", CREATE, 503, times=100, body={"message": "maintenance"})
    with pytest.raises(DockerHubError) as caught:
        provider.create(props())
    assert str(caught.value) == (
        f"create {NS}/model-gateway: Docker Hub answered 503 SERVICE UNAVAILABLE after 6 tries: "
        "maintenance"
    )
    assert hub.count("POST", CREATE) == 6
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert hub.repositories == {}


def test_a_create_whose_answer_times_out_is_not_made_twice(hub: FakeHub) -> None:
    """The server creates the repository but its answer never arrives: the retried POST hears
    "already exists", the provider reads the repository and adopts it."""
    hub.fail("POST", CREATE, None, delay=1.5, process=True)
    result = provider.create(props())
    assert result.id == f"{NS}/model-gateway"
    assert hub.created == {f"{NS}/model-gateway": 1}
    assert [m for m, _ in hub.requests] == ["POST", "GET", "POST", "POST", "GET"]
    assert result.outs is not None
    assert result.outs["adoption"] == "existed with the same settings; adopted as it is"


def test_a_server_that_never_answers_in_time_fails_naming_the_timeout(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dockerhub_api, "DEFAULT_POLICY", HttpPolicy(read_timeout=0.5, retries=1))
    hub.fail("GET", REPO, None, delay=0.8, times=2)
    with pytest.raises(DockerHubError) as caught:
        provider.read(f"{NS}/model-gateway", props())
    assert str(caught.value).startswith(f"read {NS}/model-gateway: no answer from Docker Hub at")
    assert str(caught.value).endswith("after 2 tries: no answer within the read timeout (0.5 s)")
    assert hub.count("GET", REPO) == 2


def test_an_unreachable_docker_hub_fails_after_bounded_tries(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DOCKERHUB_API_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(
        DockerHubError,
        match=r"log in: no answer from Docker Hub .* after 6 tries: "
        r"could not connect",
    ):
        provider.read(f"{NS}/model-gateway", props())
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


# --- refused credentials, bad answers -----------------------------------------------------


def test_401_on_login_fails_at_once_naming_the_credentials(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERHUB_TOKEN", "dckr_pat_WRONG-abcdefgh")
    with pytest.raises(DockerHubAuthError) as caught:
        provider.create(props())
    message = str(caught.value)
    assert message.startswith(
        "log in: Docker Hub refused the credentials in DOCKERHUB_USERNAME and DOCKERHUB_TOKEN "
        f"(user '{USERNAME}', 401 UNAUTHORIZED)"
    )
    assert "dckr_pat_WRONG" not in message
    assert hub.requests == [("POST", "/v2/auth/token")]


def test_403_fails_at_once_naming_the_account(hub: FakeHub) -> None:
    hub.fail("POST", CREATE, 403, body={"message": "permission denied"}, times=5)
    with pytest.raises(DockerHubAuthError) as caught:
        provider.create(props())
    assert str(caught.value) == (
        f"create {NS}/model-gateway: Docker Hub refused it (403 FORBIDDEN): the account in "
        f"DOCKERHUB_USERNAME ('{USERNAME}') or the token in DOCKERHUB_TOKEN lacks the "
        "permission; it needs admin (repo:admin) access to the namespace"
    )
    assert hub.count("POST", CREATE) == 1


def test_missing_credentials_are_named_before_any_request(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKERHUB_TOKEN")
    with pytest.raises(
        DockerHubAuthError, match=r"^DOCKERHUB_TOKEN must be set in the environment"
    ):
        provider.read(f"{NS}/model-gateway", props())
    assert hub.requests == []


def test_the_token_never_travels_in_the_clear(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERHUB_API_URL", "http://hub.docker.com")
    with pytest.raises(DockerHubError, match="must be an https:// URL"):
        provider.read(f"{NS}/model-gateway", props())
    assert hub.requests == []


def test_malformed_json_is_a_clear_error(hub: FakeHub) -> None:
    hub.fail(
        "GET", REPO, 200, body="<html>maintenance</html>", headers={"Content-Type": "text/html"}
    )
    with pytest.raises(DockerHubError) as caught:
        provider.read(f"{NS}/model-gateway", props())
    assert str(caught.value) == (
        f"read {NS}/model-gateway: Docker Hub answered 200 OK with a body that is not a JSON "
        "object (text/html, 24 bytes)"
    )
    assert hub.count("GET", REPO) == 1


def test_an_answer_echoing_a_credential_is_redacted(hub: FakeHub) -> None:
    hub.fail("GET", REPO, 500, times=10, body={"message": f"bad token {TOKEN}, bearer {BEARER}"})
    with pytest.raises(DockerHubError) as caught:
        provider.read(f"{NS}/model-gateway", props())
    assert "bad token [redacted], bearer [redacted]" in str(caught.value)
    assert_no_credential(caught.value, repr(caught.value))


# --- read, update, delete -----------------------------------------------------------------


def test_read_reports_a_deleted_repository_as_gone(hub: FakeHub) -> None:
    result = provider.read(f"{NS}/model-gateway", props())
    assert (result.id, result.outs) == ("", {})
    assert hub.count("GET", REPO) == 1


def test_read_reports_drift_in_what_the_stack_manages(hub: FakeHub) -> None:
    hub.add(
        NS, "model-gateway", description="changed by hand", full_description="README", private=True
    )
    result = provider.read(f"{NS}/model-gateway", props(fullDescription=None, adoption="x"))
    assert result.id == f"{NS}/model-gateway"
    assert result.outs == {
        "namespace": NS,
        "name": "model-gateway",
        "visibility": "private",
        "shortDescription": "changed by hand",
        "pullReference": f"docker.io/{NS}/model-gateway",
        "url": f"https://hub.docker.com/r/{NS}/model-gateway",
        "adoption": "x",
    }  # the unmanaged full description is not reported, so it is never drift


def test_update_sets_descriptions_and_visibility(hub: FakeHub) -> None:
    hub.add(NS, "model-gateway", description="The GitLab AI Gateway", full_description="old")
    result = provider.update(
        f"{NS}/model-gateway", props(adoption="kept"), props(visibility="private")
    )
    live = hub.repositories[f"{NS}/model-gateway"]
    assert live["full_description"] == "# AI Gateway\n\nPulled by self-hosted customers."
    assert live["is_private"] is True
    assert result.outs is not None
    assert result.outs["visibility"] == "private"
    assert result.outs["adoption"] == "kept"
    assert hub.bodies[-2][2] == {"full_description": live["full_description"]}  # only what differs


def test_update_of_a_vanished_repository_says_to_refresh(hub: FakeHub) -> None:
    with pytest.raises(
        DockerHubError, match=r"no longer exists on Docker Hub: run `pulumi refresh`"
    ):
        provider.update(f"{NS}/model-gateway", props(), props(visibility="private"))


def test_delete_deletes_and_a_second_delete_is_not_an_error(hub: FakeHub) -> None:
    hub.add(NS, "model-gateway")
    provider.delete(f"{NS}/model-gateway", props())
    assert hub.repositories == {}
    provider.delete(f"{NS}/model-gateway", props())
    assert hub.count("DELETE") == 2


# --- check and diff: no network -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"namespace": "GitLab"}, "4 to 30 lowercase letters and digits"),
        ({"namespace": "abc"}, "4 to 30 lowercase letters and digits"),
        ({"name": "Model-Gateway"}, "Docker Hub repository name"),
        ({"name": "model--gateway"}, "Docker Hub repository name"),
        ({"name": "m"}, "Docker Hub repository name"),
        ({"name": "a" * 256}, "Docker Hub repository name"),
        ({"visibility": "internal"}, "'public' or 'private'"),
        ({"shortDescription": "x" * 101}, "at most 100 characters (it has 101)"),
        ({"fullDescription": "x" * 25_001}, "at most 25000 characters"),
        ({"colour": "blue"}, "is not an input of a repository"),
    ],
)
def test_check_refuses_what_docker_hub_would(change: dict[str, str], reason: str) -> None:
    result = provider.check({}, {**props(), **change, "__provider": "x"})
    assert [f.property for f in result.failures] == list(change)
    assert reason in result.failures[0].reason


def test_check_accepts_good_inputs_and_defers_unknowns() -> None:
    news = {**props(name=rpc.UNKNOWN), "__provider": "x"}
    result = provider.check({}, news)
    assert result.failures == []
    assert "__provider" not in result.inputs  # the engine adds it back


def test_check_requires_namespace_name_and_visibility() -> None:
    result = provider.check({}, {"__provider": "x"})
    assert sorted(f.property for f in result.failures) == ["name", "namespace", "visibility"]


@pytest.mark.parametrize(
    ("news", "changes", "replaces"),
    [
        (props(), False, []),
        (props(name="model-gateway-2"), True, ["name"]),
        (props(namespace="gitlabother"), True, ["namespace"]),
        (props(shortDescription="new words"), True, []),
        (props(visibility="private"), True, []),
        (props(fullDescription=None), False, []),  # left unmanaged: not a change
        (props(name=rpc.UNKNOWN), True, ["name"]),
    ],
)
def test_diff_replaces_on_identity_and_updates_the_rest(
    news: dict[str, Any], changes: bool, replaces: list[str]
) -> None:
    result = provider.diff(f"{NS}/model-gateway", {**props(), "adoption": None}, news)
    assert (result.changes, result.replaces) == (changes, replaces)
    assert result.delete_before_replace is False


# --- what is kept: the pickle, the outputs ------------------------------------------------


def test_the_serialized_provider_holds_no_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKERHUB_USERNAME", USERNAME)
    monkeypatch.setenv("DOCKERHUB_TOKEN", TOKEN)
    # The class as the module now defines it: the offline engine re-imports the project's
    # modules for every run, and dill pickles by reference only a class its module still has.
    current = importlib.import_module("components.dockerhub").DockerHubRepositoryProvider
    serialized = serialize_provider(current())
    data = base64.b64decode(serialized)
    assert TOKEN.encode() not in data
    assert USERNAME.encode() not in data
    assert len(data) < 100
    assert describe_dynamic_provider(serialized) == (
        "[dynamic provider components.dockerhub.DockerHubRepositoryProvider: "
        "by reference, no state]"
    )


def test_a_provider_that_captured_something_is_visible_in_the_graph() -> None:
    captured = DockerHubRepositoryProvider()
    captured.__dict__["session"] = "a client someone added"
    assert describe_dynamic_provider(serialize_provider(captured)).startswith(
        "[dynamic provider with state or pickled by value:"
    )


def test_no_output_or_message_of_a_whole_lifecycle_holds_a_credential(
    hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.add(NS, "model-gateway", description="old")
    created = provider.create(props())
    read = provider.read(created.id, created.outs or {})
    updated = provider.update(created.id, read.outs or {}, props(visibility="private"))
    provider.delete(created.id, updated.outs or {})
    out, err = capsys.readouterr()
    assert_no_credential(created.outs, read.outs, updated.outs, out, err)
