"""The client and the fake against Docker Hub's own API description (tests/schemas/).

What a maintainer relies on here: that a name or description the stack accepts is one Docker
Hub's document accepts too (and the other way round), so a bad value is refused at `check`, not
half-way through a `pulumi up`; that the request check the fake applies to every test's
traffic does catch what Docker Hub would refuse; and that the fake's answers are Docker Hub's
shapes.
"""

from __future__ import annotations

import json

import pytest
from jsonschema_path import SchemaPath
from openapi_spec_validator.validation import OpenAPIV30SpecValidator
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from components import dockerhub_names
from tests import dockerhub_spec
from tests.fake_dockerhub import FakeHub

CREATE = "/v2/namespaces/gitlabtest/repositories"
BEARER = {"Authorization": "Bearer x"}


def create_body(**fields: object) -> bytes:
    return json.dumps({"namespace": "gitlabtest", "name": "model-gateway", **fields}).encode()


def test_the_vendored_document_has_only_the_defect_it_is_published_with() -> None:
    """Docker's document fails OpenAPI validation in one place: GetRepository's 200 answer has
    no `description`. The tests load it without that check (tests/dockerhub_spec.py); a new
    copy with other defects, or none, should be looked at before it is trusted."""
    spec = SchemaPath.from_dict(dockerhub_spec.document())
    errors = list(OpenAPIV30SpecValidator(spec).iter_errors())
    assert len(errors) == 1
    assert list(errors[0].path) == [
        "paths",
        "/v2/namespaces/{namespace}/repositories/{repository}",
        "get",
        "responses",
        "200",
    ]
    instance = errors[0].instance
    assert isinstance(instance, dict)
    assert "description" not in instance


@pytest.mark.parametrize(
    "name",
    [
        "model-gateway",
        "model-gateway-self-hosted-fips",
        "ab",
        "a",
        "a" * 255,
        "a" * 256,
        "model--gateway",
        "model.gateway_x-1",
        "-model",
        "model-",
        "Model",
        "model gateway",
        "model/gateway",
    ],
)
def test_a_repository_name_is_refused_exactly_when_the_document_refuses_it(name: str) -> None:
    ours = dockerhub_names.repository_problem(name) is None
    theirs = not dockerhub_spec.request_problems("POST", CREATE, BEARER, create_body(name=name))
    assert ours == theirs


@pytest.mark.parametrize(
    ("field", "problem", "limit"),
    [
        ("description", dockerhub_names.short_description_problem, 100),
        ("full_description", dockerhub_names.full_description_problem, 25_000),
    ],
)
def test_description_limits_are_the_documents(field: str, problem: object, limit: int) -> None:
    assert callable(problem)
    for length in (limit - 1, limit, limit + 1):
        text = "é" * length  # counted in characters by both, not bytes
        ours = problem(text) is None
        theirs = not dockerhub_spec.request_problems(
            "POST", CREATE, BEARER, create_body(**{field: text})
        )
        assert ours == theirs == (length <= limit)


@pytest.mark.parametrize(
    ("method", "path", "body", "reason"),
    [
        ("POST", "/v2/auth/token", {"identifier": "gitlabtest"}, "'secret' is a required"),
        ("POST", CREATE, {"namespace": "gitlabtest", "name": 7}, "is not of type 'string'"),
        ("POST", "/v2/repositories/gitlabtest/model-gateway/privacy", {}, "'is_private'"),
        (
            "POST",
            "/v2/repositories/gitlabtest/model-gateway/privacy",
            {"is_private": "yes"},
            "is not of type 'boolean'",
        ),
        ("PATCH", f"{CREATE}/model-gateway", {"is_private": True}, "Additional properties"),
        # Terraform's privacy path has no trailing slash: with one, it is no known call.
        ("POST", "/v2/repositories/gitlabtest/model-gateway/privacy/", {}, "PathNotFound"),
        ("PUT", f"{CREATE}/model-gateway", {}, "OperationNotFound"),
    ],
)
def test_the_request_check_catches_what_docker_hub_would_refuse(
    method: str, path: str, body: object, reason: str
) -> None:
    problems = dockerhub_spec.request_problems(method, path, BEARER, json.dumps(body).encode())
    assert len(problems) == 1
    assert reason in problems[0]


def test_the_fakes_repository_is_a_repository_info_and_the_check_bites() -> None:
    fake = FakeHub()
    fake.add("gitlabtest", "model-gateway")
    repo = fake.repositories["gitlabtest/model-gateway"]
    path = f"{CREATE}/model-gateway"
    ok = json.dumps(repo).encode()
    assert dockerhub_spec.response_problems("GET", path, ok, 200, "application/json") == []
    for broken in (
        {k: v for k, v in repo.items() if k != "permissions"},
        {**repo, "is_private": "false"},
        {**repo, "star_count": "many"},
    ):
        body = json.dumps(broken).encode()
        assert dockerhub_spec.response_problems("GET", path, body, 200, "application/json")


def test_the_undocumented_calls_are_checked_against_terraforms_shapes() -> None:
    """Docker's Terraform provider sends `{"is_private": bool}` to the privacy call and no body
    to DELETE; anything else is refused by the check (jsonschema, not the document)."""
    privacy = "/v2/repositories/gitlabtest/model-gateway/privacy"
    good = json.dumps({"is_private": True}).encode()
    assert dockerhub_spec.request_problems("POST", privacy, BEARER, good) == []
    delete = "/v2/repositories/gitlabtest/model-gateway/"
    assert dockerhub_spec.request_problems("DELETE", delete, BEARER, b"") == []
    assert dockerhub_spec.request_problems("DELETE", delete, BEARER, b"{}")


def test_the_fake_reports_a_request_docker_hub_does_not_describe() -> None:
    """The fixture's `violations() == []` after every test means something: a request with the
    privacy call's path and a trailing slash, or a create with a 101-character description,
    is reported."""
    fake = FakeHub()
    fake.add("gitlabtest", "model-gateway")
    auth = {"Authorization": f"Bearer {fake.bearer}"}
    for path, body in (
        ("/v2/repositories/gitlabtest/model-gateway/privacy/", {"is_private": True}),
        (CREATE, {"namespace": "gitlabtest", "name": "other", "description": "x" * 101}),
    ):
        environ = EnvironBuilder(method="POST", path=path, json=body, headers=list(auth.items()))
        fake.handle(Request(environ.get_environ()))
    found = fake.violations()
    assert len(found) == 2
    assert "PathNotFound" in found[0]
    assert "is too long" in found[1]
